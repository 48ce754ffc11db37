import { Linear, Module, type NamedParameters } from '@llmkit/core';
import type { DecoderLM } from '@llmkit/model';
import { resolveLoraConfig, type LoraConfig, type ResolvedLoraConfig } from './config.js';
import { LoraError } from './errors.js';
import { LoraLinear, checkAdapterName } from './lora-linear.js';
import { ModulesToSaveWrapper } from './modules-to-save.js';

/** PEFT's default `target_modules` per `model_type` (peft.utils.constants). */
const DEFAULT_TARGETS: Record<string, string[]> = {
  llama: ['q_proj', 'v_proj'],
  mistral: ['q_proj', 'v_proj'],
  qwen2: ['q_proj', 'v_proj'],
  gpt2: ['c_attn'],
};

/** The configuration of one adapter after target resolution. */
export interface LoraAdapterConfig extends ResolvedLoraConfig {
  /** The targets as saved to adapter_config.json (a list of names, or a regex string). */
  targetModules: string | string[];
  /** True when the base weights are stored [in, out] on disk (GPT-2 Conv1D), PEFT's fan_in_fan_out. */
  fanInFanOut: boolean;
}

/** One line of {@link LoraModel.memoryReport}. */
export interface LoraLayerMemory {
  name: string;
  /** [outFeatures, inFeatures] */
  shape: [number, number];
  baseDtype: 'float32' | 'nf4';
  baseBytes: number;
  bytesPerBaseWeight: number;
  adapterBytes: number;
}

/** What {@link LoraModel.memoryReport} returns. */
export interface LoraMemoryReport {
  layers: LoraLayerMemory[];
  /** Bytes of the wrapped layers' base weights as stored (NF4 or float32). */
  baseWeightBytes: number;
  /** The same weights in float32. */
  baseWeightBytesFloat32: number;
  /** Average bytes per base weight of the wrapped layers (4 in float32, ~0.52 in NF4 with double quantization). */
  bytesPerBaseWeight: number;
  /** Bytes of every adapter's parameters (float32). */
  adapterBytes: number;
  /** Bytes of the other parameters (embeddings, norms, unwrapped layers, modules_to_save copies). */
  otherBytes: number;
  totalBytes: number;
  /** A printable table. */
  text: string;
}

/**
 * A model with LoRA adapters (PEFT's `PeftModel` / `LoraModel`). `model` is the wrapped model
 * itself, changed in place: its targeted `Linear`s are {@link LoraLinear}s, so `forward`, `loss`,
 * `logprobs` and `generate` include the active adapter.
 *
 * @example
 * const lora = applyLora(lm, { r: 8, loraAlpha: 16, targetModules: ['q_proj', 'v_proj'] });
 * lora.printTrainableParameters(); // trainable params: 8,192 || all params: ... || trainable%: ...
 * const optimizer = new AdamW(lora.trainableParameters(), { lr: 1e-3 });
 */
export class LoraModel<M extends Module = DecoderLM> {
  /** The wrapped model (modified in place). */
  readonly model: M;
  /** Configuration of every adapter by name. */
  readonly peftConfig = new Map<string, LoraAdapterConfig>();
  private _activeAdapter: string;
  private _disableDepth = 0;

  /** @internal use {@link applyLora} */
  constructor(model: M, adapterName: string, config: LoraAdapterConfig) {
    this.model = model;
    this._activeAdapter = adapterName;
    this.peftConfig.set(adapterName, config);
  }

  /** The active adapter's name. */
  get activeAdapter(): string {
    return this._activeAdapter;
  }

  /** The active adapter's configuration. */
  get config(): LoraAdapterConfig {
    return this.peftConfig.get(this._activeAdapter)!;
  }

  /** The wrapped layers with their module paths. */
  loraLayers(): Array<[string, LoraLinear]> {
    return this.model.namedModules().filter((e): e is [string, LoraLinear] => e[1] instanceof LoraLinear);
  }

  /** The modules_to_save wrappers with their module paths. */
  modulesToSaveWrappers(): Array<[string, ModulesToSaveWrapper]> {
    return this.model.namedModules().filter((e): e is [string, ModulesToSaveWrapper] => e[1] instanceof ModulesToSaveWrapper);
  }

