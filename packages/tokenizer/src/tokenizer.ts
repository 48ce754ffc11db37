import type { Tokenizer as TokenizerInterface } from './types.js';
import { fromTiktoken, fromTiktokenRanks, loadTiktoken } from './tiktoken/index.js';
import { fromHuggingFace } from './huggingface/index.js';

/** Any llmkit tokenizer (see types.ts): tiktoken, Hugging Face tokenizer.json, or trained. */
export type Tokenizer = TokenizerInterface;

/**
 * Factories, so `Tokenizer.fromTiktoken('cl100k_base')` and
 * `Tokenizer.fromHuggingFace('path/to/tokenizer.json')` read as in other libraries.
 * @example
 * const enc = Tokenizer.fromTiktoken('o200k_base');
 * enc.decode(enc.encode('hello world')); // 'hello world'
 */
export const Tokenizer = {
  fromTiktoken,
  loadTiktoken,
  fromTiktokenRanks,
  fromHuggingFace,
} as const;
