/** The Moby Dick token streams of stage 2 (train / validation), saved as little-endian int32 files. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DemoContext } from '../context.js';
import { stageDir } from '../context.js';

export function saveTokens(file: string, ids: ArrayLike<number>): void {
  const array = Int32Array.from(ids);
  writeFileSync(file, Buffer.from(array.buffer, array.byteOffset, array.byteLength));
}

export function loadTokens(file: string): Int32Array {
  const bytes = readFileSync(file);
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new Int32Array(copy.buffer);
}

/** The pretraining streams written by stage 2. */
export function corpusTokens(ctx: DemoContext): { train: Int32Array; val: Int32Array } {
  const dir = stageDir(ctx, '2-pretrain');
  return { train: loadTokens(join(dir, 'train.bin')), val: loadTokens(join(dir, 'val.bin')) };
}

/** Folders of the models the stages save (Hugging Face layout: config.json, model.safetensors, tokenizer.json). */
export function modelDir(ctx: DemoContext, which: 'base' | 'sft' | 'dpo'): string {
  if (which === 'base') return join(stageDir(ctx, '2-pretrain'), 'model');
  return join(stageDir(ctx, '3-align'), which === 'sft' ? 'sft-model' : 'dpo-model');
}
