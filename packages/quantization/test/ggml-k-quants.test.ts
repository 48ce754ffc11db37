/**
 * K-quants (Q2_K..Q6_K, Q8_K) against ggml's own C code: `quantize_row_<type>_ref` and
 * `dequantize_row_<type>` from node-llama-cpp's prebuilt libggml-base.so, called through koffi
 * (test/ggml-reference.ts). Every type quantizes the same 1,048,576 values (4096 super-blocks)
 * drawn from the distributions below; the bytes must be identical and dequantization must agree
 * bit for bit (compared as float32 bit patterns), on ggml's bytes and on random block bytes.
 * The comparison tests skip when the library is not installed (non linux-x64 platforms).
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@llmkit/core/errors';
import { Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K } from '../src/ggml/k-quants.js';
import { GGML_BLOCK_GEOMETRY, GGML_TYPE_IDS, QK_K, type GgmlTypeTraits } from '../src/ggml/types.js';
import { createRng } from '@llmkit/core';
import { loadGgmlReference } from './ggml-reference.js';

const TYPES: readonly GgmlTypeTraits[] = [Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K];
const ref = loadGgmlReference();

/** A seeded uniform generator in [0, 1) (core's Rng), so failures reproduce. */
function rng(seed: number): () => number {
  const r = createRng(seed);
  return () => r.random();
}

type Fill = (x: Float32Array, at: number, r: () => number) => void;

