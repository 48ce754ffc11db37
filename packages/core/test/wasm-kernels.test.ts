import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/tf.js';
import { initBackend } from '../src/backend/init-backend.js';
import {
  installWasmKernelFixes,
  uninstallWasmKernelFixes,
  wasmKernelFixesInstalled,
} from '../src/backend/wasm-fixes.js';
import { expectClose } from '../src/testing/expect-close.js';
import { seeded } from './seeded.js';

// Every fixed wasm kernel is compared with tfjs' 'cpu' backend on the same
// inputs. Inputs are uniform in [-0.5, 0.5] scaled by 1/sqrt(K) where they feed
// a contraction, so sums stay O(1) and fp32 summation-order differences stay
// well under the 1e-5 absolute tolerance.

type Backend = 'cpu' | 'wasm';


function randomArray(size: number, seed: number, scale = 1): Float32Array {
  const rand = seeded(seed);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = (rand() - 0.5) * scale;
  return out;
}

const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Run `fn` on a backend and read every result with dataSync. */
async function on<T extends tf.Tensor | tf.Tensor[]>(backend: Backend, fn: () => T): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const result = fn();
    const list = Array.isArray(result) ? result : [result];
    return list.map((t) => Float32Array.from(t.dataSync() as ArrayLike<number>));
  });
}

async function compare<T extends tf.Tensor | tf.Tensor[]>(
  label: string,
  fn: () => T,
  options: { atol?: number; rtol?: number } = {},
): Promise<void> {
  const expected = await on('cpu', fn);
  const actual = await on('wasm', fn);
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => expectClose(a, expected[i], { atol: options.atol ?? 1e-5, rtol: options.rtol ?? 0, label: `${label}[${i}]` }));
}

interface MatMulCase {
  a: number[];
  b: number[];
  ta: boolean;
  tb: boolean;
}

function k(c: MatMulCase): number {
  return c.ta ? c.a[c.a.length - 2] : c.a[c.a.length - 1];
}

const MATMUL_CASES: MatMulCase[] = [
  // 2-D, all transpose combinations, odd sizes
  { a: [7, 13], b: [13, 5], ta: false, tb: false },
  { a: [13, 7], b: [13, 5], ta: true, tb: false },
  { a: [7, 13], b: [5, 13], ta: false, tb: true },
  { a: [13, 7], b: [5, 13], ta: true, tb: true },
  { a: [33, 65], b: [65, 17], ta: false, tb: false },
  { a: [65, 33], b: [17, 65], ta: true, tb: true },
  { a: [1, 9], b: [9, 1], ta: false, tb: false },
  // few rows against a transposed weight (decoding): the JS dot-product path
  { a: [1, 257], b: [300, 257], ta: false, tb: true },
  { a: [2, 1, 64], b: [40, 64], ta: false, tb: true },
  { a: [9, 16], b: [12, 16], ta: false, tb: true },
  // batched a, unbatched b (folded into rows), with transposes
  { a: [3, 5, 11], b: [11, 6], ta: false, tb: false },
  { a: [3, 11, 5], b: [6, 11], ta: true, tb: true },
  { a: [2, 3, 4, 7], b: [7, 9], ta: false, tb: false },
  // unbatched a, batched b
  { a: [5, 3], b: [4, 3, 2], ta: false, tb: false },
  { a: [3, 5], b: [4, 2, 3], ta: true, tb: true },
  // equal batches (attention-like), 3-D and 4-D
  { a: [4, 6, 8], b: [4, 8, 6], ta: false, tb: false },
  { a: [2, 3, 9, 5], b: [2, 3, 9, 5], ta: false, tb: true },
  { a: [2, 3, 9, 9], b: [2, 3, 9, 5], ta: true, tb: false },
  { a: [2, 3, 5, 9], b: [2, 3, 7, 5], ta: true, tb: true },
  // broadcast batch dims
  { a: [2, 1, 5, 3], b: [1, 3, 3, 4], ta: false, tb: false },
  { a: [2, 1, 3, 5], b: [3, 4, 3], ta: true, tb: true },
  { a: [1, 4, 6], b: [3, 6, 2], ta: false, tb: false },
];

