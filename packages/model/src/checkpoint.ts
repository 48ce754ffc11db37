/**
 * Hugging Face checkpoint directories: config.json, model.safetensors or
 * sharded `model-0000i-of-0000n.safetensors` + `model.safetensors.index.json`,
 * and the tokenizer / generation files next to them. Tensor names are the HF
 * names; GPT-2's Conv1D weights are transposed between HF's [in, out] and
 * core Linear's [out, in].
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tf, readSafetensors, writeSafetensors, type Module, type SafetensorsDtype } from '@llmkit/core';
import { CheckpointError, InvalidArgumentError } from '@llmkit/core/errors';
import type { Architecture } from './architectures/base.js';

/** File names of a HF model directory. */
export const CONFIG_FILE = 'config.json';
export const WEIGHTS_FILE = 'model.safetensors';
export const WEIGHTS_INDEX_FILE = 'model.safetensors.index.json';
/** Tokenizer and generation files copied by `save()` when the model was loaded from a directory that has them. */
export const TOKENIZER_FILES: readonly string[] = [
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'generation_config.json',
  'chat_template.jinja',
  'vocab.json',
  'merges.txt',
  'tokenizer.model',
];

/** Read and parse a JSON file of a checkpoint directory. @throws {CheckpointError} when absent or malformed. */
export async function readJsonFile(dir: string, name: string): Promise<Record<string, unknown>> {
  const path = join(dir, name);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new CheckpointError(`Cannot read ${path}: ${(cause as Error).message}; check that the directory is a Hugging Face model folder.`, { cause });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new CheckpointError(`${path} is not valid JSON (${(cause as Error).message}); re-download or re-save the checkpoint.`, { cause });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CheckpointError(`${path} must hold a JSON object; re-download or re-save the checkpoint.`);
  }
  return value as Record<string, unknown>;
}

/** The weight files of a checkpoint directory and which file holds each tensor. */
async function weightFiles(dir: string): Promise<{ files: string[]; declared?: Map<string, string> }> {
  if (existsSync(join(dir, WEIGHTS_FILE))) return { files: [WEIGHTS_FILE] };
  if (existsSync(join(dir, WEIGHTS_INDEX_FILE))) {
    const index = await readJsonFile(dir, WEIGHTS_INDEX_FILE);
    const map = index.weight_map;
    if (typeof map !== 'object' || map === null || Array.isArray(map)) {
      throw new CheckpointError(`${join(dir, WEIGHTS_INDEX_FILE)} has no "weight_map" object; re-save the checkpoint.`);
    }
    const declared = new Map<string, string>();
    for (const [name, file] of Object.entries(map)) {
      if (typeof file !== 'string' || file.includes('/') || file.includes('\\')) {
        throw new CheckpointError(`${join(dir, WEIGHTS_INDEX_FILE)}: weight_map["${name}"] must be a file name in the same folder, got ${JSON.stringify(file)}.`);
      }
      declared.set(name, file);
    }
    return { files: [...new Set(declared.values())], declared };
  }
  throw new CheckpointError(
    `No weights in ${dir}: expected ${WEIGHTS_FILE} or ${WEIGHTS_INDEX_FILE} (PyTorch .bin files are not supported; re-save with save_pretrained(safe_serialization=True)).`,
  );
}

/** What {@link loadWeights} read. */
export interface LoadWeightsResult {
  /** Each loaded parameter name with the file it came from. */
  sources: Map<string, string>;
  /** The dtype each tensor had on disk. */
  dtypes: Map<string, SafetensorsDtype>;
}

/**
 * Load a checkpoint directory's safetensors into `model`'s parameters (HF
 * names; F16/BF16/F64 become float32; Conv1D weights transposed per `arch`).
 * Tied parameters are stored once (HF omits `lm_head.weight` when tied); an
 * alias present in the file is accepted and loaded into the shared tensor.
 * @throws {CheckpointError} `checkpoint` naming the tensor and file for a missing, unexpected or mis-shaped tensor.
 * @example
 * await loadWeights(model, ARCHITECTURES.get('gpt2')!, './gpt2-tiny');
 */
