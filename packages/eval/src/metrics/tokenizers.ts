/**
 * sacreBLEU's tokenizers, ported from sacrebleu 2.6.0 (`sacrebleu/tokenizers/`): `13a`
 * (mteval-v13a.pl, the WMT default), `intl` (mteval-v14 international), `char` and `none`.
 * Output strings are identical to sacrebleu's, including its Python whitespace rules.
 */
import { pyCollapseWhitespace } from './python-text.js';

/** A sacreBLEU tokenizer: a line in, the tokens joined by single spaces out. */
export type BleuTokenizer = (line: string) => string;

// tokenizer_re.TokenizerRegexp (shared by 13a): language-dependent part for Western languages.
// Class: { | } ~  [ \ ] ^ _ `  space ! " # $ % &  ( ) * +  : ; < = > ? @  /
const RE_13A_SYMBOLS = /([{-~[-` -&(-+:-@/])/g;
const RE_13A_PERIOD_COMMA_AFTER_NON_DIGIT = /([^0-9])([.,])/g;
const RE_13A_PERIOD_COMMA_BEFORE_NON_DIGIT = /([.,])([^0-9])/g;
const RE_13A_DASH_AFTER_DIGIT = /([0-9])(-)/g;

/**
 * The `13a` tokenizer of sacreBLEU (`Tokenizer13a`, equivalent to mteval-v13a.pl): drops
 * `<skipped>`, joins `-\n` line breaks, unescapes `&quot; &amp; &lt; &gt;`, splits off
 * punctuation and symbols (periods and commas only next to a non-digit, dashes after a digit)
 * and collapses whitespace.
 *
 * @example
 * tokenize13a('3.14 and 1,000 items (approx.) cost $5-10.') // '3.14 and 1,000 items ( approx . ) cost $ 5 - 10 .'
 */
export function tokenize13a(line: string): string {
  let s = line;
  if (s.includes('<skipped>')) s = s.replaceAll('<skipped>', '');
  if (s.includes('\n')) s = s.replaceAll('-\n', '').replaceAll('\n', ' ');
  if (s.includes('&')) {
    s = s.replaceAll('&quot;', '"').replaceAll('&amp;', '&').replaceAll('&lt;', '<').replaceAll('&gt;', '>');
  }
  s = ` ${s} `;
  s = s.replace(RE_13A_SYMBOLS, ' $1 ');
  s = s.replace(RE_13A_PERIOD_COMMA_AFTER_NON_DIGIT, '$1 $2 ');
  s = s.replace(RE_13A_PERIOD_COMMA_BEFORE_NON_DIGIT, ' $1 $2');
  s = s.replace(RE_13A_DASH_AFTER_DIGIT, '$1 $2 ');
  return pyCollapseWhitespace(s);
}

const RE_INTL_PUNCT_AFTER_NON_NUMBER = /(\P{N})(\p{P})/gu;
const RE_INTL_PUNCT_BEFORE_NON_NUMBER = /(\p{P})(\P{N})/gu;
const RE_INTL_SYMBOL = /(\p{S})/gu;

/**
 * The `intl` tokenizer of sacreBLEU (`TokenizerV14International`, mteval-v14.pl
 * `--international-tokenization`): splits Unicode punctuation (`\p{P}`) unless it sits between
 * digits, and every Unicode symbol (`\p{S}`). Like the original, a number followed by a final
 * period keeps the period.
 *
 * @example
 * tokenizeIntl('Hello, world! 1,000.') // 'Hello , world ! 1,000.'
 */
export function tokenizeIntl(line: string): string {
  let s = line.replace(RE_INTL_PUNCT_AFTER_NON_NUMBER, '$1 $2 ');
  s = s.replace(RE_INTL_PUNCT_BEFORE_NON_NUMBER, ' $1 $2');
  s = s.replace(RE_INTL_SYMBOL, ' $1 ');
  return pyCollapseWhitespace(s);
}

/**
 * The `char` tokenizer of sacreBLEU: every code point becomes a token (whitespace characters
 * become empty tokens that BLEU's whitespace split then drops).
 *
 * @example
 * tokenizeChar('ab c') // 'a b   c'
 */
export function tokenizeChar(line: string): string {
  return Array.from(line).join(' ');
}

/**
 * The `none` tokenizer of sacreBLEU: the line unchanged (BLEU then splits on whitespace).
 * @example
 * tokenizeNone('a, b') // 'a, b'
 */
export function tokenizeNone(line: string): string {
  return line;
}

/** Names of the built-in BLEU tokenizers, as sacreBLEU's `tokenize=` and signature `tok:` spell them. */
export type BleuTokenizerName = '13a' | 'intl' | 'char' | 'none';

/** Registry of BLEU tokenizers keyed by their sacreBLEU name. */
export const BLEU_TOKENIZERS: Readonly<Record<BleuTokenizerName, BleuTokenizer>> = Object.freeze({
  '13a': tokenize13a,
  intl: tokenizeIntl,
  char: tokenizeChar,
  none: tokenizeNone,
});
