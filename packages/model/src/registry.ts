/**
 * Architecture registry keyed by HF `model_type`. An architecture parses its
 * config.json, builds the decoder body (whose parameter paths are the HF
 * tensor names) and describes how tensors lie on disk.
 */
import { InvalidArgumentError } from '@llmkit/core/errors';
import { checkConfigObject, type ModelConfig } from './config.js';
import type { Architecture } from './architectures/base.js';
import { GPT2_ARCHITECTURE } from './architectures/gpt2.js';
import { LLAMA_ARCHITECTURE, QWEN2_ARCHITECTURE, MISTRAL_ARCHITECTURE } from './architectures/llama.js';

export { DecoderBody, type DecoderBodyForwardOptions, type Architecture } from './architectures/base.js';

const registry = new Map<string, Architecture>(
  [GPT2_ARCHITECTURE, LLAMA_ARCHITECTURE, QWEN2_ARCHITECTURE, MISTRAL_ARCHITECTURE].map((a) => [a.modelType, a]),
);

/**
 * Every registered architecture by `model_type` (gpt2, llama, qwen2, mistral
 * after the package's index has loaded).
 * @example
 * [...ARCHITECTURES.keys()]; // ['gpt2', 'llama', 'qwen2', 'mistral']
 */
export const ARCHITECTURES: ReadonlyMap<string, Architecture> = registry;

/**
 * Register (or replace) an architecture under its `modelType`.
 * @throws {InvalidArgumentError} `invalid_argument` when `arch` lacks modelType, parseConfig or build.
 * @example
 * registerArchitecture({ ...ARCHITECTURES.get('llama')!, modelType: 'my_llama' });
 */
export function registerArchitecture(arch: Architecture): void {
  if (
    !arch ||
    typeof arch.modelType !== 'string' ||
    arch.modelType === '' ||
    typeof arch.parseConfig !== 'function' ||
    typeof arch.build !== 'function'
  ) {
    throw new InvalidArgumentError('registerArchitecture: give an object with a non-empty modelType, parseConfig(hf) and build(config, rng).');
  }
  registry.set(arch.modelType, arch);
}

/**
 * The architecture for a `model_type`.
 * @throws {InvalidArgumentError} `invalid_argument` naming the supported types when none is registered.
 * @example
 * getArchitecture('gpt2').hfArchitecture; // 'GPT2LMHeadModel'
 */
export function getArchitecture(modelType: unknown): Architecture {
  const arch = typeof modelType === 'string' ? registry.get(modelType) : undefined;
  if (!arch) {
    throw new InvalidArgumentError(
      `Unsupported model_type ${JSON.stringify(modelType)}; supported: ${[...registry.keys()].join(', ')}. ` +
        'Set "model_type" in config.json to one of them, or registerArchitecture() your own.',
    );
  }
  return arch;
}

/**
 * Normalize a HF config.json object with the architecture of its `model_type`.
 * @throws {InvalidArgumentError} `invalid_argument` for an unknown model_type or a bad field (named in the message).
 * @example
 * const config = parseModelConfig({ model_type: 'llama', hidden_size: 64, num_attention_heads: 4, num_hidden_layers: 2, intermediate_size: 128, vocab_size: 256 });
 * config.numKvHeads; // 4
 */
export function parseModelConfig(hf: Record<string, unknown>): ModelConfig {
  checkConfigObject(hf, 'parseModelConfig(hf)');
  return getArchitecture(hf.model_type).parseConfig(hf);
}
