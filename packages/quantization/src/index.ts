// @llmkit/quantization: Quantization: absmax/zero-point int8/int4, LLM.int8, NF4, GPTQ, AWQ, SmoothQuant, quantized linear layers, GGUF read/write for llama.cpp.
// The public API is listed here by name as it lands.
export {};
