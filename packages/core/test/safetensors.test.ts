import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/tf.js';
import { initBackend } from '../src/backend/init-backend.js';
import { InvalidArgumentError, LlmkitError, SafetensorsError } from '../src/errors/index.js';
import { expectClose } from '../src/testing/index.js';
import {
  bfloat16BitsToFloat32,
  decodeBfloat16,
  decodeFloat16,
  encodeBfloat16,
  encodeFloat16,
  float16BitsToFloat32,
  float32ToBfloat16Bits,
  float32ToFloat16Bits,
  parseSafetensors,
  readSafetensors,
  readSafetensorsHeader,
  safetensorsHeaderLength,
  writeSafetensors,
  type RawTensor,
  type SafetensorsDtype,
  type SafetensorsWritable,
} from '../src/safetensors/index.js';

// ---------------------------------------------------------------------------
// Fixtures (tools/fixtures/gen_safetensors.py)

const FIXTURES = fileURLToPath(new URL('./fixtures/safetensors/', import.meta.url));

interface ExpectedTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  f32bits?: number[];
  sourceF32bits?: number[];
  values?: Array<number | string | boolean>;
}
interface ExpectedFile {
  writer: string;
  byteIdentical: boolean;
  metadata: Record<string, string> | null;
  tensors: Record<string, ExpectedTensor>;
}
interface SpecTensor {
  name: string;
  kind: 'tf' | 'raw';
  tfDtype?: 'float32' | 'int32' | 'bool';
  dtype?: SafetensorsDtype;
  target?: SafetensorsDtype;
  shape: number[];
  f32bits?: number[];
  values?: Array<number | string | boolean>;
}
interface Expected {
  files: Record<string, ExpectedFile>;
  invalidFiles: Record<string, { writer: string; header: string; pythonLoadsIt: boolean }>;
  conversions: {
    float16: { inputF32bits: number[]; expectedBits: number[] };
    bfloat16: { inputF32bits: number[]; expectedBits: number[] };
    decodeAll: { float16Sha256: string; bfloat16Sha256: string };
    streams: {
      length: number;
      float16: { seed: number; sha256: string; firstBits: number[] };
      bfloat16: { seed: number; sha256: string; firstBits: number[] };
    };
  };
  writtenByLlmkit: {
    file: string;
    spec: { metadata: Record<string, string>; tensors: SpecTensor[] };
    check: { sha256: string; loadsInPython: boolean; byteIdenticalToPython: boolean; problems?: string[] } | null;
  };
}

const expected = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as Expected;
const fixtureBytes = (name: string) => new Uint8Array(readFileSync(join(FIXTURES, name)));

const isSafetensorsError = (error: unknown): boolean => SafetensorsError.isInstance(error);
const isInvalidArgumentError = (error: unknown): boolean => InvalidArgumentError.isInstance(error);

async function caught(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** Assert `fn` throws a SafetensorsError (code safetensors_format) whose message contains every fragment. */
async function expectSafetensorsError(fn: () => unknown, ...fragments: string[]): Promise<string> {
  const error = await caught(fn);
  expect(isSafetensorsError(error), `expected a SafetensorsError, got ${String(error)}`).toBe(true);
  expect((error as LlmkitError).code).toBe('safetensors_format');
  const message = (error as Error).message;
  for (const fragment of fragments) expect(message).toContain(fragment);
  return message;
}

const f32FromBits = (bits: number[]) => new Float32Array(Uint32Array.from(bits).buffer);
const bitsOf = (values: Float32Array) => Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length));
const isNaNBits32 = (b: number) => (b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff) !== 0;
const isNaNBits16 = (b: number) => (b & 0x7c00) === 0x7c00 && (b & 0x3ff) !== 0;
const isNaNBitsBf16 = (b: number) => (b & 0x7f80) === 0x7f80 && (b & 0x7f) !== 0;

