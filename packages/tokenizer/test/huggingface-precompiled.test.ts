// The SentencePiece `Precompiled` normalizer against the official Rust binding (npm `tokenizers`),
// on a real nmt_nfkc charsmap: fixture from tools/fixtures/gen_precompiled_tokenizer.py (a small
// Unigram model converted by transformers' AlbertConverter). Compares the normalizer alone (sweeps
// over code point ranges) and the whole tokenizer: ids, offsets (code points -> UTF-16), decode.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fromHuggingFace } from '../src/huggingface/index.js';
import { NormalizedString } from '../src/huggingface/normalized.js';
import { PrecompiledCharsMap } from '../src/huggingface/normalizers/precompiled.js';
import { UNICODE_STRESS, mobyDick, rustParityMismatches, type RustTokenizer } from './huggingface-corpus.js';

const require = createRequire(import.meta.url);
const { Tokenizer, precompiled } = require('tokenizers') as {
  Tokenizer: { fromString(s: string): RustTokenizer };
  precompiled(bytes: number[]): { normalizeString(s: string): string };
};

const here = dirname(fileURLToPath(import.meta.url));
const json = readFileSync(join(here, 'fixtures', 'hf-spm-precompiled.json'), 'utf8');
const charsmap = (JSON.parse(json) as { normalizer: { normalizers: Array<{ type: string; precompiled_charsmap?: string }> } }).normalizer.normalizers.find(
  (n) => n.type === 'Precompiled',
)!.precompiled_charsmap!;

const NFKC_STRESS = [
  'Ｆｕｌｌｗｉｄｔｈ ＬＥＴＴＥＲＳ ａｎｄ ｄｉｇｉｔｓ １２３４５ — ｈａｌｆ ｗｉｄｔｈ ｶﾀｶﾅ ﾊﾟﾋﾟ ｶﾞ',
  'Ligatures: ﬁne ﬂow ﬀ ﬃ ﬄ ﬅ ﬆ — ǆ Ǉ ǈ ǉ Ĳ ŉ',
  'Circled ① ② ③ ⑩ ⑳ Ⓐ ⓑ ㉑ ㊿ and parenthesized ⑴ ⒜ ⒈ ㈠ ㈱',
  'Compatibility: ™ ℃ ℉ № ½ ¼ ¾ ² ³ ¹ ㎏ ㎞ ㍻ ㈱ Ⅻ ⅷ µ ſ ℌ ℍ ﹏ ︵ ﹙ ＂ ＇ ｀ ￥ ￦',
  'Combining: café cafe\u0301 naïve nai\u0308ve A\u030a Å e\u0301\u0302\u0303\u0304\u0305 \u1100\u1161\u11a8 한국어 o\u0308\u0301\u0323',
  'CJK: 日本語のテキスト、中文文本。한국어 텍스트 ｢括弧｣ 〜 ・ 豈 更 車 賈 﨎 﨏 丽 丸',
  'Emoji: 👍🏽 👨‍👩‍👧‍👦 🇫🇷 ❤️ ☺︎ 🙂 1️⃣ 🏳️‍🌈 🧑🏿‍🚀 #️⃣',
  'Spaces:\u00a0no-break\u2003em\u3000ideographic\u200bzero-width\u2028line\u2029para\u00adsoft\ufeffbom\t\ttab',
  'Greek Ωμέγα ΐ ϐ ϑ ϕ ϰ; Cyrillic Ёж й; Arabic ﻻ ﷺ ﷽ ﭐ; Hebrew שָׁלוֹם יִ',
  'Math 𝐀𝐁𝐂 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝟘𝟙𝟚 ℝ ℕ ∮ ∯ ≠ ≮ ⁰ⁱ⁴ ₀₁₂ ᵃᵇ ˢ',
  'Controls \u0001\u0002\u0007\u007f\u0080\u009f end',
  'Indic हिन्दी क्षत्रिय ষ্ট্র தமிழ் ไทย ພາສາລາວ',
  'Long cluster: a\u0300\u0301\u0302\u0303\u0304\u0305\u0306\u0307 and ᄀ\u1161\u11a8\u0300 end',
  "``quoted'' text — with ``nested '' marks",
  '   leading and   repeated    spaces   ',
].join('\n');


