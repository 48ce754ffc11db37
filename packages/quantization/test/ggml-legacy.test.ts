/**
 * Legacy ggml block types (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1) and the float types
 * (F32, F16, BF16) against ggml itself: node-llama-cpp's libggml-base.so, called through
 * koffi (test/ggml-reference.ts). Quantized bytes must equal `quantize_row_<type>_ref`
 * and dequantized values must equal `dequantize_row_<type>` bit for bit, on ~1M values
 * per type drawn from varied distributions.
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@llmkit/core/errors';
import { GGML_TYPES, dequantizeBlocks, quantizeBlocks, registerGgmlType, getGgmlType } from '../src/ggml/registry.js';
import { Q4_0 } from '../src/ggml/legacy.js';
import { GGML_BLOCK_GEOMETRY, GGML_TYPE_IDS, ggmlRowBytes, type GgmlTypeName } from '../src/ggml/types.js';
import { createRng } from '@llmkit/core';
import { loadGgmlReference } from './ggml-reference.js';

const ref = loadGgmlReference();

/** A seeded uniform generator in [0, 1) (core's Rng), so failures reproduce. */
function rng(seed: number): () => number {
  const r = createRng(seed);
  return () => r.random();
}

function normal(u: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

/**
 * 32-value blocks from many distributions, so every branch of the quantizers is hit:
 * normal at several scales, Student-t (3 dof) and Cauchy tails, uniform, positive-only
 * (Q4_1/Q5_1 minimum), constant and all-zero blocks, values near fp16 subnormals
 * (scale underflows), huge values (scale overflows fp16 to inf), exact ties
 * (k + 0.5 steps) and one outlier per block.
 */
function makeData(n: number, seed: number): Float32Array {
  const u = rng(seed);
  const x = new Float32Array(n);
  for (let b = 0; b < n / 32; b++) {
    const kind = b % 12;
    const scale = 10 ** (Math.floor(u() * 9) - 4); // 1e-4 .. 1e4
    for (let j = 0; j < 32; j++) {
      const i = b * 32 + j;
      switch (kind) {
        case 0:
          x[i] = normal(u) * scale;
          break;
        case 1: {
          // Student-t with 3 degrees of freedom: z / sqrt(chi2_3 / 3)
          const chi = normal(u) ** 2 + normal(u) ** 2 + normal(u) ** 2;
          x[i] = (normal(u) / Math.sqrt(chi / 3)) * scale;
          break;
        }
        case 2:
          x[i] = Math.tan(Math.PI * (u() - 0.5)) * scale; // Cauchy
          break;
        case 3:
          x[i] = (u() * 2 - 1) * scale;
          break;
        case 4:
          x[i] = u() * scale + scale; // all positive
          break;
        case 5:
          x[i] = j === 0 ? -scale : scale * 0.37; // constant-ish block with one sign flip
          break;
        case 6:
          x[i] = 0;
          break;
        case 7:
          x[i] = normal(u) * 2 ** -(14 + Math.floor(u() * 14)); // near / below fp16 subnormals
          break;
        case 8:
          x[i] = normal(u) * 1e6 * 10 ** Math.floor(u() * 30); // huge: fp16 scale overflows
          break;
        case 9:
          x[i] = (Math.floor(u() * 33) - 16) * 0.5 * scale; // many exact half-steps (ties)
          break;
        case 10:
          x[i] = j === (b * 7) % 32 ? normal(u) * scale * 1000 : normal(u) * scale; // one outlier
          break;
        default:
          x[i] = scale * 1.25; // fully constant block
      }
    }
  }
  return x;
}

function firstDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (!Object.is(a[i], b[i])) return i;
  return a.length === b.length ? -1 : n;
}

