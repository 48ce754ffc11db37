/**
 * Stage 2: pretrain a small Llama-style decoder (RMSNorm, RoPE, SwiGLU, grouped-query attention)
 * on the BPE-tokenized Moby Dick with @llmkit/model's nanoGPT-style `pretrain`, then sample from it
 * with @llmkit/sampling: greedy, temperature + top-k + top-p, min-p, beam search, and output
 * constrained to a JSON Schema.
 */
import { join } from 'node:path';
import { createRng, manualSeed } from '@llmkit/core';
import { DecoderLM, packTokens, pretrain, trainValSplit } from '@llmkit/model';
import { beamSearch, generateAll, jsonSchemaConstraint, type SamplingConfig } from '@llmkit/sampling';
import { fromHuggingFace, tokenBytes } from '@llmkit/tokenizer';
import { stageResult, type StageDefinition } from '../context.js';
import { mobyDickChapters } from '../data/corpus.js';
import { modelDir, saveTokens } from '../data/tokens.js';
import type { TokenizerResult } from './tokenizer.js';

export interface SampleRecord {
  strategy: string;
  settings: string;
  text: string;
  tokens: number;
  logprob: number;
  finishReason: string;
  /** For the JSON-schema sample: whether the text parses and matches the schema's enum. */
  valid?: boolean;
}

export interface PretrainStageResult {
  modelDir: string;
  parameters: number;
  config: Record<string, unknown>;
  trainTokens: number;
  valTokens: number;
  steps: number;
  msPerStep: number;
  initialValLoss: number;
  finalValLoss: number;
  uniformLoss: number;
  /** Training loss every logged step. */
  lossCurve: Array<{ step: number; loss: number }>;
  /** Loss estimates (train and validation). */
  evalCurve: Array<{ step: number; trainLoss?: number; valLoss?: number }>;
  prompt: string;
  samples: SampleRecord[];
  jsonSchema: Record<string, unknown>;
}

export const JSON_SCHEMA = {
  type: 'object',
  properties: {
    captain: { enum: ['Ahab', 'Peleg', 'Bildad', 'Boomer'] },
    ship: { enum: ['Pequod', 'Rachel', 'Samuel Enderby'] },
    whales: { type: 'integer' },
  },
  required: ['captain', 'ship', 'whales'],
};

