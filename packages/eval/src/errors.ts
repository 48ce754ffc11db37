import { LlmkitError, type LlmkitErrorOptions } from '@llmkit/core';

/**
 * Stable codes of {@link EvalError}. Metrics use the first three; the harness, judges, arena and
 * RAG metrics add their own (`eval_task_spec`, `eval_jsonl`, `eval_template`,
 * `eval_logprobs_unsupported`, ...).
 *
 * - `eval_length_mismatch`: parallel inputs (hypotheses and a reference stream, labels and
 *   predictions) have different lengths.
 * - `eval_empty_input`: a corpus-level metric got no items.
 * - `eval_invalid_option`: an option is out of range or of the wrong kind (unknown tokenizer,
 *   smoothing method or ROUGE type, `k > n` in pass@k, a non-finite log-likelihood, ...).
 */
export type EvalErrorCode = 'eval_length_mismatch' | 'eval_empty_input' | 'eval_invalid_option' | (string & {});

/**
 * An evaluation input (metric arguments, task spec, JSONL record, battle, judge output, option) is
 * malformed or unusable. The `code` says which kind, e.g. `eval_length_mismatch`, `eval_task_spec`.
 * @example
 * try { corpusBleu(hyps, [refs]); } catch (e) { if (EvalError.isInstance(e)) console.error(e.code, e.message); }
 */
export class EvalError extends LlmkitError {
  constructor(code: EvalErrorCode, message: string, options?: LlmkitErrorOptions) {
    super(code, message, options);
  }
}
