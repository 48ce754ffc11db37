/**
 * GGUF v3 reader/writer: exact round trips of every metadata value type, tensor layout,
 * strict rejection of malformed files, and cross-checks with two independent
 * implementations: ggml's own gguf.cpp (libggml-base.so through koffi: it reads our files,
 * and its writer produces byte-identical metadata files) and @huggingface/gguf (it reads
 * our files; its serializer's output is read by us).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gguf as hfGguf, serializeGgufMetadata } from '@huggingface/gguf';
import { InvalidArgumentError } from '@llmkit/core/errors';
import {
  GGML_TYPES,
  GGML_TYPE_IDS,
  GGUF_SCALAR_BYTES,
  GGUF_VALUE_TYPE_IDS,
  GgufError,
  dequantizeBlocks,
  ggmlRowBytes,
  quantizeBlocks,
  readGGUF,
  writeGGUF,
  type GgmlTypeName,
  type GgufTensorInput,
  type GgufValue,
} from '../src/index.js';
import { buildGguf, kv } from './gguf-bytes.js';
import { loadGgmlReference, type GgmlGgufKv } from './ggml-reference.js';

const dir = mkdtempSync(join(tmpdir(), 'llmkit-gguf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ggml = loadGgmlReference()?.gguf ?? null;

/** Every value type, extremes, unicode, empty strings and arrays, arrays of every item type. */
function sampleMetadata(nested: boolean): Map<string, GgufValue> {
  const m = new Map<string, GgufValue>([
    ['general.architecture', { type: 'string', value: 'llama' }],
    ['general.name', { type: 'string', value: 'tiny \u00e9\u4e2d\ud83d\ude00 \ufeffbom' }],
    ['general.empty', { type: 'string', value: '' }],
    ['t.uint8', { type: 'uint8', value: 255 }],
    ['t.int8', { type: 'int8', value: -128 }],
    ['t.uint16', { type: 'uint16', value: 65535 }],
    ['t.int16', { type: 'int16', value: -32768 }],
    ['t.uint32', { type: 'uint32', value: 4294967295 }],
    ['t.int32', { type: 'int32', value: -2147483648 }],
    ['t.float32', { type: 'float32', value: Math.fround(1e-5) }],
    ['t.float32.negzero', { type: 'float32', value: -0 }],
    ['t.float32.inf', { type: 'float32', value: -Infinity }],
    ['t.bool.true', { type: 'bool', value: true }],
    ['t.bool.false', { type: 'bool', value: false }],
    ['t.uint64', { type: 'uint64', value: 0xffffffffffffffffn }],
    ['t.int64', { type: 'int64', value: -0x8000000000000000n }],
    ['t.float64', { type: 'float64', value: 0.1 }],
    ['a.uint8', { type: 'array', itemType: 'uint8', value: [0, 1, 255] }],
    ['a.int8', { type: 'array', itemType: 'int8', value: [-1, 127] }],
    ['a.uint16', { type: 'array', itemType: 'uint16', value: [7] }],
    ['a.int16', { type: 'array', itemType: 'int16', value: [-7, 300] }],
    ['a.uint32', { type: 'array', itemType: 'uint32', value: [1, 2, 3] }],
    ['a.int32', { type: 'array', itemType: 'int32', value: [-1, 0, 1] }],
    ['a.float32', { type: 'array', itemType: 'float32', value: [0.5, -2.25, Math.fround(Math.PI)] }],
    ['a.bool', { type: 'array', itemType: 'bool', value: [true, false, true] }],
    ['a.string', { type: 'array', itemType: 'string', value: ['<s>', '', '\u0120the', 'x'.repeat(300)] }],
    ['a.uint64', { type: 'array', itemType: 'uint64', value: [0n, 18446744073709551615n] }],
    ['a.int64', { type: 'array', itemType: 'int64', value: [-1n, 9007199254740993n] }],
    ['a.float64', { type: 'array', itemType: 'float64', value: [1e300, -5e-324] }],
    ['a.empty', { type: 'array', itemType: 'int32', value: [] }],
  ]);
  if (nested) {
    m.set('a.nested', {
      type: 'array',
      itemType: 'array',
      value: [
        { type: 'array', itemType: 'string', value: ['a', 'b'] },
        { type: 'array', itemType: 'array', value: [{ type: 'array', itemType: 'uint8', value: [1] }] },
        { type: 'array', itemType: 'float32', value: [] },
      ],
    });
  }
  return m;
}

