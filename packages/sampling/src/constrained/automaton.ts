/**
 * Byte automata for constrained decoding: Thompson NFA from the regex AST, then a deterministic
 * automaton by subset construction, with states that cannot reach an accepting state removed,
 * then minimised by partition refinement (Moore).
 */
import { InvalidArgumentError } from '@llmkit/core/errors';
import { parseRegex, type RegexNode } from './regex-parser.js';

/** A deterministic automaton over bytes. Dead transitions are `-1`. */
export interface ByteDfa {
  /** Number of states; state 0 is the start state. */
  readonly numStates: number;
  /** `transitions[state * 256 + byte]` is the next state or -1. */
  readonly transitions: Int32Array;
  /** 1 where the state accepts. */
  readonly accepting: Uint8Array;
}

const MAX_NFA_STATES = 2_000_000;
const MAX_DFA_STATES = 200_000;

class Nfa {
  eps: number[][] = [];
  edges: Array<Array<[number, number, number]>> = [];
  add(): number {
    if (this.eps.length >= MAX_NFA_STATES) {
      throw new InvalidArgumentError(`regex: pattern too large (over ${MAX_NFA_STATES} NFA states); reduce repetition counts.`);
    }
    this.eps.push([]);
    this.edges.push([]);
    return this.eps.length - 1;
  }
}

/** Builds a fragment for `node` from `start`; returns its end state. */
function build(nfa: Nfa, node: RegexNode, start: number): number {
  switch (node.kind) {
    case 'bytes': {
      const end = nfa.add();
      nfa.edges[start]!.push([node.lo, node.hi, end]);
      return end;
    }
    case 'seq': {
      let cur = start;
      for (const item of node.items) cur = build(nfa, item, cur);
      return cur;
    }
    case 'alt': {
      const end = nfa.add();
      for (const item of node.items) {
        const s = nfa.add();
        nfa.eps[start]!.push(s);
        nfa.eps[build(nfa, item, s)]!.push(end);
      }
      return end;
    }
    case 'repeat': {
      let cur = start;
      for (let i = 0; i < node.min; i++) cur = build(nfa, node.node, cur);
      if (node.max === -1) {
        const loop = nfa.add();
        nfa.eps[cur]!.push(loop);
        const bodyEnd = build(nfa, node.node, loop);
        nfa.eps[bodyEnd]!.push(loop);
        const end = nfa.add();
        nfa.eps[loop]!.push(end);
        return end;
      }
      const end = nfa.add();
      for (let i = node.min; i < node.max; i++) {
        nfa.eps[cur]!.push(end);
        cur = build(nfa, node.node, cur);
      }
      nfa.eps[cur]!.push(end);
      return end;
    }
  }
}

function closure(nfa: Nfa, seeds: number[], mark: Int32Array, stamp: number): number[] {
  const out: number[] = [];
  const stack = seeds.slice();
  while (stack.length > 0) {
    const s = stack.pop()!;
    if (mark[s] === stamp) continue;
    mark[s] = stamp;
    out.push(s);
    for (const t of nfa.eps[s]!) if (mark[t] !== stamp) stack.push(t);
  }
  return out.sort((a, b) => a - b);
}

/**
 * Compiles a regex AST to a deterministic byte automaton (Thompson NFA + subset construction);
 * states that cannot reach acceptance are dropped.
 *
 * @throws InvalidArgumentError (`invalid_argument`) when the automaton would be too large.
 * @example
 * const dfa = compileDfa(parseRegex('ab+'));
 */
export function compileDfa(ast: RegexNode): ByteDfa {
  const nfa = new Nfa();
  const start = nfa.add();
  const accept = build(nfa, ast, start);
  const mark = new Int32Array(nfa.eps.length).fill(-1);
  let stamp = 0;
  const sets: number[][] = [];
  const ids = new Map<string, number>();
  const trans: number[] = [];
  const acc: number[] = [];
  const intern = (set: number[]): number => {
    const key = set.join(',');
    let id = ids.get(key);
    if (id === undefined) {
      if (sets.length >= MAX_DFA_STATES) {
        throw new InvalidArgumentError(`regex: automaton too large (over ${MAX_DFA_STATES} states); simplify the pattern or schema.`);
      }
      id = sets.length;
      ids.set(key, id);
      sets.push(set);
      acc.push(set.includes(accept) ? 1 : 0);
    }
    return id;
  };
  intern(closure(nfa, [start], mark, stamp++));
  const targets: number[][] = Array.from({ length: 256 }, () => []);
  for (let d = 0; d < sets.length; d++) {
    for (const t of targets) t.length = 0;
    for (const s of sets[d]!) {
      for (const [lo, hi, to] of nfa.edges[s]!) for (let b = lo; b <= hi; b++) targets[b]!.push(to);
    }
    for (let b = 0; b < 256; b++) {
      const t = targets[b]!;
      trans[d * 256 + b] = t.length === 0 ? -1 : intern(closure(nfa, t, mark, stamp++));
    }
  }
  return minimize(pruneDead(sets.length, Int32Array.from(trans), Uint8Array.from(acc)));
}

