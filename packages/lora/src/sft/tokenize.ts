/**
 * SFT tokenization: a record becomes `inputIds` and `labels` (Hugging Face convention: aligned with
 * the inputs, -100 = not trained on). Conversations are rendered with the tokenizer's chat template;
 * with completion-only loss only the assistant tokens (the template's assistant mask, as
 * transformers' `return_assistant_tokens_mask`) or the completion of a prompt-completion record count.
 */
import { InvalidArgumentError } from '@llmkit/core';
import { applyChatTemplate, type BuiltinChatTemplateName, type Tokenizer } from '@llmkit/tokenizer';
import { SequenceTooLongError } from './errors.js';
import { normalizeRecord, type SftExample, type SftMessage } from './formats.js';

/** Label value that the loss ignores (PyTorch / transformers `ignore_index`). */
export const IGNORE_INDEX = -100;

/**
 * The smallest tokenizer the SFT pipeline accepts: `encode` (and `decode` for generation), such as
 * @llmkit/model's `CharTokenizer`. Without `encodeWithOffsets`, a rendered chat is encoded piece by piece
 * at the assistant-span boundaries (exact for character-level tokenizers and for any tokenizer whose
 * tokens do not cross those boundaries).
 */
export interface SftEncoder {
  encode(text: string): ArrayLike<number>;
  decode?(ids: ArrayLike<number>): string;
}

/** A full @llmkit/tokenizer `Tokenizer` (offsets, special tokens) or a plain {@link SftEncoder}. */
export type SftTokenizer = Tokenizer | SftEncoder;

/** Where the chat template comes from (first match wins: `chatTemplate`, `builtinTemplate`, `tokenizerConfig.chat_template`). */
export interface ChatTemplateSource {
  /** A Jinja chat template string. */
  chatTemplate?: string;
  /** A built-in template of @llmkit/tokenizer (`chatml`, `llama3`, `mistral`, `alpaca`). */
  builtinTemplate?: BuiltinChatTemplateName;
  /** A parsed tokenizer_config.json (its chat_template and special tokens). */
  tokenizerConfig?: Record<string, unknown>;
}

/** Options of {@link tokenizeSftExample}. */
export interface TokenizeSftOptions extends ChatTemplateSource {
  tokenizer: SftTokenizer;
  /** Most tokens per example; longer ones throw unless `truncation`. Default: no limit. */
  maxLength?: number;
  /** Cut examples longer than `maxLength` to their first `maxLength` tokens (TRL `truncation_mode="keep_start"`). Default false: throw. */
  truncation?: boolean;
  /**
   * Train only on assistant tokens (conversations) / the completion (prompt-completion records); TRL's
   * `assistant_only_loss` and `completion_only_loss`. Plain text always trains on every token. Default true.
   */
  completionOnlyLoss?: boolean;
  /** Token appended to text and prompt-completion examples (TRL appends EOS); conversations get the template's own end tokens. */
  eosTokenId?: number;
  /** Index of the example, for error messages. */
  index?: number;
}

/** One tokenized example. */
export interface TokenizedSftExample {
  inputIds: number[];
  /** Same length as `inputIds`: the token itself where it is trained on, -100 elsewhere (unshifted, as transformers' `labels`). */
  labels: number[];
}

/**
 * A minimal chat template for tokenizers without one (character-level models): `Q: <user>\n` and
 * `A: <assistant>\n\n`, a leading system message as its own line, `A: ` as the generation prompt.
 * Only the characters it writes (letters of Q and A, colon, space, newline) are needed in the vocabulary.
 * @example
 * applyChatTemplate([{ role: 'user', content: 'hi' }], { template: PLAIN_QA_TEMPLATE, addGenerationPrompt: true }); // 'Q: hi\nA: '
 */
export const PLAIN_QA_TEMPLATE =
  "{% for message in messages %}{% if message['role'] == 'system' %}{{ message['content'] + '\\n' }}" +
  "{% elif message['role'] == 'user' %}{{ 'Q: ' + message['content'] + '\\n' }}" +
  "{% elif message['role'] == 'assistant' %}{{ 'A: ' + message['content'] + '\\n\\n' }}" +
  "{% else %}{{ raise_exception('PLAIN_QA_TEMPLATE supports system, user and assistant messages only.') }}{% endif %}{% endfor %}" +
  "{% if add_generation_prompt %}{{ 'A: ' }}{% endif %}";

function hasOffsets(tokenizer: SftTokenizer): tokenizer is Tokenizer {
  return typeof (tokenizer as Tokenizer).encodeWithOffsets === 'function';
}

function templateOptions(source: ChatTemplateSource): { template?: string; builtin?: BuiltinChatTemplateName; tokenizerConfig?: Record<string, unknown> } {
  return {
    ...(source.chatTemplate !== undefined ? { template: source.chatTemplate } : {}),
    ...(source.builtinTemplate !== undefined ? { builtin: source.builtinTemplate } : {}),
    ...(source.tokenizerConfig !== undefined ? { tokenizerConfig: source.tokenizerConfig } : {}),
  };
}

function encodeIds(tokenizer: SftTokenizer, text: string): number[] {
  if (text === '') return [];
  if (hasOffsets(tokenizer)) return tokenizer.encode(text, { addSpecialTokens: false, allowedSpecial: 'all' });
  return Array.from(tokenizer.encode(text));
}

