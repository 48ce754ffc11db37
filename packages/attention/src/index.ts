// @llmkit/attention: Attention: scaled dot-product attention, masks, MHA/MQA/GQA, RoPE and ALiBi, KV cache, memory-efficient chunked attention.
// Every export is listed by name; internals stay private.
export {
  RotaryEmbedding,
  applyRope,
  ropeConfigFromHf,
  type RopeConfig,
  type RopeScaling,
  type RopeType,
} from './rope.js';
export { KVCache, type KVCacheOptions } from './kv-cache.js';
export { scaledDotProductAttention, type SdpaOptions } from './sdpa.js';
export { causalMask, paddingMask, combineMasks, type CausalMaskOptions } from './masks.js';
export {
  MultiHeadAttention,
  type MultiHeadAttentionOptions,
  type MultiHeadAttentionForwardOptions,
} from './mha.js';
export {
  memoryEfficientAttention,
  DEFAULT_ATTENTION_CHUNK_SIZE,
  type MemoryEfficientAttentionOptions,
} from './memory-efficient.js';
export { alibiSlopes, alibiBias, type AlibiBiasOptions } from './alibi.js';
