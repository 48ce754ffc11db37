/**
 * Error raised when a logits row has no token left to choose.
 */
import { LlmkitError } from "@llmkit/core/errors";

/**
 * Every logit of a row is `-Infinity` (all tokens masked by the processors or
 * by the model), so nothing can be normalised or sampled.
 * Code: `all_tokens_masked`.
 */
export class AllTokensMaskedError extends LlmkitError {
  constructor(where: string) {
    super(
      "all_tokens_masked",
      `${where}: every logit is -Infinity, so no token can be chosen; relax the processors (top-k/top-p/min-p, bad words, min-new-tokens, logit bias) or check the model output.`
    );
  }
}
