// Parity of AdamW (also AMSGrad), Lion and SGD (Nesterov; momentum with
// dampening; plain) with PyTorch over 100 steps of a realistic loop: two
// parameter groups (1-D parameters without weight decay), a cosine-with-warmup
// schedule and clip_grad_norm_ every step. Fixtures: tools/fixtures/gen_optim.py.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/init-backend.js';
import { tf } from '../src/tf.js';
import { maxRelativeError } from '../src/testing/index.js';
import { AdamW } from '../src/optim/adamw.js';
import { Lion } from '../src/optim/lion.js';
import { SGD } from '../src/optim/sgd.js';
import { clipGradNorm } from '../src/optim/clip.js';
import { cosineWithWarmup } from '../src/optim/schedules.js';
import { paramGroupsWithoutDecay, type Optimizer } from '../src/optim/optimizer.js';

const dir = new URL('./fixtures/optim/', import.meta.url);
const read = <T>(name: string): T => JSON.parse(readFileSync(new URL(name, dir), 'utf8')) as T;

interface Inputs {
  steps: number;
  maxNorm: number;
  shapes: Record<string, number[]>;
  noDecay: string[];
  initial: Record<string, number[]>;
  grads: Array<Record<string, number[]>>;
  preClipNorms: number[];
}
interface RunFixture {
  kind: 'AdamW' | 'Lion' | 'SGD';
  lr: number;
  betas?: [number, number];
  eps?: number;
  amsgrad?: boolean;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  weight_decay: number;
  schedule: { warmupSteps: number; totalSteps: number; numCycles: number; minLrRatio: number };
  lrs: number[];
  checkpoints: Record<string, Record<string, number[]>>;
}

const inputs = read<Inputs>('inputs.json');
const runs = read<Record<string, RunFixture>>('optimizers.json');

// Relative error floor. Parameters start as N(0, 1) draws and move by O(lr)
// per step, so float32 rounding leaves an absolute error of order
// ulp(|p| ~ 1) * steps, independent of how close an element ends up to zero.
// Relative error is therefore measured against max(|expected|, 1e-2): for the
// few elements smaller than 1e-2 the bound becomes an absolute 1e-7, still
// ~1e4 times smaller than one update (lr >= 3e-3 times an O(1) step direction),
// and about one float32 ulp of an O(1) value. (With these fixtures no element
// gets that small: the plain relative error, floor 1e-12, is logged too and
// stays below 3e-6.)
const FLOOR = 1e-2;
const TOLERANCE = 1e-5;

function makeOptimizer(run: RunFixture, params: Array<[string, tf.Variable]>): Optimizer {
  const groups = paramGroupsWithoutDecay(params, run.weight_decay);
  if (run.kind === 'AdamW') return new AdamW(groups, { lr: run.lr, betas: run.betas, eps: run.eps, amsgrad: run.amsgrad });
  if (run.kind === 'Lion') return new Lion(groups, { lr: run.lr, betas: run.betas });
  return new SGD(groups, { lr: run.lr, momentum: run.momentum, dampening: run.dampening, nesterov: run.nesterov });
}

describe('optimizers match PyTorch over 100 steps (float32, groups, cosine schedule, clipping)', () => {
  beforeAll(async () => {
    await initBackend();
  });

  for (const [key, run] of Object.entries(runs)) {
    it(key, () => {
      const names = Object.keys(inputs.shapes);
      const params: Array<[string, tf.Variable]> = names.map((name) => [
        name,
        tf.variable(tf.tensor(inputs.initial[name], inputs.shapes[name], 'float32')),
      ]);
      const optimizer = makeOptimizer(run, params);
      expect(optimizer.paramGroups.map((g) => g.params.map(([n]) => n))).toEqual([
        names.filter((n) => !inputs.noDecay.includes(n)),
        inputs.noDecay,
      ]);
      const schedule = cosineWithWarmup(run.schedule);
      let worst = 0;
      let worstPlain = 0;
      let worstNorm = 0;
      for (let step = 0; step < inputs.steps; step++) {
        optimizer.setLrMultiplier(schedule(step));
        expect(optimizer.paramGroups[0].lr).toBeCloseTo(run.lrs[step], 15);
        const grads = new Map(names.map((name) => [name, tf.tensor(inputs.grads[step][name], inputs.shapes[name], 'float32')]));
        const clipped = clipGradNorm(grads, inputs.maxNorm);
        worstNorm = Math.max(worstNorm, Math.abs(clipped.norm - inputs.preClipNorms[step]) / inputs.preClipNorms[step]);
        optimizer.step(clipped.grads);
        grads.forEach((g) => g.dispose());
        clipped.grads.forEach((g) => g.dispose());
        const expected = run.checkpoints[String(step + 1)];
        if (expected) {
          for (const [name, p] of params) {
            const error = maxRelativeError(p, expected[name], FLOOR);
            worst = Math.max(worst, error);
            worstPlain = Math.max(worstPlain, maxRelativeError(p, expected[name]));
            expect(error, `${key} step ${step + 1} ${name}`).toBeLessThanOrEqual(TOLERANCE);
          }
        }
      }
      expect(worstNorm).toBeLessThanOrEqual(1e-6);
      console.log(
        `[optim parity] ${key}: max relative error vs PyTorch ${worst.toExponential(2)} (floor ${FLOOR}), ` +
          `${worstPlain.toExponential(2)} (no floor); pre-clip norm ${worstNorm.toExponential(2)}`,
      );
      optimizer.dispose();
      params.forEach(([, p]) => p.dispose());
    });
  }
});
