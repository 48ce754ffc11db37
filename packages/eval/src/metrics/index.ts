// Reference-exact metrics (part A of @llmkit/eval). The package entry re-exports these by name.
export { EvalError, type EvalErrorCode } from '../errors.js';
export {
  corpusBleu,
  sentenceBleu,
  computeBleu,
  bleuSignature,
  SACREBLEU_VERSION,
  type BleuOptions,
  type BleuResult,
  type BleuStatistics,
  type BleuSmoothMethod,
} from './bleu.js';
export { corpusChrf, sentenceChrf, type ChrfOptions, type ChrfResult } from './chrf.js';
export {
  tokenize13a,
  tokenizeIntl,
  tokenizeChar,
  tokenizeNone,
  BLEU_TOKENIZERS,
  type BleuTokenizer,
  type BleuTokenizerName,
} from './tokenizers.js';
export {
  rougeScore,
  RougeScorer,
  tokenizeRouge,
  type RougeOptions,
  type RougeScore,
  type RougeType,
} from './rouge.js';
export { porterStem, PorterStemmer, type PorterMode } from './porter.js';
export {
  squadExactMatch,
  squadF1,
  squadScore,
  normalizeSquadAnswer,
  type SquadF1Options,
  type SquadVersion,
} from './squad.js';
export {
  accuracy,
  classificationReport,
  f1Score,
  type ClassificationReport,
  type ClassificationOptions,
  type ClassMetrics,
  type F1Average,
  type Label,
} from './classification.js';
export {
  perplexity,
  wordPerplexity,
  bytePerplexity,
  bitsPerByte,
  countWords,
  countBytes,
  type DocumentLoglikelihood,
} from './perplexity.js';
export { passAtK, meanPassAtK } from './pass-at-k.js';
export {
  contamination,
  normalizeForContamination,
  wordNgrams,
  type ContaminationOptions,
  type ContaminationReport,
  type ExampleContamination,
} from './contamination.js';
