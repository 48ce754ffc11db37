import { LlmkitError, type LlmkitErrorOptions } from '@llmkit/core/errors';

/** Where in a GGUF file a {@link GgufError} was detected. */
export interface GgufErrorOptions extends LlmkitErrorOptions {
  /** The field being read or written, e.g. `tensor_infos[3].offset` or `metadata["general.name"]`. */
  field?: string;
  /** Byte offset of that field in the file (reading) or in the output (writing). */
  byteOffset?: number;
}

/**
 * A GGUF file is malformed, uses something this reader does not support, or a GGUF
 * cannot be written from the given input. Code `gguf_format`. The message names the field
 * and its byte offset; both are also available as properties.
 *
 * @example
 * try { readGGUF('model.gguf') } catch (e) {
 *   if (GgufError.isInstance(e)) console.error(e.field, e.byteOffset, e.message);
 * }
 */
export class GgufError extends LlmkitError {
  /** The field being read or written when the problem was found (may be undefined). */
  readonly field: string | undefined;
  /** Byte offset of that field (may be undefined). */
  readonly byteOffset: number | undefined;

  constructor(message: string, options: GgufErrorOptions = {}) {
    super('gguf_format', message, options);
    this.field = options.field;
    this.byteOffset = options.byteOffset;
  }
}