export const pretrainStage: StageDefinition<PretrainStageResult> = {
  id: '2-pretrain',
  title: 'Stage 2/7: pretrain a small Llama on Moby Dick, then sample',
  narration:
    'Next-token prediction: the model sees windows of the book and learns to predict every next token\n' +
    '(cross-entropy, AdamW, cosine schedule with warmup, gradient clipping, as nanoGPT). Then decoding:\n' +
    'greedy, temperature/top-k/top-p, min-p, beam search and JSON-Schema-constrained sampling.',
  dependsOn: ['1-tokenizer'],
  settings: (s) => ({ model: s.model, sampling: s.sampling, seed: s.seed }),
  async run(ctx, dir) {
    const tok = stageResult<TokenizerResult>(ctx, '1-tokenizer');
    const m = ctx.settings.model;
    const tokenizer = fromHuggingFace(tok.file);
    const texts = mobyDickChapters().map((c) => c.text);
    const stream = packTokens(texts, { tokenizer, eosId: tok.eosTokenId });
    const split = trainValSplit(stream, { valFraction: 0.1 });
    saveTokens(join(dir, 'train.bin'), split.train);
    saveTokens(join(dir, 'val.bin'), split.val);
    ctx.log(`   data: ${split.train.length.toLocaleString()} training and ${split.val.length.toLocaleString()} validation tokens`);

    const config: Record<string, unknown> = {
      model_type: 'llama',
      vocab_size: tok.vocabSize,
      hidden_size: m.hidden,
      intermediate_size: 2 * m.hidden,
      num_hidden_layers: m.layers,
      num_attention_heads: m.heads,
      num_key_value_heads: m.kvHeads,
      max_position_embeddings: m.maxPositions,
      tie_word_embeddings: false,
      eos_token_id: tok.eosTokenId,
    };
    manualSeed(ctx.settings.seed);
    const model = DecoderLM.fromConfig(config, { rng: createRng(ctx.settings.seed) });
    model.tokenizer = tokenizer;
    const parameters = model.numParameters();
    ctx.log(`   model: Llama, ${m.layers} layers x ${m.hidden} wide, ${m.heads} heads (${m.kvHeads} key/value heads), ${parameters.toLocaleString()} parameters`);
    const lossCurve: PretrainStageResult['lossCurve'] = [];
    const result = await pretrain(model, {
      train: split.train,
      val: split.val,
      steps: m.steps,
      blockSize: m.blockSize,
      batchSize: m.batchSize,
      lr: m.lr,
      seed: ctx.settings.seed,
      evalInterval: m.evalInterval,
      evalIters: m.evalIters,
      logInterval: 1,
      logFile: join(dir, 'metrics.jsonl'),
      progress: ctx.progress,
      onLog: (r) => {
        if (typeof r.loss === 'number' && Number.isFinite(r.loss)) lossCurve.push({ step: r.step, loss: r.loss });
      },
    });
    const out = modelDir(ctx, 'base');
    await model.save(out);
    const initial = result.history[0]?.valLoss ?? Number.NaN;
    const finalValLoss = result.finalValLoss ?? Number.NaN;
    ctx.log(`   validation loss ${initial.toFixed(3)} -> ${finalValLoss.toFixed(3)} (uniform guess ln ${tok.vocabSize} = ${Math.log(tok.vocabSize).toFixed(3)}), ${result.msPerStep.toFixed(0)} ms per step`);

    // Decoding strategies.
    const prompt = 'Call me Ishmael. Some years ago';
    const promptIds = tokenizer.encode(prompt);
    const decode = (ids: number[]): string => tokenizer.decode(ids);
    const maxNewTokens = ctx.settings.sampling.maxNewTokens;
    const samples: SampleRecord[] = [];
    const strategies: Array<{ strategy: string; config: SamplingConfig; settings: string }> = [
      { strategy: 'greedy', config: { temperature: 0 }, settings: 'argmax every step' },
      { strategy: 'top-k / top-p', config: { temperature: 0.8, topK: 40, topP: 0.95 }, settings: 'temperature 0.8, top-k 40, top-p 0.95' },
      { strategy: 'min-p', config: { temperature: 1.0, minP: 0.1 }, settings: 'temperature 1.0, min-p 0.1' },
    ];
    for (const s of strategies) {
      const step = model.stepFn();
      try {
        const r = await generateAll(step, { prompt: promptIds, maxNewTokens, config: s.config, seed: ctx.settings.seed, decode, stopTokenIds: [tok.eosTokenId] });
        samples.push({ strategy: s.strategy, settings: s.settings, text: r.text ?? decode(r.tokenIds), tokens: r.tokenIds.length, logprob: r.logprob, finishReason: r.finishReason });
      } finally {
        step.dispose();
      }
    }
    {
      const step = model.stepFn();
      try {
        const beams = await beamSearch(step, { prompt: promptIds, numBeams: ctx.settings.sampling.numBeams, maxNewTokens, eosTokenId: tok.eosTokenId, hooks: step });
        const best = beams[0]!;
        samples.push({ strategy: 'beam search', settings: `${ctx.settings.sampling.numBeams} beams, length penalty 1`, text: decode(best.tokenIds), tokens: best.tokenIds.length, logprob: best.logprob, finishReason: best.tokenIds.at(-1) === tok.eosTokenId ? 'stop' : 'length' });
      } finally {
        step.dispose();
      }
    }
    {
      const constraint = jsonSchemaConstraint(JSON_SCHEMA, tokenBytes(tokenizer), { eosTokenId: tok.eosTokenId });
      const step = model.stepFn();
      try {
        const r = await generateAll(step, { prompt: tokenizer.encode('The ship and her captain: '), maxNewTokens: 96, config: { temperature: 0.7 }, seed: ctx.settings.seed, decode, constraint });
        const text = r.text ?? decode(r.tokenIds.filter((id) => id !== tok.eosTokenId));
        let valid = false;
        try {
          const parsed = JSON.parse(text) as Record<string, unknown>;
          valid = JSON_SCHEMA.properties.captain.enum.includes(parsed.captain as string) && JSON_SCHEMA.properties.ship.enum.includes(parsed.ship as string) && Number.isInteger(parsed.whales);
        } catch {
          valid = false;
        }
        samples.push({ strategy: 'JSON Schema', settings: 'constrained to {captain, ship, whales}, temperature 0.7', text, tokens: r.tokenIds.length, logprob: r.logprob, finishReason: r.finishReason, valid });
      } finally {
        step.dispose();
      }
    }
    for (const s of samples) ctx.log(`   [${s.strategy}] ${JSON.stringify(s.text)}${s.valid !== undefined ? ` (valid JSON for the schema: ${s.valid})` : ''}`);
    model.dispose();
    return {
      modelDir: out,
      parameters,
      config,
      trainTokens: split.train.length,
      valTokens: split.val.length,
      steps: result.steps,
      msPerStep: result.msPerStep,
      initialValLoss: initial,
      finalValLoss,
      uniformLoss: Math.log(tok.vocabSize),
      lossCurve,
      evalCurve: result.history.map((h) => ({ step: h.step, trainLoss: h.trainLoss, valLoss: h.valLoss })),
      prompt,
      samples,
      jsonSchema: JSON_SCHEMA,
    };
  },
};
