// LR schedules against the transformers formulas (tools/fixtures/gen_optim.py
// copies them from transformers/optimization.py) and torch's LambdaLR.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../src/errors/index.js';
import { expectClose } from '../src/testing/index.js';
import {
  constantSchedule,
  constantWithWarmup,
  cosineWithWarmup,
  linearWithWarmup,
  type LrSchedule,
} from '../src/optim/schedules.js';

interface Case {
  name: string;
  kind: 'constantWithWarmup' | 'linearWithWarmup' | 'cosineWithWarmup';
  options: Record<string, number>;
  steps: number[];
  values: number[];
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/optim/schedules.json', import.meta.url), 'utf8')) as {
  cases: Case[];
  lambdaLR: { baseLr: number; warmupSteps: number; totalSteps: number; lrs: number[] };
};

const factories: Record<Case['kind'], (options: never) => LrSchedule> = {
  constantWithWarmup,
  linearWithWarmup,
  cosineWithWarmup,
};

function expectInvalid(fn: () => unknown, option: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(InvalidArgumentError.isInstance(caught), `expected InvalidArgumentError for ${option}`).toBe(true);
  expect((caught as InvalidArgumentError).code).toBe('invalid_argument');
  expect((caught as Error).message).toContain(option);
}

describe('LR schedules', () => {
  for (const c of fixture.cases) {
    it(`${c.kind} ${c.name} matches transformers`, () => {
      const schedule = factories[c.kind](c.options as never);
      // Same float64 formula in the same operation order; Math.cos and libm's cos may differ by an ulp.
      expectClose(c.steps.map(schedule), c.values, { atol: 1e-15, rtol: 1e-14, label: c.name });
    });
  }

  it('drives lr like torch LambdaLR (step k uses lambda(k))', () => {
    const { baseLr, warmupSteps, totalSteps, lrs } = fixture.lambdaLR;
    const schedule = cosineWithWarmup({ warmupSteps, totalSteps });
    expectClose(lrs.map((_, k) => baseLr * schedule(k)), lrs, { atol: 0, rtol: 1e-14 });
  });

  it('constantSchedule is 1', () => {
    expect([0, 1, 1000].map(constantSchedule())).toEqual([1, 1, 1]);
  });

  it('linearWithWarmup decays to minLrRatio and stays there', () => {
    const schedule = linearWithWarmup({ warmupSteps: 10, totalSteps: 110, minLrRatio: 0.2 });
    expect(schedule(5)).toBeCloseTo(0.5, 15);
    expect(schedule(10)).toBeCloseTo(1, 15);
    expect(schedule(60)).toBeCloseTo(0.5 * 0.8 + 0.2, 15);
    expect(schedule(110)).toBeCloseTo(0.2, 15);
    expect(schedule(500)).toBeCloseTo(0.2, 15);
  });

  it('cosineWithWarmup reaches minLrRatio at totalSteps', () => {
    const schedule = cosineWithWarmup({ warmupSteps: 0, totalSteps: 10, minLrRatio: 0.1 });
    expect(schedule(0)).toBe(1);
    expect(schedule(10)).toBeCloseTo(0.1, 15);
  });

  it('validates options, naming the bad one', () => {
    expectInvalid(() => constantWithWarmup({ warmupSteps: -1 }), 'warmupSteps');
    expectInvalid(() => constantWithWarmup({ warmupSteps: 1.5 }), 'warmupSteps');
    expectInvalid(() => linearWithWarmup({ warmupSteps: 10, totalSteps: 5 }), 'totalSteps');
    expectInvalid(() => linearWithWarmup({ warmupSteps: 0, totalSteps: 0 }), 'totalSteps');
    expectInvalid(() => linearWithWarmup({ warmupSteps: 0, totalSteps: 10, minLrRatio: 2 }), 'minLrRatio');
    expectInvalid(() => cosineWithWarmup({ warmupSteps: 0, totalSteps: 10, numCycles: 0 }), 'numCycles');
    expectInvalid(() => cosineWithWarmup({ warmupSteps: 0, totalSteps: 10, minLrRatio: -0.1 }), 'minLrRatio');
    expectInvalid(() => cosineWithWarmup({ warmupSteps: Number.NaN, totalSteps: 10 }), 'warmupSteps');
    expectInvalid(() => cosineWithWarmup({ warmupSteps: 0, totalSteps: 10 })(-1), 'step');
    expectInvalid(() => constantSchedule()(Number.NaN), 'step');
  });
});