function gaussian(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

const sign = (r: () => number) => (r() < 0.5 ? -1 : 1);

/** Block distributions; block b of the data set uses DISTRIBUTIONS[b % length]. */
const DISTRIBUTIONS: ReadonlyArray<[string, Fill]> = [
  [
    'normal',
    (x, at, r) => {
      for (let i = 0; i < QK_K; i++) x[at + i] = gaussian(r);
    },
  ],
  [
    'normal, block scale log-uniform 1e-8..1e4',
    (x, at, r) => {
      const s = 10 ** (-8 + 12 * r());
      for (let i = 0; i < QK_K; i++) x[at + i] = s * gaussian(r);
    },
  ],
  [
    'student-t (3 dof)',
    (x, at, r) => {
      for (let i = 0; i < QK_K; i++) {
        const z = gaussian(r);
        const chi2 = gaussian(r) ** 2 + gaussian(r) ** 2 + gaussian(r) ** 2;
        x[at + i] = z / Math.sqrt(chi2 / 3);
      }
    },
  ],
  [
    'cauchy',
    (x, at, r) => {
      for (let i = 0; i < QK_K; i++) x[at + i] = Math.tan(Math.PI * (r() - 0.5));
    },
  ],
  [
    'uniform -1..1',
    (x, at, r) => {
      for (let i = 0; i < QK_K; i++) x[at + i] = 2 * r() - 1;
    },
  ],
  [
    'uniform 0..1 (all positive)',
    (x, at, r) => {
      for (let i = 0; i < QK_K; i++) x[at + i] = r();
    },
  ],
  [
    'uniform -3..-1 (all negative)',
    (x, at, r) => {
      for (let i = 0; i < QK_K; i++) x[at + i] = -1 - 2 * r();
    },
  ],
  [
    'constant block',
    (x, at, r) => {
      x.fill(sign(r) * 10 ** (-6 + 9 * r()), at, at + QK_K);
    },
  ],
  [
    'all zeros',
    (x, at) => {
      x.fill(0, at, at + QK_K);
    },
  ],
  [
    'negative zeros and zeros',
    (x, at, r) => {
      for (let i = 0; i < QK_K; i++) x[at + i] = r() < 0.5 ? -0 : 0;
    },
  ],
  [
    'one outlier per block',
    (x, at, r) => {
      for (let i = 0; i < QK_K; i++) x[at + i] = 0.01 * gaussian(r);
      x[at + Math.floor(r() * QK_K)] = sign(r) * (10 + 1000 * r());
    },
  ],
  [
    'magnitudes 1e-8..1e4 mixed in the block',
    (x, at, r) => {
      for (let i = 0; i < QK_K; i++) x[at + i] = sign(r) * 10 ** (-8 + 12 * r());
    },
  ],
  [
    'tiny (fp16 subnormal range)',
    (x, at, r) => {
      for (let i = 0; i < QK_K; i++) x[at + i] = 1e-6 * gaussian(r);
    },
  ],
  [
    'below GROUP_MAX_EPS (1e-15)',
    (x, at, r) => {
      for (let i = 0; i < QK_K; i++) x[at + i] = 1e-17 * gaussian(r);
    },
  ],
  [
    'beyond float16 range (1e5..1e9: d/dmin overflow to Inf)',
    (x, at, r) => {
      for (let i = 0; i < QK_K; i++) x[at + i] = 10 ** (5 + 4 * r()) * gaussian(r);
    },
  ],
  [
    'huge (1e4 scale)',
    (x, at, r) => {
      for (let i = 0; i < QK_K; i++) x[at + i] = 1e4 * gaussian(r);
    },
  ],
  [
    'sparse (5% nonzero)',
    (x, at, r) => {
      for (let i = 0; i < QK_K; i++) x[at + i] = r() < 0.05 ? gaussian(r) : 0;
    },
  ],
  [
    'sub-blocks alternate zero / normal',
    (x, at, r) => {
      for (let i = 0; i < QK_K; i++) x[at + i] = (i >> 4) % 2 === 0 ? 0 : gaussian(r);
    },
  ],
  [
    'sub-block scales spanning 1e-6..1e3',
    (x, at, r) => {
      for (let j = 0; j < QK_K / 16; j++) {
        const s = 10 ** (-6 + 9 * r());
        for (let i = 0; i < 16; i++) x[at + 16 * j + i] = s * gaussian(r);
      }
    },
  ],
  [
    'few levels (integers -3..3)',
    (x, at, r) => {
      for (let i = 0; i < QK_K; i++) x[at + i] = Math.floor(7 * r()) - 3;
    },
  ],
  [
    'ties (multiples of 0.5)',
    (x, at, r) => {
      for (let i = 0; i < QK_K; i++) x[at + i] = 0.5 * (Math.floor(17 * r()) - 8);
    },
  ],
  [
    'constant sub-blocks',
    (x, at, r) => {
      for (let j = 0; j < QK_K / 16; j++) x.fill(gaussian(r), at + 16 * j, at + 16 * j + 16);
    },
  ],
  [
    'positive with offset (min > 0)',
    (x, at, r) => {
      for (let i = 0; i < QK_K; i++) x[at + i] = 5 + 0.1 * gaussian(r);
    },
  ],
];

const BLOCKS = 4096; // 1,048,576 values
const data = new Float32Array(BLOCKS * QK_K);
{
  const r = rng(20261129);
  for (let b = 0; b < BLOCKS; b++) DISTRIBUTIONS[b % DISTRIBUTIONS.length][1](data, b * QK_K, r);
}

function firstDifference(a: Uint8Array | Uint32Array, b: Uint8Array | Uint32Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

const bits = (x: Float32Array) => new Uint32Array(x.buffer, x.byteOffset, x.length);

/** Random block bytes whose float16 (Q8_K: float32) scales are finite. */
function randomBlocks(t: GgmlTypeTraits, blocks: number, seed: number): Uint8Array {
  const r = rng(seed);
  const out = new Uint8Array(blocks * t.typeSize);
  for (let i = 0; i < out.length; i++) out[i] = Math.floor(r() * 256);
  const halfAt: Record<string, number[]> = {
    Q2_K: [80, 82],
    Q3_K: [108],
    Q4_K: [0, 2],
    Q5_K: [0, 2],
    Q6_K: [208],
  };
  for (let b = 0; b < blocks; b++) {
    const o = b * t.typeSize;
    if (t.name === 'Q8_K') {
      out[o + 3] = (out[o + 3] & 0x80) | (0x30 + (out[o + 3] & 0x1f)); // exponent well inside float32 range
    } else {
      for (const at of halfAt[t.name]) if (((out[o + at + 1] >> 2) & 0x1f) === 0x1f) out[o + at + 1] &= ~0x04; // not Inf/NaN
    }
  }
  return out;
}

describe('K-quant traits', () => {
  it('name, id and geometry agree with the shared type table', () => {
    for (const t of TYPES) {
      expect(t.id).toBe(GGML_TYPE_IDS[t.name]);
      expect(t.blockSize).toBe(QK_K);
      expect(t.typeSize).toBe(GGML_BLOCK_GEOMETRY[t.name].typeSize);
      expect(t.quantize(new Float32Array(2 * QK_K)).length).toBe(2 * t.typeSize);
    }
  });

  it('reject lengths that are not whole blocks, non-Float32Array input and short byte buffers', () => {
    for (const t of TYPES) {
      expect(() => t.quantize(new Float32Array(100))).toThrow(InvalidArgumentError);
      expect(() => t.quantize([1, 2, 3] as unknown as Float32Array)).toThrow(InvalidArgumentError);
      expect(() => t.dequantize(new Uint8Array(t.typeSize - 1), QK_K)).toThrow(InvalidArgumentError);
      expect(() => t.dequantize(new Uint8Array(t.typeSize), 255)).toThrow(InvalidArgumentError);
    }
  });

  it('Q8_K of j - 128 (j = 0..255): hand-derived scale and quants', () => {
    // amax = 128 at j = 0, so max = -128 and iscale = -127/-128 = 0.9921875 (exact in float32);
    // q_j = nearest_int(0.9921875 (j - 128)) capped at 127, d = float32(1 / 0.9921875) = float32(128/127).
    const x = new Float32Array(QK_K).map((_, j) => j - 128);
    const bytes = Q8_K.quantize(x);
    const view = new DataView(bytes.buffer);
    expect(view.getFloat32(0, true)).toBe(Math.fround(128 / 127));
    expect(view.getInt8(4 + 0)).toBe(-127); // -127 exactly
    expect(view.getInt8(4 + 128)).toBe(0);
    expect(view.getInt8(4 + 255)).toBe(126); // 0.9921875 * 127 = 126.0078125 -> 126
    expect(view.getInt8(4 + 192)).toBe(64); // 0.9921875 * 64 = 63.5 -> ties to even: 64
    expect(view.getInt8(4 + 64)).toBe(-64); // -63.5 -> -64
    // bsums[0] = sum of q_0..q_15 = sum over k = -128..-113 of nearest_int(0.9921875 k)
    let expected = 0;
    for (let k = -128; k <= -113; k++) expected += Math.round(0.9921875 * k + 0) | 0;
    expect(view.getInt16(260, true)).toBe(expected);
  });

  it('round trip error shrinks with the bit width (normal data)', () => {
    const x = data.subarray(0, 64 * QK_K).filter((_, i) => Math.floor(i / QK_K) % DISTRIBUTIONS.length === 0);
    const rel = (t: GgmlTypeTraits) => {
      const y = t.dequantize(t.quantize(x), x.length);
      let e = 0;
      let s = 0;
      for (let i = 0; i < x.length; i++) {
        e += (x[i] - y[i]) ** 2;
        s += x[i] ** 2;
      }
      return Math.sqrt(e / s);
    };
    const errors = TYPES.map(rel);
    for (let i = 1; i < errors.length; i++) expect(errors[i]).toBeLessThan(errors[i - 1]);
    expect(errors[0]).toBeLessThan(0.5); // Q2_K
    expect(errors[5]).toBeLessThan(0.01); // Q8_K
  });
});

describe.skipIf(!ref)('K-quants match ggml (libggml-base.so via koffi; skipped when absent)', () => {
  for (const t of TYPES) {
    it(`${t.name}: quantize == quantize_row_${t.name}_ref on 1M values, dequantize == dequantize_row_${t.name}`, () => {
      const ours = t.quantize(data);
      const theirs = ref!.quantize(t.name, data);
      const at = firstDifference(ours, theirs);
      if (at >= 0) {
        const block = Math.floor(at / t.typeSize);
        const dist = DISTRIBUTIONS[block % DISTRIBUTIONS.length][0];
        expect.fail(
          `${t.name}: first byte difference at ${at} (block ${block}, '${dist}', offset ${at % t.typeSize}): ${ours[at]} vs ${theirs[at]}`
        );
      }
      const y = t.dequantize(theirs, data.length);
      const yRef = ref!.dequantize(t.name, theirs, data.length);
      expect(firstDifference(bits(y), bits(yRef))).toBe(-1);
    });

    it(`${t.name}: non-finite and float32-extreme inputs (NaN, +-Infinity, +-3e38) give ggml's bytes`, () => {
      // ggml does not reject these; its nearest_int bit trick and float16 overflow define the output.
      const x = new Float32Array(8 * QK_K).map((_, i) => Math.sin(i));
      const specials = [NaN, Infinity, -Infinity, 3e38, -3e38, Infinity, NaN, -3e38];
      specials.forEach((v, b) => {
        x[b * QK_K + ((37 * b) % QK_K)] = v;
        if (b >= 5) x[b * QK_K + 200] = -v; // two specials in the last blocks
      });
      const theirs = ref!.quantize(t.name, x);
      expect(firstDifference(t.quantize(x), theirs)).toBe(-1);
      expect(firstDifference(bits(t.dequantize(theirs, x.length)), bits(ref!.dequantize(t.name, theirs, x.length)))).toBe(-1);
    });

    it(`${t.name}: dequantize == dequantize_row_${t.name} on random block bytes`, () => {
      const blocks = 512;
      const bytes = randomBlocks(t, blocks, 7 + t.id);
      const y = t.dequantize(bytes, blocks * QK_K);
      const yRef = ref!.dequantize(t.name, bytes, blocks * QK_K);
      expect(firstDifference(bits(y), bits(yRef))).toBe(-1);
    });
  }
});