/** Deterministic pseudo-random floats. */
function floats(n: number, seed: number): Float32Array {
  const x = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = (s / 2 ** 32 - 0.5) * 4;
  }
  return x;
}

/** One tensor per implemented type (from floats, quantized by the writer) plus raw-byte tensors. */
function sampleTensors(): GgufTensorInput[] {
  const tensors: GgufTensorInput[] = [];
  let seed = 1;
  for (const type of GGML_TYPES.keys()) {
    const { blockSize } = GGML_TYPES.get(type)!;
    const row = Math.max(blockSize, 32) * 2;
    tensors.push({ name: `blk.${seed}.${type.toLowerCase()}.weight`, shape: [row, 3], type, data: floats(row * 3, seed++) });
  }
  tensors.push({ name: 'raw.i32', shape: [5], type: 'I32', data: new Uint8Array(new Int32Array([1, -2, 3, -4, 5]).buffer) });
  tensors.push({ name: 'raw.q8_0.4d', shape: [32, 2, 1, 2], type: 'Q8_0', data: quantizeBlocks('Q8_0', floats(128, 99)) });
  tensors.push({ name: 'empty', shape: [0, 4], type: 'F32', data: new Float32Array(0) });
  tensors.push({ name: 'scalar', shape: [], type: 'F32', data: new Float32Array([42]) });
  return tensors;
}

/** A GgufValue as plain JS (nested arrays -> nested JS arrays), for comparing with @huggingface/gguf. */
function plain(v: GgufValue): unknown {
  if (v.type !== 'array') return v.value;
  return v.itemType === 'array' ? v.value.map((x) => plain(x)) : [...v.value];
}

function expectGgufError(f: () => unknown, field: RegExp | string, message?: RegExp): GgufError {
  let error: unknown;
  try {
    f();
  } catch (e) {
    error = e;
  }
  expect(GgufError.isInstance(error), `expected a GgufError, got ${String(error)}`).toBe(true);
  const e = error as GgufError;
  expect(e.code).toBe('gguf_format');
  if (typeof field === 'string') expect(e.field).toBe(field);
  else expect(e.field ?? '').toMatch(field);
  if (message) expect(e.message).toMatch(message);
  return e;
}

