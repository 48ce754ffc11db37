/**
 * PEFT's on-disk adapter format: `adapter_config.json` + `adapter_model.safetensors` with tensor
 * names `base_model.model.<module path>.lora_A.weight` [r, in], `.lora_B.weight` [out, r], DoRA's
 * `.lora_magnitude_vector` [out], modules_to_save copies as `base_model.model.<path>.<param>` and,
 * with `bias`, `base_model.model.<path>.base_layer.bias` (wrapped layers) / `<path>.bias` (others).
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Module, readSafetensors, tf, writeSafetensors, type Parameter } from '@llmkit/core';
import type { DecoderLM } from '@llmkit/model';
import type { LoraConfig } from './config.js';
import { LoraError } from './errors.js';
import { LoraModel, applyLora, setSubmodule, type LoraAdapterConfig } from './lora-model.js';

const CONFIG_FILE = 'adapter_config.json';
const WEIGHTS_FILE = 'adapter_model.safetensors';
const PREFIX = 'base_model.model.';

/** Options of {@link saveAdapter}. */
export interface SaveAdapterOptions {
  /** Which adapter to save (default: the active one). */
  adapterName?: string;
}

/** Options of {@link loadAdapter}. */
export interface LoadAdapterOptions {
  /** Name given to the loaded adapter (default `"default"`). */
  adapterName?: string;
  /** Leave the adapter trainable (PEFT's `is_trainable`); default false: frozen, for inference. */
  isTrainable?: boolean;
}

/**
 * The tensors of adapter `name` under their PEFT file names (live variables, not copies).
 * @throws {LoraError} `lora_state` for an unknown adapter.
 */
export function adapterStateDict(lora: LoraModel<Module>, name: string = lora.activeAdapter): Map<string, Parameter> {
  const config = lora.peftConfig.get(name);
  if (!config) throw new LoraError('lora_state', `No adapter "${name}"; adapters are [${[...lora.peftConfig.keys()].join(', ')}].`);
  const out = new Map<string, Parameter>();
  const wrappedBiases = new Set<Parameter>();
  for (const [path, layer] of lora.loraLayers()) {
    if (!layer.adapters.has(name)) continue;
    out.set(`${PREFIX}${path}.lora_A.weight`, layer.lora_A.get(name)!.weight);
    out.set(`${PREFIX}${path}.lora_B.weight`, layer.lora_B.get(name)!.weight);
    const m = layer.lora_magnitude_vector.get(name);
    if (m) out.set(`${PREFIX}${path}.lora_magnitude_vector`, m.weight);
    if (layer.bias) {
      wrappedBiases.add(layer.bias);
      if (config.bias !== 'none') out.set(`${PREFIX}${path}.base_layer.bias`, layer.bias);
    }
  }
  if (config.bias === 'all') {
    for (const [pname, p] of lora.model.namedParameters()) {
      if ((pname === 'bias' || pname.endsWith('.bias')) && !wrappedBiases.has(p) && !pname.includes('.modules_to_save.') && !pname.includes('.original_module.')) {
        out.set(`${PREFIX}${pname}`, p);
      }
    }
  }
  for (const [path, wrapper] of lora.modulesToSaveWrappers()) {
    const copy = wrapper.modules_to_save.get(name);
    if (!copy) continue;
    for (const [pname, p] of copy.namedParameters()) out.set(`${PREFIX}${path}.${pname}`, p);
  }
  return out;
}

/** adapter_config.json as PEFT 0.21 writes it (every key, PEFT's defaults where llmkit has no setting). */
function peftConfigJson(config: LoraAdapterConfig): Record<string, unknown> {
  return {
    alora_invocation_tokens: null,
    alpha_pattern: {},
    arrow_config: null,
    auto_mapping: null,
    base_model_name_or_path: config.baseModelNameOrPath ?? null,
    bias: config.bias,
    corda_config: null,
    ensure_weight_tying: false,
    eva_config: null,
    exclude_modules: null,
    fan_in_fan_out: config.fanInFanOut,
    inference_mode: true,
    init_lora_weights: config.initLoraWeights,
    layer_replication: null,
    layers_pattern: null,
    layers_to_transform: null,
    loftq_config: {},
    lora_alpha: config.loraAlpha,
    lora_bias: false,
    lora_dropout: config.loraDropout,
    megatron_config: null,
    megatron_core: 'megatron.core',
    modules_to_save: config.modulesToSave.length ? config.modulesToSave : null,
    peft_type: 'LORA',
    qalora_group_size: 16,
    r: config.r,
    rank_pattern: {},
    revision: null,
    target_modules: config.targetModules,
    target_parameters: null,
    task_type: 'CAUSAL_LM',
    trainable_token_indices: null,
    use_dora: config.useDora,
    use_qalora: false,
    use_rslora: config.useRslora,
  };
}

