/** On-disk layout shared by MemoryVectorStore and HnswVectorStore: a folder with store.json, vectors.safetensors, documents.jsonl. */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseSafetensors, writeSafetensors, type RawTensor } from '@llmkit/core';
import type { Document } from '../types.js';
import { VectorStoreError } from '../types.js';

export interface StoreFiles {
  manifest: Record<string, unknown>;
  /** Row-major [n, dimension] and any extra named tensors. */
  tensors: Record<string, RawTensor>;
  documents: Document[];
}

/** Writes the folder atomically: files go to `<dir>.tmp-<pid>` first, then replace `dir`. */
export async function writeStoreFiles(dir: string, files: StoreFiles): Promise<void> {
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  await mkdir(tmp, { recursive: true });
  await writeSafetensors(path.join(tmp, 'vectors.safetensors'), files.tensors, { format: 'llmkit-rag' });
  await writeFile(path.join(tmp, 'documents.jsonl'), files.documents.map((d) => JSON.stringify(d)).join('\n') + (files.documents.length ? '\n' : ''));
  await writeFile(path.join(tmp, 'store.json'), JSON.stringify(files.manifest, null, 2));
  if (existsSync(dir)) {
    const old = `${dir}.old-${process.pid}-${Date.now()}`;
    await rename(dir, old);
    await rename(tmp, dir);
    await rm(old, { recursive: true, force: true });
  } else {
    await mkdir(path.dirname(path.resolve(dir)), { recursive: true });
    await rename(tmp, dir);
  }
}

export async function readStoreFiles(dir: string, kind: string): Promise<StoreFiles> {
  const manifestPath = path.join(dir, 'store.json');
  if (!existsSync(manifestPath)) {
    throw new VectorStoreError('not_found', `No vector store at ${dir} (store.json missing); save one there first with store.save(dir).`);
  }
  let manifest: Record<string, unknown>;
  try {
    manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as Record<string, unknown>;
  } catch (cause) {
    throw new VectorStoreError('corrupt_store', `${manifestPath} is not valid JSON; the store folder is damaged, re-create it.`, { cause });
  }
  if (manifest.format !== kind) {
    throw new VectorStoreError('corrupt_store', `${dir} holds a ${JSON.stringify(manifest.format)} store, not ${kind}; open it with the matching class.`);
  }
  const tensors: Record<string, RawTensor> = {};
  const file = path.join(dir, 'vectors.safetensors');
  try {
    const buffer = await readFile(file);
    const parsed = parseSafetensors(new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength), { source: file });
    for (const [name, t] of parsed.tensors) {
      const bytes = t.data.slice();
      const data = t.dtype === 'F32' ? new Float32Array(bytes.buffer) : t.dtype === 'I32' ? new Int32Array(bytes.buffer) : bytes;
      tensors[name] = { dtype: t.dtype, shape: t.shape, data };
    }
  } catch (cause) {
    throw new VectorStoreError('corrupt_store', `${file} cannot be read; the store folder is damaged, re-create it.`, { cause });
  }
  const text = await readFile(path.join(dir, 'documents.jsonl'), 'utf8');
  const documents: Document[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] === '') continue;
    try {
      documents.push(JSON.parse(lines[i]!) as Document);
    } catch (cause) {
      throw new VectorStoreError('corrupt_store', `${path.join(dir, 'documents.jsonl')} line ${i + 1} is not valid JSON; the store folder is damaged.`, { cause });
    }
  }
  return { manifest, tensors, documents };
}
