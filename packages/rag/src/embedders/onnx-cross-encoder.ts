/** Cross-encoder reranking with an ONNX sequence-classification model (e.g. ms-marco-MiniLM) on onnxruntime-node. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type * as ort from 'onnxruntime-node';
import type { Document, Reranker, ScoredDocument } from '../types.js';
import { EmbedderError } from './errors.js';
import { checkInt, checkTexts, makeBatch, openSession, TemplateTokenizer } from './onnx-common.js';

export interface OnnxCrossEncoderOptions {
  /** Apply a sigmoid to the logit (a 0..1 relevance), as sentence-transformers' CrossEncoder with activation Sigmoid. Default false (raw logit). */
  sigmoid?: boolean;
  /** Pairs per forward pass. Default 16. */
  batchSize?: number;
  /** Truncate each (query, document) pair to this many tokens, longest first. Default: tokenizer.json truncation, else 512. */
  maxLength?: number;
  /** For models with several labels: which logit is the relevance. Default the last. */
  label?: number;
  /** Model file inside the folder. Default 'model.onnx' (or onnx/model.onnx). */
  modelFile?: string;
  threads?: number;
}

/**
 * A {@link Reranker} scoring (query, document) pairs jointly with a cross-encoder: input
 * `[CLS] query [SEP] document [SEP]` (the tokenizer.json pair template, token type ids 0/1), output logits.
 *
 * @throws {EmbedderError} `not_found`, `invalid_model`, `unsupported_model`, `invalid_argument`.
 * @example
 * const reranker = await OnnxCrossEncoder.fromDirectory('./ms-marco-MiniLM-L-6-v2', { sigmoid: true });
 * const best = await reranker.rerank('what do whales eat', candidates, { topN: 3 });
 */
export class OnnxCrossEncoder implements Reranker {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly tokenizer: TemplateTokenizer,
    readonly sigmoid: boolean,
    readonly batchSize: number,
    readonly maxLength: number,
    readonly label: number | undefined,
  ) {}

  static async fromDirectory(dir: string, options: OnnxCrossEncoderOptions = {}): Promise<OnnxCrossEncoder> {
    const where = `OnnxCrossEncoder.fromDirectory(${JSON.stringify(dir)})`;
    if (!existsSync(dir)) throw new EmbedderError('not_found', `${where}: the folder does not exist.`);
    const tokenizer = new TemplateTokenizer(path.join(dir, 'tokenizer.json'));
    const maxLength = checkInt(options.maxLength ?? tokenizer.fileMaxLength ?? 512, 'maxLength', 4, where);
    const batchSize = checkInt(options.batchSize ?? 16, 'batchSize', 1, where);
    const label = options.label === undefined ? undefined : checkInt(options.label, 'label', 0, where);
    const modelFile = options.modelFile ?? (existsSync(path.join(dir, 'model.onnx')) ? 'model.onnx' : path.join('onnx', 'model.onnx'));
    const session = await openSession(dir, modelFile, options.threads);
    return new OnnxCrossEncoder(session, tokenizer, options.sigmoid ?? false, batchSize, maxLength, label);
  }

  /** Token ids and type ids of one pair as the model sees them. */
  tokenizePair(query: string, text: string): { ids: number[]; typeIds: number[] } {
    return this.tokenizer.encodePair(query, text, this.maxLength);
  }

  /** Relevance of each text to `query`, in input order. */
  async score(query: string, texts: string[]): Promise<number[]> {
    if (typeof query !== 'string') throw new EmbedderError('invalid_argument', 'OnnxCrossEncoder.score: query must be a string.');
    checkTexts(texts, 'OnnxCrossEncoder.score');
    const scores: number[] = [];
    for (let start = 0; start < texts.length; start += this.batchSize) {
      const encoded = texts.slice(start, start + this.batchSize).map((t) => this.tokenizer.encodePair(query, t, this.maxLength));
      const { feeds } = makeBatch(encoded, this.tokenizer.padId, this.session.inputNames);
      const results = await this.session.run(feeds);
      const name = this.session.outputNames.includes('logits') ? 'logits' : this.session.outputNames[0]!;
      const t = results[name]!;
      const data = t.data as Float32Array;
      const labels = t.dims.length === 2 ? Number(t.dims[1]) : 1;
      const index = this.label ?? labels - 1;
      if (index >= labels) throw new EmbedderError('invalid_argument', `OnnxCrossEncoder: label ${index} but the model has ${labels} logits per pair.`);
      for (let r = 0; r < encoded.length; r++) {
        const logit = data[r * labels + index]!;
        scores.push(this.sigmoid ? 1 / (1 + Math.exp(-logit)) : logit);
      }
      for (const value of Object.values(results)) value.dispose?.();
    }
    return scores;
  }

  async rerank(query: string, documents: Document[], options: { topN?: number } = {}): Promise<ScoredDocument[]> {
    const scores = await this.score(query, documents.map((d) => d.text));
    const ranked = documents.map((document, i) => ({ document, score: scores[i]! })).sort((a, b) => b.score - a.score);
    return options.topN === undefined ? ranked : ranked.slice(0, checkInt(options.topN, 'topN', 0, 'OnnxCrossEncoder.rerank'));
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
