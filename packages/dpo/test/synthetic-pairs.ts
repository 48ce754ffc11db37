import { createRng } from '@llmkit/core';
import type { TokenizedPair } from '../src/index.js';

/**
 * Synthetic preference shared by the trainer tests: completions of token 3 are chosen, of token 4 rejected
 * (prompts of 2-4 tokens from 5..10, completions of 2-4 tokens; seeded).
 */
export function syntheticPairs(count: number, seed: number): TokenizedPair[] {
  const rng = createRng(seed);
  return Array.from({ length: count }, () => {
    const prompt = Array.from({ length: 2 + rng.randint(0, 3) }, () => 5 + rng.randint(0, 6));
    const seq = (token: number, n: number) => ({
      inputIds: [...prompt, ...Array(n).fill(token)],
      completionMask: [...prompt.map(() => 0), ...Array(n).fill(1)],
      promptLength: prompt.length,
    });
    return { chosen: seq(3, 2 + rng.randint(0, 3)), rejected: seq(4, 2 + rng.randint(0, 3)) };
  });
}
