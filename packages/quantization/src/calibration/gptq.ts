/**
 * GPTQ (Frantar et al., 2022, "GPTQ: Accurate Post-Training Quantization for Generative
 * Pre-trained Transformers"): quantize a linear layer's weight one column at a time and
 * spread each column's rounding error over the columns not yet quantized, weighted by the
 * inverse Hessian of the layer's squared output error. A transcription of
 * `GPTQ.add_batch` / `GPTQ.fasterquant` in IST-DASLab/gptq `gptq.py` (with AutoGPTQ's
 * `g_idx` / per-group scale bookkeeping), computed in float64.
 */
import { InvalidArgumentError, LlmkitError, ShapeMismatchError } from '@llmkit/core/errors';
import {
  checkBits,
  checkGroupSize,
  checkMatrix,
  findRtnParams,
  groupCount,
  quantizeCode,
  type QuantizedMatrix,
} from './rtn.js';

/**
 * The GPTQ Hessian `H = 2 X^T X / nsamples` of one linear layer, accumulated over
 * calibration batches with `GPTQ.add_batch`'s running average: before each batch of `b`
 * samples `H *= n / (n + b)`, `n += b`, then `H += (sqrt(2 / n) X)^T (sqrt(2 / n) X)` over
 * the batch's tokens. A sample is one sequence (`b` is the leading dim of a `[b, T, in]`
 * input; a `[T, in]` input counts as one sample), as in the reference.
 *
 * @example
 * const h = new GptqHessian(4);
 * h.addBatch(new Float32Array(2 * 3 * 4).fill(1), [2, 3, 4]); // two sequences of 3 tokens
 * h.H[0]; // 2 * 6 / 2 = 6
 */
export class GptqHessian {
  /** Input features (the layer's `inFeatures`). */
  readonly columns: number;
  /** [columns, columns] row-major. */
  readonly H: Float64Array;
  /** Samples (sequences) accumulated so far. */
  nsamples = 0;

  constructor(columns: number) {
    if (!Number.isInteger(columns) || columns <= 0) {
      throw new InvalidArgumentError(`GptqHessian(columns): must be a positive integer (the layer's inFeatures), got ${columns}.`);
    }
    this.columns = columns;
    this.H = new Float64Array(columns * columns);
  }

  /**
   * Add one batch of layer inputs.
   * @param x row-major values of shape `shape`
   * @param shape `[batch, T, columns]` or `[T, columns]` (one sample)
   * @throws {ShapeMismatchError} when the last dim is not `columns` or `x` does not fill `shape`.
   */
  addBatch(x: ArrayLike<number>, shape: readonly number[]): void {
    const c = this.columns;
    if ((shape.length !== 2 && shape.length !== 3) || shape[shape.length - 1] !== c) {
      throw new ShapeMismatchError(`GptqHessian.addBatch: shape must be [batch, T, ${c}] or [T, ${c}], got [${shape}].`);
    }
    const tokens = shape.length === 3 ? shape[0] * shape[1] : shape[0];
    if (x.length !== tokens * c) {
      throw new ShapeMismatchError(`GptqHessian.addBatch: ${x.length} values do not fill shape [${shape}].`);
    }
    const tmp = shape.length === 3 ? shape[0] : 1; // gptq.py: tmp = inp.shape[0] after unsqueeze(0) of 2-D inputs
    const H = this.H;
    const decay = this.nsamples / (this.nsamples + tmp); // self.H *= self.nsamples / (self.nsamples + tmp)
    for (let i = 0; i < H.length; i++) H[i] *= decay;
    this.nsamples += tmp;
    const a = Math.sqrt(2 / this.nsamples); // inp = math.sqrt(2 / self.nsamples) * inp.float()
    const row = new Float64Array(c);
    for (let t = 0; t < tokens; t++) {
      for (let j = 0; j < c; j++) row[j] = a * x[t * c + j];
      // self.H += inp.matmul(inp.t()): symmetric rank-1 update, upper triangle then mirrored below
      for (let i = 0; i < c; i++) {
        const ri = row[i];
        if (ri === 0) continue;
        const base = i * c;
        for (let j = i; j < c; j++) H[base + j] += ri * row[j];
      }
    }
    for (let i = 0; i < c; i++) for (let j = 0; j < i; j++) H[i * c + j] = H[j * c + i];
  }
}

