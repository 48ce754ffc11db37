import { LlmkitError, type LlmkitErrorOptions } from '@llmkit/core/errors';

/**
 * Stable codes of {@link LoraError}:
 * - `lora_config`: an invalid LoRA configuration (rank, alpha, target modules, adapter name...);
 * - `lora_target`: a target module is missing from the model or is not a `Linear`;
 * - `lora_adapter_format`: an adapter folder (adapter_config.json / adapter_model.safetensors)
 *   is malformed, has unknown or missing tensors, or does not fit the model;
 * - `lora_state`: an operation does not fit the current state (merging twice, unknown adapter,
 *   merging into an NF4 base...).
 */
export type LoraErrorCode = 'lora_config' | 'lora_target' | 'lora_adapter_format' | 'lora_state';

/**
 * Error of @llmkit/lora. Catch by kind with `LoraError.isInstance(e)` and branch on `e.code`.
 *
 * @example
 * try { await loadAdapter(model, './adapter') } catch (e) {
 *   if (LoraError.isInstance(e) && e.code === 'lora_adapter_format') console.error(e.message);
 * }
 */
export class LoraError extends LlmkitError {
  declare readonly code: LoraErrorCode;
  constructor(code: LoraErrorCode, message: string, options?: LlmkitErrorOptions) {
    super(code, message, options);
  }
}
