/** Store + embedder -> Retriever: embeds the query, searches the store. */
import type { Embedder } from '@llmkit/core';
import type { Document, RetrieveOptions, Retriever, ScoredDocument, VectorStore } from '../types.js';
import { VectorStoreError } from '../types.js';

/**
 * A {@link Retriever} over a vector store: `retrieve(query)` embeds the query with `embedder` and
 * returns the store's nearest documents (score = the store's similarity). `addDocuments` embeds and upserts.
 *
 * @throws {VectorStoreError} `dimension_mismatch` when the embedder and store dimensions differ.
 * @example
 * const embedder = LsaEmbedder.fit(texts, { dimension: 128 });
 * const retriever = new VectorStoreRetriever(new MemoryVectorStore({ dimension: 128 }), embedder);
 * await retriever.addDocuments(chunks);
 * const hits = await retriever.retrieve('white whale', { k: 5 });
 */
export class VectorStoreRetriever implements Retriever {
  constructor(
    readonly store: VectorStore,
    readonly embedder: Embedder,
  ) {
    if (store.dimension !== embedder.dimension) {
      throw new VectorStoreError(
        'dimension_mismatch',
        `VectorStoreRetriever: the embedder makes ${embedder.dimension}-d vectors but the store holds ${store.dimension}-d ones; create the store with dimension ${embedder.dimension}.`,
      );
    }
  }

  /** Embeds `documents` (in batches of `batchSize`, default 64) and upserts them. */
  async addDocuments(documents: Document[], options: { batchSize?: number } = {}): Promise<void> {
    const batchSize = options.batchSize ?? 64;
    for (let i = 0; i < documents.length; i += batchSize) {
      const batch = documents.slice(i, i + batchSize);
      await this.store.upsert(batch, await this.embedder.embed(batch.map((d) => d.text)));
    }
  }

  async retrieve(query: string, options: RetrieveOptions = {}): Promise<ScoredDocument[]> {
    options.signal?.throwIfAborted();
    const [vector] = await this.embedder.embed([query]);
    options.signal?.throwIfAborted();
    // A query with nothing the embedder knows (e.g. LSA with only unseen words) is similar to nothing.
    if (vector!.every((x) => x === 0)) return [];
    return this.store.search(vector!, { k: options.k ?? 4, filter: options.filter });
  }
}
