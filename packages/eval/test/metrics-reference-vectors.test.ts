/**
 * Parity with the shared reference vectors (/work/shared/reference/metric-vectors.json): sacreBLEU
 * BLEU/chrF/chrF++ and its 13a tokenizer, rouge-score ROUGE and NLTK Porter stems, SQuAD EM/F1,
 * lm-eval acc/acc_norm/perplexity/bits-per-byte. The FastChat and Ragas blocks are tested by the
 * arena and RAG-metrics tests. Skips with a message when the folder is absent (a user's clone).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  bitsPerByte,
  bytePerplexity,
  computeBleu,
  corpusBleu,
  corpusChrf,
  countBytes,
  countWords,
  normalizeSquadAnswer,
  perplexity,
  porterStem,
  RougeScorer,
  sentenceBleu,
  sentenceChrf,
  squadExactMatch,
  squadF1,
  tokenize13a,
  wordPerplexity,
  type BleuOptions,
  type ChrfOptions,
  type RougeType,
} from '../src/index.js';
import { multipleChoiceMetrics } from '../src/harness/scoring.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../..');
const referencePath = path.resolve(repoRoot, '../shared/reference/metric-vectors.json');
const hasReference = existsSync(referencePath);
if (!hasReference) console.warn(`[metrics-reference-vectors] ${referencePath} is absent: skipping the metric parity tests.`);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const ref: any = hasReference ? JSON.parse(readFileSync(referencePath, 'utf8')) : {};

/** |actual - expected| <= rtol * |expected| (exact when expected is 0). */
function expectRel(actual: number, expected: number, rtol = 1e-9, label = ''): void {
  const err = Math.abs(actual - expected);
  const bound = rtol * Math.abs(expected);
  if (!(err <= bound)) throw new Error(`${label}: got ${actual}, expected ${expected} (|diff| ${err} > ${bound})`);
}

