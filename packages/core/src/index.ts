// @llmkit/core public API (assembled as the pieces land).
export { tf } from './tf.js';
export { initBackend, backendInfo, BACKEND_NAMES, type BackendName, type BackendInfo, type InitBackendOptions } from './backend/init-backend.js';
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
export { Rng, createRng, getDefaultRng, manualSeed, type RngState } from './rng/rng.js';
export { Module, createParameter, type Parameter, type LoadStateDictOptions, type LoadStateDictResult } from './nn/module.js';
