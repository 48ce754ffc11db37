/**
 * The DPO family of preference losses as pure functions of per-sequence log-probs, written once
 * against a small elementwise algebra ({@link LossOps}) with two implementations: float64 numbers
 * (exact reference values, used by the fixture tests against TRL) and tfjs tensors (training, with
 * gradients). Each loss is an entry of {@link PREFERENCE_LOSSES}, keyed by TRL's `loss_type` name.
 */
import { tf } from '@llmkit/core';
import { invalid } from './errors.js';

/** TRL's loss type names. "simpo" is CPOTrainer's, "orpo" ORPOTrainer's, "kto" KTOTrainer's. */
export type PreferenceLossType =
  | 'sigmoid'
  | 'ipo'
  | 'hinge'
  | 'robust'
  | 'bco_pair'
  | 'sppo_hard'
  | 'aot'
  | 'apo_zero'
  | 'nca_pair'
  | 'simpo'
  | 'orpo'
  | 'kto';

/** A vector of per-sequence values: plain numbers (computed in float64) or a 1-D tensor (float32, differentiable). */
export type LogpsInput = ArrayLike<number> | tf.Tensor;

/**
 * Per-sequence log-probabilities. Paired losses read the chosen / rejected fields; KTO reads the
 * chosen fields as its desirable examples and the rejected ones as its undesirable examples (the two
 * may differ in length) plus the KL fields.
 */
export interface PreferenceLossInputs<T extends LogpsInput = LogpsInput> {
  /** Sum of the policy's log-probs over each chosen completion's tokens. [B] */
  policyChosenLogps: T;
  /** Sum of the policy's log-probs over each rejected completion's tokens. [B] */
  policyRejectedLogps: T;
  /** The reference model's sums (not needed by the reference-free simpo and orpo). [B] */
  referenceChosenLogps?: T;
  referenceRejectedLogps?: T;
  /** Completion token counts, for the per-token averages of ipo, simpo and orpo. [B] */
  chosenLengths?: T;
  rejectedLengths?: T;
  /** KTO: policy / reference log-probs of mismatched (prompt, completion) pairs for the batch KL estimate. */
  policyKlLogps?: T;
  referenceKlLogps?: T;
}

/** Hyperparameters, named as TRL's configs (camelCased). */
export interface PreferenceLossOptions {
  /** Temperature β (DPOConfig.beta; IPO's τ). Default 0.1 (ORPO: λ, also 0.1; SimPO: TRL default 0.1, the paper uses 2.0-2.5). */
  beta?: number;
  /** Label smoothing: conservative DPO for "sigmoid" and "simpo", the flip rate ε for "robust" (must be < 0.5), and "aot". Default 0. */
  labelSmoothing?: number;
  /** SimPO target reward margin γ (CPOConfig.simpo_gamma). Default 0.5. */
  simpoGamma?: number;
  /** KTO weight of desirable (chosen) examples. Default 1. */
  desirableWeight?: number;
  /** KTO weight of undesirable (rejected) examples. Default 1. */
  undesirableWeight?: number;
}

/** Per-sequence losses and implicit rewards (TRL's `losses, chosen_rewards, rejected_rewards`). */
export interface PreferenceLossResult<T> {
  /** Per-pair losses (KTO: desirable examples first, then undesirable, as TRL concatenates them). The training loss is their mean. */
  losses: T;
  /** β · (policy − reference) log-ratio of the chosen completions (SimPO / ORPO: β · average log-prob). */
  chosenRewards: T;
  rejectedRewards: T;
  /** KTO only: the clamped batch KL estimate max(0, mean(policyKl − referenceKl)) (no gradient). */
  kl?: number;
}

