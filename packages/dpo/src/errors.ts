import { LlmkitError, type LlmkitErrorOptions } from '@llmkit/core/errors';

/** Stable codes of {@link DpoError}. */
export type DpoErrorCode =
  /** A JSONL preference / KTO record is malformed (`line` says which). */
  | 'preference_data'
  /** An option or input of a loss, trainer or sampler is invalid. */
  | 'dpo_invalid_argument'
  /** A cached reference log-prob file does not match the dataset. */
  | 'reference_cache';

/**
 * Error of @llmkit/dpo. `code` is one of {@link DpoErrorCode}; for malformed data
 * `line` is the 1-based JSONL line number (and `source` the file or label).
 * @example
 * try { readPreferenceJsonl('pairs.jsonl') } catch (e) { if (DpoError.isInstance(e)) console.error(e.code, e.line, e.message); }
 */
export class DpoError extends LlmkitError {
  /** 1-based line of the offending JSONL record, when the error is about one. */
  readonly line?: number;
  /** File path or label of the data source, when known. */
  readonly source?: string;

  constructor(code: DpoErrorCode, message: string, options: LlmkitErrorOptions & { line?: number; source?: string } = {}) {
    super(code, message, options);
    if (options.line !== undefined) this.line = options.line;
    if (options.source !== undefined) this.source = options.source;
  }
}

/** Throw a `dpo_invalid_argument` DpoError. */
export function invalid(message: string): never {
  throw new DpoError('dpo_invalid_argument', message);
}
