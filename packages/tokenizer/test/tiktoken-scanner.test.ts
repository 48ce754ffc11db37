import { describe, expect, it } from 'vitest';
import { type AsciiScanner, scanCl100k, scanO200k, scanR50k } from '../src/tiktoken/ascii-scanner.js';
import { TIKTOKEN_PATTERNS, tiktokenPatternToRegExp } from '../src/tiktoken/pattern.js';
import { rng } from './tiktoken-corpora.js';

// The ASCII scanners must give exactly the regex's pieces wherever they decide (-1 = defer).
const ALPHABET = [
  ...'aAbBsStTrReEvVmMlLdDkKxXyYzZ019',
  "'",
  "'",
  "'",
  ' ',
  ' ',
  ' ',
  ' ',
  '\t',
  '\n',
  '\r',
  '\v',
  '\f',
  '/',
  '.',
  ',',
  '!',
  '-',
  '(',
  '"',
  '\x00',
  '\x7f',
  '\x1f',
  'é',
  'ſ',
  '\u00a0',
  '\u0085',
  '\u3000',
  '世',
  '٣',
  '\u0301',
  'Ǆ',
  '🙂',
  '\uFEFF',
];

function regexPieces(re: RegExp, text: string): number[] {
  const ends: number[] = [];
  re.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) ends.push(m.index + m[0].length);
  return ends;
}

function scannerPieces(scan: AsciiScanner, sticky: RegExp, text: string): number[] {
  const ends: number[] = [];
  for (let pos = 0; pos < text.length; ) {
    let end = scan(text, pos, text.length);
    if (end < 0) {
      sticky.lastIndex = pos;
      expect(sticky.test(text)).toBe(true);
      end = sticky.lastIndex;
    }
    expect(end).toBeGreaterThan(pos);
    ends.push(end);
    pos = end;
  }
  return ends;
}

describe.each([
  ['r50k', scanR50k, TIKTOKEN_PATTERNS.r50k],
  ['cl100k', scanCl100k, TIKTOKEN_PATTERNS.cl100k],
  ['o200k', scanO200k, TIKTOKEN_PATTERNS.o200k],
] as const)('%s ASCII scanner', (_name, scan, pattern) => {
  const re = tiktokenPatternToRegExp(pattern);
  const sticky = new RegExp(re.source, 'uy');

  it('splits random text exactly like the regex', () => {
    const random = rng(17);
    for (let trial = 0; trial < 4000; trial++) {
      const length = 1 + Math.floor(random() * 14);
      let text = '';
      for (let i = 0; i < length; i++) text += ALPHABET[Math.floor(random() * ALPHABET.length)];
      expect(scannerPieces(scan, sticky, text), JSON.stringify(text)).toEqual(regexPieces(re, text));
    }
  });

  it('splits sample sentences exactly like the regex', () => {
    const samples = [
      "He said: \"I'LL do it, we've\tdone 12345 things!\" -- they're HTTPServer camelCase ABCdef abcDEF DON'T 'tis",
      'line one\r\n\r\n   indented\n\t\ttabs  \n  trailing   ',
      'x = a/b; // comment\n/* block */ path/to/file.ts\n',
      "'s's 'S 'Ll 'LL 're 'Re 'x ''' ' ",
    ];
    for (const text of samples) expect(scannerPieces(scan, sticky, text)).toEqual(regexPieces(re, text));
  });
});