/** Options of {@link gptq}. */
export interface GptqOptions {
  /** Bits per weight, 2..8 (default 4). */
  bits?: number;
  /** Columns per group, or -1 for one group per row (default 128). */
  groupSize?: number;
  /** Quantize columns in order of decreasing Hessian diagonal (`actorder`, default false). */
  actOrder?: boolean;
  /** Symmetric quantizer (default false). */
  sym?: boolean;
  /** Dampening: `percdamp * mean(diag H)` is added to the diagonal (default 0.01). */
  percdamp?: number;
  /** Lazy-batch block size (default 128). */
  blocksize?: number;
}

/** Result of {@link gptq}: the quantized matrix plus the GPTQ loss and the act-order permutation. */
export interface GptqResult extends QuantizedMatrix {
  /** `sum((w - q)^2 / d^2) / 2` over every weight, the reference's reported `error`. */
  loss: number;
  /** Column order used with act-order (`perm[i]` = original column quantized i-th), else null. */
  perm: Int32Array | null;
}

/** In-place lower Cholesky factor of the symmetric `[n, n]` matrix `a` (upper triangle zeroed). */
function choleskyLower(a: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) {
    let s = a[j * n + j];
    for (let k = 0; k < j; k++) s -= a[j * n + k] * a[j * n + k];
    if (!(s > 0)) {
      throw new LlmkitError(
        'not_positive_definite',
        `gptq: the damped Hessian is not positive definite (pivot ${j} = ${s}); increase percdamp or add calibration data.`,
      );
    }
    const d = Math.sqrt(s);
    a[j * n + j] = d;
    for (let i = j + 1; i < n; i++) {
      let t = a[i * n + j];
      for (let k = 0; k < j; k++) t -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = t / d;
    }
    for (let i = 0; i < j; i++) a[i * n + j] = 0;
  }
}

/**
 * `U` with `U^T U = H^{-1}`: `torch.linalg.cholesky(torch.cholesky_inverse(torch.linalg.cholesky(H)), upper=True)`.
 */
function upperCholeskyOfInverse(h: Float64Array, n: number): Float64Array {
  const L = Float64Array.from(h);
  choleskyLower(L, n);
  // Linv = L^{-1} (lower triangular), column by column by forward substitution.
  const Linv = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    Linv[j * n + j] = 1 / L[j * n + j];
    for (let i = j + 1; i < n; i++) {
      let s = 0;
      for (let k = j; k < i; k++) s -= L[i * n + k] * Linv[k * n + j];
      Linv[i * n + j] = s / L[i * n + i];
    }
  }
  // Hinv = L^{-T} L^{-1}: Hinv[i][j] = sum_{k >= max(i, j)} Linv[k][i] Linv[k][j]
  const Hinv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let k = j; k < n; k++) s += Linv[k * n + i] * Linv[k * n + j];
      Hinv[i * n + j] = s;
      Hinv[j * n + i] = s;
    }
  }
  choleskyLower(Hinv, n);
  // upper = lower^T
  const U = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) U[j * n + i] = Hinv[i * n + j];
  return U;
}

