// @llmkit/quantization: Quantization: absmax/zero-point int8/int4, LLM.int8, NF4, GPTQ, AWQ, SmoothQuant, quantized linear layers, GGUF read/write for llama.cpp.
// Every export is listed by name; internals stay private.

// ggml tensor types and block formats (F32/F16/BF16, legacy Q4_0..Q8_1; K-quants register in the same registry)
export {
  GGML_TYPE_IDS,
  GGML_BLOCK_GEOMETRY,
  QK_K,
  ggmlRowBytes,
  type GgmlTypeName,
  type GgmlTypeTraits,
} from './ggml/types.js';
export {
  quantizeBlocks,
  createGgmlWorkspace,
  type GgmlWorkspace,
  dequantizeBlocks,
  registerGgmlType,
  getGgmlType,
  GGML_TYPES,
  type RegisterGgmlTypeOptions,
  type GgmlBackend,
  type GgmlBlocksOptions,
  type GgmlQuantizeOptions,
  type GgmlDequantizeOptions,
} from './ggml/registry.js';
export { F32, F16, BF16 } from './ggml/float.js';
export { Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1 } from './ggml/legacy.js';
export { Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K } from './ggml/k-quants.js';

// GGUF v3 read/write
export { readGGUF, GGUF_MAGIC, GGUF_MAX_DIMS, GGUF_MAX_TENSOR_NAME_BYTES, GGUF_MAX_ARRAY_DEPTH, type ReadGgufOptions } from './gguf/reader.js';
export { writeGGUF, GGUF_WRITE_MAX_TENSOR_NAME_BYTES, type WriteGgufOptions } from './gguf/writer.js';
export { GgufError, type GgufErrorOptions } from './gguf/errors.js';
export {
  GGUF_VALUE_TYPE_IDS,
  GGUF_SCALAR_BYTES,
  GGUF_DEFAULT_ALIGNMENT,
  type GgufValueType,
  type GgufNumberType,
  type GgufBigIntType,
  type GgufScalarValue,
  type GgufArrayValue,
  type GgufValue,
  type GgufMetadata,
  type GgufTensorInfo,
  type GgufFile,
  type GgufTensorInput,
} from './gguf/types.js';

// Calibration-based quantization: RTN (GPTQ quantizer), GPTQ, AWQ, SmoothQuant, quantized linear layers, whole-model quantization
export { rtnQuantize, findRtnParams, type RtnOptions, type RtnParams, type QuantizedMatrix } from './calibration/rtn.js';
export { gptq, GptqHessian, type GptqOptions, type GptqResult } from './calibration/gptq.js';
export {
  awq,
  awqSearchScale,
  awqQuantizeWithScales,
  awqPseudoQuantize,
  awqClipSearch,
  applyAwqClip,
  activationScale,
  type AwqOptions,
  type AwqQuantizeOptions,
  type AwqClipOptions,
  type AwqApplyOptions,
  type AwqSearchResult,
  type AwqResult,
  type WeightInput,
} from './calibration/awq.js';
export {
  smoothQuant,
  smoothQuantScales,
  activationAbsMax,
  quantizeInt8Absmax,
  w8a8Matmul,
  type SmoothQuantResult,
  type Int8Granularity,
  type Int8Matrix,
  type W8A8Options,
} from './calibration/smoothquant.js';
export {
  captureLinearInputs,
  namedLinears,
  stackCaptured,
  capturedTokens,
  type CapturedBatch,
  type CapturedInputs,
} from './calibration/capture.js';
export { QuantizedLinear, type QuantizedLinearInit } from './quantized-linear.js';
export {
  quantizeModel,
  type QuantizeMethod,
  type SequentialMode,
  type QuantizeModelOptions,
  type QuantizeLayerReport,
} from './quantize-model.js';

// Base techniques: tensor quantization (absmax / zero-point, int8 / int4, tensor / channel / group), LLM.int8(), NF4
export {
  quantizeTensor,
  dequantizeTensor,
  quantizedValues,
  fakeQuantize,
  quantizedTensorBytes,
  quantizeTf,
  dequantizeTf,
  type QuantizedTensor,
  type QuantizeTensorOptions,
  type QuantBits,
  type QuantScheme,
  type QuantGranularity,
} from './tensor/quantize.js';
export { QUANT_SCALE_EPS } from './tensor/absmax.js';
export { packInt4, unpackInt4 } from './tensor/pack.js';
export { quantizationError, type QuantizationErrorStats } from './tensor/stats.js';
export {
  llmInt8Matmul,
  llmInt8ErrorBound,
  int8VectorwiseQuantize,
  Int8Linear,
  LLM_INT8_MAX_INNER_DIM,
  type LlmInt8Options,
  type LlmInt8Result,
  type Int8VectorwiseQuantized,
  type Int8LinearOptions,
} from './llm-int8.js';
export {
  nf4,
  NF4_CODEBOOK,
  NF4_THRESHOLDS,
  nf4Quantize,
  nf4Dequantize,
  nf4QuantizeValue,
  nf4Codes,
  nf4BlockAbsmax,
  nf4BytesPerWeight,
  nf4StorageBytes,
  createDynamicMap,
  quantizeBlockwiseDynamic,
  dequantizeBlockwiseDynamic,
  type Nf4Tensor,
  type Nf4DoubleQuant,
  type Nf4QuantizeOptions,
  type Nf4StorageOptions,
  type BlockwiseQuantized,
} from './nf4.js';

// GGUF model export / import (llama.cpp convert_hf_to_gguf.py conventions)
export {
  exportGGUF,
  permuteQK,
  unpermuteQK,
  GGUF_FILE_TYPES,
  GGUF_KQUANT_FALLBACK,
  type GgufExportType,
  type ExportGgufOptions,
  type ExportGgufResult,
} from './gguf/export.js';
export { loadGGUF, GGML_VEC_DOT_TYPE, type LoadGgufOptions } from './gguf/import.js';
export {
  tokenizerJsonFromGguf,
  LLAMA_TOKEN_TYPE,
  GGUF_PRE_TOKENIZERS,
  type PreTokenizerSpec,
  type TokenizerFromGgufResult,
} from './gguf/tokenizer.js';
