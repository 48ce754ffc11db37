/**
 * Shared by OnnxEmbedder and OnnxCrossEncoder: load tokenizer.json, apply its post-processor template
 * (single and pair, with token type ids) after truncation the way HF `tokenizers` does, pad a batch,
 * run an onnxruntime-node session on CPU.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { fromHuggingFace, type HuggingFaceTokenizer } from '@llmkit/tokenizer';
import { EmbedderError } from './errors.js';

interface Piece {
  /** Special token ids, or a sequence placeholder. */
  special?: number[];
  sequence?: 'A' | 'B';
  typeId: number;
}

/** The post-processor of a tokenizer.json as single/pair templates. */
export interface Template {
  single: Piece[];
  pair: Piece[];
}

function specialIds(tokenizer: HuggingFaceTokenizer, token: string, where: string): number[] {
  const id = tokenizer.tokenToId(token);
  if (id === undefined) throw new EmbedderError('unsupported_model', `${where}: special token ${JSON.stringify(token)} is not in the vocabulary.`);
  return [id];
}

/** Reads TemplateProcessing / BertProcessing / RobertaProcessing (or none) into templates. */
export function readTemplate(json: Record<string, unknown>, tokenizer: HuggingFaceTokenizer, where: string): Template {
  const pp = json.post_processor as Record<string, unknown> | null | undefined;
  const A: Piece = { sequence: 'A', typeId: 0 };
  if (pp == null) return { single: [A], pair: [A, { sequence: 'B', typeId: 1 }] };
  const type = pp.type;
  if (type === 'BertProcessing' || type === 'RobertaProcessing') {
    const cls = { special: [(pp.cls as [string, number])[1]], typeId: 0 };
    const sep = { special: [(pp.sep as [string, number])[1]], typeId: 0 };
    if (type === 'BertProcessing') return { single: [cls, A, sep], pair: [cls, A, sep, { sequence: 'B', typeId: 1 }, { ...sep, typeId: 1 }] };
    return { single: [cls, A, sep], pair: [cls, A, sep, sep, { sequence: 'B', typeId: 0 }, sep] };
  }
  if (type === 'TemplateProcessing') {
    const specials = (pp.special_tokens ?? {}) as Record<string, { ids: number[] }>;
    const parse = (list: unknown): Piece[] =>
      (list as Array<Record<string, { id: string; type_id: number }>>).map((item) => {
        if (item.Sequence) return { sequence: item.Sequence.id as 'A' | 'B', typeId: item.Sequence.type_id };
        const name = item.SpecialToken!.id;
        return { special: specials[name]?.ids ?? specialIds(tokenizer, name, where), typeId: item.SpecialToken!.type_id };
      });
    return { single: parse(pp.single), pair: parse(pp.pair) };
  }
  throw new EmbedderError('unsupported_model', `${where}: post_processor type ${JSON.stringify(type)} is not supported here (TemplateProcessing, BertProcessing, RobertaProcessing or none).`);
}

export interface Encoded {
  ids: number[];
  typeIds: number[];
}

function added(pieces: Piece[]): number {
  return pieces.reduce((n, p) => n + (p.special?.length ?? 0), 0);
}

function fill(pieces: Piece[], a: number[], b: number[]): Encoded {
  const ids: number[] = [];
  const typeIds: number[] = [];
  for (const p of pieces) {
    const part = p.special ?? (p.sequence === 'A' ? a : b);
    for (const id of part) {
      ids.push(id);
      typeIds.push(p.typeId);
    }
  }
  return { ids, typeIds };
}

/** A loaded tokenizer.json with truncation/template logic matching HF `tokenizers` (strategy longest_first). */
export class TemplateTokenizer {
  readonly tokenizer: HuggingFaceTokenizer;
  readonly template: Template;
  readonly padId: number;
  /** max_length of the file's `truncation` section, when it has one. */
  readonly fileMaxLength: number | undefined;

