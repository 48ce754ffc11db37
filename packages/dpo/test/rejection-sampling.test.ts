import { beforeAll, describe, expect, it } from 'vitest';
import { createRng, initBackend } from '@llmkit/core';
import { CharTokenizer, DecoderLM } from '@llmkit/model';
import { DpoError, RewardModel, rejectionSample, sampleCompletions } from '../src/index.js';

const tokenizer = CharTokenizer.fromText('abcdefgh .');
const model = () =>
  DecoderLM.fromConfig(
    {
      model_type: 'llama',
      vocab_size: tokenizer.vocabSize,
      hidden_size: 16,
      intermediate_size: 32,
      num_hidden_layers: 1,
      num_attention_heads: 2,
      num_key_value_heads: 1,
      max_position_embeddings: 64,
    },
    { rng: createRng(0) },
  );

beforeAll(async () => {
  await initBackend();
});

describe('sampleCompletions', () => {
  it('with top-k 1 equals DecoderLM.generate greedy decoding, batched over prompts of several lengths', async () => {
    const lm = model();
    const prompts = [[1, 2, 3], [4, 5], [6, 7, 8], [2]];
    const out = await sampleCompletions(lm, prompts, { n: 2, maxNewTokens: 6, topK: 1, progress: false });
    for (const [i, prompt] of prompts.entries()) {
      const greedy: number[] = [];
      for await (const chunk of lm.generate(prompt, { maxNewTokens: 6, config: { temperature: 0 } })) greedy.push(chunk.tokenId);
      expect(out[i]).toEqual([greedy, greedy]);
    }
    lm.dispose();
  });

  it('is reproducible for a seed and stops a sequence at a stop token', async () => {
    const lm = model();
    const a = await sampleCompletions(lm, [[1, 2]], { n: 6, maxNewTokens: 8, seed: 3, progress: false });
    const b = await sampleCompletions(lm, [[1, 2]], { n: 6, maxNewTokens: 8, seed: 3, progress: false });
    expect(a).toEqual(b);
    expect(new Set(a[0].map((c) => c.join(','))).size).toBeGreaterThan(1); // temperature 1 samples differ
    const stop = a[0][0][2];
    const c = await sampleCompletions(lm, [[1, 2]], { n: 6, maxNewTokens: 8, seed: 3, stopTokenIds: [stop], progress: false });
    for (const completion of c[0]) {
      const at = completion.indexOf(stop);
      if (at >= 0) expect(completion.length).toBe(at + 1);
    }
    lm.dispose();
  });
});

describe('rejectionSample', () => {
  it('emits the best and worst completion of each prompt as a pair and skips ties', async () => {
    const lm = model();
    const score = (_p: string, c: string) => (c.match(/a/g) ?? []).length;
    const { pairs, samples, best } = await rejectionSample({ model: lm, tokenizer, prompts: ['abc', 'hg', 'd'], n: 6, maxNewTokens: 10, seed: 1, reward: score, progress: false });
    expect(samples).toHaveLength(18);
    for (let p = 0; p < 3; p++) {
      const mine = samples.filter((s) => s.promptIndex === p).map((s) => s.score);
      expect(best[p].score).toBe(Math.max(...mine));
      const pair = pairs.find((x) => x.prompt === ['abc', 'hg', 'd'][p]);
      if (Math.max(...mine) === Math.min(...mine)) expect(pair).toBeUndefined();
      else {
        expect(pair!.chosenScore).toBe(Math.max(...mine));
        expect(pair!.rejectedScore).toBe(Math.min(...mine));
        expect(score('', pair!.chosen)).toBe(pair!.chosenScore);
      }
    }
    // a reward model can be the scorer
    const rm = RewardModel.fromDecoder(lm);
    const scored = await rejectionSample({ model: lm, tokenizer, prompts: ['abc'], n: 3, maxNewTokens: 4, reward: (p, c) => rm.scoreText(tokenizer, p, c), progress: false });
    expect(scored.samples.every((s) => Number.isFinite(s.score))).toBe(true);
    await expect(rejectionSample({ model: lm, tokenizer, prompts: ['abc'], n: 1, maxNewTokens: 4, reward: score })).rejects.toThrow(/n must be at least 2/);
    await expect(rejectionSample({ model: lm, tokenizer, prompts: ['abc'], n: 2, maxNewTokens: 4, reward: () => Number.NaN, progress: false })).rejects.toSatisfy(
      (e: unknown) => DpoError.isInstance(e) && /must return a finite number/.test((e as Error).message),
    );
    lm.dispose();
  });
});
