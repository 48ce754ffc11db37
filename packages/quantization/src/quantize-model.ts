/**
 * Whole-model weight-only quantization: replace a model's `Linear` layers by
 * {@link QuantizedLinear} layers quantized with RTN, GPTQ or AWQ on calibration inputs
 * captured while the model runs, and report the error of every layer.
 */
import { Linear, Module, tf } from '@llmkit/core';
import { InvalidArgumentError } from '@llmkit/core/errors';
import { awqQuantizeWithScales, awqSearchScale } from './calibration/awq.js';
import {
  captureLinearInputs,
  captureModuleCalls,
  capturedTokens,
  namedLinears,
  stackCaptured,
  type CapturedCall,
  type CapturedInputs,
  type CapturedModuleCalls,
} from './calibration/capture.js';
import { GptqHessian, gptq } from './calibration/gptq.js';
import { checkBits, checkGroupSize, rtnQuantize, type QuantizedMatrix } from './calibration/rtn.js';
import { QuantizedLinear } from './quantized-linear.js';

/** Quantization algorithms of {@link quantizeModel}. */
export type QuantizeMethod = 'rtn' | 'gptq' | 'awq';

/**
 * How calibration inputs are captured: 'none' runs the float model once for every layer;
 * 'block' (default, as the GPTQ reference) quantizes the layers of one block (names sharing the
 * prefix up to the first numeric segment, e.g. `model.layers.3`) from inputs produced by the
 * already-quantized earlier blocks; 'layer' re-runs the model before every layer (AWQ then
 * searches one scale per layer instead of one per group of layers sharing an input).
 */
export type SequentialMode = 'none' | 'block' | 'layer';

/** Options of {@link quantizeModel}. */
export interface QuantizeModelOptions {
  method: QuantizeMethod;
  /** Bits per weight, 2..8 (default 4). */
  bits?: number;
  /** Columns per group, or -1 for one group per row (default 128; a group wider than a layer becomes -1). */
  groupSize?: number;
  /** Token id sequences the model runs on to capture layer inputs (required for 'gptq' and 'awq'). */
  calibration?: number[][];
  /**
   * Layers to quantize: names matched exactly or as a dotted suffix (`'q_proj'` matches
   * `model.layers.0.self_attn.q_proj`, as PEFT's target_modules), or a predicate. Default: every `Linear`.
   */
  targetModules?: string[] | ((name: string, layer: Linear) => boolean);
  /** Layers never quantized (same matching; default `['lm_head']`). Linears sharing their weight with an embedding are always skipped. */
  skipModules?: string[];
  /** Default 'block'. */
  sequential?: SequentialMode;
  /** GPTQ act-order (default false). */
  actOrder?: boolean;
  /** Symmetric quantizer for 'rtn' / 'gptq' (default false). */
  sym?: boolean;
  /** GPTQ dampening (default 0.01). */
  percdamp?: number;
  /** GPTQ lazy-batch block size (default 128). */
  blocksize?: number;
  /** AWQ ratio grid size (default 20). */
  nGrid?: number;
  /**
   * AWQ weight clipping search (llm-awq `auto_clip`, default true) on every layer except
   * query/key projections (names containing q_, k_, query, key, Wqkv, qkv or c_attn).
   */
  awqClip?: boolean;
  /**
   * What AWQ's scale search minimises (llm-awq's `module2inspect`). 'block' (default): for layers
   * sharing an input and a parent module (q/k/v in self-attention, gate/up in the MLP) the mean
   * squared error of the parent's whole output (attention after softmax(QK^T)V and o_proj; the
   * MLP after down_proj), re-running the parent on its recorded calibration calls with its
   * recorded arguments (mask, positions); a lone layer (o_proj, down_proj) uses its own output.
   * 'layer': always the concatenated outputs of the layers themselves.
   */
  awqLoss?: 'block' | 'layer';
  /** AWQ scale family: AutoAWQ's `duo_scaling` (activation and weight magnitudes) instead of llm-awq's activations only (default false). */
  awqDuoScaling?: boolean;
  /** Runs the model on a batch of token ids; default `model.forward(inputIds)` (result disposed). */
  runModel?: (model: Module, inputIds: number[][]) => void;
  /** Called after each layer is replaced. */
  onLayer?: (report: QuantizeLayerReport) => void;
}

