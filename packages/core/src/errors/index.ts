import { LlmkitError, type LlmkitErrorOptions } from './llmkit-error.js';

export { LlmkitError, type LlmkitErrorOptions };

/** A function received an option or argument outside its valid range or of the wrong type. Code `invalid_argument`. */
export class InvalidArgumentError extends LlmkitError {
  constructor(message: string, options?: LlmkitErrorOptions) {
    super('invalid_argument', message, options);
  }
}

/** Tensor shapes do not agree (state dict load, matmul, layer input). Code `shape_mismatch`. */
export class ShapeMismatchError extends LlmkitError {
  constructor(message: string, options?: LlmkitErrorOptions) {
    super('shape_mismatch', message, options);
  }
}

/** A safetensors file or buffer is malformed or cannot be written. Code `safetensors_format`. */
export class SafetensorsError extends LlmkitError {
  constructor(message: string, options?: LlmkitErrorOptions) {
    super('safetensors_format', message, options);
  }
}

/** A checkpoint is missing, incomplete or does not match the model/optimizer. Code `checkpoint`. */
export class CheckpointError extends LlmkitError {
  constructor(message: string, options?: LlmkitErrorOptions) {
    super('checkpoint', message, options);
  }
}

/** A tensor backend could not be initialised or lacks a required kernel. Code `backend`. */
export class BackendError extends LlmkitError {
  constructor(message: string, options?: LlmkitErrorOptions) {
    super('backend', message, options);
  }
}

/** A state dict is missing keys or has unexpected ones. Code `state_dict`. */
export class StateDictError extends LlmkitError {
  constructor(message: string, options?: LlmkitErrorOptions) {
    super('state_dict', message, options);
  }
}

/** Training produced a non-finite loss or gradient. Code `non_finite`. */
export class NonFiniteError extends LlmkitError {
  constructor(message: string, options?: LlmkitErrorOptions) {
    super('non_finite', message, options);
  }
}