describe('writeGGUF / readGGUF round trip', () => {
  it('keeps every metadata value and type, and tensor shapes, types, offsets and bytes', () => {
    const metadata = sampleMetadata(true);
    const tensors = sampleTensors();
    const path = join(dir, 'roundtrip.gguf');
    const bytes = writeGGUF(path, { metadata, tensors });
    expect(Buffer.compare(readFileSync(path), Buffer.from(bytes))).toBe(0);

    const file = readGGUF(bytes, { readTensorData: true });
    expect(file.version).toBe(3);
    expect(file.alignment).toBe(32);
    expect(file.dataOffset % 32).toBe(0);
    expect([...file.metadata.keys()]).toEqual([...metadata.keys()]);
    for (const [key, value] of metadata) expect(file.metadata.get(key), key).toEqual(value);
    expect(Object.is((file.metadata.get('t.float32.negzero') as { value: number }).value, -0)).toBe(true);

    expect(file.tensors.map((t) => t.name)).toEqual(tensors.map((t) => t.name));
    let expectedOffset = 0;
    tensors.forEach((input, i) => {
      const t = file.tensors[i];
      expect(t.shape).toEqual(input.shape);
      expect(t.type).toBe(input.type);
      expect(t.offset).toBe(expectedOffset); // packed in order, each aligned to 32
      const raw = input.data instanceof Float32Array ? quantizeBlocks(input.type, input.data) : input.data;
      expect(t.byteLength).toBe(raw.length);
      expect(Buffer.compare(Buffer.from(t.data!), Buffer.from(raw)), input.name).toBe(0);
      expectedOffset = Math.ceil((expectedOffset + raw.length) / 32) * 32;
    });
    // The padding between tensors and after the header is zeros.
    const used = new Uint8Array(bytes.length);
    for (const t of file.tensors) used.fill(1, file.dataOffset + t.offset, file.dataOffset + t.offset + t.byteLength);
    for (let i = file.dataOffset; i < bytes.length; i++) if (!used[i]) expect(bytes[i], `padding byte ${i}`).toBe(0);

    // Writing what was read reproduces the file byte for byte.
    const again = writeGGUF(null, { metadata: file.metadata, tensors: file.tensors.map((t) => ({ ...t, data: t.data! })) });
    expect(Buffer.compare(Buffer.from(again), Buffer.from(bytes))).toBe(0);

    // Float tensors dequantize back through the registry.
    const q80 = file.tensors.find((t) => t.type === 'Q8_0')!;
    const n = q80.shape.reduce((a, b) => a * b, 1);
    expect(dequantizeBlocks('Q8_0', q80.data!, n)).toEqual(
      dequantizeBlocks('Q8_0', quantizeBlocks('Q8_0', tensors.find((t) => t.name === q80.name)!.data as Float32Array), n)
    );
  });

  it('reads from a path the same as from bytes, header only unless tensor data is asked for (metadata > 1 MiB, read in chunks)', () => {
    const tokens = Array.from({ length: 120_000 }, (_, i) => `tok_${i}_\u00e9`);
    const metadata = new Map<string, GgufValue>([
      ['tokenizer.ggml.tokens', { type: 'array', itemType: 'string', value: tokens }],
      ['tokenizer.ggml.scores', { type: 'array', itemType: 'float32', value: tokens.map((_, i) => Math.fround(-i / 7)) }],
    ]);
    const tensors = sampleTensors().slice(0, 4);
    const path = join(dir, 'big-meta.gguf');
    const bytes = writeGGUF(path, { metadata, tensors, alignment: 64 });
    expect(bytes.length).toBeGreaterThan(2 << 20);
    const fromPath = readGGUF(path);
    const fromBytes = readGGUF(bytes);
    expect(fromPath).toEqual(fromBytes);
    expect(fromPath.tensors[0].data).toBeUndefined();
    expect(fromPath.alignment).toBe(64);
    expect(fromPath.metadata.get('general.alignment')).toEqual({ type: 'uint32', value: 64 });
    const withData = readGGUF(path, { readTensorData: true });
    expect(withData.tensors.map((t) => Array.from(t.data!))).toEqual(
      readGGUF(bytes, { readTensorData: true }).tensors.map((t) => Array.from(t.data!))
    );
    expect(withData.tensors.every((t) => t.offset % 64 === 0)).toBe(true);
  });

  it('lays out header, metadata, tensor infos, padding and data exactly as the spec (independent byte builder)', () => {
    const data = quantizeBlocks('Q4_0', floats(64, 3));
    const written = writeGGUF(null, {
      metadata: new Map<string, GgufValue>([
        ['general.architecture', { type: 'string', value: 'llama' }],
        ['n', { type: 'uint32', value: 7 }],
      ]),
      tensors: [
        { name: 'a', shape: [32, 2], type: 'Q4_0', data },
        { name: 'b', shape: [2], type: 'F32', data: new Float32Array([1, -2]) },
      ],
    });
    // data section: a (36 bytes) at 0, padded to 64; b (8 bytes) at 64, padded to 96
    const built = buildGguf({
      kvs: [kv('general.architecture', 8, (b) => b.str('llama')), kv('n', 4, (b) => b.u32(7))],
      tensors: [
        { name: 'a', dims: [32, 2], type: 2, offset: 0 },
        { name: 'b', dims: [2], type: 0, offset: 64 },
      ],
      dataBytes: 96,
    });
    const expected = built.bytes.slice();
    expected.set(data, built.dataOffset);
    expected.set(new Uint8Array(new Float32Array([1, -2]).buffer), built.dataOffset + 64);
    expect(Array.from(written)).toEqual(Array.from(expected));
  });

  it('reads version 2 files (same layout as v3)', () => {
    const { bytes } = buildGguf({ version: 2, kvs: [kv('general.name', 8, (b) => b.str('v2'))] });
    const file = readGGUF(bytes);
    expect(file.version).toBe(2);
    expect(file.metadata.get('general.name')).toEqual({ type: 'string', value: 'v2' });
  });
});