/** One row of the {@link quantizeModel} report. */
export interface QuantizeLayerReport {
  /** Dotted module name, e.g. `model.layers.0.mlp.down_proj`. */
  name: string;
  method: QuantizeMethod;
  bits: number;
  /** Effective group size (-1: one group per row). */
  groupSize: number;
  inFeatures: number;
  outFeatures: number;
  /** Mean squared error of the weight the quantized layer applies vs the float weight. */
  mse: number;
  /** Largest absolute weight error. */
  maxAbs: number;
  /** Mean squared output error `(x W^T - x Wq^T)^2` over the captured calibration inputs (null without calibration). */
  outputMse: number | null;
  /** GPTQ's `sum((w - q)^2 / d^2) / 2` (null for other methods). */
  loss: number | null;
  /** AWQ's chosen grid ratio (null for other methods). */
  ratio: number | null;
  /** AWQ: the search loss at every grid ratio (see `awqLoss`; shared by the layers of one search), null for other methods. */
  awqHistory: number[] | null;
  bitsPerWeight: number;
  /** Seconds spent quantizing this layer (AWQ: the shared scale search is split evenly over its layers). */
  seconds: number;
}

/**
 * llm-awq's `auto_clip_block` skips query/key projections ("due to qk bmm, it is hard to clip
 * precisely"): names containing q_, k_, query, key or Wqkv; fused qkv layers (GPT-2 c_attn, qkv_proj) too.
 */
function awqSkipsClip(name: string): boolean {
  const last = name.slice(name.lastIndexOf('.') + 1);
  return ['q_', 'k_', 'query', 'key', 'Wqkv', 'qkv', 'c_attn'].some((p) => last.includes(p));
}

function matches(name: string, pattern: string): boolean {
  return name === pattern || name.endsWith(`.${pattern}`);
}

/** Prefix up to and including the first numeric path segment (`model.layers.3`), else the name itself. */
function blockOf(name: string): string {
  const parts = name.split('.');
  const i = parts.findIndex((p) => /^\d+$/.test(p));
  return i < 0 ? name : parts.slice(0, i + 1).join('.');
}

/** Locate the field of a parent module that holds `target` (`key` or `key.index` for arrays). */
function findSlot(model: Module, target: Module): { parent: Module; key: string; index: number | null } | null {
  for (const [, m] of model.namedModules()) {
    for (const [childName, child] of m.namedChildren()) {
      if (child !== target) continue;
      const dot = childName.lastIndexOf('.');
      const key = dot < 0 ? childName : childName.slice(0, dot);
      const index = dot < 0 ? null : Number(childName.slice(dot + 1));
      if (!Object.prototype.hasOwnProperty.call(m, key)) continue; // a module exposing another's children
      return { parent: m, key, index };
    }
  }
  return null;
}

function replaceModule(model: Module, name: string, target: Module, replacement: Module): void {
  const slot = findSlot(model, target);
  if (!slot) {
    throw new InvalidArgumentError(`quantizeModel: cannot find the field holding "${name}" to replace it; skip it with skipModules.`);
  }
  const holder = slot.parent as unknown as Record<string, unknown>;
  if (slot.index === null) holder[slot.key] = replacement;
  else (holder[slot.key] as Module[])[slot.index] = replacement;
}

function weightOf(layer: Linear): Float64Array {
  return Float64Array.from(layer.weight.dataSync() as Float32Array);
}

/** Mean over captured tokens and output rows of `(x (W - Wq)^T)^2`. */
function outputMse(captured: CapturedInputs, w: Float64Array, wq: ArrayLike<number>, rows: number): number {
  const cols = captured.inFeatures;
  const d = new Float64Array(rows * cols);
  for (let i = 0; i < d.length; i++) d[i] = w[i] - wq[i];
  let total = 0;
  let count = 0;
  for (const b of captured.batches) {
    const tokens = b.data.length / cols;
    for (let t = 0; t < tokens; t++) {
      const base = t * cols;
      for (let r = 0; r < rows; r++) {
        let s = 0;
        const rb = r * cols;
        for (let c = 0; c < cols; c++) s += b.data[base + c] * d[rb + c];
        total += s * s;
      }
    }
    count += tokens * rows;
  }
  return count ? total / count : Number.NaN;
}

