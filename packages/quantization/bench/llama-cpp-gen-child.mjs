// Greedy generation speed of one GGUF file in llama.cpp through node-llama-cpp 3.21.1 (CPU, threads 1, F32 KV
// cache, no flash attention), for generate-llama-cpp.bench.ts. A separate process because llama.cpp aborts its
// process on some errors (GGML_ASSERT), and so that its CPU time can be read on its own (process.cpuUsage).
//   node llama-cpp-gen-child.mjs <request.json> <output.json>
// request: { model: string, ids: number[], generate: number, warmup?: number }
// output:  { tokens: number[], totalS, decodeS, cpuTotalS, cpuDecodeS, loadS }
//   totalS / cpuTotalS: from the call that evaluates the prompt to the last generated token (prompt included);
//   decodeS / cpuDecodeS: from the first generated token (which the prompt evaluation yields) to the last, i.e.
//   the generate - 1 single-token decode steps.
// The result goes to a file, not stdout: node-llama-cpp ends the process before an asynchronous write to a
// pipe has drained (see examples/shared/src/llama-cpp-child.mjs).
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { getLlama } from 'node-llama-cpp';

const [requestPath, outputPath] = process.argv.slice(2);
if (!requestPath || !outputPath) throw new Error('usage: node llama-cpp-gen-child.mjs <request.json> <output.json>');
const request = JSON.parse(readFileSync(requestPath, 'utf8'));
const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

const loadStart = performance.now();
const llama = await getLlama({ gpu: false, build: 'never', skipDownload: true, logLevel: 'error' });
const model = await llama.loadModel({ modelPath: request.model });
const context = await model.createContext({
  threads: 1,
  flashAttention: false,
  contextSize: 256,
  batchSize: 256,
  experimentalKvCacheKeyType: 'F32',
  experimentalKvCacheValueType: 'F32',
});
const sequence = context.getSequence();
const loadS = (performance.now() - loadStart) / 1000;

async function generate(n) {
  const tokens = [];
  let tFirst = 0;
  let cFirst = 0;
  const c0 = cpuSeconds();
  const t0 = performance.now();
  // temperature 0 = greedy; yieldEogToken so that a random model's end-of-generation token does not stop the run
  // early (our generate does not stop on it either: the bench passes no eosTokenId).
  for await (const token of sequence.evaluate(request.ids, { temperature: 0, yieldEogToken: true })) {
    tokens.push(token);
    if (tokens.length === 1) {
      tFirst = performance.now();
      cFirst = cpuSeconds();
    }
    if (tokens.length >= n) break;
  }
  const t1 = performance.now();
  const c1 = cpuSeconds();
  await sequence.clearHistory();
  return { tokens, totalS: (t1 - t0) / 1000, decodeS: (t1 - tFirst) / 1000, cpuTotalS: c1 - c0, cpuDecodeS: c1 - cFirst };
}

await generate(request.warmup ?? 8);
const result = await generate(request.generate);
writeFileSync(`${outputPath}.partial`, JSON.stringify({ ...result, loadS }));
renameSync(`${outputPath}.partial`, outputPath);
await model.dispose();
await llama.dispose();
