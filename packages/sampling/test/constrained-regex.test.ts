import { describe, expect, it } from 'vitest';
import { createRng } from '@llmkit/core';
import { InvalidArgumentError } from '@llmkit/core/errors';
import { regexToDfa, dfaMatches, dfaWalk } from '../src/constrained/automaton.js';
import { jsonSchemaToRegex } from '../src/constrained/json-schema.js';
import { regexConstraint, jsonSchemaConstraint } from '../src/constrained/constraint.js';

const enc = new TextEncoder();

const PATTERNS = [
  'abc', 'a|b|cd', '(ab)*c?', 'a+b{2,3}', '[a-c]{1,4}x*', '[^a-c]', '[^abc]+', '.', '.{2,3}',
  '\\d+(\\.\\d{1,2})?', '\\w+@\\w+\\.com', '\\s*x\\s*', '[\\s\\S]{0,2}', '\\S\\D\\W',
  '[é-ü]+', '[α-ω]*[^α-ω]', '[\\u0100-\\uFFFF]', '(?:你|好)+', '[😀-😂]?!', 'a{3}', 'a{2,}',
  '(?<n>x|y)z', '\\x41\\u00e9\\u{1F600}', '[\\-\\]\\\\]+', 'a.b', '(a|ab)(c|bcd)(d*)', '^ab$',
  '[^\\x00-\\x7f]+', '(a?){3}b',
];
const ALPHABET = ['a', 'b', 'c', 'd', 'x', 'y', 'z', '1', '9', '.', '@', ' ', '\t', '\n', 'é', 'ü', 'ñ', 'α', 'ω',
  '你', '好', '😀', '😂', '!', '-', ']', '\\', 'A', '_', 'm', 'o', '\u00a0', '\u2028', '\r'];

describe('regex automaton vs RegExp full match', () => {
  it('agrees on random strings for every pattern', () => {
    const rng = createRng(7);
    let positives = 0;
    for (const p of PATTERNS) {
      const dfa = regexToDfa(p);
      const re = new RegExp(`^(?:${p.replace(/^\^|\$$/g, '')})$`, 'u');
      const check = (s: string) => {
        expect(dfaMatches(dfa, enc.encode(s)), `${p} on ${JSON.stringify(s)}`).toBe(re.test(s));
        if (re.test(s)) positives++;
      };
      for (let i = 0; i < 300; i++) {
        const len = rng.randint(0, 6);
        let s = '';
        for (let j = 0; j < len; j++) s += ALPHABET[rng.randint(0, ALPHABET.length)]!;
        check(s);
      }
      // Random walks through the DFA produce (mostly) matching strings.
      for (let i = 0; i < 100; i++) {
        const bytes: number[] = [];
        let st = 0;
        for (let step = 0; step < 12; step++) {
          if (dfa.accepting[st] && rng.random() < 0.3) break;
          const opts: number[] = [];
          for (let b = 0; b < 256; b++) if (dfa.transitions[st * 256 + b]! >= 0) opts.push(b);
          if (opts.length === 0) break;
          const b = opts[rng.randint(0, opts.length)]!;
          bytes.push(b);
          st = dfa.transitions[st * 256 + b]!;
        }
        if (!dfa.accepting[st]) continue;
        const s = new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(bytes));
        check(s);
      }
    }
    expect(positives).toBeGreaterThan(1000);
  });

  it('rejects invalid UTF-8 and surrogates, accepts partial characters as live prefixes', () => {
    const dot = regexToDfa('.');
    expect(dfaMatches(dot, new Uint8Array([0xc3]))).toBe(false);
    expect(dfaWalk(dot, new Uint8Array([0xc3]))).toBeGreaterThanOrEqual(0); // live prefix
    expect(dfaWalk(dot, new Uint8Array([0xed, 0xa0]))).toBe(-1); // surrogate lead
    expect(dfaWalk(dot, new Uint8Array([0x80]))).toBe(-1);
    expect(dfaWalk(dot, new Uint8Array([0xc0]))).toBe(-1); // overlong
    expect(dfaMatches(dot, new Uint8Array([0xf4, 0x8f, 0xbf, 0xbf]))).toBe(true);
    expect(dfaWalk(dot, new Uint8Array([0xf4, 0x90]))).toBe(-1); // above U+10FFFF
  });
});

