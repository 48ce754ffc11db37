/**
 * AWQ (Lin et al., 2023, "AWQ: Activation-aware Weight Quantization for LLM Compression and
 * Acceleration"): before group-wise RTN, scale each input channel of the weight by
 * `s_j = mean|X_j|^ratio` (normalised by `sqrt(max s * min s)`), with `ratio` chosen on a
 * grid to minimise the layer's output error; the inverse scale moves to the input
 * (`X / s`, folded into the previous op or kept as the quantized layer's input scale).
 * A transcription of mit-han-lab/llm-awq `awq/quantize/auto_scale.py`
 * (`get_act_scale`, `_search_module_scale`) and `awq/quantize/quantizer.py`
 * (`pseudo_quantize_tensor` with `zero_point=True`), in float64.
 */
import { InvalidArgumentError, ShapeMismatchError } from '@llmkit/core/errors';
import { checkBits, checkMatrix, roundHalfEven, type QuantizedMatrix } from './rtn.js';

/** Options of {@link awqPseudoQuantize}. */
export interface AwqQuantizeOptions {
  /** Bits per weight, 2..8 (default 4). */
  bits?: number;
  /** Columns per group (must divide the column count), or -1 for one group per row (default 128). */
  groupSize?: number;
}

function resolveGroup(groupSize: number, cols: number, what: string): number {
  if (groupSize === -1) return cols;
  if (!Number.isInteger(groupSize) || groupSize <= 0 || cols % groupSize !== 0) {
    throw new InvalidArgumentError(
      `${what}: groupSize must be -1 or a positive divisor of the column count ${cols}, got ${groupSize}.`,
    );
  }
  return groupSize;
}

/**
 * One group of `pseudo_quantize_tensor(zero_point=True)`: `src[at .. at + g)` -> dequantized values
 * (and codes) written at the same offsets of `deq` / `codes`.
 */
function pseudoQuantizeGroup(
  src: ArrayLike<number>,
  at: number,
  g: number,
  maxq: number,
  deq: Float64Array,
  codes: Uint8Array | null,
): { scale: number; zero: number } {
  let mx = -Infinity;
  let mn = Infinity;
  for (let j = 0; j < g; j++) {
    const v = src[at + j];
    if (v > mx) mx = v;
    if (v < mn) mn = v;
  }
  const scale = Math.max(mx - mn, 1e-5) / maxq; // (max_val - min_val).clamp(min=1e-5) / max_int
  const zero = Math.min(Math.max(-roundHalfEven(mn / scale), 0), maxq) + 0; // (-round(min_val / scales)).clamp_(0, max_int)
  for (let j = 0; j < g; j++) {
    const q = Math.min(Math.max(roundHalfEven(src[at + j] / scale) + zero, 0), maxq);
    if (codes) codes[at + j] = q;
    deq[at + j] = (q - zero) * scale;
  }
  return { scale, zero };
}

/**
 * llm-awq's `pseudo_quantize_tensor(w, n_bit, zero_point=True, q_group_size)`: per row and
 * group `scale = max(max - min, 1e-5) / maxq`, `zero = clamp(-round(min / scale), 0, maxq)`,
 * `q = clamp(round(w / scale) + zero, 0, maxq)`, dequantized `(q - zero) * scale`. Unlike
 * GPTQ's quantizer the range is not widened to include 0.
 *
 * @throws {InvalidArgumentError} for bad bits / groupSize (must divide the columns) / non-finite weights.
 * @example
 * const q = awqPseudoQuantize(Float64Array.of(1, 2, 3, 4), [1, 4], { bits: 4, groupSize: 4 });
 * // scale = 3/15 = 0.2, zero = clamp(-round(1/0.2), 0, 15) = 0, codes [5, 10, 15, 15]
 */
