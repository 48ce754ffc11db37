/**
 * Retrieval-augmented generation: retrieve, number the sources in a prompt, stream the answer
 * from any LanguageModel, and map the answer's `[n]` markers back to the source documents (and,
 * for chunks, their parent and span).
 */
import { InvalidArgumentError, type ChatMessage, type FinishReason, type GenerateOptions, type LanguageModel } from '@llmkit/core';
import { RagError, type Document, type Retriever, type RetrieveOptions } from '../types.js';
import { parseCitations, type Citation, type Source } from './citations.js';
import type { ConversationMemory } from './memory.js';

/** Default instructions; `{sources}` and `{question}` are filled in (and `{history}` when memory is used). */
export const RAG_PROMPT =
  'Answer the question using only the numbered sources below. Cite the sources you use with their numbers in square ' +
  "brackets, like [1] or [2][3]. If the sources do not contain the answer, say that you don't know.\n\n" +
  '{history}Sources:\n{sources}\n\nQuestion: {question}\nAnswer:';

/** LangChain's condense-question prompt, for follow-ups with memory. */
export const CONDENSE_PROMPT =
  'Given the following conversation and a follow up question, rephrase the follow up question to be a standalone question.\n\n' +
  'Chat History:\n{history}\nFollow Up Input: {question}\nStandalone question:';

export interface RagPipelineOptions {
  retriever: Retriever;
  llm: LanguageModel;
  /** Sources to retrieve. Default 4. */
  k?: number;
  /** Prompt template with `{sources}`, `{question}` and optionally `{history}`. Default {@link RAG_PROMPT}. */
  prompt?: string;
  /** How a source is shown. Default `[n] (source: <metadata.source or id>)\n<text>`. */
  formatSource?: (source: Source) => string;
  /** Budget for the sources block in characters. Lowest-ranked sources that do not fit are left out (and listed in `droppedSources`), never cut. Default unlimited. */
  maxContextChars?: number;
  /** Send the prompt as chat messages (system + user) instead of one string. Default false. */
  chat?: boolean;
  memory?: ConversationMemory;
  /** With memory: rewrite follow-up questions into standalone ones before retrieval. Default true when memory is set. */
  condenseQuestion?: boolean;
  generateOptions?: GenerateOptions;
}

export interface RagAnswer {
  question: string;
  /** The query sent to the retriever (the condensed question with memory). */
  query: string;
  answer: string;
  sources: Source[];
  citations: Citation[];
  /** Sources retrieved but left out of the prompt for `maxContextChars`. */
  droppedSources: Source[];
  prompt: string | ChatMessage[];
  finishReason: FinishReason;
}

export type RagStreamEvent =
  | { type: 'sources'; sources: Source[]; query: string }
  | { type: 'text'; text: string }
  | { type: 'done'; result: RagAnswer };

function formatHistory(messages: ChatMessage[]): string {
  return messages.map((m) => `${m.role === 'user' ? 'Human' : m.role === 'assistant' ? 'Assistant' : m.role}: ${m.content}`).join('\n');
}

function defaultFormat(source: Source): string {
  const name = source.document.metadata.source;
  return `[${source.index}] (source: ${typeof name === 'string' ? name : source.document.id})\n${source.document.text}`;
}

/**
 * @example
 * const rag = new RagPipeline({ retriever: bm25, llm: model, k: 4 });
 * for await (const event of rag.stream('Who is Queequeg?')) if (event.type === 'text') process.stdout.write(event.text);
 * const { answer, citations } = await rag.answer('Who is Queequeg?');
 * citations[0].documentId; // 'moby.txt#12'
 */
export class RagPipeline {
  readonly k: number;
  constructor(private readonly options: RagPipelineOptions) {
    if (typeof options?.retriever?.retrieve !== 'function') throw new InvalidArgumentError('RagPipeline: options.retriever (a Retriever) is required.');
    if (typeof options.llm?.generate !== 'function') throw new InvalidArgumentError('RagPipeline: options.llm (a LanguageModel) is required.');
    this.k = options.k ?? 4;
    if (!Number.isInteger(this.k) || this.k < 1) throw new InvalidArgumentError(`RagPipeline: k must be a positive integer; got ${this.k}.`);
    const budget = options.maxContextChars;
    if (budget !== undefined && (!Number.isFinite(budget) || budget <= 0)) throw new InvalidArgumentError(`RagPipeline: maxContextChars must be a positive number; got ${budget}.`);
    const prompt = options.prompt ?? RAG_PROMPT;
    if (!prompt.includes('{sources}') || !prompt.includes('{question}')) {
      throw new InvalidArgumentError('RagPipeline: the prompt template must contain {sources} and {question}.');
    }
  }

