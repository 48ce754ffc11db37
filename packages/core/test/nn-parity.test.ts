// Parity of the nn layers and functional ops with PyTorch: forward values and
// gradients w.r.t. inputs and parameters. Fixtures: tools/fixtures/gen_nn.py.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { tf } from '../src/tf.js';
import { initBackend } from '../src/backend/init-backend.js';
import { expectClose } from '../src/testing/index.js';
import { Linear } from '../src/nn/linear.js';
import { Embedding } from '../src/nn/embedding.js';
import { LayerNorm } from '../src/nn/layer-norm.js';
import { RMSNorm } from '../src/nn/rms-norm.js';
import { crossEntropy, gelu, logSoftmax, silu, softmax, type LossReduction } from '../src/nn/functional.js';

interface Encoded {
  shape: number[];
  data: number[];
}

function load<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`./fixtures/nn/${name}.json`, import.meta.url), 'utf8')) as T;
}

const ATOL = 1e-5;
/** Largest |ours - torch| per (backend, check), printed after the run. */
const maxErrors = new Map<string, number>();

function tensor(e: Encoded, dtype: 'float32' | 'int32' = 'float32'): tf.Tensor {
  return tf.tensor(e.data, e.shape, dtype);
}

/** Assert closeness at ATOL and record the max abs error under `label`. */
function check(label: string, actual: tf.Tensor, expected: Encoded): void {
  const key = `${tf.getBackend()} ${label}`;
  const a = actual.dataSync();
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - expected.data[i]));
  maxErrors.set(key, Math.max(maxErrors.get(key) ?? 0, worst));
  expectClose(actual.shape, expected.shape, { atol: 0, label: `${key} shape` });
  expectClose(a, expected.data, { atol: ATOL, label: key });
}

/**
 * Gradients of `sum(f(x) * upstream)` (or of the scalar `f(x)` when `upstream`
 * is null) w.r.t. `x` and the given parameters, via tf.variableGrads.
 */
function gradsOf(
  f: (x: tf.Tensor) => tf.Tensor,
  x: tf.Tensor,
  upstream: Encoded | null,
  params: tf.Variable[] = [],
): { value: tf.Tensor; gradX: tf.Tensor; gradParams: tf.Tensor[] } {
  const xVar = tf.variable(x, true);
  let value: tf.Tensor | undefined;
  const { grads } = tf.variableGrads(() => {
    const y = f(xVar);
    value = tf.keep(y.clone());
    return (upstream ? tf.sum(tf.mul(y, tensor(upstream))) : y) as tf.Scalar;
  }, [xVar, ...params]);
  const out = { value: value!, gradX: grads[xVar.name], gradParams: params.map((p) => grads[p.name]) };
  xVar.dispose();
  return out;
}

/** Run `body` on the wasm backend and on cpu. */
const BACKENDS = ['wasm', 'cpu'] as const;

/** Whether `kernel` is registered for `backend` (stock wasm lacks some gradient kernels). */
function hasKernel(kernel: string, backend: string): boolean {
  return tf.getKernel(kernel, backend) !== undefined;
}

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

afterAll(async () => {
  await tf.setBackend('wasm');
  const lines = [...maxErrors.entries()].map(([k, v]) => `  ${k}: ${v.toExponential(2)}`);
  console.log(`max |ours - torch| per check:\n${lines.join('\n')}`);
});