/**
 * llm-awq's `module2inspect` loss: with the candidate effective weights written into `layers`,
 * re-run `parent` on every recorded call and return the mean squared difference to the recorded
 * float outputs (`(org_out - out).float().pow(2).mean()`); the float weights are restored after.
 */
function blockLoss(parent: Module, calls: CapturedCall[], layers: Linear[]): (effs: Float64Array[]) => number {
  const forward = (parent as unknown as { forward: (...a: unknown[]) => tf.Tensor }).forward;
  return (effs) => {
    const originals = layers.map((l) => tf.keep(l.weight.clone()));
    try {
      layers.forEach((l, i) => {
        tf.tidy(() => l.weight.assign(tf.tensor2d(Float32Array.from(effs[i]), [l.outFeatures, l.inFeatures])));
      });
      let total = 0;
      let count = 0;
      for (const call of calls) {
        const y = tf.tidy(() => forward.apply(parent, call.args));
        const d = y.dataSync();
        y.dispose();
        for (let k = 0; k < d.length; k++) total += (d[k] - call.output[k]) ** 2;
        count += d.length;
      }
      return total / count;
    } finally {
      layers.forEach((l, i) => l.weight.assign(originals[i]));
      for (const t of originals) t.dispose();
    }
  };
}

/** The GPTQ Hessian of a layer from its captured inputs (each call is one `add_batch`). */
function hessianOf(captured: CapturedInputs): GptqHessian {
  const h = new GptqHessian(captured.inFeatures);
  for (const b of captured.batches) {
    const s = b.shape;
    const shape = s.length >= 3 ? [s[0], s.slice(1, -1).reduce((a, v) => a * v, 1), s[s.length - 1]] : s.length === 2 ? s : [1, s[0]];
    h.addBatch(b.data, shape);
  }
  return h;
}

/**
 * Quantize a model's `Linear` layers in place (weight-only) and return a per-layer report.
 *
 * The model runs on `calibration` (one forward per sequence, in eval mode) while the inputs of
 * the layers being quantized are recorded ({@link captureLinearInputs}); each layer is then
 * quantized with round-to-nearest (GPTQ's quantizer, group-wise), GPTQ (Hessian from its
 * inputs) or AWQ (scale search on its inputs; layers reading the same input tensor, such as
 * q/k/v or gate/up, share one scale as in llm-awq, chosen on the error of their parent block's
 * whole output (`awqLoss`); then the per-group weight clipping search
 * runs on every layer but query/key projections; the scale is kept as the
 * {@link QuantizedLinear}'s input scale), replaced by a {@link QuantizedLinear} in its parent
 * module, and its float weights are disposed. Embeddings are never touched and `lm_head` is
 * skipped by default.
 *
 * @throws {InvalidArgumentError} for bad options, missing calibration data for 'gptq'/'awq',
 *   a model without `forward` (pass `runModel`), or a layer that cannot be replaced.
 * @example
 * const lm = DecoderLM.fromConfig({ model_type: 'llama', vocab_size: 64, hidden_size: 64, intermediate_size: 128,
 *   num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2 });
 * const report = quantizeModel(lm, { method: 'gptq', bits: 4, groupSize: 32, calibration: [[1, 2, 3, 4]] });
 * report[0]; // { name: 'model.layers.0.self_attn.q_proj', method: 'gptq', bits: 4, groupSize: 32, mse, maxAbs, ... }
 */
