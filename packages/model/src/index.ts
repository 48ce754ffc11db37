// @llmkit/model: Decoder-only models (GPT-2, Llama) from config: forward, loss, log-probs, generate, Hugging Face checkpoint load/save, OpenAI-compatible client and server.
// The public API is listed here by name as it lands.
export {};
