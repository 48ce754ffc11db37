/**
 * ggml tensor types: ids as in ggml.h `enum ggml_type` (the values GGUF stores), block
 * geometry, and the traits each implemented type provides. `registry.ts` maps names to traits.
 */

/** ggml type ids (ggml.h). Only the types llmkit reads/writes are listed. */
export const GGML_TYPE_IDS = {
  F32: 0,
  F16: 1,
  Q4_0: 2,
  Q4_1: 3,
  Q5_0: 6,
  Q5_1: 7,
  Q8_0: 8,
  Q8_1: 9,
  Q2_K: 10,
  Q3_K: 11,
  Q4_K: 12,
  Q5_K: 13,
  Q6_K: 14,
  Q8_K: 15,
  I8: 24,
  I16: 25,
  I32: 26,
  I64: 27,
  F64: 28,
  BF16: 30,
} as const;

export type GgmlTypeName = keyof typeof GGML_TYPE_IDS;

/** Super-block size of the K-quants (ggml's QK_K). */
export const QK_K = 256;

/** Elements per block and bytes per block (ggml's `blck_size` and `type_size`). */
export const GGML_BLOCK_GEOMETRY: Readonly<Record<GgmlTypeName, { blockSize: number; typeSize: number }>> = {
  F32: { blockSize: 1, typeSize: 4 },
  F16: { blockSize: 1, typeSize: 2 },
  BF16: { blockSize: 1, typeSize: 2 },
  F64: { blockSize: 1, typeSize: 8 },
  I8: { blockSize: 1, typeSize: 1 },
  I16: { blockSize: 1, typeSize: 2 },
  I32: { blockSize: 1, typeSize: 4 },
  I64: { blockSize: 1, typeSize: 8 },
  Q4_0: { blockSize: 32, typeSize: 18 },
  Q4_1: { blockSize: 32, typeSize: 20 },
  Q5_0: { blockSize: 32, typeSize: 22 },
  Q5_1: { blockSize: 32, typeSize: 24 },
  Q8_0: { blockSize: 32, typeSize: 34 },
  Q8_1: { blockSize: 32, typeSize: 36 },
  Q2_K: { blockSize: QK_K, typeSize: 84 },
  Q3_K: { blockSize: QK_K, typeSize: 110 },
  Q4_K: { blockSize: QK_K, typeSize: 144 },
  Q5_K: { blockSize: QK_K, typeSize: 176 },
  Q6_K: { blockSize: QK_K, typeSize: 210 },
  Q8_K: { blockSize: QK_K, typeSize: 292 },
};

/**
 * What an implemented type provides. `quantize` equals ggml's `quantize_row_<type>_ref`
 * byte for byte (values.length a multiple of blockSize); `dequantize` equals
 * `dequantize_row_<type>`.
 */
export interface GgmlTypeTraits {
  readonly name: GgmlTypeName;
  readonly id: number;
  readonly blockSize: number;
  readonly typeSize: number;
  quantize(values: Float32Array): Uint8Array;
  dequantize(bytes: Uint8Array, count: number): Float32Array;
}

/** Bytes needed for `count` elements of `type` (count must be a multiple of the block size). */
export function ggmlRowBytes(type: GgmlTypeName, count: number): number {
  const g = GGML_BLOCK_GEOMETRY[type];
  return (count / g.blockSize) * g.typeSize;
}