describe('writeGGUF input validation', () => {
  const t = (over: Partial<GgufTensorInput>): GgufTensorInput => ({
    name: 'w',
    shape: [32],
    type: 'Q8_0',
    data: new Float32Array(32),
    ...over,
  });
  it('rejects bad metadata values and tensors with a GgufError naming the field', () => {
    const w =
      (metadata: Record<string, unknown>, tensors: GgufTensorInput[] = []) =>
      () =>
        writeGGUF(null, { metadata: metadata as Record<string, GgufValue>, tensors });
    expectGgufError(w({ k: { type: 'uint8', value: 256 } }), 'metadata["k"]', /integer in \[0, 255\]/);
    expectGgufError(w({ k: { type: 'int32', value: 1.5 } }), 'metadata["k"]');
    expectGgufError(w({ k: { type: 'uint64', value: 1 } }), 'metadata["k"]', /bigint/);
    expectGgufError(w({ k: { type: 'int64', value: 2n ** 63n } }), 'metadata["k"]');
    expectGgufError(w({ k: { type: 'bool', value: 1 } }), 'metadata["k"]');
    expectGgufError(w({ k: { type: 'string', value: 5 } }), 'metadata["k"]');
    expectGgufError(w({ k: { type: 'float16', value: 1 } }), 'metadata["k"].type', /unknown value type/);
    expectGgufError(w({ k: { type: 'array', itemType: 'uint8', value: [1, -1] } }), 'metadata["k"][1]');
    expectGgufError(w({ k: { type: 'array', itemType: 'array', value: [[1]] } }), 'metadata["k"][0]');
    expectGgufError(w({ k: 7 }), 'metadata["k"]');
    expectGgufError(w({ 'general.alignment': { type: 'uint64', value: 32n } }), 'metadata["general.alignment"]');
    expectGgufError(w({}, [t({}), t({})]), 'tensors[1].name', /duplicate/);
    expectGgufError(w({}, [t({ name: 'x'.repeat(64) })]), 'tensors[0].name', /63/);
    expectGgufError(w({}, [t({ shape: [31] })]), 'tensors[0].shape', /multiple of the Q8_0 block size 32/);
    expectGgufError(w({}, [t({ shape: [32, 1, 1, 1, 1] })]), 'tensors[0].shape');
    expectGgufError(w({}, [t({ shape: [32, -1] })]), 'tensors[0].shape');
    expectGgufError(w({}, [t({ data: new Float32Array(64) })]), 'tensors[0].data', /64 float values/);
    expectGgufError(w({}, [t({ data: new Uint8Array(33) })]), 'tensors[0].data', /34 bytes/);
    expectGgufError(w({}, [t({ type: 'I8', data: new Float32Array(32) })]), 'tensors[0].data', /not implemented/);
    expectGgufError(w({}, [t({ type: 'Q9' as GgmlTypeName })]), 'tensors[0].type');
  });

  it('rejects bad alignment options with InvalidArgumentError', () => {
    for (const alignment of [0, 4, 48, 1.5]) {
      let error: unknown;
      try {
        writeGGUF(null, { alignment });
      } catch (e) {
        error = e;
      }
      expect(InvalidArgumentError.isInstance(error), String(alignment)).toBe(true);
    }
    expectGgufError(
      () => writeGGUF(null, { alignment: 64, metadata: { 'general.alignment': { type: 'uint32', value: 32 } } }),
      'metadata["general.alignment"]',
      /disagrees/
    );
  });
});