/** Removes states that cannot reach an accepting state and renumbers (start stays 0 when live). */
function pruneDead(n: number, trans: Int32Array, acc: Uint8Array): ByteDfa {
  const rev: number[][] = Array.from({ length: n }, () => []);
  for (let s = 0; s < n; s++) {
    for (let b = 0; b < 256; b++) {
      const t = trans[s * 256 + b]!;
      if (t >= 0) rev[t]!.push(s);
    }
  }
  const live = new Uint8Array(n);
  const stack: number[] = [];
  for (let s = 0; s < n; s++) if (acc[s]) { live[s] = 1; stack.push(s); }
  while (stack.length > 0) {
    const s = stack.pop()!;
    for (const p of rev[s]!) if (!live[p]) { live[p] = 1; stack.push(p); }
  }
  if (!live[0]) {
    throw new InvalidArgumentError('regex: the pattern matches no string (empty language).');
  }
  const map = new Int32Array(n).fill(-1);
  let m = 0;
  for (let s = 0; s < n; s++) if (live[s]) map[s] = m++;
  const transitions = new Int32Array(m * 256).fill(-1);
  const accepting = new Uint8Array(m);
  for (let s = 0; s < n; s++) {
    const ns = map[s]!;
    if (ns < 0) continue;
    accepting[ns] = acc[s]!;
    for (let b = 0; b < 256; b++) {
      const t = trans[s * 256 + b]!;
      if (t >= 0) transitions[ns * 256 + b] = map[t]!;
    }
  }
  return { numStates: m, transitions, accepting };
}

/**
 * Parses and compiles a regex (see `regex-parser.ts` for the syntax) to a byte DFA.
 *
 * @throws InvalidArgumentError (`invalid_argument`) on syntax errors or unsupported constructs.
 * @example
 * const dfa = regexToDfa('\\d{3}');
 * dfaMatches(dfa, new TextEncoder().encode('123')); // true
 */
export function regexToDfa(pattern: string): ByteDfa {
  return compileDfa(parseRegex(pattern));
}

/**
 * Runs `bytes` through `dfa` from state 0 (or `from`); returns the end state or -1 when rejected.
 *
 * @example
 * const s = dfaWalk(regexToDfa('ab'), new Uint8Array([97]));
 */
export function dfaWalk(dfa: ByteDfa, bytes: Uint8Array, from = 0): number {
  let s = from;
  for (let i = 0; i < bytes.length && s >= 0; i++) s = dfa.transitions[s * 256 + bytes[i]!]!;
  return s;
}

/**
 * True when the whole of `bytes` matches.
 *
 * @example
 * dfaMatches(regexToDfa('a|b'), new Uint8Array([98])); // true
 */
export function dfaMatches(dfa: ByteDfa, bytes: Uint8Array): boolean {
  const s = dfaWalk(dfa, bytes);
  return s >= 0 && dfa.accepting[s] === 1;
}

/** Moore partition refinement; state 0 stays the start state. */
function minimize(dfa: ByteDfa): ByteDfa {
  const n = dfa.numStates;
  let cls = Int32Array.from(dfa.accepting);
  let numCls = new Set(cls).size;
  for (;;) {
    const ids = new Map<string, number>();
    const next = new Int32Array(n);
    for (let s = 0; s < n; s++) {
      const parts: number[] = [cls[s]!];
      for (let b = 0; b < 256; b++) {
        const t = dfa.transitions[s * 256 + b]!;
        parts.push(t < 0 ? -1 : cls[t]!);
      }
      const key = parts.join(',');
      let id = ids.get(key);
      if (id === undefined) {
        id = ids.size;
        ids.set(key, id);
      }
      next[s] = id;
    }
    cls = next;
    if (ids.size === numCls) break;
    numCls = ids.size;
  }
  // Renumber so the start state's class is 0.
  const map = new Int32Array(numCls).fill(-1);
  let m = 0;
  map[cls[0]!] = m++;
  for (let s = 0; s < n; s++) if (map[cls[s]!]! < 0) map[cls[s]!] = m++;
  const transitions = new Int32Array(m * 256).fill(-1);
  const accepting = new Uint8Array(m);
  for (let s = 0; s < n; s++) {
    const c = map[cls[s]!]!;
    accepting[c] = dfa.accepting[s]!;
    for (let b = 0; b < 256; b++) {
      const t = dfa.transitions[s * 256 + b]!;
      if (t >= 0) transitions[c * 256 + b] = map[cls[t]!]!;
    }
  }
  return { numStates: m, transitions, accepting };
}