/**
 * A conversation rendered with the chat template: token ids and the assistant mask (1 on assistant tokens).
 * Full tokenizers use @llmkit/tokenizer's `applyChatTemplate(..., { returnAssistantMask: true })`; plain
 * encoders encode the text piecewise at the assistant spans.
 * @throws {InvalidArgumentError} `invalid_argument` when no chat template is available.
 * @example
 * const { ids, assistantMask } = renderConversation(messages, { tokenizer: charTokenizer, chatTemplate: PLAIN_QA_TEMPLATE });
 */
export function renderConversation(
  messages: readonly SftMessage[],
  options: ChatTemplateSource & { tokenizer: SftTokenizer },
): { text: string; ids: number[]; assistantMask: number[] } {
  const source = templateOptions(options);
  if (source.template === undefined && source.builtin === undefined && source.tokenizerConfig?.chat_template == null) {
    throw new InvalidArgumentError(
      'SFT: conversational data needs a chat template; pass chatTemplate (a Jinja string, e.g. PLAIN_QA_TEMPLATE for character-level models), ' +
        "builtinTemplate ('chatml', ...) or a tokenizerConfig with chat_template.",
    );
  }
  const { tokenizer } = options;
  if (hasOffsets(tokenizer)) {
    const result = applyChatTemplate(messages, { ...source, tokenizer, returnAssistantMask: true });
    return { text: result.text, ids: result.ids, assistantMask: result.assistantMask };
  }
  // Plain encoder: render text and spans (the shim's empty encoding is never used), then encode the pieces.
  const shim = {
    encodeWithOffsets: () => ({ ids: [], tokens: [], offsets: [], specialTokensMask: [] }),
  } as unknown as Tokenizer;
  const { text, assistantSpans } = applyChatTemplate(messages, { ...source, tokenizer: shim, returnAssistantMask: true });
  const ids: number[] = [];
  const assistantMask: number[] = [];
  let at = 0;
  const push = (piece: string, flag: number) => {
    for (const id of encodeIds(tokenizer, piece)) {
      ids.push(id);
      assistantMask.push(flag);
    }
  };
  for (const [start, end] of [...assistantSpans].sort((a, b) => a[0] - b[0])) {
    if (start < at) continue;
    push(text.slice(at, start), 0);
    push(text.slice(start, end), 1);
    at = end;
  }
  push(text.slice(at), 0);
  return { text, ids, assistantMask };
}

/**
 * Tokenize one SFT record (any format of {@link normalizeRecord}) into input ids and labels.
 * @throws {SequenceTooLongError} `sequence_too_long` when it has more than `maxLength` tokens and `truncation` is off.
 * @throws {SftDatasetError} `sft_dataset` for a malformed record.
 * @throws {InvalidArgumentError} `invalid_argument` for bad options or a conversation without a chat template.
 * @example
 * const { inputIds, labels } = tokenizeSftExample({ prompt: 'Q: 2+2?\nA: ', completion: '4\n' }, { tokenizer, maxLength: 64 });
 */
export function tokenizeSftExample(record: SftExample | Record<string, unknown>, options: TokenizeSftOptions): TokenizedSftExample {
  if (!options || !options.tokenizer || typeof options.tokenizer.encode !== 'function') {
    throw new InvalidArgumentError('tokenizeSftExample: options.tokenizer must have an encode(text) method.');
  }
  const { maxLength, tokenizer } = options;
  if (maxLength !== undefined && !(Number.isInteger(maxLength) && maxLength >= 2)) {
    throw new InvalidArgumentError(`SFT: maxLength must be an integer >= 2, got ${String(maxLength)}.`);
  }
  const completionOnly = options.completionOnlyLoss ?? true;
  const example = normalizeRecord(record, options.index !== undefined ? { index: options.index } : undefined);
  const eos = options.eosTokenId !== undefined ? [options.eosTokenId] : [];
  let ids: number[];
  let trainMask: number[];
  if ('messages' in example) {
    const rendered = renderConversation(example.messages, { ...options, tokenizer });
    ids = rendered.ids;
    trainMask = completionOnly ? rendered.assistantMask : rendered.ids.map(() => 1);
  } else if ('prompt' in example) {
    const prompt = encodeIds(tokenizer, example.prompt);
    const completion = [...encodeIds(tokenizer, example.completion), ...eos];
    ids = [...prompt, ...completion];
    trainMask = [...prompt.map(() => (completionOnly ? 0 : 1)), ...completion.map(() => 1)];
  } else {
    ids = [...encodeIds(tokenizer, example.text), ...eos];
    trainMask = ids.map(() => 1);
  }
  if (maxLength !== undefined && ids.length > maxLength) {
    if (!options.truncation) {
      const which = options.index !== undefined ? `example ${options.index}` : 'the example';
      throw new SequenceTooLongError(
        `SFT: ${which} has ${ids.length} tokens, more than maxLength ${maxLength}; raise maxLength, shorten or drop the example, ` +
          `or pass truncation: true to keep its first ${maxLength} tokens.`,
        { index: options.index ?? -1, length: ids.length, maxLength },
      );
    }
    ids = ids.slice(0, maxLength);
    trainMask = trainMask.slice(0, maxLength);
  }
  return { inputIds: ids, labels: ids.map((id, i) => (trainMask[i] ? id : IGNORE_INDEX)) };
}
