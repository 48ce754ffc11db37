/**
 * One contract suite for every VectorStore (memory, HNSW, PgVectorStore on PGlite and over the
 * Postgres wire protocol). Expected values are hand-derived in comments or come from an independent
 * brute-force search written here.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { DistanceMetric, Document, MetadataFilter, VectorStore } from '../src/types.js';
import { VectorStoreError } from '../src/types.js';

export type StoreFactory = (options: { dimension: number; metric: DistanceMetric }) => Promise<VectorStore>;

function doc(id: string, metadata: Document['metadata'] = {}, text = `text of ${id}`): Document {
  return { id, text, metadata };
}

async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  let caught: unknown;
  try {
    await p;
  } catch (e) {
    caught = e;
  }
  expect(VectorStoreError.isInstance(caught), `expected VectorStoreError ${code}, got ${String(caught)}`).toBe(true);
  expect((caught as VectorStoreError).code).toBe(code);
}

/** Deterministic pseudo-random vectors (mulberry32), independent of the code under test. */
export function randomVectors(n: number, d: number, seed: number): Float32Array[] {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from({ length: n }, () => Float32Array.from({ length: d }, () => next() * 2 - 1));
}

/** Independent exact reference: similarity in float64 from the definition of each metric. */
export function referenceTopK(vectors: Float32Array[], ids: string[], q: Float32Array, k: number, metric: DistanceMetric): Array<{ id: string; score: number }> {
  const norm = (v: Float32Array): number => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  const scored = vectors.map((v, i) => {
    let s: number;
    if (metric === 'l2') s = -Math.sqrt(v.reduce((acc, x, j) => acc + (x - q[j]!) ** 2, 0));
    else {
      const dotp = v.reduce((acc, x, j) => acc + x * q[j]!, 0);
      s = metric === 'ip' ? dotp : dotp / (norm(v) * norm(q));
    }
    return { id: ids[i]!, score: s };
  });
  return scored.sort((a, b) => b.score - a.score).slice(0, k);
}

