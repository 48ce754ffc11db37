/**
 * Packing of signed 4-bit integers, two per byte, for {@link quantizeTensor} with `bits: 4`.
 *
 * Layout: element `2i` goes in the LOW nibble of byte `i` and element `2i + 1` in the HIGH
 * nibble (the convention of ggml's Q4 blocks and of most int4 GEMM kernels). Each nibble holds
 * the value in 4-bit two's complement (`q & 0xf`, so -8..7 map to 0x8..0x7); unpacking
 * sign-extends. An odd count leaves the high nibble of the last byte zero.
 *
 * Note the NF4 format ({@link nf4}) follows bitsandbytes instead: first element in the HIGH
 * nibble, unsigned codes 0..15.
 */
import { InvalidArgumentError } from '@llmkit/core/errors';

/**
 * Pack signed int4 values (each in [-8, 7]) two per byte, low nibble first, two's complement.
 *
 * @param q values in [-8, 7]
 * @returns `ceil(q.length / 2)` bytes
 * @throws {InvalidArgumentError} `invalid_argument` when a value is outside [-8, 7].
 * @example
 * packInt4(Int8Array.from([1, -1, 7])); // Uint8Array [0xf1, 0x07]
 */
export function packInt4(q: Int8Array | readonly number[]): Uint8Array {
  const n = q.length;
  const out = new Uint8Array((n + 1) >> 1);
  for (let i = 0; i < n; i++) {
    const v = q[i];
    if (!Number.isInteger(v) || v < -8 || v > 7) {
      throw new InvalidArgumentError(`packInt4(q)[${i}] is ${v}; int4 values must be integers in [-8, 7] (clamp before packing).`);
    }
    out[i >> 1] |= (v & 0xf) << ((i & 1) << 2);
  }
  return out;
}

/**
 * Unpack `n` signed int4 values packed by {@link packInt4}.
 *
 * @param packed bytes, low nibble first
 * @param n number of values (at most `2 * packed.length`)
 * @throws {InvalidArgumentError} `invalid_argument` when `n` does not fit in `packed`.
 * @example
 * unpackInt4(Uint8Array.from([0xf1, 0x07]), 3); // Int8Array [1, -1, 7]
 */
export function unpackInt4(packed: Uint8Array, n: number): Int8Array {
  if (!(packed instanceof Uint8Array)) {
    throw new InvalidArgumentError('unpackInt4(packed) must be a Uint8Array of packed int4 pairs.');
  }
  if (!Number.isInteger(n) || n < 0 || n > packed.length * 2) {
    throw new InvalidArgumentError(`unpackInt4(n) must be an integer in [0, ${packed.length * 2}] for ${packed.length} bytes, got ${n}.`);
  }
  const out = new Int8Array(n);
  for (let i = 0; i < n; i++) {
    const nib = (packed[i >> 1] >> ((i & 1) << 2)) & 0xf;
    out[i] = (nib << 28) >> 28;
  }
  return out;
}
