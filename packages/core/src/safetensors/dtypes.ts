/**
 * The safetensors element types, as spelled in the file header.
 *
 * The order of {@link SAFETENSORS_DTYPES} is the declaration order of the Rust
 * `Dtype` enum in huggingface/safetensors (`safetensors/src/tensor.rs`), which is
 * also the order the writer sorts by: the data section holds tensors by
 * descending dtype (in that enum order), then by name.
 */
export type SafetensorsDtype =
  | 'BOOL'
  | 'F4'
  | 'F6_E2M3'
  | 'F6_E3M2'
  | 'U8'
  | 'I8'
  | 'F8_E5M2'
  | 'F8_E4M3'
  | 'F8_E8M0'
  | 'F8_E4M3FNUZ'
  | 'F8_E5M2FNUZ'
  | 'I16'
  | 'U16'
  | 'F16'
  | 'BF16'
  | 'I32'
  | 'U32'
  | 'F32'
  | 'C64'
  | 'F64'
  | 'I64'
  | 'U64';

/**
 * Every dtype safetensors 0.8 knows, in the Rust enum's declaration order
 * (ascending alignment; the writer lays out the data section in reverse order).
 *
 * @example
 * SAFETENSORS_DTYPES.includes('BF16'); // true
 */
export const SAFETENSORS_DTYPES: readonly SafetensorsDtype[] = [
  'BOOL',
  'F4',
  'F6_E2M3',
  'F6_E3M2',
  'U8',
  'I8',
  'F8_E5M2',
  'F8_E4M3',
  'F8_E8M0',
  'F8_E4M3FNUZ',
  'F8_E5M2FNUZ',
  'I16',
  'U16',
  'F16',
  'BF16',
  'I32',
  'U32',
  'F32',
  'C64',
  'F64',
  'I64',
  'U64',
];

const BIT_SIZES: Record<SafetensorsDtype, number> = {
  BOOL: 8,
  F4: 4,
  F6_E2M3: 6,
  F6_E3M2: 6,
  U8: 8,
  I8: 8,
  F8_E5M2: 8,
  F8_E4M3: 8,
  F8_E8M0: 8,
  F8_E4M3FNUZ: 8,
  F8_E5M2FNUZ: 8,
  I16: 16,
  U16: 16,
  F16: 16,
  BF16: 16,
  I32: 32,
  U32: 32,
  F32: 32,
  C64: 64,
  F64: 64,
  I64: 64,
  U64: 64,
};

const RANK = new Map<string, number>(SAFETENSORS_DTYPES.map((dtype, index) => [dtype, index]));

/**
 * True when `value` names a safetensors dtype.
 *
 * @example
 * isSafetensorsDtype('F16'); // true
 * isSafetensorsDtype('float16'); // false
 */
export function isSafetensorsDtype(value: unknown): value is SafetensorsDtype {
  return typeof value === 'string' && RANK.has(value);
}

/**
 * Size of one element of `dtype` in bits (4 for `F4`, 6 for the `F6_*` types,
 * else 8 times the byte size).
 *
 * @example
 * safetensorsDtypeBits('BF16'); // 16
 */
export function safetensorsDtypeBits(dtype: SafetensorsDtype): number {
  return BIT_SIZES[dtype];
}

/** Position of `dtype` in the Rust enum; larger sorts first in the data section. */
export function dtypeRank(dtype: SafetensorsDtype): number {
  return RANK.get(dtype) ?? -1;
}

/**
 * Bytes needed by `numel` elements of `dtype`, or `undefined` when the count is
 * not a whole number of bytes (sub-byte dtypes) or not a safe integer.
 */
export function byteLengthOf(dtype: SafetensorsDtype, numel: number): number | undefined {
  const bits = numel * BIT_SIZES[dtype];
  if (!Number.isSafeInteger(bits) || bits % 8 !== 0) return undefined;
  return bits / 8;
}