/** Elementwise operations a loss is written with; `T` is a vector of per-sequence values. */
export interface LossOps<T> {
  add(a: T, b: T | number): T;
  sub(a: T, b: T | number): T;
  mul(a: T, b: T | number): T;
  div(a: T, b: T | number): T;
  neg(a: T): T;
  logSigmoid(a: T): T;
  sigmoid(a: T): T;
  relu(a: T): T;
  square(a: T): T;
  /** log(1 − exp(x)) for x < 0, stable on both sides of −ln 2. */
  log1mexp(a: T): T;
  clampMin(a: T, min: number): T;
  /** Ascending sort along the batch (aot). */
  sortAscending(a: T): T;
  concat(a: T, b: T): T;
  /** Mean as a plain number (no gradient). */
  meanValue(a: T): number;
  size(a: T): number;
}

/** Inputs of a loss definition after validation, in the ops' vector type. */
export interface LossArgs<T> {
  pc: T;
  pr: T;
  rc?: T;
  rr?: T;
  lc?: T;
  lr?: T;
  klPolicy?: T;
  klReference?: T;
}

/** Resolved options (every default filled in). */
export interface ResolvedLossOptions {
  beta: number;
  labelSmoothing: number;
  simpoGamma: number;
  desirableWeight: number;
  undesirableWeight: number;
}

/** One loss of the registry. */
export interface PreferenceLossDefinition {
  /** Needs reference log-probs. */
  needsReference: boolean;
  /** Needs completion lengths (per-token averages). */
  needsLengths: boolean;
  /** Paired (chosen and rejected of equal count) or unpaired (KTO). */
  paired: boolean;
  /** Where TRL implements it. */
  trl: string;
  compute<T>(ops: LossOps<T>, args: LossArgs<T>, options: ResolvedLossOptions): PreferenceLossResult<T>;
}

// ---------------------------------------------------------------------------------------------
// float64 implementation

type Vec = Float64Array;
const map1 = (a: Vec, f: (x: number) => number): Vec => a.map(f);
const map2 = (a: Vec, b: Vec | number, f: (x: number, y: number) => number): Vec =>
  typeof b === 'number' ? a.map((x) => f(x, b)) : a.map((x, i) => f(x, b[i]));
/** log σ(x) = −softplus(−x), as torch's logsigmoid: min(x, 0) − log1p(exp(−|x|)). */
const logSigmoid = (x: number): number => Math.min(x, 0) - Math.log1p(Math.exp(-Math.abs(x)));
const sigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

/** {@link LossOps} on Float64Array: reference precision (float64, like the fixture's torch.float64). */
export const NUMBER_OPS: LossOps<Vec> = {
  add: (a, b) => map2(a, b, (x, y) => x + y),
  sub: (a, b) => map2(a, b, (x, y) => x - y),
  mul: (a, b) => map2(a, b, (x, y) => x * y),
  div: (a, b) => map2(a, b, (x, y) => x / y),
  neg: (a) => map1(a, (x) => -x),
  logSigmoid: (a) => map1(a, logSigmoid),
  sigmoid: (a) => map1(a, sigmoid),
  relu: (a) => map1(a, (x) => Math.max(x, 0)),
  square: (a) => map1(a, (x) => x * x),
  log1mexp: (a) => map1(a, (x) => (x < -Math.LN2 ? Math.log1p(-Math.exp(x)) : Math.log(-Math.expm1(x)))),
  clampMin: (a, min) => map1(a, (x) => Math.max(x, min)),
  sortAscending: (a) => Float64Array.from(a).sort(),
  concat: (a, b) => {
    const out = new Float64Array(a.length + b.length);
    out.set(a);
    out.set(b, a.length);
    return out;
  },
  meanValue: (a) => (a.length === 0 ? Number.NaN : a.reduce((s, x) => s + x, 0) / a.length),
  size: (a) => a.length,
};

// ---------------------------------------------------------------------------------------------
// tensor implementation