export function quantizeModel(model: Module, options: QuantizeModelOptions): QuantizeLayerReport[] {
  if (!(model instanceof Module)) throw new InvalidArgumentError('quantizeModel(model): expected a core Module (e.g. a DecoderLM).');
  const method = options?.method;
  if (method !== 'rtn' && method !== 'gptq' && method !== 'awq') {
    throw new InvalidArgumentError(`quantizeModel: method must be 'rtn', 'gptq' or 'awq', got ${String(method)}.`);
  }
  const bits = options.bits ?? 4;
  const groupSize = options.groupSize ?? 128;
  checkBits(bits, 'quantizeModel');
  checkGroupSize(groupSize, 'quantizeModel');
  const sequential = options.sequential ?? 'block';
  if (sequential !== 'none' && sequential !== 'block' && sequential !== 'layer') {
    throw new InvalidArgumentError(`quantizeModel: sequential must be 'none', 'block' or 'layer', got ${String(sequential)}.`);
  }
  const calibration = options.calibration;
  if (calibration !== undefined) {
    const ok =
      Array.isArray(calibration) &&
      calibration.length > 0 &&
      calibration.every((s) => Array.isArray(s) && s.length > 0 && s.every((t) => Number.isInteger(t) && t >= 0));
    if (!ok) throw new InvalidArgumentError('quantizeModel: calibration must be a non-empty array of non-empty token id arrays (integers >= 0).');
  }
  if (method !== 'rtn' && !calibration) {
    throw new InvalidArgumentError(`quantizeModel: method '${method}' needs calibration token sequences (options.calibration).`);
  }
  const runModel =
    options.runModel ??
    ((m: Module, ids: number[][]) => {
      const f = (m as unknown as { forward?: (ids: number[][]) => tf.Tensor }).forward;
      if (typeof f !== 'function') {
        throw new InvalidArgumentError('quantizeModel: the model has no forward(inputIds); pass options.runModel.');
      }
      const out = f.call(m, ids);
      if (out instanceof tf.Tensor) out.dispose();
    });

  // Layers to quantize, in module order
  const tiedWeights = new Set<tf.Variable>();
  for (const [, m] of model.namedModules()) {
    if (m instanceof Linear) continue;
    for (const [, p] of m.namedOwnParameters()) tiedWeights.add(p);
  }
  const skip = options.skipModules ?? ['lm_head'];
  const target = options.targetModules;
  const targets = namedLinears(model).filter(([name, layer]) => {
    if (skip.some((s) => matches(name, s))) return false;
    if (tiedWeights.has(layer.weight)) return false;
    if (target === undefined) return true;
    if (typeof target === 'function') return target(name, layer);
    return target.some((t) => matches(name, t));
  });
  if (targets.length === 0 && target !== undefined) {
    throw new InvalidArgumentError(
      `quantizeModel: targetModules matched no Linear layer; Linear layers are ${namedLinears(model).map(([n]) => n).slice(0, 12).join(', ')}.`,
    );
  }
  if (targets.length === 0) return [];
  const layerByName = new Map(targets);

  const groups: string[][] = [];
  if (sequential === 'none') groups.push(targets.map(([n]) => n));
  else if (sequential === 'layer') for (const [n] of targets) groups.push([n]);
  else {
    for (const [n] of targets) {
      const last = groups[groups.length - 1];
      if (last && blockOf(last[0]) === blockOf(n)) last.push(n);
      else groups.push([n]);
    }
  }

  const flags = model.namedModules().map(([, m]) => [m, m.training] as const);
  model.eval();
  const report: QuantizeLayerReport[] = [];
  try {
    for (const group of groups) {
      // AWQ 'block' loss: the parent modules of the group's layers are recorded too
      const parents = new Map<string, Module>();
      if (method === 'awq' && (options.awqLoss ?? 'block') === 'block') {
        for (const name of group) {
          const slot = findSlot(model, layerByName.get(name)!);
          if (slot && slot.parent !== model) parents.set(name, slot.parent);
        }
      }
      let moduleCalls: CapturedModuleCalls | null = null;
      const runAll = () => {
        for (const ids of calibration!) runModel(model, [ids]);
      };
      const captured = calibration
        ? captureLinearInputs(model, group, () => {
            if (parents.size) moduleCalls = captureModuleCalls([...parents.values()], runAll);
            else runAll();
          })
        : null;
      try {
        // AWQ: layers fed by the same input tensors share a scale search
        const units: string[][] = [];
        if (method === 'awq' && captured) {
          const byInput = new Map<string, string[]>();
          for (const name of group) {
            const key = captured.get(name)!.batches.map((b) => b.tensorId).join(',');
            const list = byInput.get(key);
            if (list) list.push(name);
            else byInput.set(key, [name]);
          }
          units.push(...byInput.values());
        } else units.push(...group.map((n) => [n]));

        for (const unit of units) {
          const t0 = performance.now();
          const layers = unit.map((name) => layerByName.get(name)!);
          const weights = layers.map(weightOf);
          const cols = layers[0].inFeatures;
          const g = groupSize === -1 || groupSize >= cols ? -1 : groupSize;
          let results: Array<QuantizedMatrix & { inputScale?: Float64Array; loss?: number; ratio?: number; history?: number[] }>;
          if (method === 'rtn') {
            results = layers.map((l, i) => rtnQuantize(weights[i], [l.outFeatures, cols], { bits, groupSize: g, sym: options.sym ?? false }));
          } else if (method === 'gptq') {
            results = layers.map((l, i) =>
              gptq(weights[i], [l.outFeatures, cols], hessianOf(captured!.get(unit[i])!), {
                bits,
                groupSize: g,
                actOrder: options.actOrder ?? false,
                sym: options.sym ?? false,
                percdamp: options.percdamp ?? 0.01,
                blocksize: options.blocksize ?? 128,
              }),
            );
          } else {
            if (g !== -1 && cols % g !== 0) {
              throw new InvalidArgumentError(`quantizeModel: AWQ needs groupSize to divide inFeatures; ${unit[0]} has ${cols} inputs and groupSize is ${g}.`);
            }
            const c0 = captured!.get(unit[0])!;
            const x = stackCaptured(c0);
            const parent = unit.length > 1 ? parents.get(unit[0]) : undefined;
            const calls = parent && unit.every((n) => parents.get(n) === parent) ? (moduleCalls as CapturedModuleCalls | null)?.calls.get(parent) : undefined;
            const lossFn = calls && calls.length ? blockLoss(parent!, calls, layers) : undefined;
            const search = awqSearchScale(
              layers.map((l, i) => ({ weight: weights[i], shape: [l.outFeatures, cols] as const })),
              x,
              [capturedTokens(c0), cols],
              { bits, groupSize: g, nGrid: options.nGrid ?? 20, duoScaling: options.awqDuoScaling ?? false, ...(lossFn ? { lossFn } : {}) },
            );
            const clipInput = { x, shape: [capturedTokens(c0), cols] as const };
            results = layers.map((l, i) => {
              const clip = (options.awqClip ?? true) && !awqSkipsClip(unit[i]);
              return {
                ...awqQuantizeWithScales(weights[i], [l.outFeatures, cols], search.scales, {
                  bits,
                  groupSize: g,
                  ...(clip ? { clipInput } : {}),
                }),
                ratio: search.ratio,
                history: search.history,
              };
            });
          }
          const seconds = (performance.now() - t0) / 1000 / unit.length;
          unit.forEach((name, i) => {
            const layer = layers[i];
            const q = QuantizedLinear.fromQuantized(layer, results[i], method);
            q.training = layer.training;
            const eff = q.effectiveWeight();
            const w = weights[i];
            let se = 0;
            let maxAbs = 0;
            for (let k = 0; k < w.length; k++) {
              const e = Math.abs(w[k] - eff[k]);
              se += e * e;
              if (e > maxAbs) maxAbs = e;
            }
            const cap = captured?.get(name);
            const entry: QuantizeLayerReport = {
              name,
              method,
              bits,
              groupSize: g,
              inFeatures: layer.inFeatures,
              outFeatures: layer.outFeatures,
              mse: se / w.length,
              maxAbs,
              outputMse: cap ? outputMse(cap, w, eff, layer.outFeatures) : null,
              loss: results[i].loss ?? null,
              ratio: results[i].ratio ?? null,
              awqHistory: results[i].history ?? null,
              bitsPerWeight: q.bitsPerWeight,
              seconds,
            };
            replaceModule(model, name, layer, q);
            const stillUsed = new Set(model.parameters());
            for (const p of [layer.weight, layer.bias]) if (p && !stillUsed.has(p)) p.dispose();
            report.push(entry);
            options.onLayer?.(entry);
          });
        }
      } finally {
        (moduleCalls as CapturedModuleCalls | null)?.dispose();
      }
    }
  } finally {
    for (const [m, flag] of flags) m.training = flag;
  }
  return report;
}
