/**
 * OpenAI API request schemas (zod) and response shapes, as served by `serve()` and read by
 * `OpenAICompatibleModel`. Field names are the API's (snake_case).
 */
import { z } from 'zod';

const stop = z.union([z.string(), z.array(z.string()).max(16)]).nullable().optional();

const sampling = {
  model: z.string().optional(),
  max_tokens: z.number().int().min(0).nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().gt(0).max(1).nullable().optional(),
  /** vLLM / llama.cpp extension (-1 or 0: off). */
  top_k: z.number().int().min(-1).nullable().optional(),
  /** vLLM / llama.cpp extension. */
  min_p: z.number().min(0).max(1).nullable().optional(),
  /** vLLM / llama.cpp extension (transformers' multiplicative penalty). */
  repetition_penalty: z.number().gt(0).nullable().optional(),
  frequency_penalty: z.number().min(-2).max(2).nullable().optional(),
  presence_penalty: z.number().min(-2).max(2).nullable().optional(),
  seed: z.number().int().nullable().optional(),
  stop,
  n: z.number().int().min(1).max(16).nullable().optional(),
  stream: z.boolean().nullable().optional(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullable().optional(),
  logit_bias: z.record(z.string(), z.number().min(-100).max(100)).nullable().optional(),
  user: z.string().optional(),
};

const responseFormat = z
  .union([
    z.object({ type: z.literal('text') }),
    z.object({ type: z.literal('json_object') }),
    z.object({
      type: z.literal('json_schema'),
      json_schema: z.object({
        name: z.string().optional(),
        description: z.string().optional(),
        schema: z.record(z.string(), z.unknown()),
        strict: z.boolean().nullable().optional(),
      }),
    }),
  ])
  .nullable()
  .optional();

/**
 * POST /v1/completions body (zod; unknown fields are dropped).
 * @example
 * const body = CompletionRequestSchema.parse({ prompt: 'Hello', max_tokens: 8, logprobs: 2 });
 */
export const CompletionRequestSchema = z.object({
  ...sampling,
  prompt: z.union([z.string(), z.array(z.string()).min(1), z.array(z.number().int().min(0)).min(1), z.array(z.array(z.number().int().min(0)).min(1)).min(1)]),
  /** Number of top log-probabilities per token (0-20); null/absent: none. */
  logprobs: z.number().int().min(0).max(20).nullable().optional(),
  echo: z.boolean().nullable().optional(),
  suffix: z.string().nullable().optional(),
  best_of: z.number().int().min(1).nullable().optional(),
  response_format: responseFormat,
});
export type CompletionRequest = z.infer<typeof CompletionRequestSchema>;

const contentPart = z.object({ type: z.literal('text'), text: z.string() });

const chatMessage = z.object({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
  content: z.union([z.string(), z.array(contentPart)]).nullable().optional(),
  name: z.string().optional(),
  tool_call_id: z.string().optional(),
});

/**
 * POST /v1/chat/completions body (zod; unknown fields are dropped).
 * @example
 * const body = ChatCompletionRequestSchema.parse({ messages: [{ role: 'user', content: 'Hi' }], logprobs: true, top_logprobs: 2 });
 */
export const ChatCompletionRequestSchema = z.object({
  ...sampling,
  messages: z.array(chatMessage).min(1),
  max_completion_tokens: z.number().int().min(1).nullable().optional(),
  logprobs: z.boolean().nullable().optional(),
  top_logprobs: z.number().int().min(0).max(20).nullable().optional(),
  response_format: responseFormat,
});
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequestSchema>;

/** An OpenAI error body. */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** Usage object. */
export interface OpenAIUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** Legacy completions `logprobs` object. */
export interface CompletionLogprobs {
  tokens: string[];
  token_logprobs: Array<number | null>;
  top_logprobs: Array<Record<string, number> | null>;
  text_offset: number[];
}

/** Chat `logprobs.content` entry. */
export interface ChatTokenLogprob {
  token: string;
  logprob: number;
  bytes: number[] | null;
  top_logprobs: Array<{ token: string; logprob: number; bytes: number[] | null }>;
}

export type OpenAIFinishReason = 'stop' | 'length' | 'content_filter' | 'tool_calls' | 'function_call' | null;

/** POST /v1/completions response (and, with `object: 'text_completion'`, its stream chunks). */
export interface CompletionResponse {
  id: string;
  object: 'text_completion';
  created: number;
  model: string;
  system_fingerprint?: string | null;
  choices: Array<{ index: number; text: string; logprobs: CompletionLogprobs | null; finish_reason: OpenAIFinishReason }>;
  usage?: OpenAIUsage | null;
}

/** POST /v1/chat/completions response. */
export interface ChatCompletionResponse {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  system_fingerprint?: string | null;
  choices: Array<{
    index: number;
    message: { role: 'assistant'; content: string | null; refusal?: string | null };
    logprobs: { content: ChatTokenLogprob[] | null } | null;
    finish_reason: OpenAIFinishReason;
  }>;
  usage?: OpenAIUsage | null;
}

/** One `chat.completion.chunk` of a stream. */
export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  system_fingerprint?: string | null;
  choices: Array<{
    index: number;
    delta: { role?: 'assistant'; content?: string | null };
    logprobs: { content: ChatTokenLogprob[] | null } | null;
    finish_reason: OpenAIFinishReason;
  }>;
  usage?: OpenAIUsage | null;
}
