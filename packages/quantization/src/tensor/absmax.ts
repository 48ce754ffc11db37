/**
 * Absmax (symmetric) quantization parameters: `scale = max|x| / qmax` with `qmax = 2^(b-1) - 1`
 * (127 for int8, 7 for int4) and zero point 0, so `±max|x|` maps exactly to `±qmax`.
 * Computed in float32 and floored at float32 epsilon like PyTorch's observers
 * (`torch.finfo(float32).eps`), which keeps an all-zero group well defined.
 *
 * (PyTorch's `MinMaxObserver(qscheme=per_tensor_symmetric)` divides by `(qmax - qmin) / 2 =
 * 127.5` instead; we keep the textbook `/127`.)
 */
import { f32 } from './util.js';

/**
 * float32 machine epsilon, `torch.finfo(torch.float32).eps`: the smallest scale used.
 * @example
 * quantizeTensor(new Float32Array(4), [4], { bits: 8 }).scales[0] === QUANT_SCALE_EPS; // true
 */
export const QUANT_SCALE_EPS = 1.1920928955078125e-7;

/** Largest representable signed integer of `bits` bits. */
export function qmaxOf(bits: number): number {
  return 2 ** (bits - 1) - 1;
}

/** Smallest representable signed integer of `bits` bits. */
export function qminOf(bits: number): number {
  return -(2 ** (bits - 1));
}

/**
 * Absmax scale of one group (float32): `max(f32(amax / qmax), eps)`.
 * @internal
 */
export function absmaxScale(amax: number, bits: number): number {
  const s = f32(amax / qmaxOf(bits));
  return s > QUANT_SCALE_EPS ? s : QUANT_SCALE_EPS;
}