  /**
   * Add another adapter (PEFT's `add_adapter`); the active adapter does not change.
   * @throws {LoraError} `lora_config` for a bad config or a name already used, `lora_target` for missing targets.
   */
  addAdapter(name: string, config: LoraConfig = {}): this {
    checkAdapterName(name);
    if (this.peftConfig.has(name)) throw new LoraError('lora_config', `addAdapter: an adapter named "${name}" exists; pick another name or deleteAdapter("${name}").`);
    injectAdapter(this.model as Module, name, resolveLoraConfig(config, 'addAdapter(config)'), this.peftConfig);
    this.refreshTrainable();
    return this;
  }

  /**
   * Switch the active adapter (PEFT's `set_adapter`): forward uses it and only its parameters train.
   * @throws {LoraError} `lora_state` for an unknown name or while adapters are merged.
   */
  setAdapter(name: string): this {
    if (!this.peftConfig.has(name)) {
      throw new LoraError('lora_state', `setAdapter: no adapter "${name}"; adapters are [${[...this.peftConfig.keys()].join(', ')}].`);
    }
    if (this.loraLayers().some(([, l]) => l.mergedAdapters.length > 0)) {
      throw new LoraError('lora_state', 'setAdapter: an adapter is merged; call unmergeAdapter(loraModel) before switching.');
    }
    this._activeAdapter = name;
    for (const [, layer] of this.loraLayers()) layer.activeAdapters = layer.adapters.has(name) ? [name] : [];
    for (const [, w] of this.modulesToSaveWrappers()) w.activeAdapter = w.modules_to_save.has(name) ? name : null;
    this.refreshTrainable();
    return this;
  }

  /** Remove adapter `name` and free its parameters. @throws {LoraError} `lora_state` for the active or an unknown adapter. */
  deleteAdapter(name: string): void {
    if (!this.peftConfig.has(name)) throw new LoraError('lora_state', `deleteAdapter: no adapter "${name}".`);
    if (name === this._activeAdapter) throw new LoraError('lora_state', `deleteAdapter: "${name}" is active; setAdapter(another) first.`);
    for (const [, layer] of this.loraLayers()) if (layer.adapters.has(name)) layer.deleteAdapter(name);
    for (const [, w] of this.modulesToSaveWrappers()) {
      w.modules_to_save.get(name)?.dispose();
      w.modules_to_save.delete(name);
    }
    this.peftConfig.delete(name);
  }

  /**
   * Freeze everything, then unfreeze the active adapter's parameters, the biases its `bias`
   * setting selects and its modules_to_save copies (PEFT's `_mark_only_adapters_as_trainable`).
   */
  refreshTrainable(): void {
    const name = this._activeAdapter;
    const config = this.peftConfig.get(name)!;
    for (const p of this.model.parameters()) p.trainable = false;
    for (const [, layer] of this.loraLayers()) {
      if (!layer.adapters.has(name)) continue;
      layer.lora_A.get(name)!.weight.trainable = true;
      layer.lora_B.get(name)!.weight.trainable = true;
      const m = layer.lora_magnitude_vector.get(name);
      if (m) m.weight.trainable = true;
      if (config.bias === 'lora_only' && layer.bias) layer.bias.trainable = true;
    }
    if (config.bias === 'all') {
      for (const [pname, p] of this.model.namedParameters()) if (pname === 'bias' || pname.endsWith('.bias')) p.trainable = true;
    }
    for (const [, w] of this.modulesToSaveWrappers()) {
      const copy = w.modules_to_save.get(name);
      if (copy) for (const p of copy.parameters()) p.trainable = true;
    }
  }

  /** The trainable parameters with their names, for an optimizer (`new AdamW(lora.trainableParameters())`). */
  trainableParameters(): NamedParameters {
    return this.model.namedParameters().filter(([, p]) => p.trainable);
  }

