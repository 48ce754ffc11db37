/**
 * Logits warpers (transformers' names in brackets): temperature
 * [TemperatureLogitsWarper], top-k [TopKLogitsWarper], top-p [TopPLogitsWarper],
 * min-p [MinPLogitsWarper], typical-p [TypicalLogitsWarper], epsilon and eta
 * cutoffs [EpsilonLogitsWarper, EtaLogitsWarper]. Each public function
 * validates, copies and returns a new Float32Array; the `apply*` variants work
 * in place on an already validated row and are used by `processLogits`.
 * Removed tokens get `-Infinity`; `minTokensToKeep` is 1 as in transformers.
 */
import {
  checkInt,
  checkLogits,
  checkNumber,
  kthLargest,
  maxLogit,
  softmax64,
} from "./util.js";

/** @internal In-place temperature. */
export function applyTemperature(out: Float32Array, t: number): Float32Array {
  if (t === 1) return out;
  for (let i = 0; i < out.length; i++) out[i] = out[i] / t;
  return out;
}

/**
 * Divide logits by a temperature (> 0). Temperature 0 means greedy: use
 * `sample` / `processLogits`, which handle it, not this function.
 * @throws {InvalidArgumentError} `invalid_argument` for NaN/+Infinity logits or t <= 0.
 * @example temperature(Float32Array.of(1, 2), 0.5) // Float32Array [2, 4]
 */
export function temperature(logits: Float32Array, t: number): Float32Array {
  checkLogits(logits, "temperature");
  checkNumber(
    "temperature",
    "t",
    t,
    { min: 0, minExclusive: true },
    "give a finite temperature > 0 (temperature 0 = greedy: use sample())"
  );
  return applyTemperature(logits.slice(), t);
}

/** @internal In-place top-k. */
export function applyTopK(out: Float32Array, k: number): Float32Array {
  if (k >= out.length) return out;
  const kth = kthLargest(out, k);
  for (let i = 0; i < out.length; i++) if (out[i] < kth) out[i] = -Infinity;
  return out;
}

/**
 * Keep the `k` largest logits (and every logit tied with the k-th, as
 * transformers does); the rest become -Infinity. Average O(V) (quickselect).
 * @throws {InvalidArgumentError} `invalid_argument` for NaN logits or k not an integer >= 1.
 * @example topK(Float32Array.of(1, 3, 2), 2) // [-Infinity, 3, 2]
 */
export function topK(logits: Float32Array, k: number): Float32Array {
  checkLogits(logits, "topK");
  checkInt("topK", "k", k, 1);
  return applyTopK(logits.slice(), k);
}

const SORT_INDEX_BITS = 2 ** 18;
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * Indices `cand` ordered by descending `x[i]`, higher index first on ties.
 * For vocabularies below 2^18 the float32 bits (made order-preserving) and the
 * index are packed into one float64 key and sorted natively (no comparator).
 */
function sortDescending(x: Float32Array, cand: number[]): ArrayLike<number> {
  if (x.length > SORT_INDEX_BITS)
    return cand.sort((a, b) => x[b] - x[a] || b - a);
  const keys = new Float64Array(cand.length);
  for (let j = 0; j < cand.length; j++) {
    const i = cand[j];
    f32[0] = x[i];
    const bits = u32[0];
    const sortable =
      bits & 0x80000000 ? ~bits >>> 0 : (bits | 0x80000000) >>> 0;
    keys[j] = sortable * SORT_INDEX_BITS + i;
  }
  keys.sort();
  const order = new Int32Array(cand.length);
  for (let j = 0; j < cand.length; j++)
    order[j] = keys[cand.length - 1 - j] % SORT_INDEX_BITS;
  return order;
}

const TOP_P_BINS = 1024;
const TOP_P_BIN_WIDTH = 1 / 32;