describe('readGGUF rejects malformed files with a GgufError naming the field and byte offset', () => {
  const f32Tensor = (name: string, offset: number | bigint, n = 8) => ({ name, dims: [n], type: 0, offset });
  const cases: [string, Parameters<typeof buildGguf>[0] | Uint8Array, RegExp | string, RegExp][] = [
    ['empty input', new Uint8Array(0), 'magic', /truncated/],
    ['bad magic', { magic: 0x46554746 }, 'magic', /bad magic 47 47 55 46|bad magic 46 47 55 46|not a GGUF/],
    ['version 1', { version: 1 }, 'version', /obsolete/],
    ['big-endian version', { version: 0x03000000 }, 'version', /big-endian/],
    ['version 4', { version: 4 }, 'version', /unsupported GGUF version 4/],
    ['truncated header', new Uint8Array([0x47, 0x47, 0x55, 0x46, 3, 0, 0, 0, 1]), 'tensor_count', /truncated/],
    ['absurd tensor count', { tensorCount: 2n ** 61n }, 'tensor_count', /cannot fit/],
    ['absurd kv count', { kvCount: 1000 }, 'metadata_kv_count', /cannot fit/],
    // the second "pair" starts in the zero padding: its key length reads as 0
    ['kv count larger than the pairs present', { kvCount: 2, kvs: [kv('a', 4, (b) => b.u32(1))] }, 'metadata[1].key', /empty/],
    [
      'kv count past the end of the file',
      { kvCount: 2, kvs: [kv('a', 8, (b) => b.str('x'.repeat(100)))], alignment: 1 },
      /metadata\[1\]/,
      /truncated/,
    ],
    [
      'key length past the end',
      {
        kvs: [
          (b) =>
            b
              .u64(2n ** 40n)
              .u32(0)
              .u32(0)
              .u32(0),
        ],
      },
      'metadata[0].key length',
      /string length/,
    ],
    ['invalid UTF-8 key', { kvs: [(b) => b.u64(2).raw([0xc3, 0x28]).u32(0).u8(1)] }, 'metadata[0].key', /UTF-8/],
    ['empty key', { kvs: [kv('', 0, (b) => b.u8(1))] }, 'metadata[0].key', /empty/],
    ['duplicate key', { kvs: [kv('k', 0, (b) => b.u8(1)), kv('k', 0, (b) => b.u8(2))] }, 'metadata[1].key', /duplicate key "k"/],
    ['unknown value type', { kvs: [kv('k', 13, (b) => b.u8(1))] }, 'metadata["k"] value type', /unknown metadata value type 13/],
    ['bool 2', { kvs: [kv('k', 7, (b) => b.u8(2))] }, 'metadata["k"]', /bool must be 0 or 1/],
    ['array count past the end', { kvs: [kv('k', 9, (b) => b.u32(4).u64(1_000_000))] }, 'metadata["k"] count', /cannot fit/],
    ['array of unknown type', { kvs: [kv('k', 9, (b) => b.u32(42).u64(0))] }, 'metadata["k"] item type', /unknown/],
    [
      'arrays nested too deep',
      {
        kvs: [
          kv('k', 9, (b) => {
            for (let i = 0; i < 20; i++) b.u32(9).u64(1);
            b.u32(0).u64(0);
          }),
        ],
      },
      /metadata\["k"\]/,
      /nested more than 16/,
    ],
    ['alignment of the wrong type', { kvs: [kv('general.alignment', 10, (b) => b.u64(32))] }, 'metadata["general.alignment"]', /uint32/],
    [
      'alignment not a power of two',
      { kvs: [kv('general.alignment', 4, (b) => b.u32(48))] },
      'metadata["general.alignment"]',
      /power of two/,
    ],
    [
      '5 dimensions',
      { tensors: [{ name: 'w', dims: [1, 1, 1, 1, 1], type: 0, offset: 0 }], dataBytes: 4 },
      'tensor_infos[0].n_dims',
      /5 dimensions/,
    ],
    ['unknown ggml type', { tensors: [{ name: 'w', dims: [32], type: 99, offset: 0 }], dataBytes: 64 }, 'tensor_infos[0].type', /99/],
    [
      'unsupported ggml type (IQ2_XXS = 16)',
      { tensors: [{ name: 'w', dims: [256], type: 16, offset: 0 }], dataBytes: 66 },
      'tensor_infos[0].type',
      /16/,
    ],
    [
      'row not a multiple of the block size',
      { tensors: [{ name: 'w', dims: [33], type: 8, offset: 0 }], dataBytes: 64 },
      'tensor_infos[0].dims[0]',
      /33.*block size 32/,
    ],
    ['absurd dimension', { tensors: [{ name: 'w', dims: [2n ** 60n], type: 0, offset: 0 }] }, 'tensor_infos[0].dims[0]', /absurd/],
    ['tensor larger than the file', { tensors: [{ name: 'w', dims: [2 ** 20, 2 ** 20], type: 0, offset: 0 }] }, 'tensor_infos[0]', /needs/],
    ['misaligned offset', { tensors: [f32Tensor('w', 4)], dataBytes: 64 }, 'tensor_infos[0].offset', /multiple of the alignment 32/],
    ['offset past the end', { tensors: [f32Tensor('w', 2n ** 50n)], dataBytes: 64 }, 'tensor_infos[0].offset', /past the end/],
    ['data truncated', { tensors: [f32Tensor('w', 32)], dataBytes: 40 }, 'tensor_infos[0].offset', /truncated or the offset is wrong/],
    [
      'overlapping tensors',
      { tensors: [f32Tensor('a', 0, 16), f32Tensor('b', 32, 16)], dataBytes: 128 },
      'tensor_infos[1].offset',
      /overlaps tensor "a"/,
    ],
    [
      'duplicate tensor name',
      { tensors: [f32Tensor('a', 0), f32Tensor('a', 32)], dataBytes: 64 },
      'tensor_infos[1].name',
      /duplicate tensor name/,
    ],
    ['tensor name over 64 bytes', { tensors: [f32Tensor('n'.repeat(65), 0)], dataBytes: 32 }, 'tensor_infos[0].name', /65 bytes/],
    ['empty tensor name', { tensors: [f32Tensor('', 0)], dataBytes: 32 }, 'tensor_infos[0].name', /empty/],
  ];
  for (const [label, spec, field, message] of cases) {
    it(label, () => {
      const bytes = spec instanceof Uint8Array ? spec : buildGguf(spec).bytes;
      const e = expectGgufError(() => readGGUF(bytes), field, message);
      expect(typeof e.byteOffset).toBe('number');
      expect(e.byteOffset!).toBeGreaterThanOrEqual(0);
      expect(e.byteOffset!).toBeLessThanOrEqual(Math.max(bytes.length, 0));
      expect(e.message).toContain(`at byte ${e.byteOffset}`);
    });
  }

  it('reports the exact byte offset of the bad field', () => {
    // header 24 bytes; key "a" = 8 + 1 bytes; type u32 at 33; the bool value sits at 37.
    const { bytes } = buildGguf({ kvs: [kv('a', 7, (b) => b.u8(3))] });
    expect(expectGgufError(() => readGGUF(bytes), 'metadata["a"]').byteOffset).toBe(37);
    // The second tensor info starts after the first: 24 + (8 + 1 + 4 + 8 + 4 + 8) = 57; its offset field is 8 + 1 + 4 + 8 + 4 = 25 bytes in.
    const overlap = buildGguf({ tensors: [f32Tensor('a', 0, 16), f32Tensor('b', 32, 16)], dataBytes: 128 });
    expect(overlap.tensorAt[1]).toBe(57);
    expect(expectGgufError(() => readGGUF(overlap.bytes), 'tensor_infos[1].offset').byteOffset).toBe(57 + 25);
  });

  it('rejects a file path that does not exist with InvalidArgumentError, and a truncated file on disk with GgufError', () => {
    let error: unknown;
    try {
      readGGUF(join(dir, 'missing.gguf'));
    } catch (e) {
      error = e;
    }
    expect(InvalidArgumentError.isInstance(error)).toBe(true);
    const full = writeGGUF(null, { metadata: sampleMetadata(false), tensors: sampleTensors() });
    const path = join(dir, 'truncated.gguf');
    const last = readGGUF(full).tensors.reduce((a, b) => (a.offset > b.offset ? a : b));
    writeFileSync(path, full.subarray(0, readGGUF(full).dataOffset + last.offset + last.byteLength - 1));
    expectGgufError(() => readGGUF(path), /tensor_infos\[\d+\]\.offset/, /truncated/);
  });
});

