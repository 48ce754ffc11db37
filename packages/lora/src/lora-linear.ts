import { Linear, Module, createParameter, createRng, dropout, getDefaultRng, tf, type Parameter, type Rng } from '@llmkit/core';
import { nf4, type Nf4Tensor } from '@llmkit/quantization';
import { AdapterDict, LoraMagnitude } from './adapter-dict.js';
import { loraScaling, type LoraQuantizeBaseConfig, type ResolvedLoraConfig } from './config.js';
import { LoraError } from './errors.js';

/** Settings of one adapter in one {@link LoraLinear}. */
export interface LoraLayerAdapter {
  r: number;
  loraAlpha: number;
  scaling: number;
  loraDropout: number;
  useDora: boolean;
}

/** Identity in the forward pass, zero gradient (`tensor.detach()`). */
const detach = tf.customGrad(((x: tf.Tensor) => ({ value: tf.clone(x), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) })) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (
  x: tf.Tensor,
) => tf.Tensor;

/**
 * A `Linear` with LoRA adapters, as PEFT's `lora.Linear`:
 * `y = x W^T + b + scaling * B(A(dropout(x)))` for the active adapter(s), with
 * `A` [r, inFeatures] (Kaiming-uniform) and `B` [outFeatures, r] (zeros), `scaling = loraAlpha / r`
 * (`/ sqrt(r)` with rsLoRA). With DoRA the output is
 * `m / ||W + scaling B A||_row * (x (W + scaling B A)^T) + b`, the row norm detached from the gradient
 * (PEFT's DoraLinearLayer). The base `weight` [outFeatures, inFeatures] and `bias` keep their names,
 * so the model's parameter paths are unchanged; with `quantizeBase` the weight is stored as NF4 and
 * dequantized at every forward (QLoRA), and `weight` is null.
 *
 * Parameters: `weight`, `bias`, `lora_A.<adapter>.weight`, `lora_B.<adapter>.weight`,
 * `lora_magnitude_vector.<adapter>.weight` (DoRA).
 *
 * @example
 * const layer = new LoraLinear(new Linear(32, 64));
 * layer.updateLayer('default', resolveLoraConfig({ r: 4 }));
 * layer.forward(tf.ones([2, 32])).shape; // [2, 64]
 */