/** @internal In-place top-p. */
export function applyTopP(out: Float32Array, p: number): Float32Array {
  if (p >= 1) return out;
  const n = out.length;
  const max = maxLogit(out, "topP");
  // One pass: total mass and a histogram of mass by distance below the max
  // logit. The first bins holding >= p of the mass bound the candidates:
  // every token outside them is smaller than every candidate, so only the
  // candidates need sorting.
  const binMass = new Float64Array(TOP_P_BINS);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const d = max - out[i];
    if (d === Infinity) continue;
    const e = Math.exp(-d);
    total += e;
    const b = d * 32;
    binMass[b < TOP_P_BINS - 1 ? b | 0 : TOP_P_BINS - 1] += e;
  }
  let lastBin = TOP_P_BINS - 1;
  let acc = 0;
  const need = p * total;
  for (let b = 0; b < TOP_P_BINS; b++) {
    acc += binMass[b];
    if (acc >= need) {
      lastBin = b;
      break;
    }
  }
  const limit =
    lastBin === TOP_P_BINS - 1 ? Infinity : (lastBin + 1) * TOP_P_BIN_WIDTH;
  const cand: number[] = [];
  for (let i = 0; i < n; i++) {
    const d = max - out[i];
    if (d < limit || (limit === Infinity && d !== Infinity)) cand.push(i);
  }
  // Descending logit; ties: higher index first (the reverse of transformers'
  // ascending sort, stable, which removes the lower index first).
  const order = sortDescending(out, cand);
  // transformers removes a token when its ascending cumulative probability is
  // <= 1 - p, i.e. when the probability strictly above it (descending) >= p.
  // The top token always stays.
  const keep = new Uint8Array(n);
  let above = 0;
  for (let j = 0; j < order.length; j++) {
    if (j > 0 && above >= p) break;
    keep[order[j]] = 1;
    above += Math.exp(out[order[j]] - max) / total;
  }
  for (let i = 0; i < n; i++) if (!keep[i]) out[i] = -Infinity;
  return out;
}

/**
 * Nucleus sampling: keep the smallest set of most likely tokens whose
 * probability reaches `p` (transformers' rule: remove tokens whose ascending
 * cumulative probability is <= 1 - p; the top token always stays). Only the
 * surviving candidates are sorted. `p = 1` returns the logits unchanged. Tied
 * logits at the boundary: the lower index is removed first (transformers with a
 * stable sort; torch's default CPU sort is not stable, so its choice among ties varies).
 * @throws {InvalidArgumentError} `invalid_argument` for NaN logits or p outside (0, 1].
 * @throws {AllTokensMaskedError} `all_tokens_masked` when every logit is -Infinity.
 * @example topP(Float32Array.of(0, 0, 5), 0.9) // [-Infinity, -Infinity, 5]
 */
export function topP(logits: Float32Array, p: number): Float32Array {
  checkLogits(logits, "topP");
  checkNumber(
    "topP",
    "p",
    p,
    { min: 0, max: 1, minExclusive: true },
    "give a probability mass in (0, 1]"
  );
  return applyTopP(logits.slice(), p);
}

/** @internal In-place min-p. */
export function applyMinP(out: Float32Array, minP: number): Float32Array {
  const probs = softmax64(out, "minP");
  let pmax = 0;
  for (let i = 0; i < out.length; i++) if (probs[i] > pmax) pmax = probs[i];
  const threshold = minP * pmax;
  for (let i = 0; i < out.length; i++)
    if (probs[i] < threshold) out[i] = -Infinity;
  return out;
}

/**
 * Min-p: remove tokens whose probability is below `minP` times the top
 * token's probability (the top token always stays).
 * @throws {InvalidArgumentError} `invalid_argument` for NaN logits or minP outside [0, 1].
 * @throws {AllTokensMaskedError} `all_tokens_masked` when every logit is -Infinity.
 * @example minP(Float32Array.of(0, Math.log(0.05), Math.log(0.5)), 0.2) // [ 0, -Infinity, log 0.5 ]
 */
export function minP(logits: Float32Array, minP: number): Float32Array {
  checkLogits(logits, "minP");
  checkNumber(
    "minP",
    "minP",
    minP,
    { min: 0, max: 1 },
    "give a fraction in [0, 1]"
  );
  return applyMinP(logits.slice(), minP);
}

