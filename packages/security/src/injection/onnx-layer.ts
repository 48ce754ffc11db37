import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromHuggingFace, type Tokenizer } from '@llmkit/tokenizer';
import { SecurityModelError } from '../errors/index.js';
import type { InjectionLayer, InjectionLayerResult } from './detect.js';

/** Options of {@link OnnxInjectionClassifier.load}. */
export interface OnnxClassifierOptions {
  /** Labels counted as injection (default: names matching /injection|jailbreak|malicious|unsafe/i, else LABEL_1). */
  positiveLabels?: string[];
  /** Max tokens per window (default 512); longer texts are scored in windows and the max kept. */
  maxLength?: number;
  /** onnxruntime threads (default 1). */
  intraOpNumThreads?: number;
}

type OrtModule = typeof import('onnxruntime-node');
type OrtSession = Awaited<ReturnType<OrtModule['InferenceSession']['create']>>;

/**
 * A sequence-classification model exported to ONNX (Prompt Guard, deberta-v3 injection
 * classifiers): `model.onnx` + `tokenizer.json` + `config.json` (`id2label`) in a local
 * directory, run with onnxruntime-node. Use as a layer of detectInjection.
 * @example
 * const onnx = await OnnxInjectionClassifier.load('/models/prompt-guard-86m');
 * await detectInjection(text, { layers: [onnx] });
 */
export class OnnxInjectionClassifier implements InjectionLayer {
  readonly name = 'onnx';
  private constructor(
    private readonly ort: OrtModule,
    private readonly session: OrtSession,
    private readonly tokenizer: Tokenizer,
    readonly labels: string[],
    private readonly positive: Set<number>,
    private readonly maxLength: number,
  ) {}

  /**
   * Load from a directory holding model.onnx (or onnx/model.onnx), tokenizer.json and config.json.
   * @throws SecurityModelError (`security_model`) when a file is missing or config.json has no id2label.
   */
  static async load(dir: string, options: OnnxClassifierOptions = {}): Promise<OnnxInjectionClassifier> {
    const modelPath = [join(dir, 'model.onnx'), join(dir, 'onnx', 'model.onnx')].find((p) => existsSync(p));
    if (!modelPath) throw new SecurityModelError(`OnnxInjectionClassifier.load: no model.onnx in ${dir} (or ${dir}/onnx). Export the model with optimum (optimum-cli export onnx --task text-classification).`);
    for (const f of ['tokenizer.json', 'config.json']) {
      if (!existsSync(join(dir, f))) throw new SecurityModelError(`OnnxInjectionClassifier.load: ${f} is missing in ${dir}; copy it from the model repository.`);
    }
    let config: { id2label?: Record<string, string> };
    try {
      config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    } catch (cause) {
      throw new SecurityModelError(`OnnxInjectionClassifier.load: ${join(dir, 'config.json')} is not valid JSON.`, { cause });
    }
    if (!config.id2label) throw new SecurityModelError(`OnnxInjectionClassifier.load: config.json in ${dir} has no id2label; add the label mapping.`);
    const labels = Object.entries(config.id2label).sort((a, b) => Number(a[0]) - Number(b[0])).map(([, v]) => v);
    const pos = new Set<number>();
    labels.forEach((l, i) => {
      if (options.positiveLabels ? options.positiveLabels.includes(l) : /injection|jailbreak|malicious|unsafe/i.test(l)) pos.add(i);
    });
    if (pos.size === 0 && labels.length === 2) pos.add(1);
    if (pos.size === 0) throw new SecurityModelError(`OnnxInjectionClassifier.load: none of the labels ${labels.join(', ')} is an injection label; pass positiveLabels.`);
    const ort = (await import('onnxruntime-node')) as OrtModule;
    const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: options.intraOpNumThreads ?? 1 });
    const tokenizer = fromHuggingFace(join(dir, 'tokenizer.json'));
    return new OnnxInjectionClassifier(ort, session, tokenizer, labels, pos, options.maxLength ?? 512);
  }

  /** Injection probability of `text` (max over windows of maxLength tokens). */
  async predict(text: string): Promise<{ score: number; probabilities: number[] }> {
    const ids = this.tokenizer.encode(text, { addSpecialTokens: true });
    const windows: number[][] = [];
    if (ids.length <= this.maxLength) windows.push(ids);
    else for (let i = 0; i < ids.length; i += this.maxLength - 2) windows.push(ids.slice(i, i + this.maxLength));
    let best = { score: 0, probabilities: [] as number[] };
    for (const w of windows) {
      const n = w.length;
      const feeds: Record<string, InstanceType<OrtModule['Tensor']>> = {};
      const names = this.session.inputNames;
      if (names.includes('input_ids')) feeds.input_ids = new this.ort.Tensor('int64', BigInt64Array.from(w, BigInt), [1, n]);
      if (names.includes('attention_mask')) feeds.attention_mask = new this.ort.Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]);
      if (names.includes('token_type_ids')) feeds.token_type_ids = new this.ort.Tensor('int64', new BigInt64Array(n), [1, n]);
      const out = await this.session.run(feeds);
      const logits = Array.from(out[this.session.outputNames[0]!]!.data as Float32Array);
      const m = Math.max(...logits);
      const e = logits.map((x) => Math.exp(x - m));
      const z = e.reduce((a, b) => a + b, 0);
      const p = e.map((x) => x / z);
      let score = 0;
      for (const i of this.positive) score += p[i] ?? 0;
      if (score >= best.score) best = { score, probabilities: p };
    }
    return best;
  }

  async score(text: string): Promise<Omit<InjectionLayerResult, 'name'>> {
    const r = await this.predict(text);
    return { score: r.score, evidence: [`onnx ${this.labels.map((l, i) => `${l}=${(r.probabilities[i] ?? 0).toFixed(3)}`).join(' ')}`] };
  }
}