export function awqPseudoQuantize(
  weight: ArrayLike<number>,
  shape: readonly [number, number],
  options: AwqQuantizeOptions = {},
): QuantizedMatrix {
  const [rows, cols] = shape;
  const bits = options.bits ?? 4;
  checkBits(bits, 'awqPseudoQuantize');
  checkMatrix(weight, rows, cols, 'awqPseudoQuantize(weight)');
  const groupSize = options.groupSize ?? 128;
  const g = resolveGroup(groupSize, cols, 'awqPseudoQuantize');
  const maxq = 2 ** bits - 1;
  const nGroups = cols / g;
  const codes = new Uint8Array(rows * cols);
  const dequantized = new Float64Array(rows * cols);
  const scales = new Float64Array(rows * nGroups);
  const zeros = new Float64Array(rows * nGroups);
  const gIdx = new Int32Array(cols);
  for (let c = 0; c < cols; c++) gIdx[c] = Math.floor(c / g);
  for (let r = 0; r < rows; r++) {
    for (let gi = 0; gi < nGroups; gi++) {
      const p = pseudoQuantizeGroup(weight, r * cols + gi * g, g, maxq, dequantized, codes);
      scales[r * nGroups + gi] = p.scale;
      zeros[r * nGroups + gi] = p.zero;
    }
  }
  return { rows, cols, bits, groupSize: groupSize === -1 ? -1 : g, codes, scales, zeros, gIdx, dequantized };
}

/**
 * llm-awq's `get_act_scale`: mean absolute activation per input channel, `x.abs().view(-1, C).mean(0)`.
 * @param x `[tokens, channels]` row-major
 * @example
 * activationScale(Float64Array.of(1, -2, -3, 4), [2, 2]); // Float64Array [2, 3]
 */
export function activationScale(x: ArrayLike<number>, shape: readonly [number, number]): Float64Array {
  const [n, c] = shape;
  checkMatrix(x, n, c, 'activationScale(x)');
  const out = new Float64Array(c);
  for (let t = 0; t < n; t++) for (let j = 0; j < c; j++) out[j] += Math.abs(x[t * c + j]);
  for (let j = 0; j < c; j++) out[j] /= n;
  return out;
}

/** A weight matrix with its `[rows, cols]` shape. */
export interface WeightInput {
  weight: ArrayLike<number>;
  shape: readonly [number, number];
}

/** Options of {@link awqSearchScale} and {@link awq}. */
export interface AwqOptions extends AwqQuantizeOptions {
  /** Grid points for the ratio in [0, 1) (default 20, ratios 0, 0.05, ..., 0.95). */
  nGrid?: number;
  /**
   * llm-awq's `module2inspect` loss: given the candidate effective weights
   * `pseudo_quantize(W diag(s)) diag(s)^-1` of every layer (same order as `layers`), return the
   * loss of the inspected block (e.g. the mean squared error of the whole self-attention or MLP
   * output against the float block's output). Default: the mean squared error of the layers'
   * own outputs on `x` (llm-awq's loss when the inspected module is the linear layer itself).
   */
  lossFn?: (effectiveWeights: Float64Array[], scales: Float64Array) => number;
  /**
   * AutoAWQ's `duo_scaling` (its default): `s = clamp(mean|x|^ratio / (mean|W~|^(1-ratio) + 1e-4), 1e-4)`,
   * where `|W~|` is every weight's magnitude relative to its quantization group's max |w| (group size
   * `groupSize`, whole rows per channel), averaged per input column over all `layers`. Default false:
   * llm-awq's `s = clamp(mean|x|^ratio, 1e-4)`, whose ratio 0 is plain round-to-nearest.
   */
  duoScaling?: boolean;
}

/** Result of {@link awqSearchScale}. */
export interface AwqSearchResult {
  /** [cols] the best per-input-channel scales (multiply the weight's columns, divide the input). */
  scales: Float64Array;
  /** The best grid ratio. */
  ratio: number;
  /** Mean squared output error at the best ratio. */
  error: number;
  /** Mean squared output error at each ratio of the grid. */
  history: number[];
}