export async function loadWeights(model: Module, arch: Architecture, dir: string): Promise<LoadWeightsResult> {
  const { files, declared } = await weightFiles(dir);
  const params = new Map(model.namedParameters());
  const aliases = model.stateDict();
  const sources = new Map<string, string>();
  const dtypes = new Map<string, SafetensorsDtype>();
  const ignored = arch.ignoredOnLoad ?? [];
  for (const file of files) {
    const path = join(dir, file);
    if (!existsSync(path)) {
      const names = declared ? [...declared].filter(([, f]) => f === file).map(([n]) => n) : [];
      throw new CheckpointError(`Shard ${path} (holding ${names.slice(0, 3).join(', ')}${names.length > 3 ? ', ...' : ''}) is missing; download every file listed in ${WEIGHTS_INDEX_FILE}.`);
    }
    let read;
    try {
      read = await readSafetensors(path);
    } catch (cause) {
      throw new CheckpointError(`Cannot read ${path}: ${(cause as Error).message}`, { cause });
    }
    try {
      for (const [name, tensor] of read.tensors) {
        if (ignored.some((re) => re.test(name))) continue;
        const target = aliases.get(name) as tf.Variable | undefined;
        if (!target) {
          throw new CheckpointError(
            `Unexpected tensor "${name}" in ${path}: the ${arch.modelType} model built from config.json has no such parameter; check that config.json matches the weights (e.g. tie_word_embeddings, attention_bias).`,
          );
        }
        if (declared && declared.get(name) !== file) {
          throw new CheckpointError(`Tensor "${name}" is in ${path} but ${WEIGHTS_INDEX_FILE} maps it to ${JSON.stringify(declared.get(name))}; re-save the checkpoint.`);
        }
        if (tensor.dtype !== 'float32') {
          throw new CheckpointError(`Tensor "${name}" in ${path} has dtype ${read.dtypes.get(name)}; model weights must be F32, F16, BF16 or F64.`);
        }
        const transposed = arch.transposedOnDisk?.(name) ?? false;
        const expectedDisk = transposed ? [...target.shape].reverse() : target.shape;
        if (tensor.shape.length !== expectedDisk.length || tensor.shape.some((d, i) => d !== expectedDisk[i])) {
          throw new CheckpointError(
            `Tensor "${name}" in ${path} has shape [${tensor.shape}] but the model expects [${expectedDisk}]${transposed ? ' (HF Conv1D layout [in, out])' : ''}; check that config.json matches the weights.`,
          );
        }
        tf.tidy(() => target.assign(transposed ? tf.transpose(tensor) : tensor));
        // a parameter reached through an alias (tied lm_head) counts as loaded under its primary name
        for (const [primary, p] of params) if (p === target) sources.set(primary, file);
        dtypes.set(name, read.dtypes.get(name) as SafetensorsDtype);
      }
    } finally {
      tf.dispose([...read.tensors.values()]);
    }
  }
  const missing = [...params.keys()].filter((name) => !sources.has(name));
  if (missing.length > 0) {
    throw new CheckpointError(
      `Missing tensor${missing.length > 1 ? 's' : ''} ${missing.slice(0, 5).map((n) => `"${n}"`).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''} ` +
        `in ${files.map((f) => join(dir, f)).join(', ')}; check that config.json matches the weights.`,
    );
  }
  return { sources, dtypes };
}

/** Options of {@link saveWeights}. */
export interface SaveWeightsOptions {
  /** On-disk float dtype. Default 'F32'. */
  dtype?: 'F32' | 'F16' | 'BF16';
  /**
   * Shard when the weights exceed this many bytes (as transformers'
   * `max_shard_size`): tensors are packed in parameter order and a new shard
   * starts when the next tensor would overflow the current one. Default: one file.
   */
  maxShardBytes?: number;
}

const BYTES: Record<'F32' | 'F16' | 'BF16', number> = { F32: 4, F16: 2, BF16: 2 };

/** torch dtype names written to config.json (`dtype` / `torch_dtype`). */
export const TORCH_DTYPE: Record<'F32' | 'F16' | 'BF16', string> = { F32: 'float32', F16: 'float16', BF16: 'bfloat16' };

