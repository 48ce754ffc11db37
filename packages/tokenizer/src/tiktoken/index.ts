export { fromTiktoken, fromTiktokenRanks, loadTiktoken, TIKTOKEN_ENCODING_NAMES } from './encodings.js';
export type { TiktokenEncodingName, TiktokenRanksSpec } from './encodings.js';
export { TiktokenTokenizer } from './tiktoken-tokenizer.js';
export type { TiktokenEncodingData, TiktokenTokenizerOptions } from './tiktoken-tokenizer.js';
export { TIKTOKEN_PATTERNS, tiktokenPatternToRegExp } from './pattern.js';
export { parseTiktokenBpeFile } from './ranks.js';
