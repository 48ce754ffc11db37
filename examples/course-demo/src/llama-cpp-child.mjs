// Runs GGUF files in llama.cpp through node-llama-cpp 3.21.1 and prints what stage 4 compares.
// A separate process because llama.cpp aborts its process on some errors (GGML_ASSERT).
//   node llama-cpp-child.mjs <request.json>
// request: { runs: [{ model, ids: number[], generate: number }] }
// output (stdout, one JSON object): { runs: [{ logprobs: number[][] (full next-token log-distribution after every prefix), greedy: number[] }] }
import { readFileSync } from 'node:fs';
import { getLlama } from 'node-llama-cpp';

const request = JSON.parse(readFileSync(process.argv[2], 'utf8'));
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
  const model = await llama.loadModel({ modelPath: run.model });
  const context = await model.createContext(contextOptions);
  const sequence = context.getSequence();
  const results = await sequence.controlledEvaluate(run.ids.map((id) => [id, { generateNext: { probabilities: true } }]));
  const logprobs = [];
  for (const r of results) {
    const row = [];
    for (const [id, p] of r.next.probabilities) row.push([id, Math.log(p)]);
    logprobs.push(row);
  }
  const greedy = [];
  const seq = (await model.createContext(contextOptions)).getSequence();
  for await (const token of seq.evaluate(run.ids, { temperature: 0 })) {
    greedy.push(token);
    if (greedy.length >= run.generate) break;
  }
  out.runs.push({ logprobs, greedy });
  await model.dispose();
}
process.stdout.write(JSON.stringify(out));
await llama.dispose();