/**
 * Quantize one linear layer's weight with GPTQ.
 *
 * Follows `GPTQ.fasterquant(blocksize, percdamp, groupsize, actorder, static_groups=False)`:
 * per-row quantizer parameters from the whole weight (groupSize -1) or from the group's
 * columns when the sweep reaches a group boundary (read from the weight as updated up to
 * the current block, as the reference does); dead inputs (`H_ii = 0`) get `H_ii = 1` and
 * zero weights; `percdamp * mean(diag H)` dampening; the upper Cholesky factor of `H^{-1}`;
 * lazy block updates. With `actOrder` columns are processed by decreasing `diag H` and the
 * results are permuted back (codes, dequantized weight and `gIdx` in the original order).
 *
 * @param weight `[rows, cols]` row-major (the `Linear` weight `[out, in]`)
 * @param hessian a {@link GptqHessian} or a `[cols, cols]` matrix (not modified)
 * @throws {InvalidArgumentError} for bad options or non-finite weights.
 * @throws {ShapeMismatchError} when the Hessian size differs from the column count.
 * @throws {LlmkitError} `not_positive_definite` when the damped Hessian has no Cholesky factor.
 * @example
 * const h = new GptqHessian(128);
 * h.addBatch(activations, [1, 256, 128]);
 * const q = gptq(weight, [64, 128], h, { bits: 4, groupSize: 32, actOrder: true });
 * q.codes; q.scales; q.zeros; q.gIdx; q.dequantized; q.loss;
 */