  /**
   * Trainable and total parameter counts (PEFT's `get_nb_trainable_parameters`); an NF4 base
   * weight counts its `outFeatures * inFeatures` weights.
   */
  nbTrainableParameters(): { trainable: number; all: number } {
    let trainable = 0;
    let all = 0;
    for (const [, p] of this.model.namedParameters()) {
      all += p.size;
      if (p.trainable) trainable += p.size;
    }
    for (const [, layer] of this.loraLayers()) if (!layer.weight) all += layer.inFeatures * layer.outFeatures;
    return { trainable, all };
  }

  /**
   * Print (and return) PEFT's line `trainable params: X || all params: Y || trainable%: Z`.
   * @example
   * lora.printTrainableParameters(); // "trainable params: 4,096 || all params: 102,400 || trainable%: 4.0000"
   */
  printTrainableParameters(log: (line: string) => void = console.log): string {
    const { trainable, all } = this.nbTrainableParameters();
    const fmt = (n: number) => n.toLocaleString('en-US');
    const line = `trainable params: ${fmt(trainable)} || all params: ${fmt(all)} || trainable%: ${((100 * trainable) / all).toFixed(4)}`;
    log(line);
    return line;
  }

  /** Bytes of the base weights (NF4 or float32), adapters and other parameters. */
  memoryReport(): LoraMemoryReport {
    const layers: LoraLayerMemory[] = [];
    const adapterParams = new Set<unknown>();
    let adapterBytes = 0;
    for (const [name, layer] of this.loraLayers()) {
      let bytes = 0;
      for (const dict of [layer.lora_A, layer.lora_B, layer.lora_magnitude_vector] as Module[]) {
        for (const p of dict.parameters()) {
          bytes += p.size * 4;
          adapterParams.add(p);
        }
      }
      adapterBytes += bytes;
      const baseBytes = layer.baseWeightBytes();
      const n = layer.inFeatures * layer.outFeatures;
      layers.push({
        name,
        shape: [layer.outFeatures, layer.inFeatures],
        baseDtype: layer.weight ? 'float32' : 'nf4',
        baseBytes,
        bytesPerBaseWeight: baseBytes / n,
        adapterBytes: bytes,
      });
      if (layer.weight) adapterParams.add(layer.weight);
    }
    let otherBytes = 0;
    for (const p of this.model.parameters()) if (!adapterParams.has(p)) otherBytes += p.size * 4;
    const baseWeightBytes = layers.reduce((s, l) => s + l.baseBytes, 0);
    const baseWeightCount = layers.reduce((s, l) => s + l.shape[0] * l.shape[1], 0);
    const totalBytes = baseWeightBytes + adapterBytes + otherBytes;
    const rows = layers.map(
      (l) => `${l.name.padEnd(40)} ${`[${l.shape.join(', ')}]`.padEnd(12)} ${l.baseDtype.padEnd(8)} ${String(l.baseBytes).padStart(10)} ${l.bytesPerBaseWeight.toFixed(4).padStart(8)} ${String(l.adapterBytes).padStart(10)}`,
    );
    const text = [
      `${'layer'.padEnd(40)} ${'shape'.padEnd(12)} ${'base'.padEnd(8)} ${'base B'.padStart(10)} ${'B/weight'.padStart(8)} ${'adapter B'.padStart(10)}`,
      ...rows,
      `wrapped base weights: ${baseWeightBytes} B (${(baseWeightBytes / Math.max(1, baseWeightCount)).toFixed(4)} B/weight; float32 would be ${baseWeightCount * 4} B)`,
      `adapters: ${adapterBytes} B, other parameters: ${otherBytes} B, total: ${totalBytes} B`,
    ].join('\n');
    return {
      layers,
      baseWeightBytes,
      baseWeightBytesFloat32: baseWeightCount * 4,
      bytesPerBaseWeight: baseWeightCount ? baseWeightBytes / baseWeightCount : 0,
      adapterBytes,
      otherBytes,
      totalBytes,
      text,
    };
  }

  /** @internal */
  enterDisabled(): void {
    if (this._disableDepth++ > 0) return;
    for (const [, layer] of this.loraLayers()) layer.disableAdapters = true;
    for (const [, w] of this.modulesToSaveWrappers()) w.disableAdapters = true;
  }