function caseInputs(c: MatMulCase, seed: number): { a: tf.Tensor; b: tf.Tensor; dy: tf.Tensor } {
  const scale = 1 / Math.sqrt(k(c));
  const a = tf.tensor(randomArray(sizeOf(c.a), seed, scale), c.a);
  const b = tf.tensor(randomArray(sizeOf(c.b), seed + 1, 1), c.b);
  const outShape = tf.matMul(a, b, c.ta, c.tb).shape;
  const dy = tf.tensor(randomArray(sizeOf(outShape), seed + 2, 1), outShape);
  return { a, b, dy };
}

function label(c: MatMulCase): string {
  return `[${c.a}]${c.ta ? 'T' : ''} x [${c.b}]${c.tb ? 'T' : ''}`;
}

let info: Awaited<ReturnType<typeof initBackend>>;

beforeAll(async () => {
  info = await initBackend({ backend: 'wasm' });
});

afterAll(async () => {
  installWasmKernelFixes();
  await tf.setBackend('wasm');
});

describe('wasm kernel fixes: registration', () => {
  it('initBackend installs the fixes on wasm', () => {
    expect(info.backend).toBe('wasm');
    expect(info.kernelFixes).toEqual(
      expect.arrayContaining(['BatchMatMul', '_FusedMatMul', 'UnsortedSegmentSum', 'Transpose', 'Tile']),
    );
    expect(wasmKernelFixesInstalled()).toBe(true);
  });

  it('install is idempotent and uninstall restores the stock kernels exactly', () => {
    uninstallWasmKernelFixes();
    const stockBatch = tf.getKernel('BatchMatMul', 'wasm');
    const stockFused = tf.getKernel('_FusedMatMul', 'wasm');
    const stockTranspose = tf.getKernel('Transpose', 'wasm');
    const stockTile = tf.getKernel('Tile', 'wasm');
    expect(stockBatch).toBeDefined();
    expect(tf.getKernel('UnsortedSegmentSum', 'wasm')).toBeUndefined();

    const names = installWasmKernelFixes();
    const ours = tf.getKernel('BatchMatMul', 'wasm');
    expect(ours).not.toBe(stockBatch);
    expect(tf.getKernel('UnsortedSegmentSum', 'wasm')).toBeDefined();
    expect(installWasmKernelFixes()).toEqual(names);
    expect(tf.getKernel('BatchMatMul', 'wasm')).toBe(ours);

    uninstallWasmKernelFixes();
    expect(tf.getKernel('BatchMatMul', 'wasm')).toBe(stockBatch);
    expect(tf.getKernel('_FusedMatMul', 'wasm')).toBe(stockFused);
    expect(tf.getKernel('Transpose', 'wasm')).toBe(stockTranspose);
    expect(tf.getKernel('Tile', 'wasm')).toBe(stockTile);
    expect(tf.getKernel('UnsortedSegmentSum', 'wasm')).toBeUndefined();
    uninstallWasmKernelFixes(); // no-op when not installed
    expect(tf.getKernel('BatchMatMul', 'wasm')).toBe(stockBatch);

    installWasmKernelFixes();
    expect(tf.getKernel('UnsortedSegmentSum', 'wasm')).toBeDefined();
  });
});

/** Whether a and b have the same batch dims (tfjs-core 4.22's matMul gradient rejects broadcast on every backend). */
function sameBatch(c: MatMulCase): boolean {
  return c.a.slice(0, -2).join() === c.b.slice(0, -2).join();
}

