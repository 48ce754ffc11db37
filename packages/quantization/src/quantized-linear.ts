/**
 * A linear layer holding weight-only integer-quantized weights (GPTQ / AWQ / RTN layout):
 * bit-packed codes, per-row-and-group scales and integer zero points, an optional column ->
 * group map (GPTQ act-order `g_idx`) and an optional per-input-channel scale (AWQ). The
 * float weight is rebuilt from the codes at every forward call.
 */
import { Linear, Module, createParameter, tf, type Parameter } from '@llmkit/core';
import { InvalidArgumentError, ShapeMismatchError } from '@llmkit/core/errors';
import { checkBits, groupCount, rtnQuantize, type QuantizedMatrix, type RtnOptions } from './calibration/rtn.js';

/** Constructor input of {@link QuantizedLinear}. */
export interface QuantizedLinearInit {
  inFeatures: number;
  outFeatures: number;
  /** Bits per code, 2..8. */
  bits: number;
  /** Columns per group, or -1 for one group per row. */
  groupSize: number;
  /** [outFeatures * inFeatures] unpacked codes in [0, 2^bits - 1], row-major. */
  codes: ArrayLike<number>;
  /** [outFeatures, nGroups] row-major. */
  scales: ArrayLike<number>;
  /** [outFeatures, nGroups] row-major integer zero points in [0, 2^bits - 1]. */
  zeros: ArrayLike<number>;
  /** [inFeatures] group of each column (default `floor(c / groupSize)`). */
  gIdx?: ArrayLike<number> | null;
  /** [inFeatures] AWQ channel scales: the codes quantize `W diag(s)` and the input is divided by `s`. */
  inputScale?: ArrayLike<number> | null;
  /** [outFeatures] bias (copied), or null. */
  bias?: tf.Tensor | ArrayLike<number> | null;
  /** Name of the method that produced the codes (informational; default 'rtn'). */
  method?: string;
}

/** Pack `codes` of `bits` bits LSB-first into bytes. */
function packCodes(codes: ArrayLike<number>, bits: number): Uint8Array {
  const out = new Uint8Array(Math.ceil((codes.length * bits) / 8));
  let bit = 0;
  for (let i = 0; i < codes.length; i++, bit += bits) {
    const v = codes[i];
    for (let b = 0; b < bits; b++) if ((v >> b) & 1) out[(bit + b) >> 3] |= 1 << ((bit + b) & 7);
  }
  return out;
}

function unpackCodes(packed: Uint8Array, n: number, bits: number): Uint8Array {
  const out = new Uint8Array(n);
  if (bits === 4) {
    for (let i = 0; i < n; i++) out[i] = (packed[i >> 1] >> ((i & 1) * 4)) & 15;
    return out;
  }
  if (bits === 8) return packed.slice(0, n);
  let bit = 0;
  for (let i = 0; i < n; i++, bit += bits) {
    let v = 0;
    for (let b = 0; b < bits; b++) v |= ((packed[(bit + b) >> 3] >> ((bit + b) & 7)) & 1) << b;
    out[i] = v;
  }
  return out;
}

/**
 * Drop-in replacement of a core {@link Linear} (`y = x W^T + b`) whose weight is stored as
 * `bits`-bit integer codes: `W[r, c] = scales[r, g(c)] * (code[r, c] - zeros[r, g(c)])`, then
 * divided by `inputScale[c]` when the layer carries an AWQ input scale (the input is divided
 * by it before the matmul). Build one with {@link QuantizedLinear.fromQuantized} from a GPTQ /
 * AWQ / RTN result or with {@link QuantizedLinear.fromLinear} (round-to-nearest), or let
 * `quantizeModel` replace a model's layers.
 *
 * Parameters: `bias` [outFeatures] (non-trainable) or null; the codes are plain arrays.
 *
 * @example
 * const fc = new Linear(64, 32);
 * const q = QuantizedLinear.fromLinear(fc, { bits: 4, groupSize: 32 });
 * q.forward(tf.ones([2, 5, 64])).shape; // [2, 5, 32]
 * q.bitsPerWeight; // 4 + (32 + 4) / 32 = 5.125
 */