/**
 * Write `model`'s parameters as HF safetensors into `dir` (created if
 * needed): `model.safetensors`, or shards + `model.safetensors.index.json`
 * like `save_pretrained(max_shard_size=...)`. Tied parameters are written once
 * under their first name, as transformers does.
 * @returns the written file names
 * @throws {InvalidArgumentError} `invalid_argument` for a bad dtype or maxShardBytes.
 * @example
 * await saveWeights(model, ARCHITECTURES.get('llama')!, './out', { dtype: 'BF16', maxShardBytes: 2e9 });
 */
export async function saveWeights(model: Module, arch: Architecture, dir: string, options: SaveWeightsOptions = {}): Promise<string[]> {
  const dtype = options.dtype ?? 'F32';
  if (!(dtype in BYTES)) throw new InvalidArgumentError(`save: options.dtype must be 'F32', 'F16' or 'BF16', got ${JSON.stringify(dtype)}.`);
  const maxShard = options.maxShardBytes;
  if (maxShard !== undefined && (typeof maxShard !== 'number' || !(maxShard > 0))) {
    throw new InvalidArgumentError(`save: options.maxShardBytes must be a number > 0, got ${JSON.stringify(maxShard)}.`);
  }
  await mkdir(dir, { recursive: true });
  const params = model.namedParameters();
  const shards: Array<Array<[string, tf.Variable]>> = [[]];
  let current = 0;
  let totalBytes = 0;
  let totalParameters = 0;
  for (const entry of params) {
    const bytes = entry[1].size * BYTES[dtype];
    totalBytes += bytes;
    totalParameters += entry[1].size;
    if (maxShard !== undefined && current > 0 && current + bytes > maxShard) {
      shards.push([]);
      current = 0;
    }
    shards[shards.length - 1].push(entry);
    current += bytes;
  }
  const n = shards.length;
  const fileName = (i: number) => (n === 1 ? WEIGHTS_FILE : `model-${String(i + 1).padStart(5, '0')}-of-${String(n).padStart(5, '0')}.safetensors`);
  const weightMap: Record<string, string> = {};
  for (let i = 0; i < n; i++) {
    const tensors = new Map<string, tf.Tensor>();
    const created: tf.Tensor[] = [];
    try {
      for (const [name, p] of shards[i]) {
        const t = arch.transposedOnDisk?.(name) ? tf.transpose(p) : p;
        if (t !== p) created.push(t);
        tensors.set(name, t);
        weightMap[name] = fileName(i);
      }
      await writeSafetensors(join(dir, fileName(i)), tensors, { format: 'pt' }, { dtype });
    } finally {
      tf.dispose(created);
    }
  }
  if (n > 1) {
    const sorted = Object.fromEntries(Object.keys(weightMap).sort().map((k) => [k, weightMap[k]]));
    const index = { metadata: { total_parameters: totalParameters, total_size: totalBytes }, weight_map: sorted };
    await writeFile(join(dir, WEIGHTS_INDEX_FILE), `${JSON.stringify(index, null, 2)}\n`);
  }
  return Array.from({ length: n }, (_, i) => fileName(i)).concat(n > 1 ? [WEIGHTS_INDEX_FILE] : []);
}

/** JSON with keys sorted recursively and 2-space indent, as transformers' `to_json_string`. */
export function hfJson(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.keys(v as Record<string, unknown>).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])]));
    }
    return v;
  };
  return `${JSON.stringify(sort(value), null, 2)}\n`;
}

/** Write config.json: `hf` with `dtype` (and `torch_dtype` when present) set to the saved dtype. */
export async function saveConfig(hf: Record<string, unknown>, dir: string, dtype: 'F32' | 'F16' | 'BF16'): Promise<void> {
  const out: Record<string, unknown> = { ...hf, dtype: TORCH_DTYPE[dtype] };
  if ('torch_dtype' in hf) out.torch_dtype = TORCH_DTYPE[dtype];
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, CONFIG_FILE), hfJson(out));
}

/** Copy the tokenizer / generation files of `fromDir` that exist into `toDir`; returns the copied names. */
export async function copyTokenizerFiles(fromDir: string, toDir: string): Promise<string[]> {
  const copied: string[] = [];
  for (const name of TOKENIZER_FILES) {
    const src = join(fromDir, name);
    if (existsSync(src)) {
      await copyFile(src, join(toDir, name));
      copied.push(name);
    }
  }
  return copied;
}