  /** @internal */
  exitDisabled(): void {
    if (--this._disableDepth > 0) return;
    for (const [, layer] of this.loraLayers()) layer.disableAdapters = false;
    for (const [, w] of this.modulesToSaveWrappers()) w.disableAdapters = false;
  }
}

/**
 * Add LoRA adapters to a model (PEFT's `get_peft_model`): wraps every matching `Linear` in a
 * {@link LoraLinear}, freezes every other parameter, initialises A Kaiming-uniform and B to zeros,
 * so the model's outputs are unchanged until training moves B.
 *
 * @param model a DecoderLM (or any core Module); changed in place and held by the result
 * @param config PEFT's LoraConfig in camelCase; `quantizeBase: { type: 'nf4' }` for QLoRA
 * @param adapterName default `"default"`
 * @throws {LoraError} `lora_config` for invalid options, `lora_target` when no module matches or a match is not a Linear.
 * @example
 * const lm = DecoderLM.fromConfig(config);
 * const lora = applyLora(lm, { r: 8, loraAlpha: 16, targetModules: ['q_proj', 'v_proj'] });
 * lora.model.forward([[1, 2, 3]]); // same logits as before: B starts at zero
 */
export function applyLora<M extends Module = DecoderLM>(model: M, config: LoraConfig = {}, adapterName = 'default'): LoraModel<M> {
  if (!(model instanceof Module)) throw new LoraError('lora_config', 'applyLora(model) needs a DecoderLM (or another core Module).');
  checkAdapterName(adapterName);
  if (model.namedModules().some(([, m]) => m instanceof LoraLinear)) {
    throw new LoraError('lora_state', 'applyLora: this model already has LoRA layers; use loraModel.addAdapter(name, config) to add another adapter.');
  }
  const configs = new Map<string, LoraAdapterConfig>();
  injectAdapter(model, adapterName, resolveLoraConfig(config), configs);
  const lora = new LoraModel(model, adapterName, configs.get(adapterName)!);
  lora.refreshTrainable();
  return lora;
}

