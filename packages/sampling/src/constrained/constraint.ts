/**
 * Token-level constraints for structured decoding (Outlines-style): a byte DFA plus a token index
 * that lists, for every DFA state, the allowed token ids and the state each one leads to. The
 * index is built once by walking a byte trie of the vocabulary from every state (pruned where
 * the DFA rejects); each decoding step is then a lookup.
 */
import { InvalidArgumentError } from '@llmkit/core/errors';
import { regexToDfa, type ByteDfa } from './automaton.js';
import { jsonSchemaToRegex } from './json-schema.js';

/** Options of {@link regexConstraint} and {@link jsonSchemaConstraint}. */
export interface ConstraintOptions {
  /** End-of-sequence token id(s); allowed only in accepting states. Their vocabulary bytes are ignored. */
  eosTokenId: number | number[];
}

/**
 * A token-level constraint. States are small integers; `initialState` starts a sequence. After
 * an EOS token the constraint is in a final state that allows only EOS.
 */
export interface Constraint {
  readonly initialState: number;
  /** Number of states (DFA states plus the final state). */
  readonly numStates: number;
  readonly vocabSize: number;
  /** The end-of-sequence ids the constraint was built with (allowed once the text is a complete match). */
  readonly eosTokenIds: readonly number[];
  /** Allowed token ids in `state`, ascending (EOS included in accepting states). Do not mutate. */
  allowedTokens(state: number): Int32Array;
  /** Next states, parallel to `allowedTokens(state)`. Do not mutate. */
  nextStates(state: number): Int32Array;
  /** Copy of `logits` [vocab] with every disallowed token set to `-Infinity`. */
  mask(logits: Float32Array, state: number): Float32Array;
  /** The state after `tokenId`; throws when the token is not allowed. */
  advance(state: number, tokenId: number): number;
  /** True when the text so far is a complete match (EOS is allowed). */
  isAccepting(state: number): boolean;
}

interface Trie {
  /** per node: first child, next sibling, byte, first token id ending here (-1 none). */
  firstChild: Int32Array;
  nextSibling: Int32Array;
  byte: Uint8Array;
  tokenHead: Int32Array;
  /** per token: next token with the same bytes. */
  tokenNext: Int32Array;
  size: number;
}

function buildTrie(vocabulary: Uint8Array[], skip: Set<number>): Trie {
  let cap = 1024;
  let firstChild = new Int32Array(cap).fill(-1);
  let nextSibling = new Int32Array(cap).fill(-1);
  let byte = new Uint8Array(cap);
  let tokenHead = new Int32Array(cap).fill(-1);
  const tokenNext = new Int32Array(vocabulary.length).fill(-1);
  let size = 1;
  const grow = () => {
    cap *= 2;
    const g = (a: Int32Array) => { const b = new Int32Array(cap).fill(-1); b.set(a); return b; };
    firstChild = g(firstChild);
    nextSibling = g(nextSibling);
    tokenHead = g(tokenHead);
    const nb = new Uint8Array(cap);
    nb.set(byte);
    byte = nb;
  };
  for (let id = 0; id < vocabulary.length; id++) {
    const bytes = vocabulary[id]!;
    if (bytes.length === 0 || skip.has(id)) continue;
    let node = 0;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      let c = firstChild[node]!;
      while (c >= 0 && byte[c] !== b) c = nextSibling[c]!;
      if (c < 0) {
        if (size >= cap) grow();
        c = size++;
        byte[c] = b;
        nextSibling[c] = firstChild[node]!;
        firstChild[node] = c;
      }
      node = c;
    }
    tokenNext[id] = tokenHead[node]!;
    tokenHead[node] = id;
  }
  return { firstChild, nextSibling, byte, tokenHead, tokenNext, size };
}

class IndexedConstraint implements Constraint {
  readonly initialState = 0;
  readonly numStates: number;
  readonly vocabSize: number;
  readonly eosTokenIds: readonly number[];
  private readonly finalState: number;
  private readonly allowed: Int32Array[];
  private readonly next: Int32Array[];
  private readonly accepting: Uint8Array;

  constructor(dfa: ByteDfa, vocabulary: Uint8Array[], eos: number[]) {
    this.vocabSize = vocabulary.length;
    this.finalState = dfa.numStates;
    this.numStates = dfa.numStates + 1;
    this.accepting = new Uint8Array(this.numStates);
    this.accepting.set(dfa.accepting);
    this.accepting[this.finalState] = 1;
    const eosSorted = Int32Array.from(new Set(eos)).sort();
    this.eosTokenIds = Object.freeze(Array.from(eosSorted));
    const trie = buildTrie(vocabulary, new Set(eos));
    this.allowed = [];
    this.next = [];
    const nextByToken = new Int32Array(vocabulary.length);
    let ids = new Int32Array(1024);
    const nodeStack: number[] = [];
    const stateStack: number[] = [];
    for (let s = 0; s < dfa.numStates; s++) {
      let count = 0;
      const push = (t: number, st: number) => {
        if (count === ids.length) {
          const grown = new Int32Array(ids.length * 2);
          grown.set(ids);
          ids = grown;
        }
        ids[count++] = t;
        nextByToken[t] = st;
      };
      // DFS over the trie, tracking the DFA state reached at each node.
      nodeStack.push(0);
      stateStack.push(s);
      while (nodeStack.length > 0) {
        const node = nodeStack.pop()!;
        const st = stateStack.pop()!;
        for (let t = trie.tokenHead[node]!; t >= 0; t = trie.tokenNext[t]!) push(t, st);
        const base = st * 256;
        for (let c = trie.firstChild[node]!; c >= 0; c = trie.nextSibling[c]!) {
          const ns = dfa.transitions[base + trie.byte[c]!]!;
          if (ns >= 0) {
            nodeStack.push(c);
            stateStack.push(ns);
          }
        }
      }
      if (dfa.accepting[s]) for (const e of eosSorted) push(e, this.finalState);
      const sorted = ids.slice(0, count).sort();
      const nx = new Int32Array(count);
      for (let i = 0; i < count; i++) nx[i] = nextByToken[sorted[i]!]!;
      this.allowed.push(sorted);
      this.next.push(nx);
    }
    this.allowed.push(eosSorted);
    this.next.push(new Int32Array(eosSorted.length).fill(this.finalState));
  }

