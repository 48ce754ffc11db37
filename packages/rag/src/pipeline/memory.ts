/**
 * Conversation memory for multi-turn RAG: a window buffer of recent turns, a running summary kept
 * by a LanguageModel (older turns folded into it), and a vector memory that recalls the past
 * messages most similar to the current question from any VectorStore.
 */
import { InvalidArgumentError, type ChatMessage, type Embedder, type LanguageModel } from '@llmkit/core';
import { RagError, type VectorStore } from '../types.js';

/** What the pipeline needs from a memory. */
export interface ConversationMemory {
  /** Remember messages (a user question and the assistant's answer, usually). */
  add(messages: ChatMessage | ChatMessage[]): Promise<void>;
  /** Messages to put before the next question; `query` lets a memory choose relevant ones. */
  messages(query?: string): Promise<ChatMessage[]>;
  clear(): Promise<void>;
}

function asArray(messages: ChatMessage | ChatMessage[]): ChatMessage[] {
  const list = Array.isArray(messages) ? messages : [messages];
  for (const [i, m] of list.entries()) {
    if (m === null || typeof m !== 'object' || typeof m.content !== 'string' || !['system', 'user', 'assistant', 'tool'].includes(m.role)) {
      throw new InvalidArgumentError(`memory.add: message ${i} must be { role: 'user' | 'assistant' | 'system' | 'tool', content: string }; got ${JSON.stringify(m)?.slice(0, 80)}.`);
    }
  }
  return list;
}

/**
 * The last `k` exchanges (2k messages), like LangChain's BufferWindowMemory.
 * @example
 * const memory = new BufferWindowMemory({ k: 3 });
 */
export class BufferWindowMemory implements ConversationMemory {
  readonly k: number;
  private history: ChatMessage[] = [];
  constructor(options: { k?: number } = {}) {
    this.k = options.k ?? 5;
    if (!Number.isInteger(this.k) || this.k < 1) throw new InvalidArgumentError(`BufferWindowMemory: k must be a positive integer; got ${this.k}.`);
  }
  async add(messages: ChatMessage | ChatMessage[]): Promise<void> {
    this.history.push(...asArray(messages));
    if (this.history.length > 2 * this.k) this.history = this.history.slice(-2 * this.k);
  }
  async messages(): Promise<ChatMessage[]> {
    return this.history.slice();
  }
  async clear(): Promise<void> {
    this.history = [];
  }
}

/** LangChain's summarisation prompt (progressive summary). */
export const SUMMARY_PROMPT =
  'Progressively summarize the lines of conversation provided, adding onto the previous summary returning a new summary.\n\n' +
  'Current summary:\n{summary}\n\nNew lines of conversation:\n{newLines}\n\nNew summary:';

/**
 * Keeps the last `maxMessages` messages verbatim and folds older ones into a summary written by
 * `llm` (LangChain's ConversationSummaryBufferMemory). `messages()` returns the summary as a
 * system message followed by the recent messages.
 */