/** Bitwise float32 equality, except that any NaN matches any NaN (payloads differ between code paths). */
function expectSameFloat32Bits(actual: number[], wanted: number[], label: string): void {
  expect(actual.length, label).toBe(wanted.length);
  for (let i = 0; i < wanted.length; i++) {
    if (isNaNBits32(wanted[i])) expect(isNaNBits32(actual[i]), `${label}[${i}] should be NaN`).toBe(true);
    else expect(actual[i], `${label}[${i}]: ${f32FromBits([actual[i]])[0]} vs ${f32FromBits([wanted[i]])[0]}`).toBe(wanted[i]);
  }
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

const INT32_MAX = 2 ** 31 - 1;
const INT32_MIN = -(2 ** 31);

/** A writable tensor (and its target dtype) with the values the fixture describes. */
function writableFromExpected(t: ExpectedTensor): { value: SafetensorsWritable; target?: SafetensorsDtype } {
  switch (t.dtype) {
    case 'F32':
      return { value: tf.tensor(f32FromBits(t.f32bits!), t.shape, 'float32') };
    case 'F16':
    case 'BF16':
      // Written from the float32 values Python rounded, so our rounding must give the same bytes.
      return { value: tf.tensor(f32FromBits(t.sourceF32bits ?? t.f32bits!), t.shape, 'float32'), target: t.dtype };
    case 'F64':
      return { value: { dtype: 'F64', shape: t.shape, data: Float64Array.from(t.values as number[]) } };
    case 'BOOL':
      return { value: tf.tensor(t.values as boolean[], t.shape, 'bool') };
    case 'I64':
    case 'U64': {
      const big = (t.values as string[]).map((v) => BigInt(v));
      if (big.every((v) => v >= BigInt(INT32_MIN) && v <= BigInt(INT32_MAX))) {
        return { value: tf.tensor(big.map(Number), t.shape, 'int32'), target: t.dtype };
      }
      const data = t.dtype === 'I64' ? BigInt64Array.from(big) : BigUint64Array.from(big);
      return { value: { dtype: t.dtype, shape: t.shape, data } };
    }
    default:
      return { value: tf.tensor(t.values as number[], t.shape, 'int32'), target: t.dtype };
  }
}

async function writeFromExpected(file: ExpectedFile): Promise<Uint8Array> {
  const tensors = new Map<string, SafetensorsWritable>();
  const targets: Record<string, SafetensorsDtype> = {};
  for (const [name, t] of Object.entries(file.tensors)) {
    const { value, target } = writableFromExpected(t);
    tensors.set(name, value);
    if (target !== undefined && value instanceof tf.Tensor) targets[name] = target;
  }
  try {
    return await writeSafetensors(null, tensors, file.metadata ?? undefined, { dtype: targets });
  } finally {
    for (const value of tensors.values()) if (value instanceof tf.Tensor) value.dispose();
  }
}

beforeAll(async () => {
  await initBackend();
});

// ---------------------------------------------------------------------------

describe('readSafetensors on files written by Python safetensors', () => {
  for (const [fileName, file] of Object.entries(expected.files)) {
    it(`${fileName} (${file.writer.split(' (')[0]})`, async () => {
      const path = join(FIXTURES, fileName);
      const before = tf.memory().numTensors;
      if (fileName === 'big-int64.safetensors') {
        // I64/U64 beyond int32: the reader refuses, naming the tensor and the raw alternative.
        await expectSafetensorsError(() => readSafetensors(path), path, 'parseSafetensors');
        expect(tf.memory().numTensors).toBe(before);
        const parsed = parseSafetensors(fixtureBytes(fileName));
        for (const [name, t] of Object.entries(file.tensors)) {
          const entry = parsed.tensors.get(name)!;
          expect(entry.dtype).toBe(t.dtype);
          expect(entry.shape).toEqual(t.shape);
          const raw = entry.data.slice().buffer;
          const values = t.dtype === 'I64' ? new BigInt64Array(raw) : new BigUint64Array(raw);
          expect(Array.from(values, String)).toEqual(t.values);
        }
        return;
      }

      const { tensors, metadata, dtypes } = await readSafetensors(path);
      try {
        expect(metadata).toEqual(file.metadata ?? {});
        expect(new Set(tensors.keys())).toEqual(new Set(Object.keys(file.tensors)));
        for (const [name, t] of Object.entries(file.tensors)) {
          const tensor = tensors.get(name)!;
          expect(dtypes.get(name), name).toBe(t.dtype);
          expect(tensor.shape, name).toEqual(t.shape);
          if (t.f32bits !== undefined) {
            expect(tensor.dtype).toBe('float32');
            expectSameFloat32Bits(bitsOf(tensor.dataSync() as Float32Array), t.f32bits, name);
          } else if (t.dtype === 'BOOL') {
            expect(tensor.dtype).toBe('bool');
            expect(Array.from(tensor.dataSync(), Boolean), name).toEqual(t.values);
          } else {
            expect(tensor.dtype).toBe('int32');
            expect(Array.from(tensor.dataSync()), name).toEqual((t.values as Array<number | string>).map(Number));
          }
        }
        // The map is in data-section order.
        const header = readSafetensorsHeader(fixtureBytes(fileName));
        expect([...tensors.keys()]).toEqual([...header.tensors.keys()]);
      } finally {
        tf.dispose([...tensors.values()]);
      }
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('reads bytes as well as paths, and float values agree with expectClose', async () => {
    const { tensors } = await readSafetensors(fixtureBytes('numpy.safetensors'));
    expectClose(tensors.get('z')!, [0.5, -1.25], { atol: 0 });
    tf.dispose([...tensors.values()]);
  });
});

describe('writeSafetensors reproduces Python safetensors bytes', () => {
  for (const [fileName, file] of Object.entries(expected.files)) {
    const python = () => fixtureBytes(fileName);

    it(`${fileName}: from the raw entries (layout: order, header JSON, padding)`, async () => {
      const parsed = parseSafetensors(python());
      // Feed the entries in reverse insertion order: the writer must sort them itself.
      const entries = new Map([...parsed.tensors.entries()].reverse());
      const ours = await writeSafetensors(null, entries, parsed.header.hasMetadata ? parsed.metadata : undefined);
      if (file.byteIdentical) {
        expect(Buffer.from(ours).equals(Buffer.from(python()))).toBe(true);
      } else {
        // Python's metadata key order is a Rust HashMap's, random per process: compare meaning.
        const again = parseSafetensors(ours);
        expect(again.metadata).toEqual(parsed.metadata);
        expect([...again.tensors.keys()]).toEqual([...parsed.tensors.keys()]);
        for (const [name, entry] of parsed.tensors) expect(again.tensors.get(name)!.data).toEqual(entry.data);
      }
    });

    it(`${fileName}: from tf tensors / values (conversion and layout)`, async () => {
      const ours = await writeFromExpected(file);
      if (file.byteIdentical) {
        expect(Buffer.from(ours).equals(Buffer.from(python()))).toBe(true);
      } else {
        const a = parseSafetensors(ours);
        const b = parseSafetensors(python());
        expect(a.metadata).toEqual(b.metadata);
        for (const [name, entry] of b.tensors) expect(a.tensors.get(name)!.data).toEqual(entry.data);
      }
    });
  }

  for (const [fileName, quirk] of Object.entries(expected.invalidFiles)) {
    it(`${fileName}: Python's invalid output is rejected (as Python does) and we write valid JSON instead`, async () => {
      expect(quirk.pythonLoadsIt).toBe(false);
      await expectSafetensorsError(() => parseSafetensors(fixtureBytes(fileName)), 'not valid JSON');
      const ours = await writeSafetensors(null, {}, {});
      expect(new TextDecoder().decode(ours.subarray(8))).toBe('{"__metadata__":{}}     ');
      expect(parseSafetensors(ours).header.hasMetadata).toBe(true);
    });
  }

  it('writes the exact bytes of the Rust library unit tests', async () => {
    // safetensors/src/tensor.rs test_empty: no tensors, then {"framework": "pt"} metadata.
    expect(Array.from(await writeSafetensors(null, {}))).toEqual([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
    const withMetadata = await writeSafetensors(null, {}, { framework: 'pt' });
    expect(new TextDecoder().decode(withMetadata.subarray(8))).toBe('{"__metadata__":{"framework":"pt"}}     ');
    expect(withMetadata[0]).toBe(40);
  });
});

describe('files written by llmkit load in Python', () => {
  it(`${expected.writtenByLlmkit.file} matches the spec that gen_safetensors.py checks with safetensors/torch`, async () => {
    const { spec, check, file } = expected.writtenByLlmkit;
    const tensors = new Map<string, SafetensorsWritable>();
    const targets: Record<string, SafetensorsDtype> = {};
    for (const t of spec.tensors) {
      if (t.kind === 'tf') {
        const values = t.tfDtype === 'float32' ? f32FromBits(t.f32bits!) : (t.values as number[] | boolean[]);
        tensors.set(t.name, tf.tensor(values, t.shape, t.tfDtype));
        if (t.target !== undefined) targets[t.name] = t.target;
      } else {
        const values = t.values!;
        const data: RawTensor['data'] =
          t.dtype === 'I64'
            ? BigInt64Array.from(values, (v) => BigInt(v as string))
            : t.dtype === 'F64'
              ? Float64Array.from(values as number[])
              : Uint8Array.from(values as number[]);
        tensors.set(t.name, { dtype: t.dtype!, shape: t.shape, data });
      }
    }
    const path = join(FIXTURES, file);
    const update = process.env.LLMKIT_UPDATE_FIXTURES === '1' || !existsSync(path);
    const bytes = await writeSafetensors(update ? path : null, tensors, spec.metadata, { dtype: targets });
    tf.dispose([...tensors.values()].filter((v): v is tf.Tensor => v instanceof tf.Tensor));

    // The committed file is what Python checked; our writer must still produce it.
    expect(sha256(bytes)).toBe(sha256(fixtureBytes(file)));
    expect(check, 'run tools/fixtures/gen_safetensors.py to check the file in Python').not.toBeNull();
    expect(check!.problems ?? []).toEqual([]);
    expect(check!.loadsInPython).toBe(true);
    expect(check!.byteIdenticalToPython).toBe(true);
    expect(check!.sha256).toBe(sha256(bytes));

    // And it reads back here: raw.i64 holds 2^53 + 1, so only the raw level can read it.
    await expectSafetensorsError(() => readSafetensors(bytes), '"raw.i64"', 'parseSafetensors');
    const raw = parseSafetensors(bytes);
    expect(raw.tensors.get('lm_head.weight')!.dtype).toBe('F16');
    const ids = raw.tensors.get('input_ids')!;
    expect(ids.dtype).toBe('I64');
    expect(Array.from(new BigInt64Array(ids.data.slice().buffer), Number)).toEqual([1, 2, 3, -4, INT32_MAX, INT32_MIN]);
    expect(Array.from(new BigInt64Array(raw.tensors.get('raw.i64')!.data.slice().buffer), String)).toEqual(['9007199254740993', '-9223372036854775808']);
  });
});

// ---------------------------------------------------------------------------

function xorshift32(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
    return x;
  };
}

/** Same streams as gen_safetensors.py f16_stream_inputs / bf16_stream_inputs. */
function float16StreamInputs(seed: number, n: number): Uint32Array {
  const next = xorshift32(seed);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const r1 = next();
    const r2 = next();
    let mantissa = r1 & 0x7fffff;
    if ((r2 >>> 8) % 4 === 0) mantissa = (mantissa & 0x7fe000) | 0x1000;
    out[i] = ((r1 & 0x80000000) | ((95 + (r2 % 51)) << 23) | mantissa) >>> 0;
  }
  return out;
}

function bfloat16StreamInputs(seed: number, n: number): Uint32Array {
  const next = xorshift32(seed);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const r1 = next();
    const r2 = next();
    out[i] = (r2 >>> 8) % 4 === 0 ? ((r1 & 0xffff0000) | 0x8000) >>> 0 : r1;
  }
  return out;
}

describe('float16 / bfloat16 conversion matches numpy and PyTorch', () => {
  const c = expected.conversions;

  it('float16 edge cases (overflow, subnormals, ties, NaN/Inf, random) match numpy astype(float16)', () => {
    const input = f32FromBits(c.float16.inputF32bits);
    const ours = encodeFloat16(input);
    for (let i = 0; i < input.length; i++) {
      const want = c.float16.expectedBits[i];
      const label = `float16(${input[i]}) [bits 0x${c.float16.inputF32bits[i].toString(16)}]`;
      if (isNaNBits16(want)) {
        expect(isNaNBits16(ours[i]), label).toBe(true);
        expect(isNaNBits16(float32ToFloat16Bits(input[i])), label).toBe(true);
      } else {
        expect(ours[i], label).toBe(want);
        expect(float32ToFloat16Bits(input[i]), label).toBe(want); // scalar path agrees
      }
    }
  });

  it('bfloat16 edge cases match torch .to(torch.bfloat16)', () => {
    const input = f32FromBits(c.bfloat16.inputF32bits);
    const ours = encodeBfloat16(input);
    for (let i = 0; i < input.length; i++) {
      const want = c.bfloat16.expectedBits[i];
      const label = `bfloat16(${input[i]}) [bits 0x${c.bfloat16.inputF32bits[i].toString(16)}]`;
      if (isNaNBitsBf16(want)) {
        expect(isNaNBitsBf16(ours[i]), label).toBe(true);
      } else {
        expect(ours[i], label).toBe(want);
        expect(float32ToBfloat16Bits(input[i]), label).toBe(want);
      }
    }
  });

  for (const kind of ['float16', 'bfloat16'] as const) {
    it(`${kind}: ${c.streams.length} pseudo-random values (a quarter exact ties) hash to the reference digest`, () => {
      const stream = c.streams[kind];
      const inputs = kind === 'float16' ? float16StreamInputs(stream.seed, c.streams.length) : bfloat16StreamInputs(stream.seed, c.streams.length);
      const floats = new Float32Array(inputs.buffer);
      const out = kind === 'float16' ? encodeFloat16(floats) : encodeBfloat16(floats);
      const isNaN16 = kind === 'float16' ? isNaNBits16 : isNaNBitsBf16;
      const canonicalNaN = kind === 'float16' ? 0x7e00 : 0x7fc0;
      for (let i = 0; i < out.length; i++) if (isNaN16(out[i])) out[i] = canonicalNaN;
      // The first values spelled out give a readable failure before the digest.
      expect(Array.from(out.subarray(0, stream.firstBits.length))).toEqual(stream.firstBits);
      expect(sha256(new Uint8Array(out.buffer))).toBe(stream.sha256);
    });
  }

  it('decoding all 65536 float16 and bfloat16 patterns matches numpy / torch', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    for (const [decoded, digest] of [
      [decodeFloat16(all), c.decodeAll.float16Sha256],
      [decodeBfloat16(all), c.decodeAll.bfloat16Sha256],
    ] as const) {
      const bits = new Uint32Array(decoded.buffer);
      for (let i = 0; i < bits.length; i++) if (isNaNBits32(bits[i])) bits[i] = 0x7fc00000;
      expect(sha256(new Uint8Array(bits.buffer))).toBe(digest);
    }
    // Scalar helpers agree with the array paths.
    expect(float16BitsToFloat32(0x3555)).toBe(0.333251953125);
    expect(float16BitsToFloat32(0x0001)).toBe(2 ** -24);
    expect(bfloat16BitsToFloat32(0x4049)).toBe(3.140625);
    expect(Object.is(float16BitsToFloat32(0x8000), -0)).toBe(true);
  });

  it('float16 -> float32 -> float16 is the identity on every non-NaN pattern', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const back = encodeFloat16(decodeFloat16(all));
    const backBf = encodeBfloat16(decodeBfloat16(all));
    for (let i = 0; i < 65536; i++) {
      if (!isNaNBits16(i)) expect(back[i]).toBe(i);
      if (!isNaNBitsBf16(i)) expect(backBf[i]).toBe(i);
    }
  });

  it('accepts plain number arrays (rounded to float32 first)', () => {
    expect(Array.from(encodeFloat16([1, -2, 0.1]))).toEqual([0x3c00, 0xc000, 0x2e66]);
    expect(Array.from(encodeBfloat16([1, 3.14159]))).toEqual([0x3f80, 0x4049]);
  });
});

// ---------------------------------------------------------------------------
// Malformed input

const encoder = new TextEncoder();

/** A safetensors buffer from a header string and data; `headerLength` overrides the prefix. */
function build(header: string, data: Uint8Array | number = 0, headerLength?: number): Uint8Array {
  const json = encoder.encode(header);
  const body = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + json.length + body.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength ?? json.length), true);
  out.set(json, 8);
  out.set(body, 8 + json.length);
  return out;
}

