export { serve, type ServeOptions, type ServerHandle } from './server.js';
export { OpenAICompatibleModel, OpenAIApiError, LogprobsUnsupportedError, type OpenAICompatibleModelOptions } from './client.js';
export { SseParser, sseData, type SseEvent } from './sse.js';
export type { ServableModel, TokenChunk, TokenGenerateOptions, TokenLogprob, PromptTokenScore } from './types.js';
export {
  CompletionRequestSchema,
  ChatCompletionRequestSchema,
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
} from './openai-types.js';
