/**
 * ggml's unquantized float types (F32, F16, BF16) as {@link GgmlTypeTraits}, plus the
 * float32 helpers the block quantizers share. Bytes are little-endian, as in GGUF.
 *
 * F16 and BF16 round to nearest even (core's converters), like ggml's
 * `ggml_fp32_to_fp16_row` / `ggml_fp32_to_bf16_row_ref`. NaN becomes a quiet NaN with
 * the input's sign (F16: 0x7e00, as ggml's conversion gives); for BF16 the top mantissa
 * bits are kept and bit 6 set, exactly as `ggml_compute_fp32_to_bf16` does. Decoding an
 * F16 NaN quiets it, as ggml's hardware conversion does.
 */
import { InvalidArgumentError } from '@llmkit/core/errors';
import { decodeBfloat16, decodeFloat16, encodeBfloat16, encodeFloat16 } from '@llmkit/core';
import { GGML_BLOCK_GEOMETRY, GGML_TYPE_IDS, type GgmlTypeName, type GgmlTypeTraits } from './types.js';

/** True when the platform stores typed arrays little-endian (every current JS engine does). */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Round to float32 (`Math.fround`), named for readability where C rounds a float expression. */
export const f32 = Math.fround;

/**
 * Check a quantize call: a Float32Array whose length is a multiple of the block size.
 * @internal
 */
export function checkQuantizeInput(type: GgmlTypeName, blockSize: number, values: Float32Array): void {
  if (!(values instanceof Float32Array)) {
    throw new InvalidArgumentError(
      `quantize ${type}: values must be a Float32Array (got ${describe(values)}); convert with Float32Array.from(values).`
    );
  }
  if (values.length % blockSize !== 0) {
    throw new InvalidArgumentError(
      `quantize ${type}: values.length ${values.length} is not a multiple of the ${type} block size ${blockSize}; pad the row to a multiple of ${blockSize}.`
    );
  }
}

/**
 * Check a dequantize call: `count` a non-negative multiple of the block size and `bytes` long enough.
 * @internal
 */
export function checkDequantizeInput(type: GgmlTypeName, blockSize: number, typeSize: number, bytes: Uint8Array, count: number): number {
  if (!(bytes instanceof Uint8Array)) {
    throw new InvalidArgumentError(`dequantize ${type}: bytes must be a Uint8Array (got ${describe(bytes)}).`);
  }
  if (!Number.isSafeInteger(count) || count < 0 || count % blockSize !== 0) {
    throw new InvalidArgumentError(
      `dequantize ${type}: count ${String(count)} must be a non-negative integer multiple of the ${type} block size ${blockSize}.`
    );
  }
  const need = (count / blockSize) * typeSize;
  if (bytes.length < need) {
    throw new InvalidArgumentError(
      `dequantize ${type}: ${count} values need ${need} bytes (${count / blockSize} blocks of ${typeSize}) but bytes has ${
        bytes.length
      }; pass the whole tensor data or a smaller count.`
    );
  }
  return need;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value;
}

/** A copy of `bytes[0, n)` as little-endian 16-bit words. */
function u16View(bytes: Uint8Array, n: number): Uint16Array {
  const out = new Uint16Array(n);
  if (HOST_LITTLE_ENDIAN) {
    new Uint8Array(out.buffer).set(bytes.subarray(0, n * 2));
  } else {
    for (let i = 0; i < n; i++) out[i] = bytes[2 * i] | (bytes[2 * i + 1] << 8);
  }
  return out;
}

function u16Bytes(words: Uint16Array): Uint8Array {
  if (HOST_LITTLE_ENDIAN) return new Uint8Array(words.buffer, words.byteOffset, words.byteLength);
  const out = new Uint8Array(words.length * 2);
  for (let i = 0; i < words.length; i++) {
    out[2 * i] = words[i] & 0xff;
    out[2 * i + 1] = words[i] >>> 8;
  }
  return out;
}

/** @internal Traits of `name` around raw quantize/dequantize functions, with the shared input checks. */
export function makeTraits(
  name: GgmlTypeName,
  quantize: (values: Float32Array) => Uint8Array,
  dequantize: (bytes: Uint8Array, count: number) => Float32Array
): GgmlTypeTraits {
  const { blockSize, typeSize } = GGML_BLOCK_GEOMETRY[name];
  return Object.freeze({
    name,
    id: GGML_TYPE_IDS[name],
    blockSize,
    typeSize,
    quantize(values: Float32Array): Uint8Array {
      checkQuantizeInput(name, blockSize, values);
      return quantize(values);
    },
    dequantize(bytes: Uint8Array, count: number): Float32Array {
      checkDequantizeInput(name, blockSize, typeSize, bytes, count);
      return dequantize(bytes, count);
    },
  });
}

/**
 * F32: the values' float32 bits, little-endian (4 bytes each).
 *
 * @example
 * F32.quantize(new Float32Array([1])); // Uint8Array [0, 0, 128, 63]
 */
export const F32: GgmlTypeTraits = makeTraits(
  'F32',
  (values) => {
    const out = new Uint8Array(values.length * 4);
    if (HOST_LITTLE_ENDIAN) out.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    else {
      const view = new DataView(out.buffer);
      for (let i = 0; i < values.length; i++) view.setFloat32(4 * i, values[i], true);
    }
    return out;
  },
  (bytes, count) => {
    const out = new Float32Array(count);
    if (HOST_LITTLE_ENDIAN) new Uint8Array(out.buffer).set(bytes.subarray(0, count * 4));
    else {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true);
    }
    return out;
  }
);

/**
 * F16: IEEE half precision, round to nearest even (2 bytes each).
 *
 * @example
 * F16.quantize(new Float32Array([1])); // Uint8Array [0x00, 0x3c]
 */
export const F16: GgmlTypeTraits = makeTraits(
  'F16',
  (values) => u16Bytes(encodeFloat16(values)),
  (bytes, count) => {
    const words = u16View(bytes, count);
    const out = decodeFloat16(words);
    const bits = new Uint32Array(out.buffer, out.byteOffset, out.length);
    for (let i = 0; i < count; i++) {
      // ggml converts in hardware, which quiets signalling NaNs (sets the top mantissa bit).
      if ((words[i] & 0x7c00) === 0x7c00 && (words[i] & 0x3ff) !== 0) bits[i] |= 0x400000;
    }
    return out;
  }
);

/**
 * BF16: bfloat16 (the top half of a float32), round to nearest even (2 bytes each).
 *
 * @example
 * BF16.quantize(new Float32Array([1])); // Uint8Array [0x80, 0x3f]
 */
export const BF16: GgmlTypeTraits = makeTraits(
  'BF16',
  (values) => {
    const words = encodeBfloat16(values);
    const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
    for (let i = 0; i < values.length; i++) {
      // ggml keeps a NaN's sign and top payload bits and forces it quiet; core returns the canonical quiet NaN.
      if (values[i] !== values[i]) words[i] = (bits[i] >>> 16) | 64;
    }
    return u16Bytes(words);
  },
  (bytes, count) => decodeBfloat16(u16View(bytes, count))
);
