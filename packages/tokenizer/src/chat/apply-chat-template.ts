import { Environment, Interpreter, Template } from '@huggingface/jinja';
import { ChatTemplateError, InvalidArgumentError, LlmkitError } from '../errors.js';
import type { Encoding, Tokenizer } from '../types.js';
import { BUILTIN_CHAT_TEMPLATES } from './builtin-templates.js';
import type { ApplyChatTemplateOptions, ChatMessage, ChatTemplateMaskResult, NamedChatTemplate } from './types.js';

type TemplateVariables = Record<string, unknown>;

interface ResolvedTemplate {
  source: string;
  variables: TemplateVariables;
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** Python's `datetime.now().strftime(format)` in the C locale, the common directives. */
function strftimeNow(format: string): string {
  const d = new Date();
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const hour12 = d.getHours() % 12 === 0 ? 12 : d.getHours() % 12;
  const dayOfYear = Math.floor((Date.UTC(d.getFullYear(), d.getMonth(), d.getDate()) - Date.UTC(d.getFullYear(), 0, 0)) / 86_400_000);
  return String(format).replace(/%[a-zA-Z%]/g, (directive) => {
    switch (directive) {
      case '%Y': return String(d.getFullYear());
      case '%y': return pad(d.getFullYear() % 100);
      case '%m': return pad(d.getMonth() + 1);
      case '%d': return pad(d.getDate());
      case '%e': return String(d.getDate()).padStart(2, ' ');
      case '%B': return MONTHS[d.getMonth()]!;
      case '%b': return MONTHS[d.getMonth()]!.slice(0, 3);
      case '%A': return DAYS[d.getDay()]!;
      case '%a': return DAYS[d.getDay()]!.slice(0, 3);
      case '%H': return pad(d.getHours());
      case '%I': return pad(hour12);
      case '%M': return pad(d.getMinutes());
      case '%S': return pad(d.getSeconds());
      case '%p': return d.getHours() < 12 ? 'AM' : 'PM';
      case '%j': return pad(dayOfYear, 3);
      case '%%': return '%';
      default: return directive;
    }
  });
}

/** The text of a special token from a config: a string, or an AddedToken object `{ content }`. */
function tokenContent(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') {
    return (value as { content: string }).content;
  }
  return undefined;
}

/** Special tokens of a tokenizer config as template variables, as transformers' `special_tokens_map` passes them. */
function specialTokenVariables(config: Record<string, unknown> | undefined): TemplateVariables {
  const variables: TemplateVariables = {};
  if (!config) return variables;
  for (const [key, value] of Object.entries(config)) {
    if (!key.endsWith('_token')) continue;
    const content = tokenContent(value);
    if (content !== undefined) variables[key] = content;
  }
  const extra = config['extra_special_tokens'];
  if (extra !== null && typeof extra === 'object' && !Array.isArray(extra)) {
    for (const [key, value] of Object.entries(extra)) {
      const content = tokenContent(value);
      if (content !== undefined) variables[key] = content;
    }
  }
  const additional = config['additional_special_tokens'];
  if (Array.isArray(additional)) {
    variables['additional_special_tokens'] = additional.map((t) => tokenContent(t)).filter((t) => t !== undefined);
  }
  return variables;
}

function configTemplate(config: Record<string, unknown>, templateName: string | undefined): string | undefined {
  const raw = config['chat_template'];
  if (typeof raw === 'string') {
    if (templateName !== undefined && templateName !== 'default') {
      throw new InvalidArgumentError(`templateName ${JSON.stringify(templateName)} was given, but the tokenizer config has a single unnamed chat_template.`);
    }
    return raw;
  }
  if (Array.isArray(raw)) {
    const named = raw as NamedChatTemplate[];
    const wanted = templateName ?? 'default';
    const found = named.find((t) => t && t.name === wanted);
    if (!found) {
      const names = named.map((t) => JSON.stringify(t?.name)).join(', ');
      throw new InvalidArgumentError(
        `The tokenizer config has no chat template named ${JSON.stringify(wanted)} (it has ${names}). Pass templateName with one of these names.`,
      );
    }
    if (typeof found.template !== 'string') throw new InvalidArgumentError(`chat_template ${JSON.stringify(wanted)} is not a string.`);
    return found.template;
  }
  return undefined;
}

