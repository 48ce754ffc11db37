/** Error statistics of a quantize/dequantize round trip. */
import { ShapeMismatchError } from '@llmkit/core/errors';
import { toFiniteFloat32 } from './util.js';

/** Result of {@link quantizationError}. */
export interface QuantizationErrorStats {
  /** Mean squared error `mean((x - x̂)²)`. */
  mse: number;
  /** Largest absolute error `max |x - x̂|`. */
  maxAbs: number;
  /**
   * Signal-to-quantization-noise ratio in dB, `10 log10(Σx² / Σ(x - x̂)²)`; `Infinity` when
   * the reconstruction is exact.
   */
  sqnr: number;
}

/**
 * Compare original values with their dequantized reconstruction (computed in float64).
 *
 * @param original the values before quantization
 * @param dequantized the reconstruction, same length
 * @throws {ShapeMismatchError} `shape_mismatch` when the lengths differ.
 * @throws {InvalidArgumentError} `invalid_argument` when an input holds non-finite values.
 * @example
 * const qt = quantizeTensor(w, [64, 64], { bits: 8, scheme: 'absmax', granularity: 'channel' });
 * quantizationError(w, dequantizeTensor(qt)); // { mse: 1.2e-7, maxAbs: 8e-4, sqnr: 40.1 }
 */
export function quantizationError(
  original: Float32Array | readonly number[],
  dequantized: Float32Array | readonly number[],
): QuantizationErrorStats {
  const x = toFiniteFloat32(original, 'quantizationError(original)');
  const y = toFiniteFloat32(dequantized, 'quantizationError(dequantized)');
  if (x.length !== y.length) {
    throw new ShapeMismatchError(`quantizationError: original has ${x.length} values but dequantized has ${y.length}; pass the same tensor's round trip.`);
  }
  let sig = 0;
  let noise = 0;
  let maxAbs = 0;
  for (let i = 0; i < x.length; i++) {
    const e = x[i] - y[i];
    sig += x[i] * x[i];
    noise += e * e;
    const a = Math.abs(e);
    if (a > maxAbs) maxAbs = a;
  }
  const sqnr = noise === 0 ? Infinity : 10 * Math.log10(sig / noise);
  return { mse: x.length === 0 ? 0 : noise / x.length, maxAbs, sqnr };
}