function expectAbs(actual: number, expected: number, atol: number, label = ''): void {
  const err = Math.abs(actual - expected);
  if (!(err <= atol)) throw new Error(`${label}: got ${actual}, expected ${expected} (|diff| ${err} > ${atol})`);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function bleuOpts(o: any): BleuOptions {
  const out: BleuOptions = {};
  if (o.tokenize !== undefined) out.tokenize = o.tokenize;
  if (o.smooth_method !== undefined) out.smoothMethod = o.smooth_method;
  if (o.smooth_value !== undefined && o.smooth_value !== null) out.smoothValue = o.smooth_value;
  if (o.lowercase !== undefined) out.lowercase = o.lowercase;
  if (o.effective_order !== undefined) out.effectiveOrder = o.effective_order;
  return out;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function chrfOpts(o: any): ChrfOptions {
  const out: ChrfOptions = {};
  if (o.char_order !== undefined) out.charOrder = o.char_order;
  if (o.word_order !== undefined) out.wordOrder = o.word_order;
  if (o.beta !== undefined) out.beta = o.beta;
  if (o.eps_smoothing !== undefined) out.epsSmoothing = o.eps_smoothing;
  if (o.remove_whitespace !== undefined) out.whitespace = !o.remove_whitespace;
  if (o.lowercase !== undefined) out.lowercase = o.lowercase;
  return out;
}

describe.skipIf(!hasReference)('sacreBLEU official test vectors (metric-vectors.json)', () => {
  const off = ref.sacrebleu?.official;

  it('raw_corpus_bleu (floor 0.01, tokenize none, effective order)', () => {
    for (const c of off['raw_corpus_bleu_floor0.01_tok_none']) {
      const r = corpusBleu(c.hyps, c.refs, { smoothMethod: 'floor', smoothValue: 0.01, tokenize: 'none', effectiveOrder: true });
      expectAbs(r.score / 100, c.expected_fraction, 1e-8, JSON.stringify(c.hyps));
    }
  });

  it('statistics of "am I am a character sequence"', () => {
    const c = off.raw_corpus_bleu_statistics;
    const r = corpusBleu(c.hyps, c.refs, { smoothMethod: 'floor', smoothValue: 0.1, tokenize: 'none', effectiveOrder: true });
    expect(r.counts).toEqual(c.counts);
    expect(r.totals).toEqual(c.totals);
    expectAbs(r.score / 100, c['score_fraction_floor0.1'], 1e-10, 'floor 0.1');
    const r0 = corpusBleu(c.hyps, c.refs, { smoothMethod: 'floor', smoothValue: 0.0, tokenize: 'none', effectiveOrder: true });
    expectAbs(r0.score / 100, c['score_fraction_floor0.0'], 1e-10, 'floor 0.0');
  });

  it('compute_bleu from statistics, and degenerate floor cases', () => {
    const c = off.compute_bleu_from_stats;
    const r = computeBleu({ correct: c.correct, total: c.total, sysLen: c.sys_len, refLen: c.ref_len });
    expectAbs(r.score / 100, c.expected_fraction, 1e-10, 'compute_bleu');
    for (const d of off.compute_bleu_degenerate_floor) {
      const s = computeBleu(
        { correct: d.correct, total: d.total, sysLen: d.sys_len, refLen: d.ref_len },
        { smoothMethod: 'floor', smoothValue: d.smooth_value },
      );
      expect(s.score).toBe(d.expected);
    }
  });

  it('corpus_bleu with tokenizers 13a / none / intl and smoothing none', () => {
    for (const c of off.corpus_bleu) {
      const r = corpusBleu(c.hyps, c.refs, bleuOpts(c.opts));
      expectAbs(r.score, c.expected, off.corpus_bleu_tolerance, JSON.stringify(c.opts));
    }
  });

  it('max n-gram order 1..6', () => {
    for (const c of off.bleu_max_ngram_order_2dp) {
      expect(corpusBleu(c.hyps, c.refs, { maxNgramOrder: c.max_ngram_order }).score.toFixed(2)).toBe(c.expected_2dp);
    }
  });

  it('sentence_bleu with every smoothing, tokenizer and lowercase', () => {
    const s = off.sentence_bleu_effective_order;
    for (const c of s.cases) {
      const r = sentenceBleu(s.hyp, [s.ref], bleuOpts(c));
      expectAbs(r.score, c.expected, s.tolerance, JSON.stringify(c));
    }
    const z = off.sentence_bleu_zero;
    for (const m of ['none', 'floor', 'add-k', 'exp'] as const) {
      expect(sentenceBleu(z.hyp, [z.ref], { smoothMethod: m }).score).toBe(z.expected_all_smoothings);
    }
  });

  it('chrF beta 3: eps smoothing, effective order, whitespace kept', () => {
    for (const key of ['chrf_beta3_eps_smoothing', 'chrf_beta3_effective_order', 'chrf_beta3_keep_whitespace']) {
      const block = off[key];
      for (const c of block.cases) {
        const r = corpusChrf(c.hyps, [c.refs], chrfOpts(block.opts));
        expectAbs(r.score, c.expected, block.tolerance, `${key} ${JSON.stringify(c.hyps)}`);
      }
    }
  });

  it('sentence chrF, default beta 2 with eps smoothing', () => {
    const block = off.sentence_chrf_default_beta2_eps;
    for (const c of block.cases) {
      expectAbs(sentenceChrf(c.hyp, c.refs, chrfOpts(block.opts)).score, c.expected, block.tolerance, c.hyp);
    }
  });
});

describe.skipIf(!hasReference)('sacreBLEU 2.6.0 generated vectors (1e-9 relative)', () => {
  const gen = ref.sacrebleu?.generated;

  it('corpus BLEU of the README example: every field and the signature', () => {
    const c = gen.corpus_bleu_default_readme;
    const r = corpusBleu(c.hyps, c.refs, bleuOpts(c.opts));
    expectRel(r.score, c.score, 1e-9, 'score');
    expect(r.counts).toEqual(c.counts);
    expect(r.totals).toEqual(c.totals);
    r.precisions.forEach((p, i) => expectRel(p, c.precisions[i], 1e-9, `precision ${i}`));
    expectRel(r.bp, c.bp, 1e-9, 'bp');
    expect(r.sysLen).toBe(c.sys_len);
    expect(r.refLen).toBe(c.ref_len);
    expect(r.signature).toBe(c.signature);
  });

  it('sentence BLEU', () => {
    for (const c of gen.sentence_bleu_generated) {
      const r = sentenceBleu(c.hyp, c.refs, bleuOpts(c.opts));
      expectRel(r.score, c.score, 1e-9, c.hyp);
      expect(r.counts).toEqual(c.counts);
      expect(r.totals).toEqual(c.totals);
      expectRel(r.bp, c.bp, 1e-9, 'bp');
      expect([r.sysLen, r.refLen]).toEqual([c.sys_len, c.ref_len]);
    }
  });

  it('13a tokenizer', () => {
    for (const c of gen.tokenizer_13a_generated) expect(tokenize13a(c.input)).toBe(c.output);
  });

  it('corpus chrF / chrF++ with signatures', () => {
    for (const c of gen.chrf_generated) {
      const r = corpusChrf(c.hyps, [c.refs], chrfOpts(c.opts));
      expectRel(r.score, c.score, 1e-9, `${JSON.stringify(c.hyps)} ${JSON.stringify(c.opts)}`);
      expect(r.signature).toBe(c.signature);
    }
  });

  it('sentence chrF / chrF++', () => {
    for (const c of gen.sentence_chrf_generated) {
      expectRel(sentenceChrf(c.hyp, c.refs, chrfOpts(c.opts)).score, c.score, 1e-9, `${c.hyp} ${JSON.stringify(c.opts)}`);
    }
  });
});

describe.skipIf(!hasReference)('rouge-score vectors and NLTK Porter stems', () => {
  const r = ref.rouge_score;

  it('official rouge_scorer_test.py cases (to the places the test asserts)', () => {
    for (const c of r.official) {
      const scorer = new RougeScorer({ types: [c.rouge_type], useStemmer: c.use_stemmer });
      const s = scorer.score(c.target, c.prediction)[c.rouge_type as RougeType];
      const atol = 0.5 * 10 ** -c.places;
      for (const k of ['precision', 'recall', 'fmeasure'] as const) {
        expectAbs(s[k], c.expected[k], atol, `${c.rouge_type} ${k} ${JSON.stringify(c.target).slice(0, 40)}`);
      }
    }
  });

  it('generated cases for all four types (1e-9 relative)', () => {
    for (const c of r.generated_helper_reimplementation_validated_on_official) {
      const types = Object.keys(c.expected) as RougeType[];
      const s = new RougeScorer({ types, useStemmer: c.use_stemmer }).score(c.target, c.prediction);
      for (const t of types) {
        for (const k of ['precision', 'recall', 'fmeasure'] as const) {
          expectRel(s[t][k], c.expected[t][k], 1e-9, `${t} ${k} ${c.target.slice(0, 30)}`);
        }
      }
    }
  });

  it('Porter stems (NLTK_EXTENSIONS)', () => {
    for (const c of r.porter_stems_nltk_default_mode) expect([c.word, porterStem(c.word)]).toEqual([c.word, c.stem]);
  });
});

describe.skipIf(!hasReference)('SQuAD official-script vectors', () => {
  it('normalisation, exact match, F1 (v1.1 and v2.0)', () => {
    for (const c of ref.squad.cases) {
      expect(normalizeSquadAnswer(c.prediction)).toBe(c.normalized_prediction);
      expect(c.answers.map(normalizeSquadAnswer)).toEqual(c.normalized_answers);
      expect(squadExactMatch(c.prediction, c.answers)).toBe(c.exact_match);
      expectRel(squadF1(c.prediction, c.answers, { version: 'v1.1' }), c.f1_v1, 1e-12, `v1 ${c.prediction}`);
      expectRel(squadF1(c.prediction, c.answers, { version: 'v2.0' }), c.f1_v2, 1e-12, `v2 ${c.prediction}`);
    }
  });
});

describe.skipIf(!hasReference)('lm-evaluation-harness vectors', () => {
  const lm = ref.lm_eval_harness;

  it('perplexity of loglikelihoods', () => {
    expectRel(perplexity(lm.perplexity.loglikelihoods), lm.perplexity.perplexity, 1e-12, 'perplexity');
  });

  it('rolling: word and byte counts, word/byte perplexity, bits per byte', () => {
    const docs = lm.rolling.docs.map((d: { text: string; loglikelihood: number }) => ({ text: d.text, logLikelihood: d.loglikelihood }));
    lm.rolling.docs.forEach((d: { text: string; words: number; bytes: number }) => {
      expect(countWords(d.text)).toBe(d.words);
      expect(countBytes(d.text)).toBe(d.bytes);
    });
    expectRel(wordPerplexity(docs), lm.rolling.word_perplexity, 1e-12, 'word_perplexity');
    expectRel(bytePerplexity(docs), lm.rolling.byte_perplexity, 1e-12, 'byte_perplexity');
    expectRel(bitsPerByte(docs), lm.rolling.bits_per_byte, 1e-12, 'bits_per_byte');
  });

  it('multiple choice acc / acc_norm (the harness scoring of part B)', () => {
    let acc = 0;
    let accNorm = 0;
    for (const item of lm.multiple_choice.items) {
      const m = multipleChoiceMetrics(item.lls, item.choices, [item.gold]);
      expect([m.acc, m.acc_norm, m.pred, m.predNorm]).toEqual([item.acc, item.acc_norm, item.pred, item.pred_norm]);
      acc += m.acc;
      accNorm += m.acc_norm;
    }
    expect(acc / lm.multiple_choice.items.length).toBe(lm.multiple_choice.acc_mean);
    expect(accNorm / lm.multiple_choice.items.length).toBe(lm.multiple_choice.acc_norm_mean);
  });
});
