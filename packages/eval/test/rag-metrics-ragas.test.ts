import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChatMessage, Completion, Embedder, LanguageModel } from '@llmkit/core';
import { describe, expect, it } from 'vitest';
import {
  answerRelevancy,
  answerRelevancyScore,
  averagePrecision,
  contextPrecision,
  contextRecall,
  faithfulness,
  nonLlmContextPrecision,
  nonLlmContextRecall,
  parseJsonLoose,
  semanticSimilarity,
  stringSimilarity,
} from '../src/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const referencePath = path.resolve(here, '../../..', '../shared/reference/metric-vectors.json');
const hasReference = existsSync(referencePath);
if (!hasReference) console.warn(`[rag-metrics-ragas] ${referencePath} is absent: skipping the Ragas reference-vector parity tests.`);

/** An LLM that returns scripted outputs in order (or by a function of the prompt). */
class ScriptedLlm implements LanguageModel {
  readonly id = 'scripted-llm';
  prompts: string[] = [];
  constructor(private readonly outputs: string[] | ((prompt: string) => string)) {}
  async *generate() {
    yield { text: '', finishReason: 'stop' as const };
  }
  async complete(prompt: string | ChatMessage[]): Promise<Completion> {
    const text = (prompt as ChatMessage[])[0]!.content;
    this.prompts.push(text);
    const out = typeof this.outputs === 'function' ? this.outputs(text) : this.outputs[this.prompts.length - 1];
    if (out === undefined) throw new Error(`unscripted call ${this.prompts.length}`);
    return { text: out, finishReason: 'stop' };
  }
}

/** An embedder with fixed vectors per text. */
function tableEmbedder(table: Record<string, number[]>): Embedder {
  return {
    dimension: 3,
    async embed(texts) {
      return texts.map((t) => {
        if (!(t in table)) throw new Error(`no vector for ${t}`);
        return Float32Array.from(table[t]!);
      });
    },
  };
}

describe.skipIf(!hasReference)('Ragas parity (shared reference metric-vectors.json, rag block)', () => {
  const ref = hasReference ? JSON.parse(readFileSync(referencePath, 'utf8')).rag : undefined;
  it('context precision arithmetic and the LLM path give the reference scores', async () => {
    for (const c of ref.context_precision as Array<{ verdicts: number[]; score: number }>) {
      expect(Math.abs(averagePrecision(c.verdicts) - c.score)).toBeLessThan(1e-12);
      const llm = new ScriptedLlm(c.verdicts.map((v) => `{"reason": "scripted", "verdict": ${v}}`));
      const out = await contextPrecision(llm, { question: 'q', contexts: c.verdicts.map((_, i) => `ctx ${i}`), reference: 'r' });
      expect(out.verdicts).toEqual(c.verdicts);
      expect(Math.abs(out.score - c.score)).toBeLessThan(1e-12);
    }
  });
  it('answer relevancy: mean cosine, zero when all noncommittal', async () => {
    const a = ref.answer_relevancy;
    const n = a.generated_question_vecs.length;
    expect(Math.abs(answerRelevancyScore(a.question_vec, a.generated_question_vecs, new Array(n).fill(0)) - a.score_committal)).toBeLessThan(1e-12);
    expect(answerRelevancyScore(a.question_vec, a.generated_question_vecs, new Array(n).fill(1))).toBe(a.score_if_all_noncommittal);
    const table: Record<string, number[]> = { 'the question': a.question_vec };
    a.generated_question_vecs.forEach((v: number[], i: number) => (table[`generated ${i}`] = v));
    const llm = new ScriptedLlm(a.generated_question_vecs.map((_: unknown, i: number) => `{"question": "generated ${i}", "noncommittal": ${i === 0 ? 1 : 0}}`));
    const out = await answerRelevancy(llm, tableEmbedder(table), { question: 'the question', answer: 'an answer' }, { strictness: n });
    expect(Math.abs(out.score - a.score_committal)).toBeLessThan(1e-6);
    out.questions.forEach((q, i) => expect(Math.abs(q.cosine - a.cosine[i])).toBeLessThan(1e-6));
  });
});