const info = (dtype: string, shape: unknown[], begin: unknown, end: unknown) =>
  `{"dtype":"${dtype}","shape":${JSON.stringify(shape)},"data_offsets":[${begin},${end}]}`;

describe('malformed safetensors input throws SafetensorsError naming the input, tensor and fix', () => {
  const cases: Array<[string, () => Uint8Array, string[]]> = [
    ['shorter than 8 bytes', () => new Uint8Array(7), ['buffer', '7 bytes']],
    ['empty input', () => new Uint8Array(0), ['buffer', '0 bytes']],
    ['header length over 100 MB', () => build('{}', 0, 100_000_001), ['100000000']],
    ['header length 2^63', () => { const b = build('{}'); b[7] = 0x80; return b; }, ['limit']],
    ['header length past the end of the file', () => build('{}', 0, 64), ['64 bytes']],
    ['header not UTF-8', () => { const b = build('{"a":1}'); b[10] = 0xff; return b; }, ['UTF-8']],
    ['header not JSON', () => build('{"a": '), ['not valid JSON']],
    ['header with trailing garbage', () => build('{} x'), ['not valid JSON']],
    ['header not an object (array)', () => build('[]'), ['must be a JSON object']],
    ['header not an object (string)', () => build('"hi"'), ['must be a JSON object']],
    ['tensor info not an object', () => build('{"w":[1,2]}'), ['"w"', 'object']],
    ['missing dtype', () => build('{"w":{"shape":[1],"data_offsets":[0,4]}}', 4), ['"w"', 'dtype']],
    ['unknown dtype', () => build(`{"w":${info('F12', [1], 0, 4)}}`, 4), ['"w"', 'unknown dtype "F12"', 'F32']],
    ['negative dimension', () => build(`{"w":${info('F32', [-1], 0, 4)}}`, 4), ['"w"', 'shape', '-1']],
    ['fractional dimension', () => build(`{"w":${info('F32', [1.5], 0, 4)}}`, 4), ['"w"', 'shape', '1.5']],
    ['dimension as exponent literal', () => build(`{"w":${info('F32', ['1e0'], 0, 4)}}`, 4), ['"w"', 'shape']],
    ['dimension as string', () => build(`{"w":${info('F32', ['1'], 0, 4)}}`, 4), ['"w"', 'shape']],
    ['dimension beyond 2^53', () => build(`{"w":${info('F32', [2 ** 60], 0, 4)}}`, 4), ['"w"', 'shape']],
    ['shape not an array', () => build('{"w":{"dtype":"F32","shape":3,"data_offsets":[0,4]}}', 4), ['"w"', 'shape']],
    ['missing data_offsets', () => build('{"w":{"dtype":"F32","shape":[1]}}', 4), ['"w"', 'data_offsets']],
    ['data_offsets of length 3', () => build('{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}', 4), ['"w"', 'data_offsets']],
    ['negative offset', () => build(`{"w":${info('F32', [1], -4, 0)}}`, 4), ['"w"', 'data_offsets']],
    ['end before begin', () => build(`{"w":${info('F32', [1], 4, 0)}}`, 4), ['"w"', 'end before begin']],
    ['offsets past the data', () => build(`{"w":${info('F32', [4], 0, 16)}}`, 8), ['"w"', 'past the end', '8 bytes']],
    ['byte size != numel * dtype size', () => build(`{"w":${info('F32', [3], 0, 8)}}`, 8), ['"w"', 'needs 12']],
    ['overlapping tensors', () => build(`{"a":${info('F32', [2], 0, 8)},"b":${info('F32', [2], 4, 12)}}`, 12), ['"b"', 'overlaps', '"a"']],
    ['gap between tensors', () => build(`{"a":${info('F32', [1], 0, 4)},"b":${info('F32', [1], 8, 12)}}`, 12), ['gap before', '"b"', '4..8']],
    ['data not starting at 0', () => build(`{"a":${info('F32', [1], 4, 8)}}`, 8), ['gap before', '"a"']],
    ['trailing bytes after the last tensor', () => build(`{"a":${info('F32', [1], 0, 4)}}`, 12), ['cover 4 bytes', '12']],
    ['bytes but no tensors', () => build('{}', 8), ['cover 0 bytes']],
    ['__metadata__ value not a string', () => build('{"__metadata__":{"epoch":3}}'), ['__metadata__', '"epoch"', 'strings']],
    ['__metadata__ not an object', () => build('{"__metadata__":["a"]}'), ['__metadata__', 'object of strings']],
    ['duplicate tensor names', () => build(`{"w":${info('F32', [1], 0, 4)},"w":${info('F32', [1], 4, 8)}}`, 8), ['"w"', 'more than once']],
    ['duplicate metadata keys', () => build('{"__metadata__":{"k":"a","k":"b"}}'), ['"k"', 'more than once']],
    ['deeply nested JSON', () => build(`{"__metadata__":${'['.repeat(5000)}${']'.repeat(5000)}}`), ['not valid JSON', 'nesting']],
    ['sub-byte dtype not filling whole bytes', () => build(`{"w":${info('F4', [3], 0, 2)}}`, 2), ['"w"', 'whole number of bytes']],
  ];

  for (const [label, make, fragments] of cases) {
    it(label, async () => {
      const bytes = make();
      await expectSafetensorsError(() => parseSafetensors(bytes), ...fragments);
      await expectSafetensorsError(() => readSafetensors(bytes), ...fragments);
    });
  }

  it('names the file path when reading from disk, and reports unreadable paths', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'llmkit-safetensors-'));
    try {
      const path = join(dir, 'bad.safetensors');
      writeFileSync(path, build(`{"w":${info('F32', [3], 0, 8)}}`, 8));
      await expectSafetensorsError(() => readSafetensors(path), `file "${path}"`, '"w"', 're-export');
      const missing = await caught(() => readSafetensors(join(dir, 'missing.safetensors')));
      expect(isInvalidArgumentError(missing)).toBe(true);
    } finally {
      await rm(dir, { recursive: true });
    }
  });

  it('dtypes without a tf equivalent point to parseSafetensors, and no tensor leaks', async () => {
    const bytes = await writeSafetensors(null, {
      w: { dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) },
      q: { dtype: 'F8_E4M3', shape: [2], data: new Uint8Array([0x38, 0x40]) },
    });
    const before = tf.memory().numTensors;
    await expectSafetensorsError(() => readSafetensors(bytes), '"q"', 'F8_E4M3', 'parseSafetensors');
    expect(tf.memory().numTensors).toBe(before); // "w" was created first, then disposed
    expect(Array.from(parseSafetensors(bytes).tensors.get('q')!.data)).toEqual([0x38, 0x40]);
  });

  it('I64 beyond int32 names the tensor', async () => {
    const bytes = await writeSafetensors(null, { ids: { dtype: 'I64', shape: [2], data: new BigInt64Array([1n, 2n ** 40n]) } });
    await expectSafetensorsError(() => readSafetensors(bytes), '"ids"', '1099511627776', 'parseSafetensors', 'buffer');
  });
});