type Ten = tf.Tensor;
/** {@link LossOps} on 1-D float32 tensors (differentiable). */
export const TENSOR_OPS: LossOps<Ten> = {
  add: (a, b) => tf.add(a, b),
  sub: (a, b) => tf.sub(a, b),
  mul: (a, b) => tf.mul(a, b),
  div: (a, b) => tf.div(a, b),
  neg: (a) => tf.neg(a),
  // not tf.logSigmoid: its customGrad closure keeps the input, which an enclosing tf.tidy disposes under tf.grad
  logSigmoid: (a) => tf.neg(tf.softplus(tf.neg(a))),
  sigmoid: (a) => tf.sigmoid(a),
  relu: (a) => tf.relu(a),
  square: (a) => tf.square(a),
  // tfjs has no expm1: log(−(exp(x) − 1)) on the upper branch loses a few digits near 0 in float32
  // The branch mask is built from the values (Less has no gradient in tfjs).
  log1mexp: (a) => {
    const lower = tf.tensor(Array.from(a.dataSync(), (x) => (x < -Math.LN2 ? 1 : 0)), a.shape, 'bool');
    return tf.where(lower, tf.log1p(tf.neg(tf.exp(a))), tf.log(tf.neg(tf.sub(tf.exp(a), 1))));
  },
  clampMin: (a, min) => tf.maximum(a, min),
  sortAscending: (a) => {
    // permutation from the values (no gradient through the ordering, as torch.sort)
    const values = a.dataSync();
    const order = Array.from(values.keys()).sort((i, j) => values[i] - values[j]);
    return tf.gather(a, tf.tensor1d(order, 'int32'));
  },
  concat: (a, b) => tf.concat([a, b]),
  meanValue: (a) => (a.size === 0 ? Number.NaN : (tf.mean(a).dataSync()[0] as number)),
  size: (a) => a.size,
};

// ---------------------------------------------------------------------------------------------
// the losses (each block follows TRL 1.13's code line for line; see tools/fixtures/gen_dpo_losses.py)

function ratios<T>(ops: LossOps<T>, a: LossArgs<T>): { c: T; r: T } {
  return { c: ops.sub(a.pc, a.rc!), r: ops.sub(a.pr, a.rr!) };
}

function referenceRewards<T>(ops: LossOps<T>, a: LossArgs<T>, beta: number): { chosenRewards: T; rejectedRewards: T } {
  const { c, r } = ratios(ops, a);
  return { chosenRewards: ops.mul(c, beta), rejectedRewards: ops.mul(r, beta) };
}

function paired(
  trl: string,
  body: <T>(ops: LossOps<T>, c: T, r: T, o: ResolvedLossOptions, a: LossArgs<T>) => T,
  extra: Partial<PreferenceLossDefinition> = {},
): PreferenceLossDefinition {
  return {
    needsReference: true,
    needsLengths: false,
    paired: true,
    trl,
    compute(ops, a, o) {
      const { c, r } = ratios(ops, a);
      return { losses: body(ops, c, r, o, a), ...referenceRewards(ops, a, o.beta) };
    },
    ...extra,
  };
}

/** −(1 − ε) log σ(βd) − ε log σ(−βd): DPO with label smoothing (conservative DPO); ε = 0 is plain DPO. */
function smoothedSigmoid<T>(ops: LossOps<T>, d: T, beta: number, eps: number): T {
  const bd = ops.mul(d, beta);
  const clean = ops.mul(ops.logSigmoid(bd), -(1 - eps));
  if (eps === 0) return clean;
  return ops.sub(clean, ops.mul(ops.logSigmoid(ops.neg(bd)), eps));
}

