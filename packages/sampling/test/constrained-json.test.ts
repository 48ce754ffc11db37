import { describe, expect, it } from 'vitest';
import { llama3Vocabulary } from './llama3-vocabulary.js';
import AjvModule from 'ajv';
import { createRng, type Rng } from '@llmkit/core';
import { jsonSchemaConstraint, regexConstraint, type Constraint } from '../src/constrained/constraint.js';

const enc = new TextEncoder();
// ajv is CommonJS: under NodeNext the default import is the module object.
const AjvClass = ((AjvModule as unknown as { default?: typeof AjvModule }).default ?? AjvModule) as unknown as new (o: object) => { compile(s: object): (v: unknown) => boolean };


/** Synthetic vocabulary: all bytes, JSON pieces, whole and partial UTF-8 characters; EOS last (empty). */
function syntheticVocabulary(): { vocab: Uint8Array[]; eos: number } {
  const vocab: Uint8Array[] = [];
  for (let b = 0; b < 256; b++) vocab.push(Uint8Array.of(b));
  for (const s of ['{"', '":', '",', '"}', '},', '}}', '[', '],', 'true', 'false', 'null', 'nu', 'll', '12', '-0', '.5', 'e+', 'id', 'name', 'tags', 'red', 'green', '"red"', ',"', 'é', 'ñ', '你好', '😀', 'aé', '":"', '\\"', '\\n', 'abc', '2024']) {
    vocab.push(enc.encode(s));
  }
  for (const bytes of [[0xe4, 0xbd], [0xa0], [0xbd, 0xa0], [0x61, 0xc3], [0xa9, 0x22], [0xf0, 0x9f], [0x98, 0x80], [0x9f, 0x98, 0x80, 0x22], [0xc3]]) {
    vocab.push(Uint8Array.from(bytes));
  }
  vocab.push(new Uint8Array(0));
  return { vocab, eos: vocab.length - 1 };
}

const SCHEMAS: object[] = [
  { type: 'object', properties: { id: { type: 'integer' }, name: { type: 'string', maxLength: 12 }, ok: { type: 'boolean' } }, required: ['id', 'name', 'ok'] },
  { type: 'object', properties: { a: { type: 'integer' }, b: { type: 'string', maxLength: 5 }, c: { type: 'null' } }, required: ['b'] },
  { type: 'array', items: { enum: ['red', 'green', 'blue', 3, null] }, minItems: 1, maxItems: 4 },
  { type: 'object', properties: { user: { type: 'object', properties: { first: { type: 'string', maxLength: 8 }, age: { type: 'integer' } }, required: ['first'] }, active: { type: 'boolean' } }, required: ['user', 'active'] },
  { anyOf: [{ type: 'integer' }, { type: 'string', minLength: 1, maxLength: 6 }, { type: 'null' }] },
  { type: 'object', properties: { code: { type: 'string', pattern: '^[A-Z]{2}-[0-9]{3,4}$' }, score: { type: 'number' } }, required: ['code', 'score'] },
  { type: 'array', items: { type: 'object', properties: { x: { type: 'number' }, y: { type: 'number' } }, required: ['x', 'y'] }, maxItems: 3 },
  { oneOf: [{ type: 'object', properties: { kind: { const: 'circle' }, r: { type: 'number' } }, required: ['kind', 'r'] }, { type: 'object', properties: { kind: { const: 'square' }, side: { type: 'integer' } }, required: ['kind', 'side'] }] },
  { type: 'object', properties: { tags: { type: 'array', items: { type: 'string', maxLength: 4 }, maxItems: 3 }, meta: { type: ['string', 'null'], maxLength: 3 }, n: { type: 'integer' } }, required: ['n'] },
  { $defs: { pt: { type: 'array', items: { type: 'integer' }, minItems: 2, maxItems: 2 } }, type: 'object', properties: { from: { $ref: '#/$defs/pt' }, to: { $ref: '#/$defs/pt' }, label: { type: 'string', pattern: '[a-zé]{1,5}' } }, required: ['from', 'to'] },
];

/** Tokens needed from each state to reach acceptance (reverse BFS over distinct next states). */
function distances(c: Constraint): Int32Array {
  const n = c.numStates;
  const rev: number[][] = Array.from({ length: n }, () => []);
  for (let s = 0; s < n; s++) {
    for (const t of new Set(c.nextStates(s))) rev[t]!.push(s);
  }
  const dist = new Int32Array(n).fill(1 << 30);
  const queue: number[] = [];
  for (let s = 0; s < n; s++) if (c.isAccepting(s)) { dist[s] = 0; queue.push(s); }
  for (let q = 0; q < queue.length; q++) {
    const s = queue[q]!;
    for (const p of rev[s]!) if (dist[p] === 1 << 30) { dist[p] = dist[s]! + 1; queue.push(p); }
  }
  return dist;
}

/**
 * Local sampler: random logits (a per-generation normal vector, rotated by a random offset each
 * step), masked by the constraint, softmax + draw. After `randomSteps` steps it completes
 * greedily towards acceptance so every generation terminates.
 */