/**
 * `X^T X` ([cols, cols], float64) of `[n, cols]` activations, when it makes {@link outputError}
 * cheaper (more tokens than columns), else null.
 */
function gramOf(x: ArrayLike<number>, n: number, cols: number): Float64Array | null {
  if (n <= cols) return null;
  const g = new Float64Array(cols * cols);
  for (let t = 0; t < n; t++) {
    const base = t * cols;
    for (let a = 0; a < cols; a++) {
      const xa = x[base + a];
      if (xa === 0) continue;
      const row = a * cols;
      for (let b = a; b < cols; b++) g[row + b] += xa * x[base + b];
    }
  }
  for (let a = 0; a < cols; a++) for (let b = 0; b < a; b++) g[a * cols + b] = g[b * cols + a];
  return g;
}

/**
 * Mean over tokens and output rows of `(X W^T - X Wq^T)^2` for every layer of a group together;
 * with the Gram matrix `G = X^T X` the same sum is `sum_r d_r^T G d_r` (`d_r = W_r - Wq_r`).
 */
function outputError(
  x: ArrayLike<number>,
  n: number,
  cols: number,
  layers: WeightInput[],
  effs: Float64Array[],
  gram: Float64Array | null = null,
): number {
  let total = 0;
  let count = 0;
  const d = new Float64Array(cols);
  layers.forEach((layer, li) => {
    const rows = layer.shape[0];
    const eff = effs[li];
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) d[c] = layer.weight[r * cols + c] - eff[r * cols + c];
      if (gram) {
        for (let a = 0; a < cols; a++) {
          const da = d[a];
          if (da === 0) continue;
          let s = 0;
          const row = a * cols;
          for (let b = 0; b < cols; b++) s += gram[row + b] * d[b];
          total += da * s;
        }
        continue;
      }
      for (let t = 0; t < n; t++) {
        let s = 0;
        const base = t * cols;
        for (let c = 0; c < cols; c++) s += x[base + c] * d[c];
        total += s * s;
      }
    }
    count += n * rows;
  });
  return total / count;
}

function checkLayers(layers: WeightInput[], cols: number, what: string): void {
  if (!Array.isArray(layers) || layers.length === 0) {
    throw new InvalidArgumentError(`${what}: layers must be a non-empty array of { weight, shape } sharing one input.`);
  }
  for (const [i, l] of layers.entries()) {
    if (l.shape[1] !== cols) {
      throw new ShapeMismatchError(`${what}: layer ${i} has ${l.shape[1]} input columns but the activations have ${cols}.`);
    }
    checkMatrix(l.weight, l.shape[0], l.shape[1], `${what}(layers[${i}].weight)`);
  }
}

/**
 * llm-awq's `_search_module_scale` for linear layers that read the same input `x` (e.g.
 * q/k/v or gate/up projections): for `ratio = i / nGrid`, `s = clamp(mean|x|^ratio, 1e-4)`,
 * `s /= sqrt(max s * min s)`, every weight becomes `pseudo_quantize(W diag(s)) diag(s)^-1`,
 * and the loss is measured; the first strict minimum wins. The loss is `options.lossFn` when
 * given (llm-awq's `module2inspect`: e.g. `quantizeModel` re-runs the whole self-attention
 * or MLP block on its recorded inputs), else the mean squared error of the layers' own outputs
 * on `x` (all layers' outputs together; llm-awq's loss when the inspected module is the layer).
 *
 * @param x `[tokens, cols]` calibration inputs of the layers
 * @throws {InvalidArgumentError} / {ShapeMismatchError} for inconsistent inputs.
 * @example
 * const { scales, ratio } = awqSearchScale([{ weight: w, shape: [64, 128] }], x, [256, 128], { groupSize: 32 });
 */