describe('lazy header reading', () => {
  it('validates the header from a prefix and the total file length', async () => {
    const bytes = fixtureBytes('all-dtypes.safetensors');
    const n = safetensorsHeaderLength(bytes.subarray(0, 8));
    const header = readSafetensorsHeader(bytes.subarray(0, 8 + n), { fileLength: bytes.length });
    expect(header.dataStart).toBe(8 + n);
    expect(header.metadata).toEqual({ format: 'pt' });
    const f16 = header.tensors.get('f16')!;
    expect(f16.dtype).toBe('F16');
    expect(f16.dataOffsets[1] - f16.dataOffsets[0]).toBe(32);
    // Without fileLength, a prefix is (rightly) an incomplete file.
    await expectSafetensorsError(() => readSafetensorsHeader(bytes.subarray(0, 8 + n)), 'past the end of the data section (0 bytes)');
    await expectSafetensorsError(() => readSafetensorsHeader(bytes.subarray(0, 8 + n - 1), { fileLength: bytes.length }), 'for lazy loading');
  });

  it('parseSafetensors entries are zero-copy views', () => {
    const bytes = fixtureBytes('all-dtypes.safetensors');
    const entry = parseSafetensors(bytes).tensors.get('i8')!;
    expect(entry.data.buffer).toBe(bytes.buffer);
    expect(Array.from(new Int8Array(entry.data.buffer, entry.data.byteOffset, entry.data.length))).toEqual([-128, 127, 0, -1]);
  });
});

