// Runs GGUF files in llama.cpp through node-llama-cpp 3.21.1 (CPU, one thread, F32 KV cache, no flash
// attention). A separate process because llama.cpp aborts its process on some errors (GGML_ASSERT).
//   node llama-cpp-child.mjs <request.json> <output.json>
// request: { runs: [{ model, ids: number[], text?: string, generate?: number, minProb?: number }] }
// output:  { runs: [{ tokens?: number[], positions: [[id, logprob], ...][], greedy?: number[] }] }
// The result goes to a file, not stdout: a large JSON on piped stdout can be lost when node-llama-cpp ends
// the process, and a missing file tells the parent plainly that the child stopped before answering (seen
// in CI: status 0 and nothing written; the parent then runs the request again, one model per process).
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { getLlama } from 'node-llama-cpp';

const [requestPath, outputPath] = process.argv.slice(2);
if (!requestPath || !outputPath) throw new Error('usage: node llama-cpp-child.mjs <request.json> <output.json>');
const request = JSON.parse(readFileSync(requestPath, 'utf8'));
const llama = await getLlama({ gpu: false, build: 'never', skipDownload: true, logLevel: 'error' });
const contextOptions = {
  threads: 1,
  flashAttention: false,
  contextSize: 256,
  batchSize: 256,
  experimentalKvCacheKeyType: 'F32',
  experimentalKvCacheValueType: 'F32',
};
const out = { runs: [] };
for (const run of request.runs) {
  const minProb = run.minProb ?? 1e-6;
  const model = await llama.loadModel({ modelPath: run.model });
  const result = { positions: [] };
  if (typeof run.text === 'string') result.tokens = model.tokenize(run.text, false);

  // Teacher-forced: llama.cpp's next-token distribution after every prefix of `ids`.
  const context = await model.createContext(contextOptions);
  const sequence = context.getSequence();
  const evaluated = await sequence.controlledEvaluate(run.ids.map((id) => [id, { generateNext: { probabilities: true } }]));
  for (const r of evaluated) {
    const entries = [];
    for (const [id, p] of r.next.probabilities) if (p >= minProb) entries.push([id, Math.log(p)]);
    result.positions.push(entries);
  }

  // Free-running greedy continuation of `ids`.
  if (run.generate) {
    const seq = (await model.createContext(contextOptions)).getSequence();
    result.greedy = [];
    for await (const token of seq.evaluate(run.ids, { temperature: 0 })) {
      result.greedy.push(token);
      if (result.greedy.length >= run.generate) break;
    }
  }
  out.runs.push(result);
  await model.dispose();
}
writeFileSync(`${outputPath}.partial`, JSON.stringify(out));
renameSync(`${outputPath}.partial`, outputPath);
await llama.dispose();
