// @llmkit/sampling public API. Every export is listed by name.

export type { SamplingConfig, LogitsContext, StepFn, StepHooks } from './types.js';

// Logits processors and sampling
export {
  AllTokensMaskedError,
  temperature,
  topK,
  topP,
  minP,
  typicalP,
  epsilonCutoff,
  etaCutoff,
  repetitionPenalty,
  frequencyPenalty,
  presencePenalty,
  logitBias,
  noRepeatNgram,
  badWords,
  minNewTokens,
  processLogits,
  checkSamplingConfig,
  PROCESSORS,
  DEFAULT_PROCESSOR_ORDER,
  type ProcessorName,
  type ProcessorEntry,
} from './processors/index.js';
export { sample } from './sample.js';

// Decoding loops
export {
  generate,
  generateAll,
  bestOfN,
  type GenerateOptions,
  type GenerateChunk,
  type GenerateResult,
  type FinishReason,
  type BestOfNOptions,
  type ScoredCompletion,
} from './decoding/generate.js';
export { beamSearch, type BeamSearchOptions, type BeamHypothesis } from './decoding/beam-search.js';
export {
  speculativeDecode,
  allPositions,
  type MultiStepFn,
  type SpeculativeOptions,
  type SpeculativeResult,
  type SpeculativeStats,
} from './decoding/speculative.js';
export { TextStopMatcher, type TextStopUpdate } from './decoding/stop.js';

// Constrained (structured) decoding
export {
  regexConstraint,
  jsonSchemaConstraint,
  type Constraint,
  type ConstraintOptions,
} from './constrained/constraint.js';
export { jsonSchemaToRegex } from './constrained/json-schema.js';
export { regexToDfa, dfaMatches, dfaWalk, type ByteDfa } from './constrained/automaton.js';