const BLOCK_TYPES: GgmlTypeName[] = ['Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'Q8_0', 'Q8_1'];
const FLOAT_TYPES: GgmlTypeName[] = ['F32', 'F16', 'BF16'];
const N = 1 << 20; // 1,048,576 values per type

describe.skipIf(ref === null)('legacy ggml types match libggml-base.so byte for byte (skipped: libggml-base.so or koffi missing)', () => {
  for (const type of [...BLOCK_TYPES, ...FLOAT_TYPES]) {
    it(`${type}: quantize == ggml reference and dequantize == ggml reference on ${N} values`, () => {
      const x = makeData(N, GGML_TYPE_IDS[type] * 7919 + 1);
      const ours = quantizeBlocks(type, x);
      const theirs = ref!.quantize(type, x);
      expect(ours.length).toBe(ggmlRowBytes(type, N));
      const at = firstDiff(ours, theirs);
      if (at >= 0) {
        const bs = GGML_BLOCK_GEOMETRY[type].typeSize;
        const block = Math.floor(at / bs);
        const values = Array.from(
          x.subarray(block * GGML_BLOCK_GEOMETRY[type].blockSize, (block + 1) * GGML_BLOCK_GEOMETRY[type].blockSize)
        );
        expect.fail(`${type}: first byte difference at ${at} (block ${block}: ${values.join(', ')}): ours ${ours[at]}, ggml ${theirs[at]}`);
      }
      if (ref!.has(type, 'dequantize')) {
        const y = dequantizeBlocks(type, theirs, N);
        const yRef = ref!.dequantize(type, theirs, N);
        const bad = firstDiff(y, yRef);
        expect(bad, bad >= 0 ? `${type}: value ${bad}: ours ${y[bad]}, ggml ${yRef[bad]}` : '').toBe(-1);
      }
    });
  }

  it('non-finite and extreme inputs (inf, NaN, +-3e38, denormals, all-NaN blocks) give the same bytes as ggml', () => {
    const x = Float32Array.from({ length: 32 * 6 }, (_, i) => Math.sin(i) * 3);
    x[3] = Infinity;
    x[40] = NaN;
    x[70] = -Infinity;
    x[100] = 3e38;
    x[101] = -3e38;
    x[140] = 1e-45;
    x.fill(NaN, 160);
    for (const type of BLOCK_TYPES) expect(firstDiff(quantizeBlocks(type, x), ref!.quantize(type, x)), type).toBe(-1);
  });

  it('BF16 and F16 agree with ggml on NaN, infinities, signed zeros and rounding ties', () => {
    const bits = new Uint32Array([
      0x7fc00000, 0xffc00001, 0x7f800001, 0x7fa5a5a5, 0x7f800000, 0xff800000, 0x80000000, 0, 0x3f808000, 0x3f818000, 0x00000001, 0x477ff000,
      0x477fe000, 0x33000000, 0x33000001, 0x387fc000,
    ]);
    const x = new Float32Array(bits.buffer);
    expect(Array.from(quantizeBlocks('BF16', x))).toEqual(Array.from(ref!.quantize('BF16', x)));
    expect(Array.from(quantizeBlocks('F16', x))).toEqual(Array.from(ref!.quantize('F16', x)));
    // Decoding: every one of the 65536 half bit patterns, NaN payloads included, bit for bit.
    const halves = new Uint8Array(new Uint16Array(65536).map((_, i) => i).buffer);
    const ours = new Uint32Array(dequantizeBlocks('F16', halves, 65536).buffer);
    const theirs = new Uint32Array(ref!.dequantize('F16', halves, 65536).buffer);
    expect(firstDiff(ours, theirs)).toBe(-1);
    const bf = new Uint32Array(dequantizeBlocks('BF16', halves, 65536).buffer);
    const bfRef = new Uint32Array(ref!.dequantize('BF16', halves, 65536).buffer);
    expect(firstDiff(bf, bfRef)).toBe(-1);
  });
});

describe('legacy ggml types: hand-derived blocks', () => {
  it('Q4_0 of 0..31 - 16: d = -16 / -8 = 2 (stored as fp16 0x4000), quants (x/2 rounded) + 8', () => {
    // max |x| = 16 (x = -16, element 0), d = -16 / -8 = 2, id = 0.5.
    // q = min(15, trunc(x * 0.5 + 8.5)): x = -16 -> 0, x = -15 -> 1 (0.5 + 0.5 = 1.0), x = 15 -> 16 -> clamped 15.
    const x = Float32Array.from({ length: 32 }, (_, i) => i - 16);
    const q = quantizeBlocks('Q4_0', x);
    expect(q[0] | (q[1] << 8)).toBe(0x4000);
    expect(q[2] & 0x0f).toBe(0); // element 0 (-16)
    expect(q[3] & 0x0f).toBe(1); // element 1 (-15): trunc(-7.5 + 8.5) = 1
    expect(q[2 + 15] >>> 4).toBe(15); // element 31 (15): trunc(7.5 + 8.5) = 16 -> 15
    const y = dequantizeBlocks('Q4_0', q, 32);
    expect(y[0]).toBe(-16); // (0 - 8) * 2
    expect(y[31]).toBe(14); // (15 - 8) * 2
  });

  it('Q8_0 of a constant block: d = 0.5 / 127, every quant 127, dequantized to fp16(d) * 127', () => {
    const q = quantizeBlocks('Q8_0', new Float32Array(32).fill(0.5));
    for (let j = 0; j < 32; j++) expect(q[2 + j]).toBe(127);
    const d = dequantizeBlocks('F16', q.subarray(0, 2), 1)[0];
    expect(Math.abs(d - 0.5 / 127)).toBeLessThan(2 ** -19); // fp16 rounding of d ~ 0.00394 (ulp 2^-19)
    expect(dequantizeBlocks('Q8_0', q, 32)[5]).toBe(Math.fround(d * 127));
  });

  it('Q8_1 holds the Q8_0 scale and quants plus s = fp16(d * sum(q)) with the float32 d; it dequantizes like Q8_0', () => {
    const x = makeData(32 * 24, 11);
    const q80 = quantizeBlocks('Q8_0', x);
    const q81 = quantizeBlocks('Q8_1', x);
    for (let b = 0; b < 24; b++) {
      expect(Array.from(q81.subarray(b * 36, b * 36 + 2))).toEqual(Array.from(q80.subarray(b * 34, b * 34 + 2)));
      expect(Array.from(q81.subarray(b * 36 + 4, b * 36 + 36))).toEqual(Array.from(q80.subarray(b * 34 + 2, b * 34 + 34)));
      // s uses the float32 scale d = amax / 127 (before its fp16 rounding), as ggml does
      let amax = 0;
      for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[b * 32 + j]));
      const d = Math.fround(amax / 127);
      let sum = 0;
      for (let j = 0; j < 32; j++) sum += (q81[b * 36 + 4 + j] << 24) >> 24;
      const s = dequantizeBlocks('F16', q81.subarray(b * 36 + 2, b * 36 + 4), 1)[0];
      expect(s).toBe(dequantizeBlocks('F16', quantizeBlocks('F16', new Float32Array([Math.fround(sum * d)])), 1)[0]);
    }
    expect(dequantizeBlocks('Q8_1', q81, x.length)).toEqual(dequantizeBlocks('Q8_0', q80, x.length));
  });

  it('all-zero blocks quantize to zero scales and dequantize to zeros', () => {
    for (const type of BLOCK_TYPES) {
      const y = dequantizeBlocks(type, quantizeBlocks(type, new Float32Array(64)), 64);
      expect(
        Array.from(y).every((v) => v === 0),
        type
      ).toBe(true);
    }
  });

  // Q8_0 is symmetric (q in -127..127 around d = amax/127): error <= step/2. Q4_0/Q5_0 map the
  // largest-magnitude value to -8/-16 and clamp the opposite end at +7/+15, so a value of
  // opposite sign and equal magnitude lands one full step away: error <= 1 step.
  it('round-trip error is bounded by the quantization step', () => {
    const x = makeData(32 * 12 * 20, 5).map((v, i) => (Math.floor(i / 32) % 12 === 8 ? 0 : v)); // drop fp16-overflow blocks
    for (const [type, levels, steps] of [
      ['Q4_0', 8, 1],
      ['Q5_0', 16, 1],
      ['Q8_0', 127, 0.5],
    ] as const) {
      const y = dequantizeBlocks(type, quantizeBlocks(type, x), x.length);
      for (let b = 0; b < x.length / 32; b++) {
        let amax = 0;
        for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[b * 32 + j]));
        const step = amax / levels;
        if (step > 65504) continue; // the fp16 scale overflows to inf: ggml then yields NaN/inf by design
        for (let j = 0; j < 32; j++) {
          const i = b * 32 + j;
          // `steps` steps, plus the fp16 rounding of the scale (2^-11 relative, times up to `levels` steps), plus fp16 subnormal spacing
          expect(Math.abs(y[i] - x[i]), `${type} ${i}`).toBeLessThanOrEqual(step * steps + amax * 2 ** -10 + levels * 2 ** -24);
        }
      }
    }
  });
});

