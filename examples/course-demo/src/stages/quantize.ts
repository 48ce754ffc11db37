/**
 * Stage 4: quantize the pretrained model. Round-to-nearest and GPTQ (@llmkit/quantization
 * quantizeModel, 4-bit, group-wise) inside llmkit; then export to GGUF (F16, Q8_0, Q4_K with
 * llama.cpp's block layouts) and run the files in llama.cpp itself (node-llama-cpp, in a child
 * process), comparing its next-token log-probabilities and greedy tokens with ours.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createProgress, createRng, tf } from '@llmkit/core';
import { DecoderLM, evalLoss } from '@llmkit/model';
import { exportGGUF, loadGGUF, quantizeModel, type GgufExportType } from '@llmkit/quantization';
import { generateAll } from '@llmkit/sampling';
import { LlamaCppUnavailableError, llamaCppStatus, runInLlamaCpp, type LlamaCppResult } from '@llmkit/example-shared';
import type { DemoContext, StageDefinition } from '../context.js';
import { corpusTokens, modelDir } from '../data/tokens.js';

export interface LlamaCppComparison {
  /** Positions compared (teacher-forced on validation text). */
  positions: number;
  /** Max and mean |log p_llama.cpp - log p_llmkit| of the actual next token. */
  maxAbsDiff: number;
  meanAbsDiff: number;
  /** Fraction of positions where both pick the same most likely token. */
  top1Agreement: number;
  /** Greedy continuation: equal leading tokens / tokens generated. */
  greedyMatch: number;
  greedyTokens: number;
  llamaCppGreedyText: string;
  oursGreedyText: string;
}

export interface QuantRow {
  method: string;
  /** Where it runs: llmkit (tfjs) or a GGUF file. */
  format: string;
  bitsPerWeight: number | null;
  sizeBytes: number | null;
  valLoss: number;
  perplexity: number;
  /** Mean squared weight error over the quantized layers (llmkit methods). */
  weightMse: number | null;
  /** ggml types actually written (GGUF rows), e.g. {"Q5_0": 12, "F32": 5}. */
  tensorTypes?: Record<string, number>;
  llamaCpp?: LlamaCppComparison;
  seconds: number;
}

export interface QuantizeResult {
  rows: QuantRow[];
  llamaCppAvailable: boolean;
  llamaCppNote: string;
  ggufFiles: string[];
}


/** The validation loss every stage reports: the same seeded windows for every model. */
export function fixedValLoss(ctx: DemoContext, model: DecoderLM, val: Int32Array): number {
  const m = ctx.settings.model;
  return evalLoss(model, val, { blockSize: m.blockSize, batchSize: 8, iters: ctx.settings.eval.valWindows, rng: createRng(4242) });
}

/** Full next-token log-softmax rows of `model` on `ids` [T, V]. */
function ourLogprobs(model: DecoderLM, ids: number[]): Float32Array[] {
  const data = tf.tidy(() => tf.logSoftmax(model.forward([ids]).squeeze([0]) as tf.Tensor2D).dataSync() as Float32Array);
  const v = model.config.vocabSize;
  return ids.map((_, i) => data.slice(i * v, (i + 1) * v));
}

async function ourGreedy(model: DecoderLM, ids: number[], n: number): Promise<number[]> {
  const step = model.stepFn();
  try {
    return (await generateAll(step, { prompt: ids, maxNewTokens: n, config: { temperature: 0 } })).tokenIds;
  } finally {
    step.dispose();
  }
}