const LOSSES: Record<PreferenceLossType, PreferenceLossDefinition> = {
  sigmoid: paired('DPOTrainer loss_type="sigmoid" (label smoothing: cDPO, as CPOTrainer / TRL < 1.0)', (ops, c, r, o) =>
    smoothedSigmoid(ops, ops.sub(c, r), o.beta, o.labelSmoothing),
  ),
  hinge: paired('DPOTrainer loss_type="hinge"', (ops, c, r, o) => ops.relu(ops.sub(ops.mul(ops.sub(c, r), -o.beta), -1))),
  ipo: paired(
    'DPOTrainer loss_type="ipo" (log-ratios averaged per completion token)',
    (ops, c, r, o, a) => {
      const chosenAvg = ops.div(c, ops.clampMin(a.lc!, 1));
      const rejectedAvg = ops.div(r, ops.clampMin(a.lr!, 1));
      return ops.square(ops.sub(ops.sub(chosenAvg, rejectedAvg), 1 / (2 * o.beta)));
    },
    { needsLengths: true },
  ),
  robust: paired('DPOTrainer loss_type="robust"', (ops, c, r, o) => {
    const bd = ops.mul(ops.sub(c, r), o.beta);
    const eps = o.labelSmoothing;
    const clean = ops.mul(ops.logSigmoid(bd), -(1 - eps));
    const flipped = ops.mul(ops.logSigmoid(ops.neg(bd)), -eps);
    return ops.div(ops.sub(clean, flipped), 1 - 2 * eps);
  }),
  bco_pair: paired('DPOTrainer loss_type="bco_pair"', (ops, c, r, o) =>
    ops.sub(ops.neg(ops.logSigmoid(ops.mul(c, o.beta))), ops.logSigmoid(ops.mul(r, -o.beta))),
  ),
  sppo_hard: paired('DPOTrainer loss_type="sppo_hard"', (ops, c, r, o) =>
    ops.add(ops.square(ops.sub(c, 0.5 / o.beta)), ops.square(ops.add(r, 0.5 / o.beta))),
  ),
  nca_pair: paired('DPOTrainer loss_type="nca_pair"', (ops, c, r, o) => {
    const cr = ops.mul(c, o.beta);
    const rr = ops.mul(r, o.beta);
    return ops.sub(
      ops.sub(ops.neg(ops.logSigmoid(cr)), ops.mul(ops.logSigmoid(ops.neg(cr)), 0.5)),
      ops.mul(ops.logSigmoid(ops.neg(rr)), 0.5),
    );
  }),
  apo_zero: paired('DPOTrainer loss_type="apo_zero"', (ops, c, r, o) =>
    ops.add(ops.sub(ops.neg(ops.sigmoid(ops.mul(c, o.beta))), -1), ops.sigmoid(ops.mul(r, o.beta))),
  ),
  aot: paired('DPOTrainer loss_type="aot" (sorts across the batch)', (ops, _c, _r, o, a) => {
    const logratios = ops.sub(a.pc, a.pr);
    const refLogratios = ops.sub(a.rc!, a.rr!);
    const delta = ops.sub(ops.sortAscending(logratios), ops.sortAscending(refLogratios));
    return smoothedSigmoid(ops, delta, o.beta, o.labelSmoothing);
  }),
  simpo: {
    needsReference: false,
    needsLengths: true,
    paired: true,
    trl: 'CPOTrainer loss_type="simpo" (average log-probs, margin γ/β)',
    compute(ops, a, o) {
      const chosenAvg = ops.div(a.pc, ops.clampMin(a.lc!, 1));
      const rejectedAvg = ops.div(a.pr, ops.clampMin(a.lr!, 1));
      const logits = ops.sub(ops.sub(chosenAvg, rejectedAvg), o.simpoGamma / o.beta);
      return {
        losses: smoothedSigmoid(ops, logits, o.beta, o.labelSmoothing),
        chosenRewards: ops.mul(chosenAvg, o.beta),
        rejectedRewards: ops.mul(rejectedAvg, o.beta),
      };
    },
  },
  orpo: {
    needsReference: false,
    needsLengths: true,
    paired: true,
    trl: 'ORPOTrainer.odds_ratio_loss (average log-probs; the trainer adds the chosen NLL)',
    compute(ops, a, o) {
      const chosenAvg = ops.div(a.pc, ops.clampMin(a.lc!, 1));
      const rejectedAvg = ops.div(a.pr, ops.clampMin(a.lr!, 1));
      const logOdds = ops.sub(ops.sub(chosenAvg, rejectedAvg), ops.sub(ops.log1mexp(chosenAvg), ops.log1mexp(rejectedAvg)));
      return {
        losses: ops.mul(ops.logSigmoid(logOdds), -o.beta),
        chosenRewards: ops.mul(chosenAvg, o.beta),
        rejectedRewards: ops.mul(rejectedAvg, o.beta),
      };
    },
  },
  kto: {
    needsReference: true,
    needsLengths: false,
    paired: false,
    trl: 'KTOTrainer loss_type="kto" (batch KL from mismatched pairs, clamped at 0, no gradient)',
    compute(ops, a, o) {
      const klRaw = a.klPolicy && a.klReference ? ops.meanValue(ops.sub(a.klPolicy, a.klReference)) : 0;
      const kl = Number.isNaN(klRaw) ? 0 : Math.max(klRaw, 0);
      const { c, r } = ratios(ops, a);
      const chosenLosses = ops.mul(ops.sub(ops.neg(ops.sigmoid(ops.mul(ops.sub(c, kl), o.beta))), -1), o.desirableWeight);
      const rejectedLosses = ops.mul(ops.sub(ops.neg(ops.sigmoid(ops.mul(ops.sub(ops.neg(r), -kl), o.beta))), -1), o.undesirableWeight);
      return { losses: ops.concat(chosenLosses, rejectedLosses), ...referenceRewards(ops, a, o.beta), kl };
    },
  },
};

