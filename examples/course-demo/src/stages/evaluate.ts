/**
 * Stage 6: evaluate every model of the course with @llmkit/eval: perplexity per stage (validation
 * tokens, plus lm-eval's word perplexity and bits per byte on held-out passages), a multiple-choice
 * task through the harness (runTask: lm-eval's acc / acc_norm from log-likelihoods), and
 * generation metrics (sacreBLEU-exact BLEU, rouge-score ROUGE) on held-out questions. Retrieval
 * metrics come from stage 5.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createProgress } from '@llmkit/core';
import { bitsPerByte, corpusBleu, loadTask, renderHtmlReport, rougeScore, runTask, wordPerplexity, type DocumentLoglikelihood, type TaskResult } from '@llmkit/eval';
import { DecoderLM, LocalLanguageModel } from '@llmkit/model';
import { stageResult, type StageDefinition } from '../context.js';
import { heldOutQa, multipleChoiceDocs } from '../data/facts.js';
import { corpusTokens, modelDir } from '../data/tokens.js';
import { fixedValLoss, type QuantizeResult } from './quantize.js';
import { mobyDickChapters } from '../data/corpus.js';

export interface ModelScores {
  model: string;
  valLoss: number;
  perplexity: number;
  wordPerplexity: number;
  bitsPerByte: number;
  mc: { acc: number; accStderr: number | null; accNorm: number; n: number; categories: Record<string, number> };
  generation: { bleu: number; rouge1: number; rougeL: number; n: number; example: { prompt: string; reference: string; output: string } };
}

export interface EvaluateResult {
  models: ModelScores[];
  /** Validation perplexity of every variant (pretrained, aligned, quantized). */
  perplexityByStage: Array<{ stage: string; perplexity: number }>;
  chance: number;
}

export const evaluateStage: StageDefinition<EvaluateResult> = {
  id: '6-evaluate',
  title: 'Stage 6/7: evaluate (perplexity, multiple choice, BLEU/ROUGE, retrieval)',
  narration:
    'Perplexity measures how surprised a model is by held-out text; the multiple-choice task compares\n' +
    'the log-likelihood of each answer (lm-evaluation-harness style); BLEU and ROUGE compare generated\n' +
    'answers with references. Every model of the course is scored the same way.',
  dependsOn: ['2-pretrain', '3-align', '4-quantize'],
  settings: (s) => ({ eval: s.eval, blockSize: s.model.blockSize }),
  async run(ctx, dir) {
    const e = ctx.settings.eval;
    const { val } = corpusTokens(ctx);
    const chapters = mobyDickChapters();
    const heldOut = chapters.slice(Math.floor(chapters.length * 0.9));
    const passages = heldOut.slice(0, e.passages).map((c) => c.text.slice(0, e.passageChars));
    const mcDocs = multipleChoiceDocs();
    const task = loadTask({ task: 'moby-facts', output_type: 'multiple_choice', docs: mcDocs, doc_to_text: '{{question}}', doc_to_choice: '{{choices}}', doc_to_target: '{{label}}', category_field: 'template' });
    const qa = heldOutQa().slice(0, e.genLimit);
    const models: ModelScores[] = [];
    const taskResults: TaskResult[] = [];
    for (const which of ['base', 'sft', 'dpo'] as const) {
      const name = { base: 'pretrained', sft: 'LoRA SFT', dpo: 'SFT + DPO' }[which];
      const model = await DecoderLM.fromPretrained(modelDir(ctx, which));
      const llm = new LocalLanguageModel({ model, id: `course-demo-${which}`, defaultMaxNewTokens: 32 });
      const valLoss = fixedValLoss(ctx, model, val);
      const docs: DocumentLoglikelihood[] = [];
      const bar = createProgress({ total: passages.length, label: `${name}: passages`, enabled: ctx.progress });
      for (const [i, text] of passages.entries()) {
        const r = await llm.logprobs('\n\n', text);
        docs.push({ logLikelihood: r.logprob, text });
        bar.update(i + 1);
      }
      bar.stop();
      const mc = await runTask(task, llm, { limit: Math.min(e.mcLimit, mcDocs.length), bootstrapIters: 100, progress: ctx.progress, cacheDir: join(dir, 'eval-cache'), outputPath: join(dir, `mc-${which}.json`) });
      taskResults.push(mc);
      const outputs: string[] = [];
      for (const q of qa) {
        const c = await llm.complete(q.prompt, { maxNewTokens: 24, temperature: 0, stop: ['\n'] });
        outputs.push(c.text.trim());
      }
      const bleu = corpusBleu(outputs, [qa.map((q) => q.reference)]);
      const rouge = outputs.map((o, i) => rougeScore(qa[i]!.reference, o, { types: ['rouge1', 'rougeL'], useStemmer: true }));
      const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
      const scores: ModelScores = {
        model: name,
        valLoss,
        perplexity: Math.exp(valLoss),
        wordPerplexity: wordPerplexity(docs),
        bitsPerByte: bitsPerByte(docs),
        mc: {
          acc: mc.metrics.acc!.value,
          accStderr: mc.metrics.acc!.stderr,
          accNorm: mc.metrics.acc_norm?.value ?? Number.NaN,
          n: mc.n,
          categories: Object.fromEntries(Object.entries(mc.categories ?? {}).map(([k, v]) => [k, v.metrics.acc ?? Number.NaN])),
        },
        generation: { bleu: bleu.score, rouge1: mean(rouge.map((r) => r.rouge1!.fmeasure)), rougeL: mean(rouge.map((r) => r.rougeL!.fmeasure)), n: qa.length, example: { prompt: qa[0]!.prompt, reference: qa[0]!.reference, output: outputs[0]! } },
      };
      models.push(scores);
      ctx.log(`   ${name.padEnd(11)} val perplexity ${scores.perplexity.toFixed(2)}, bits/byte ${scores.bitsPerByte.toFixed(3)}, multiple-choice acc ${scores.mc.acc.toFixed(2)} (n ${scores.mc.n}, chance 0.25), BLEU ${scores.generation.bleu.toFixed(1)}, ROUGE-L ${scores.generation.rougeL.toFixed(3)}`);
      ctx.log(`      ${JSON.stringify(qa[0]!.prompt)} -> ${JSON.stringify(outputs[0])}`);
      model.dispose();
    }
    // @llmkit/eval's own report of the harness runs (tables with stderr, per-category bars).
    writeFileSync(join(dir, 'eval-report.html'), renderHtmlReport({ title: 'Moby Dick facts: multiple choice (pretrained, LoRA SFT, SFT + DPO)', tasks: taskResults }));
    const quant = stageResult<QuantizeResult>(ctx, '4-quantize');
    const perplexityByStage = [
      ...models.map((m) => ({ stage: m.model, perplexity: m.perplexity })),
      ...quant.rows.filter((r) => r.method !== 'float32').map((r) => ({ stage: r.method, perplexity: r.perplexity })),
    ];
    return { models, perplexityByStage, chance: 0.25 };
  },
};
