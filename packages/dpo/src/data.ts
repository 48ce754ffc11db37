/**
 * Preference data in TRL's dataset formats, read from JSONL, and tokenization into
 * (prompt + completion) id sequences with a mask over the completion tokens.
 *
 * Paired records (DPO, IPO, ORPO, SimPO, ...):
 *   standard, explicit prompt      {"prompt": "...", "chosen": "...", "rejected": "..."}
 *   standard, implicit prompt      {"chosen": "... full text ...", "rejected": "..."}
 *   conversational, explicit       {"prompt": [{"role": "user", ...}], "chosen": [{"role": "assistant", ...}], "rejected": [...]}
 *   conversational, implicit       {"chosen": [user, assistant], "rejected": [user, assistant]}
 * Unpaired records (KTO):          {"prompt": ..., "completion": ..., "label": true | false}
 */
import { readFileSync } from 'node:fs';
import { applyChatTemplate, type ApplyChatTemplateOptions, type ChatMessage } from '@llmkit/tokenizer';
import { DpoError } from './errors.js';

/** A prompt or completion: plain text or a list of chat messages. */
export type PreferenceText = string | ChatMessage[];

/** One paired preference example with its prompt made explicit. */
export interface PreferenceExample {
  prompt: PreferenceText;
  chosen: PreferenceText;
  rejected: PreferenceText;
}

/** One unpaired KTO example. */
export interface KtoExample {
  prompt: PreferenceText;
  completion: PreferenceText;
  /** true: desirable, false: undesirable. */
  label: boolean;
}

/** Options of the JSONL readers. */
export interface ReadJsonlOptions {
  /** Name of the source in error messages (default: the path, or "<text>"). */
  source?: string;
}

const ROLES = new Set(['system', 'user', 'assistant', 'tool']);

function fail(message: string, line: number, source: string): never {
  throw new DpoError('preference_data', `${source}:${line}: ${message}`, { line, source });
}

function checkText(value: unknown, field: string, line: number, source: string): PreferenceText {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    value.forEach((m, i) => {
      if (!m || typeof m !== 'object' || !ROLES.has((m as ChatMessage).role) || typeof (m as ChatMessage).content !== 'string') {
        fail(
          `"${field}"[${i}] is not a chat message; each message needs "role" (system, user, assistant or tool) and a string "content".`,
          line,
          source,
        );
      }
    });
    return value as ChatMessage[];
  }
  return fail(`"${field}" must be a string (standard format) or an array of {role, content} messages (conversational format), got ${value === undefined ? 'nothing' : typeof value}.`, line, source);
}

const isConversational = (t: PreferenceText): t is ChatMessage[] => Array.isArray(t);

/**
 * The shared prompt of an implicit-prompt record, as TRL's `extract_prompt`: the longest common
 * prefix of chosen and rejected (characters, or whole messages), minus a trailing space.
 * @example
 * extractPrompt({ chosen: 'Q: sky? A: blue', rejected: 'Q: sky? A: green' }); // { prompt: 'Q: sky? A:', chosen: ' blue', rejected: ' green' }
 */
export function extractPrompt(example: { chosen: PreferenceText; rejected: PreferenceText }): PreferenceExample {
  const { chosen, rejected } = example;
  const n = Math.min(chosen.length, rejected.length);
  const same = (i: number) =>
    typeof chosen === 'string' ? chosen[i] === rejected[i] : JSON.stringify(chosen[i]) === JSON.stringify((rejected as ChatMessage[])[i]);
  let idx = 0;
  while (idx < n && same(idx)) idx++;
  if (idx < n && idx > 0 && typeof chosen === 'string' && chosen[idx - 1] === ' ') idx--;
  return {
    prompt: chosen.slice(0, idx) as PreferenceText,
    chosen: chosen.slice(idx) as PreferenceText,
    rejected: rejected.slice(idx) as PreferenceText,
  };
}

