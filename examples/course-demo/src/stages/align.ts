/**
 * Stage 3: supervised fine-tuning with LoRA (@llmkit/lora applyLora + SFTTrainer, loss on the
 * answers only) on generated question/answer pairs about Moby Dick, then preference alignment with
 * DPO (@llmkit/dpo DPOTrainer) on generated pairs where the right answer is preferred over a wrong
 * one. The reference policy of DPO is the SFT model itself: the LoRA adapter switched off.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createRng } from '@llmkit/core';
import { DPOTrainer, loraReference, tokenizePreference } from '@llmkit/dpo';
import { applyLora, mergeAndUnload, SFTTrainer } from '@llmkit/lora';
import { DecoderLM } from '@llmkit/model';
import { stageResult, type StageDefinition } from '../context.js';
import { heldOutQa, preferencePairs, sftRecords } from '../data/facts.js';
import { modelDir } from '../data/tokens.js';
import type { TokenizerResult } from './tokenizer.js';

export interface AlignResult {
  sftModelDir: string;
  dpoModelDir: string;
  sft: {
    examples: number;
    trainableParameters: number;
    allParameters: number;
    steps: number;
    evalLossBefore: number;
    evalLossAfter: number;
    lossCurve: Array<{ step: number; loss: number }>;
  };
  dpo: {
    pairs: number;
    steps: number;
    before: { rewardAccuracy: number; loss: number };
    after: { rewardAccuracy: number; loss: number; rewardMargin: number };
    lossCurve: Array<{ step: number; loss: number; accuracy?: number; margin?: number }>;
  };
}

export const alignStage: StageDefinition<AlignResult> = {
  id: '3-align',
  title: 'Stage 3/7: LoRA supervised fine-tuning, then DPO',
  narration:
    'LoRA freezes the pretrained weights and learns a low-rank update B·A per linear layer. SFT trains\n' +
    'on question/answer pairs (loss on the answer tokens only). DPO then raises the likelihood of the\n' +
    'preferred answer over the rejected one, relative to the frozen SFT model as the reference.',
  dependsOn: ['1-tokenizer', '2-pretrain'],
  settings: (s) => ({ sft: s.sft, dpo: s.dpo, seed: s.seed }),
  async run(ctx, dir) {
    const tok = stageResult<TokenizerResult>(ctx, '1-tokenizer');
    const { sft: sftSettings, dpo: dpoSettings } = ctx.settings;

    // --- SFT with LoRA
    const base = await DecoderLM.fromPretrained(modelDir(ctx, 'base'));
    const lora = applyLora(base, { r: sftSettings.r, loraAlpha: sftSettings.alpha, loraDropout: 0, targetModules: 'all-linear', rng: createRng(ctx.settings.seed) });
    const trainable = lora.nbTrainableParameters();
    const records = sftRecords();
    const evalRecords = heldOutQa().map((q) => ({ prompt: q.prompt, completion: ` ${q.reference}` }));
    const sftLoss: AlignResult['sft']['lossCurve'] = [];
    const trainer = new SFTTrainer({
      model: lora,
      trainDataset: records,
      evalDataset: evalRecords,
      args: {
        outputDir: join(dir, 'sft-run'),
        maxSteps: sftSettings.steps,
        perDeviceTrainBatchSize: sftSettings.batchSize,
        learningRate: sftSettings.lr,
        warmupSteps: 0,
        lrSchedulerType: 'linear',
        loggingSteps: 1,
        seed: ctx.settings.seed,
        eosTokenId: tok.eosTokenId,
        maxLength: 64,
        progress: ctx.progress,
      },
      callbacks: {
        onLog: (r) => {
          if (typeof r.loss === 'number' && Number.isFinite(r.loss)) sftLoss.push({ step: r.step, loss: r.loss });
        },
      },
    });
    const evalLossBefore = trainer.evaluate();
    ctx.log(`   SFT: ${records.length} examples, LoRA r=${sftSettings.r} on every linear layer: ${trainable.trainable.toLocaleString()} of ${trainable.all.toLocaleString()} parameters train`);
    await trainer.train();
    const evalLossAfter = trainer.evaluate();
    ctx.log(`   SFT answer loss on held-out question phrasings: ${evalLossBefore.toFixed(3)} -> ${evalLossAfter.toFixed(3)}`);
    const sftModel = mergeAndUnload(lora);
    const sftDir = modelDir(ctx, 'sft');
    await sftModel.save(sftDir);
    rmSync(join(dir, 'sft-run'), { recursive: true, force: true });
    sftModel.dispose();

    // --- DPO with a fresh LoRA adapter on the SFT model
    const policyBase = await DecoderLM.fromPretrained(sftDir);
    const tokenizer = policyBase.tokenizer!;
    const policy = applyLora(policyBase, { r: dpoSettings.r, loraAlpha: dpoSettings.alpha, loraDropout: 0, targetModules: 'all-linear', rng: createRng(ctx.settings.seed + 1) });
    const pairs = preferencePairs().map((p, i) => tokenizePreference(p, { tokenizer, eosTokenId: tok.eosTokenId, maxLength: 64 }, i));
    const dpoLoss: AlignResult['dpo']['lossCurve'] = [];
    const dpo = new DPOTrainer({
      model: policy.model,
      reference: loraReference(policy),
      train: pairs,
      beta: dpoSettings.beta,
      batchSize: dpoSettings.batchSize,
      maxSteps: dpoSettings.steps,
      lr: dpoSettings.lr,
      logInterval: 1,
      seed: ctx.settings.seed,
      padTokenId: tok.eosTokenId,
      logFile: join(dir, 'dpo-metrics.jsonl'),
      progress: ctx.progress,
      onLog: (r) => {
        if (typeof r.loss === 'number' && Number.isFinite(r.loss)) dpoLoss.push({ step: r.step, loss: r.loss, accuracy: r['rewards/accuracies'], margin: r['rewards/margins'] });
      },
    });
    const before = dpo.evaluate(pairs);
    await dpo.train();
    const after = dpo.evaluate(pairs);
    ctx.log(`   DPO: ${pairs.length} preference pairs, reward accuracy ${before.rewardAccuracy.toFixed(2)} -> ${after.rewardAccuracy.toFixed(2)}, margin ${after.rewardMargin.toFixed(3)}`);
    const dpoModel = mergeAndUnload(policy);
    const dpoDir = modelDir(ctx, 'dpo');
    await dpoModel.save(dpoDir);
    dpoModel.dispose();

    return {
      sftModelDir: sftDir,
      dpoModelDir: dpoDir,
      sft: { examples: records.length, trainableParameters: trainable.trainable, allParameters: trainable.all, steps: sftSettings.steps, evalLossBefore, evalLossAfter, lossCurve: sftLoss },
      dpo: {
        pairs: pairs.length,
        steps: dpoSettings.steps,
        before: { rewardAccuracy: before.rewardAccuracy, loss: before.loss },
        after: { rewardAccuracy: after.rewardAccuracy, loss: after.loss, rewardMargin: after.rewardMargin },
        lossCurve: dpoLoss,
      },
    };
  },
};