function targetMatcher(targets: string | string[] | RegExp): (path: string) => boolean {
  if (Array.isArray(targets)) return (path) => targets.some((t) => path === t || path.endsWith(`.${t}`));
  const source = targets instanceof RegExp ? targets.source : targets;
  const flags = targets instanceof RegExp ? targets.flags.replace(/[gy]/g, '') : '';
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${source})$`, flags);
  } catch (error) {
    throw new LoraError('lora_config', `targetModules "${source}" is not a valid regular expression; pass an array of module names instead.`, { cause: error });
  }
  return (path) => re.test(path);
}

/** Output layer names excluded by 'all-linear' (PEFT excludes the output embedding). */
function outputLayerName(model: Module): string | null {
  return model.namedModules().some(([n]) => n === 'lm_head') ? 'lm_head' : null;
}

/** Wrap the targets of one adapter; records its config in `configs`. */
export function injectAdapter(model: Module, name: string, resolved: ResolvedLoraConfig, configs: Map<string, LoraAdapterConfig>): void {
  const modelType = (model as unknown as { config?: { modelType?: string } }).config?.modelType;
  let targets: string | string[] | RegExp;
  if (resolved.targetModules === null) {
    const d = modelType ? DEFAULT_TARGETS[modelType] : undefined;
    if (!d) {
      throw new LoraError('lora_config', `applyLora: no default targetModules for model_type "${modelType ?? 'unknown'}"; pass targetModules, e.g. ['q_proj', 'v_proj'] or 'all-linear'.`);
    }
    targets = d;
  } else targets = resolved.targetModules;
  // the candidate modules: not inside a LoRA layer or a modules_to_save wrapper
  const candidates: Array<[string, Module]> = [];
  const skip: string[] = [];
  for (const [path, module] of model.namedModules()) {
    if (path === '' || skip.some((s) => path.startsWith(`${s}.`))) continue;
    if (module instanceof LoraLinear || module instanceof ModulesToSaveWrapper) skip.push(path);
    candidates.push([path, module]);
  }
  if (targets === 'all-linear') {
    const out = outputLayerName(model);
    const names = new Set<string>();
    for (const [path, m] of candidates) {
      if ((m instanceof Linear || m instanceof LoraLinear) && path !== out) names.add(path.split('.').pop()!);
    }
    targets = [...names].sort();
  }
  const matches = targetMatcher(targets);
  const matched = candidates.filter(([path]) => matches(path));
  if (matched.length === 0) {
    const names = [...new Set(candidates.map(([p]) => p.split('.').pop()!))].filter((n) => !/^\d+$/.test(n));
    throw new LoraError(
      'lora_target',
      `applyLora: targetModules ${JSON.stringify(targets instanceof RegExp ? targets.source : targets)} match no module of the model; module names include [${names.join(', ')}].`,
    );
  }
  const transposed = (model as unknown as { architecture?: { transposedOnDisk?(n: string): boolean } }).architecture?.transposedOnDisk;
  let fanInFanOut = false;
  for (const [path, module] of matched) {
    if (module instanceof LoraLinear) {
      module.updateLayer(name, resolved);
    } else if (module instanceof Linear) {
      const layer = new LoraLinear(module, { quantizeBase: resolved.quantizeBase, ...(resolved.rng ? { rng: resolved.rng } : {}) });
      layer.updateLayer(name, resolved);
      layer.activeAdapters = [];
      setSubmodule(model, path, layer);
    } else {
      throw new LoraError(
        'lora_target',
        `applyLora: target module "${path}" is a ${module.constructor.name}, not a Linear; LoRA wraps Linear layers only. Use names of Linear layers (e.g. 'q_proj') in targetModules.`,
      );
    }
    if (transposed?.(`${path}.weight`)) fanInFanOut = true;
  }
  // a new adapter starts inactive in layers that already had one; the first adapter is active
  const first = configs.size === 0;
  if (first) for (const [path] of matched) (getModule(model, path) as LoraLinear).activeAdapters = [name];
  for (const target of resolved.modulesToSave) {
    const found = candidates.filter(([path]) => path === target || path.endsWith(`.${target}`));
    if (found.length === 0) throw new LoraError('lora_target', `applyLora: modulesToSave "${target}" matches no module of the model.`);
    for (const [path, module] of found) {
      let wrapper: ModulesToSaveWrapper;
      if (module instanceof ModulesToSaveWrapper) wrapper = module;
      else if (module instanceof LoraLinear) throw new LoraError('lora_config', `applyLora: "${path}" is both a LoRA target and in modulesToSave; choose one.`);
      else {
        wrapper = new ModulesToSaveWrapper(module);
        setSubmodule(model, path, wrapper);
      }
      wrapper.addCopy(name);
      if (!first && wrapper.activeAdapter === name) wrapper.activeAdapter = null;
    }
  }
  const savedTargets = targets instanceof RegExp ? targets.source : targets;
  configs.set(name, { ...resolved, targetModules: savedTargets, fanInFanOut });
}

function getModule(model: Module, path: string): Module {
  return model.namedModules().find(([n]) => n === path)![1];
}

/** Replace the submodule at `path` (a dotted path as namedModules lists it). */
export function setSubmodule(model: Module, path: string, replacement: Module): void {
  const parts = path.split('.');
  const modules = new Map(model.namedModules());
  for (let k = parts.length - 1; k >= 0; k--) {
    const parentPath = parts.slice(0, k).join('.');
    const childName = parts.slice(k).join('.');
    const parent = modules.get(parentPath);
    if (!parent || !parent.namedChildren().some(([n]) => n === childName)) continue;
    // DecoderLM lists its body's children as its own
    let owner = parent as unknown as Record<string, unknown>;
    const [field, index] = childName.split('.');
    if (!Object.prototype.hasOwnProperty.call(owner, field) && owner._body) owner = owner._body as Record<string, unknown>;
    if (index === undefined) owner[field] = replacement;
    else (owner[field] as unknown[])[Number(index)] = replacement;
    return;
  }
  throw new LoraError('lora_target', `Cannot replace module "${path}": no parent module lists it as a child.`);
}

/**
 * Merge the active adapter into the base weights (PEFT's `merge_adapter`): forward then costs
 * nothing extra and gives the same logits (up to float32 rounding).
 * @throws {LoraError} `lora_state` for NF4 base weights or an adapter already merged.
 * @example
 * mergeAdapter(lora); lora.model.forward(ids); unmergeAdapter(lora);
 */
export function mergeAdapter(lora: LoraModel<Module>, adapterNames: readonly string[] = [lora.activeAdapter]): void {
  checkLoraModel(lora, 'mergeAdapter');
  for (const name of adapterNames) {
    if (!lora.peftConfig.has(name)) throw new LoraError('lora_state', `mergeAdapter: no adapter "${name}".`);
  }
  for (const [, layer] of lora.loraLayers()) {
    const names = adapterNames.filter((n) => layer.adapters.has(n) && !layer.mergedAdapters.includes(n));
    if (names.length) layer.merge(names);
  }
}

/**
 * Undo {@link mergeAdapter} (PEFT's `unmerge_adapter`).
 * @example
 * unmergeAdapter(lora);
 */
export function unmergeAdapter(lora: LoraModel<Module>): void {
  checkLoraModel(lora, 'unmergeAdapter');
  for (const [, layer] of lora.loraLayers()) layer.unmerge();
}

/**
 * Merge the active adapter and replace every LoRA layer by a plain `Linear` (and every
 * modules_to_save wrapper by its trained copy): PEFT's `merge_and_unload`. Returns the model,
 * which can be saved with `savePretrained`. The LoraModel is unusable afterwards.
 * @example
 * const merged = mergeAndUnload(lora); await merged.savePretrained('./merged');
 */
export function mergeAndUnload<M extends Module>(lora: LoraModel<M>): M {
  checkLoraModel(lora as LoraModel<Module>, 'mergeAndUnload');
  mergeAdapter(lora as LoraModel<Module>);
  for (const [path, layer] of lora.loraLayers()) setSubmodule(lora.model, path, layer.toLinear());
  for (const [path, w] of lora.modulesToSaveWrappers()) {
    const keep = w.activeModule();
    for (const other of [w.original_module, ...w.modules_to_save.namedChildren().map(([, m]) => m)]) if (other !== keep) other.dispose();
    setSubmodule(lora.model, path, keep);
  }
  for (const p of lora.model.parameters()) p.trainable = true;
  return lora.model;
}

/**
 * Run `fn` with every adapter disabled: inside, the model computes exactly the base model's
 * outputs (merged adapters are unmerged for the scope and merged back after). Restores the
 * adapters when `fn` returns, throws, or its promise settles; scopes nest. DPO uses it for the
 * reference model.
 * @example
 * const refLogits = disableAdapter(lora, () => lora.model.forward(ids));
 * const refLogprobs = await disableAdapter(lora, async () => lora.model.logprobs(ctx, cont));
 */
export function disableAdapter<T>(lora: LoraModel<Module>, fn: () => T): T {
  checkLoraModel(lora, 'disableAdapter');
  if (typeof fn !== 'function') throw new LoraError('lora_config', 'disableAdapter(loraModel, fn): fn must be a function run with the adapters disabled.');
  const merged: Array<[LoraLinear, string[]]> = [];
  for (const [, layer] of lora.loraLayers()) {
    if (layer.mergedAdapters.length) {
      merged.push([layer, [...layer.mergedAdapters]]);
      layer.unmerge();
    }
  }
  lora.enterDisabled();
  const restore = () => {
    lora.exitDisabled();
    for (const [layer, names] of merged) layer.merge(names);
  };
  let result: T;
  try {
    result = fn();
  } catch (error) {
    restore();
    throw error;
  }
  if (result && typeof (result as { then?: unknown }).then === 'function') {
    return (result as unknown as Promise<unknown>).then(
      (value) => {
        restore();
        return value;
      },
      (error: unknown) => {
        restore();
        throw error;
      },
    ) as T;
  }
  restore();
  return result;
}

function checkLoraModel(lora: unknown, what: string): void {
  if (!(lora instanceof LoraModel)) throw new LoraError('lora_config', `${what}(loraModel) needs the LoraModel returned by applyLora or loadAdapter.`);
}
