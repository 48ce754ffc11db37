/**
 * ROUGE, SQuAD, classification, perplexity, pass@k, contamination and input errors, against
 * hand-derived values (each derivation in a comment). Reference-library parity lives in
 * metrics-reference-vectors.test.ts, metrics-sacrebleu.test.ts and metrics-porter.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  accuracy,
  bitsPerByte,
  classificationReport,
  contamination,
  corpusBleu,
  corpusChrf,
  countWords,
  EvalError,
  f1Score,
  meanPassAtK,
  normalizeForContamination,
  passAtK,
  perplexity,
  rougeScore,
  RougeScorer,
  sentenceBleu,
  squadExactMatch,
  squadF1,
  squadScore,
  tokenizeRouge,
  wordPerplexity,
} from '../src/index.js';
import { mobyDickText } from '../../../tools/testing/moby-model.js';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (EvalError.isInstance(e)) return e.code;
    throw e;
  }
  return undefined;
}

describe('ROUGE (hand-derived)', () => {
  it('stemming merges inflections; rouge2 counts bigrams', () => {
    // tokens: [police, killed, the, gunman] vs [police, kill, the, gunman]; with NLTK Porter
    // 'killed' -> 'kill' (tokens of length <= 3 such as 'the' are not stemmed).
    const plain = rougeScore('police killed the gunman', 'police kill the gunman', { types: ['rouge1', 'rouge2'] });
    expect(plain.rouge1.fmeasure).toBeCloseTo(3 / 4, 15); // 3 of 4 unigrams shared
    expect(plain.rouge2.fmeasure).toBeCloseTo(1 / 3, 15); // only "the gunman" of 3 bigrams
    const stemmed = rougeScore('police killed the gunman', 'police kill the gunman', { types: ['rouge1', 'rouge2'], useStemmer: true });
    expect(stemmed.rouge1.fmeasure).toBe(1);
    expect(stemmed.rouge2.fmeasure).toBe(1);
    expect(tokenizeRouge("It's 3.5 o'clock — déjà vu!")).toEqual(['it', 's', '3', '5', 'o', 'clock', 'd', 'j', 'vu']);
  });

  it('rougeL vs rougeLsum on reordered sentences', () => {
    // target "a b c / d e", prediction "d e / a c".
    // rougeL: LCS of [a b c d e] and [d e a c] has length 2 -> P = 2/4, R = 2/5.
    // rougeLsum: r1=[a b c] unions LCS with [a c] -> {a, c}; r2=[d e] with [d e] -> {d, e}:
    // 4 hits, P = 4/4, R = 4/5, F = 2*1*0.8/1.8.
    const s = new RougeScorer({ types: ['rougeL', 'rougeLsum'] }).score('a b c\nd e', 'd e\na c');
    expect(s.rougeL.precision).toBe(0.5);
    expect(s.rougeL.recall).toBe(0.4);
    expect(s.rougeLsum.precision).toBe(1);
    expect(s.rougeLsum.recall).toBe(0.8);
    expect(s.rougeLsum.fmeasure).toBeCloseTo(1.6 / 1.8, 15);
  });

  it('scoreMulti keeps the best target per type', () => {
    const scorer = new RougeScorer({ types: ['rouge1'] });
    const best = scorer.scoreMulti(['x y z', 'a b c', 'a b'], 'a b c');
    expect(best.rouge1.fmeasure).toBe(1);
    expect(code(() => scorer.scoreMulti([], 'a'))).toBe('eval_empty_input');
    expect(code(() => new RougeScorer({ types: ['rougeW' as 'rougeL'] }))).toBe('eval_invalid_option');
  });
});

describe('SQuAD EM / F1 (hand-derived)', () => {
  it('max over answers and corpus percentages', () => {
    // "a red apple" -> "red apple"; gold "the apple" -> "apple": 1 common token, P = 1/2, R = 1 -> F1 2/3.
    expect(squadF1('a red apple', ['the apple'])).toBeCloseTo(2 / 3, 15);
    expect(squadExactMatch('The Apple.', ['apple', 'pear'])).toBe(1);
    // Python's \b is Unicode-aware: the 'a' inside 'ça' is not a separate word and stays.
    expect(squadExactMatch('ça va', ['ça va'])).toBe(1);
    expect(squadF1('ça', ['c a'])).toBe(0);
    const s = squadScore(['apple', 'pear'], [['Apple'], ['banana']]);
    expect(s).toEqual({ exactMatch: 50, f1: 50 });
    expect(code(() => squadScore(['a'], [['a'], ['b']]))).toBe('eval_length_mismatch');
    expect(code(() => squadF1('a', []))).toBe('eval_empty_input');
  });
});

describe('classification (scikit-learn definitions, hand-derived)', () => {
  it('macro, micro and weighted F1 of the scikit-learn documentation example', () => {
    // y_true [0 1 2 0 1 2], y_pred [0 2 1 0 0 1]: class 0 P = 2/3, R = 1, F = 0.8; classes 1, 2: 0.
    // macro = 0.8/3, weighted = (0.8*2)/6, micro = 2 correct / 6 = 1/3 (sklearn docs: 0.26, 0.33, 0.26).
    const t = [0, 1, 2, 0, 1, 2];
    const p = [0, 2, 1, 0, 0, 1];
    expect(f1Score(t, p, { average: 'macro' })).toBeCloseTo(0.8 / 3, 15);
    expect(f1Score(t, p, { average: 'micro' })).toBeCloseTo(1 / 3, 15);
    expect(f1Score(t, p, { average: 'weighted' })).toBeCloseTo(1.6 / 6, 15);
    const r = classificationReport(t, p);
    expect(r.labels).toEqual([0, 1, 2]);
    expect(r.perClass.get(0)).toEqual({ precision: 2 / 3, recall: 1, f1: 0.8, support: 2 });
    expect(r.accuracy).toBeCloseTo(1 / 3, 15);
    // binary: positives {1, 2} of [0 1 1 0], predicted [0 1 0 0]: P = 1, R = 1/2, F1 = 2/3.
    expect(f1Score([0, 1, 1, 0], [0, 1, 0, 0], { average: 'binary' })).toBeCloseTo(2 / 3, 15);
    expect(accuracy(['a', 'b'], ['a', 'a'])).toBe(0.5);
    expect(code(() => accuracy([], []))).toBe('eval_empty_input');
    expect(code(() => f1Score([1], [1], { average: 'samples' as 'macro' }))).toBe('eval_invalid_option');
  });
});

describe('perplexity family (lm-eval definitions, hand-derived)', () => {
  it('perplexity, word perplexity, bits per byte', () => {
    expect(perplexity([-1, -1])).toBeCloseTo(Math.E, 14); // exp(-mean) = e
    // 'ab' is 2 UTF-8 bytes; ll = -2 ln 2 nats = 2 bits -> 1 bit per byte.
    expect(bitsPerByte([{ logLikelihood: -2 * Math.LN2, text: 'ab' }])).toBeCloseTo(1, 14);
    // 'é' is 2 bytes in UTF-8 (bytes, not characters).
    expect(bitsPerByte([{ logLikelihood: -4 * Math.LN2, text: 'é' }])).toBeCloseTo(2, 14);
    expect(countWords(' a b ')).toBe(4); // re.split(r'\s+', ' a b ') -> ['', 'a', 'b', '']
    expect(wordPerplexity([{ logLikelihood: -4, words: 2 }, { logLikelihood: -2, words: 1 }])).toBeCloseTo(Math.exp(2), 12);
    expect(code(() => perplexity([]))).toBe('eval_empty_input');
    expect(code(() => perplexity([Number.NaN]))).toBe('eval_invalid_option');
    expect(code(() => wordPerplexity([{ logLikelihood: -1 }]))).toBe('eval_invalid_option');
  });
});

describe('pass@k (Chen et al. 2021)', () => {
  it('matches the combinatorial form 1 - C(n-c, k) / C(n, k)', () => {
    const choose = (n: number, k: number): number => {
      let r = 1;
      for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
      return r;
    };
    for (const [n, c, k] of [[10, 3, 1], [10, 3, 5], [20, 1, 10], [200, 13, 100], [5, 0, 3]] as const) {
      expect(passAtK(n, c, k)).toBeCloseTo(1 - choose(n - c, k) / choose(n, k), 12);
    }
    expect(passAtK(10, 3, 8)).toBe(1); // n - c = 7 < k
    expect(meanPassAtK([{ n: 10, c: 3 }, { n: 10, c: 0 }], 1)).toBeCloseTo(0.15, 15);
    expect(code(() => passAtK(5, 6, 1))).toBe('eval_invalid_option');
    expect(code(() => passAtK(5, 1, 6))).toBe('eval_invalid_option');
  });
});

describe('13-gram contamination (lm-eval Janitor normalisation)', () => {
  it('finds an eval example copied from Moby Dick despite case and punctuation changes', () => {
    const moby = mobyDickText();
    const words = moby.split(/\s+/).filter(Boolean);
    const passage = words.slice(5000, 5020).join(' ');
    const evalTexts = [
      `QUESTION: ${passage.toUpperCase().replace(/[,.;]/g, '')} ?`, // copied: contaminated
      'Quantum chromodynamics describes the strong interaction between quarks and gluons in modern particle physics today.',
      'Too short to check.',
    ];
    const r = contamination(evalTexts, moby.split('\n\n'), { n: 13 });
    expect(r.contaminated).toEqual([0]);
    expect(r.examples[0]!.overlapRatio).toBeGreaterThan(0.5);
    expect(r.examples[1]!.contaminated).toBe(false);
    expect(r.examples[2]!.tooShort).toBe(true);
    expect(r.contaminatedRatio).toBeCloseTo(1 / 3, 15);
    // Only ASCII letters are lowercased (str.maketrans over string.ascii_letters): É stays.
    expect(normalizeForContamination("It's ÉTÉ, OK?")).toBe('its ÉtÉ ok');
    expect(code(() => contamination([], 'x'))).toBe('eval_empty_input');
    expect(code(() => contamination(['a'], 'x', { n: 0 }))).toBe('eval_invalid_option');
  });
});

describe('BLEU / chrF input errors', () => {
  it('typed errors name the input', () => {
    expect(code(() => corpusBleu(['a', 'b'], [['a']]))).toBe('eval_length_mismatch');
    expect(code(() => corpusBleu([], [[]]))).toBe('eval_empty_input');
    expect(code(() => corpusBleu(['a'], [['a']], { tokenize: 'moses' as '13a' }))).toBe('eval_invalid_option');
    expect(code(() => corpusBleu(['a'], [['a']], { smoothMethod: 'add-one' as 'exp' }))).toBe('eval_invalid_option');
    expect(code(() => corpusBleu(['a'], ['a' as unknown as string[]]))).toBe('eval_invalid_option');
    expect(code(() => corpusBleu(['a'], [[null]]))).toBe('eval_empty_input');
    expect(code(() => sentenceBleu('a', []))).toBe('eval_empty_input');
    expect(code(() => corpusChrf(['a'], [['a']], { charOrder: 0, wordOrder: 0 }))).toBe('eval_invalid_option');
    expect(code(() => corpusChrf(['a'], [['a']], { beta: -1 }))).toBe('eval_invalid_option');
    expect(() => corpusBleu(['a', 'b'], [['a']])).toThrow(/referenceSets\[0\] has 1 items but hypotheses has 2/);
  });

  it('signatures follow sacreBLEU (smoothing value shown for floor and add-k; nrefs var)', () => {
    expect(corpusBleu(['a b'], [['a b']], { smoothMethod: 'floor' }).signature).toBe(
      'nrefs:1|case:mixed|eff:no|tok:13a|smooth:floor[0.10]|version:2.6.0',
    );
    expect(sentenceBleu('a b', ['a b', 'b a'], { smoothMethod: 'add-k', lowercase: true, tokenize: 'intl' }).signature).toBe(
      'nrefs:2|case:lc|eff:yes|tok:intl|smooth:add-k[1.00]|version:2.6.0',
    );
    expect(corpusBleu(['a', 'b'], [['a', 'b'], ['a', null]]).signature.startsWith('nrefs:var|')).toBe(true);
  });
});