describe('ggml registry', () => {
  it('lists the implemented types with geometry matching GGML_BLOCK_GEOMETRY', () => {
    for (const type of [...FLOAT_TYPES, ...BLOCK_TYPES]) {
      const t = GGML_TYPES.get(type)!;
      expect(t.name).toBe(type);
      expect(t.id).toBe(GGML_TYPE_IDS[type]);
      expect({ blockSize: t.blockSize, typeSize: t.typeSize }).toEqual(GGML_BLOCK_GEOMETRY[type]);
    }
  });

  it('rejects unknown and unimplemented types, and lengths that are not a multiple of the block size', () => {
    const bad = (f: () => unknown, pattern: RegExp) => {
      let error: unknown;
      try {
        f();
      } catch (e) {
        error = e;
      }
      expect(InvalidArgumentError.isInstance(error), String(error)).toBe(true);
      expect(String((error as Error).message)).toMatch(pattern);
    };
    bad(() => quantizeBlocks('Q9_9' as GgmlTypeName, new Float32Array(32)), /Q9_9.*not a ggml type/);
    bad(() => quantizeBlocks('I64', new Float32Array(32)), /I64.*not implemented/);
    bad(() => quantizeBlocks('Q4_0', new Float32Array(33)), /33.*multiple.*32/);
    bad(() => dequantizeBlocks('Q8_0', new Uint8Array(34), 31), /31.*multiple.*32/);
    bad(() => dequantizeBlocks('Q8_0', new Uint8Array(33), 32), /34 bytes/);
    bad(() => quantizeBlocks('Q4_0', [1, 2] as unknown as Float32Array), /Float32Array/);
    bad(() => registerGgmlType({ ...Q4_0, typeSize: 19 }), /typeSize 18/);
    bad(() => registerGgmlType({ ...Q4_0 }), /already registered/);
    bad(() => getGgmlType('nope' as GgmlTypeName), /nope/);
  });

  it('registerGgmlType with replace swaps an implementation', () => {
    const original = getGgmlType('Q4_0');
    const wrapped = { ...original, quantize: (v: Float32Array) => original.quantize(v) };
    registerGgmlType(wrapped, { replace: true });
    expect(GGML_TYPES.get('Q4_0')).toBe(wrapped);
    registerGgmlType(original, { replace: true });
    expect(GGML_TYPES.get('Q4_0')).toBe(original);
  });
});