export function awqSearchScale(
  layers: WeightInput[],
  x: ArrayLike<number>,
  xShape: readonly [number, number],
  options: AwqOptions = {},
): AwqSearchResult {
  const [n, cols] = xShape;
  checkMatrix(x, n, cols, 'awqSearchScale(x)');
  checkLayers(layers, cols, 'awqSearchScale');
  const nGrid = options.nGrid ?? 20;
  if (!Number.isInteger(nGrid) || nGrid <= 0) {
    throw new InvalidArgumentError(`awqSearchScale: nGrid must be a positive integer, got ${nGrid}; llm-awq uses 20.`);
  }
  const xMax = activationScale(x, xShape);
  const wMean = options.duoScaling ? weightScale(layers, cols, options.groupSize ?? 128) : null;
  const gram = options.lossFn ? null : gramOf(x, n, cols);
  let bestError = Infinity;
  let bestRatio = -1;
  let bestScales: Float64Array | null = null;
  const history: number[] = [];
  for (let i = 0; i < nGrid; i++) {
    const ratio = (i * 1) / nGrid;
    const s = scalesForRatio(xMax, ratio, wMean);
    const effs = layers.map((l) => effectiveWeight(l, s, options));
    const loss = options.lossFn ? options.lossFn(effs, s) : outputError(x, n, cols, layers, effs, gram);
    history.push(loss);
    if (Number.isNaN(loss)) {
      throw new InvalidArgumentError(`awqSearchScale: the loss at ratio ${ratio} is NaN; lossFn must return a number.`);
    }
    if (loss < bestError) {
      bestError = loss;
      bestRatio = ratio;
      bestScales = s;
    }
  }
  if (!bestScales) {
    throw new InvalidArgumentError(`awqSearchScale: no finite output error on the grid (history ${history.join(', ')}); check the activations.`);
  }
  return { scales: bestScales, ratio: bestRatio, error: bestError, history };
}

/**
 * AutoAWQ's `w_mean`: every weight's |w| divided by (its group's max |w| + 1e-6), averaged per input
 * column over the rows of all layers (the layers' weights concatenated along the output dimension).
 * A group is `groupSize` consecutive columns of a row (the whole row when groupSize is -1).
 */
function weightScale(layers: WeightInput[], cols: number, groupSize: number): Float64Array {
  const g = resolveGroup(groupSize, cols, 'awqSearchScale');
  const sum = new Float64Array(cols);
  let rowsTotal = 0;
  for (const { weight, shape } of layers) {
    const rows = shape[0];
    for (let r = 0; r < rows; r++) {
      for (let c0 = 0; c0 < cols; c0 += g) {
        let mx = 0;
        for (let c = c0; c < c0 + g; c++) mx = Math.max(mx, Math.abs(weight[r * cols + c]));
        for (let c = c0; c < c0 + g; c++) sum[c] += Math.abs(weight[r * cols + c]) / (mx + 1e-6);
      }
    }
    rowsTotal += rows;
  }
  for (let c = 0; c < cols; c++) sum[c] /= rowsTotal;
  return sum;
}

/**
 * `scales = x_mean.pow(ratio).clamp(min=1e-4)` (with duo scaling: `(x_mean.pow(ratio) / (w_mean.pow(1 - ratio)
 * + 1e-4)).clamp(min=1e-4)`), then `scales = scales / (scales.max() * scales.min()).sqrt()`.
 */
function scalesForRatio(xMax: Float64Array, ratio: number, wMean: Float64Array | null = null): Float64Array {
  const s = Float64Array.from(xMax, (v, j) =>
    Math.max(wMean ? Math.pow(v, ratio) / (Math.pow(wMean[j], 1 - ratio) + 1e-4) : Math.pow(v, ratio), 1e-4),
  );
  let mx = -Infinity;
  let mn = Infinity;
  for (const v of s) {
    if (v > mx) mx = v;
    if (v < mn) mn = v;
  }
  const norm = Math.sqrt(mx * mn);
  for (let j = 0; j < s.length; j++) s[j] /= norm;
  return s;
}