export class LoraLinear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** Base weight [outFeatures, inFeatures] (frozen), or null when stored as NF4. */
  weight: Parameter | null;
  /** Base bias [outFeatures] or null. */
  bias: Parameter | null;
  lora_A = new AdapterDict<Linear>();
  lora_B = new AdapterDict<Linear>();
  lora_magnitude_vector = new AdapterDict<LoraMagnitude>();
  /** Names of the adapters used by forward. */
  activeAdapters: string[] = [];
  /** Names of the adapters currently merged into `weight`, in merge order. */
  mergedAdapters: string[] = [];
  /** When true, forward computes the base layer only. */
  disableAdapters = false;
  private readonly _adapters = new Map<string, LoraLayerAdapter>();
  private readonly _doraNorms = new Map<string, tf.Tensor>();
  private _nf4: Nf4Tensor | null = null;
  private readonly _rng: Rng | undefined;

  /**
   * @param base the Linear to wrap (its weight and bias variables are reused, not copied)
   * @param options `quantizeBase` stores the weight as NF4 (the f32 variable is disposed); `rng` seeds dropout
   */
  constructor(base: Linear, options: { quantizeBase?: Required<LoraQuantizeBaseConfig> | null; rng?: Rng } = {}) {
    super();
    this.inFeatures = base.inFeatures;
    this.outFeatures = base.outFeatures;
    this.bias = base.bias;
    this._rng = options.rng;
    this.training = base.training;
    if (options.quantizeBase) {
      const q = options.quantizeBase;
      this._nf4 = nf4.quantize(base.weight.dataSync() as Float32Array, {
        blockSize: q.blockSize,
        doubleQuant: q.doubleQuant,
        shape: [this.outFeatures, this.inFeatures],
      });
      base.weight.dispose();
      this.weight = null;
    } else {
      this.weight = base.weight;
    }
  }

  /** The NF4 base weight (QLoRA), or null. */
  get quantizedWeight(): Nf4Tensor | null {
    return this._nf4;
  }

  /** The adapters of this layer with their settings. */
  get adapters(): ReadonlyMap<string, LoraLayerAdapter> {
    return this._adapters;
  }

  /**
   * The base weight as a float32 tensor [outFeatures, inFeatures]: the variable itself, or a new
   * tensor dequantized from NF4 (call inside `tf.tidy`).
   */
  baseWeight(): tf.Tensor2D {
    if (this.weight) return this.weight as tf.Tensor2D;
    return tf.tensor2d(nf4.dequantize(this._nf4!), [this.outFeatures, this.inFeatures], 'float32');
  }

  /**
   * Add (or re-initialise) adapter `name`, PEFT's `update_layer`: A [r, in] Kaiming-uniform
   * (`kaiming_uniform_(a=sqrt(5))`, bound `1/sqrt(in)`), B [out, r] zeros, DoRA magnitude `||W + s B A||_row`.
   * @throws {LoraError} `lora_config` for an adapter name that would break parameter paths.
   */
  updateLayer(name: string, config: ResolvedLoraConfig): void {
    checkAdapterName(name);
    const rng = config.rng ?? getDefaultRng();
    const r = config.r;
    const a = new Linear(this.inFeatures, r, { bias: false, rng });
    const b = new Linear(r, this.outFeatures, { bias: false, rng: config.initLoraWeights === false ? rng : createRng(0) });
    if (config.initLoraWeights === 'gaussian') {
      tf.tidy(() => a.weight.assign(tf.tensor2d(rng.normal(a.weight.size, 0, 1 / r), [r, this.inFeatures], 'float32')));
    }
    if (config.initLoraWeights !== false) tf.tidy(() => b.weight.assign(tf.zerosLike(b.weight)));
    this.deleteAdapter(name);
    this.lora_A.set(name, a);
    this.lora_B.set(name, b);
    const adapter: LoraLayerAdapter = {
      r,
      loraAlpha: config.loraAlpha,
      scaling: loraScaling(config),
      loraDropout: config.loraDropout,
      useDora: config.useDora,
    };
    this._adapters.set(name, adapter);
    if (config.useDora) {
      const m = tf.tidy(() => this.doraWeightNorm(name, this.baseWeight()));
      this.lora_magnitude_vector.set(name, new LoraMagnitude(createParameter(m, true, 'lora.magnitude')));
      m.dispose();
    }
    this.lora_A.training = this.training;
    for (const [, mod] of this.namedModules()) mod.training = this.training;
    if (this.activeAdapters.length === 0) this.activeAdapters = [name];
  }

  /** Remove adapter `name` and free its parameters. @throws {LoraError} `lora_state` when it is merged. */
  deleteAdapter(name: string): void {
    if (this.mergedAdapters.includes(name)) {
      throw new LoraError('lora_state', `LoraLinear: adapter "${name}" is merged; call unmergeAdapter first.`);
    }
    for (const dict of [this.lora_A, this.lora_B, this.lora_magnitude_vector] as AdapterDict<Module>[]) {
      const m = dict.get(name);
      if (m) {
        m.dispose();
        dict.delete(name);
      }
    }
    this._adapters.delete(name);
    this._doraNorms.get(name)?.dispose();
    this._doraNorms.delete(name);
    this.activeAdapters = this.activeAdapters.filter((n) => n !== name);
  }

  /** `scaling * B @ A` [outFeatures, inFeatures] of adapter `name` (PEFT's `get_delta_weight`). */
  deltaWeight(name: string): tf.Tensor2D {
    const adapter = this.requireAdapter(name);
    return tf.tidy(() => tf.mul(tf.matMul(this.lora_B.get(name)!.weight, this.lora_A.get(name)!.weight), adapter.scaling) as tf.Tensor2D);
  }

  /** DoRA's `||W + scaling B A||` over the input dimension, [outFeatures]. */
  private doraWeightNorm(name: string, weight: tf.Tensor2D, loraWeight?: tf.Tensor): tf.Tensor1D {
    return tf.tidy(() => {
      const adapter = this._adapters.get(name)!;
      const delta = loraWeight ?? tf.matMul(this.lora_B.get(name)!.weight, this.lora_A.get(name)!.weight);
      const w = tf.add(weight, tf.mul(delta, adapter.scaling));
      return tf.sqrt(tf.sum(tf.square(w), 1)) as tf.Tensor1D;
    });
  }

  /**
   * @param x [..., inFeatures] float32
   * @returns [..., outFeatures]
   */
  forward(x: tf.Tensor): tf.Tensor {
    if (!(x instanceof tf.Tensor) || x.dtype !== 'float32') {
      throw new LoraError('lora_state', 'LoraLinear.forward(x) needs a float32 tf.Tensor [..., inFeatures].');
    }
    if (x.shape[x.shape.length - 1] !== this.inFeatures) {
      throw new LoraError('lora_state', `LoraLinear.forward(x): last dimension ${x.shape[x.shape.length - 1]} but the layer has inFeatures ${this.inFeatures}.`);
    }
    return tf.tidy(() => {
      const outShape = [...x.shape.slice(0, -1), this.outFeatures];
      const x2d = tf.reshape(x, [-1, this.inFeatures]) as tf.Tensor2D;
      const w = this.baseWeight();
      let y: tf.Tensor = tf.matMul(x2d, w, false, true);
      if (this.bias) y = tf.add(y, this.bias);
      if (!this.disableAdapters && this.mergedAdapters.length === 0) {
        for (const name of this.activeAdapters) {
          const adapter = this._adapters.get(name);
          if (!adapter) continue;
          const a = this.lora_A.get(name)!;
          const b = this.lora_B.get(name)!;
          const dropoutActive = adapter.loraDropout > 0 && this.training;
          const xd = dropoutActive ? (dropout(x2d, adapter.loraDropout, { training: true, rng: this._rng }) as tf.Tensor2D) : x2d;
          const lora = tf.matMul(tf.matMul(xd, a.weight, false, true), b.weight, false, true);
          if (!adapter.useDora) {
            y = tf.add(y, tf.mul(lora, adapter.scaling));
          } else {
            // PEFT DoraLinearLayer.forward: the norm of W + s*B@A is detached; base_result is
            // x W^T without bias (recomputed on the dropped-out input when dropout is active).
            const loraWeight = detach(tf.matMul(b.weight, a.weight));
            const norm = detach(this.doraWeightNorm(name, w, loraWeight));
            const magScale = tf.reshape(tf.div(this.lora_magnitude_vector.get(name)!.weight, norm), [1, -1]);
            const baseResult = dropoutActive ? tf.matMul(xd, w, false, true) : this.bias ? tf.sub(y, this.bias) : y;
            y = tf.add(y, tf.add(tf.mul(tf.sub(magScale, 1), baseResult), tf.mul(tf.mul(magScale, lora), adapter.scaling)));
          }
        }
      }
      return tf.reshape(y, outShape);
    });
  }

  /**
   * Merge the active adapters into the base weight (PEFT's `merge`): `W += s B A`, or with DoRA
   * `W = m / ||W + s B A|| * (W + s B A)`.
   * @throws {LoraError} `lora_state` for an NF4 base weight (dequantize first) or an adapter already merged.
   */
  merge(names: readonly string[] = this.activeAdapters): void {
    if (!this.weight) {
      throw new LoraError(
        'lora_state',
        'mergeAdapter: this layer keeps its base weight as NF4 (QLoRA); merging would re-quantize and lose the update. Load the base model in float32, loadAdapter, then merge.',
      );
    }
    const weight = this.weight;
    for (const name of names) {
      const adapter = this.requireAdapter(name);
      if (this.mergedAdapters.includes(name)) throw new LoraError('lora_state', `mergeAdapter: adapter "${name}" is already merged.`);
      tf.tidy(() => {
        const delta = this.deltaWeight(name);
        if (!adapter.useDora) {
          weight.assign(tf.add(weight, delta));
        } else {
          const base = this.unmergedWeight(weight as tf.Tensor2D);
          const norm = tf.sqrt(tf.sum(tf.square(tf.add(base, delta)), 1));
          this._doraNorms.get(name)?.dispose();
          this._doraNorms.set(name, tf.keep(norm));
          const factor = tf.reshape(tf.div(this.lora_magnitude_vector.get(name)!.weight, norm), [-1, 1]);
          weight.assign(tf.mul(factor, tf.add(weight, delta)));
        }
      });
      this.mergedAdapters.push(name);
    }
  }

  /** The weight without the merged adapters (DoRA merges need the unmerged base, as PEFT). */
  private unmergedWeight(weight: tf.Tensor2D): tf.Tensor2D {
    let w: tf.Tensor2D = weight;
    for (const name of [...this.mergedAdapters].reverse()) w = this.unmergeStep(name, w);
    return w;
  }

  private unmergeStep(name: string, weight: tf.Tensor2D): tf.Tensor2D {
    const adapter = this._adapters.get(name)!;
    const delta = this.deltaWeight(name);
    if (!adapter.useDora) return tf.sub(weight, delta);
    const factor = tf.reshape(tf.div(this.lora_magnitude_vector.get(name)!.weight, this._doraNorms.get(name)!), [-1, 1]);
    return tf.sub(tf.div(weight, factor), delta);
  }

  /** Undo {@link merge} for every merged adapter, last merged first. */
  unmerge(): void {
    if (!this.weight) return;
    const weight = this.weight;
    while (this.mergedAdapters.length > 0) {
      const name = this.mergedAdapters[this.mergedAdapters.length - 1];
      tf.tidy(() => weight.assign(this.unmergeStep(name, weight as tf.Tensor2D)));
      this.mergedAdapters.pop();
      this._doraNorms.get(name)?.dispose();
      this._doraNorms.delete(name);
    }
  }

  /**
   * A plain `Linear` holding this layer's base weight (merged adapters included) and bias; the
   * adapters are disposed. NF4 weights are dequantized.
   */
  toLinear(): Linear {
    const linear = new Linear(this.inFeatures, this.outFeatures, { bias: false, rng: createRng(0) });
    linear.weight.dispose();
    // tf.tidy disposes the dequantized tensor; the variable keeps its data.
    linear.weight = this.weight ?? tf.tidy(() => createParameter(this.baseWeight(), false, 'linear.weight'));
    linear.bias = this.bias;
    linear.training = this.training;
    for (const name of [...this._adapters.keys()]) {
      this.mergedAdapters = this.mergedAdapters.filter((n) => n !== name);
      this.deleteAdapter(name);
    }
    return linear;
  }

  /** Bytes held by the base weight: 4 per weight in float32, NF4 storage (codes + scales) when quantized. */
  baseWeightBytes(): number {
    return this._nf4 ? nf4.storageBytes(this._nf4) : this.outFeatures * this.inFeatures * 4;
  }

  private requireAdapter(name: string): LoraLayerAdapter {
    const adapter = this._adapters.get(name);
    if (!adapter) {
      throw new LoraError('lora_state', `LoraLinear: no adapter "${name}"; this layer has [${[...this._adapters.keys()].join(', ')}].`);
    }
    return adapter;
  }

  override dispose(): void {
    super.dispose();
    for (const t of this._doraNorms.values()) t.dispose();
    this._doraNorms.clear();
  }
}

/** @throws {LoraError} `lora_config` for names that are empty or contain dots / slashes. */
export function checkAdapterName(name: string): void {
  if (typeof name !== 'string' || !/^[A-Za-z0-9_-]+$/.test(name)) {
    throw new LoraError('lora_config', `Adapter name ${JSON.stringify(name)} is invalid; use letters, digits, "_" or "-" (e.g. "default").`);
  }
}