  private async condense(question: string, history: ChatMessage[], signal?: AbortSignal): Promise<string> {
    if (history.length === 0 || this.options.memory === undefined || this.options.condenseQuestion === false) return question;
    const prompt = CONDENSE_PROMPT.replace('{history}', formatHistory(history)).replace('{question}', question);
    try {
      const text = (await this.options.llm.complete(prompt, { temperature: 0, maxNewTokens: 128, signal })).text.trim();
      return text.split('\n')[0]!.trim() || question;
    } catch (cause) {
      throw new RagError('language_model', `RagPipeline: the language model ${this.options.llm.id} failed while condensing the question: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    }
  }

  /** Build the prompt for `question` and `documents` (exposed for inspection and tests). */
  buildPrompt(question: string, sources: Source[], history: ChatMessage[] = []): { prompt: string | ChatMessage[]; used: Source[]; dropped: Source[] } {
    const format = this.options.formatSource ?? defaultFormat;
    const used: Source[] = [];
    const dropped: Source[] = [];
    let length = 0;
    for (const s of sources) {
      const block = format(s);
      if (this.options.maxContextChars !== undefined && used.length > 0 && length + block.length + 2 > this.options.maxContextChars) {
        dropped.push(s);
        continue;
      }
      used.push(s);
      length += block.length + 2;
    }
    const template = this.options.prompt ?? RAG_PROMPT;
    const historyText = history.length > 0 ? `Conversation so far:\n${formatHistory(history)}\n\n` : '';
    const filled = template
      .replace('{history}', historyText)
      .replace('{sources}', used.map(format).join('\n\n'))
      .replace('{question}', question);
    if (!this.options.chat) return { prompt: filled, used, dropped };
    const cut = filled.indexOf('Sources:');
    const system = cut > 0 ? filled.slice(0, cut).trim() : 'Answer with citations like [1].';
    return { prompt: [{ role: 'system', content: system }, { role: 'user', content: cut > 0 ? filled.slice(cut) : filled }], used, dropped };
  }

  /** Retrieve, prompt, and stream the answer: a `sources` event, `text` events, then `done` with citations. */
  async *stream(question: string, options: RetrieveOptions & { generateOptions?: GenerateOptions } = {}): AsyncGenerator<RagStreamEvent, RagAnswer> {
    if (typeof question !== 'string' || question.trim() === '') throw new InvalidArgumentError('RagPipeline: question must be a non-empty string.');
    const memory = this.options.memory;
    const history = memory ? await memory.messages(question) : [];
    const query = await this.condense(question, history, options.signal);
    const hits = await this.options.retriever.retrieve(query, { k: options.k ?? this.k, filter: options.filter, signal: options.signal });
    const all: Source[] = hits.map((h, i) => ({ index: i + 1, document: h.document, score: h.score }));
    const { prompt, used, dropped } = this.buildPrompt(question, all, history);
    yield { type: 'sources', sources: used, query };
    let answer = '';
    let finishReason: FinishReason = 'stop';
    try {
      for await (const chunk of this.options.llm.generate(prompt, { temperature: 0, ...this.options.generateOptions, ...options.generateOptions, signal: options.signal })) {
        if (chunk.text) {
          answer += chunk.text;
          yield { type: 'text', text: chunk.text };
        }
        if (chunk.finishReason) finishReason = chunk.finishReason;
      }
    } catch (cause) {
      throw new RagError('language_model', `RagPipeline: the language model ${this.options.llm.id} failed while answering: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    }
    if (memory) await memory.add([{ role: 'user', content: question }, { role: 'assistant', content: answer }]);
    const result: RagAnswer = { question, query, answer, sources: used, citations: parseCitations(answer, used), droppedSources: dropped, prompt, finishReason };
    yield { type: 'done', result };
    return result;
  }

  /** {@link stream} to the end. */
  async answer(question: string, options: RetrieveOptions & { generateOptions?: GenerateOptions } = {}): Promise<RagAnswer> {
    let result: RagAnswer | undefined;
    for await (const event of this.stream(question, options)) if (event.type === 'done') result = event.result;
    return result!;
  }
}

/** The documents an answer cites, once each, in order of first citation. */
export function citedDocuments(result: RagAnswer): Document[] {
  const seen = new Set<number>();
  const out: Document[] = [];
  for (const c of result.citations) {
    if (c.source && !seen.has(c.index)) {
      seen.add(c.index);
      out.push(c.source.document);
    }
  }
  return out;
}
