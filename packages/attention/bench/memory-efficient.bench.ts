/**
 * Memory-efficient (chunked, online-softmax) attention vs the naive
 * scaledDotProductAttention on the tfjs wasm backend: wall time and peak
 * tensor bytes (tf.profile, i.e. tf.memory().numBytes after each kernel,
 * minus the bytes live at the start) of the forward pass and of forward +
 * backward (gradients w.r.t. q, k, v), causal, at seq 1024 and 2048.
 * One JSON line per figure.
 *
 *   npx tsx --conditions=@llmkit/source packages/attention/bench/memory-efficient.bench.ts
 */
import { createRng, initBackend, tf } from '@llmkit/core';
import { memoryEfficientAttention } from '../src/memory-efficient.js';
import { scaledDotProductAttention } from '../src/sdpa.js';

const HEADS = 4;
const HEAD_DIM = 64;
const CHUNK = 256;
const SEQS = [1024, 2048];

type Attn = (q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D) => tf.Tensor4D;

const naive: Attn = (q, k, v) => scaledDotProductAttention(q, k, v, { causal: true });
const chunked: Attn = (q, k, v) => memoryEfficientAttention(q, k, v, { causal: true, chunkSize: CHUNK });

function forward(f: Attn, q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D): () => void {
  return () => tf.tidy(() => void f(q, k, v).dataSync());
}

function backward(f: Attn, q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D): () => void {
  return () =>
    tf.tidy(() => {
      const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
        tf.sum(f(a as tf.Tensor4D, b as tf.Tensor4D, c as tf.Tensor4D)))([q, k, v]);
      grads.forEach((g) => g.dataSync());
    });
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];

/** Median ms over `runs` runs after one warm-up. */
function time(run: () => void, runs: number): number {
  run();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    run();
    ms.push(performance.now() - t0);
  }
  return median(ms);
}

async function peakBytes(run: () => void): Promise<number> {
  const start = tf.memory().numBytes;
  const info = await tf.profile(() => {
    run();
    return [];
  });
  return info.peakBytes - start;
}

function emit(bench: string, ours: number, peerValue: number, unit: string): void {
  const round = (x: number) => Math.round(x * 100) / 100;
  console.log(
    JSON.stringify({ bench, ours: round(ours), peer: 'naive scaledDotProductAttention', peerValue: round(peerValue), ratio: round(ours / peerValue), unit }),
  );
}

async function main(): Promise<void> {
  await initBackend({ backend: 'wasm' });
  const rng = createRng(0);
  for (const t of SEQS) {
    const shape = [1, HEADS, t, HEAD_DIM];
    const q = rng.normalTensor(shape) as tf.Tensor4D;
    const k = rng.normalTensor(shape) as tf.Tensor4D;
    const v = rng.normalTensor(shape) as tf.Tensor4D;
    const name = `attention/causal/[1,${HEADS},${t},${HEAD_DIM}]/chunk${CHUNK}`;
    const runs = t >= 2048 ? 3 : 5;
    for (const [pass, make] of [['forward', forward], ['forward+backward', backward]] as const) {
      const oursMs = time(make(chunked, q, k, v), runs);
      const naiveMs = time(make(naive, q, k, v), runs);
      emit(`${name}/${pass}/time`, oursMs, naiveMs, 'ms');
      const oursPeak = await peakBytes(make(chunked, q, k, v));
      const naivePeak = await peakBytes(make(naive, q, k, v));
      emit(`${name}/${pass}/peak-tensor-bytes`, oursPeak / 2 ** 20, naivePeak / 2 ** 20, 'MiB');
    }
    tf.dispose([q, k, v]);
  }
}

await main();