/**
 * The registry of preference losses by TRL `loss_type` name.
 * @example
 * PREFERENCE_LOSSES.get('ipo')!.needsLengths; // true
 */
export const PREFERENCE_LOSSES: ReadonlyMap<PreferenceLossType, PreferenceLossDefinition> = new Map(
  Object.entries(LOSSES) as Array<[PreferenceLossType, PreferenceLossDefinition]>,
);

/** The loss type names, in registry order. */
export const PREFERENCE_LOSS_TYPES: readonly PreferenceLossType[] = [...PREFERENCE_LOSSES.keys()];

/** Look up a loss definition. @throws {DpoError} `dpo_invalid_argument` naming the known types. */
export function getPreferenceLoss(lossType: unknown): PreferenceLossDefinition {
  const def = typeof lossType === 'string' ? PREFERENCE_LOSSES.get(lossType as PreferenceLossType) : undefined;
  if (!def) invalid(`Unknown preference loss type ${JSON.stringify(lossType)}; use one of ${PREFERENCE_LOSS_TYPES.join(', ')}.`);
  return def;
}

/** Fill and check the options of a loss. @throws {DpoError} `dpo_invalid_argument`. */
export function resolveLossOptions(lossType: PreferenceLossType, options: PreferenceLossOptions = {}): ResolvedLossOptions {
  const o: ResolvedLossOptions = {
    beta: options.beta ?? 0.1,
    labelSmoothing: options.labelSmoothing ?? 0,
    simpoGamma: options.simpoGamma ?? 0.5,
    desirableWeight: options.desirableWeight ?? 1,
    undesirableWeight: options.undesirableWeight ?? 1,
  };
  if (!(Number.isFinite(o.beta) && o.beta > 0)) invalid(`preferenceLoss("${lossType}"): beta must be a finite number > 0, got ${o.beta}.`);
  const maxSmoothing = lossType === 'robust' ? 0.5 : 1;
  const smoothingOk = lossType === 'robust' ? o.labelSmoothing >= 0 && o.labelSmoothing < maxSmoothing : o.labelSmoothing >= 0 && o.labelSmoothing <= 1;
  if (!smoothingOk) {
    invalid(
      `preferenceLoss("${lossType}"): labelSmoothing must lie in [0, ${lossType === 'robust' ? '0.5)' : '1]'}, got ${o.labelSmoothing}` +
        (lossType === 'robust' ? ' (robust DPO divides by 1 − 2ε).' : '.'),
    );
  }
  if (!Number.isFinite(o.simpoGamma)) invalid(`preferenceLoss("${lossType}"): simpoGamma must be finite, got ${o.simpoGamma}.`);
  for (const key of ['desirableWeight', 'undesirableWeight'] as const) {
    if (!(Number.isFinite(o[key]) && o[key] >= 0)) invalid(`preferenceLoss("${lossType}"): ${key} must be a finite number >= 0, got ${o[key]}.`);
  }
  return o;
}