describe('BatchMatMul on wasm matches cpu', () => {
  MATMUL_CASES.forEach((c, i) => {
    const withGrads = sameBatch(c);
    it(`forward${withGrads ? ' and gradients' : ''} ${label(c)}`, async () => {
      await compare(label(c), () => {
        const { a, b, dy } = caseInputs(c, 100 + i * 7);
        if (!withGrads) {
          // The cpu kernel mis-sizes general broadcasts ([2,1,..] x [1,3,..]),
          // so the cpu reference gets explicitly broadcast operands.
          if (tf.getBackend() === 'wasm') return [tf.matMul(a, b, c.ta, c.tb)];
          const outer = tf.broadcast_util.assertAndGetBroadcastShape(c.a.slice(0, -2), c.b.slice(0, -2));
          const full = (t: tf.Tensor) => t.reshape([...new Array(outer.length + 2 - t.rank).fill(1), ...t.shape]).broadcastTo([...outer, ...t.shape.slice(-2)]);
          return [tf.matMul(full(a), full(b), c.ta, c.tb)];
        }
        const y = tf.matMul(a, b, c.ta, c.tb);
        const [da, db] = tf.grads((x: tf.Tensor, w: tf.Tensor) => tf.matMul(x, w, c.ta, c.tb))([a, b], dy);
        return [y, da, db];
      });
    });
  });

  it('gradient forms of a batched activation times an unbatched weight (reshaped to 2-D, as layers do)', async () => {
    await compare('linear grads', () => {
      const x = tf.tensor(randomArray(3 * 5 * 11, 41, 1 / Math.sqrt(11)), [3, 5, 11]);
      const w = tf.tensor(randomArray(11 * 6, 42), [11, 6]);
      const dy = tf.tensor(randomArray(3 * 5 * 6, 43), [3, 5, 6]);
      const f = (xx: tf.Tensor, ww: tf.Tensor) => tf.matMul(xx.reshape([15, 11]), ww).reshape([3, 5, 6]);
      return tf.grads(f)([x, w], dy);
    });
  });

  it('does not leak tensors or heap buffers', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const a = tf.tensor(randomArray(2 * 3 * 9 * 5, 1), [2, 3, 9, 5]);
    const b = tf.tensor(randomArray(2 * 3 * 9 * 5, 2), [2, 3, 9, 5]);
    tf.tidy(() => tf.matMul(a, b, true, false).dataSync());
    const tensors = tf.memory().numTensors;
    const ids = backend.numDataIds();
    for (let i = 0; i < 20; i++) {
      tf.tidy(() => {
        tf.matMul(a, b, true, false).dataSync();
        tf.matMul(a, b, false, true).dataSync();
        tf.matMul(a.reshape([6, 9, 5]), b.reshape([54, 5]), false, true).dataSync();
      });
    }
    expect(tf.memory().numTensors).toBe(tensors);
    expect(backend.numDataIds()).toBe(ids);
    a.dispose();
    b.dispose();
  });
});

describe('_FusedMatMul on wasm matches cpu', () => {
  const fusedCases: (MatMulCase & { activation: 'linear' | 'relu'; bias: boolean })[] = [
    { a: [9, 7], b: [7, 5], ta: false, tb: false, activation: 'relu', bias: true },
    { a: [7, 9], b: [5, 7], ta: true, tb: true, activation: 'linear', bias: true },
    { a: [7, 9], b: [7, 5], ta: true, tb: false, activation: 'relu', bias: true },
    { a: [9, 7], b: [5, 7], ta: false, tb: true, activation: 'relu', bias: false },
    { a: [3, 9, 7], b: [3, 7, 5], ta: false, tb: false, activation: 'relu', bias: true },
    { a: [3, 7, 9], b: [3, 5, 7], ta: true, tb: true, activation: 'relu', bias: true },
    { a: [2, 4, 6], b: [2, 6, 3], ta: false, tb: false, activation: 'linear', bias: false },
  ];
  fusedCases.forEach((c, i) => {
    it(`forward and gradients ${label(c)} ${c.activation}${c.bias ? ' + bias' : ''}`, async () => {
      await compare(label(c), () => {
        const { a, b, dy } = caseInputs(c, 900 + i * 5);
        const n = dy.shape[dy.shape.length - 1];
        const bias = tf.tensor1d(randomArray(n, 77 + i, 1));
        const f = (x: tf.Tensor, w: tf.Tensor, bb: tf.Tensor) =>
          tf.fused.matMul({
            a: x,
            b: w,
            transposeA: c.ta,
            transposeB: c.tb,
            bias: c.bias ? bb : undefined,
            activation: c.activation,
          });
        const y = f(a, b, bias);
        const grads = c.bias
          ? tf.grads(f)([a, b, bias], dy)
          : tf.grads((x: tf.Tensor, w: tf.Tensor) => f(x, w, bias))([a, b], dy);
        return [y, ...grads];
      });
    });
  });
});