/** Strings of consecutive code points over ranges dense in compatibility mappings. */
function sweeps(): string[] {
  const ranges: Array<[number, number]> = [
    [0x20, 0x2ff],
    [0x300, 0x36f],
    [0x370, 0x52f],
    [0x1100, 0x11ff],
    [0x1d00, 0x1dbf],
    [0x1e00, 0x1fff],
    [0x2000, 0x2bff],
    [0x2e80, 0x2fdf],
    [0x3000, 0x33ff],
    [0xa700, 0xa7ff],
    [0xf900, 0xfaff],
    [0xfb00, 0xfdff],
    [0xfe00, 0xfeff],
    [0xff00, 0xffef],
    [0x1d400, 0x1d7ff],
    [0x1f100, 0x1f2ff],
    [0x2f800, 0x2fa1f],
  ];
  const out: string[] = [];
  for (const [a, b] of ranges) {
    for (let s = a; s <= b; s += 64) {
      let t = '';
      for (let c = s; c < Math.min(s + 64, b + 1); c++) if (c < 0xd800 || c > 0xdfff) t += String.fromCodePoint(c);
      out.push(t, [...t].join(' '));
    }
  }
  return out;
}

/** Edge cases of HF's alignment rules: removals at the start, expansions after surrogate pairs. */
const EDGES = ['\u200bab', '\u0001\u0002xy', 'a\u200bb', '🄀 x', 'a🄁b', 'x🄁', '🉀🉁 x', 'ﬁ', '\u200b', '\u200b\u200b', 'e\u0301\u200b', '①\u200b②'];

/** Deterministic random strings over a pool of NFKC-affected and ordinary characters. */
function fuzz(n: number): string[] {
  const pool = [...'aZ ,.\'`0 ﬁﬂ①⑳ＡＺａ１ｶﾞﾊﾟ™½²ǅĲ㍻㈱Ⅻµſ\u00a0\u3000\u200b\u00ad\ufeff\u0001\u007f\u0301\u0308\u0323é한\u1100\u1161\u11a8日本👍🏽🇫🇷❤️\ufe0f\u200d🄀🄁🆐🉀𝐀𝟘丽﨎ﻻﷺ'];
  let seed = 12345;
  const rand = (m: number) => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return (seed >>> 8) % m;
  };
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    let t = '';
    const len = 1 + rand(24);
    for (let k = 0; k < len; k++) t += pool[rand(pool.length)];
    out.push(t);
  }
  return out;
}

describe('Precompiled normalizer (SentencePiece nmt_nfkc charsmap) vs HF tokenizers (Rust)', () => {
  it('normalizer output alone matches on code point sweeps and stress texts', () => {
    const ref = precompiled([...Buffer.from(charsmap, 'base64')]);
    const ours = PrecompiledCharsMap.fromBase64(charsmap, 'precompiled_charsmap');
    const texts = [...sweeps(), ...NFKC_STRESS.split('\n'), ...UNICODE_STRESS.split('\n'), ...EDGES, ...fuzz(300), mobyDick(20_000)];
    const mismatches: string[] = [];
    for (const text of texts) {
      const want = ref.normalizeString(text);
      const got = ours.normalize(new NormalizedString(text, 0), false).text;
      if (got !== want) mismatches.push(`${JSON.stringify(text.slice(0, 40))}: ${JSON.stringify(got.slice(0, 80))} != ${JSON.stringify(want.slice(0, 80))}`);
    }
    expect(mismatches).toEqual([]);
  });

  it('encode ids, offsets and decode match on Moby Dick and Unicode stress texts', async () => {
    const ours = fromHuggingFace(json);
    const ref = Tokenizer.fromString(json);
    const texts: string[] = [];
    const moby = mobyDick(60_000);
    for (let i = 0; i < moby.length; i += 3000) texts.push(moby.slice(i, i + 3000));
    texts.push(...NFKC_STRESS.split('\n'), NFKC_STRESS, ...UNICODE_STRESS.split('\n'), UNICODE_STRESS);
    texts.push(...sweeps().filter((_, i) => i % 3 === 0), ...EDGES, ...fuzz(300), '', ' ', 'ﬁ'.repeat(50), '①'.repeat(40));
    expect(await rustParityMismatches(ours, ref, texts)).toEqual([]);
  });
});