/**
 * Save an adapter in PEFT's format (`PeftModel.save_pretrained`): `adapter_config.json` and
 * `adapter_model.safetensors` (float32), loadable with `PeftModel.from_pretrained(base, dir)`.
 * @throws {LoraError} `lora_state` for an unknown adapter name.
 * @example
 * await saveAdapter(lora, './my-adapter');
 */
export async function saveAdapter(lora: LoraModel<Module>, dir: string, options: SaveAdapterOptions = {}): Promise<void> {
  if (!(lora instanceof LoraModel)) throw new LoraError('lora_config', 'saveAdapter(loraModel, dir) needs the LoraModel returned by applyLora or loadAdapter.');
  if (typeof dir !== 'string' || dir === '') throw new LoraError('lora_config', 'saveAdapter(loraModel, dir): dir must be a folder path.');
  const name = options.adapterName ?? lora.activeAdapter;
  const state = adapterStateDict(lora, name);
  const config = { ...lora.peftConfig.get(name)! };
  if (config.baseModelNameOrPath === undefined) {
    config.baseModelNameOrPath = (lora.model as unknown as { _sourceDir?: string })._sourceDir ?? null;
  }
  if (lora.loraLayers().some(([, l]) => l.mergedAdapters.includes(name))) {
    throw new LoraError('lora_state', `saveAdapter: adapter "${name}" is merged into the base weights; unmergeAdapter(loraModel) first so the saved tensors are the adapter's.`);
  }
  await mkdir(dir, { recursive: true });
  await writeSafetensors(join(dir, WEIGHTS_FILE), state, { format: 'pt' });
  await writeFile(join(dir, CONFIG_FILE), `${JSON.stringify(peftConfigJson(config as LoraAdapterConfig), null, 2)}\n`);
}

const UNSUPPORTED: Array<[string, (v: unknown) => boolean]> = [
  ['rank_pattern', (v) => v !== undefined && v !== null && Object.keys(v as object).length > 0],
  ['alpha_pattern', (v) => v !== undefined && v !== null && Object.keys(v as object).length > 0],
  ['layers_to_transform', (v) => v !== undefined && v !== null],
  ['layer_replication', (v) => v !== undefined && v !== null],
  ['exclude_modules', (v) => v !== undefined && v !== null],
  ['target_parameters', (v) => v !== undefined && v !== null],
  ['trainable_token_indices', (v) => v !== undefined && v !== null],
  ['lora_bias', (v) => v === true],
  ['use_qalora', (v) => v === true],
];

function configFromPeft(raw: unknown, file: string): LoraConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new LoraError('lora_adapter_format', `${file} must hold a JSON object (PEFT's LoraConfig).`);
  const c = raw as Record<string, unknown>;
  if (c.peft_type !== 'LORA') {
    throw new LoraError('lora_adapter_format', `${file}: peft_type is ${JSON.stringify(c.peft_type)}; only "LORA" adapters can be loaded.`);
  }
  for (const [key, bad] of UNSUPPORTED) {
    if (bad(c[key])) throw new LoraError('lora_adapter_format', `${file}: ${key} = ${JSON.stringify(c[key])} is not supported by @llmkit/lora; save the adapter without it.`);
  }
  const init = c.init_lora_weights;
  const targets = c.target_modules;
  if (!(typeof targets === 'string' || (Array.isArray(targets) && targets.every((t) => typeof t === 'string')))) {
    throw new LoraError('lora_adapter_format', `${file}: target_modules must be a list of module names or a regex string, got ${JSON.stringify(targets)}.`);
  }
  const mts = c.modules_to_save;
  return {
    r: c.r as number,
    loraAlpha: c.lora_alpha as number,
    loraDropout: (c.lora_dropout as number | undefined) ?? 0,
    targetModules: targets as string | string[],
    useRslora: (c.use_rslora as boolean | undefined) ?? false,
    useDora: (c.use_dora as boolean | undefined) ?? false,
    bias: (c.bias as 'none' | 'all' | 'lora_only' | undefined) ?? 'none',
    modulesToSave: mts === null || mts === undefined ? [] : (mts as string[]),
    initLoraWeights: init === 'gaussian' ? 'gaussian' : true,
    baseModelNameOrPath: (c.base_model_name_or_path as string | null | undefined) ?? null,
  };
}

/** Undo applyLora on failure: put the original modules back. */
function unwrap(lora: LoraModel<Module>, trainable: Map<Parameter, boolean>): void {
  for (const [path, layer] of lora.loraLayers()) setSubmodule(lora.model, path, layer.toLinear());
  for (const [path, w] of lora.modulesToSaveWrappers()) {
    for (const [, copy] of w.modules_to_save.namedChildren()) copy.dispose();
    setSubmodule(lora.model, path, w.original_module);
  }
  for (const [p, flag] of trainable) if (!p.isDisposed) p.trainable = flag;
}