/** @internal In-place typical-p. */
export function applyTypicalP(out: Float32Array, mass: number): Float32Array {
  const n = out.length;
  const max = maxLogit(out, "typicalP");
  let total = 0;
  for (let i = 0; i < n; i++) total += Math.exp(out[i] - max);
  const logZ = max + Math.log(total);
  let entropy = 0;
  const finite: number[] = [];
  for (let i = 0; i < n; i++) {
    if (out[i] === -Infinity) continue;
    const lp = out[i] - logZ;
    entropy -= lp * Math.exp(lp);
    finite.push(i);
  }
  const shifted = new Float64Array(n);
  for (const i of finite) shifted[i] = Math.abs(-(out[i] - logZ) - entropy);
  // Ascending by |-log p - H|, stable (lower index first on ties), as torch.sort.
  finite.sort((a, b) => shifted[a] - shifted[b] || a - b);
  let cum = 0;
  let lastInd = 0;
  for (let j = 0; j < finite.length; j++) {
    cum += Math.exp(out[finite[j]] - logZ);
    if (cum < mass) lastInd = j + 1;
    else break;
  }
  if (lastInd > finite.length - 1) lastInd = finite.length - 1;
  const threshold = shifted[finite[lastInd]];
  const top = finite[0];
  for (let i = 0; i < n; i++) {
    if (out[i] === -Infinity || i === top) continue;
    if (shifted[i] > threshold) out[i] = -Infinity;
  }
  return out;
}

/**
 * Locally typical sampling: keep the tokens whose surprisal is closest to the
 * entropy, until their probability reaches `mass` (ties with the boundary kept).
 * @throws {InvalidArgumentError} `invalid_argument` for NaN logits or mass outside (0, 1).
 * @throws {AllTokensMaskedError} `all_tokens_masked` when every logit is -Infinity.
 * @example typicalP(logits, 0.9)
 */
export function typicalP(logits: Float32Array, mass: number): Float32Array {
  checkLogits(logits, "typicalP");
  checkNumber(
    "typicalP",
    "mass",
    mass,
    { min: 0, max: 1, minExclusive: true, maxExclusive: true },
    "give a mass in (0, 1) (1 disables it)"
  );
  return applyTypicalP(logits.slice(), mass);
}

/** Remove tokens with probability below `threshold`, keeping the top logit(s). */
function cutBelow(
  out: Float32Array,
  probs: Float64Array,
  threshold: number
): Float32Array {
  let max = -Infinity;
  for (let i = 0; i < out.length; i++) if (out[i] > max) max = out[i];
  for (let i = 0; i < out.length; i++)
    if (probs[i] < threshold && out[i] < max) out[i] = -Infinity;
  return out;
}

/** @internal In-place epsilon cutoff. */
export function applyEpsilonCutoff(
  out: Float32Array,
  epsilon: number
): Float32Array {
  return cutBelow(out, softmax64(out, "epsilonCutoff"), epsilon);
}

/**
 * Epsilon sampling (truncation sampling): remove tokens with probability < epsilon
 * (the top token always stays).
 * @throws {InvalidArgumentError} `invalid_argument` for NaN logits or epsilon outside (0, 1).
 * @throws {AllTokensMaskedError} `all_tokens_masked` when every logit is -Infinity.
 * @example epsilonCutoff(logits, 3e-4)
 */
export function epsilonCutoff(
  logits: Float32Array,
  epsilon: number
): Float32Array {
  checkLogits(logits, "epsilonCutoff");
  checkNumber(
    "epsilonCutoff",
    "epsilon",
    epsilon,
    { min: 0, max: 1, minExclusive: true, maxExclusive: true },
    "give a probability in (0, 1), e.g. 3e-4"
  );
  return applyEpsilonCutoff(logits.slice(), epsilon);
}

/** @internal In-place eta cutoff. */
export function applyEtaCutoff(
  out: Float32Array,
  epsilon: number
): Float32Array {
  const probs = softmax64(out, "etaCutoff");
  let entropy = 0;
  for (let i = 0; i < probs.length; i++)
    if (probs[i] > 0) entropy -= probs[i] * Math.log(probs[i]);
  const eta = Math.min(epsilon, Math.sqrt(epsilon) * Math.exp(-entropy));
  return cutBelow(out, probs, eta);
}

/**
 * Eta sampling: remove tokens with probability < min(eta, sqrt(eta) * exp(-entropy))
 * (the top token always stays).
 * @throws {InvalidArgumentError} `invalid_argument` for NaN logits or eta outside (0, 1).
 * @throws {AllTokensMaskedError} `all_tokens_masked` when every logit is -Infinity.
 * @example etaCutoff(logits, 3e-4)
 */
export function etaCutoff(logits: Float32Array, eta: number): Float32Array {
  checkLogits(logits, "etaCutoff");
  checkNumber(
    "etaCutoff",
    "eta",
    eta,
    { min: 0, max: 1, minExclusive: true, maxExclusive: true },
    "give a probability in (0, 1), e.g. 3e-4"
  );
  return applyEtaCutoff(logits.slice(), eta);
}