function generate(c: Constraint, dist: Int32Array, eos: number, rng: Rng, weights: Float64Array, randomSteps: number, checkMask: boolean): number[] {
  const out: number[] = [];
  let state = c.initialState;
  const V = weights.length;
  for (let step = 0; step < 400; step++) {
    const ids = c.allowedTokens(state);
    expect(ids.length).toBeGreaterThan(0);
    const offset = rng.randint(0, V);
    let tok: number;
    if (step < randomSteps) {
      if (checkMask && step === 0) {
        const logits = new Float32Array(V);
        for (let i = 0; i < V; i++) logits[i] = Math.log(weights[(i + offset) % V]!);
        const masked = c.mask(logits, state);
        let finite = 0;
        for (let i = 0; i < V; i++) if (masked[i] !== -Infinity) finite++;
        expect(finite).toBe(ids.length);
      }
      let total = 0;
      for (let i = 0; i < ids.length; i++) total += weights[(ids[i]! + offset) % V]!;
      let r = rng.random() * total;
      tok = ids[ids.length - 1]!;
      for (let i = 0; i < ids.length; i++) {
        r -= weights[(ids[i]! + offset) % V]!;
        if (r < 0) { tok = ids[i]!; break; }
      }
    } else if (c.isAccepting(state)) {
      tok = eos;
    } else {
      const next = c.nextStates(state);
      let best = 1 << 30;
      tok = -1;
      for (let i = 0; i < ids.length; i++) {
        const d = dist[next[i]!]!;
        if (d < best || (d === best && weights[(ids[i]! + offset) % V]! > weights[(tok + offset) % V]!)) { best = d; tok = ids[i]!; }
      }
    }
    if (tok === eos) {
      expect(c.isAccepting(state)).toBe(true);
      return out;
    }
    state = c.advance(state, tok);
    out.push(tok);
  }
  throw new Error('generation did not terminate');
}

function runSchemas(vocab: Uint8Array[], eos: number, perSchema: number, randomSteps: number, seed: number): number {
  const ajv = new AjvClass({ strict: false });
  const rng = createRng(seed);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let done = 0;
  for (const schema of SCHEMAS) {
    const t0 = performance.now();
    const c = jsonSchemaConstraint(schema, vocab, { eosTokenId: eos });
    const t1 = performance.now();
    const dist = distances(c);
    const validate = ajv.compile(schema);
    // One random logit vector per schema; each step rotates it by a fresh random offset.
    const z = rng.normal(vocab.length);
    const weights = new Float64Array(vocab.length);
    for (let i = 0; i < weights.length; i++) weights[i] = Math.exp(3 * z[i]!);
    for (let g = 0; g < perSchema; g++) {
      const toks = generate(c, dist, eos, rng, weights, randomSteps, g === 0);
      const bytes: number[] = [];
      for (const t of toks) bytes.push(...vocab[t]!);
      const text = decoder.decode(Uint8Array.from(bytes));
      const value: unknown = JSON.parse(text);
      expect(validate(value), `${JSON.stringify(schema)}: ${text}`).toBe(true);
      done++;
    }
    if (process.env.CONSTRAINED_TIMING) console.log(`build ${(t1 - t0).toFixed(0)}ms, states ${c.numStates}, gen ${(performance.now() - t1).toFixed(0)}ms`);
  }
  return done;
}

describe('JSON schema constrained generation', () => {
  it('synthetic vocabulary with partial UTF-8 tokens: 700 generations all valid', () => {
    const { vocab, eos } = syntheticVocabulary();
    expect(runSchemas(vocab, eos, 70, 40, 1)).toBe(700);
  });

  it('Llama 3 byte-level vocabulary: 300 generations all valid', () => {
    const { vocab, eos } = llama3Vocabulary();
    expect(vocab.length).toBeGreaterThan(128000);
    expect(runSchemas(vocab, eos, 30, 16, 2)).toBe(300);
  }, 60_000);

  it('regex constraint over the Llama 3 vocabulary', () => {
    const { vocab, eos } = llama3Vocabulary();
    const c = regexConstraint('(?:[0-9]{3}-){2}[0-9]{4}', vocab, { eosTokenId: eos });
    const dec = new TextDecoder();
    for (const id of c.allowedTokens(c.initialState)) expect(dec.decode(vocab[id])).toMatch(/^(?:[0-9]{1,3}(?:-[0-9]{0,3})?)$/);
    expect(c.isAccepting(c.initialState)).toBe(false);
  }, 30_000);
});

describe('generate() with options.constraint', () => {
  it('streams only valid JSON and stops on the constraint EOS (finite schemas, random logits)', async () => {
    const { generateAll } = await import('../src/decoding/generate.js');
    const { vocab, eos } = syntheticVocabulary();
    const finiteSchemas = [SCHEMAS[2]!, { type: 'object', properties: { ok: { type: 'boolean' }, c: { enum: ['red', 'green', null] } }, required: ['ok', 'c'] }];
    const dec = new TextDecoder();
    for (const schema of finiteSchemas) {
      const c = jsonSchemaConstraint(schema, vocab, { eosTokenId: eos });
      const validate = new AjvClass({ strict: false }).compile(schema);
      for (let seed = 0; seed < 25; seed++) {
        const stepRng = createRng(1000 + seed);
        // A model stand-in: fresh random logits over the whole vocabulary each step.
        const stepFn = async (seqs: number[][]) => seqs.map(() => stepRng.normal(vocab.length, 0, 2));
        const result = await generateAll(stepFn, { prompt: [0], maxNewTokens: 400, seed, constraint: c, config: { temperature: 1, topK: 20 } });
        expect(result.finishReason).toBe('stop');
        expect(result.tokenIds.at(-1)).toBe(eos);
        const bytes = result.tokenIds.slice(0, -1).flatMap((t) => Array.from(vocab[t]!));
        const value = JSON.parse(dec.decode(Uint8Array.from(bytes)));
        expect(validate(value), JSON.stringify(value)).toBe(true);
      }
    }
  });
});