describe('errors', () => {
  it.each([
    ['(?=a)b', 'lookahead'], ['(?!a)b', 'lookahead'], ['(?<=a)b', 'lookbehind'], ['(?<!a)b', 'lookbehind'],
    ['(a)\\1', 'backreference'], ['(?<x>a)\\k<x>', 'backreference'], ['\\bfoo', 'word boundary'],
    ['a^b', 'anchor'], ['a$b', 'anchor'], ['\\p{L}', 'Unicode property'], ['(?i)a', 'inline flags'],
  ])('rejects %s naming %s', (p, what) => {
    expect(() => regexToDfa(p)).toThrow(InvalidArgumentError);
    expect(() => regexToDfa(p)).toThrow(what);
  });

  it.each(['(a', 'a)', '*a', '[a', 'a{3,1}', '\\q', '[z-a]'])('rejects malformed %s', (p) => {
    expect(() => regexToDfa(p)).toThrow(InvalidArgumentError);
  });

  it('rejects unsupported schema keywords, listing supported ones', () => {
    expect(() => jsonSchemaToRegex({ type: 'number', minimum: 0 })).toThrow(/unsupported keyword\(s\) "minimum".*Supported: type, properties/);
    expect(() => jsonSchemaToRegex({ allOf: [] })).toThrow(InvalidArgumentError);
    expect(() => jsonSchemaToRegex({})).toThrow(/any JSON value/);
    expect(() => jsonSchemaToRegex({ type: 'array' })).toThrow(/items/);
    expect(() => jsonSchemaToRegex({ type: 'string', pattern: '.*' })).toThrow(/JSON escaping/);
    expect(() => jsonSchemaToRegex({ type: 'object', properties: {}, required: ['a'] })).toThrow(/required/);
    expect(() => jsonSchemaToRegex({ $ref: '#/$defs/n', $defs: { n: { type: 'array', items: { $ref: '#/$defs/n' } } } })).toThrow(/recursive/);
  });

  it('validates constraint options and tokens', () => {
    const vocab = [enc.encode('a'), enc.encode('b'), new Uint8Array(0)];
    expect(() => regexConstraint('a', vocab, { eosTokenId: 3 })).toThrow(/eosTokenId/);
    expect(() => regexConstraint('a', vocab, undefined as never)).toThrow(/eosTokenId/);
    expect(() => regexConstraint('a', ['a'] as never, { eosTokenId: 0 })).toThrow(/vocabulary/);
    const c = regexConstraint('a', vocab, { eosTokenId: 2 });
    expect(() => c.advance(c.initialState, 1)).toThrow(/not allowed/);
    expect(() => c.advance(c.initialState, 2)).toThrow(/not allowed/); // EOS before acceptance
    expect(() => c.allowedTokens(99)).toThrow(/state/);
    expect(() => c.mask(new Float32Array(2), 0)).toThrow(/length 3/);
    expect(() => jsonSchemaConstraint({ type: 'foo' }, vocab, { eosTokenId: 2 })).toThrow(/unknown "type"/);
  });

  it('handles EOS and the final state', () => {
    const vocab = [enc.encode('a'), enc.encode('aa'), enc.encode('b'), new Uint8Array(0)];
    const c = regexConstraint('a{1,3}', vocab, { eosTokenId: 3 });
    expect(Array.from(c.allowedTokens(c.initialState))).toEqual([0, 1]);
    const s1 = c.advance(c.initialState, 1);
    expect(c.isAccepting(s1)).toBe(true);
    expect(Array.from(c.allowedTokens(s1))).toEqual([0, 3]);
    const fin = c.advance(s1, 3);
    expect(Array.from(c.allowedTokens(fin))).toEqual([3]);
    const m = c.mask(new Float32Array([1, 2, 3, 4]), s1);
    expect(Array.from(m)).toEqual([1, -Infinity, -Infinity, 4]);
  });
});