/** `pseudo_quantize(W * s) / s` */
function effectiveWeight(layer: WeightInput, s: Float64Array, options: AwqQuantizeOptions): Float64Array {
  const [rows, cols] = layer.shape;
  const scaled = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) scaled[r * cols + c] = layer.weight[r * cols + c] * s[c];
  const q = awqPseudoQuantize(scaled, [rows, cols], options).dequantized;
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) q[r * cols + c] /= s[c];
  return q;
}

/** Options of {@link awqClipSearch}. */
export interface AwqClipOptions extends AwqQuantizeOptions {
  /** Shrink grid (default 20): clip ratios `1 - i / nGrid` for `i < maxShrink * nGrid`. */
  nGrid?: number;
  /** Largest shrink (default 0.5: clip down to half the group's max |w|). */
  maxShrink?: number;
  /** Tokens sampled (every `floor(tokens / nSampleToken)`-th, at least every one; default 512). */
  nSampleToken?: number;
}

/**
 * llm-awq's `auto_clip_layer`: for every row and group of `weight`, the clipping bound
 * `max |w| * (1 - i / nGrid)` (`i < maxShrink * nGrid`) whose pseudo-quantized group gives the
 * smallest mean squared error of the group's partial output `sum_j x_j w_j` over the sampled
 * tokens (first strict minimum). Returns the bounds `[rows, nGroups]`; apply them with
 * {@link applyAwqClip}. In llm-awq the weight and input are the AWQ-scaled ones (`W diag(s)`,
 * `X / s`). Unlike the reference (which fails with fewer than `nSampleToken` tokens), fewer
 * tokens are all used.
 *
 * @example
 * const maxVal = awqClipSearch(w, [64, 128], x, [512, 128], { groupSize: 32 }); // 64 x 4 bounds
 */
export function awqClipSearch(
  weight: ArrayLike<number>,
  shape: readonly [number, number],
  x: ArrayLike<number>,
  xShape: readonly [number, number],
  options: AwqClipOptions = {},
): Float64Array {
  const [rows, cols] = shape;
  const [n, xc] = xShape;
  if (xc !== cols) throw new ShapeMismatchError(`awqClipSearch: x has ${xc} channels but the weight has ${cols} input columns.`);
  checkMatrix(weight, rows, cols, 'awqClipSearch(weight)');
  checkMatrix(x, n, cols, 'awqClipSearch(x)');
  const bits = options.bits ?? 4;
  checkBits(bits, 'awqClipSearch');
  const g = resolveGroup(options.groupSize ?? 128, cols, 'awqClipSearch');
  const nGrid = options.nGrid ?? 20;
  const maxShrink = options.maxShrink ?? 0.5;
  const nSample = options.nSampleToken ?? 512;
  if (!Number.isInteger(nGrid) || nGrid <= 0) throw new InvalidArgumentError(`awqClipSearch: nGrid must be a positive integer, got ${nGrid}.`);
  if (!(maxShrink >= 0 && maxShrink < 1)) throw new InvalidArgumentError(`awqClipSearch: maxShrink must be in [0, 1), got ${maxShrink}; llm-awq uses 0.5.`);
  if (!Number.isInteger(nSample) || nSample <= 0) throw new InvalidArgumentError(`awqClipSearch: nSampleToken must be a positive integer, got ${nSample}.`);
  const maxq = 2 ** bits - 1;
  const nGroups = cols / g;
  // input_feat[:, 0 :: n_token // n_sample_token]
  const step = Math.max(1, Math.floor(n / nSample));
  const tokens: number[] = [];
  for (let t = 0; t < n; t += step) tokens.push(t);
  const steps = Math.floor(maxShrink * nGrid); // int(max_shrink * n_grid)
  const best = new Float64Array(rows * nGroups);
  const cur = new Float64Array(g);
  const deq = new Float64Array(g);
  const orgOut = new Float64Array(tokens.length);
  for (let r = 0; r < rows; r++) {
    for (let gi = 0; gi < nGroups; gi++) {
      const at = r * cols + gi * g;
      let orgMax = 0;
      for (let j = 0; j < g; j++) orgMax = Math.max(orgMax, Math.abs(weight[at + j]));
      tokens.forEach((t, k) => {
        let sum = 0;
        for (let j = 0; j < g; j++) sum += x[t * cols + gi * g + j] * weight[at + j];
        orgOut[k] = sum;
      });
      let minErr = 1e9;
      let bestMax = orgMax;
      for (let i = 0; i < steps; i++) {
        const maxVal = orgMax * (1 - i / nGrid);
        for (let j = 0; j < g; j++) cur[j] = Math.min(Math.max(weight[at + j], -maxVal), maxVal);
        pseudoQuantizeGroup(cur, 0, g, maxq, deq, null);
        let err = 0;
        tokens.forEach((t, k) => {
          let sum = 0;
          for (let j = 0; j < g; j++) sum += x[t * cols + gi * g + j] * deq[j];
          err += (sum - orgOut[k]) ** 2;
        });
        err /= tokens.length;
        if (err < minErr) {
          minErr = err;
          bestMax = maxVal;
        }
      }
      best[r * nGroups + gi] = bestMax;
    }
  }
  return best;
}