describe('LLM-based RAG metrics with scripted outputs', () => {
  const sample = {
    question: 'Where and when was Einstein born?',
    answer: 'Einstein was born in Germany on 20 March 1879. He loved sailing.',
    contexts: ['Albert Einstein (born 14 March 1879) was a German-born theoretical physicist.'],
    reference: 'Albert Einstein was born in Ulm, Germany. He was born on 14 March 1879. He won the Nobel Prize in 1921.',
  };

  it('faithfulness = supported statements / statements (3 statements, 1 supported -> 1/3), robust to fences and trailing commas', async () => {
    const llm = new ScriptedLlm([
      'Here are the statements:\n```json\n{"statements": ["Einstein was born in Germany.", "Einstein was born on 20 March 1879.", "Einstein loved sailing.",]}\n```',
      'Sure! {"statements": [{"statement": "Einstein was born in Germany.", "reason": "German-born", "verdict": 1}, {"statement": "Einstein was born on 20 March 1879.", "reason": "the context says 14 March", "verdict": 0}, {"statement": "Einstein loved sailing.", "reason": "not mentioned", "verdict": "0"}]} Hope this helps.',
    ]);
    const out = await faithfulness(llm, sample);
    expect(out.score).toBeCloseTo(1 / 3, 15);
    expect(out.statements.map((s) => s.verdict)).toEqual([1, 0, 0]);
    expect(llm.prompts[1]).toContain(sample.contexts[0]);
  });

  it('retries once on unusable output, then fails with a typed error', async () => {
    const ok = await faithfulness(new ScriptedLlm(['I think the statements are many.', '["A statement."]', '{"statements":[{"verdict":1}]}']), sample);
    expect(ok.score).toBe(1);
    await expect(faithfulness(new ScriptedLlm(['nope', 'still nope']), sample)).rejects.toMatchObject({ code: 'eval_llm_json' });
    // A verdict list of the wrong length is the wrong shape too.
    await expect(faithfulness(new ScriptedLlm(['{"statements":["a","b"]}', '{"statements":[{"verdict":1}]}', '{"statements":[{"verdict":1}]}']), sample)).rejects.toMatchObject({ code: 'eval_llm_json' });
    const empty = await faithfulness(new ScriptedLlm(['{"statements": []}']), sample);
    expect(empty.score).toBeNaN();
  });

  it('context recall = attributed reference sentences / sentences (2 of 3)', async () => {
    const llm = new ScriptedLlm([
      '{"classifications": [{"statement": "born in Ulm, Germany", "reason": "German-born", "attributed": 1}, {"statement": "born on 14 March 1879", "attributed": "Yes"}, {"statement": "Nobel Prize 1921", "attributed": 0}]}',
    ]);
    const out = await contextRecall(llm, sample);
    expect(out.score).toBeCloseTo(2 / 3, 15);
    expect(out.classifications.map((c) => c.attributed)).toEqual([1, 1, 0]);
  });

  it('context precision over ranked contexts: verdicts [0, 1] -> (1/2) / 1 = 0.5', async () => {
    const llm = new ScriptedLlm((p) => (p.includes('physicist') ? '{"verdict": 1}' : "{'verdict': 0}"));
    const out = await contextPrecision(llm, { ...sample, contexts: ['Ulm is a city on the Danube.', sample.contexts[0]!] });
    expect(out.verdicts).toEqual([0, 1]);
    expect(out.score).toBeCloseTo(0.5, 9);
  });

  it('validates samples', async () => {
    await expect(faithfulness(new ScriptedLlm([]), { question: 'q', answer: 'a' })).rejects.toThrow(/contexts must be an array/);
    await expect(contextRecall(new ScriptedLlm([]), { question: 'q', contexts: [] })).rejects.toThrow(/reference must be a string/);
  });
});

describe('non-LLM variants', () => {
  it('string similarity (hand-derived) and JSON repair', () => {
    // kitten -> sitting: 3 edits, longest 7 characters.
    expect(stringSimilarity('kitten', 'sitting')).toBeCloseTo(1 - 3 / 7, 15);
    expect(stringSimilarity('the cat sat', 'The cat ran', 'jaccard')).toBeCloseTo(2 / 4, 15);
    expect(parseJsonLoose("prefix [1, 2,] suffix")).toEqual([1, 2]);
    expect(parseJsonLoose('no json here')).toBeUndefined();
  });

  it('context precision / recall from string similarity', async () => {
    const refs = ['Einstein was born in Ulm.', 'Einstein won the Nobel Prize in 1921.'];
    const retrieved = ['Paris is in France.', 'Einstein was born in Ulm!', 'Einstein won the Nobel prize in 1921.'];
    const p = await nonLlmContextPrecision(retrieved, refs);
    // verdicts [0, 1, 1]: (1/2 + 2/3) / 2 = 0.58333...
    expect(p.verdicts).toEqual([0, 1, 1]);
    expect(p.score).toBeCloseTo((1 / 2 + 2 / 3) / 2, 9);
    const r = await nonLlmContextRecall(retrieved.slice(0, 2), refs);
    expect(r.found).toEqual([1, 0]);
    expect(r.score).toBe(0.5);
  });

  it('semantic similarity and embedding-based relevance', async () => {
    const e = tableEmbedder({ a: [1, 0, 0], b: [1, 1, 0], c: [0, 0, 1] });
    expect(await semanticSimilarity(e, 'a', 'b')).toBeCloseTo(Math.SQRT1_2, 6);
    const sim = (x: string, y: string) => semanticSimilarity(e, x, y);
    const p = await nonLlmContextPrecision(['c', 'b'], ['a'], { similarity: sim, threshold: 0.7 });
    expect(p.verdicts).toEqual([0, 1]);
  });
});