describe('writeSafetensors validation', () => {
  it('rejects RawTensor data whose size does not match dtype and shape', async () => {
    await expectSafetensorsError(
      () => writeSafetensors(null, { w: { dtype: 'F32', shape: [3], data: new Float32Array(2) } }),
      '"w"',
      '8 bytes',
      'needs 12',
    );
    await expectSafetensorsError(() => writeSafetensors(null, { w: { dtype: 'F32', shape: [-1], data: new Float32Array(0) } }), '"w"', 'shape');
    await expectSafetensorsError(() => writeSafetensors(null, { w: { dtype: 'F33' as never, shape: [1], data: new Float32Array(1) } }), '"w"', 'F33');
  });

  it('range-checks integer targets and rejects impossible conversions', async () => {
    const x = tf.tensor([1, 300], [2], 'int32');
    const f = tf.tensor([1.5], [1]);
    try {
      await expectSafetensorsError(() => writeSafetensors(null, { x }, undefined, { dtype: { x: 'I8' } }), '"x"', 'I8', '300');
      expect(isInvalidArgumentError(await caught(() => writeSafetensors(null, { f }, undefined, { dtype: { f: 'I32' } })))).toBe(true);
      expect(isInvalidArgumentError(await caught(() => writeSafetensors(null, { f }, undefined, { dtype: 'I8' })))).toBe(true);
      expect(isInvalidArgumentError(await caught(() => writeSafetensors(null, { f }, undefined, { dtype: { g: 'F16' } })))).toBe(true);
      // The global float dtype leaves int tensors alone.
      const bytes = await writeSafetensors(null, { x, f }, undefined, { dtype: 'BF16' });
      const header = readSafetensorsHeader(bytes);
      expect(header.tensors.get('x')!.dtype).toBe('I32');
      expect(header.tensors.get('f')!.dtype).toBe('BF16');
    } finally {
      tf.dispose([x, f]);
    }
  });

  it('rejects bad metadata and names', async () => {
    expect(isInvalidArgumentError(await caught(() => writeSafetensors(null, {}, { epoch: 3 as unknown as string })))).toBe(true);
    const w = { dtype: 'U8' as const, shape: [1], data: new Uint8Array(1) };
    await expectSafetensorsError(() => writeSafetensors(null, { __metadata__: w }), '__metadata__');
    await expectSafetensorsError(() => writeSafetensors(null, { ['bad\ud800']: w }), 'surrogate');
  });

  it('sorts names by UTF-8 bytes like Rust, not by UTF-16 code units', async () => {
    const w = { dtype: 'U8' as const, shape: [1], data: new Uint8Array(1) };
    const bytes = await writeSafetensors(null, { 'b\u{1F600}': w, 'b\uffff': w });
    expect([...readSafetensorsHeader(bytes).tensors.keys()]).toEqual(['b\uffff', 'b\u{1F600}']);
  });

  it('round-trips through readSafetensors with the documented conversions', async () => {
    const before = tf.memory().numTensors;
    const a = tf.tensor([[0.1, -2], [65504, 1e-8]]);
    const m = tf.tensor([true, false], [2], 'bool');
    const s = tf.scalar(3, 'int32');
    const bytes = await writeSafetensors(null, new Map<string, SafetensorsWritable>([['a', a], ['m', m], ['s', s]]), { format: 'pt' }, { dtype: { a: 'F16' } });
    const back = await readSafetensors(bytes);
    expect(back.metadata).toEqual({ format: 'pt' });
    expect(Array.from(back.tensors.get('a')!.dataSync())).toEqual(Array.from(decodeFloat16(encodeFloat16(new Float32Array([0.1, -2, 65504, 1e-8])))));
    expect(back.tensors.get('m')!.dtype).toBe('bool');
    expect(Array.from(back.tensors.get('m')!.dataSync())).toEqual([1, 0]);
    expect(back.tensors.get('s')!.shape).toEqual([]);
    expect(back.tensors.get('s')!.dataSync()[0]).toBe(3);
    tf.dispose([a, m, s, ...back.tensors.values()]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
