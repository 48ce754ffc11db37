// @llmkit/rag from its tarball: splitter, BM25 and an in-memory dense store.
import assert from 'node:assert/strict';
import { RecursiveCharacterTextSplitter, Bm25Retriever, LsaEmbedder, MemoryVectorStore, VectorStoreRetriever } from '@llmkit/rag';

const docs = [
  { id: 'a', text: 'The white whale swam in the deep sea.', metadata: {} },
  { id: 'b', text: 'Red fish and blue fish live in the pond.', metadata: {} },
  { id: 'c', text: 'Captain Ahab hunted the whale for years.', metadata: {} },
];
const chunks = new RecursiveCharacterTextSplitter({ chunkSize: 20, chunkOverlap: 0 }).splitDocuments(docs);
for (const c of chunks) {
  const parent = docs.find((d) => d.id === c.metadata.parentId);
  assert.equal(parent.text.slice(c.metadata.loc.start, c.metadata.loc.end), c.text);
}
const bm25 = Bm25Retriever.fromDocuments(docs);
const [hit] = await bm25.retrieve('pond fish', { k: 1 });
assert.equal(hit.document.id, 'b');
const embedder = LsaEmbedder.fit(docs.map((d) => d.text), { dimension: 2 });
const dense = new VectorStoreRetriever(new MemoryVectorStore({ dimension: embedder.dimension }), embedder);
await dense.addDocuments(docs);
assert.equal((await dense.retrieve('whale', { k: 3 })).length, 3);
console.log('rag ok');
