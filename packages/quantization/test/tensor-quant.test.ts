/**
 * Tensor quantization (absmax / zero-point, int8 / int4, per tensor / channel / group)
 * against PyTorch: fixtures/basics/tensor_quant.json from tools/fixtures/gen_quant_basics.py
 * (torch.quantize_per_tensor / quantize_per_channel with the course's scale definitions and
 * MinMaxObserver's zero-point formula). Integers, scales, zero points and dequantized values
 * must match bit for bit.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '@llmkit/core';
import { InvalidArgumentError, ShapeMismatchError } from '@llmkit/core/errors';
import {
  dequantizeTensor,
  dequantizeTf,
  fakeQuantize,
  quantizedTensorBytes,
  quantizedValues,
  quantizeTensor,
  quantizeTf,
  type QuantBits,
  type QuantGranularity,
  type QuantScheme,
} from '../src/tensor/quantize.js';
import { packInt4, unpackInt4 } from '../src/tensor/pack.js';
import { quantizationError } from '../src/tensor/stats.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

interface Enc {
  shape: number[];
  dtype: 'f32' | 'i8' | 'u8' | 'i32' | 'i64';
  b64: string;
}
function dec(e: Enc): { shape: number[]; data: Float32Array | Int8Array | Uint8Array | Int32Array } {
  const buf = Buffer.from(e.b64, 'base64');
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  const data =
    e.dtype === 'f32' ? new Float32Array(ab) : e.dtype === 'i8' ? new Int8Array(ab) : e.dtype === 'u8' ? new Uint8Array(ab) : new Int32Array(ab);
  return { shape: e.shape, data };
}

interface Case {
  input: string;
  bits: QuantBits;
  scheme: QuantScheme;
  granularity: QuantGranularity;
  axis: number;
  groupSize: number;
  q: Enc;
  scales: Enc;
  zeroPoints: Enc;
  dequantized: Enc;
  error: { mse: number; maxAbs: number; sqnr: number | null };
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/basics/tensor_quant.json', import.meta.url), 'utf8')) as {
  inputs: Record<string, Enc>;
  cases: Case[];
};

function bitsOf(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

describe('quantizeTensor vs PyTorch', () => {
  it('covers the fixture matrix', () => {
    expect(fixture.cases.length).toBe(39);
  });
  for (const c of fixture.cases) {
    const name = `${c.input} int${c.bits} ${c.scheme} ${c.granularity}${c.granularity === 'tensor' ? '' : ` axis=${c.axis}`}${c.groupSize ? ` g=${c.groupSize}` : ''}`;
    it(name, () => {
      const x = dec(fixture.inputs[c.input]);
      const qt = quantizeTensor(x.data as Float32Array, x.shape, {
        bits: c.bits,
        scheme: c.scheme,
        granularity: c.granularity,
        ...(c.granularity === 'tensor' ? {} : { axis: c.axis }),
        ...(c.granularity === 'group' ? { groupSize: c.groupSize } : {}),
      });
      const want = dec(c.q).data as Int8Array;
      expect(Array.from(quantizedValues(qt))).toEqual(Array.from(want));
      expect(bitsOf(qt.scales)).toEqual(bitsOf(dec(c.scales).data as Float32Array));
      const zps = dec(c.zeroPoints).data as Int32Array;
      if (c.scheme === 'zeropoint') expect(Array.from(qt.zeroPoints!)).toEqual(Array.from(zps));
      else {
        expect(qt.zeroPoints).toBeUndefined();
        expect(zps.every((z) => z === 0)).toBe(true);
      }
      if (c.bits === 4) {
        expect(qt.q).toBeInstanceOf(Uint8Array);
        expect(qt.q.length).toBe(Math.ceil(want.length / 2));
        expect(qt.q).toEqual(packInt4(want));
      } else {
        expect(qt.q).toBeInstanceOf(Int8Array);
      }
      const deq = dequantizeTensor(qt);
      expect(bitsOf(deq)).toEqual(bitsOf(dec(c.dequantized).data as Float32Array));
      const err = quantizationError(x.data as Float32Array, deq);
      expect(err.mse).toBeCloseTo(c.error.mse, 12);
      expect(err.maxAbs).toBe(c.error.maxAbs);
      if (c.error.sqnr === null) expect(err.sqnr).toBe(Infinity);
      else expect(Math.abs(err.sqnr - c.error.sqnr)).toBeLessThan(1e-9);
    });
  }
});

describe('quantizeTensor: hand-derived values', () => {
  it('absmax int8 maps ±max to ±127 and rounds half to even', () => {
    // amax 63.5 -> scale 0.5 exactly; x / scale = 2x, so 0.25 -> 0.5 -> 0 (even), 0.75 -> 1.5 -> 2,
    // -1.25 -> -2.5 -> -2, 1.75 -> 3.5 -> 4.
    const qt = quantizeTensor([63.5, 0.25, 0.75, -1.25, 1.75, -63.5], [6], { bits: 8 });
    expect(qt.scales[0]).toBe(0.5);
    expect(Array.from(qt.q)).toEqual([127, 0, 2, -2, 4, -127]);
    expect(Array.from(dequantizeTensor(qt))).toEqual([63.5, 0, 1, -1, 2, -63.5]);
  });

  it('zero-point int8 over [0, 255]: scale 1, zp -128, zero exact', () => {
    // min' = 0, max' = 255 -> scale = 255 / 255 = 1, zp = -128 - round(0 / 1) = -128.
    const qt = quantizeTensor([0, 255, 100.5, 3], [4], { bits: 8, scheme: 'zeropoint' });
    expect(qt.scales[0]).toBe(1);
    expect(qt.zeroPoints![0]).toBe(-128);
    // 100.5 -> -128 + round(100.5) = -128 + 100 (half to even)
    expect(Array.from(qt.q)).toEqual([-128, 127, -28, -125]);
  });

  it('zero-point int4 over [-1, 2]: scale 0.2, zp -3', () => {
    // scale = f32(3 / 15) = f32(0.2); zp = -8 - round(-1 / 0.2) = -8 + 5 = -3.
    const qt = quantizeTensor([-1, 2, 0, 0.5], [4], { bits: 4, scheme: 'zeropoint' });
    expect(qt.scales[0]).toBe(Math.fround(0.2));
    expect(qt.zeroPoints![0]).toBe(-3);
    expect(Array.from(quantizedValues(qt))).toEqual([-8, 7, -3, -1]);
  });

  it('per-channel scales index the chosen axis; groups follow (outer, group, inner)', () => {
    const x = Float32Array.from([1, -2, 3, -4, 5, -6, 7, -8]); // [2, 4]
    const ch = quantizeTensor(x, [2, 4], { bits: 8, granularity: 'channel', axis: 1 });
    expect(Array.from(ch.scales)).toEqual([5, 6, 7, 8].map((a) => Math.fround(a / 127)));
    const gr = quantizeTensor(x, [2, 4], { bits: 8, granularity: 'group', groupSize: 2 });
    expect(Array.from(gr.scales)).toEqual([2, 4, 6, 8].map((a) => Math.fround(a / 127)));
    const gr0 = quantizeTensor(x, [2, 4], { bits: 8, granularity: 'group', axis: 0, groupSize: 2 });
    expect(Array.from(gr0.scales)).toEqual([5, 6, 7, 8].map((a) => Math.fround(a / 127)));
  });

  it('int4 packing: low nibble first, two’s complement, odd length', () => {
    expect(Array.from(packInt4(Int8Array.from([1, -1, 7])))).toEqual([0xf1, 0x07]);
    expect(Array.from(packInt4([-8, 0]))).toEqual([0x08]);
    const all = Int8Array.from({ length: 16 }, (_, i) => i - 8);
    expect(unpackInt4(packInt4(all), 16)).toEqual(all);
    expect(unpackInt4(Uint8Array.from([0xf1, 0x07]), 3)).toEqual(Int8Array.from([1, -1, 7]));
  });

  it('error statistics', () => {
    const e = quantizationError([1, 2, 3, 4], [1, 2, 3, 3]);
    expect(e.mse).toBe(0.25);
    expect(e.maxAbs).toBe(1);
    expect(e.sqnr).toBeCloseTo(10 * Math.log10(30), 12);
    expect(quantizationError([1], [1]).sqnr).toBe(Infinity);
  });

  it('finer granularity and more bits reduce the error on a heavy-row matrix', () => {
    const x = new Float32Array(64 * 64);
    let s = 1;
    for (let i = 0; i < x.length; i++) {
      s = (s * 16807) % 2147483647;
      x[i] = ((s / 2147483647) * 2 - 1) * (Math.floor(i / 64) % 8 === 0 ? 20 : 1);
    }
    const sq = (o: Parameters<typeof quantizeTensor>[2]) => quantizationError(x, fakeQuantize(x, [64, 64], o)).sqnr;
    const t8 = sq({ bits: 8 });
    const c8 = sq({ bits: 8, granularity: 'channel' });
    const c4 = sq({ bits: 4, granularity: 'channel' });
    const g4 = sq({ bits: 4, granularity: 'group', groupSize: 16 });
    expect(c8).toBeGreaterThan(t8);
    expect(c8).toBeGreaterThan(c4 + 20); // ~6 dB per bit
    expect(g4).toBeGreaterThan(c4);
  });

  it('reports storage bytes', () => {
    const qt = quantizeTensor(new Float32Array(256).fill(1), [8, 32], { bits: 4, scheme: 'zeropoint', granularity: 'group', groupSize: 16 });
    // 128 bytes of nibbles + 16 float32 scales + 16 int4 zero points
    expect(quantizedTensorBytes(qt)).toBe(128 + 64 + 8);
  });

  it('tf.Tensor wrappers', () => {
    const t = tf.tensor2d([
      [1, -2],
      [0.5, 4],
    ]);
    const qt = quantizeTf(t, { bits: 8, granularity: 'channel' });
    const back = dequantizeTf(qt);
    expect(back.shape).toEqual([2, 2]);
    expect(Array.from(back.dataSync())).toEqual(Array.from(dequantizeTensor(qt)));
    tf.dispose([t, back]);
    expect(() => quantizeTf(tf.tensor1d([1, 2], 'int32'), { bits: 8 })).toThrow(InvalidArgumentError);
  });
});

describe('quantizeTensor: validation', () => {
  const x = new Float32Array(8);
  it('rejects bad input with typed errors', () => {
    expect(() => quantizeTensor(x, [3, 3], { bits: 8 })).toThrow(ShapeMismatchError);
    expect(() => quantizeTensor(x, [2, 4], { bits: 2 as QuantBits })).toThrow(InvalidArgumentError);
    expect(() => quantizeTensor(x, [2, 4], { bits: 8, granularity: 'group' })).toThrow(/groupSize/);
    expect(() => quantizeTensor(x, [2, 4], { bits: 8, granularity: 'group', groupSize: 3 })).toThrow(/divide/);
    expect(() => quantizeTensor(x, [2, 4], { bits: 8, granularity: 'channel', axis: 2 })).toThrow(InvalidArgumentError);
    expect(() => quantizeTensor([1, NaN], [2], { bits: 8 })).toThrow(/finite/);
    expect(() => quantizeTensor(x, [2, 4], { bits: 8, scheme: 'minmax' as QuantScheme })).toThrow(InvalidArgumentError);
    const qt = quantizeTensor(x, [2, 4], { bits: 8 });
    expect(() => dequantizeTensor({ ...qt, q: new Int8Array(3) })).toThrow(ShapeMismatchError);
    expect(() => unpackInt4(new Uint8Array(1), 3)).toThrow(InvalidArgumentError);
    expect(() => packInt4([9])).toThrow(InvalidArgumentError);
  });
});
