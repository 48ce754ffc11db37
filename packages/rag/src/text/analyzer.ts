/**
 * Text analysis for sparse retrieval: the same steps as bm25s / scikit-learn's CountVectorizer
 * (lowercase, tokens of two or more word characters), then English stopword removal and
 * Snowball English stemming, as Lucene's EnglishAnalyzer does.
 */
import { InvalidArgumentError } from '@llmkit/core';
import { snowballEnglishStem } from './snowball-english.js';

/**
 * Lucene's English stopword set (`EnglishAnalyzer.ENGLISH_STOP_WORDS_SET`, 33 words), the list
 * bm25s uses for `stopwords="en"`.
 */
export const ENGLISH_STOPWORDS: readonly string[] = Object.freeze([
  'a', 'an', 'and', 'are', 'as', 'at', 'be', 'but', 'by', 'for', 'if', 'in', 'into', 'is', 'it', 'no', 'not', 'of',
  'on', 'or', 'such', 'that', 'the', 'their', 'then', 'there', 'these', 'they', 'this', 'to', 'was', 'will', 'with',
]);

/** Turns a text into index terms. */
export type Analyzer = (text: string) => string[];

export interface AnalyzerOptions {
  /** Lowercase before tokenizing. Default true. */
  lowercase?: boolean;
  /** Words to drop (compared after lowercasing, before stemming): `'english'` (default), a list, or `false`. */
  stopwords?: 'english' | readonly string[] | false;
  /** `'snowball'` (Snowball English / Porter2, default), `false`, or your own word -> stem function. */
  stemmer?: 'snowball' | false | ((word: string) => string);
  /**
   * Token pattern, a global regex. Default `/[\p{L}\p{N}_]{2,}/gu`: runs of two or more word
   * characters, Python's `(?u)\b\w\w+\b` used by bm25s and scikit-learn.
   */
  tokenPattern?: RegExp;
}

const DEFAULT_TOKEN_PATTERN = /[\p{L}\p{N}_]{2,}/gu;

/**
 * Build an analyzer: lowercase, tokenize, drop stopwords, stem. Stems are memoised per analyzer.
 * @throws InvalidArgumentError `invalid_argument` when `tokenPattern` is not a global regex.
 * @example
 * const analyze = createAnalyzer();
 * analyze('The whales were hunted'); // ['whale', 'were', 'hunt']
 */
export function createAnalyzer(options: AnalyzerOptions = {}): Analyzer {
  const lowercase = options.lowercase ?? true;
  const stop = options.stopwords === undefined || options.stopwords === 'english'
    ? new Set(ENGLISH_STOPWORDS)
    : options.stopwords === false
      ? new Set<string>()
      : new Set(options.stopwords.map((w) => w.toLowerCase()));
  const stemmer = options.stemmer === undefined || options.stemmer === 'snowball'
    ? snowballEnglishStem
    : options.stemmer === false
      ? undefined
      : options.stemmer;
  if (typeof stemmer !== 'undefined' && typeof stemmer !== 'function') {
    throw new InvalidArgumentError(`createAnalyzer: stemmer must be 'snowball', false or a function; got ${String(options.stemmer)}.`);
  }
  const pattern = options.tokenPattern ?? DEFAULT_TOKEN_PATTERN;
  if (!(pattern instanceof RegExp) || !pattern.global) {
    throw new InvalidArgumentError(`createAnalyzer: tokenPattern must be a RegExp with the g flag (e.g. /\\w+/gu); got ${String(pattern)}.`);
  }
  const cache = new Map<string, string>();
  return (text: string): string[] => {
    const source = lowercase ? text.toLowerCase() : text;
    const out: string[] = [];
    for (const match of source.matchAll(pattern)) {
      const token = match[0];
      if (stop.has(token)) continue;
      if (stemmer === undefined) {
        out.push(token);
        continue;
      }
      let stem = cache.get(token);
      if (stem === undefined) {
        stem = stemmer(token);
        if (cache.size < 200_000) cache.set(token, stem);
      }
      out.push(stem);
    }
    return out;
  };
}