describe('UnsortedSegmentSum on wasm (gather gradient)', () => {
  it('matches cpu for float32 rows and repeated ids', async () => {
    await compare('segment sum', () => {
      const x = tf.tensor(randomArray(6 * 4 * 3, 5), [6, 4, 3]);
      const ids = tf.tensor1d([3, 0, 3, 3, 1, 0], 'int32');
      const x1 = tf.tensor1d(randomArray(7, 6));
      return [tf.unsortedSegmentSum(x, ids, 5), tf.unsortedSegmentSum(x1, tf.tensor1d([2, 2, 0, 1, 2, 0, 0], 'int32'), 4)];
    });
  });

  it('sums rows for 2-D segment ids (the cpu kernel cannot, so checked by hand)', async () => {
    await tf.setBackend('wasm');
    const got = tf.tidy(() => {
      const x = tf.tensor3d([[[1, 2], [3, 4], [5, 6]], [[7, 8], [9, 10], [11, 12]]]);
      return tf.unsortedSegmentSum(x, tf.tensor2d([[1, 1, 0], [3, 1, 0]], [2, 3], 'int32') as unknown as tf.Tensor1D, 4).arraySync();
    });
    expect(got).toEqual([[16, 18], [13, 16], [0, 0], [7, 8]]);
  });

  it('matches cpu for int32', async () => {
    await compare('segment sum int32', () => {
      const x = tf.tensor2d([[1, 2], [3, 4], [5, 6], [7, 8]], [4, 2], 'int32');
      return tf.unsortedSegmentSum(x, tf.tensor1d([1, 1, 0, 2], 'int32'), 3);
    });
  });

  it('drops out-of-range segment ids', async () => {
    await tf.setBackend('wasm');
    const got = tf.tidy(() =>
      tf.unsortedSegmentSum(tf.tensor1d([1, 2, 4, 8]), tf.tensor1d([0, -1, 1, 7], 'int32'), 2).dataSync(),
    );
    expect(Array.from(got)).toEqual([1, 4]);
  });

  it('gives tf.gather (embedding lookup) a gradient', async () => {
    await compare('embedding grad', () => {
      const table = tf.tensor(randomArray(11 * 6, 8), [11, 6]);
      const idx = tf.tensor2d([[1, 2, 3, 1], [10, 0, 1, 3]], [2, 4], 'int32');
      const dy = tf.tensor(randomArray(2 * 4 * 6, 9), [2, 4, 6]);
      const [g] = tf.grads((t: tf.Tensor) => tf.gather(t, idx))([table], dy);
      return g;
    });
  });
});