describe.skipIf(ggml === null)("ggml's own gguf.cpp agrees (skipped: libggml-base.so or koffi missing)", () => {
  it('gguf_init_from_file reads our file: version, alignment, data offset, every key/value and tensor', () => {
    const metadata = sampleMetadata(false); // gguf.cpp does not support arrays of arrays
    const tensors = sampleTensors();
    for (const alignment of [32, 64]) {
      const path = join(dir, `ggml-read-${alignment}.gguf`);
      const bytes = writeGGUF(path, { metadata, tensors, alignment });
      const ours = readGGUF(bytes);
      const theirs = ggml!.read(path);
      expect(theirs, 'ggml rejected the file').not.toBeNull();
      expect(theirs!.version).toBe(3);
      expect(theirs!.alignment).toBe(alignment);
      expect(theirs!.dataOffset).toBe(ours.dataOffset);
      expect(theirs!.kvs.map((k) => k.key)).toEqual([...ours.metadata.keys()]);
      for (const k of theirs!.kvs) {
        const v = ours.metadata.get(k.key)!;
        expect(k.type, k.key).toBe(GGUF_VALUE_TYPE_IDS[v.type]);
        const encoded = writeGGUF(null, { metadata: new Map([[k.key, v]]) });
        if (v.type === 'array') {
          expect(k.itemType, k.key).toBe(GGUF_VALUE_TYPE_IDS[v.itemType]);
          if (v.itemType === 'string') expect(k.items).toEqual(v.value);
          else {
            // our encoding of the items: after header 24, key (8 + len), type 4, item type 4, count 8
            const start = 24 + 8 + new TextEncoder().encode(k.key).length + 16;
            expect(Array.from(k.items as Uint8Array), k.key).toEqual(
              Array.from(encoded.subarray(start, start + (k.items as Uint8Array).length))
            );
          }
        } else if (v.type === 'string') expect(k.value).toBe(v.value);
        else {
          const start = 24 + 8 + new TextEncoder().encode(k.key).length + 4;
          expect(Array.from(k.value as Uint8Array), k.key).toEqual(
            Array.from(encoded.subarray(start, start + (k.value as Uint8Array).length))
          );
        }
      }
      expect(theirs!.tensors).toEqual(
        ours.tensors.map((t) => ({ name: t.name, type: GGML_TYPE_IDS[t.type], offset: t.offset, size: t.byteLength }))
      );
    }
  });

  it('gguf_write_to_file writes the same bytes as writeGGUF for the same metadata', () => {
    const metadata = sampleMetadata(false);
    metadata.delete('general.name'); // gguf_set_val_str takes a C string: keep strings ASCII-simple
    const kvs: GgmlGgufKv[] = [];
    const probe = (key: string, v: GgufValue): Uint8Array => {
      const encoded = writeGGUF(null, { metadata: new Map([[key, v]]) });
      const start = 24 + 8 + key.length + (v.type === 'array' ? 16 : 4);
      return encoded.subarray(start, encoded.length);
    };
    for (const [key, v] of metadata) {
      if (v.type === 'string') kvs.push({ key, type: 8, value: v.value });
      else if (v.type === 'array') {
        if (v.itemType === 'string') kvs.push({ key, type: 9, itemType: 8, items: [...v.value] });
        else {
          const itemBytes = GGUF_SCALAR_BYTES[v.itemType as keyof typeof GGUF_SCALAR_BYTES];
          kvs.push({ key, type: 9, itemType: GGUF_VALUE_TYPE_IDS[v.itemType], items: probe(key, v).slice(0, v.value.length * itemBytes) });
        }
      } else {
        const size = GGUF_SCALAR_BYTES[v.type as keyof typeof GGUF_SCALAR_BYTES];
        kvs.push({ key, type: GGUF_VALUE_TYPE_IDS[v.type], value: probe(key, v).slice(0, size) });
      }
    }
    // (Only the default alignment: ggml's writer pads to ctx->alignment, which gguf_set_val_u32 on
    // general.alignment does not update, so its metadata-only files with another alignment pad to 32.)
    const path = join(dir, 'ggml-written.gguf');
    expect(ggml!.writeMetadata(path, kvs)).toBe(true);
    const theirs = readFileSync(path);
    const ours = writeGGUF(null, { metadata });
    expect(theirs.length).toBe(ours.length);
    expect(Buffer.compare(theirs, Buffer.from(ours))).toBe(0);
    expect(readGGUF(theirs).metadata).toEqual(metadata);
  });
});