export class SummaryMemory implements ConversationMemory {
  private recent: ChatMessage[] = [];
  private summaryText = '';
  readonly maxMessages: number;
  constructor(private readonly options: { llm: LanguageModel; maxMessages?: number; prompt?: string }) {
    if (typeof options?.llm?.complete !== 'function') throw new InvalidArgumentError('SummaryMemory: options.llm (a LanguageModel) is required.');
    this.maxMessages = options.maxMessages ?? 4;
    if (!Number.isInteger(this.maxMessages) || this.maxMessages < 0) throw new InvalidArgumentError(`SummaryMemory: maxMessages must be an integer >= 0; got ${this.maxMessages}.`);
  }
  /** The running summary ('' until something was folded in). */
  get summary(): string {
    return this.summaryText;
  }
  async add(messages: ChatMessage | ChatMessage[]): Promise<void> {
    this.recent.push(...asArray(messages));
    if (this.recent.length <= this.maxMessages) return;
    const old = this.recent.slice(0, this.recent.length - this.maxMessages);
    const newLines = old.map((m) => `${m.role === 'user' ? 'Human' : m.role === 'assistant' ? 'AI' : m.role}: ${m.content}`).join('\n');
    const prompt = (this.options.prompt ?? SUMMARY_PROMPT).replace('{summary}', this.summaryText).replace('{newLines}', newLines);
    let text: string;
    try {
      text = (await this.options.llm.complete(prompt, { temperature: 0, maxNewTokens: 256 })).text.trim();
    } catch (cause) {
      throw new RagError('language_model', `SummaryMemory: the language model ${this.options.llm.id} failed while summarising: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    }
    this.summaryText = text;
    this.recent = this.maxMessages === 0 ? [] : this.recent.slice(-this.maxMessages);
  }
  async messages(): Promise<ChatMessage[]> {
    const head: ChatMessage[] = this.summaryText ? [{ role: 'system', content: `Summary of the earlier conversation: ${this.summaryText}` }] : [];
    return [...head, ...this.recent];
  }
  async clear(): Promise<void> {
    this.recent = [];
    this.summaryText = '';
  }
}

/**
 * Stores every message in a VectorStore and recalls the `k` most similar to the current query (in
 * their original order), plus the last `recent` messages verbatim.
 * @example
 * const memory = new VectorMemory({ embedder, store: new MemoryVectorStore({ dimension: embedder.dimension }) });
 */
export class VectorMemory implements ConversationMemory {
  private count = 0;
  private last: ChatMessage[] = [];
  readonly k: number;
  readonly recent: number;
  constructor(private readonly options: { embedder: Embedder; store: VectorStore; k?: number; recent?: number; idPrefix?: string }) {
    if (typeof options?.embedder?.embed !== 'function') throw new InvalidArgumentError('VectorMemory: options.embedder (an Embedder) is required.');
    if (typeof options.store?.upsert !== 'function') throw new InvalidArgumentError('VectorMemory: options.store (a VectorStore) is required.');
    if (options.store.dimension !== options.embedder.dimension) {
      throw new InvalidArgumentError(`VectorMemory: the store's dimension ${options.store.dimension} differs from the embedder's ${options.embedder.dimension}; create the store with the embedder's dimension.`);
    }
    this.k = options.k ?? 4;
    this.recent = options.recent ?? 2;
  }
  async add(messages: ChatMessage | ChatMessage[]): Promise<void> {
    const list = asArray(messages);
    const docs = list.map((m) => ({ id: `${this.options.idPrefix ?? 'memory'}-${this.count++}`, text: m.content, metadata: { role: m.role, turn: this.count - 1 } }));
    await this.options.store.upsert(docs, await this.options.embedder.embed(docs.map((d) => d.text)));
    this.last = [...this.last, ...list].slice(-Math.max(this.recent, 0));
  }
  async messages(query?: string): Promise<ChatMessage[]> {
    const recalled: Array<{ turn: number; message: ChatMessage }> = [];
    if (query !== undefined && query.trim() !== '' && this.count > 0) {
      const [vector] = await this.options.embedder.embed([query]);
      const hits = await this.options.store.search(vector!, { k: this.k + this.last.length });
      const recentTurns = new Set(Array.from({ length: this.last.length }, (_, i) => this.count - this.last.length + i));
      for (const h of hits) {
        const turn = h.document.metadata.turn as number;
        if (recentTurns.has(turn)) continue;
        recalled.push({ turn, message: { role: h.document.metadata.role as ChatMessage['role'], content: h.document.text } });
        if (recalled.length === this.k) break;
      }
      recalled.sort((a, b) => a.turn - b.turn);
    }
    return [...recalled.map((r) => r.message), ...this.last];
  }
  async clear(): Promise<void> {
    const ids = Array.from({ length: this.count }, (_, i) => `${this.options.idPrefix ?? 'memory'}-${i}`);
    if (ids.length > 0) await this.options.store.delete(ids);
    this.count = 0;
    this.last = [];
  }
}
