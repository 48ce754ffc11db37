// @llmkit/core public API. Every export is listed by name; internals stay private.

// Backend and the shared tfjs instance
export { tf } from './tf.js';
export {
  initBackend,
  backendInfo,
  BACKEND_NAMES,
  type BackendName,
  type BackendInfo,
  type InitBackendOptions,
} from './backend/init-backend.js';

// Errors
export {
  LlmkitError,
  InvalidArgumentError,
  ShapeMismatchError,
  SafetensorsError,
  CheckpointError,
  BackendError,
  StateDictError,
  NonFiniteError,
  type LlmkitErrorOptions,
} from './errors/index.js';

// RNG
export { Rng, createRng, getDefaultRng, manualSeed, type RngState } from './rng/rng.js';

// nn
export {
  Module,
  createParameter,
  type Parameter,
  type LoadStateDictOptions,
  type LoadStateDictResult,
} from './nn/module.js';
export { Linear, type LinearOptions } from './nn/linear.js';
export { Embedding, type EmbeddingOptions } from './nn/embedding.js';
export { LayerNorm, type LayerNormOptions } from './nn/layer-norm.js';
export { RMSNorm, type RMSNormOptions } from './nn/rms-norm.js';
export { Dropout, type DropoutLayerOptions } from './nn/dropout.js';
export {
  gelu,
  silu,
  softmax,
  logSoftmax,
  crossEntropy,
  dropout,
  type GeluApproximate,
  type LossReduction,
  type CrossEntropyOptions,
  type DropoutOptions,
} from './nn/functional.js';

// Optimizers, schedules, gradients
export {
  Optimizer,
  paramGroupsWithoutDecay,
  type NamedParameters,
  type ParamGroup,
  type ParamGroupInput,
  type OptimizerStateDict,
  type OptimizerStateMeta,
} from './optim/optimizer.js';
export { AdamW, type AdamWOptions, type AdamWParamGroup, type AdamWParamGroupInput } from './optim/adamw.js';
export { Lion, type LionOptions, type LionParamGroup, type LionParamGroupInput } from './optim/lion.js';
export { SGD, type SGDOptions, type SGDParamGroup, type SGDParamGroupInput } from './optim/sgd.js';
export {
  constantSchedule,
  constantWithWarmup,
  linearWithWarmup,
  cosineWithWarmup,
  type LrSchedule,
  type ConstantWithWarmupOptions,
  type LinearWithWarmupOptions,
  type CosineWithWarmupOptions,
} from './optim/schedules.js';
export { clipGradNorm, globalGradNorm, type ClipGradNormOptions } from './optim/clip.js';
export { computeGradients, GradientAccumulator, type AccumulateOptions } from './optim/gradients.js';

// Training loop
export {
  Trainer,
  type TrainerOptions,
  type TrainerCallbacks,
  type TrainLogRecord,
  type TrainResult,
  type EarlyStoppingOptions,
} from './train/trainer.js';
export { listCheckpoints, findLatestCheckpoint, type TrainerState } from './train/checkpoint.js';
export { createProgress, type Progress, type ProgressOptions } from './train/progress.js';

// safetensors
export {
  readSafetensors,
  writeSafetensors,
  parseSafetensors,
  readSafetensorsHeader,
  safetensorsHeaderLength,
  MAX_SAFETENSORS_HEADER_BYTES,
  SAFETENSORS_DTYPES,
  isSafetensorsDtype,
  safetensorsDtypeBits,
  float32ToFloat16Bits,
  float16BitsToFloat32,
  float32ToBfloat16Bits,
  bfloat16BitsToFloat32,
  encodeFloat16,
  decodeFloat16,
  encodeBfloat16,
  decodeBfloat16,
  type SafetensorsDtype,
  type SafetensorsTensorInfo,
  type SafetensorsHeader,
  type SafetensorsEntry,
  type SafetensorsFile,
  type ParseSafetensorsOptions,
  type ReadSafetensorsHeaderOptions,
  type SafetensorsTensors,
  type ReadSafetensorsOptions,
  type RawTensor,
  type SafetensorsWritable,
  type WriteSafetensorsOptions,
} from './safetensors/index.js';

// Shared interfaces
export type {
  LanguageModel,
  Embedder,
  ChatMessage,
  ChatRole,
  GenerateOptions,
  GenerationChunk,
  Completion,
  FinishReason,
  Usage,
  LogprobResult,
} from './interfaces/language-model.js';

// Fused ops for cached decoding (one llmkit wasm kernel each; composed tfjs ops elsewhere)
export {
  rmsNorm,
  addRmsNorm,
  siluMul,
  ropeDecodeQkv,
  decodeAttention,
  fusedDecodeAvailable,
  fusedDecodeKernels,
  linearRows,
  swigluRows,
  LINEAR_ROWS_MAX,
  type LinearParams,
  type RopeDecodeQkvOptions,
  type DecodeAttentionOptions,
} from './ops/fused-decode.js';
export { matMulPath, type MatMulPathInfo } from './backend/init-backend.js';
export { nativeMatMulStatus, type NativeMatMulStatus } from './backend/native.js';
export { layerNorm, geluExact, adamwUpdate, fusedTrainAvailable, fusedTrainKernels, type AdamWUpdateOptions } from './ops/fused-train.js';
export { causalSoftmax, geluTanh, sumSquares, type CausalSoftmaxOptions } from './ops/fused-train.js';