  private check(state: number): void {
    if (!Number.isInteger(state) || state < 0 || state >= this.numStates) {
      throw new InvalidArgumentError(`constraint: state must be an integer in [0, ${this.numStates}), got ${state}; use initialState or a value returned by advance().`);
    }
  }

  allowedTokens(state: number): Int32Array {
    this.check(state);
    return this.allowed[state]!;
  }

  nextStates(state: number): Int32Array {
    this.check(state);
    return this.next[state]!;
  }

  mask(logits: Float32Array, state: number): Float32Array {
    this.check(state);
    if (!(logits instanceof Float32Array) || logits.length !== this.vocabSize) {
      throw new InvalidArgumentError(`constraint.mask: logits must be a Float32Array of length ${this.vocabSize} (the vocabulary size).`);
    }
    const out = new Float32Array(logits.length).fill(-Infinity);
    const ids = this.allowed[state]!;
    for (let i = 0; i < ids.length; i++) out[ids[i]!] = logits[ids[i]!]!;
    return out;
  }

  advance(state: number, tokenId: number): number {
    this.check(state);
    const ids = this.allowed[state]!;
    let lo = 0;
    let hi = ids.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = ids[mid]!;
      if (v === tokenId) return this.next[state]![mid]!;
      if (v < tokenId) lo = mid + 1;
      else hi = mid - 1;
    }
    throw new InvalidArgumentError(`constraint.advance: token ${tokenId} is not allowed in state ${state}; pick a token from allowedTokens(state) or mask the logits first.`);
  }

  isAccepting(state: number): boolean {
    this.check(state);
    return this.accepting[state] === 1;
  }
}

function validate(vocabulary: Uint8Array[], options: ConstraintOptions | undefined, fn: string): number[] {
  if (!Array.isArray(vocabulary) || vocabulary.some((t) => !(t instanceof Uint8Array))) {
    throw new InvalidArgumentError(`${fn}: vocabulary must be an array of Uint8Array (token bytes by id; give special tokens as empty arrays).`);
  }
  if (options === undefined || options.eosTokenId === undefined) {
    throw new InvalidArgumentError(`${fn}: options.eosTokenId is required; pass the end-of-sequence token id(s).`);
  }
  const eos = Array.isArray(options.eosTokenId) ? options.eosTokenId : [options.eosTokenId];
  if (eos.length === 0) throw new InvalidArgumentError(`${fn}: options.eosTokenId must not be an empty array.`);
  for (const e of eos) {
    if (!Number.isInteger(e) || e < 0 || e >= vocabulary.length) {
      throw new InvalidArgumentError(`${fn}: options.eosTokenId ${e} is not a token id in [0, ${vocabulary.length}).`);
    }
  }
  return eos;
}

/**
 * Builds a token-level constraint that forces generated text (as UTF-8 bytes) to fully match
 * `pattern` (syntax: see `regex-parser.ts`). Empty vocabulary entries (special tokens) are never allowed.
 *
 * @throws InvalidArgumentError (`invalid_argument`) on unsupported regex constructs, a bad
 *   vocabulary or a bad `eosTokenId`.
 * @example
 * const c = regexConstraint('[0-9]{1,3}', vocabulary, { eosTokenId: 2 });
 * const masked = c.mask(logits, c.initialState);
 */
export function regexConstraint(pattern: string, vocabulary: Uint8Array[], options: ConstraintOptions): Constraint {
  const eos = validate(vocabulary, options, 'regexConstraint');
  return new IndexedConstraint(regexToDfa(pattern), vocabulary, eos);
}

/**
 * Builds a token-level constraint whose outputs are compact JSON valid under `schema` (supported
 * keywords and whitespace policy: see `json-schema.ts`).
 *
 * @throws InvalidArgumentError (`invalid_argument`) on unsupported schema keywords (listing the
 *   supported ones), a bad vocabulary or a bad `eosTokenId`.
 * @example
 * const c = jsonSchemaConstraint({ type: 'array', items: { enum: ['a', 'b'] } }, vocabulary, { eosTokenId: 2 });
 * let state = c.initialState;
 * state = c.advance(state, c.allowedTokens(state)[0]!);
 */
export function jsonSchemaConstraint(schema: object, vocabulary: Uint8Array[], options: ConstraintOptions): Constraint {
  const eos = validate(vocabulary, options, 'jsonSchemaConstraint');
  return new IndexedConstraint(regexToDfa(jsonSchemaToRegex(schema)), vocabulary, eos);
}
