/** Test doubles for retrieval and pipeline tests: a hashing embedder and a scripted language model. */
import type { Completion, Embedder, GenerateOptions, GenerationChunk, LanguageModel, ChatMessage } from '@llmkit/core';
import { createAnalyzer } from '../src/index.js';

/**
 * Feature-hashing bag-of-stems embedder (FNV-1a into `dimension` buckets, L2-normalised): texts
 * sharing stems get high cosine similarity, so dense retrieval behaves sensibly and deterministically.
 */
export function hashingEmbedder(dimension = 512): Embedder & { calls: number } {
  const analyze = createAnalyzer();
  const embedder = {
    dimension,
    calls: 0,
    async embed(texts: string[]): Promise<Float32Array[]> {
      embedder.calls++;
      return texts.map((t) => {
        const v = new Float32Array(dimension);
        for (const term of analyze(t)) {
          let h = 0x811c9dc5;
          for (let i = 0; i < term.length; i++) h = Math.imul(h ^ term.charCodeAt(i), 0x01000193);
          v[(h >>> 0) % dimension]! += 1;
        }
        let n = 0;
        for (const x of v) n += x * x;
        n = Math.sqrt(n) || 1;
        return v.map((x) => x / n);
      });
    },
  };
  return embedder;
}

/** A LanguageModel whose answer is `respond(prompt)`, streamed in 7-character pieces; records prompts. */
export function scriptedModel(respond: (prompt: string) => string): LanguageModel & { prompts: string[] } {
  const prompts: string[] = [];
  const text = (prompt: string | ChatMessage[]) => (typeof prompt === 'string' ? prompt : prompt.map((m) => `${m.role}: ${m.content}`).join('\n'));
  const model = {
    id: 'scripted@test',
    prompts,
    async *generate(prompt: string | ChatMessage[], _options?: GenerateOptions): AsyncIterable<GenerationChunk> {
      const p = text(prompt);
      prompts.push(p);
      const answer = respond(p);
      for (let i = 0; i < answer.length; i += 7) yield { text: answer.slice(i, i + 7) };
      yield { text: '', finishReason: 'stop' };
    },
    async complete(prompt: string | ChatMessage[], options?: GenerateOptions): Promise<Completion> {
      let out = '';
      for await (const chunk of model.generate(prompt, options)) out += chunk.text;
      return { text: out, finishReason: 'stop' };
    },
  };
  return model;
}