function parseLines(text: string, source: string): Array<{ line: number; record: Record<string, unknown> }> {
  const out: Array<{ line: number; record: Record<string, unknown> }> = [];
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    const trimmed = raw.trim();
    if (trimmed === '') return;
    let record: unknown;
    try {
      record = JSON.parse(trimmed);
    } catch (error) {
      fail(`not valid JSON (${(error as Error).message}); each line must hold one JSON object.`, line, source);
    }
    if (!record || typeof record !== 'object' || Array.isArray(record)) fail('each line must hold one JSON object.', line, source);
    out.push({ line, record: record as Record<string, unknown> });
  });
  return out;
}

/**
 * Check and normalise one paired record (explicit or implicit prompt, standard or conversational).
 * @throws {DpoError} `preference_data` naming the line and the field.
 */
export function parsePreferenceRecord(record: Record<string, unknown>, line = 1, source = '<record>'): PreferenceExample {
  if ('completion' in record && 'label' in record && !('chosen' in record)) {
    fail('this is an unpaired KTO record (prompt, completion, label); read it with readKtoJsonl.', line, source);
  }
  for (const key of ['chosen', 'rejected']) if (!(key in record)) fail(`missing "${key}"; a preference record needs "chosen" and "rejected" (and optionally "prompt").`, line, source);
  const chosen = checkText(record.chosen, 'chosen', line, source);
  const rejected = checkText(record.rejected, 'rejected', line, source);
  if (isConversational(chosen) !== isConversational(rejected)) fail('"chosen" and "rejected" must both be strings or both be message lists.', line, source);
  let example: PreferenceExample;
  if ('prompt' in record) {
    const prompt = checkText(record.prompt, 'prompt', line, source);
    if (isConversational(prompt) !== isConversational(chosen)) fail('"prompt" and the completions must both be strings or both be message lists.', line, source);
    example = { prompt, chosen, rejected };
  } else {
    example = extractPrompt({ chosen, rejected });
  }
  if (example.chosen.length === 0 || example.rejected.length === 0) {
    fail('"chosen" or "rejected" is empty after removing the prompt; both need a non-empty completion.', line, source);
  }
  return example;
}

/**
 * Check and normalise one unpaired KTO record.
 * @throws {DpoError} `preference_data` naming the line and the field.
 */
export function parseKtoRecord(record: Record<string, unknown>, line = 1, source = '<record>'): KtoExample {
  for (const key of ['prompt', 'completion', 'label']) if (!(key in record)) fail(`missing "${key}"; a KTO record needs "prompt", "completion" and a boolean "label".`, line, source);
  if (typeof record.label !== 'boolean') fail(`"label" must be true (desirable) or false (undesirable), got ${JSON.stringify(record.label)}.`, line, source);
  const prompt = checkText(record.prompt, 'prompt', line, source);
  const completion = checkText(record.completion, 'completion', line, source);
  if (isConversational(prompt) !== isConversational(completion)) fail('"prompt" and "completion" must both be strings or both be message lists.', line, source);
  if (completion.length === 0) fail('"completion" is empty.', line, source);
  return { prompt, completion, label: record.label };
}

function readText(pathOrText: string | { text: string }): { text: string; source: string } {
  if (typeof pathOrText === 'object' && pathOrText !== null && typeof pathOrText.text === 'string') return { text: pathOrText.text, source: '<text>' };
  if (typeof pathOrText !== 'string' || pathOrText === '') {
    throw new DpoError('dpo_invalid_argument', 'Pass the path of a JSONL file, or { text } holding JSONL content.');
  }
  try {
    return { text: readFileSync(pathOrText, 'utf8'), source: pathOrText };
  } catch (error) {
    throw new DpoError('preference_data', `Cannot read ${pathOrText}: ${(error as Error).message}. Check the path.`, { source: pathOrText, cause: error });
  }
}

