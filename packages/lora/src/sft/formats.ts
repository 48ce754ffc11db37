/**
 * SFT dataset formats and conversion between them, as the fine-tuning tools write them:
 *
 * - `messages` (OpenAI chat / TRL conversational): `{ "messages": [{ "role": "user", "content": "..." }, ...] }`
 * - ShareGPT (FastChat, LLaMA-Factory): `{ "conversations": [{ "from": "human", "value": "..." }, { "from": "gpt", ... }], "system"?: "..." }`
 * - Alpaca (Stanford Alpaca, LLaMA-Factory): `{ "instruction": "...", "input": "...", "output": "...", "system"?: "..." }`
 * - plain text (TRL language modeling): `{ "text": "..." }`
 * - prompt-completion (TRL): `{ "prompt": "...", "completion": "..." }`
 *
 * One record per JSONL line ({@link readJsonl}).
 */
import { readFileSync } from 'node:fs';
import { SftDatasetError } from './errors.js';

/** Roles of a chat message (OpenAI / transformers). */
export type SftRole = 'system' | 'user' | 'assistant' | 'tool';

/** One chat message. */
export interface SftMessage {
  role: SftRole;
  content: string;
  /** Optional speaker name (OpenAI `name`). */
  name?: string;
}

/** OpenAI / TRL conversational record. */
export interface MessagesRecord {
  messages: SftMessage[];
}

/** One ShareGPT turn: `from` is human / gpt / system / tool (also user / assistant / observation / function). */
export interface ShareGPTTurn {
  from: string;
  value: string;
}

/** ShareGPT record (FastChat); LLaMA-Factory's optional top-level `system`. */
export interface ShareGPTRecord {
  conversations: ShareGPTTurn[];
  system?: string;
}

/** Alpaca record: `input` (optional) is appended to `instruction` after a newline, as LLaMA-Factory does. */
export interface AlpacaRecord {
  instruction: string;
  input?: string;
  output: string;
  system?: string;
}

/** Plain-text record: the loss covers every token. */
export interface TextRecord {
  text: string;
}

/** TRL prompt-completion record: with completion-only loss, only the completion counts. */
export interface PromptCompletionRecord {
  prompt: string;
  completion: string;
}

/** Any record the SFT pipeline reads. */
export type SftRecord = MessagesRecord | ShareGPTRecord | AlpacaRecord | TextRecord | PromptCompletionRecord;

/** Names of the record formats. */
export type SftFormat = 'messages' | 'sharegpt' | 'alpaca' | 'text' | 'prompt_completion';

/** A record normalised to one of the three shapes the tokenizer step handles. */
export type SftExample = MessagesRecord | TextRecord | PromptCompletionRecord;

/** Where a record came from, for error messages. */
export interface RecordLocation {
  /** 0-based index in the dataset. */
  index?: number;
  /** 1-based JSONL line. */
  line?: number;
}

const ROLES: readonly SftRole[] = ['system', 'user', 'assistant', 'tool'];

/** ShareGPT `from` values and the role each maps to (FastChat, LLaMA-Factory, OpenChat spellings). */
const SHAREGPT_ROLES: Readonly<Record<string, SftRole>> = {
  human: 'user',
  user: 'user',
  gpt: 'assistant',
  assistant: 'assistant',
  chatgpt: 'assistant',
  bard: 'assistant',
  bing: 'assistant',
  system: 'system',
  tool: 'tool',
  observation: 'tool',
  function: 'tool',
};

/** Role to ShareGPT `from` (FastChat's spelling). */
const TO_SHAREGPT: Readonly<Record<SftRole, string>> = { user: 'human', assistant: 'gpt', system: 'system', tool: 'tool' };

function where(loc: RecordLocation | undefined): string {
  if (!loc) return 'record';
  if (loc.line !== undefined) return `line ${loc.line}`;
  if (loc.index !== undefined) return `record ${loc.index}`;
  return 'record';
}