function compare(ours: Float32Array[], theirs: Array<Array<[number, number]>>, ids: number[]): Pick<LlamaCppComparison, 'positions' | 'maxAbsDiff' | 'meanAbsDiff' | 'top1Agreement'> {
  let max = 0;
  let sum = 0;
  let n = 0;
  let agree = 0;
  for (let i = 0; i + 1 < ids.length && i < theirs.length; i++) {
    const next = ids[i + 1]!;
    const row = new Map(theirs[i]);
    const lp = row.get(next);
    const ourRow = ours[i]!;
    if (lp !== undefined && Number.isFinite(lp)) {
      const d = Math.abs(lp - ourRow[next]!);
      max = Math.max(max, d);
      sum += d;
      n++;
    }
    let ourBest = 0;
    for (let j = 1; j < ourRow.length; j++) if (ourRow[j]! > ourRow[ourBest]!) ourBest = j;
    let best = -1;
    let bestLp = -Infinity;
    for (const [id, l] of theirs[i]!) if (l > bestLp) [best, bestLp] = [id, l];
    if (best === ourBest) agree++;
  }
  const positions = Math.min(ids.length - 1, theirs.length);
  return { positions, maxAbsDiff: max, meanAbsDiff: n ? sum / n : Number.NaN, top1Agreement: positions ? agree / positions : Number.NaN };
}

