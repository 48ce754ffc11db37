export {
  faithfulness,
  answerRelevancy,
  contextPrecision,
  contextRecall,
  averagePrecision,
  answerRelevancyScore,
  cosineSimilarity,
  type RagSample,
  type RagMetricOptions,
  type FaithfulnessResult,
  type AnswerRelevancyResult,
  type ContextPrecisionResult,
  type ContextRecallResult,
} from './metrics.js';
export { nonLlmContextPrecision, nonLlmContextRecall, semanticSimilarity, stringSimilarity, type NonLlmContextOptions, type TextSimilarity } from './non-llm.js';
export { parseJsonLoose } from './json.js';