describe('@huggingface/gguf agrees', () => {
  it('reads our file: same metadata values and types, tensor infos and data offset', async () => {
    const metadata = sampleMetadata(true);
    const tensors = sampleTensors();
    const path = join(dir, 'hf.gguf');
    writeGGUF(path, { metadata, tensors, alignment: 64 });
    const ours = readGGUF(path);
    const hf = await hfGguf(path, { allowLocalFile: true, typedMetadata: true });
    const typed = hf.typedMetadata as unknown as Record<string, { value: unknown; type: number; subType?: number }>;
    expect(Number(typed.tensor_count.value)).toBe(tensors.length);
    expect(Number(typed.kv_count.value)).toBe(ours.metadata.size);
    for (const [key, v] of ours.metadata) {
      expect(typed[key]?.type, key).toBe(GGUF_VALUE_TYPE_IDS[v.type]);
      if (v.type === 'array') expect(typed[key].subType, key).toBe(GGUF_VALUE_TYPE_IDS[v.itemType]);
      expect(typed[key].value, key).toEqual(plain(v));
    }
    expect(Number(hf.tensorDataOffset)).toBe(ours.dataOffset);
    expect(hf.tensorInfos.map((t) => ({ name: t.name, shape: t.shape.map(Number), type: t.dtype, offset: Number(t.offset) }))).toEqual(
      ours.tensors.map((t) => ({ name: t.name, shape: [...t.shape], type: GGML_TYPE_IDS[t.type], offset: t.offset }))
    );
  });

  it('its serializer output (metadata-only GGUF) reads back with the same values and types', () => {
    const metadata = sampleMetadata(false); // serializeGgufMetadata does not support arrays of arrays
    metadata.delete('a.uint8'); // nor arrays of uint8: it tests `if (!subType)` and uint8's id is 0 (@huggingface/gguf 0.4.6)
    const typed: Record<string, { value: unknown; type: number; subType?: number }> = {
      version: { value: 3, type: 4 },
      tensor_count: { value: 0n, type: 10 },
      kv_count: { value: BigInt(metadata.size), type: 10 },
    };
    for (const [key, v] of metadata) {
      typed[key] =
        v.type === 'array'
          ? { value: plain(v), type: 9, subType: GGUF_VALUE_TYPE_IDS[v.itemType] }
          : { value: v.value, type: GGUF_VALUE_TYPE_IDS[v.type] };
    }
    const bytes = serializeGgufMetadata(typed as never, { alignment: 32 });
    const file = readGGUF(bytes);
    expect(file.metadata).toEqual(metadata);
    expect(file.tensors).toEqual([]);
    // and it is the same byte stream as ours, up to the final alignment padding
    const ours = writeGGUF(null, { metadata });
    expect(
      Buffer.compare(
        Buffer.from(bytes.subarray(0, Math.min(bytes.length, ours.length))),
        Buffer.from(ours.subarray(0, Math.min(bytes.length, ours.length)))
      )
    ).toBe(0);
  });
});