export const quantizeStage: StageDefinition<QuantizeResult> = {
  id: '4-quantize',
  title: 'Stage 4/7: quantize (RTN, GPTQ, GGUF) and run in llama.cpp',
  narration:
    'Quantization stores weights in fewer bits. RTN rounds each group of weights to a 4-bit grid; GPTQ\n' +
    'rounds column by column and corrects the remaining columns with calibration statistics (Hessian).\n' +
    'GGUF is llama.cpp\u2019s file format: we write it, and llama.cpp runs it for an independent comparison.',
  dependsOn: ['2-pretrain'],
  settings: (s) => ({ quant: s.quant, valWindows: s.eval.valWindows, blockSize: s.model.blockSize }),
  async run(ctx, dir) {
    const q = ctx.settings.quant;
    const { train, val } = corpusTokens(ctx);
    const rows: QuantRow[] = [];
    const base = await DecoderLM.fromPretrained(modelDir(ctx, 'base'));
    const floatBytes = base.numParameters() * 4;
    let t = performance.now();
    const floatLoss = fixedValLoss(ctx, base, val);
    rows.push({ method: 'float32', format: 'llmkit', bitsPerWeight: 32, sizeBytes: floatBytes, valLoss: floatLoss, perplexity: Math.exp(floatLoss), weightMse: null, seconds: (performance.now() - t) / 1000 });

    // Calibration windows from the training stream (GPTQ needs layer inputs).
    const rng = createRng(ctx.settings.seed);
    const block = ctx.settings.model.blockSize;
    const calibration = Array.from({ length: q.calibrationWindows }, () => {
      const start = Math.floor(rng.random() * (train.length - block - 1));
      return Array.from(train.subarray(start, start + block));
    });
    const bar = createProgress({ total: 2, label: 'quantizeModel', enabled: ctx.progress });
    for (const method of ['rtn', 'gptq'] as const) {
      t = performance.now();
      const model = await DecoderLM.fromPretrained(modelDir(ctx, 'base'));
      const report = quantizeModel(model, { method, bits: 4, groupSize: q.groupSize, calibration });
      const loss = fixedValLoss(ctx, model, val);
      const quantized = report.reduce((n, r) => n + r.inFeatures * r.outFeatures, 0);
      const bits = report.reduce((n, r) => n + r.bitsPerWeight * r.inFeatures * r.outFeatures, 0);
      const mse = report.reduce((n, r) => n + r.mse * r.inFeatures * r.outFeatures, 0) / Math.max(1, quantized);
      const total = model.numParameters();
      const sizeBytes = Math.round(bits / 8 + (total - quantized) * 4);
      rows.push({ method: `${method.toUpperCase()} 4-bit g${q.groupSize}`, format: 'llmkit', bitsPerWeight: bits / Math.max(1, quantized), sizeBytes, valLoss: loss, perplexity: Math.exp(loss), weightMse: mse, seconds: (performance.now() - t) / 1000 });
      model.dispose();
      bar.update(method === 'rtn' ? 1 : 2);
    }
    bar.stop();

    // GGUF export, our loader, and llama.cpp.
    const llama = llamaCppStatus();
    ctx.log(`   ${llama.note}`);
    const compareIds = Array.from(val.subarray(0, q.compareTokens));
    const ggufFiles: string[] = [];
    const ggufRows: Array<{ row: QuantRow; emulated: DecoderLM }> = [];
    for (const type of ['F16', 'Q8_0', 'Q4_K'] as GgufExportType[]) {
      t = performance.now();
      const file = join(dir, `moby-${type.toLowerCase()}.gguf`);
      const exported = exportGGUF(base, file, { type, name: 'llmkit course demo' });
      ggufFiles.push(file);
      const tensorTypes: Record<string, number> = {};
      for (const tensor of exported.tensors) tensorTypes[tensor.type] = (tensorTypes[tensor.type] ?? 0) + 1;
      const back = loadGGUF(file);
      const loss = fixedValLoss(ctx, back, val);
      back.dispose();
      const sizeBytes = statSync(file).size;
      const row: QuantRow = { method: `GGUF ${type}`, format: 'GGUF', bitsPerWeight: (sizeBytes * 8) / base.numParameters(), sizeBytes, valLoss: loss, perplexity: Math.exp(loss), weightMse: null, tensorTypes, seconds: (performance.now() - t) / 1000 };
      rows.push(row);
      if (exported.warnings.length) ctx.log(`   ${type}: ${exported.warnings.join('; ')}`);
      if (llama.ok) ggufRows.push({ row, emulated: loadGGUF(file, { emulateLlamaCpp: true }) });
    }
    if (llama.ok) {
      ctx.log(`   running ${ggufFiles.length} GGUF files in llama.cpp (child process) ...`);
      let output: LlamaCppResult[] | null = null;
      try {
        output = runInLlamaCpp(ggufFiles.map((model) => ({ model, ids: compareIds, generate: q.greedyTokens, minProb: 0 })));
      } catch (err) {
        if (!(err instanceof LlamaCppUnavailableError)) throw err;
        llama.ok = false;
        llama.note = err.message.slice(0, 600);
        ctx.log(`   ${llama.note}`);
      }
      if (output) {
        const tokenizer = base.tokenizer!;
        for (const [i, { row, emulated }] of ggufRows.entries()) {
          const theirs = output[i]!;
          const stats = compare(ourLogprobs(emulated, compareIds), theirs.positions, compareIds);
          const ours = await ourGreedy(emulated, compareIds, q.greedyTokens);
          let match = 0;
          while (match < ours.length && match < theirs.greedy!.length && ours[match] === theirs.greedy![match]) match++;
          row.llamaCpp = { ...stats, greedyMatch: match, greedyTokens: theirs.greedy!.length, llamaCppGreedyText: tokenizer.decode(theirs.greedy!), oursGreedyText: tokenizer.decode(ours) };
          ctx.log(`   ${row.method}: llama.cpp vs llmkit |Δ log p| max ${stats.maxAbsDiff.toExponential(2)} mean ${stats.meanAbsDiff.toExponential(2)}, top-1 agreement ${(stats.top1Agreement * 100).toFixed(0)} %, greedy ${match}/${theirs.greedy!.length} tokens equal`);
        }
      }
    }
    for (const { emulated } of ggufRows) emulated.dispose();
    base.dispose();
    for (const r of rows) ctx.log(`   ${r.method.padEnd(16)} ${r.format.padEnd(6)} ${r.bitsPerWeight === null ? '' : r.bitsPerWeight.toFixed(2).padStart(6) + ' bits/weight'}  val perplexity ${r.perplexity.toFixed(2)}`);
    return { rows, llamaCppAvailable: llama.ok, llamaCppNote: llama.note, ggufFiles: ggufFiles.filter((f) => existsSync(f)) };
  },
};
