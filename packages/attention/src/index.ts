// @llmkit/attention: Attention: scaled dot-product attention, masks, MHA/MQA/GQA, RoPE and ALiBi, KV cache, memory-efficient chunked attention.
// The public API is listed here by name as it lands.
export {};