export class QuantizedLinear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly bits: number;
  /** Columns per group, or -1 for one group per row. */
  readonly groupSize: number;
  readonly nGroups: number;
  /** Method that produced the codes ('rtn' | 'gptq' | 'awq' | ...). */
  readonly method: string;
  /** Bit-packed codes, LSB first, `ceil(out * in * bits / 8)` bytes. */
  readonly qweight: Uint8Array;
  /** [outFeatures, nGroups] */
  readonly scales: Float32Array;
  /** [outFeatures, nGroups] */
  readonly zeros: Uint8Array;
  /** [inFeatures] column groups, or null for the natural `floor(c / groupSize)` order. */
  readonly gIdx: Int32Array | null;
  /** [inFeatures] AWQ input scale, or null. */
  readonly inputScale: Float32Array | null;
  /** [outFeatures] or null. */
  bias: Parameter | null;

  /**
   * @throws {InvalidArgumentError} on bad sizes, bits, codes out of range or non-positive input scales.
   * @throws {ShapeMismatchError} when an array's length does not match the layer's shape.
   */
  constructor(init: QuantizedLinearInit) {
    super();
    const { inFeatures, outFeatures, bits, groupSize } = init;
    for (const [v, what] of [[inFeatures, 'inFeatures'], [outFeatures, 'outFeatures']] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new InvalidArgumentError(`QuantizedLinear: ${what} must be a positive integer, got ${v}.`);
    }
    checkBits(bits, 'QuantizedLinear');
    if (!(groupSize === -1 || (Number.isInteger(groupSize) && groupSize > 0))) {
      throw new InvalidArgumentError(`QuantizedLinear: groupSize must be -1 or a positive integer, got ${groupSize}.`);
    }
    const n = inFeatures * outFeatures;
    const nGroups = groupCount(inFeatures, groupSize);
    const expect = (arr: ArrayLike<number> | null | undefined, len: number, what: string) => {
      if (arr && arr.length !== len) {
        throw new ShapeMismatchError(`QuantizedLinear: ${what} has ${arr.length} values, expected ${len} for a [${outFeatures}, ${inFeatures}] layer.`);
      }
    };
    expect(init.codes, n, 'codes');
    const maxq = 2 ** bits - 1;
    this.gIdx = init.gIdx ? Int32Array.from(init.gIdx) : null;
    expect(this.gIdx, inFeatures, 'gIdx');
    const groupsUsed = this.gIdx ? Math.max(...this.gIdx) + 1 : nGroups;
    this.nGroups = Math.max(nGroups, groupsUsed);
    if (this.gIdx && this.gIdx.some((g) => g < 0)) throw new InvalidArgumentError('QuantizedLinear: gIdx entries must be >= 0.');
    expect(init.scales, outFeatures * this.nGroups, 'scales');
    expect(init.zeros, outFeatures * this.nGroups, 'zeros');
    for (let i = 0; i < n; i++) {
      const c = init.codes[i];
      if (!Number.isInteger(c) || c < 0 || c > maxq) throw new InvalidArgumentError(`QuantizedLinear: code ${i} is ${c}, outside [0, ${maxq}] for ${bits} bits.`);
    }
    for (let i = 0; i < init.zeros.length; i++) {
      const z = init.zeros[i];
      if (!Number.isInteger(z) || z < 0 || z > maxq) throw new InvalidArgumentError(`QuantizedLinear: zero point ${i} is ${z}, outside [0, ${maxq}].`);
    }
    for (let i = 0; i < init.scales.length; i++) {
      if (!Number.isFinite(init.scales[i])) throw new InvalidArgumentError(`QuantizedLinear: scale ${i} is ${init.scales[i]}; scales must be finite.`);
    }
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.bits = bits;
    this.groupSize = groupSize;
    this.method = init.method ?? 'rtn';
    this.qweight = packCodes(init.codes, bits);
    this.scales = Float32Array.from(init.scales);
    this.zeros = Uint8Array.from(init.zeros);
    this.inputScale = init.inputScale ? Float32Array.from(init.inputScale) : null;
    expect(this.inputScale, inFeatures, 'inputScale');
    if (this.inputScale && this.inputScale.some((s) => !(s > 0) || !Number.isFinite(s))) {
      throw new InvalidArgumentError('QuantizedLinear: inputScale entries must be finite and > 0.');
    }
    const bias = init.bias ?? null;
    if (bias) {
      const size = bias instanceof tf.Tensor ? bias.size : bias.length;
      if (size !== outFeatures) throw new ShapeMismatchError(`QuantizedLinear: bias has ${size} values, expected ${outFeatures}.`);
    }
    this.bias = bias
      ? // Inside tf.tidy: the initial tensor is disposed, the variable keeps its data.
        tf.tidy(() =>
          createParameter(
            bias instanceof tf.Tensor ? tf.reshape(tf.cast(bias, 'float32'), [outFeatures]) : tf.tensor1d(Array.from(bias)),
            false,
            'quantized_linear.bias',
          ),
        )
      : null;
  }

  /**
   * Wrap a quantization result (from `rtnQuantize`, `gptq`, `awq` / `awqQuantizeWithScales`)
   * of `linear.weight` as a layer; the bias is copied from `linear`.
   * @example
   * const q = QuantizedLinear.fromQuantized(fc, gptq(w, [out, in], hessian), 'gptq');
   */
  static fromQuantized(
    linear: Linear,
    q: QuantizedMatrix & { inputScale?: ArrayLike<number> | null },
    method = 'rtn',
  ): QuantizedLinear {
    if (q.rows !== linear.outFeatures || q.cols !== linear.inFeatures) {
      throw new ShapeMismatchError(
        `QuantizedLinear.fromQuantized: the quantized matrix is [${q.rows}, ${q.cols}] but the layer is [${linear.outFeatures}, ${linear.inFeatures}].`,
      );
    }
    const natural = q.gIdx.every((g, c) => g === (q.groupSize === -1 ? 0 : Math.floor(c / q.groupSize)));
    return new QuantizedLinear({
      inFeatures: linear.inFeatures,
      outFeatures: linear.outFeatures,
      bits: q.bits,
      groupSize: q.groupSize,
      codes: q.codes,
      scales: q.scales,
      zeros: q.zeros,
      gIdx: natural ? null : q.gIdx,
      inputScale: q.inputScale ?? null,
      bias: linear.bias,
      method,
    });
  }

  /**
   * Round-to-nearest quantization of a `Linear` (GPTQ's quantizer, group-wise).
   * @example
   * QuantizedLinear.fromLinear(new Linear(64, 32), { bits: 4, groupSize: 32 });
   */
  static fromLinear(linear: Linear, options: RtnOptions = {}): QuantizedLinear {
    if (!(linear instanceof Linear)) throw new InvalidArgumentError('QuantizedLinear.fromLinear: expected a core Linear layer.');
    const w = linear.weight.dataSync() as Float32Array;
    return QuantizedLinear.fromQuantized(linear, rtnQuantize(w, [linear.outFeatures, linear.inFeatures], options), 'rtn');
  }

  /** The unpacked codes [outFeatures * inFeatures]. */
  codes(): Uint8Array {
    return unpackCodes(this.qweight, this.inFeatures * this.outFeatures, this.bits);
  }

  /**
   * The weight applied to the (unscaled) input, `[outFeatures * inFeatures]` row-major:
   * `scales * (codes - zeros)`, divided column-wise by `inputScale` when present.
   */
  effectiveWeight(): Float32Array {
    const rows = this.outFeatures;
    const cols = this.inFeatures;
    const codes = this.codes();
    const out = new Float32Array(rows * cols);
    const g = this.groupSize === -1 ? cols : this.groupSize;
    const gIdx = this.gIdx;
    const ng = this.nGroups;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const k = r * ng + (gIdx ? gIdx[c] : Math.floor(c / g));
        let v = this.scales[k] * (codes[r * cols + c] - this.zeros[k]);
        if (this.inputScale) v /= this.inputScale[c];
        out[r * cols + c] = v;
      }
    }
    return out;
  }

  /**
   * Storage bits per weight: the codes plus, per row and group, a float32 scale and a
   * `bits`-bit zero point, plus 32 bits per column for `gIdx` and for `inputScale` when present.
   */
  get bitsPerWeight(): number {
    const n = this.inFeatures * this.outFeatures;
    let total = this.bits * n + this.outFeatures * this.nGroups * (32 + this.bits);
    if (this.gIdx) total += 32 * this.inFeatures;
    if (this.inputScale) total += 32 * this.inFeatures;
    return total / n;
  }

  /**
   * Apply the layer to the last dimension: dequantize the codes to a float32 `[out, in]`
   * weight, divide the input by `inputScale` (AWQ), `x W^T + b`.
   * @param x [..., inFeatures] float32
   * @returns [..., outFeatures]
   * @throws {ShapeMismatchError} when the last dim of `x` is not `inFeatures`.
   * @throws {InvalidArgumentError} when `x` is not a float32 tensor.
   */
  forward(x: tf.Tensor): tf.Tensor {
    if (!(x instanceof tf.Tensor)) throw new InvalidArgumentError(`QuantizedLinear.forward(x): expected a tf.Tensor, got ${typeof x}.`);
    if (x.dtype !== 'float32') throw new InvalidArgumentError(`QuantizedLinear.forward(x): must be float32, got ${x.dtype}; cast it with tf.cast(x, 'float32').`);
    if (x.shape.length < 1 || x.shape[x.shape.length - 1] !== this.inFeatures) {
      throw new ShapeMismatchError(`QuantizedLinear(${this.inFeatures}, ${this.outFeatures}): input has shape [${x.shape}] but the last dim must be ${this.inFeatures} (inFeatures).`);
    }
    const rows = this.outFeatures;
    const cols = this.inFeatures;
    const g = this.groupSize === -1 ? cols : this.groupSize;
    const codes = this.codes();
    const wq = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const k = r * this.nGroups + (this.gIdx ? this.gIdx[c] : Math.floor(c / g));
        wq[r * cols + c] = this.scales[k] * (codes[r * cols + c] - this.zeros[k]);
      }
    }
    return tf.tidy(() => {
      const outShape = [...x.shape.slice(0, -1), rows];
      let x2d = tf.reshape(x, [-1, cols]);
      if (this.inputScale) x2d = tf.div(x2d, tf.tensor1d(this.inputScale));
      let y = tf.matMul(x2d, tf.tensor2d(wq, [rows, cols]), false, true);
      if (this.bias) y = tf.add(y, this.bias);
      return tf.reshape(y, outShape);
    });
  }
}