/**
 * Read a JSONL file (or `{ text }`) of paired preference records in any of TRL's four formats.
 * Blank lines are skipped; every other line must be a valid record.
 * @throws {DpoError} `preference_data` with `line` set for the first malformed record.
 * @example
 * const pairs = readPreferenceJsonl('pairs.jsonl'); // [{ prompt, chosen, rejected }, ...]
 */
export function readPreferenceJsonl(pathOrText: string | { text: string }, options: ReadJsonlOptions = {}): PreferenceExample[] {
  const { text, source } = readText(pathOrText);
  const name = options.source ?? source;
  return parseLines(text, name).map(({ line, record }) => parsePreferenceRecord(record, line, name));
}

/**
 * Read a JSONL file (or `{ text }`) of unpaired KTO records (`prompt`, `completion`, `label`).
 * @throws {DpoError} `preference_data` with `line` set for the first malformed record.
 * @example
 * const examples = readKtoJsonl('kto.jsonl'); // [{ prompt, completion, label: true }, ...]
 */
export function readKtoJsonl(pathOrText: string | { text: string }, options: ReadJsonlOptions = {}): KtoExample[] {
  const { text, source } = readText(pathOrText);
  const name = options.source ?? source;
  return parseLines(text, name).map(({ line, record }) => parseKtoRecord(record, line, name));
}

/** Anything with `encode(text) -> ids` (a @llmkit/tokenizer Tokenizer, @llmkit/model's CharTokenizer). */
export interface TextEncoderLike {
  encode(text: string): ArrayLike<number>;
}

/** Options of {@link tokenizePreference} / {@link tokenizeKto}. */
export interface TokenizeOptions {
  tokenizer: TextEncoderLike;
  /**
   * Chat template options for conversational data (`template`, `tokenizerConfig` or `builtin`), as
   * @llmkit/tokenizer's applyChatTemplate. Without it, messages are joined as plain text
   * ("role: content" lines) - for tokenizers that have no chat template.
   */
  chatTemplate?: Omit<ApplyChatTemplateOptions, 'tokenize' | 'returnAssistantMask' | 'addGenerationPrompt' | 'continueFinalMessage'>;
  /** Appended to every completion (TRL appends EOS to standard-format completions). Default: none. */
  eosTokenId?: number;
  /** Reject sequences longer than this (no silent truncation). Default: no limit. */
  maxLength?: number;
}

/** A prompt followed by one completion, with the mask over the completion tokens. */
export interface TokenizedSequence {
  /** prompt ids followed by completion ids. */
  inputIds: number[];
  /** 1 on completion tokens, 0 on prompt tokens; same length as inputIds. */
  completionMask: number[];
  /** Number of prompt tokens. */
  promptLength: number;
}

/** A tokenized preference pair. */
export interface TokenizedPair {
  chosen: TokenizedSequence;
  rejected: TokenizedSequence;
}

/** A tokenized KTO example; prompt and completion are kept apart for the mismatched KL pairs. */
export interface TokenizedKtoExample {
  promptIds: number[];
  completionIds: number[];
  label: boolean;
}

function plainText(t: PreferenceText): string {
  return typeof t === 'string' ? t : t.map((m) => `${m.role}: ${m.content}\n`).join('');
}

function encode(tokenizer: TextEncoderLike, text: string): number[] {
  return Array.from(tokenizer.encode(text));
}

/** The prompt text and completion text of a (prompt, completion) under the options (chat template or plain). */
function renderPair(prompt: PreferenceText, completion: PreferenceText, options: TokenizeOptions): { promptText: string; completionText: string } {
  if (typeof prompt === 'string' || typeof completion === 'string' || !options.chatTemplate) {
    return { promptText: plainText(prompt), completionText: plainText(completion) };
  }
  // As TRL: the prompt rendered with the generation header, the full conversation rendered, and the
  // completion is the part of the full text after the prompt text.
  const promptText = applyChatTemplate(prompt, { ...options.chatTemplate, addGenerationPrompt: true });
  const full = applyChatTemplate([...prompt, ...completion], { ...options.chatTemplate });
  if (!full.startsWith(promptText)) {
    throw new DpoError(
      'preference_data',
      'The chat template renders the prompt differently with and without the completion, so the completion tokens cannot be located; use a template whose rendering of a conversation extends the rendering of its prompt.',
    );
  }
  return { promptText, completionText: full.slice(promptText.length) };
}

