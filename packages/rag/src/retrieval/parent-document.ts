/**
 * Parent-document retrieval: search small chunks (precise matches), return the larger documents
 * they came from (enough context to answer). Like LangChain's ParentDocumentRetriever.
 */
import { InvalidArgumentError, type Embedder } from '@llmkit/core';
import type { DocumentSplitter } from '../splitters/text-splitter.js';
import type { Document, Retriever, RetrieveOptions, ScoredDocument, VectorStore } from '../types.js';
import { assertQuery, resolveK, throwIfAborted } from './common.js';

export interface ParentDocumentRetrieverOptions {
  /** Cuts each parent into the chunks that are searched. */
  childSplitter: DocumentSplitter;
  /** Optional: cut the added documents into parents first (LangChain's parentSplitter). */
  parentSplitter?: DocumentSplitter;
  /** Where child chunks are indexed. */
  vectorStore: VectorStore;
  embedder: Embedder;
  /** Child hits fetched per requested parent. Default 4 (so k parents need up to 4k chunks). */
  childrenPerParent?: number;
}

/**
 * @example
 * const pdr = new ParentDocumentRetriever({ childSplitter: new RecursiveCharacterTextSplitter({ chunkSize: 200, chunkOverlap: 0 }), vectorStore, embedder });
 * await pdr.addDocuments(chapters);
 * await pdr.retrieve('the whiteness of the whale', { k: 2 }); // whole chapters
 */
export class ParentDocumentRetriever implements Retriever {
  private readonly parents = new Map<string, Document>();
  private readonly childRetriever: Retriever;
  private readonly options: Partial<ParentDocumentRetrieverOptions>;

  constructor(options: ParentDocumentRetrieverOptions) {
    if (!options || typeof options.childSplitter?.splitDocuments !== 'function') throw new InvalidArgumentError('ParentDocumentRetriever: options.childSplitter (a splitter) is required.');
    if (typeof options.vectorStore?.search !== 'function') throw new InvalidArgumentError('ParentDocumentRetriever: options.vectorStore (a VectorStore) is required.');
    if (typeof options.embedder?.embed !== 'function') throw new InvalidArgumentError('ParentDocumentRetriever: options.embedder (an Embedder) is required.');
    this.options = options;
    const { vectorStore, embedder } = options;
    this.childRetriever = {
      retrieve: async (query, o) => vectorStore.search((await embedder.embed([query]))[0]!, { k: o?.k, filter: o?.filter }),
    };
  }

  /**
   * A parent-document retriever over any retriever of child chunks whose `metadata.parentId`
   * names one of `parents` (e.g. a Bm25Retriever over splitter output).
   */
  static fromRetriever(childRetriever: Retriever, parents: Document[], options: { childrenPerParent?: number } = {}): ParentDocumentRetriever {
    if (typeof childRetriever?.retrieve !== 'function') throw new InvalidArgumentError('ParentDocumentRetriever.fromRetriever: childRetriever must be a Retriever.');
    const r = Object.create(ParentDocumentRetriever.prototype) as ParentDocumentRetriever;
    Object.assign(r, { parents: new Map(parents.map((p) => [p.id, p])), childRetriever, options: { childrenPerParent: options.childrenPerParent } });
    return r;
  }

  /** Split into parents (optional) and children, embed and store the children, remember the parents. */
  async addDocuments(documents: Document[]): Promise<void> {
    const { childSplitter, parentSplitter, vectorStore, embedder } = this.options;
    if (childSplitter === undefined || vectorStore === undefined || embedder === undefined) {
      throw new InvalidArgumentError('ParentDocumentRetriever.addDocuments: this retriever was built with fromRetriever; add children to its child retriever instead.');
    }
    const parents = parentSplitter ? parentSplitter.splitDocuments(documents) : documents;
    const children = childSplitter.splitDocuments(parents);
    if (children.length > 0) await vectorStore.upsert(children, await embedder.embed(children.map((c) => c.text)));
    for (const p of parents) this.parents.set(p.id, p);
  }

  /** Parents of the best-matching children, best first; `score` is the best child's score. */
  async retrieve(query: string, options: RetrieveOptions = {}): Promise<ScoredDocument[]> {
    assertQuery(query, 'ParentDocumentRetriever.retrieve');
    const k = resolveK(options, 'ParentDocumentRetriever.retrieve');
    throwIfAborted(options.signal, 'ParentDocumentRetriever.retrieve');
    const hits = await this.childRetriever.retrieve(query, { ...options, k: k * (this.options.childrenPerParent ?? 4) });
    const out: ScoredDocument[] = [];
    const seen = new Set<string>();
    for (const hit of hits) {
      const parentId = hit.document.metadata.parentId;
      if (typeof parentId !== 'string' || seen.has(parentId)) continue;
      const parent = this.parents.get(parentId);
      if (parent === undefined) continue;
      seen.add(parentId);
      out.push({ document: parent, score: hit.score });
      if (out.length === k) break;
    }
    return out;
  }
}
