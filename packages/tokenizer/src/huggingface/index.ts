export { fromHuggingFace, HuggingFaceTokenizer, type HuggingFaceConfig } from './tokenizer.js';
export { translateOnigurumaPattern } from './regex.js';
