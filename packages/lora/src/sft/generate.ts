/**
 * Greedy (or sampled) answers of a fine-tuned chat model: render the conversation with the chat
 * template and the generation prompt, decode, stop at a stop string.
 */
import { InvalidArgumentError } from '@llmkit/core';
import type { DecoderLM } from '@llmkit/model';
import { applyChatTemplate, type Tokenizer } from '@llmkit/tokenizer';
import type { SftMessage } from './formats.js';
import type { ChatTemplateSource, SftTokenizer } from './tokenize.js';

/** Options of {@link generateResponse}. */
export interface GenerateResponseOptions extends ChatTemplateSource {
  tokenizer: SftTokenizer;
  /** Most new tokens. Default 64. */
  maxNewTokens?: number;
  /** Text that ends the answer (not included). Default: none (EOS / maxNewTokens only). */
  stop?: string[];
  /** Sampling temperature; 0 (default) is greedy. */
  temperature?: number;
  /** Token ids that end generation (default: the model's eos_token_id). */
  stopTokenIds?: number[];
}

/**
 * The model's answer to a conversation (or a raw prompt string), rendered with the chat template and its
 * generation prompt.
 * @throws {InvalidArgumentError} `invalid_argument` when the tokenizer cannot decode or no template is available.
 * @example
 * const answer = await generateResponse(lm, [{ role: 'user', content: 'upper whale' }], { tokenizer, chatTemplate: PLAIN_QA_TEMPLATE, stop: ['\n'] });
 */
export async function generateResponse(lm: DecoderLM, prompt: readonly SftMessage[] | string, options: GenerateResponseOptions): Promise<string> {
  const { tokenizer } = options;
  if (!tokenizer || typeof tokenizer.decode !== 'function') {
    throw new InvalidArgumentError('generateResponse: options.tokenizer must have encode(text) and decode(ids).');
  }
  let text: string;
  if (typeof prompt === 'string') text = prompt;
  else {
    text = applyChatTemplate(prompt, {
      ...(options.chatTemplate !== undefined ? { template: options.chatTemplate } : {}),
      ...(options.builtinTemplate !== undefined ? { builtin: options.builtinTemplate } : {}),
      ...(options.tokenizerConfig !== undefined ? { tokenizerConfig: options.tokenizerConfig } : {}),
      addGenerationPrompt: true,
    });
  }
  const ids =
    typeof (tokenizer as Tokenizer).encodeWithOffsets === 'function'
      ? (tokenizer as Tokenizer).encode(text, { addSpecialTokens: false, allowedSpecial: 'all' })
      : Array.from(tokenizer.encode(text));
  const decode = (x: number[]) => tokenizer.decode!(x);
  const eos = lm.config.eosTokenId;
  const stopTokenIds = options.stopTokenIds ?? (eos === undefined ? [] : Array.isArray(eos) ? eos : [eos]);
  const out: number[] = [];
  for await (const chunk of lm.generate(ids, {
    maxNewTokens: options.maxNewTokens ?? 64,
    config: { temperature: options.temperature ?? 0 },
    stopTokenIds,
    ...(options.stop && options.stop.length > 0 ? { stopSequences: options.stop } : {}),
    decode,
  })) {
    if (!stopTokenIds.includes(chunk.tokenId)) out.push(chunk.tokenId);
  }
  let answer = decode(out);
  for (const s of options.stop ?? []) {
    const at = answer.indexOf(s);
    if (at >= 0) answer = answer.slice(0, at);
  }
  return answer;
}