/**
 * llm-awq's `apply_clip`: clamp every group of `weight` to `[-maxVal, maxVal]` (a new array).
 * @param maxVal `[rows, nGroups]` from {@link awqClipSearch}
 * @example
 * const clipped = applyAwqClip(w, [64, 128], maxVal, 32);
 */
export function applyAwqClip(
  weight: ArrayLike<number>,
  shape: readonly [number, number],
  maxVal: ArrayLike<number>,
  groupSize: number,
): Float64Array {
  const [rows, cols] = shape;
  checkMatrix(weight, rows, cols, 'applyAwqClip(weight)');
  const g = resolveGroup(groupSize, cols, 'applyAwqClip');
  const nGroups = cols / g;
  if (maxVal.length !== rows * nGroups) {
    throw new ShapeMismatchError(`applyAwqClip: maxVal has ${maxVal.length} values, expected rows * groups = ${rows * nGroups}.`);
  }
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const m = maxVal[r * nGroups + Math.floor(c / g)];
      out[r * cols + c] = Math.min(Math.max(weight[r * cols + c], -m), m);
    }
  }
  return out;
}

/** Result of {@link awq} / {@link awqQuantizeWithScales}. */
export interface AwqResult extends QuantizedMatrix {
  /** [cols] the channel scales `s`: the codes quantize `W diag(s)`; the layer input must be divided by `s`. */
  inputScale: Float64Array;
  /** [rows * cols] `Q(W diag(s)) diag(s)^-1`, the weight the layer effectively applies to the unscaled input. */
  effective: Float64Array;
  /** [rows, nGroups] the clipping bounds applied to `W diag(s)` before quantization, or null without clipping. */
  clipMaxVal: Float64Array | null;
}

/** Options of {@link awqQuantizeWithScales}. */
export interface AwqApplyOptions extends AwqQuantizeOptions {
  /**
   * Calibration inputs `[tokens, cols]` (unscaled) for the weight clipping search
   * ({@link awqClipSearch} on `W diag(s)` and `X / s`); no clipping when absent.
   */
  clipInput?: { x: ArrayLike<number>; shape: readonly [number, number] };
  /** Options of the clipping search (bits / groupSize are taken from these options). */
  clip?: Omit<AwqClipOptions, 'bits' | 'groupSize'>;
}

/**
 * Quantize `W diag(s)` with {@link awqPseudoQuantize} for given channel scales (llm-awq's
 * `apply_scale`: the weight's columns are multiplied by `s` and the input is divided by `s`),
 * after the optional weight clipping (`auto_clip` + `apply_clip`) when `clipInput` is given.
 *
 * @example
 * const q = awqQuantizeWithScales(w, [64, 128], search.scales, { groupSize: 32, clipInput: { x, shape: [256, 128] } });
 */
