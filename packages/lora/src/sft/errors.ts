/** Typed errors of the SFT data pipeline and trainer. */
import { LlmkitError, type LlmkitErrorOptions } from '@llmkit/core';

/**
 * A dataset record or JSONL line is malformed (bad JSON, unknown format, missing or mistyped
 * field). The message names the line / record index and the field. Code `sft_dataset`.
 * @example
 * try { readJsonl(text); } catch (e) { if (SftDatasetError.isInstance(e)) console.error(e.line, e.message); }
 */
export class SftDatasetError extends LlmkitError {
  /** 1-based JSONL line of the bad record, when it came from a file or string. */
  readonly line: number | undefined;

  constructor(message: string, options: LlmkitErrorOptions & { line?: number } = {}) {
    super('sft_dataset', message, options);
    this.line = options.line;
  }
}

/**
 * A tokenized example is longer than `maxLength` and `truncation` is off. Code `sequence_too_long`.
 * @example
 * try { tokenizeSftExample(record, opts); } catch (e) { if (SequenceTooLongError.isInstance(e)) console.error(e.length, e.maxLength); }
 */
export class SequenceTooLongError extends LlmkitError {
  readonly index: number;
  readonly length: number;
  readonly maxLength: number;

  constructor(message: string, info: { index: number; length: number; maxLength: number }, options: LlmkitErrorOptions = {}) {
    super('sequence_too_long', message, options);
    this.index = info.index;
    this.length = info.length;
    this.maxLength = info.maxLength;
  }
}
