export { trainBpe, GPT4_PATTERN, type TrainBpeOptions } from './train-bpe.js';
export { BpeTrainingResult, type BpeTrainingData, type HuggingFaceTokenizerJSON, type TiktokenRanks } from './result.js';
export { BYTE_TO_CHAR, BYTES_IN_ALPHABET_ORDER, byteLevelToBytes, bytesToByteLevel } from './byte-level.js';