/**
 * Load a PEFT LoRA adapter folder (written by PEFT's `save_pretrained` or {@link saveAdapter})
 * onto a model: PEFT's `PeftModel.from_pretrained(model, dir)`, or `load_adapter` when given a
 * LoraModel (adds the adapter under `options.adapterName`; the active adapter does not change).
 * Strict: every tensor of the file must belong to the adapter and every adapter tensor must be in
 * the file, with PEFT's shapes; on error the model is left as it was.
 *
 * @throws {LoraError} `lora_adapter_format` for a missing / malformed file, an unsupported PEFT
 *   option, unknown or missing tensors (named) or a wrong shape; `lora_target` when a target
 *   module is not in the model.
 * @example
 * const lm = await DecoderLM.fromPretrained('./base');
 * const lora = await loadAdapter(lm, './adapter');
 * lora.model.forward([[1, 2, 3]]);
 */
export async function loadAdapter(model: DecoderLM | Module | LoraModel<Module>, dir: string, options: LoadAdapterOptions = {}): Promise<LoraModel<DecoderLM>> {
  if (typeof dir !== 'string' || dir === '') throw new LoraError('lora_config', 'loadAdapter(model, dir): dir must be the path of a PEFT adapter folder.');
  const configPath = join(dir, CONFIG_FILE);
  const weightsPath = join(dir, WEIGHTS_FILE);
  if (!existsSync(configPath)) throw new LoraError('lora_adapter_format', `loadAdapter: no ${CONFIG_FILE} in ${dir}; point it at a folder written by PEFT's save_pretrained or saveAdapter.`);
  if (!existsSync(weightsPath)) {
    const bin = existsSync(join(dir, 'adapter_model.bin')) ? ' (found adapter_model.bin: re-save it with safe_serialization=True)' : '';
    throw new LoraError('lora_adapter_format', `loadAdapter: no ${WEIGHTS_FILE} in ${dir}${bin}.`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(configPath, 'utf8'));
  } catch (error) {
    throw new LoraError('lora_adapter_format', `loadAdapter: ${configPath} is not valid JSON: ${(error as Error).message}.`, { cause: error });
  }
  const config = configFromPeft(raw, configPath);
  const name = options.adapterName ?? 'default';
  const file = await readSafetensors(weightsPath);
  const tensors = file.tensors;
  try {
    const existing = model instanceof LoraModel ? model : null;
    const base: Module = existing ? existing.model : (model as Module);
    const trainable = new Map<Parameter, boolean>(base.parameters().map((p) => [p, p.trainable]));
    const lora = existing ?? applyLora(base as Module, config, name);
    if (existing) existing.addAdapter(name, config);
    try {
      const expected = adapterStateDict(lora, name);
      const unknown = [...tensors.keys()].filter((k) => !expected.has(k));
      const missing = [...expected.keys()].filter((k) => !tensors.has(k));
      if (unknown.length || missing.length) {
        throw new LoraError(
          'lora_adapter_format',
          `loadAdapter: ${weightsPath} does not match the adapter config on this model: ${unknown.length} unknown tensor(s) [${unknown.slice(0, 8).join(', ')}], ` +
            `${missing.length} missing tensor(s) [${missing.slice(0, 8).join(', ')}]. Check the adapter was trained for this base model and its adapter_config.json target_modules.`,
        );
      }
      for (const [key, variable] of expected) {
        const value = tensors.get(key)!;
        if (value.shape.length !== variable.shape.length || value.shape.some((d, i) => d !== variable.shape[i])) {
          throw new LoraError('lora_adapter_format', `loadAdapter: tensor "${key}" has shape [${value.shape}] in ${weightsPath} but [${variable.shape}] in the model (r = ${config.r}).`);
        }
      }
      for (const [key, variable] of expected) {
        tf.tidy(() => variable.assign(tf.cast(tensors.get(key)!, 'float32')));
      }
    } catch (error) {
      if (existing) existing.deleteAdapter(name);
      else unwrap(lora, trainable);
      throw error;
    }
    const cfg = lora.peftConfig.get(name)!;
    cfg.baseModelNameOrPath = config.baseModelNameOrPath;
    if (!existing) {
      lora.refreshTrainable();
      if (!options.isTrainable) for (const p of lora.model.parameters()) p.trainable = false;
    }
    return lora as unknown as LoraModel<DecoderLM>;
  } finally {
    tf.dispose([...tensors.values()]);
  }
}