for (const backend of BACKENDS) {
  describe(`nn parity with PyTorch (${backend})`, () => {
    beforeAll(async () => {
      await tf.setBackend(backend);
    });

    describe('Linear', () => {
      interface Case {
        name: string; inFeatures: number; outFeatures: number; bias: boolean;
        x: Encoded; weight: Encoded; biasValue?: Encoded; y: Encoded; upstream: Encoded;
        gradX: Encoded; gradWeight: Encoded; gradBias?: Encoded;
      }
      for (const c of load<{ cases: Case[] }>('linear').cases) {
        it(`${c.name}: forward and gradients`, () => {
          tf.tidy(() => {
            const layer = new Linear(c.inFeatures, c.outFeatures, { bias: c.bias });
            const state: Record<string, tf.Tensor> = { weight: tensor(c.weight) };
            if (c.biasValue) state.bias = tensor(c.biasValue);
            layer.loadStateDict(state);
            const params = layer.parameters();
            const { value, gradX, gradParams } = gradsOf((x) => layer.forward(x), tensor(c.x), c.upstream, params);
            check('Linear y', value, c.y);
            check('Linear dx', gradX, c.gradX);
            check('Linear dweight', gradParams[0], c.gradWeight);
            if (c.gradBias) check('Linear dbias', gradParams[1], c.gradBias);
            layer.dispose();
          });
        });
      }
    });

    describe('LayerNorm', () => {
      interface Case {
        name: string; normalizedShape: number[]; eps: number; elementwiseAffine: boolean; bias: boolean;
        x: Encoded; weight?: Encoded; biasValue?: Encoded; y: Encoded; upstream: Encoded;
        gradX: Encoded; gradWeight?: Encoded; gradBias?: Encoded;
      }
      for (const c of load<{ cases: Case[] }>('layer_norm').cases) {
        it(`${c.name}: forward and gradients`, () => {
          tf.tidy(() => {
            const layer = new LayerNorm(c.normalizedShape, { eps: c.eps, elementwiseAffine: c.elementwiseAffine, bias: c.bias });
            const state: Record<string, tf.Tensor> = {};
            if (c.weight) state.weight = tensor(c.weight);
            if (c.biasValue) state.bias = tensor(c.biasValue);
            layer.loadStateDict(state);
            const { value, gradX, gradParams } = gradsOf((x) => layer.forward(x), tensor(c.x), c.upstream, layer.parameters());
            check('LayerNorm y', value, c.y);
            check('LayerNorm dx', gradX, c.gradX);
            if (c.gradWeight) check('LayerNorm dweight', gradParams[0], c.gradWeight);
            if (c.gradBias) check('LayerNorm dbias', gradParams[1], c.gradBias);
            layer.dispose();
          });
        });
      }
    });

    describe('RMSNorm (HF LlamaRMSNorm)', () => {
      interface Case {
        name: string; dim: number; eps: number; elementwiseAffine: boolean;
        x: Encoded; weight?: Encoded; y: Encoded; upstream: Encoded; gradX: Encoded; gradWeight?: Encoded;
      }
      for (const c of load<{ cases: Case[] }>('rms_norm').cases) {
        it(`${c.name}: forward and gradients`, () => {
          tf.tidy(() => {
            const layer = new RMSNorm(c.dim, { eps: c.eps, elementwiseAffine: c.elementwiseAffine });
            if (c.weight) layer.loadStateDict({ weight: tensor(c.weight) });
            const { value, gradX, gradParams } = gradsOf((x) => layer.forward(x), tensor(c.x), c.upstream, layer.parameters());
            check('RMSNorm y', value, c.y);
            check('RMSNorm dx', gradX, c.gradX);
            if (c.gradWeight) check('RMSNorm dweight', gradParams[0], c.gradWeight);
            layer.dispose();
          });
        });
      }
    });

    describe('activations', () => {
      interface Case { x: Encoded; y: Encoded; upstream: Encoded; gradX: Encoded }
      const fixtures = load<Record<'gelu_none' | 'gelu_tanh' | 'silu', Case>>('activations');
      const fns: Array<[keyof typeof fixtures, (x: tf.Tensor) => tf.Tensor]> = [
        ['gelu_none', (x) => gelu(x)],
        ['gelu_tanh', (x) => gelu(x, 'tanh')],
        ['silu', (x) => silu(x)],
      ];
      for (const [name, fn] of fns) {
        it(`${name}: forward and gradient`, () => {
          tf.tidy(() => {
            const c = fixtures[name];
            const { value, gradX } = gradsOf(fn, tensor(c.x), c.upstream);
            check(`${name} y`, value, c.y);
            check(`${name} dx`, gradX, c.gradX);
          });
        });
      }
    });

    describe('softmax / logSoftmax', () => {
      interface Part { y: Encoded; upstream: Encoded; gradX: Encoded }
      interface Case { name: string; dim: number; x: Encoded; softmax: Part; logSoftmax: Part }
      for (const c of load<{ cases: Case[] }>('softmax').cases) {
        it(`${c.name}: forward and gradients`, () => {
          tf.tidy(() => {
            for (const [key, fn] of [['softmax', softmax], ['logSoftmax', logSoftmax]] as const) {
              const { value, gradX } = gradsOf((x) => fn(x, c.dim), tensor(c.x), c[key].upstream);
              check(`${key} y`, value, c[key].y);
              check(`${key} dx`, gradX, c[key].gradX);
            }
          });
        });
      }
    });

    describe('crossEntropy', () => {
      interface Part { loss: Encoded; upstream: Encoded | null; gradLogits: Encoded }
      interface Case {
        name: string; ignoreIndex: number; labelSmoothing: number; logits: Encoded; targets: Encoded;
        mean: Part; sum: Part; none: Part;
      }
      for (const c of load<{ cases: Case[] }>('cross_entropy').cases) {
        for (const reduction of ['mean', 'sum', 'none'] as LossReduction[]) {
          it(`${c.name} (${reduction}): loss and gradient`, () => {
            tf.tidy(() => {
              const targets = tensor(c.targets, 'int32');
              const options = { ignoreIndex: c.ignoreIndex, labelSmoothing: c.labelSmoothing, reduction };
              const part = c[reduction];
              const { value, gradX } = gradsOf((x) => crossEntropy(x, targets, options), tensor(c.logits), part.upstream);
              check('crossEntropy loss', value, part.loss);
              check('crossEntropy dlogits', gradX, part.gradLogits);
            });
          });
        }
      }
    });

    describe('Embedding', () => {
      interface Case {
        name: string; numEmbeddings: number; embeddingDim: number; paddingIdx: number | null;
        weight: Encoded; ids: Encoded; y: Encoded; upstream: Encoded; gradWeight: Encoded;
      }
      for (const c of load<{ cases: Case[] }>('embedding').cases) {
        it(`${c.name}: forward`, () => {
          tf.tidy(() => {
            const layer = new Embedding(c.numEmbeddings, c.embeddingDim, { paddingIdx: c.paddingIdx ?? undefined });
            layer.loadStateDict({ weight: tensor(c.weight) });
            check('Embedding y', layer.forward(tensor(c.ids, 'int32')), c.y);
            layer.dispose();
          });
        });
        // The gather gradient needs UnsortedSegmentSum, which stock tfjs-wasm lacks.
        it(`${c.name}: weight gradient`, (ctx) => {
          if (!hasKernel('UnsortedSegmentSum', tf.getBackend())) ctx.skip();
          tf.tidy(() => {
            const layer = new Embedding(c.numEmbeddings, c.embeddingDim, { paddingIdx: c.paddingIdx ?? undefined });
            layer.loadStateDict({ weight: tensor(c.weight) });
            const ids = tensor(c.ids, 'int32');
            const { grads } = tf.variableGrads(
              () => tf.sum(tf.mul(layer.forward(ids), tensor(c.upstream))) as tf.Scalar,
              [layer.weight],
            );
            check('Embedding dweight', grads[layer.weight.name], c.gradWeight);
            layer.dispose();
          });
        });
      }
    });
  });
}

