/**
 * NF4 against a transcription of bitsandbytes (tools/fixtures/gen_quant_basics.py →
 * fixtures/basics/nf4.json): codebook, dynamic 8-bit map, packed bytes, absmax, double-quantized
 * absmax and dequantized values must match bit for bit; plus hand-derived checks.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, ShapeMismatchError } from '@llmkit/core/errors';
import {
  NF4_CODEBOOK,
  NF4_THRESHOLDS,
  createDynamicMap,
  dequantizeBlockwiseDynamic,
  nf4,
  quantizeBlockwiseDynamic,
} from '../src/nf4.js';

interface Enc {
  shape: number[];
  dtype: 'f32' | 'i8' | 'u8' | 'i32' | 'i64';
  b64: string;
}
function f32s(e: Enc): Float32Array {
  const buf = Buffer.from(e.b64, 'base64');
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}
function u8s(e: Enc): Uint8Array {
  return new Uint8Array(Buffer.from(e.b64, 'base64'));
}
function bitsOf(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

interface Case {
  name: string;
  input: string;
  n: number;
  blockSize: number;
  doubleQuant: boolean;
  packed: Enc;
  absmax: Enc;
  dequantized: Enc;
  offset?: number;
  qAbsmax?: Enc;
  absmax2?: Enc;
  absmaxDequantized?: Enc;
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/basics/nf4.json', import.meta.url), 'utf8')) as {
  dynamicMap: Enc;
  codebook: Enc;
  inputs: Record<string, Enc>;
  cases: Case[];
};

describe('NF4 constants', () => {
  it('codebook equals bitsandbytes get_4bit_type("nf4")', () => {
    expect(bitsOf(NF4_CODEBOOK)).toEqual(bitsOf(f32s(fixture.codebook)));
    expect(nf4.CODEBOOK).toBe(NF4_CODEBOOK);
  });
  it('tree thresholds are the float32 midpoints of the codebook', () => {
    for (let i = 0; i < 15; i++) {
      expect(NF4_THRESHOLDS[i]).toBe(Math.fround((NF4_CODEBOOK[i] + NF4_CODEBOOK[i + 1]) / 2));
    }
  });
  it('createDynamicMap equals bitsandbytes create_dynamic_map(signed=True)', () => {
    const map = createDynamicMap();
    expect(map.length).toBe(256);
    expect(bitsOf(map)).toEqual(bitsOf(f32s(fixture.dynamicMap)));
  });
});

describe('nf4.quantize vs bitsandbytes transcription', () => {
  for (const c of fixture.cases) {
    it(`${c.name} (n=${c.n}, blockSize=${c.blockSize}, doubleQuant=${c.doubleQuant})`, () => {
      const x = f32s(fixture.inputs[c.input]).subarray(0, c.n);
      const q = nf4.quantize(x, { blockSize: c.blockSize, doubleQuant: c.doubleQuant });
      expect(q.n).toBe(c.n);
      expect(q.packed).toEqual(u8s(c.packed));
      if (c.doubleQuant) {
        expect(q.absmax).toBeNull();
        const dq = q.doubleQuant!;
        expect(dq.offset).toBe(c.offset);
        expect(dq.blockSize).toBe(256);
        expect(dq.qAbsmax).toEqual(u8s(c.qAbsmax!));
        expect(bitsOf(dq.absmax2)).toEqual(bitsOf(f32s(c.absmax2!)));
        expect(bitsOf(nf4.blockAbsmax(q))).toEqual(bitsOf(f32s(c.absmaxDequantized!)));
      } else {
        expect(bitsOf(q.absmax!)).toEqual(bitsOf(f32s(c.absmax)));
      }
      expect(bitsOf(nf4.dequantize(q))).toEqual(bitsOf(f32s(c.dequantized)));
    });
  }

  it('double quantization changes the block scales by less than 1% of the largest', () => {
    const c = fixture.cases.find((k) => k.name === 'weight_dq')!;
    const x = f32s(fixture.inputs[c.input]);
    const plain = nf4.blockAbsmax(nf4.quantize(x));
    const dq = nf4.blockAbsmax(nf4.quantize(x, { doubleQuant: true }));
    const top = Math.max(...plain);
    for (let b = 0; b < plain.length; b++) expect(Math.abs(plain[b] - dq[b])).toBeLessThan(0.01 * top);
  });
});

describe('NF4: hand-derived checks', () => {
  it('a block [0, 1, -1, ...] maps to codes 7, 15, 0', () => {
    // absmax = 1 -> scaled values are the inputs; 0 is code 7 (the exact zero), ±1 the ends.
    const q = nf4.quantize([0, 1, -1, 0.5, -0.25, 0.1]);
    // 0.5: > 0.389 (T11), not > 0.643 (T13), not > 0.502 (T12) -> 12;
    // -0.25: > -0.340 (T3), not > -0.138 (T5), not > -0.235 (T4) -> 4;
    // 0.1: > 0.0398 (T7), not > 0.389, not > 0.204 (T9), not > 0.120 (T8) -> 8.
    expect(Array.from(nf4.codes(q))).toEqual([7, 15, 0, 12, 4, 8]);
    // first element in the HIGH nibble: bytes 0x7f, 0x0c, 0x48
    expect(Array.from(q.packed)).toEqual([0x7f, 0x0c, 0x48]);
    expect(Array.from(q.absmax!)).toEqual([1]);
  });

  it('decision tree: strict > at the midpoints, NaN -> 0', () => {
    for (let i = 0; i < 15; i++) {
      const t = NF4_THRESHOLDS[i];
      expect(nf4.quantizeValue(t)).toBe(i); // on the threshold: the lower code
      const above = new Float32Array([t]);
      new Uint32Array(above.buffer)[0] += t > 0 ? 1 : -1; // the next float32 toward +inf
      expect(above[0]).toBeGreaterThan(t);
      expect(nf4.quantizeValue(above[0])).toBe(i + 1);
    }
    expect(nf4.quantizeValue(NaN)).toBe(0);
    // every code value maps to itself
    for (let c = 0; c < 16; c++) expect(nf4.quantizeValue(NF4_CODEBOOK[c])).toBe(c);
  });

  it('odd length pads the last low nibble with the code of 0.0 (7); all-zero blocks dequantize to 0', () => {
    const q = nf4.quantize([2, -2, 1]);
    expect(Array.from(q.packed)).toEqual([0xf0, (nf4.quantizeValue(0.5) << 4) | 7]);
    const z = nf4.quantize(new Float32Array(64));
    expect(Array.from(nf4.dequantize(z)).every((v) => v === 0)).toBe(true);
  });

  it('blocks are independent and scale-equivariant', () => {
    // Scaling block 2 by 1024 (a power of two) scales its absmax and 1/absmax exactly, so its
    // codes are unchanged, its values scale by exactly 1024, and block 1 is untouched.
    const x = Float32Array.from({ length: 128 }, (_, i) => Math.sin(i * 1.7));
    const y = x.slice();
    for (let i = 64; i < 128; i++) y[i] *= 1024;
    const qx = nf4.quantize(x);
    const qy = nf4.quantize(y);
    expect(nf4.codes(qy)).toEqual(nf4.codes(qx));
    const dx = nf4.dequantize(qx);
    const dy = nf4.dequantize(qy);
    for (let i = 0; i < 128; i++) expect(dy[i]).toBe(i < 64 ? dx[i] : dx[i] * 1024);
  });

  it('dynamic 8-bit blockwise: exact on code values, otherwise the nearest code', () => {
    const code = createDynamicMap();
    // absmax 1 -> scaled = value; values that are codes come back exactly
    const exact = Float32Array.from([1, code[0], code[17], code[128], code[200], 0]);
    const q = quantizeBlockwiseDynamic(exact, 256);
    expect(q.absmax[0]).toBe(1);
    expect(dequantizeBlockwiseDynamic(q)).toEqual(exact);
    const v = Float32Array.from([-1, 0.5, 0.01, 0.3333, -0.0007]);
    const back = dequantizeBlockwiseDynamic(quantizeBlockwiseDynamic(v));
    for (let i = 0; i < v.length; i++) {
      const best = Math.min(...Array.from(code, (c) => Math.abs(c - v[i])));
      expect(Math.abs(back[i] - v[i])).toBeCloseTo(best, 7);
    }
  });

  it('bytes per weight (QLoRA §3: 4.5 bits, 4.127 bits with double quantization)', () => {
    expect(nf4.bytesPerWeight() * 8).toBe(4.5);
    expect(nf4.bytesPerWeight({ doubleQuant: true }) * 8).toBeCloseTo(4 + 8 / 64 + 32 / (64 * 256), 12);
    const q = nf4.quantize(new Float32Array(4096).fill(1), { doubleQuant: true });
    expect(nf4.storageBytes(q)).toBe(2048 + 64 + 4 + 4);
    expect(nf4.storageBytes(nf4.quantize(new Float32Array(4096).fill(1)))).toBe(2048 + 256);
  });

  it('validates input', () => {
    expect(() => nf4.quantize([1, Infinity])).toThrow(InvalidArgumentError);
    expect(() => nf4.quantize([1, 2], { blockSize: 3 })).toThrow(/even/);
    expect(() => nf4.quantize([1, 2], { shape: [3] })).toThrow(ShapeMismatchError);
    expect(() => nf4.quantize([])).toThrow(InvalidArgumentError);
    const q = nf4.quantize([1, 2, 3]);
    expect(() => nf4.dequantize({ ...q, packed: new Uint8Array(5) })).toThrow(ShapeMismatchError);
    expect(() => nf4.bytesPerWeight({ blockSize: 0 })).toThrow(InvalidArgumentError);
  });
});
