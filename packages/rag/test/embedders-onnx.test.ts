/** OnnxEmbedder and OnnxCrossEncoder against torch / onnxruntime (Python) references from tools/fixtures/gen_onnx_embedder.py. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { OnnxEmbedder } from '../src/embedders/onnx-embedder.js';
import { OnnxCrossEncoder } from '../src/embedders/onnx-cross-encoder.js';
import { EmbedderError } from '../src/embedders/errors.js';

const embDir = fileURLToPath(new URL('./fixtures/onnx-embedder', import.meta.url));
const ceDir = fileURLToPath(new URL('./fixtures/onnx-cross-encoder', import.meta.url));
const embRef = JSON.parse(readFileSync(`${embDir}/reference.json`, 'utf8')) as {
  maxLength: number;
  texts: string[];
  inputIds: number[][];
  embeddings: Record<string, number[][]>;
  normalized: Record<string, number[][]>;
};
const ceRef = JSON.parse(readFileSync(`${ceDir}/reference.json`, 'utf8')) as {
  maxLength: number;
  pairs: Array<[string, string]>;
  inputIds: number[][];
  typeIds: number[][];
  logits: number[];
  sigmoid: number[];
};

function expectAllClose(actual: ArrayLike<number>, expected: number[], atol: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i]! - expected[i]!), `index ${i}`).toBeLessThanOrEqual(atol);
}

describe('OnnxEmbedder', () => {
  it('tokenizes like HF tokenizers (template + truncation to maxLength)', async () => {
    const e = await OnnxEmbedder.fromDirectory(embDir, { maxLength: embRef.maxLength });
    expect(e.tokenize(embRef.texts)).toEqual(embRef.inputIds);
    expect(e.pooling).toBe('mean'); // from 1_Pooling/config.json
    expect(e.dimension).toBe(32);
  });

  for (const pooling of ['mean', 'cls', 'last'] as const) {
    it(`matches torch with ${pooling} pooling, normalized and raw, across batch sizes (atol 1e-5)`, async () => {
      for (const [normalize, batchSize] of [[true, 32], [false, 2]] as const) {
        const e = await OnnxEmbedder.fromDirectory(embDir, { pooling, normalize, batchSize, maxLength: embRef.maxLength });
        const got = await e.embed(embRef.texts);
        const want = (normalize ? embRef.normalized : embRef.embeddings)[pooling]!;
        got.forEach((v, i) => expectAllClose(v, want[i]!, 1e-5));
        await e.dispose();
      }
    });
  }

  it('fails with typed errors for a missing folder or model', async () => {
    await expect(OnnxEmbedder.fromDirectory('/nonexistent/model')).rejects.toSatisfy((e) => EmbedderError.isInstance(e) && (e as EmbedderError).code === 'not_found');
    await expect(OnnxEmbedder.fromDirectory(embDir, { modelFile: 'nope.onnx' })).rejects.toSatisfy((e) => (e as EmbedderError).code === 'not_found');
    await expect(OnnxEmbedder.fromDirectory(embDir, { batchSize: 0 })).rejects.toSatisfy((e) => (e as EmbedderError).code === 'invalid_argument');
  });
});

describe('OnnxCrossEncoder', () => {
  it('encodes pairs like HF tokenizers (pair template, type ids, longest-first truncation)', async () => {
    const ce = await OnnxCrossEncoder.fromDirectory(ceDir, { maxLength: ceRef.maxLength });
    ceRef.pairs.forEach(([q, d], i) => {
      expect(ce.tokenizePair(q, d)).toEqual({ ids: ceRef.inputIds[i], typeIds: ceRef.typeIds[i] });
    });
  });

  it('scores pairs like torch (logits and sigmoid, atol 1e-5) and reranks best first', async () => {
    const raw = await OnnxCrossEncoder.fromDirectory(ceDir, { maxLength: ceRef.maxLength, batchSize: 2 });
    const sig = await OnnxCrossEncoder.fromDirectory(ceDir, { maxLength: ceRef.maxLength, sigmoid: true });
    // Reference pairs have different queries: score them one by one.
    for (let i = 0; i < ceRef.pairs.length; i++) {
      const [q, d] = ceRef.pairs[i]!;
      expectAllClose(await raw.score(q, [d]), [ceRef.logits[i]!], 1e-5);
      expectAllClose(await sig.score(q, [d]), [ceRef.sigmoid[i]!], 1e-5);
    }
    const q = 'what is a whale';
    const docs = ['the whale is a mammal of the sea', 'Call me Ishmael.', 'Nantucket! Take out your map'].map((text, i) => ({ id: `d${i}`, text, metadata: {} }));
    const scores = await raw.score(q, docs.map((d) => d.text));
    const ranked = await raw.rerank(q, docs, { topN: 2 });
    expect(ranked.length).toBe(2);
    const order = scores.map((s, i) => [s, i] as const).sort((a, b) => b[0] - a[0]);
    expect(ranked.map((r) => r.document.id)).toEqual(order.slice(0, 2).map(([, i]) => `d${i}`));
  });
});
