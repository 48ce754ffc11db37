// @llmkit/model: Decoder-only models (GPT-2, Llama) from config: forward, loss, log-probs, generate, Hugging Face checkpoint load/save, OpenAI-compatible client and server.
// Every export is listed by name; internals stay private.
export {
  packTokens,
  trainValSplit,
  randomWindows,
  evalLoss,
  CharTokenizer,
  type TokenEncoder,
  type CausalLMLike,
  type PackTokensOptions,
  type TrainValSplitOptions,
  type RandomWindowsOptions,
  type WindowBatch,
  type EvalLossOptions,
} from './pretraining/data.js';
export { pretrain, type PretrainOptions, type PretrainResult, type PretrainEvalRecord } from './pretraining/pretrain.js';
export {
  DecoderLM,
  type DecoderForwardOptions,
  type DecoderLossOptions,
  type ContinuationLogprobs,
  type ModelStepFn,
  type DecoderGenerateOptions,
} from './decoder-lm.js';
export { activationFn, ACTIVATION_NAMES, type ModelConfig } from './config.js';
export {
  ARCHITECTURES,
  registerArchitecture,
  getArchitecture,
  parseModelConfig,
  DecoderBody,
  type Architecture,
  type DecoderBodyForwardOptions,
} from './registry.js';
export { loadWeights, saveWeights, type LoadWeightsResult, type SaveWeightsOptions } from './checkpoint.js';
export { GPT2LMHeadModel, GPT2Model, GPT2Block, GPT2Attention, GPT2MLP, GPT2_ARCHITECTURE } from './architectures/gpt2.js';
export { LlamaForCausalLM, LlamaModel, LlamaDecoderLayer, LlamaMLP, LLAMA_ARCHITECTURE, QWEN2_ARCHITECTURE, MISTRAL_ARCHITECTURE } from './architectures/llama.js';
export { LocalLanguageModel, type LocalLanguageModelOptions, type DecoderLMLike } from './local-language-model.js';
export {
  serve,
  OpenAICompatibleModel,
  OpenAIApiError,
  LogprobsUnsupportedError,
  SseParser,
  sseData,
  CompletionRequestSchema,
  ChatCompletionRequestSchema,
  type ServeOptions,
  type ServerHandle,
  type OpenAICompatibleModelOptions,
  type SseEvent,
  type ServableModel,
  type TokenChunk,
  type TokenGenerateOptions,
  type TokenLogprob,
  type PromptTokenScore,
  type CompletionRequest,
  type ChatCompletionRequest,
  type CompletionResponse,
  type ChatCompletionResponse,
  type ChatCompletionChunk,
  type CompletionLogprobs,
  type ChatTokenLogprob,
  type OpenAIErrorBody,
  type OpenAIUsage,
  type OpenAIFinishReason,
} from './serving/index.js';