describe('Transpose and Tile on wasm match cpu', () => {
  const transposes: [number[], number[]][] = [
    [[3, 4, 3, 2, 5], [2, 0, 3, 1, 4]], // attention QKV head split
    [[2, 3, 2, 3, 2, 2], [5, 3, 1, 0, 4, 2]],
    [[2, 1, 3, 4, 1, 5], [3, 0, 5, 2, 1, 4]], // size-1 dims
    [[2, 3, 4, 5, 2], [0, 1, 2, 4, 3]], // merges to rank 3 -> stock
    [[4, 6], [1, 0]],
  ];
  transposes.forEach(([shape, perm]) => {
    it(`transpose [${shape}] by [${perm}] (float32, int32, bool) with gradient`, async () => {
      await compare(`transpose ${perm}`, () => {
        const x = tf.tensor(randomArray(sizeOf(shape), 3), shape);
        const xi = tf.range(0, sizeOf(shape), 1, 'int32').reshape(shape);
        const xb = xi.mod(tf.scalar(3, 'int32')).equal(tf.scalar(0, 'int32'));
        const dy = tf.tensor(randomArray(sizeOf(shape), 4), perm.map((p) => shape[p]));
        const [g] = tf.grads((t: tf.Tensor) => t.transpose(perm))([x], dy);
        return [x.transpose(perm), xi.transpose(perm), xb.transpose(perm).cast('float32'), g];
      });
    });
  });

  const tiles: [number[], number[]][] = [
    [[1, 1, 5, 5], [3, 2, 1, 1]],
    [[2, 3], [2, 3]],
    [[3], [4]],
    [[2, 1, 3, 2, 1], [1, 4, 2, 1, 3]],
  ];
  tiles.forEach(([shape, reps]) => {
    it(`tile [${shape}] by [${reps}] (float32, int32, bool) with gradient`, async () => {
      await compare(`tile ${reps}`, () => {
        const x = tf.tensor(randomArray(sizeOf(shape), 5), shape);
        const xi = tf.range(0, sizeOf(shape), 1, 'int32').reshape(shape);
        const xb = xi.mod(tf.scalar(2, 'int32')).equal(tf.scalar(0, 'int32'));
        const outShape = shape.map((d, i) => d * reps[i]);
        const dy = tf.tensor(randomArray(sizeOf(outShape), 6), outShape);
        const outs = [x.tile(reps), xi.tile(reps), xb.tile(reps).cast('float32')];
        // tfjs-core has no Tile gradient above rank 4 (on any backend).
        if (shape.length > 4) return outs;
        const [g] = tf.grads((t: tf.Tensor) => t.tile(reps))([x], dy);
        return [...outs, g];
      });
    });
  });

  it('broadcastTo a causal mask', async () => {
    await compare('broadcastTo', () =>
      tf.linalg.bandPart(tf.ones([6, 6]), -1, 0).broadcastTo([2, 3, 6, 6]),
    );
  });
});

