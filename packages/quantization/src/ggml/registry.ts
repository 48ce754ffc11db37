/**
 * Name -> traits registry of the ggml tensor types llmkit can quantize and dequantize, and
 * the two entry points everything else uses: {@link quantizeBlocks} and {@link dequantizeBlocks}.
 */
import { InvalidArgumentError } from '@llmkit/core/errors';
import { BF16, F16, F32 } from './float.js';
import { Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1 } from './legacy.js';
import { Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K } from './k-quants.js';
import { GGML_BLOCK_GEOMETRY, GGML_TYPE_IDS, type GgmlTypeName, type GgmlTypeTraits } from './types.js';

const BUILTIN_TYPES: readonly GgmlTypeTraits[] = [F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K];

const registry = new Map<GgmlTypeName, GgmlTypeTraits>(BUILTIN_TYPES.map((t) => [t.name, t]));

/**
 * The implemented ggml types by name (read-only view; add types with {@link registerGgmlType}).
 *
 * @example
 * GGML_TYPES.get('Q8_0')?.typeSize; // 34
 * [...GGML_TYPES.keys()]; // ['F32', 'F16', 'BF16', 'Q4_0', ...]
 */
export const GGML_TYPES: ReadonlyMap<GgmlTypeName, GgmlTypeTraits> = registry;

/** Options of {@link registerGgmlType}. */
export interface RegisterGgmlTypeOptions {
  /** Replace an already registered implementation of the same type (default false: that throws). */
  replace?: boolean;
}

function isTypeName(name: unknown): name is GgmlTypeName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(GGML_TYPE_IDS, name);
}

function implementedList(): string {
  return [...registry.keys()].join(', ');
}

/**
 * Add (or with `replace`, swap) the implementation of a ggml type. The traits must name a
 * type of `GGML_TYPE_IDS` and agree with its id and `GGML_BLOCK_GEOMETRY`.
 *
 * @throws InvalidArgumentError when the name is unknown, the id or geometry disagree, a
 *   method is missing, or the type is already registered without `replace`.
 * @example
 * import { Q4_K } from './k-quants.js';
 * registerGgmlType(Q4_K);
 */
export function registerGgmlType(traits: GgmlTypeTraits, options: RegisterGgmlTypeOptions = {}): void {
  if (typeof traits !== 'object' || traits === null) {
    throw new InvalidArgumentError(
      'registerGgmlType: traits must be an object with name, id, blockSize, typeSize, quantize and dequantize.'
    );
  }
  const { name } = traits;
  if (!isTypeName(name)) {
    throw new InvalidArgumentError(
      `registerGgmlType: unknown ggml type name ${JSON.stringify(name)}; use one of ${Object.keys(GGML_TYPE_IDS).join(', ')}.`
    );
  }
  const geometry = GGML_BLOCK_GEOMETRY[name];
  if (traits.id !== GGML_TYPE_IDS[name] || traits.blockSize !== geometry.blockSize || traits.typeSize !== geometry.typeSize) {
    throw new InvalidArgumentError(
      `registerGgmlType: ${name} must have id ${GGML_TYPE_IDS[name]}, blockSize ${geometry.blockSize} and typeSize ${geometry.typeSize} ` +
        `(got id ${traits.id}, blockSize ${traits.blockSize}, typeSize ${traits.typeSize}).`
    );
  }
  if (typeof traits.quantize !== 'function' || typeof traits.dequantize !== 'function') {
    throw new InvalidArgumentError(`registerGgmlType: ${name} needs quantize(values) and dequantize(bytes, count) functions.`);
  }
  const existing = registry.get(name);
  if (existing !== undefined && existing !== traits && options.replace !== true) {
    throw new InvalidArgumentError(`registerGgmlType: ${name} is already registered; pass { replace: true } to swap its implementation.`);
  }
  registry.set(name, traits);
}

/**
 * The traits of an implemented type.
 *
 * @throws InvalidArgumentError naming the type when it is unknown or not implemented.
 * @example
 * getGgmlType('Q4_0').blockSize; // 32
 */
export function getGgmlType(type: GgmlTypeName): GgmlTypeTraits {
  const traits = isTypeName(type) ? registry.get(type) : undefined;
  if (traits === undefined) {
    const what = isTypeName(type) ? 'is not implemented' : 'is not a ggml type';
    throw new InvalidArgumentError(`ggml type ${JSON.stringify(type)} ${what}; implemented types: ${implementedList()}.`);
  }
  return traits;
}

/**
 * Quantize `values` (a whole number of blocks) to ggml's block format `type`, byte for byte
 * what ggml's `quantize_row_<type>_ref` writes.
 *
 * @throws InvalidArgumentError when the type is unknown or unimplemented, or values.length is
 *   not a multiple of the type's block size.
 * @example
 * const bytes = quantizeBlocks('Q8_0', new Float32Array(64).fill(0.25)); // 2 blocks, 68 bytes
 * dequantizeBlocks('Q8_0', bytes, 64); // Float32Array(64) of 0.25
 */
export function quantizeBlocks(type: GgmlTypeName, values: Float32Array): Uint8Array {
  return getGgmlType(type).quantize(values);
}

/**
 * Decode `count` values (a whole number of blocks) from ggml block bytes of `type`, bit for
 * bit what ggml's `dequantize_row_<type>` returns.
 *
 * @throws InvalidArgumentError when the type is unknown or unimplemented, count is not a
 *   multiple of the block size, or bytes is too short.
 * @example
 * dequantizeBlocks('F16', new Uint8Array([0x00, 0x3c]), 1); // Float32Array [1]
 */
export function dequantizeBlocks(type: GgmlTypeName, bytes: Uint8Array, count: number): Float32Array {
  return getGgmlType(type).dequantize(bytes, count);
}