export function awqQuantizeWithScales(
  weight: ArrayLike<number>,
  shape: readonly [number, number],
  scales: ArrayLike<number>,
  options: AwqApplyOptions = {},
): AwqResult {
  const [rows, cols] = shape;
  checkMatrix(weight, rows, cols, 'awqQuantizeWithScales(weight)');
  checkMatrix(scales, 1, cols, 'awqQuantizeWithScales(scales)');
  for (let c = 0; c < cols; c++) {
    if (!(scales[c] > 0)) throw new InvalidArgumentError(`awqQuantizeWithScales: scale ${c} is ${scales[c]}; scales must be > 0.`);
  }
  let scaled: Float64Array = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) scaled[r * cols + c] = weight[r * cols + c] * scales[c];
  let clipMaxVal: Float64Array | null = null;
  if (options.clipInput) {
    const { x, shape: xShape } = options.clipInput;
    const [n, xc] = xShape;
    if (xc !== cols) throw new ShapeMismatchError(`awqQuantizeWithScales: clipInput has ${xc} channels but the weight has ${cols} input columns.`);
    checkMatrix(x, n, xc, 'awqQuantizeWithScales(clipInput.x)');
    const xs = new Float64Array(n * cols);
    for (let t = 0; t < n; t++) for (let c = 0; c < cols; c++) xs[t * cols + c] = x[t * cols + c] / scales[c];
    const groupSize = options.groupSize ?? 128;
    clipMaxVal = awqClipSearch(scaled, shape, xs, xShape, { ...options.clip, bits: options.bits ?? 4, groupSize });
    scaled = applyAwqClip(scaled, shape, clipMaxVal, groupSize);
  }
  const q = awqPseudoQuantize(scaled, shape, options);
  const effective = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) effective[r * cols + c] = q.dequantized[r * cols + c] / scales[c];
  return { ...q, inputScale: Float64Array.from(scales), effective, clipMaxVal };
}

/**
 * AWQ for one linear layer, as llm-awq's `run_awq` does for a layer: search the channel
 * scales on the calibration inputs ({@link awqSearchScale}), then (unless `clip: false`) search
 * per-group clipping bounds of the scaled weight ({@link awqClipSearch}), and quantize
 * ({@link awqQuantizeWithScales}). Returns the codes/scales/zeros of `Q(clip(W diag(s)))`, the
 * input scale `s`, the effective weight, the chosen ratio, the search's output errors
 * (`error` at the best ratio, `rtnError` at ratio 0 = plain RTN, both before clipping) and
 * `finalError`, the output error of the returned effective weight.
 *
 * @param weight `[rows, cols]` row-major
 * @param x `[tokens, cols]` calibration inputs of this layer
 * @example
 * const r = awq(w, [64, 128], x, [256, 128], { bits: 4, groupSize: 32 });
 * r.error <= r.rtnError; // true: ratio 0 (plain RTN) is on the grid
 */
export function awq(
  weight: ArrayLike<number>,
  shape: readonly [number, number],
  x: ArrayLike<number>,
  xShape: readonly [number, number],
  options: AwqOptions & { clip?: boolean | Omit<AwqClipOptions, 'bits' | 'groupSize'> } = {},
): AwqResult & { ratio: number; error: number; rtnError: number; finalError: number; history: number[] } {
  const search = awqSearchScale([{ weight, shape }], x, xShape, options);
  const clip = options.clip ?? true;
  const q = awqQuantizeWithScales(weight, shape, search.scales, {
    ...(options.bits !== undefined ? { bits: options.bits } : {}),
    ...(options.groupSize !== undefined ? { groupSize: options.groupSize } : {}),
    ...(clip ? { clipInput: { x, shape: xShape }, ...(typeof clip === 'object' ? { clip } : {}) } : {}),
  });
  const finalError = outputError(x, xShape[0], shape[1], [{ weight, shape }], [q.effective], gramOf(x, xShape[0], shape[1]));
  return { ...q, ratio: search.ratio, error: search.error, rtnError: search.history[0], finalError, history: search.history };
}