export function vectorStoreContract(name: string, factory: StoreFactory, options: { approximate?: boolean } = {}): void {
  describe(`VectorStore contract: ${name}`, () => {
    const open: VectorStore[] = [];
    const make = async (dimension: number, metric: DistanceMetric = 'cosine'): Promise<VectorStore> => {
      const s = await factory({ dimension, metric });
      open.push(s);
      return s;
    };
    afterEach(async () => {
      for (const s of open.splice(0)) await s.close().catch(() => undefined);
    });

    it('upserts, replaces by id, gets in the order asked, counts', async () => {
      const s = await make(4);
      await s.upsert([doc('a', { n: 1 }), doc('b'), doc('c')], [new Float32Array([1, 0, 0, 0]), new Float32Array([0, 1, 0, 0]), new Float32Array([0, 0, 1, 0])]);
      expect(await s.count()).toBe(3);
      await s.upsert([doc('a', { n: 2 }, 'replaced')], [new Float32Array([0, 0, 0, 1])]);
      expect(await s.count()).toBe(3);
      const got = await s.get(['c', 'missing', 'a']);
      expect(got[0]?.id).toBe('c');
      expect(got[1]).toBeUndefined();
      expect(got[2]).toEqual({ id: 'a', text: 'replaced', metadata: { n: 2 } });
      const hits = await s.search(new Float32Array([0, 0, 0, 1]), { k: 1 });
      expect(hits[0]!.document.id).toBe('a');
      expect(hits[0]!.score).toBeCloseTo(1, 5); // cosine of identical directions
      // The old vector of 'a' is gone: the query along x no longer finds it first.
      const x = await s.search(new Float32Array([1, 0, 0, 0]), { k: 3 });
      expect(x[0]!.score).toBeLessThan(0.5);
    });

    it('add rejects an existing id with duplicate_id', async () => {
      const s = await make(2);
      await s.add([doc('a')], [new Float32Array([1, 0])]);
      await expectCode(s.add([doc('a')], [new Float32Array([0, 1])]), 'duplicate_id');
      expect((await s.get(['a']))[0]?.text).toBe('text of a');
    });

    it('deletes by id (unknown ids are ignored) and never returns deleted documents', async () => {
      const s = await make(3);
      const vs = randomVectors(20, 3, 1);
      await s.upsert(vs.map((_, i) => doc(`d${i}`)), vs);
      await s.delete(['d3', 'd7', 'nope']);
      expect(await s.count()).toBe(18);
      expect(await s.get(['d3', 'd7', 'd4'])).toEqual([undefined, undefined, doc('d4')]);
      const hits = await s.search(vs[3]!, { k: 20 });
      expect(hits.map((h) => h.document.id)).not.toContain('d3');
      expect(hits.length).toBe(18); // k larger than count returns everything left
    });

    it('returns all documents, best first, when k exceeds the count', async () => {
      const s = await make(2);
      await s.upsert([doc('a'), doc('b')], [new Float32Array([1, 0]), new Float32Array([1, 1])]);
      const hits = await s.search(new Float32Array([1, 0]), { k: 10 });
      expect(hits.map((h) => h.document.id)).toEqual(['a', 'b']);
    });

    // a = (1,0,0,0), b = (0,2,0,0), c = (1,1,0,0); q = (3,1,0,0).
    // cosine: a 3/sqrt(10) = 0.948683, b 2/(2 sqrt(10)) = 0.316228, c 4/(sqrt(2) sqrt(10)) = 0.894427
    // ip: a 3, b 2, c 4.  l2 (score = -distance): a -sqrt(5) = -2.236068, b -sqrt(10) = -3.162278, c -2.
    const expected: Record<DistanceMetric, Array<[string, number]>> = {
      cosine: [['a', 0.948683], ['c', 0.894427], ['b', 0.316228]],
      ip: [['c', 4], ['a', 3], ['b', 2]],
      l2: [['c', -2], ['a', -2.236068], ['b', -3.162278]],
    };
    for (const metric of ['cosine', 'ip', 'l2'] as const) {
      it(`scores with metric ${metric}`, async () => {
        const s = await make(4, metric);
        expect(s.metric).toBe(metric);
        await s.upsert([doc('a'), doc('b'), doc('c')], [new Float32Array([1, 0, 0, 0]), new Float32Array([0, 2, 0, 0]), new Float32Array([1, 1, 0, 0])]);
        const hits = await s.search(new Float32Array([3, 1, 0, 0]), { k: 3 });
        expect(hits.map((h) => h.document.id)).toEqual(expected[metric].map((e) => e[0]));
        hits.forEach((h, i) => expect(h.score).toBeCloseTo(expected[metric][i]![1], 5));
      });
    }

    it('matches an independent brute-force search on random vectors', async () => {
      for (const metric of ['cosine', 'l2'] as const) {
        const s = await make(16, metric);
        const vs = randomVectors(300, 16, 7);
        const ids = vs.map((_, i) => `v${i}`);
        await s.upsert(ids.map((id) => doc(id)), vs);
        for (const q of randomVectors(5, 16, 99)) {
          const ref = referenceTopK(vs, ids, q, 10, metric);
          const hits = await s.search(q, { k: 10 });
          const overlap = hits.filter((h) => ref.some((r) => r.id === h.document.id)).length;
          if (options.approximate) expect(overlap).toBeGreaterThanOrEqual(9);
          else expect(hits.map((h) => h.document.id)).toEqual(ref.map((r) => r.id));
          for (const h of hits) {
            const r = ref.find((x) => x.id === h.document.id);
            if (r) expect(h.score).toBeCloseTo(r.score, 4);
          }
        }
      }
    });

    describe('metadata filters', () => {
      const metas: Array<Document['metadata']> = [
        { n: 0, tag: 'x', lang: 'en', obj: { a: 1, b: [1, 2] } },
        { n: 1, tag: 'y', lang: 'fr', flag: true },
        { n: 2, tag: 'x', lang: 'de', nothing: null },
        { n: 3, tag: 'y', lang: 'en', flag: false },
        { n: 4, tag: 'z', lang: 'fr', obj: { b: [1, 2], a: 1 } },
        { n: 5.5, lang: 'en' },
        { n: '6', tag: 'x' },
      ];
      // [filter, expected ids] — each derived by reading `metas` above.
      const cases: Array<[MetadataFilter, string[]]> = [
        [{ tag: 'x' }, ['m0', 'm2', 'm6']],
        [{ tag: { $eq: 'y' } }, ['m1', 'm3']],
        [{ tag: { $ne: 'x' } }, ['m1', 'm3', 'm4', 'm5']], // m5 has no tag: $ne matches
        [{ n: { $gt: 2 } }, ['m3', 'm4', 'm5']], // '6' is a string: not compared with numbers
        [{ n: { $gte: 2 } }, ['m2', 'm3', 'm4', 'm5']],
        [{ n: { $lt: 1 } }, ['m0']],
        [{ n: { $lte: 1, $gte: 1 } }, ['m1']],
        [{ n: { $gt: 1, $lt: 5 } }, ['m2', 'm3', 'm4']],
        [{ lang: { $gt: 'en' } }, ['m1', 'm4']], // 'fr' > 'en'; 'de' < 'en'
        [{ lang: { $in: ['en', 'de'] } }, ['m0', 'm2', 'm3', 'm5']],
        [{ lang: { $nin: ['en', 'de'] } }, ['m1', 'm4', 'm6']], // m6 has no lang
        [{ lang: { $in: [] } }, []],
        [{ flag: true }, ['m1']],
        [{ flag: false }, ['m3']],
        [{ nothing: null }, ['m2']], // explicit null only
        [{ obj: { a: 1, b: [1, 2] } }, ['m0', 'm4']], // deep equality, key order ignored
        [{ n: 5.5 }, ['m5']],
        [{ n: '6' }, ['m6']],
        [{ $or: [{ tag: 'z' }, { n: { $lt: 1 } }] }, ['m0', 'm4']],
        [{ $and: [{ lang: 'en' }, { tag: { $ne: 'y' } }] }, ['m0', 'm5']],
        [{ lang: 'en', $or: [{ tag: 'y' }] }, ['m3']],
        [{ $or: [] }, []],
        [{ $and: [] }, ['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6']],
        [{ tag: { $in: ['x', 'z'] }, n: { $lt: 3 } }, ['m0', 'm2']],
      ];
      let s: VectorStore;
      it('filters with every operator', async () => {
        s = await make(3);
        const vs = randomVectors(metas.length, 3, 5);
        await s.upsert(metas.map((m, i) => doc(`m${i}`, m)), vs);
        for (const [filter, ids] of cases) {
          const hits = await s.search(new Float32Array([1, 0.5, 0.25]), { k: 10, filter });
          expect(hits.map((h) => h.document.id).sort(), JSON.stringify(filter)).toEqual(ids);
        }
        expect((await s.get(['m0']))[0]!.metadata).toEqual(metas[0]);
      });
      it('rejects malformed filters with invalid_filter', async () => {
        s = await make(3);
        await s.upsert([doc('a', { n: 1 })], [new Float32Array([1, 0, 0])]);
        const q = new Float32Array([1, 0, 0]);
        await expectCode(s.search(q, { filter: { n: { $regex: 'x' } as never } }), 'invalid_filter');
        await expectCode(s.search(q, { filter: { n: { $gt: [1] } as never } }), 'invalid_filter');
        await expectCode(s.search(q, { filter: { $not: [] } as never }), 'invalid_filter');
        await expectCode(s.search(q, { filter: { n: { $in: 3 } as never } }), 'invalid_filter');
      });
      it('treats filter values as data, never as SQL', async () => {
        s = await make(3);
        const evil = "x'); DROP TABLE llmkit_vectors; --";
        await s.upsert([doc('a', { [evil]: evil })], [new Float32Array([1, 0, 0])]);
        const hits = await s.search(new Float32Array([1, 0, 0]), { filter: { [evil]: evil } });
        expect(hits.map((h) => h.document.id)).toEqual(['a']);
        expect(await s.count()).toBe(1);
      });
    });

    it('rejects vectors of the wrong dimension with dimension_mismatch', async () => {
      const s = await make(4);
      await expectCode(s.upsert([doc('a')], [new Float32Array(3)]), 'dimension_mismatch');
      await expectCode(s.search(new Float32Array(5)), 'dimension_mismatch');
      await expectCode(s.upsert([doc('a')], [new Float32Array([1, NaN, 0, 0])]), 'invalid_vector');
      await expectCode(s.search(new Float32Array(4)), 'invalid_vector'); // a zero query has no cosine similarity
      // A zero document vector is kept and scores 0 (LSA embeds a text with no known term so).
      await s.upsert([doc('zero'), doc('x')], [new Float32Array(4), new Float32Array([1, 0, 0, 0])]);
      const hits = await s.search(new Float32Array([1, 0, 0, 0]), { k: 2 });
      expect(hits.map((h) => [h.document.id, +h.score.toFixed(6)])).toEqual([['x', 1], ['zero', 0]]);
    });

    it('leaves nothing half-written when a multi-row upsert or add fails', async () => {
      const s = await make(4);
      await s.upsert([doc('keep')], [new Float32Array([1, 1, 1, 1])]);
      // The second row is bad: nothing of the call may land.
      await expectCode(s.upsert([doc('new1'), doc('new2')], [new Float32Array([1, 0, 0, 0]), new Float32Array([1, 0])]), 'dimension_mismatch');
      await expectCode(s.upsert([doc('keep', {}, 'changed'), { id: '', text: 'x', metadata: {} }], [new Float32Array([1, 0, 0, 0]), new Float32Array([1, 0, 0, 0])]), 'invalid_document');
      // 1200 rows (more than one INSERT batch for PgVectorStore) whose last id already exists.
      const vs = randomVectors(1200, 4, 3);
      const docs = vs.map((_, i) => doc(i === 1199 ? 'keep' : `bulk${i}`));
      await expectCode(s.add(docs, vs), 'duplicate_id');
      expect(await s.count()).toBe(1);
      expect(await s.get(['keep', 'new1', 'bulk0'])).toEqual([doc('keep'), undefined, undefined]);
    });

    it('throws closed after close()', async () => {
      const s = await make(2);
      await s.upsert([doc('a')], [new Float32Array([1, 0])]);
      await s.close();
      await expectCode(s.search(new Float32Array([1, 0])), 'closed');
      await expectCode(s.upsert([doc('b')], [new Float32Array([1, 0])]), 'closed');
      await expectCode(s.count(), 'closed');
      await expectCode(s.get(['a']), 'closed');
      await expectCode(s.delete(['a']), 'closed');
    });
  });
}