describe('GPT block forward + backward on wasm', () => {
  // A tiny GPT-2 style model: token + position embedding, one pre-LN block
  // (causal multi-head attention, GELU MLP), final LN, tied output projection,
  // log-softmax cross entropy. Built from primitives only.
  const V = 13;
  const C = 16;
  const T = 8;
  const B = 2;
  const H = 2;
  const D = C / H;

  function params(): Record<string, tf.Variable> {
    // Unnamed variables: names are global to the engine, across backends.
    const p = (_name: string, shape: number[], seed: number, scale: number) =>
      tf.variable(tf.tensor(randomArray(sizeOf(shape), seed, scale), shape), true);
    return {
      wte: p('wte', [V, C], 11, 0.4),
      wpe: p('wpe', [T, C], 12, 0.4),
      ln1g: tf.variable(tf.ones([C])),
      ln1b: p('ln1b', [C], 13, 0.1),
      wqkv: p('wqkv', [C, 3 * C], 14, 0.5),
      bqkv: p('bqkv', [3 * C], 15, 0.1),
      wo: p('wo', [C, C], 16, 0.5),
      ln2g: tf.variable(tf.ones([C])),
      ln2b: p('ln2b', [C], 17, 0.1),
      w1: p('w1', [C, 4 * C], 18, 0.5),
      b1: p('b1', [4 * C], 19, 0.1),
      w2: p('w2', [4 * C, C], 20, 0.25),
      lnfg: tf.variable(tf.ones([C])),
      lnfb: p('lnfb', [C], 21, 0.1),
    };
  }

  function layerNorm(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor {
    const mean = x.mean(-1, true);
    const centered = x.sub(mean);
    const variance = centered.square().mean(-1, true);
    return centered.mul(variance.add(1e-5).rsqrt()).mul(g).add(b);
  }

  const geluErf = (x: tf.Tensor) => x.mul(0.5).mul(x.mul(Math.SQRT1_2).erf().add(1));
  const geluTanh = (x: tf.Tensor) =>
    x.mul(0.5).mul(x.add(x.pow(3).mul(0.044715)).mul(Math.sqrt(2 / Math.PI)).tanh().add(1));

  function loss(p: Record<string, tf.Variable>): tf.Scalar {
    const idx = tf.tensor2d([[1, 2, 3, 4, 5, 6, 7, 8], [0, 1, 2, 12, 11, 9, 8, 7]], [B, T], 'int32');
    const targets = tf.tensor1d([2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 12, 11, 9, 8, 7, 0], 'int32');
    // Dropout as a fixed keep-mask (p = 0.1) so both backends see the same one.
    const keep = randomArray(B * H * T * T, 31, 1).map((v) => (v + 0.5 > 0.1 ? 1 / 0.9 : 0));
    const dropMask = tf.tensor(keep, [B, H, T, T]);

    let x = tf.gather(p.wte, idx).add(p.wpe); // [B, T, C]
    // attention
    const h = layerNorm(x, p.ln1g, p.ln1b).reshape([B * T, C]);
    const qkv = tf.fused
      .matMul({ a: h, b: p.wqkv, bias: p.bqkv })
      .reshape([B, T, 3, H, D])
      .transpose([2, 0, 3, 1, 4]); // [3, B, H, T, D]
    const [q, k, v] = tf.unstack(qkv);
    let att = tf.matMul(q, k, false, true).mul(1 / Math.sqrt(D)); // [B, H, T, T]
    const causal = tf.linalg.bandPart(tf.ones([T, T]), -1, 0);
    att = tf.where(causal.cast('bool').broadcastTo(att.shape), att, tf.fill(att.shape, -1e9));
    att = tf.softmax(att).mul(dropMask);
    const y = tf.matMul(att, v).transpose([0, 2, 1, 3]).reshape([B * T, C]).matMul(p.wo);
    x = x.add(y.reshape([B, T, C]));
    // MLP: exact GELU and tanh GELU (both exercised)
    const m = tf.matMul(layerNorm(x, p.ln2g, p.ln2b).reshape([B * T, C]), p.w1).add(p.b1);
    const act = geluErf(m).add(geluTanh(m)).mul(0.5);
    x = x.add(tf.matMul(act, p.w2).reshape([B, T, C]));
    // tied head + causal mask via multiply as well, log-softmax cross entropy
    const logits = tf.matMul(layerNorm(x, p.lnfg, p.lnfb).reshape([B * T, C]), p.wte, false, true);
    const logp = tf.logSoftmax(logits);
    const nll = tf.neg(tf.sum(logp.mul(tf.oneHot(targets, V).cast('float32')), -1)).mean();
    return nll as tf.Scalar;
  }

  it('runs tf.variableGrads on wasm and matches cpu (loss and every gradient)', async () => {
    const names = Object.keys(params());
    const run = async (backend: Backend) => {
      await tf.setBackend(backend);
      const p = params();
      const out = tf.tidy(() => {
        const vars = names.map((n) => p[n]);
        const { value, grads } = tf.variableGrads(() => loss(p), vars);
        return [value, ...vars.map((v) => grads[v.name])].map((t) => Float32Array.from(t.dataSync()));
      });
      Object.values(p).forEach((v) => v.dispose());
      return out;
    };
    const expected = await run('cpu');
    const actual = await run('wasm');
    expect(Number.isFinite(actual[0][0])).toBe(true);
    // The loss is ~log(V) and gradients O(0.1): rtol 1e-4 covers fp32
    // reordering through ~10 chained ops (erf/tanh/exp polynomial differences
    // between the backends' math libraries), atol 1e-5 the near-zero entries.
    actual.forEach((a, i) => expectClose(a, expected[i], { atol: 1e-5, rtol: 1e-4, label: i === 0 ? 'loss' : `grad ${names[i - 1]}` }));
  });

  it('keeps tf.memory().numTensors flat over training steps on wasm', async () => {
    await tf.setBackend('wasm');
    const p = params();
    const optimizer = tf.train.adam(1e-3);
    const step = () => optimizer.minimize(() => loss(p), false, Object.values(p));
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    optimizer.dispose();
    Object.values(p).forEach((v) => v.dispose());
  });
});