export function gptq(
  weight: ArrayLike<number>,
  shape: readonly [number, number],
  hessian: GptqHessian | Float64Array,
  options: GptqOptions = {},
): GptqResult {
  const [rows, cols] = shape;
  const bits = options.bits ?? 4;
  const groupSize = options.groupSize ?? 128;
  const actOrder = options.actOrder ?? false;
  const sym = options.sym ?? false;
  const percdamp = options.percdamp ?? 0.01;
  const blocksize = options.blocksize ?? 128;
  checkBits(bits, 'gptq');
  checkGroupSize(groupSize, 'gptq');
  if (!(typeof percdamp === 'number' && percdamp >= 0 && Number.isFinite(percdamp))) {
    throw new InvalidArgumentError(`gptq: percdamp must be a finite number >= 0, got ${percdamp}; the reference uses 0.01.`);
  }
  if (!Number.isInteger(blocksize) || blocksize <= 0) {
    throw new InvalidArgumentError(`gptq: blocksize must be a positive integer, got ${blocksize}; the reference uses 128.`);
  }
  checkMatrix(weight, rows, cols, 'gptq(weight)');
  const Hsrc = hessian instanceof GptqHessian ? hessian.H : hessian;
  if (!(Hsrc instanceof Float64Array) || Hsrc.length !== cols * cols) {
    throw new ShapeMismatchError(
      `gptq: the Hessian must be [${cols}, ${cols}] (the weight's column count), got ${Hsrc?.length} values.`,
    );
  }
  if (hessian instanceof GptqHessian && hessian.nsamples === 0) {
    throw new InvalidArgumentError('gptq: the Hessian has no samples; call addBatch with calibration inputs first.');
  }
  const maxq = 2 ** bits - 1;
  const n = cols;
  let W = Float64Array.from(weight);
  let H = Float64Array.from(Hsrc);

  // if not self.quantizer.ready(): self.quantizer.find_params(W, weight=True)  (before dead-column zeroing)
  let params = findRtnParams(W, rows, cols, 0, cols, bits, sym);

  // dead = torch.diag(H) == 0; H[dead, dead] = 1; W[:, dead] = 0
  for (let i = 0; i < n; i++) {
    if (H[i * n + i] === 0) {
      H[i * n + i] = 1;
      for (let r = 0; r < rows; r++) W[r * cols + i] = 0;
    }
  }

  // if actorder: perm = argsort(diag(H), descending=True); W = W[:, perm]; H = H[perm][:, perm]
  let perm: Int32Array | null = null;
  if (actOrder) {
    const idx = Array.from({ length: n }, (_, i) => i);
    // stable descending sort; torch's argsort is not guaranteed stable, equal diagonals are a measure-zero event
    idx.sort((a, b) => H[b * n + b] - H[a * n + a] || a - b);
    perm = Int32Array.from(idx);
    const W2 = new Float64Array(rows * cols);
    for (let r = 0; r < rows; r++) for (let i = 0; i < n; i++) W2[r * cols + i] = W[r * cols + perm[i]];
    const H2 = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) H2[i * n + j] = H[perm[i] * n + perm[j]];
    W = W2;
    H = H2;
  }

  // damp = percdamp * mean(diag(H)); H[diag, diag] += damp
  let meanDiag = 0;
  for (let i = 0; i < n; i++) meanDiag += H[i * n + i];
  meanDiag /= n;
  const damp = percdamp * meanDiag;
  for (let i = 0; i < n; i++) H[i * n + i] += damp;
  // H = cholesky(H); H = cholesky_inverse(H); H = cholesky(H, upper=True); Hinv = H
  const Hinv = upperCholeskyOfInverse(H, n);

  const Q = new Float64Array(rows * cols);
  const codesP = new Uint8Array(rows * cols);
  const nGroups = groupCount(cols, groupSize);
  const scalesP = new Float64Array(rows * nGroups);
  const zerosP = new Float64Array(rows * nGroups);
  const storeParams = (g: number) => {
    for (let r = 0; r < rows; r++) {
      scalesP[r * nGroups + g] = params.scale[r];
      zerosP[r * nGroups + g] = params.zero[r];
    }
  };
  if (groupSize === -1) storeParams(0);
  let loss = 0;

  for (let i1 = 0; i1 < n; i1 += blocksize) {
    const i2 = Math.min(i1 + blocksize, n);
    const count = i2 - i1;
    // W1 = W[:, i1:i2].clone(); Err1 = zeros
    const W1 = new Float64Array(rows * count);
    for (let r = 0; r < rows; r++) for (let j = 0; j < count; j++) W1[r * count + j] = W[r * cols + i1 + j];
    const Err1 = new Float64Array(rows * count);
    for (let i = 0; i < count; i++) {
      const col = i1 + i;
      // if (i1 + i) % groupsize == 0: find_params(W[:, (i1+i):(i1+i+groupsize)]) -- W, not W1: columns of the
      // current block are as they were at the start of the block
      if (groupSize !== -1 && col % groupSize === 0) {
        params = findRtnParams(W, rows, cols, col, col + groupSize, bits, sym);
        storeParams(col / groupSize);
      }
      const d = Hinv[col * n + col]; // d = Hinv1[i, i]
      for (let r = 0; r < rows; r++) {
        const w = W1[r * count + i];
        const code = quantizeCode(w, params.scale[r], params.zero[r], maxq);
        const q = params.scale[r] * (code - params.zero[r]);
        codesP[r * cols + col] = code;
        Q[r * cols + col] = q;
        loss += ((w - q) * (w - q)) / (d * d) / 2; // Losses1[:, i] = (w - q)**2 / d**2; Losses = Losses1 / 2
        const err = (w - q) / d; // err1 = (w - q) / d
        // W1[:, i:] -= err1.unsqueeze(1).matmul(Hinv1[i, i:].unsqueeze(0))
        const hrow = col * n + i1;
        for (let j = i; j < count; j++) W1[r * count + j] -= err * Hinv[hrow + j];
        Err1[r * count + i] = err;
      }
    }
    // W[:, i2:] -= Err1.matmul(Hinv[i1:i2, i2:])
    if (i2 < n) {
      for (let r = 0; r < rows; r++) {
        for (let k = 0; k < count; k++) {
          const e = Err1[r * count + k];
          if (e === 0) continue;
          const hrow = (i1 + k) * n;
          const wrow = r * cols;
          for (let c = i2; c < n; c++) W[wrow + c] -= e * Hinv[hrow + c];
        }
      }
    }
  }

  // g_idx = [i // group_size for i in range(columns)]; if actorder: Q = Q[:, invperm]; g_idx = g_idx[invperm]
  const g = groupSize === -1 ? cols : groupSize;
  const codes = new Uint8Array(rows * cols);
  const dequantized = new Float64Array(rows * cols);
  const gIdx = new Int32Array(cols);
  for (let i = 0; i < n; i++) {
    const c = perm ? perm[i] : i; // position i of the sweep holds original column c
    gIdx[c] = Math.floor(i / g);
    for (let r = 0; r < rows; r++) {
      codes[r * cols + c] = codesP[r * cols + i];
      dequantized[r * cols + c] = Q[r * cols + i];
    }
  }
  return { rows, cols, bits, groupSize, codes, scales: scalesP, zeros: zerosP, gIdx, dequantized, loss, perm };
}