const FIELDS = [
  'policyChosenLogps',
  'policyRejectedLogps',
  'referenceChosenLogps',
  'referenceRejectedLogps',
  'chosenLengths',
  'rejectedLengths',
  'policyKlLogps',
  'referenceKlLogps',
] as const;

/**
 * A preference loss of TRL's DPO family, as a pure function of per-sequence summed log-probs.
 *
 * Plain arrays are computed in float64 and give `number[]`; tensors give 1-D float32 tensors that
 * carry gradients (the caller disposes them, or runs this inside `tf.tidy`). Methods that average
 * per token (ipo, simpo, orpo) need `chosenLengths` / `rejectedLengths`; reference-free methods
 * (simpo, orpo) ignore the reference fields; "kto" is unpaired (chosen = desirable, rejected =
 * undesirable) and estimates the KL term from `policyKlLogps` / `referenceKlLogps`.
 *
 * @param lossType TRL's loss_type: sigmoid, ipo, hinge, robust, bco_pair, sppo_hard, aot, apo_zero, nca_pair, simpo, orpo, kto
 * @throws {DpoError} `dpo_invalid_argument` for an unknown type, bad options, missing fields, unequal lengths or non-finite values.
 * @example
 * const { losses, chosenRewards } = preferenceLoss('sigmoid', {
 *   policyChosenLogps: [-10.2], policyRejectedLogps: [-11.5], referenceChosenLogps: [-10.9], referenceRejectedLogps: [-11.1],
 * }, { beta: 0.1 });
 */
