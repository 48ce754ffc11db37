import { InvalidArgumentError } from '../errors/index.js';

/**
 * A learning-rate schedule: maps the optimizer step (0 for the first update)
 * to a multiplier of each group's initial learning rate, like the lambda of
 * PyTorch's `LambdaLR`. Pass its value to `optimizer.setLrMultiplier`.
 */
export type LrSchedule = (step: number) => number;

/** Options of {@link constantWithWarmup}. */
export interface ConstantWithWarmupOptions {
  /** Steps of linear warmup from 0 to 1. */
  warmupSteps: number;
}

/** Options of {@link linearWithWarmup}. */
export interface LinearWithWarmupOptions {
  /** Steps of linear warmup from 0 to 1. */
  warmupSteps: number;
  /** Step at which the decay reaches `minLrRatio`. */
  totalSteps: number;
  /** Multiplier reached at `totalSteps` and kept after it. Default 0 (transformers' schedule). */
  minLrRatio?: number;
}

/** Options of {@link cosineWithWarmup}. */
export interface CosineWithWarmupOptions {
  /** Steps of linear warmup from 0 to 1. */
  warmupSteps: number;
  /** Total training steps; the cosine runs from `warmupSteps` to here. */
  totalSteps: number;
  /** Number of cosine waves over the decay; 0.5 (default) decreases from 1 to the minimum once. */
  numCycles?: number;
  /** Floor of the cosine as a fraction of the initial lr (transformers' `min_lr_rate`). Default 0. */
  minLrRatio?: number;
}

function nonNegativeInteger(owner: string, option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new InvalidArgumentError(`${owner}: option "${option}" must be a non-negative integer, got ${String(value)}.`);
  }
  return value;
}

function ratio(owner: string, option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new InvalidArgumentError(`${owner}: option "${option}" must be a number in [0, 1], got ${String(value)}.`);
  }
  return value;
}

function totalSteps(owner: string, value: unknown, warmupSteps: number): number {
  const total = nonNegativeInteger(owner, 'totalSteps', value);
  if (total < 1 || total < warmupSteps) {
    throw new InvalidArgumentError(`${owner}: option "totalSteps" must be >= 1 and >= warmupSteps (${warmupSteps}), got ${total}.`);
  }
  return total;
}

function checkOptions(owner: string, options: unknown): Record<string, unknown> {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError(`${owner}: expected an options object.`);
  return options as Record<string, unknown>;
}

function checkStep(owner: string, step: number): void {
  if (typeof step !== 'number' || !Number.isFinite(step) || step < 0) {
    throw new InvalidArgumentError(`${owner}: "step" must be a finite number >= 0, got ${String(step)}.`);
  }
}

/** transformers' warmup ramp: `step / max(1, warmupSteps)`. */
function warmup(step: number, warmupSteps: number): number {
  return step / Math.max(1, warmupSteps);
}

/**
 * The constant schedule: multiplier 1 at every step (transformers'
 * `get_constant_schedule`).
 *
 * @throws {InvalidArgumentError} `invalid_argument` (when called) for a negative or non-finite step.
 * @example
 * const schedule = constantSchedule();
 * schedule(100); // 1
 */
export function constantSchedule(): LrSchedule {
  return (step) => {
    checkStep('constantSchedule', step);
    return 1;
  };
}

/**
 * Linear warmup from 0 to 1 over `warmupSteps`, then constant 1 (transformers'
 * `get_constant_schedule_with_warmup`).
 *
 * @throws {InvalidArgumentError} `invalid_argument` when `warmupSteps` is not a non-negative integer, or (when called) for a bad step.
 * @example
 * const schedule = constantWithWarmup({ warmupSteps: 100 });
 * schedule(50); // 0.5
 */
export function constantWithWarmup(options: ConstantWithWarmupOptions): LrSchedule {
  const owner = 'constantWithWarmup';
  const o = checkOptions(owner, options);
  const warmupSteps = nonNegativeInteger(owner, 'warmupSteps', o.warmupSteps);
  return (step) => {
    checkStep(owner, step);
    return step < warmupSteps ? warmup(step, warmupSteps) : 1;
  };
}