function resolveTemplate(options: ApplyChatTemplateOptions): ResolvedTemplate {
  const config = options.tokenizerConfig as Record<string, unknown> | undefined;
  const variables = specialTokenVariables(config);
  let source = options.template;
  if (source === undefined && options.builtin !== undefined) {
    const builtin = BUILTIN_CHAT_TEMPLATES[options.builtin];
    if (!builtin) {
      throw new InvalidArgumentError(
        `Unknown builtin chat template ${JSON.stringify(options.builtin)}; expected one of ${Object.keys(BUILTIN_CHAT_TEMPLATES).join(', ')}.`,
      );
    }
    source = builtin.template;
    if (variables['bos_token'] === undefined && builtin.bosToken !== null) variables['bos_token'] = builtin.bosToken;
    if (variables['eos_token'] === undefined && builtin.eosToken !== null) variables['eos_token'] = builtin.eosToken;
  }
  if (source === undefined && config) source = configTemplate(config, options.templateName);
  if (source === undefined) {
    throw new InvalidArgumentError(
      config
        ? 'The tokenizer config has no chat_template. Pass options.template (a Jinja chat template) or options.builtin ' +
            `(one of ${Object.keys(BUILTIN_CHAT_TEMPLATES).join(', ')}).`
        : 'No chat template: pass options.template (a Jinja chat template), options.tokenizerConfig (a parsed tokenizer_config.json ' +
            `with a chat_template) or options.builtin (one of ${Object.keys(BUILTIN_CHAT_TEMPLATES).join(', ')}).`,
    );
  }
  if (typeof source !== 'string') throw new InvalidArgumentError('options.template must be a string.');
  return { source, variables };
}

/** Plain objects for the template: core's camelCase `toolCallId` is also exposed as `tool_call_id`. */
function templateMessages(messages: readonly ChatMessage[]): Array<Record<string, unknown>> {
  return messages.map((m, i) => {
    if (m === null || typeof m !== 'object' || typeof m.role !== 'string') {
      throw new InvalidArgumentError(`messages[${i}] must be an object with a string role.`);
    }
    const copy: Record<string, unknown> = { ...m };
    if (m.toolCallId !== undefined && copy['tool_call_id'] === undefined) copy['tool_call_id'] = m.toolCallId;
    return copy;
  });
}

const templateCache = new Map<string, Template>();

