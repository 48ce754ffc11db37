/** Sentence-transformers style embeddings from an ONNX model folder, on onnxruntime-node (CPU). */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type * as ort from 'onnxruntime-node';
import type { Embedder } from '@llmkit/core';
import { EmbedderError } from './errors.js';
import { checkInt, checkTexts, makeBatch, openSession, TemplateTokenizer } from './onnx-common.js';

export type Pooling = 'mean' | 'cls' | 'last';

export interface OnnxEmbedderOptions {
  /** Default: from 1_Pooling/config.json, else 'mean'. */
  pooling?: Pooling;
  /** L2-normalise outputs. Default true. */
  normalize?: boolean;
  /** Texts per forward pass. Default 32. */
  batchSize?: number;
  /** Truncate to this many tokens (special tokens included). Default: sentence_bert_config.json max_seq_length, tokenizer.json truncation, else 512. */
  maxLength?: number;
  /** Model file inside the folder. Default 'model.onnx' (or onnx/model.onnx). */
  modelFile?: string;
  /** onnxruntime intra-op threads. Default: onnxruntime's. */
  threads?: number;
}

function readJson(file: string): Record<string, unknown> | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (cause) {
    throw new EmbedderError('invalid_model', `${file} is not valid JSON.`, { cause });
  }
}

/**
 * An {@link Embedder} for sentence-transformers models exported to ONNX in a local folder
 * (model.onnx + tokenizer.json [+ 1_Pooling/config.json]). Inputs input_ids / attention_mask /
 * (token_type_ids); output last_hidden_state pooled (mean over the mask, CLS, or last token), or an
 * already pooled [batch, dim] output used as is. Padding per batch to its longest text.
 *
 * @throws {EmbedderError} `not_found`, `invalid_model`, `unsupported_model`, `invalid_argument`.
 * @example
 * const embedder = await OnnxEmbedder.fromDirectory('./all-MiniLM-L6-v2', { batchSize: 16 });
 * const [v] = await embedder.embed(['Call me Ishmael.']); // Float32Array(384), unit length
 */
export class OnnxEmbedder implements Embedder {
  dimension = 0;

  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly tokenizer: TemplateTokenizer,
    readonly pooling: Pooling,
    readonly normalize: boolean,
    readonly batchSize: number,
    readonly maxLength: number,
  ) {}

  static async fromDirectory(dir: string, options: OnnxEmbedderOptions = {}): Promise<OnnxEmbedder> {
    const where = `OnnxEmbedder.fromDirectory(${JSON.stringify(dir)})`;
    if (!existsSync(dir)) throw new EmbedderError('not_found', `${where}: the folder does not exist.`);
    const pool = readJson(path.join(dir, '1_Pooling', 'config.json'));
    let pooling: Pooling = options.pooling ?? 'mean';
    if (!options.pooling && pool) {
      if (pool.pooling_mode_cls_token) pooling = 'cls';
      else if (pool.pooling_mode_lasttoken) pooling = 'last';
      else if (pool.pooling_mode_mean_tokens) pooling = 'mean';
      else throw new EmbedderError('unsupported_model', `${where}: 1_Pooling/config.json asks for a pooling mode other than mean, cls or lasttoken; pass options.pooling to override.`);
    }
    if (!['mean', 'cls', 'last'].includes(pooling)) throw new EmbedderError('invalid_argument', `${where}: pooling must be 'mean', 'cls' or 'last', got ${JSON.stringify(pooling)}.`);
    const tokenizer = new TemplateTokenizer(path.join(dir, 'tokenizer.json'));
    const sbert = readJson(path.join(dir, 'sentence_bert_config.json'));
    const maxLength = checkInt(options.maxLength ?? (sbert?.max_seq_length as number | undefined) ?? tokenizer.fileMaxLength ?? 512, 'maxLength', 2, where);
    const batchSize = checkInt(options.batchSize ?? 32, 'batchSize', 1, where);
    const modelFile = options.modelFile ?? (existsSync(path.join(dir, 'model.onnx')) ? 'model.onnx' : path.join('onnx', 'model.onnx'));
    const session = await openSession(dir, modelFile, options.threads);
    const embedder = new OnnxEmbedder(session, tokenizer, pooling, options.normalize ?? true, batchSize, maxLength);
    embedder.dimension = (await embedder.embed(['dimension probe']))[0]!.length;
    return embedder;
  }

  /** Token ids of each text as the model sees them (template applied, truncated). */
  tokenize(texts: string[]): number[][] {
    return checkTexts(texts, 'OnnxEmbedder.tokenize').map((t) => this.tokenizer.encode(t, this.maxLength).ids);
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    checkTexts(texts, 'OnnxEmbedder.embed');
    const out: Float32Array[] = [];
    for (let start = 0; start < texts.length; start += this.batchSize) {
      const encoded = texts.slice(start, start + this.batchSize).map((t) => this.tokenizer.encode(t, this.maxLength));
      const { feeds, mask, seq } = makeBatch(encoded, this.tokenizer.padId, this.session.inputNames);
      const results = await this.session.run(feeds);
      const name = this.session.outputNames.includes('last_hidden_state') ? 'last_hidden_state' : this.session.outputNames[0]!;
      const t = results[name]!;
      const data = t.data as Float32Array;
      const n = encoded.length;
      if (t.dims.length === 2) {
        const d = Number(t.dims[1]);
        for (let r = 0; r < n; r++) out.push(this.finish(Float64Array.from(data.subarray(r * d, (r + 1) * d))));
      } else if (t.dims.length === 3 && Number(t.dims[1]) === seq) {
        const d = Number(t.dims[2]);
        for (let r = 0; r < n; r++) {
          const v = new Float64Array(d);
          const len = encoded[r]!.ids.length;
          if (this.pooling === 'mean') {
            let count = 0;
            for (let j = 0; j < seq; j++) {
              if (mask[r * seq + j] === 0) continue;
              count++;
              const off = (r * seq + j) * d;
              for (let i = 0; i < d; i++) v[i]! += data[off + i]!;
            }
            const c = Math.max(count, 1e-9);
            for (let i = 0; i < d; i++) v[i]! /= c;
          } else {
            const j = this.pooling === 'cls' ? 0 : Math.max(0, len - 1);
            const off = (r * seq + j) * d;
            for (let i = 0; i < d; i++) v[i] = data[off + i]!;
          }
          out.push(this.finish(v));
        }
      } else {
        throw new EmbedderError('unsupported_model', `OnnxEmbedder: output ${name} has shape [${t.dims.join(', ')}]; expected [batch, seq, dim] or [batch, dim].`);
      }
      for (const value of Object.values(results)) value.dispose?.();
    }
    return out;
  }

  private finish(v: Float64Array): Float32Array {
    if (!this.normalize) return Float32Array.from(v);
    let n = 0;
    for (const x of v) n += x * x;
    n = Math.sqrt(n);
    // sentence-transformers' Normalize: x / max(||x||, 1e-12)
    return Float32Array.from(v, (x) => x / Math.max(n, 1e-12));
  }

  /** Releases the onnxruntime session. */
  async dispose(): Promise<void> {
    await this.session.release();
  }
}