describe('a GGUF written by the Python gguf package (llama.cpp gguf-py; fixture: tools/fixtures/gen_gguf.py)', () => {
  const dir = new URL('./fixtures/gguf/', import.meta.url);
  const expected = JSON.parse(readFileSync(new URL('python-gguf.json', dir), 'utf8')) as {
    metadata: Array<{ key: string; type: string; value: unknown }>;
    tensors: Array<{ name: string; shape: number[]; type: GgmlTypeName; values: number[]; source?: number[] }>;
  };
  const file = readGGUF(readFileSync(new URL('python-gguf.gguf', dir)), { readTensorData: true });

  it('reads every metadata key with its type and value', () => {
    expect(plain(file.metadata.get('general.architecture')!)).toBe('llama');
    for (const m of expected.metadata) {
      const v = file.metadata.get(m.key);
      expect(v, m.key).toBeDefined();
      expect(v!.type, m.key).toBe(m.type);
      const got = plain(v!);
      if (m.type === 'float32') expect(got).toBe(Math.fround(m.value as number));
      else if (m.type === 'uint64') expect(String(got)).toBe(m.value);
      else expect(got, m.key).toEqual(m.value);
    }
  });

  it('reads tensor infos and data; our Q8_0 quantizer writes the same bytes as gguf-py', () => {
    expect(file.tensors.map((t) => [t.name, [...t.shape], t.type])).toEqual(expected.tensors.map((t) => [t.name, t.shape, t.type]));
    for (const t of expected.tensors) {
      const info = file.tensors.find((x) => x.name === t.name)!;
      const values = dequantizeBlocks(t.type, info.data!, t.values.length);
      expect(Array.from(values), t.name).toEqual(t.values.map((v) => Math.fround(v)));
      if (t.source) expect(Buffer.from(quantizeBlocks(t.type, Float32Array.from(t.source))).equals(Buffer.from(info.data!))).toBe(true);
    }
  });
});