  constructor(file: string) {
    if (!existsSync(file)) throw new EmbedderError('not_found', `${file} is missing; a model folder needs tokenizer.json next to model.onnx.`);
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      this.tokenizer = fromHuggingFace(json);
    } catch (cause) {
      throw new EmbedderError('invalid_model', `${file} cannot be loaded as a Hugging Face tokenizer.json: ${(cause as Error).message}`, { cause });
    }
    this.template = readTemplate(json, this.tokenizer, file);
    const padding = json.padding as { pad_id?: number } | null;
    this.padId = padding?.pad_id ?? this.tokenizer.tokenToId('[PAD]') ?? this.tokenizer.tokenToId('<pad>') ?? 0;
    this.fileMaxLength = (json.truncation as { max_length?: number } | null)?.max_length;
  }

  encode(text: string, maxLength: number): Encoded {
    const budget = Math.max(0, maxLength - added(this.template.single));
    const a = this.tokenizer.encode(text, { addSpecialTokens: false }).slice(0, budget);
    return fill(this.template.single, a, []);
  }

  encodePair(first: string, second: string, maxLength: number): Encoded {
    const budget = Math.max(0, maxLength - added(this.template.pair));
    let a = this.tokenizer.encode(first, { addSpecialTokens: false });
    let b = this.tokenizer.encode(second, { addSpecialTokens: false });
    if (a.length + b.length > budget) {
      // tokenizers' TruncationStrategy::LongestFirst target lengths.
      let n1 = a.length;
      let n2 = b.length;
      const swap = n1 > n2;
      if (swap) [n1, n2] = [n2, n1];
      n2 = n1 > budget ? n1 : Math.max(n1, budget - n1);
      if (n1 + n2 > budget) {
        n1 = Math.floor(budget / 2);
        n2 = n1 + (budget % 2);
      }
      if (swap) [n1, n2] = [n2, n1];
      a = a.slice(0, n1);
      b = b.slice(0, n2);
    }
    return fill(this.template.pair, a, b);
  }
}

export interface Batch {
  feeds: Record<string, ort.Tensor>;
  mask: Int32Array;
  seq: number;
}

/** Pads encodings to the longest and builds the int64 feeds the session asks for. */
export function makeBatch(encoded: Encoded[], padId: number, inputNames: readonly string[]): Batch {
  const seq = Math.max(1, ...encoded.map((e) => e.ids.length));
  const n = encoded.length;
  const ids = new BigInt64Array(n * seq).fill(BigInt(padId));
  const mask = new BigInt64Array(n * seq);
  const types = new BigInt64Array(n * seq);
  const mask32 = new Int32Array(n * seq);
  encoded.forEach((e, r) => {
    e.ids.forEach((id, j) => {
      ids[r * seq + j] = BigInt(id);
      mask[r * seq + j] = 1n;
      mask32[r * seq + j] = 1;
      types[r * seq + j] = BigInt(e.typeIds[j]!);
    });
  });
  const all: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', ids, [n, seq]),
    attention_mask: new ort.Tensor('int64', mask, [n, seq]),
    token_type_ids: new ort.Tensor('int64', types, [n, seq]),
  };
  const feeds: Record<string, ort.Tensor> = {};
  for (const name of inputNames) {
    if (!all[name]) throw new EmbedderError('unsupported_model', `The ONNX model asks for input ${JSON.stringify(name)}; supported inputs are input_ids, attention_mask, token_type_ids.`);
    feeds[name] = all[name];
  }
  return { feeds, mask: mask32, seq };
}

export async function openSession(dir: string, file: string, threads: number | undefined): Promise<ort.InferenceSession> {
  const modelPath = path.join(dir, file);
  if (!existsSync(modelPath)) throw new EmbedderError('not_found', `${modelPath} is missing; export the model to ONNX (e.g. optimum-cli export onnx) into ${dir}.`);
  try {
    return await ort.InferenceSession.create(modelPath, { executionProviders: ['cpu'], ...(threads ? { intraOpNumThreads: threads } : {}) });
  } catch (cause) {
    throw new EmbedderError('invalid_model', `${modelPath} cannot be loaded by onnxruntime: ${(cause as Error).message}`, { cause });
  }
}

export function checkTexts(texts: unknown, where: string): string[] {
  if (!Array.isArray(texts) || !texts.every((t) => typeof t === 'string')) throw new EmbedderError('invalid_argument', `${where} takes an array of strings.`);
  return texts as string[];
}

export function checkInt(v: unknown, name: string, min: number, where: string): number {
  if (!Number.isInteger(v) || (v as number) < min) throw new EmbedderError('invalid_argument', `${where}: ${name} must be an integer >= ${min}, got ${JSON.stringify(v)}.`);
  return v as number;
}
