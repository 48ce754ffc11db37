import { describe, expect, it } from 'vitest';
import { beamSearch } from '../src/decoding/beam-search.js';
import { generateAll } from '../src/decoding/generate.js';
import type { StepFn } from '../src/types.js';

// Toy model over {0: BOS, 1: A, 2: B, 3: EOS}; logits = log p, p depending on the last token.
const P: number[][] = [
  [0.01, 0.55, 0.4, 0.04], // after BOS
  [0.01, 0.35, 0.34, 0.3], // after A
  [0.01, 0.04, 0.05, 0.9], // after B
  [0.25, 0.25, 0.25, 0.25], // after EOS
];
const step: StepFn = async (sequences) => sequences.map((s) => Float32Array.from(P[s[s.length - 1]], Math.log));
const L = (x: number) => Math.log(x);

// Hand derivation, numBeams 2, lengthPenalty 1, eos 3, maxNewTokens 3, prompt [0]
// (logprobs accumulated; f32 logits so compare to ~5 digits):
// step 1: A -0.598 (0.55), B -0.916 (0.40) -> running [A, B]; reorder [0, 0]
// step 2: B EOS -1.022, A A -1.648, A B -1.677, A EOS -1.802 -> top 2 = [B EOS (finished, score -1.022/2 = -0.511), A A];
//         running [A A, A B], both from beam 0 (A); reorder [0, 0]
// step 3 (length limit: every candidate finishes): A B EOS -1.782, A A A -2.697, A A B, A A EOS;
//         top 2 finish: A B EOS score -1.782/3 = -0.594, A A A score -0.899 -> kept finished: [B EOS, A B EOS];
//         reorder [1, 0] (A B EOS extends beam 1 = A B, A A A extends beam 0 = A A)
// Best: [B, EOS] with score (ln .4 + ln .9) / 2, whereas greedy gives A A A.
describe('beamSearch', () => {
  it('finds the hand-derived best sequence where greedy differs, with transformers scores', async () => {
    const greedy = await generateAll(step, { prompt: [0], maxNewTokens: 3, config: { temperature: 0 }, stopTokenIds: [3] });
    expect(greedy.tokenIds).toEqual([1, 1, 1]);

    const reorders: number[][] = [];
    const result = await beamSearch(step, {
      prompt: [0],
      numBeams: 2,
      maxNewTokens: 3,
      eosTokenId: 3,
      numReturnSequences: 2,
      hooks: { reorder: (ix) => void reorders.push([...ix]) },
    });
    expect(result.map((h) => h.tokenIds)).toEqual([
      [2, 3],
      [1, 2, 3],
    ]);
    expect(result[0].score).toBeCloseTo((L(0.4) + L(0.9)) / 2, 5);
    expect(result[0].logprob).toBeCloseTo(L(0.4) + L(0.9), 5);
    expect(result[1].score).toBeCloseTo((L(0.55) + L(0.34) + L(0.9)) / 3, 5);
    expect(reorders).toEqual([
      [0, 0],
      [0, 0],
      [1, 0],
    ]);
    const [only] = await beamSearch(step, { prompt: [0], numBeams: 2, maxNewTokens: 3, eosTokenId: 3 });
    expect(only.tokenIds).toEqual([2, 3]);
  });

  it('orders numReturnSequences best first and respects lengthPenalty', async () => {
    const r = await beamSearch(step, { prompt: [0], numBeams: 3, maxNewTokens: 4, eosTokenId: 3, numReturnSequences: 3, earlyStopping: 'never' });
    expect(r).toHaveLength(3);
    for (let i = 1; i < r.length; i++) expect(r[i - 1].score).toBeGreaterThanOrEqual(r[i].score);
    for (const h of r) expect(h.score).toBeCloseTo(h.logprob / h.tokenIds.length, 10);
    const flat = await beamSearch(step, { prompt: [0], numBeams: 3, maxNewTokens: 4, eosTokenId: 3, numReturnSequences: 3, lengthPenalty: 0 });
    for (const h of flat) expect(h.score).toBeCloseTo(h.logprob, 10);
  });

  it('with numBeams 1 and no EOS equals greedy; validates options', async () => {
    const [h] = await beamSearch(step, { prompt: [0], numBeams: 1, maxNewTokens: 3 });
    expect(h.tokenIds).toEqual([1, 1, 1]);
    await expect(beamSearch(step, { prompt: [0], numBeams: 2, maxNewTokens: 3, numReturnSequences: 3 })).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(beamSearch(step, { prompt: [0], numBeams: 0, maxNewTokens: 3 })).rejects.toThrow(/numBeams/);
  });
});

// Outputs of transformers 5.18 `generate` (num_beams, eos_token_id=3, use_cache=False) on the same
// toy model (a PreTrainedModel whose forward returns P[input_ids].log()), sequences cut after the first EOS.
const TRANSFORMERS: { numBeams: number; maxNewTokens: number; earlyStopping: boolean | 'never'; lengthPenalty: number; seqs: number[][]; scores: number[] }[] = [
  { numBeams: 2, maxNewTokens: 3, earlyStopping: false, lengthPenalty: 1.0, seqs: [[2, 3], [1, 2, 3]], scores: [-0.5108256340026855, -0.594002366065979] },
  { numBeams: 3, maxNewTokens: 4, earlyStopping: 'never', lengthPenalty: 1.0, seqs: [[2, 3], [1, 2, 3], [1, 1, 2, 3]], scores: [-0.5108256340026855, -0.594002366065979, -0.7079572677612305] },
  { numBeams: 3, maxNewTokens: 4, earlyStopping: false, lengthPenalty: 0.0, seqs: [[2, 3], [1, 2, 3], [1, 1, 2, 3]], scores: [-1.021651268005371, -1.782007098197937, -2.831829071044922] },
  { numBeams: 2, maxNewTokens: 5, earlyStopping: true, lengthPenalty: 1.0, seqs: [[2, 3], [1, 2, 3]], scores: [-0.5108256340026855, -0.594002366065979] },
  { numBeams: 3, maxNewTokens: 6, earlyStopping: false, lengthPenalty: 2.0, seqs: [[1, 1, 1, 1, 2, 3], [1, 1, 1, 2, 3], [1, 1, 1, 1, 1, 1]], scores: [-0.13698536157608032, -0.15526606142520905, -0.16241520643234253] },
  { numBeams: 2, maxNewTokens: 6, earlyStopping: 'never', lengthPenalty: -0.5, seqs: [[2, 3], [1, 2, 3]], scores: [-1.4448331594467163, -3.086526870727539] },
];

describe('beamSearch vs transformers', () => {
  it.each(TRANSFORMERS)('numBeams $numBeams, maxNewTokens $maxNewTokens, earlyStopping $earlyStopping, lengthPenalty $lengthPenalty', async (c) => {
    const r = await beamSearch(step, { prompt: [0], eosTokenId: 3, numReturnSequences: c.numBeams, ...c });
    expect(r.map((h) => h.tokenIds)).toEqual(c.seqs);
    r.forEach((h, i) => expect(h.score).toBeCloseTo(c.scores[i], 5));
  });
});
