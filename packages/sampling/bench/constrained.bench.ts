// Constrained decoding: token-index build time over the Llama 3 vocabulary (128,256 tokens) and
// per-step masking overhead.
//
// Run: npx tsx --conditions=@llmkit/source packages/sampling/bench/constrained.bench.ts
//
// Build: regexConstraint / jsonSchemaConstraint end to end (regex -> byte DFA -> token index),
// best of 3; peer "none". Masking: cost per decoding step of mask(logits, state) + advance on a
// fixed 64-step path through a JSON-schema constraint. Peer: a naive per-step scan that walks
// every token's bytes through the DFA from the current state to build the mask (what a
// constraint without a precomputed index does). Both produce the same masked logits (checked).
import { createRng } from '@llmkit/core';
import { regexConstraint, jsonSchemaConstraint } from '../src/constrained/constraint.js';
import { regexToDfa } from '../src/constrained/automaton.js';
import { jsonSchemaToRegex } from '../src/constrained/json-schema.js';
import { llama3Vocabulary } from '../test/llama3-vocabulary.js';

const { vocab, eos } = llama3Vocabulary();

const SCHEMA = {
  type: 'object',
  properties: {
    name: { type: 'string', maxLength: 20 },
    age: { type: 'integer' },
    email: { type: 'string', pattern: '[a-z0-9.]+@[a-z]+\\.(com|org)' },
    tags: { type: 'array', items: { enum: ['admin', 'user', 'guest'] }, maxItems: 3 },
    active: { type: 'boolean' },
    score: { anyOf: [{ type: 'number' }, { type: 'null' }] },
  },
  required: ['name', 'age', 'active'],
};
const REGEX = '(?:19|20)[0-9]{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])T[0-9]{2}:[0-9]{2}(?::[0-9]{2})?Z';

function best(fn: () => void, reps = 3): number {
  let b = Infinity;
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    fn();
    b = Math.min(b, performance.now() - t);
  }
  return b;
}

function line(bench: string, ours: number, peer: string, peerValue: number | null, unit: string): void {
  console.log(JSON.stringify({ bench, ours: +ours.toFixed(3), peer, peerValue: peerValue === null ? null : +peerValue.toFixed(3), ratio: peerValue === null ? null : +(ours / peerValue).toFixed(4), unit }));
}

let c = jsonSchemaConstraint(SCHEMA, vocab, { eosTokenId: eos });
line('sampling/constrained-index-build-json-schema-llama3', best(() => { c = jsonSchemaConstraint(SCHEMA, vocab, { eosTokenId: eos }); }), 'none', null, 'ms');
line('sampling/constrained-index-build-regex-llama3', best(() => regexConstraint(REGEX, vocab, { eosTokenId: eos })), 'none', null, 'ms');

// A fixed 64-step path: random allowed tokens.
const rng = createRng(0);
const path: Array<[number, number]> = [];
let st = c.initialState;
for (let i = 0; i < 64; i++) {
  const ids = c.allowedTokens(st);
  const t = ids[rng.randint(0, ids.length)]!;
  if (t === eos) break;
  path.push([st, t]);
  st = c.advance(st, t);
}
const logits = Float32Array.from(rng.normal(vocab.length));
const dfa = regexToDfa(jsonSchemaToRegex(SCHEMA));

// Check the naive mask equals ours on the first step (up to EOS, which the naive scan ignores).
function naiveMask(dfaState: number): Float32Array {
  const out = new Float32Array(vocab.length).fill(-Infinity);
  for (let id = 0; id < vocab.length; id++) {
    const bytes = vocab[id]!;
    if (bytes.length === 0) continue;
    let s = dfaState;
    for (let i = 0; i < bytes.length && s >= 0; i++) s = dfa.transitions[s * 256 + bytes[i]!]!;
    if (s >= 0) out[id] = logits[id]!;
  }
  return out;
}
const a = c.mask(logits, c.initialState);
const b = naiveMask(0);
for (let i = 0; i < vocab.length; i++) if (i !== eos && a[i] !== b[i]) throw new Error(`mask mismatch at ${i}`);

let sink = 0;
const ours = best(() => {
  for (const [s, t] of path) {
    const m = c.mask(logits, s);
    sink += m[t]!;
    c.advance(s, t);
  }
}, 5) / path.length;
// The naive scan tracks the DFA state itself (walking the chosen token's bytes).
const peer = best(() => {
  let s = 0;
  for (const [, t] of path) {
    const m = naiveMask(s);
    sink += m[t]!;
    const bytes = vocab[t]!;
    for (let i = 0; i < bytes.length; i++) s = dfa.transitions[s * 256 + bytes[i]!]!;
  }
}, 3) / path.length;
line('sampling/constrained-mask-per-step-llama3', ours * 1000, 'naive per-step vocabulary scan through the DFA', peer * 1000, 'us/token');
if (Number.isNaN(sink)) console.log('');
