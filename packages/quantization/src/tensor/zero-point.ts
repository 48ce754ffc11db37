/**
 * Zero-point (asymmetric, affine) quantization parameters, as PyTorch's
 * `MinMaxObserver._calculate_qparams` for `per_tensor_affine` / `per_channel_affine` with a
 * signed range `[qmin, qmax] = [-2^(b-1), 2^(b-1) - 1]`:
 *
 *   min' = min(min, 0), max' = max(max, 0)                (the range always contains 0)
 *   scale = max(f32((max' - min') / (qmax - qmin)), eps)  (float32, eps = 2^-23)
 *   zp    = clamp(qmin - roundHalfEven(f32(min' / scale)), qmin, qmax)
 *
 * so that `x = 0` is represented exactly (`q = zp`). This equals the course's form
 * `zp = round(-min / scale) - 2^(b-1)` of the unsigned convention shifted into the signed range.
 */
import { QUANT_SCALE_EPS, qmaxOf, qminOf } from './absmax.js';
import { f32, roundHalfEven } from './util.js';

/**
 * Zero-point parameters of one group from its min and max (float32 values).
 * @internal
 */
export function zeroPointParams(min: number, max: number, bits: number): { scale: number; zeroPoint: number } {
  const qmin = qminOf(bits);
  const qmax = qmaxOf(bits);
  const lo = min < 0 ? min : 0;
  const hi = max > 0 ? max : 0;
  let scale = f32(f32(hi - lo) / (qmax - qmin));
  if (!(scale > QUANT_SCALE_EPS)) scale = QUANT_SCALE_EPS;
  let zp = qmin - roundHalfEven(f32(lo / scale));
  if (zp < qmin) zp = qmin;
  if (zp > qmax) zp = qmax;
  return { scale, zeroPoint: zp };
}
