// Runs a GGUF file in llama.cpp through node-llama-cpp 3.21.1 and prints what the test compares.
// A separate process because llama.cpp aborts its process on some errors (GGML_ASSERT).
//   node child.mjs <request.json> <output.json>
// request: { model, ids: number[], text?: string, texts?: string[], parseSpecial?: boolean, generate?: number, minProb?: number }
// output (a file, one JSON object; not stdout: node-llama-cpp ends the process before an asynchronous
// write to a pipe drains, and a large answer arrived empty): { tokens?: number[], tokenLists?: number[][], positions: [[id, logprob], ...][], greedy?: number[] }
// `texts`: each tokenized as llama_tokenize(text, add_special = false, parse_special = parseSpecial ?? false) into `tokenLists`.
// `ids` may be empty (tokenize only: no evaluation).
import { readFileSync, writeFileSync } from 'node:fs';
import { getLlama } from 'node-llama-cpp';

const request = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const minProb = request.minProb ?? 1e-6;
const llama = await getLlama({ gpu: false, build: 'never', skipDownload: true, logLevel: 'error' });
const model = await llama.loadModel({ modelPath: request.model });
const contextOptions = {
  threads: 1,
  flashAttention: false,
  contextSize: 256,
  batchSize: 256,
  experimentalKvCacheKeyType: 'F32',
  experimentalKvCacheValueType: 'F32',
};
const context = await model.createContext(contextOptions);
const out = { positions: [] };
if (typeof request.text === 'string') out.tokens = model.tokenize(request.text, false);
if (Array.isArray(request.texts)) out.tokenLists = request.texts.map((t) => Array.from(model.tokenize(t, request.parseSpecial === true)));

// Teacher-forced: the next-token distribution after every prefix of `ids`.
const sequence = context.getSequence();
const results = (request.ids ?? []).length === 0 ? [] : await sequence.controlledEvaluate(request.ids.map((id) => [id, { generateNext: { probabilities: true } }]));
for (const r of results) {
  const entries = [];
  for (const [id, p] of r.next.probabilities) if (p >= minProb) entries.push([id, Math.log(p)]);
  out.positions.push(entries);
}

// Free-running greedy continuation of `ids`.
if (request.generate) {
  const seq = (await model.createContext(contextOptions)).getSequence();
  out.greedy = [];
  for await (const token of seq.evaluate(request.ids, { temperature: 0 })) {
    out.greedy.push(token);
    if (out.greedy.length >= request.generate) break;
  }
}
writeFileSync(process.argv[3], JSON.stringify(out));
await llama.dispose();
