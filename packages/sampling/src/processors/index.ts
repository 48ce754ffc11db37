/** Logits processors: individual functions, the registry and `processLogits`. */
export { AllTokensMaskedError } from "./errors.js";
export {
  temperature,
  topK,
  topP,
  minP,
  typicalP,
  epsilonCutoff,
  etaCutoff,
} from "./warpers.js";
export {
  repetitionPenalty,
  frequencyPenalty,
  presencePenalty,
  logitBias,
  noRepeatNgram,
  badWords,
  minNewTokens,
} from "./penalties.js";
export {
  processLogits,
  checkSamplingConfig,
  PROCESSORS,
  DEFAULT_PROCESSOR_ORDER,
  type ProcessorName,
  type ProcessorEntry,
} from "./chain.js";