export function preferenceLoss(
  lossType: PreferenceLossType,
  inputs: PreferenceLossInputs<tf.Tensor>,
  options?: PreferenceLossOptions,
): PreferenceLossResult<tf.Tensor1D>;
export function preferenceLoss(
  lossType: PreferenceLossType,
  inputs: PreferenceLossInputs<ArrayLike<number>>,
  options?: PreferenceLossOptions,
): PreferenceLossResult<number[]>;
export function preferenceLoss(
  lossType: PreferenceLossType,
  inputs: PreferenceLossInputs,
  options?: PreferenceLossOptions,
): PreferenceLossResult<tf.Tensor1D> | PreferenceLossResult<number[]>;
export function preferenceLoss(
  lossType: PreferenceLossType,
  inputs: PreferenceLossInputs,
  options: PreferenceLossOptions = {},
): PreferenceLossResult<tf.Tensor1D> | PreferenceLossResult<number[]> {
  const def = getPreferenceLoss(lossType);
  const o = resolveLossOptions(lossType, options);
  if (!inputs || typeof inputs !== 'object') invalid(`preferenceLoss("${lossType}"): inputs must be an object of per-sequence log-prob arrays.`);
  const present = FIELDS.filter((f) => inputs[f] !== undefined);
  const need = ['policyChosenLogps', 'policyRejectedLogps'];
  if (def.needsReference) need.push('referenceChosenLogps', 'referenceRejectedLogps');
  if (def.needsLengths) need.push('chosenLengths', 'rejectedLengths');
  const missing = need.filter((f) => inputs[f as keyof PreferenceLossInputs] === undefined);
  if (missing.length) {
    invalid(`preferenceLoss("${lossType}") needs ${missing.join(', ')}` + (def.needsLengths ? ' (completion token counts for the per-token average).' : '.'));
  }
  if ((inputs.policyKlLogps === undefined) !== (inputs.referenceKlLogps === undefined)) {
    invalid(`preferenceLoss("${lossType}"): give both policyKlLogps and referenceKlLogps, or neither.`);
  }
  const useTensors = present.some((f) => inputs[f] instanceof tf.Tensor);
  const sizes = new Map<string, number>();
  for (const f of present) {
    const v = inputs[f]!;
    if (v instanceof tf.Tensor) {
      if (v.rank !== 1) invalid(`preferenceLoss("${lossType}"): ${f} must be 1-D [batch], got shape [${v.shape}].`);
      sizes.set(f, v.size);
    } else {
      if (typeof v !== 'object' || typeof v.length !== 'number') invalid(`preferenceLoss("${lossType}"): ${f} must be an array of numbers or a 1-D tensor.`);
      for (let i = 0; i < v.length; i++) {
        if (typeof v[i] !== 'number' || Number.isNaN(v[i])) invalid(`preferenceLoss("${lossType}"): ${f}[${i}] is ${v[i]}, not a number.`);
      }
      sizes.set(f, v.length);
    }
  }
  const group = (fields: string[]) => {
    const s = fields.filter((f) => sizes.has(f)).map((f) => [f, sizes.get(f)!] as const);
    if (s.some(([, n]) => n !== s[0][1])) {
      invalid(`preferenceLoss("${lossType}"): ${s.map(([f, n]) => `${f} has ${n}`).join(', ')}; they must have the same length.`);
    }
  };
  if (def.paired) group(['policyChosenLogps', 'policyRejectedLogps', 'referenceChosenLogps', 'referenceRejectedLogps', 'chosenLengths', 'rejectedLengths']);
  else {
    group(['policyChosenLogps', 'referenceChosenLogps', 'chosenLengths']);
    group(['policyRejectedLogps', 'referenceRejectedLogps', 'rejectedLengths']);
  }
  group(['policyKlLogps', 'referenceKlLogps']);
  if (def.paired && sizes.get('policyChosenLogps') === 0) invalid(`preferenceLoss("${lossType}"): the batch is empty.`);

  if (useTensors) {
    const kept = tf.tidy(() => {
      const t = (f: (typeof FIELDS)[number]) => {
        const v = inputs[f];
        if (v === undefined) return undefined;
        return v instanceof tf.Tensor ? (v.dtype === 'float32' ? v : tf.cast(v, 'float32')) : tf.tensor1d(Array.from(v), 'float32');
      };
      const result = def.compute(TENSOR_OPS, argsOf(t), o);
      return { ...result } as unknown as tf.TensorContainerObject;
    }) as unknown as PreferenceLossResult<tf.Tensor1D>;
    return kept;
  }
  const n = (f: (typeof FIELDS)[number]) => {
    const v = inputs[f] as ArrayLike<number> | undefined;
    return v === undefined ? undefined : Float64Array.from(v);
  };
  const r = def.compute(NUMBER_OPS, argsOf(n), o);
  return {
    losses: Array.from(r.losses),
    chosenRewards: Array.from(r.chosenRewards),
    rejectedRewards: Array.from(r.rejectedRewards),
    ...(r.kl !== undefined ? { kl: r.kl } : {}),
  };
}

function argsOf<T>(get: (f: (typeof FIELDS)[number]) => T | undefined): LossArgs<T> {
  return {
    pc: get('policyChosenLogps')!,
    pr: get('policyRejectedLogps')!,
    rc: get('referenceChosenLogps'),
    rr: get('referenceRejectedLogps'),
    lc: get('chosenLengths'),
    lr: get('rejectedLengths'),
    klPolicy: get('policyKlLogps'),
    klReference: get('referenceKlLogps'),
  };
}