function fail(loc: RecordLocation | undefined, message: string): never {
  throw new SftDatasetError(`${where(loc)}: ${message}`, loc?.line !== undefined ? { line: loc.line } : {});
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requireString(record: Record<string, unknown>, key: string, loc: RecordLocation | undefined, path = key): string {
  const value = record[key];
  if (typeof value !== 'string') {
    fail(loc, `"${path}" must be a string, got ${value === undefined ? 'nothing' : JSON.stringify(value)}.`);
  }
  return value;
}

function optionalString(record: Record<string, unknown>, key: string, loc: RecordLocation | undefined): string | undefined {
  const value = record[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') fail(loc, `"${key}" must be a string when present, got ${JSON.stringify(value)}.`);
  return value;
}

/**
 * The format of a record, from its keys: `messages`, `conversations` (ShareGPT), `instruction` + `output`
 * (Alpaca), `prompt` + `completion`, `text`.
 * @throws {SftDatasetError} `sft_dataset` when the record matches none (the message lists the accepted keys).
 * @example
 * detectFormat({ conversations: [{ from: 'human', value: 'Hi' }] }); // 'sharegpt'
 */
export function detectFormat(record: unknown, loc?: RecordLocation): SftFormat {
  if (!isObject(record)) fail(loc, `a dataset record must be a JSON object, got ${Array.isArray(record) ? 'an array' : JSON.stringify(record)}.`);
  if ('messages' in record) return 'messages';
  if ('conversations' in record) return 'sharegpt';
  if ('instruction' in record && 'output' in record) return 'alpaca';
  if ('prompt' in record && 'completion' in record) return 'prompt_completion';
  if ('text' in record) return 'text';
  fail(
    loc,
    `unknown record format with keys ${JSON.stringify(Object.keys(record))}; use "messages" (OpenAI), "conversations" (ShareGPT), ` +
      '"instruction"/"input"/"output" (Alpaca), "prompt"/"completion" or "text".',
  );
}

/**
 * Validate an OpenAI-style `{ messages }` record and return a clean copy (role, content and name only).
 * @throws {SftDatasetError} `sft_dataset` naming the message index and field for an empty list, an unknown role or non-string content.
 * @example
 * fromMessages({ messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello' }] });
 */
export function fromMessages(record: MessagesRecord | Record<string, unknown>, loc?: RecordLocation): MessagesRecord {
  if (!isObject(record)) fail(loc, 'a messages record must be an object { "messages": [...] }.');
  const list = record.messages;
  if (!Array.isArray(list) || list.length === 0) fail(loc, '"messages" must be a non-empty array of { role, content } objects.');
  const messages = list.map((m, i): SftMessage => {
    if (!isObject(m)) fail(loc, `messages[${i}] must be an object { role, content }, got ${JSON.stringify(m)}.`);
    const role = m.role;
    if (typeof role !== 'string' || !ROLES.includes(role as SftRole)) {
      fail(loc, `messages[${i}].role must be one of ${ROLES.join(', ')}, got ${JSON.stringify(role)}.`);
    }
    const content = requireString(m, 'content', loc, `messages[${i}].content`);
    const name = m.name;
    if (name !== undefined && typeof name !== 'string') fail(loc, `messages[${i}].name must be a string when present.`);
    return { role: role as SftRole, content, ...(typeof name === 'string' ? { name } : {}) };
  });
  return { messages };
}

/**
 * ShareGPT `{ conversations: [{ from, value }], system? }` to `{ messages }` (human/user → user,
 * gpt/assistant/chatgpt → assistant, system, tool/observation/function → tool; a top-level `system`
 * becomes the first message).
 * @throws {SftDatasetError} `sft_dataset` for an unknown `from` (named with its turn index) or a non-string `value`.
 * @example
 * fromShareGPT({ conversations: [{ from: 'human', value: 'Hi' }, { from: 'gpt', value: 'Hello' }] }).messages[1]; // { role: 'assistant', content: 'Hello' }
 */
export function fromShareGPT(record: ShareGPTRecord | Record<string, unknown>, loc?: RecordLocation): MessagesRecord {
  if (!isObject(record)) fail(loc, 'a ShareGPT record must be an object { "conversations": [...] }.');
  const turns = record.conversations;
  if (!Array.isArray(turns) || turns.length === 0) fail(loc, '"conversations" must be a non-empty array of { from, value } objects.');
  const messages: SftMessage[] = [];
  const system = optionalString(record, 'system', loc);
  if (system !== undefined && system !== '') messages.push({ role: 'system', content: system });
  turns.forEach((turn, i) => {
    if (!isObject(turn)) fail(loc, `conversations[${i}] must be an object { from, value }, got ${JSON.stringify(turn)}.`);
    const from = turn.from;
    const role = typeof from === 'string' ? SHAREGPT_ROLES[from.toLowerCase()] : undefined;
    if (!role) {
      fail(loc, `conversations[${i}].from must be one of ${Object.keys(SHAREGPT_ROLES).join(', ')}, got ${JSON.stringify(from)}.`);
    }
    messages.push({ role, content: requireString(turn, 'value', loc, `conversations[${i}].value`) });
  });
  return { messages };
}

/**
 * `{ messages }` (or a message array) to ShareGPT: a leading system message stays a `system` turn.
 * @throws {SftDatasetError} `sft_dataset` when the messages are malformed.
 * @example
 * toShareGPT({ messages: [{ role: 'user', content: 'Hi' }] }); // { conversations: [{ from: 'human', value: 'Hi' }] }
 */
export function toShareGPT(record: MessagesRecord | SftMessage[]): ShareGPTRecord {
  const { messages } = fromMessages(Array.isArray(record) ? { messages: record } : record);
  return { conversations: messages.map((m) => ({ from: TO_SHAREGPT[m.role], value: m.content })) };
}

/**
 * Alpaca `{ instruction, input?, output, system? }` to `{ messages }`: `[system], user, assistant`; the user
 * message is `instruction` followed by `"\n" + input` when `input` is non-empty (LLaMA-Factory's
 * `alpaca` converter).
 * @throws {SftDatasetError} `sft_dataset` for a missing or non-string field.
 * @example
 * fromAlpaca({ instruction: 'Upper-case', input: 'whale', output: 'WHALE' }).messages[0].content; // 'Upper-case\nwhale'
 */
export function fromAlpaca(record: AlpacaRecord | Record<string, unknown>, loc?: RecordLocation): MessagesRecord {
  if (!isObject(record)) fail(loc, 'an Alpaca record must be an object { "instruction", "input", "output" }.');
  const instruction = requireString(record, 'instruction', loc);
  const input = optionalString(record, 'input', loc) ?? '';
  const output = requireString(record, 'output', loc);
  const system = optionalString(record, 'system', loc);
  const messages: SftMessage[] = [];
  if (system !== undefined && system !== '') messages.push({ role: 'system', content: system });
  messages.push({ role: 'user', content: input === '' ? instruction : `${instruction}\n${input}` });
  messages.push({ role: 'assistant', content: output });
  return { messages };
}

/**
 * `{ messages }` holding `[system], user, assistant` to Alpaca (`input` is empty: the user message becomes
 * the instruction).
 * @throws {SftDatasetError} `sft_dataset` when the conversation is not a single user/assistant exchange.
 * @example
 * toAlpaca({ messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello' }] }); // { instruction: 'Hi', input: '', output: 'Hello' }
 */
export function toAlpaca(record: MessagesRecord | SftMessage[]): AlpacaRecord {
  const { messages } = fromMessages(Array.isArray(record) ? { messages: record } : record);
  const rest = messages[0]!.role === 'system' ? messages.slice(1) : messages;
  if (rest.length !== 2 || rest[0]!.role !== 'user' || rest[1]!.role !== 'assistant') {
    throw new SftDatasetError(
      `toAlpaca: Alpaca holds one exchange ([system], user, assistant), got roles ${messages.map((m) => m.role).join(', ')}; ` +
        'keep multi-turn conversations as messages or ShareGPT.',
    );
  }
  const out: AlpacaRecord = { instruction: rest[0]!.content, input: '', output: rest[1]!.content };
  if (messages[0]!.role === 'system') out.system = messages[0]!.content;
  return out;
}

/**
 * Any conversational record (messages, ShareGPT or Alpaca) as `{ messages }`.
 * @throws {SftDatasetError} `sft_dataset` for text / prompt-completion records or malformed ones.
 * @example
 * toMessages({ instruction: 'Say hi', output: 'hi' }); // { messages: [user, assistant] }
 */
export function toMessages(record: unknown, loc?: RecordLocation): MessagesRecord {
  const format = detectFormat(record, loc);
  const r = record as Record<string, unknown>;
  if (format === 'messages') return fromMessages(r, loc);
  if (format === 'sharegpt') return fromShareGPT(r, loc);
  if (format === 'alpaca') return fromAlpaca(r, loc);
  fail(loc, `a ${format} record is not a conversation; toMessages needs messages, ShareGPT or Alpaca records.`);
}

/**
 * Normalise any supported record: conversational formats become `{ messages }`; text and
 * prompt-completion records are validated and kept.
 * @throws {SftDatasetError} `sft_dataset` naming the record / line and the bad field.
 * @example
 * normalizeRecord({ from: 'x' }, { line: 3 }); // throws: line 3: unknown record format ...
 */
export function normalizeRecord(record: unknown, loc?: RecordLocation): SftExample {
  const format = detectFormat(record, loc);
  const r = record as Record<string, unknown>;
  if (format === 'text') return { text: requireString(r, 'text', loc) };
  if (format === 'prompt_completion') return { prompt: requireString(r, 'prompt', loc), completion: requireString(r, 'completion', loc) };
  return toMessages(r, loc);
}

/** Options of {@link readJsonl}. */
export interface ReadJsonlOptions {
  /** Validate every record as an SFT record ({@link normalizeRecord}) and return the normalised ones. Default true. */
  normalize?: boolean;
}

/**
 * Parse JSONL text (one JSON object per line; blank lines skipped). With `normalize` (default) every
 * record is validated and normalised to messages / text / prompt-completion.
 * @param source JSONL text, or `{ path }` of a file to read
 * @throws {SftDatasetError} `sft_dataset` with `line` set for invalid JSON, a non-object line or a malformed record.
 * @example
 * const records = readJsonl('{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello"}]}\n');
 */
export function readJsonl(source: string | { path: string }, options: ReadJsonlOptions & { normalize: false }): Record<string, unknown>[];
export function readJsonl(source: string | { path: string }, options?: ReadJsonlOptions): SftExample[];
export function readJsonl(source: string | { path: string }, options: ReadJsonlOptions = {}): SftExample[] | Record<string, unknown>[] {
  let text: string;
  let label = 'JSONL';
  if (typeof source === 'string') text = source;
  else if (isObject(source) && typeof source.path === 'string') {
    label = source.path;
    try {
      text = readFileSync(source.path, 'utf8');
    } catch (error) {
      throw new SftDatasetError(`readJsonl: cannot read ${source.path}: ${(error as Error).message}`, { cause: error });
    }
  } else {
    throw new SftDatasetError('readJsonl(source) needs JSONL text or { path } of a .jsonl file.');
  }
  const normalize = options.normalize ?? true;
  const out: Array<SftExample | Record<string, unknown>> = [];
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const lineText = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (lineText.trim() === '') return;
    const line = i + 1;
    let value: unknown;
    try {
      value = JSON.parse(lineText);
    } catch (error) {
      const snippet = lineText.length > 60 ? `${lineText.slice(0, 60)}...` : lineText;
      throw new SftDatasetError(`${label} line ${line}: invalid JSON (${(error as Error).message}) in ${JSON.stringify(snippet)}; write one JSON object per line.`, {
        line,
        cause: error,
      });
    }
    if (!isObject(value)) {
      throw new SftDatasetError(`${label} line ${line}: expected a JSON object per line, got ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}.`, { line });
    }
    out.push(normalize ? normalizeRecord(value, { line, index: out.length }) : value);
  });
  return out as SftExample[] | Record<string, unknown>[];
}

/**
 * Records as JSONL text (one `JSON.stringify` per line, trailing newline).
 * @example
 * toJsonl([{ text: 'a' }, { text: 'b' }]); // '{"text":"a"}\n{"text":"b"}\n'
 */
export function toJsonl(records: readonly object[]): string {
  return records.map((r) => JSON.stringify(r)).join('\n') + (records.length > 0 ? '\n' : '');
}
