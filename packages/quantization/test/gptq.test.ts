import { describe, expect, it } from 'vitest';
import { expectClose } from '@llmkit/core/testing';
import { InvalidArgumentError, LlmkitError, ShapeMismatchError } from '@llmkit/core/errors';
import { GptqHessian, gptq } from '../src/calibration/gptq.js';
import { findRtnParams, rtnQuantize, roundHalfEven } from '../src/calibration/rtn.js';
import { fromHex, fromInts, loadCalibrationFixture, type IntTensor } from './fixtures/calibration/read.js';

interface GptqCase {
  actOrder: boolean;
  groupSize: number;
  blocksize: number;
  sym: boolean;
  bits: number;
  codes: string;
  scales: { shape: number[]; data: number[] };
  zeros: { shape: number[]; data: number[] };
  gIdx: number[];
  perm: number[] | null;
  loss: number;
  qSum: number;
  qSumSq: number;
  outputSqErr: number;
}
interface GptqFixture {
  weight: IntTensor;
  batches: IntTensor[];
  nsamples: number;
  hessianDiag: number[];
  hessianSum: number;
  hessianRow7: number[];
  cases: GptqCase[];
}

const fx = loadCalibrationFixture<GptqFixture>('gptq.json');
const [rows, cols] = fx.weight.shape as [number, number];
const W = fromInts(fx.weight);
const batches = fx.batches.map((b) => ({ data: fromInts(b), shape: b.shape }));

function hessian(): GptqHessian {
  const h = new GptqHessian(cols);
  for (const b of batches) h.addBatch(b.data, b.shape);
  return h;
}

/** Sum over calibration tokens of ||x W^T - x Q^T||^2. */
function outputSqErr(Q: ArrayLike<number>): number {
  let total = 0;
  for (const b of batches) {
    const tokens = b.data.length / cols;
    for (let t = 0; t < tokens; t++) {
      for (let r = 0; r < rows; r++) {
        let d = 0;
        for (let c = 0; c < cols; c++) d += b.data[t * cols + c] * (W[r * cols + c] - Q[r * cols + c]);
        total += d * d;
      }
    }
  }
  return total;
}

describe('rtn quantizer (GPTQ Quantizer.find_params / quantize)', () => {
  it('rounds half to even like torch.round', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, 2.4999, 2.5001].map(roundHalfEven)).toEqual([0, 2, 2, -0, -2, 2, 3]);
  });

  it('asymmetric and symmetric params match a hand derivation', () => {
    // row [-1, 2]: xmin = -1, xmax = 2 -> scale = 3/15 = 0.2, zero = round(1/0.2) = 5
    // row [0.5, 1.5]: xmin clamps to 0 -> scale = 1.5/15 = 0.1, zero = 0
    // row [0, 0]: xmin = -1, xmax = 1 -> scale = 2/15, zero = round(7.5) = 8 (half to even)
    const w = Float64Array.of(-1, 2, 0.5, 1.5, 0, 0);
    const p = findRtnParams(w, 3, 2, 0, 2, 4, false);
    expectClose(p.scale, [0.2, 0.1, 2 / 15], { atol: 1e-15 });
    expect(Array.from(p.zero)).toEqual([5, 0, 8]);
    // symmetric: row 0: xmax = max(1, 2) = 2, xmin = -2 -> scale = 4/15, zero = 8
    const s = findRtnParams(w, 3, 2, 0, 2, 4, true);
    expectClose(s.scale[0], 4 / 15, { atol: 1e-15 });
    expect(s.zero[0]).toBe(8);
    const q = rtnQuantize(Float64Array.of(-1, 2, 0.5, 1.5), [1, 4], { bits: 4, groupSize: 2 });
    // group 0: codes round(-1/0.2)+5 = 0, round(2/0.2)+5 = 15; group 1: 5, 15
    expect(Array.from(q.codes)).toEqual([0, 15, 5, 15]);
    expectClose(q.dequantized, [-1, 2, 0.5, 1.5], { atol: 1e-12 });
  });
});

