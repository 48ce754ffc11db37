// @llmkit/lora: LoRA, QLoRA, rsLoRA and DoRA adapters in PEFT format, merge/unmerge, and an SFT trainer.
// Every export is listed by name; internals stay private.

// LoRA / QLoRA / rsLoRA / DoRA adapters, merge/unmerge, PEFT format
export { LoraError, type LoraErrorCode } from './errors.js';
export { resolveLoraConfig, loraScaling, type LoraConfig, type LoraQuantizeBaseConfig, type ResolvedLoraConfig } from './config.js';
export { LoraLinear, type LoraLayerAdapter } from './lora-linear.js';
export { AdapterDict, LoraMagnitude } from './adapter-dict.js';
export { ModulesToSaveWrapper } from './modules-to-save.js';
export {
  LoraModel,
  applyLora,
  mergeAdapter,
  unmergeAdapter,
  mergeAndUnload,
  disableAdapter,
  type LoraAdapterConfig,
  type LoraLayerMemory,
  type LoraMemoryReport,
} from './lora-model.js';
export { saveAdapter, loadAdapter, type SaveAdapterOptions, type LoadAdapterOptions } from './peft-format.js';

// SFT: dataset formats, completion-only tokenization, padding / packing, SFTTrainer
export { SftDatasetError, SequenceTooLongError } from './sft/errors.js';
export {
  detectFormat,
  fromMessages,
  fromShareGPT,
  toShareGPT,
  fromAlpaca,
  toAlpaca,
  toMessages,
  normalizeRecord,
  readJsonl,
  toJsonl,
  type SftRole,
  type SftMessage,
  type MessagesRecord,
  type ShareGPTTurn,
  type ShareGPTRecord,
  type AlpacaRecord,
  type TextRecord,
  type PromptCompletionRecord,
  type SftRecord,
  type SftFormat,
  type SftExample,
  type RecordLocation,
  type ReadJsonlOptions,
} from './sft/formats.js';
export {
  IGNORE_INDEX,
  PLAIN_QA_TEMPLATE,
  renderConversation,
  tokenizeSftExample,
  type SftEncoder,
  type SftTokenizer,
  type ChatTemplateSource,
  type TokenizeSftOptions,
  type TokenizedSftExample,
} from './sft/tokenize.js';
export { collateSft, packBestFitDecreasing, type SftBatch } from './sft/collate.js';
export {
  SFTTrainer,
  sftLoss,
  type SFTConfig,
  type SFTTrainerOptions,
  type SftDatasetStats,
  type SftLrSchedulerType,
  type WrappedDecoderLM,
} from './sft/trainer.js';
export { generateResponse, type GenerateResponseOptions } from './sft/generate.js';