/**
 * Linear warmup from 0 to 1 over `warmupSteps`, then linear decay to
 * `minLrRatio` at `totalSteps` (transformers' `get_linear_schedule_with_warmup`
 * when `minLrRatio` is 0; otherwise its decay `d` becomes `d * (1 - minLrRatio) + minLrRatio`).
 *
 * @throws {InvalidArgumentError} `invalid_argument` naming the bad option (`warmupSteps`, `totalSteps` < warmupSteps, `minLrRatio` outside [0, 1]), or (when called) for a bad step.
 * @example
 * const schedule = linearWithWarmup({ warmupSteps: 10, totalSteps: 110 });
 * schedule(60); // 0.5
 */
export function linearWithWarmup(options: LinearWithWarmupOptions): LrSchedule {
  const owner = 'linearWithWarmup';
  const o = checkOptions(owner, options);
  const warmupSteps = nonNegativeInteger(owner, 'warmupSteps', o.warmupSteps);
  const total = totalSteps(owner, o.totalSteps, warmupSteps);
  const minLrRatio = ratio(owner, 'minLrRatio', o.minLrRatio ?? 0);
  return (step) => {
    checkStep(owner, step);
    if (step < warmupSteps) return warmup(step, warmupSteps);
    const decay = Math.max(0, (total - step) / Math.max(1, total - warmupSteps));
    return minLrRatio === 0 ? decay : decay * (1 - minLrRatio) + minLrRatio;
  };
}

/**
 * Linear warmup from 0 to 1 over `warmupSteps`, then a cosine from 1 down to
 * `minLrRatio` over the remaining steps (`numCycles` waves; 0.5 = one half
 * wave). The formula of transformers' `get_cosine_schedule_with_warmup` and,
 * with `minLrRatio`, `get_cosine_with_min_lr_schedule_with_warmup(min_lr_rate)`:
 * `f = 0.5 * (1 + cos(pi * numCycles * 2 * progress)); max(0, f * (1 - minLrRatio) + minLrRatio)`.
 * Like transformers, steps past `totalSteps` continue the cosine.
 *
 * @throws {InvalidArgumentError} `invalid_argument` naming the bad option (`warmupSteps`, `totalSteps`, `numCycles` <= 0, `minLrRatio` outside [0, 1]), or (when called) for a bad step.
 * @example
 * const schedule = cosineWithWarmup({ warmupSteps: 100, totalSteps: 1000, minLrRatio: 0.1 });
 * optimizer.setLrMultiplier(schedule(step));
 */
export function cosineWithWarmup(options: CosineWithWarmupOptions): LrSchedule {
  const owner = 'cosineWithWarmup';
  const o = checkOptions(owner, options);
  const warmupSteps = nonNegativeInteger(owner, 'warmupSteps', o.warmupSteps);
  const total = totalSteps(owner, o.totalSteps, warmupSteps);
  const numCycles = o.numCycles ?? 0.5;
  if (typeof numCycles !== 'number' || !Number.isFinite(numCycles) || numCycles <= 0) {
    throw new InvalidArgumentError(`${owner}: option "numCycles" must be a finite number > 0, got ${String(numCycles)}.`);
  }
  const minLrRatio = ratio(owner, 'minLrRatio', o.minLrRatio ?? 0);
  return (step) => {
    checkStep(owner, step);
    if (step < warmupSteps) return warmup(step, warmupSteps);
    const progress = (step - warmupSteps) / Math.max(1, total - warmupSteps);
    // Same operation order as transformers: math.pi * float(num_cycles) * 2.0 * progress
    const factor = 0.5 * (1.0 + Math.cos(Math.PI * numCycles * 2.0 * progress));
    return Math.max(0, factor * (1 - minLrRatio) + minLrRatio);
  };
}