describe('GptqHessian (GPTQ.add_batch)', () => {
  it('matches the reference running average over batches of different sample counts', () => {
    const h = hessian();
    expect(h.nsamples).toBe(fx.nsamples);
    const diag = Array.from({ length: cols }, (_, i) => h.H[i * cols + i]);
    expectClose(diag, fx.hessianDiag, { atol: 1e-9, rtol: 1e-12 });
    expectClose(Array.from(h.H.subarray(7 * cols, 8 * cols)), fx.hessianRow7, { atol: 1e-9, rtol: 1e-12 });
    expectClose(h.H.reduce((a, b) => a + b, 0), fx.hessianSum, { rtol: 1e-12 });
    expect(diag[5]).toBe(0); // the dead input channel of the fixture
  });

  it('rejects inputs of the wrong width', () => {
    const h = new GptqHessian(4);
    expect(() => h.addBatch(new Float32Array(6), [2, 3])).toThrow(ShapeMismatchError);
    expect(() => h.addBatch(new Float32Array(7), [2, 4])).toThrow(ShapeMismatchError);
    expect(() => new GptqHessian(0)).toThrow(InvalidArgumentError);
  });
});

describe('gptq vs IST-DASLab GPTQ.fasterquant (torch transcription, float64)', () => {
  const h = hessian();
  for (const c of fx.cases) {
    it(`actOrder=${c.actOrder} groupSize=${c.groupSize} blocksize=${c.blocksize} sym=${c.sym} bits=${c.bits}`, () => {
      const r = gptq(W, [rows, cols], h, { bits: c.bits, groupSize: c.groupSize, actOrder: c.actOrder, blocksize: c.blocksize, sym: c.sym });
      const refCodes = fromHex(c.codes);
      let same = 0;
      for (let i = 0; i < refCodes.length; i++) if (refCodes[i] === r.codes[i]) same++;
      expect(same / refCodes.length).toBeGreaterThanOrEqual(0.999);
      const nGroups = c.scales.shape[1];
      expect(r.scales.length).toBe(rows * nGroups);
      expectClose(r.scales, c.scales.data, { atol: 1e-12, rtol: 1e-9 });
      expect(Array.from(r.zeros)).toEqual(c.zeros.data);
      expect(Array.from(r.gIdx)).toEqual(c.gIdx);
      expect(r.perm ? Array.from(r.perm) : null).toEqual(c.perm);
      // the reference's dequantized weight: scale[g_idx] * (code - zero[g_idx])
      const refQ = new Float64Array(rows * cols);
      for (let rr = 0; rr < rows; rr++) {
        for (let cc = 0; cc < cols; cc++) {
          const k = rr * nGroups + c.gIdx[cc];
          refQ[rr * cols + cc] = c.scales.data[k] * (refCodes[rr * cols + cc] - c.zeros.data[k]);
        }
      }
      expectClose(r.dequantized, refQ, { atol: 1e-5 });
      expectClose(r.dequantized.reduce((a, b) => a + b, 0), c.qSum, { atol: 1e-8 });
      expectClose(r.dequantized.reduce((a, b) => a + b * b, 0), c.qSumSq, { atol: 1e-8 });
      expectClose(r.loss, c.loss, { rtol: 1e-9 });
      expectClose(outputSqErr(r.dequantized), c.outputSqErr, { rtol: 1e-9 });
      // dead column 5 is zeroed before quantization: its dequantized weights are exactly 0 or the grid point nearest 0
      for (let rr = 0; rr < rows; rr++) expect(Math.abs(r.dequantized[rr * cols + 5])).toBeLessThanOrEqual(r.scales[rr * nGroups + r.gIdx[5]] / 2 + 1e-12);
    });
  }

  it('beats round-to-nearest on the calibration output error (4 bits, group 32)', () => {
    const g = gptq(W, [rows, cols], h, { groupSize: 32 });
    const rtn = rtnQuantize(W, [rows, cols], { groupSize: 32 });
    expect(outputSqErr(g.dequantized)).toBeLessThan(0.8 * outputSqErr(rtn.dequantized));
  });

  it('validates its inputs', () => {
    expect(() => gptq(W, [rows, cols], new GptqHessian(cols))).toThrow(InvalidArgumentError);
    expect(() => gptq(W, [rows, cols], new Float64Array(4))).toThrow(ShapeMismatchError);
    expect(() => gptq(W, [rows, cols], h, { bits: 9 })).toThrow(InvalidArgumentError);
    expect(() => gptq(W, [rows, cols], h, { groupSize: 0 })).toThrow(InvalidArgumentError);
    expect(() => gptq(W.subarray(1), [rows, cols], h)).toThrow(ShapeMismatchError);
    // an indefinite "Hessian" without dampening has no Cholesky factor
    const bad = new Float64Array(cols * cols);
    for (let i = 0; i < cols; i++) bad[i * cols + i] = i === 3 ? -1 : 1;
    expect(() => gptq(W, [rows, cols], bad, { percdamp: 0 })).toThrow(LlmkitError);
  });
});