function sequence(promptIds: number[], completionIds: number[], options: TokenizeOptions, what: string): TokenizedSequence {
  const completion = options.eosTokenId !== undefined ? [...completionIds, options.eosTokenId] : completionIds;
  if (completion.length === 0) throw new DpoError('preference_data', `${what}: the completion encodes to no tokens.`);
  if (promptIds.length === 0) {
    throw new DpoError('preference_data', `${what}: the prompt encodes to no tokens; the first completion token needs a context (add a BOS token or a prompt).`);
  }
  const inputIds = [...promptIds, ...completion];
  if (options.maxLength !== undefined && inputIds.length > options.maxLength) {
    throw new DpoError('preference_data', `${what}: ${inputIds.length} tokens, more than maxLength ${options.maxLength}; shorten the example or raise maxLength.`);
  }
  return { inputIds, completionMask: [...promptIds.map(() => 0), ...completion.map(() => 1)], promptLength: promptIds.length };
}

/**
 * Tokenize a preference example: prompt ids + completion ids (+ EOS) for chosen and rejected,
 * each with a mask over the completion tokens. Conversational examples use the chat template when
 * `chatTemplate` is given.
 * @throws {DpoError} `preference_data` for an empty prompt/completion or a sequence over maxLength.
 * @example
 * const pair = tokenizePreference({ prompt: 'Call me', chosen: ' Ishmael.', rejected: ' Bob' }, { tokenizer });
 * pair.chosen.completionMask; // [0, ..., 0, 1, ..., 1]
 */
export function tokenizePreference(example: PreferenceExample, options: TokenizeOptions, index = 0): TokenizedPair {
  const what = `preference example ${index}`;
  const c = renderPair(example.prompt, example.chosen, options);
  const r = renderPair(example.prompt, example.rejected, options);
  return {
    chosen: sequence(encode(options.tokenizer, c.promptText), encode(options.tokenizer, c.completionText), options, `${what} (chosen)`),
    rejected: sequence(encode(options.tokenizer, r.promptText), encode(options.tokenizer, r.completionText), options, `${what} (rejected)`),
  };
}

/**
 * Tokenize a KTO example (prompt and completion ids kept apart).
 * @throws {DpoError} `preference_data` for an empty prompt or completion.
 * @example
 * const ex = tokenizeKto({ prompt: 'Call me', completion: ' Ishmael.', label: true }, { tokenizer });
 */
export function tokenizeKto(example: KtoExample, options: TokenizeOptions, index = 0): TokenizedKtoExample {
  const { promptText, completionText } = renderPair(example.prompt, example.completion, options);
  const s = sequence(encode(options.tokenizer, promptText), encode(options.tokenizer, completionText), options, `KTO example ${index}`);
  return { promptIds: s.inputIds.slice(0, s.promptLength), completionIds: s.inputIds.slice(s.promptLength), label: example.label };
}

/**
 * Unpaired KTO examples from preference pairs: each pair gives a desirable (chosen) and an
 * undesirable (rejected) example, as TRL's `unpair_preference_dataset`.
 * @example
 * const kto = unpairPreferences(pairs); // 2 * pairs.length examples
 */
export function unpairPreferences(pairs: PreferenceExample[]): KtoExample[] {
  return pairs.flatMap((p) => [
    { prompt: p.prompt, completion: p.chosen, label: true },
    { prompt: p.prompt, completion: p.rejected, label: false },
  ]);
}