function compile(source: string): Template {
  let template = templateCache.get(source);
  if (!template) {
    try {
      template = new Template(source);
    } catch (cause) {
      throw new ChatTemplateError(`The chat template does not parse: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    }
    if (templateCache.size > 64) templateCache.clear();
    templateCache.set(source, template);
  }
  return template;
}

/** Python's range(stop) / range(start, stop[, step]). */
function range(first: number, stop?: number, step = 1): number[] {
  const [start, end] = stop === undefined ? [0, first] : [first, stop];
  if (step === 0) throw new ChatTemplateError('range() step must not be zero.');
  const out: number[] = [];
  for (let i = start; step > 0 ? i < end : i > end; i += step) out.push(i);
  return out;
}

/**
 * Render with our globals: Template.render declares @huggingface/jinja's own `raise_exception` (a plain
 * Error) and refuses to redeclare it, so the environment is built here with the same globals.
 */
function render(template: Template, variables: TemplateVariables): string {
  try {
    const env = new Environment();
    const globals: TemplateVariables = { false: false, true: true, none: null, False: false, True: true, None: null, range };
    for (const [name, value] of Object.entries({ ...globals, ...variables })) env.set(name, value);
    return new Interpreter(env).run(template.parsed).value as string;
  } catch (cause) {
    if (LlmkitError.isInstance(cause)) throw cause;
    throw new ChatTemplateError(`The chat template failed to render: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}

function baseVariables(resolved: ResolvedTemplate, options: ApplyChatTemplateOptions): TemplateVariables {
  return {
    ...resolved.variables,
    ...options.extra,
    tools: options.tools ?? null,
    documents: options.documents ?? null,
    raise_exception: (message: unknown) => {
      throw new ChatTemplateError(String(message));
    },
    strftime_now: strftimeNow,
  };
}

const GENERATION_TAG = /\{%(-?)\s*(end)?generation\s*(-?)%\}/g;

/**
 * Replace `{% generation %}` / `{% endgeneration %}` with block tags that print unique markers, keeping
 * the original tags' whitespace control (trim_blocks / lstrip_blocks apply to block tags).
 */
function markGenerationBlocks(source: string, start: string, end: string): string {
  return source.replace(GENERATION_TAG, (_, lstrip: string, isEnd: string | undefined, rstrip: string) =>
    `{%${lstrip} if true %}${isEnd ? end : start}{% endif ${rstrip}%}`,
  );
}

function extractMarkers(marked: string, start: string, end: string): { text: string; spans: Array<[number, number]> } {
  const spans: Array<[number, number]> = [];
  let text = '';
  let pos = 0;
  let open = -1;
  for (;;) {
    const s = marked.indexOf(start, pos);
    const e = marked.indexOf(end, pos);
    if (s < 0 && e < 0) break;
    const isStart = s >= 0 && (e < 0 || s < e);
    const at = isStart ? s : e;
    text += marked.slice(pos, at);
    if (isStart) {
      if (open >= 0) throw new ChatTemplateError('Nested {% generation %} blocks are not supported.');
      open = text.length;
      pos = at + start.length;
    } else {
      if (open < 0) throw new ChatTemplateError('{% endgeneration %} without a matching {% generation %}.');
      spans.push([open, text.length]);
      open = -1;
      pos = at + end.length;
    }
  }
  text += marked.slice(pos);
  if (open >= 0) spans.push([open, text.length]);
  return { text, spans };
}

/** transformers' continue_final_message: cut the rendering right after the final message's content. */
function continueFinal(text: string, messages: readonly ChatMessage[]): string {
  const last = messages[messages.length - 1];
  let content: unknown = last?.content;
  if (Array.isArray(content)) content = (content[content.length - 1] as { text?: unknown } | undefined)?.text;
  if (typeof content !== 'string') {
    throw new InvalidArgumentError('continueFinalMessage needs a final message whose content is a string.');
  }
  let at = text.lastIndexOf(content);
  if (at < 0) {
    content = content.trim();
    at = text.lastIndexOf(content as string);
  }
  if (at < 0) {
    throw new InvalidArgumentError(
      'continueFinalMessage: the final message content does not appear in the rendered chat, so the chat cannot be continued.',
    );
  }
  return text.slice(0, at + (content as string).length);
}

function commonPrefixLength(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

/**
 * Where the assistant turn ends in `full` when the rendering through it is not a prefix of the full chat
 * (templates that render the last assistant turn differently, e.g. Qwen3's empty think block): after its
 * content, plus the end-of-turn text both renderings share. -1 when the content cannot be found.
 */
function contentAnchoredEnd(message: Record<string, unknown>, through: string, full: string, start: number): number {
  const raw = message['content'];
  if (typeof raw !== 'string' || raw.length === 0) return -1;
  for (const content of [raw, raw.trim()]) {
    if (content.length === 0) continue;
    const inThrough = through.lastIndexOf(content);
    const inFull = full.indexOf(content, start);
    if (inThrough < 0 || inFull < 0) continue;
    const afterThrough = through.slice(inThrough + content.length);
    const afterFull = full.slice(inFull + content.length);
    return inFull + content.length + commonPrefixLength(afterThrough, afterFull);
  }
  return -1;
}

/**
 * Assistant spans without `{% generation %}` blocks: for each assistant message i, render messages[0..i)
 * with the generation prompt and messages[0..i] without; the assistant text is what the second adds.
 */
function spansByPrefixes(
  template: Template,
  variables: TemplateVariables,
  messages: Array<Record<string, unknown>>,
  full: string,
): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  // Text some templates append after the last message whatever add_generation_prompt says (the base
  // Llama 3 template always ends with the assistant header): it is not part of the assistant turn.
  let trailer = '';
  try {
    trailer = render(template, { ...variables, messages: [], add_generation_prompt: false });
  } catch {
    // Templates that read messages[0] cannot render an empty chat; they have no such trailer to find.
  }
  for (let i = 0; i < messages.length; i++) {
    if (messages[i]!['role'] !== 'assistant') continue;
    const before = render(template, { ...variables, messages: messages.slice(0, i), add_generation_prompt: true });
    let through = render(template, { ...variables, messages: messages.slice(0, i + 1), add_generation_prompt: false });
    if (trailer.length > 0 && through.endsWith(trailer)) through = through.slice(0, through.length - trailer.length);
    const start = Math.min(commonPrefixLength(before, through), commonPrefixLength(before, full));
    let end = full.startsWith(through) ? through.length : contentAnchoredEnd(messages[i]!, through, full, start);
    if (end < 0) end = commonPrefixLength(through, full);
    if (end > start) spans.push([start, end]);
  }
  return spans;
}

/** Index of the token whose offsets contain UTF-16 position `char`, or -1 (Hugging Face `char_to_token`). */
function charToToken(encoding: Encoding, char: number): number {
  const { offsets } = encoding;
  for (let t = 0; t < offsets.length; t++) {
    const [s, e] = offsets[t]!;
    if (s <= char && char < e) return t;
  }
  return -1;
}

/** transformers' token mask from char spans: the token holding the first char through the token holding the last. */
function maskFromSpans(encoding: Encoding, spans: Array<[number, number]>): number[] {
  const mask = new Array<number>(encoding.ids.length).fill(0);
  for (const [start, end] of spans) {
    if (end <= start) continue;
    const first = charToToken(encoding, start);
    if (first < 0) break;
    const last = charToToken(encoding, end - 1);
    const stop = last > 0 ? last + 1 : encoding.ids.length;
    for (let t = first; t < stop; t++) mask[t] = 1;
  }
  return mask;
}

function requireTokenizer(options: ApplyChatTemplateOptions, what: string): Tokenizer {
  if (!options.tokenizer) throw new InvalidArgumentError(`${what} needs options.tokenizer to turn the rendered chat into ids.`);
  return options.tokenizer;
}

/** Encode a rendered chat: no extra BOS (the template writes it), special tokens in the text recognised. */
const CHAT_ENCODE_OPTIONS = { addSpecialTokens: false, allowedSpecial: 'all' } as const;

/**
 * Render a conversation with a model's Jinja chat template, as transformers' `apply_chat_template` does
 * (same variables: `messages`, `add_generation_prompt`, `tools`, `documents`, the config's special tokens,
 * `raise_exception`, `strftime_now`; rendered by @huggingface/jinja with trim_blocks and lstrip_blocks).
 *
 * @param messages The conversation.
 * @param options The template source (`template`, `tokenizerConfig` or `builtin`) and rendering options.
 * @returns The prompt text; ids with `tokenize: true`; `{ text, ids, assistantMask, assistantSpans }` with `returnAssistantMask: true`.
 * @throws ChatTemplateError (`chat_template`) when the template calls `raise_exception` (with its message) or fails to parse/render.
 * @throws InvalidArgumentError (`invalid_argument`) when no template is available or options conflict.
 * @example
 * const prompt = applyChatTemplate(
 *   [{ role: 'user', content: 'Hi' }],
 *   { tokenizerConfig: JSON.parse(readFileSync('tokenizer_config.json', 'utf8')), addGenerationPrompt: true },
 * );
 * const { ids, assistantMask } = applyChatTemplate(conversation, { builtin: 'chatml', tokenizer, returnAssistantMask: true });
 */
export function applyChatTemplate(
  messages: readonly ChatMessage[],
  options: ApplyChatTemplateOptions & { returnAssistantMask: true },
): ChatTemplateMaskResult;
export function applyChatTemplate(messages: readonly ChatMessage[], options: ApplyChatTemplateOptions & { tokenize: true }): number[];
export function applyChatTemplate(messages: readonly ChatMessage[], options?: ApplyChatTemplateOptions): string;
export function applyChatTemplate(
  messages: readonly ChatMessage[],
  options: ApplyChatTemplateOptions = {},
): string | number[] | ChatTemplateMaskResult {
  if (!Array.isArray(messages)) throw new InvalidArgumentError('messages must be an array of chat messages.');
  const addGenerationPrompt = options.addGenerationPrompt ?? false;
  const continueFinalMessage = options.continueFinalMessage ?? false;
  if (continueFinalMessage && addGenerationPrompt) {
    throw new InvalidArgumentError(
      'continueFinalMessage and addGenerationPrompt cannot both be true: the first continues the final message, the second starts a new assistant turn.',
    );
  }
  if (continueFinalMessage && messages.length === 0) throw new InvalidArgumentError('continueFinalMessage needs at least one message.');

  const resolved = resolveTemplate(options);
  const variables = baseVariables(resolved, options);
  const chat = templateMessages(messages);
  const wantMask = options.returnAssistantMask === true;
  const hasGenerationBlocks = /\{%-?\s*generation\s*-?%\}/.test(resolved.source);

  let text: string;
  let spans: Array<[number, number]> = [];
  if (hasGenerationBlocks) {
    // Always rewrite the tags ourselves: @huggingface/jinja's own removal of {% generation %} keeps whitespace
    // that Python Jinja's trim_blocks/lstrip_blocks remove, so the text would differ from transformers'.
    const nonce = wantMask ? Math.random().toString(36).slice(2) : '';
    const start = wantMask ? `\u0002llmkit-generation-start-${nonce}\u0003` : '';
    const end = wantMask ? `\u0002llmkit-generation-end-${nonce}\u0003` : '';
    const template = compile(markGenerationBlocks(resolved.source, start, end));
    const marked = render(template, { ...variables, messages: chat, add_generation_prompt: addGenerationPrompt });
    ({ text, spans } = wantMask ? extractMarkers(marked, start, end) : { text: marked, spans: [] });
  } else {
    const template = compile(resolved.source);
    text = render(template, { ...variables, messages: chat, add_generation_prompt: addGenerationPrompt });
    if (wantMask) spans = spansByPrefixes(template, variables, chat, text);
  }
  if (continueFinalMessage) {
    text = continueFinal(text, messages);
    spans = spans.filter(([s]) => s < text.length).map(([s, e]) => [s, Math.min(e, text.length)]);
  }

  if (wantMask) {
    const tokenizer = requireTokenizer(options, 'returnAssistantMask');
    const encoding = tokenizer.encodeWithOffsets(text, CHAT_ENCODE_OPTIONS);
    return { text, ids: encoding.ids, assistantMask: maskFromSpans(encoding, spans), assistantSpans: spans };
  }
  if (options.tokenize) return requireTokenizer(options, 'tokenize').encode(text, CHAT_ENCODE_OPTIONS);
  return text;
}
