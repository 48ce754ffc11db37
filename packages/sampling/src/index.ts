// @llmkit/sampling: Decoding on Float32Array logits: logits processors (temperature, top-k/p, min-p, typical, penalties), greedy, sampling, beam search, speculative and constrained decoding.
// The public API is listed here by name as it lands.
export {};
