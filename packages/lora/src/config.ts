import type { Rng } from '@llmkit/core';
import { z } from 'zod';
import { LoraError } from './errors.js';

/**
 * NF4 storage of the base weights of the wrapped layers (QLoRA): bitsandbytes'
 * `BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=...)`.
 */
export interface LoraQuantizeBaseConfig {
  type: 'nf4';
  /** Elements per absmax block (default 64, as bitsandbytes). */
  blockSize?: number;
  /** Quantize the block scales too (QLoRA's double quantization). Default true. */
  doubleQuant?: boolean;
}

/**
 * LoRA configuration, PEFT's `LoraConfig` in camelCase.
 *
 * @example
 * const config: LoraConfig = { r: 16, loraAlpha: 32, loraDropout: 0.05, targetModules: ['q_proj', 'v_proj'] };
 */
export interface LoraConfig {
  /** Rank of the update `B @ A` (default 8). */
  r?: number;
  /** `lora_alpha` (default 8): the update is scaled by `loraAlpha / r` (`loraAlpha / sqrt(r)` with rsLoRA). */
  loraAlpha?: number;
  /** Dropout on the adapter's input in training mode (default 0). */
  loraDropout?: number;
  /**
   * Which `Linear` modules get an adapter, as PEFT's `target_modules`: an array of names, each
   * matching a module whose dotted path equals it or ends with `.<name>`; a string, matched as
   * a regular expression against the whole path (Python `re.fullmatch`), except
   * `'all-linear'` (every Linear but the output layer); or a RegExp (full match).
   * Default: PEFT's per-architecture default (`['q_proj', 'v_proj']` for Llama, `['c_attn']` for GPT-2).
   */
  targetModules?: string | readonly string[] | RegExp;
  /** rsLoRA: scale by `loraAlpha / sqrt(r)` (default false). */
  useRslora?: boolean;
  /** DoRA: weight-decomposed LoRA with a trainable magnitude vector per output row (default false). */
  useDora?: boolean;
  /** Which biases train: `'none'` (default), `'all'` biases of the model, or `'lora_only'` (biases of the wrapped layers). */
  bias?: 'none' | 'all' | 'lora_only';
  /** Modules (names or suffixes) trained in full and saved with the adapter, e.g. `['lm_head']`. */
  modulesToSave?: readonly string[];
  /** `true` (default): A Kaiming-uniform, B zeros (PEFT); `'gaussian'`: A normal(0, 1/r); `false`: B random too (tests). */
  initLoraWeights?: boolean | 'gaussian';
  /** Written to adapter_config.json's `base_model_name_or_path` (default: the model's source folder or null). */
  baseModelNameOrPath?: string | null;
  /** QLoRA: keep the wrapped layers' base weights as NF4 and dequantize on the fly. llmkit extension, not saved. */
  quantizeBase?: LoraQuantizeBaseConfig;
  /** Generator of the adapter initialisation (default: core's default RNG). */
  rng?: Rng;
}

/** A {@link LoraConfig} with every default filled in. */
export interface ResolvedLoraConfig {
  r: number;
  loraAlpha: number;
  loraDropout: number;
  targetModules: string | string[] | RegExp | null;
  useRslora: boolean;
  useDora: boolean;
  bias: 'none' | 'all' | 'lora_only';
  modulesToSave: string[];
  initLoraWeights: boolean | 'gaussian';
  baseModelNameOrPath: string | null | undefined;
  quantizeBase: Required<LoraQuantizeBaseConfig> | null;
  rng: Rng | undefined;
}

const schema = z.object({
  r: z.number().int().positive().optional(),
  loraAlpha: z.number().finite().optional(),
  loraDropout: z.number().min(0).lt(1).optional(),
  targetModules: z.union([z.string().min(1), z.array(z.string().min(1)).min(1), z.instanceof(RegExp)]).optional(),
  useRslora: z.boolean().optional(),
  useDora: z.boolean().optional(),
  bias: z.enum(['none', 'all', 'lora_only']).optional(),
  modulesToSave: z.array(z.string().min(1)).optional(),
  initLoraWeights: z.union([z.boolean(), z.literal('gaussian')]).optional(),
  baseModelNameOrPath: z.string().nullable().optional(),
  quantizeBase: z
    .object({
      type: z.literal('nf4'),
      blockSize: z.number().int().positive().optional(),
      doubleQuant: z.boolean().optional(),
    })
    .strict()
    .optional(),
  rng: z.any().optional(),
}).strict();

/**
 * Validate a {@link LoraConfig} and fill PEFT's defaults.
 * @throws {LoraError} `lora_config` naming the bad field and its valid range.
 * @example
 * resolveLoraConfig({ r: 4 }).loraAlpha; // 8
 */
export function resolveLoraConfig(config: LoraConfig | undefined, what = 'applyLora(config)'): ResolvedLoraConfig {
  const parsed = schema.safeParse(config ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`).join('; ');
    throw new LoraError(
      'lora_config',
      `${what} is invalid: ${issues}. Expected e.g. { r: 8, loraAlpha: 16, loraDropout: 0.05, targetModules: ['q_proj', 'v_proj'] } (r a positive integer, loraDropout in [0, 1)).`,
    );
  }
  const c = parsed.data;
  const q = c.quantizeBase;
  if (q && (q.blockSize ?? 64) % 2 !== 0) {
    throw new LoraError('lora_config', `${what}: quantizeBase.blockSize must be even (bitsandbytes uses 64), got ${q.blockSize}.`);
  }
  return {
    r: c.r ?? 8,
    loraAlpha: c.loraAlpha ?? 8,
    loraDropout: c.loraDropout ?? 0,
    targetModules: c.targetModules === undefined ? null : Array.isArray(c.targetModules) ? [...c.targetModules] : (c.targetModules as string | RegExp),
    useRslora: c.useRslora ?? false,
    useDora: c.useDora ?? false,
    bias: c.bias ?? 'none',
    modulesToSave: [...(c.modulesToSave ?? [])],
    initLoraWeights: c.initLoraWeights ?? true,
    baseModelNameOrPath: c.baseModelNameOrPath,
    quantizeBase: q ? { type: 'nf4', blockSize: q.blockSize ?? 64, doubleQuant: q.doubleQuant ?? true } : null,
    rng: c.rng as Rng | undefined,
  };
}

/**
 * The factor of the update: `loraAlpha / r`, or `loraAlpha / sqrt(r)` with rsLoRA.
 * @example
 * loraScaling({ r: 16, loraAlpha: 32, useRslora: false }); // 2
 */
export function loraScaling(c: Pick<ResolvedLoraConfig, 'r' | 'loraAlpha' | 'useRslora'>): number {
  return c.useRslora ? c.loraAlpha / Math.sqrt(c.r) : c.loraAlpha / c.r;
}
