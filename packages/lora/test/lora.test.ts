// LoRA layers, merge / unmerge, disableAdapter, multiple adapters, training only the adapter,
// QLoRA (NF4 base) and PEFT's parameter counts.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { AdamW, Linear, computeGradients, createRng, initBackend, tf } from '@llmkit/core';
import { expectClose } from '@llmkit/core/testing';
import { DecoderLM } from '@llmkit/model';
import { nf4 } from '@llmkit/quantization';
import { LoraError, LoraLinear, applyLora, disableAdapter, mergeAdapter, unmergeAdapter, type LoraModel } from '../src/index.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/peft/', import.meta.url));
const BASE = join(FIXTURES, 'base');
const IDS = [
  [1, 5, 9, 13, 17, 21, 25, 29],
  [63, 2, 40, 7, 7, 33, 50, 11],
];

beforeAll(async () => {
  await initBackend();
});

function logitsOf(lm: DecoderLM): Float32Array {
  return tf.tidy(() => lm.forward(IDS).dataSync() as Float32Array);
}

/** Give every adapter parameter a non-zero random value so the adapter changes the outputs. */
function randomizeAdapters(lora: LoraModel, seed: number, std = 0.3): void {
  const rng = createRng(seed);
  for (const [, layer] of lora.loraLayers()) {
    for (const name of layer.adapters.keys()) {
      for (const p of [layer.lora_A.get(name)!.weight, layer.lora_B.get(name)!.weight]) {
        tf.tidy(() => p.assign(tf.tensor(rng.normal(p.size, 0, std), p.shape, 'float32')));
      }
    }
  }
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('applyLora', () => {
  it("counts parameters as PEFT's print_trainable_parameters", async () => {
    const fixture = JSON.parse(await readFile(join(FIXTURES, 'peft_logits.json'), 'utf8'));
    const configs = {
      qv: { r: 4, loraAlpha: 8, loraDropout: 0.05, targetModules: ['q_proj', 'v_proj'] },
      all_rs: { r: 8, loraAlpha: 16, targetModules: 'all-linear', useRslora: true },
      dora_mts: { r: 4, loraAlpha: 4, targetModules: ['q_proj', 'k_proj', 'o_proj'], useDora: true, modulesToSave: ['lm_head'] },
      bias_all: { r: 2, loraAlpha: 4, targetModules: ['q_proj'], bias: 'all' },
      bias_lora_only: { r: 2, loraAlpha: 4, targetModules: ['v_proj', 'o_proj'], bias: 'lora_only' },
      gpt2_default: { r: 4, loraAlpha: 8 }, // PEFT's default target for gpt2: c_attn
    } as const;
    for (const [name, config] of Object.entries(configs)) {
      const dir = name.startsWith('bias_') ? 'base_bias' : name.startsWith('gpt2') ? 'base_gpt2' : 'base';
      const lm = await DecoderLM.fromPretrained(join(FIXTURES, dir));
      const lines: string[] = [];
      applyLora(lm, config).printTrainableParameters((l) => lines.push(l));
      expect(lines, name).toEqual([fixture.cases[name].trainable_line]);
      lm.dispose();
    }
  });

  it('initialises A Kaiming-uniform and B zeros, scales alpha/r (alpha/sqrt(r) with rsLoRA), leaves logits unchanged', async () => {
    const lm = await DecoderLM.fromPretrained(BASE);
    const before = logitsOf(lm);
    const lora = applyLora(lm, { r: 8, loraAlpha: 16, targetModules: ['q_proj', 'v_proj'], rng: createRng(0) });
    const layers = lora.loraLayers();
    expect(layers.map(([n]) => n)).toEqual([
      'model.layers.0.self_attn.q_proj',
      'model.layers.0.self_attn.v_proj',
      'model.layers.1.self_attn.q_proj',
      'model.layers.1.self_attn.v_proj',
    ]);
    const q = layers[0][1];
    expect(q.adapters.get('default')!.scaling).toBe(2); // 16 / 8
    const a = q.lora_A.get('default')!.weight.dataSync();
    // kaiming_uniform_(a=sqrt(5)) on [r, in]: gain sqrt(2 / (1 + 5)), bound gain * sqrt(3 / in) = 1 / sqrt(in)
    const bound = 1 / Math.sqrt(32);
    expect(Math.max(...a.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...a.map(Math.abs))).toBeGreaterThan(0.8 * bound);
    expect(q.lora_B.get('default')!.weight.dataSync().every((v) => v === 0)).toBe(true);
    expectClose(logitsOf(lora.model), before, { atol: 0 });
    // names: PEFT's in-memory names; the base weight keeps its name and is frozen
    const trainable = lora.trainableParameters().map(([n]) => n);
    expect(trainable).toContain('model.layers.0.self_attn.q_proj.lora_A.default.weight');
    expect(trainable).toHaveLength(8);
    expect(lm.namedParameters().find(([n]) => n === 'model.layers.0.self_attn.q_proj.weight')![1].trainable).toBe(false);
    lm.dispose();

    const lm2 = await DecoderLM.fromPretrained(BASE);
    const rs = applyLora(lm2, { r: 8, loraAlpha: 16, useRslora: true, targetModules: ['q_proj'] });
    expect(rs.loraLayers()[0][1].adapters.get('default')!.scaling).toBeCloseTo(16 / Math.sqrt(8), 12);
    lm2.dispose();
  });

  it('matches a hand-computed LoRA forward on a single layer', () => {
    const base = new Linear(3, 2, { rng: createRng(1) });
    const w = base.weight.arraySync() as number[][];
    const b = base.bias!.arraySync() as number[];
    const layer = new LoraLinear(base);
    layer.updateLayer('default', { r: 2, loraAlpha: 4, loraDropout: 0, targetModules: null, useRslora: false, useDora: false, bias: 'none', modulesToSave: [], initLoraWeights: true, baseModelNameOrPath: undefined, quantizeBase: null, rng: createRng(2) });
    layer.lora_A.get('default')!.weight.assign(tf.tensor2d([[1, 0, -1], [0.5, 2, 0]]));
    layer.lora_B.get('default')!.weight.assign(tf.tensor2d([[1, -1], [0, 3]]));
    const x = [0.2, -0.4, 1.5];
    // y = W x + b + (alpha / r = 2) * B (A x); A x = [0.2 - 1.5, 0.1 - 0.8] = [-1.3, -0.7]; B A x = [-0.6, -2.1]
    const expected = [0, 1].map((o) => w[o][0] * x[0] + w[o][1] * x[1] + w[o][2] * x[2] + b[o] + 2 * [-0.6, -2.1][o]);
    expectClose(tf.tidy(() => layer.forward(tf.tensor2d([x])).dataSync() as Float32Array), expected, { atol: 1e-5 });
  });

  it('rejects bad configs and targets with typed errors', async () => {
    const lm = await DecoderLM.fromPretrained(BASE);
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        expect(LoraError.isInstance(e)).toBe(true);
        return (e as LoraError).code;
      }
      return 'no error';
    };
    expect(code(() => applyLora(lm, { r: 0 }))).toBe('lora_config');
    expect(code(() => applyLora(lm, { loraDropout: 1 }))).toBe('lora_config');
    expect(code(() => applyLora(lm, { targetModules: ['qq_proj'] }))).toBe('lora_target');
    expect(code(() => applyLora(lm, { targetModules: ['mlp'] }))).toBe('lora_target');
    expect(code(() => applyLora(lm, { r: 2 }, 'a.b'))).toBe('lora_config');
    expect(() => applyLora(lm, { targetModules: ['qq_proj'] })).toThrow(/q_proj/); // lists the module names
    lm.dispose();
  });
});

describe('merge / unmerge / disable / adapters', () => {
  it('merged and unmerged models give the same logits; unmerge restores the weights', async () => {
    for (const extra of [{}, { useDora: true }, { useRslora: true }]) {
      const lm = await DecoderLM.fromPretrained(BASE);
      const base = logitsOf(lm);
      const lora = applyLora(lm, { r: 4, loraAlpha: 8, targetModules: 'all-linear', ...extra });
      randomizeAdapters(lora, 3, 0.1);
      const w0 = lora.loraLayers()[0][1].weight!.dataSync().slice();
      const unmerged = logitsOf(lora.model);
      expect(maxAbsDiff(unmerged, base)).toBeGreaterThan(0.05);
      mergeAdapter(lora);
      expect(lora.loraLayers()[0][1].mergedAdapters).toEqual(['default']);
      expectClose(logitsOf(lora.model), unmerged, { atol: 1e-5 });
      expect(() => mergeAdapter(lora)).not.toThrow(); // already merged layers are skipped
      unmergeAdapter(lora);
      expectClose(lora.loraLayers()[0][1].weight!.dataSync() as Float32Array, w0, { atol: 1e-6 });
      expectClose(logitsOf(lora.model), unmerged, { atol: 1e-5 });
      lm.dispose();
    }
  });

  it('disableAdapter gives the base model, restores after return, throw and async, nests, handles merged', async () => {
    const lm = await DecoderLM.fromPretrained(BASE);
    const base = logitsOf(lm);
    const lora = applyLora(lm, { r: 4, targetModules: ['q_proj', 'v_proj', 'up_proj'], modulesToSave: ['lm_head'] });
    randomizeAdapters(lora, 4);
    const lmHead = lora.modulesToSaveWrappers()[0][1].modules_to_save.get('default')!;
    tf.tidy(() => lmHead.parameters()[0].assign(tf.add(lmHead.parameters()[0], 0.1)));
    const adapted = logitsOf(lora.model);
    expect(maxAbsDiff(adapted, base)).toBeGreaterThan(0.05);
    expect(disableAdapter(lora, () => maxAbsDiff(logitsOf(lora.model), base))).toBe(0);
    expectClose(logitsOf(lora.model), adapted, { atol: 0 });
    expect(() => disableAdapter(lora, () => { throw new Error('boom'); })).toThrow('boom');
    expectClose(logitsOf(lora.model), adapted, { atol: 0 });
    const asyncDiff = await disableAdapter(lora, async () => {
      await new Promise((r) => setTimeout(r, 5));
      return maxAbsDiff(logitsOf(lora.model), base);
    });
    expect(asyncDiff).toBe(0);
    await expect(disableAdapter(lora, async () => { throw new Error('later'); })).rejects.toThrow('later');
    expectClose(logitsOf(lora.model), adapted, { atol: 0 });
    disableAdapter(lora, () => {
      disableAdapter(lora, () => undefined);
      expect(maxAbsDiff(logitsOf(lora.model), base)).toBe(0); // still disabled after the inner scope
    });
    const tensors = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      mergeAdapter(lora);
      disableAdapter(lora, () => logitsOf(lora.model));
      unmergeAdapter(lora);
    }
    expect(tf.memory().numTensors).toBe(tensors); // merge / unmerge / disable cycles free what they create
    mergeAdapter(lora);
    expect(disableAdapter(lora, () => maxAbsDiff(logitsOf(lora.model), base))).toBeLessThan(1e-5);
    expect(lora.loraLayers()[0][1].mergedAdapters).toEqual(['default']);
    expectClose(logitsOf(lora.model), adapted, { atol: 1e-5 });
    lm.dispose();
  });

  it('adds and switches named adapters, PEFT style', async () => {
    const lm = await DecoderLM.fromPretrained(BASE);
    const base = logitsOf(lm);
    const lora = applyLora(lm, { r: 4, targetModules: ['q_proj'] });
    randomizeAdapters(lora, 5);
    const first = logitsOf(lora.model);
    lora.addAdapter('second', { r: 2, targetModules: ['v_proj', 'q_proj'] });
    expect(lora.activeAdapter).toBe('default');
    expectClose(logitsOf(lora.model), first, { atol: 0 }); // the new adapter is inactive
    randomizeAdapters(lora, 6);
    const firstAgain = logitsOf(lora.model);
    lora.setAdapter('second');
    const second = logitsOf(lora.model);
    expect(maxAbsDiff(second, firstAgain)).toBeGreaterThan(0.01);
    expect(maxAbsDiff(second, base)).toBeGreaterThan(0.01);
    expect(lora.trainableParameters().every(([n]) => n.includes('.second.'))).toBe(true);
    expect(lora.trainableParameters()).toHaveLength(8);
    lora.setAdapter('default');
    expectClose(logitsOf(lora.model), firstAgain, { atol: 0 });
    expect(() => lora.setAdapter('nope')).toThrow(LoraError);
    expect(() => lora.addAdapter('second')).toThrow(/exists/);
    lora.deleteAdapter('second');
    expect(lora.loraLayers().map(([n]) => n)).toHaveLength(4);
    lm.dispose();
  });
});

describe('training', () => {
  const configs = {
    'lora + dropout': { r: 4, loraAlpha: 8, loraDropout: 0.1, targetModules: ['q_proj', 'v_proj'] },
    dora: { r: 4, loraAlpha: 8, targetModules: ['q_proj', 'v_proj', 'down_proj'], useDora: true },
    'qlora nf4': { r: 4, loraAlpha: 8, targetModules: 'all-linear', quantizeBase: { type: 'nf4' } },
  } as const;
  for (const [label, config] of Object.entries(configs)) {
    it(`${label}: only adapter parameters change; base weights stay bit-identical; tensors do not leak`, async () => {
      const lm = await DecoderLM.fromPretrained(BASE);
      const lora = applyLora(lm, { ...config, rng: createRng(0) });
      lora.model.train();
      const frozen = lm.namedParameters().filter(([, p]) => !p.trainable).map(([n, p]) => [n, p.dataSync().slice()] as const);
      const nf4Before = lora.loraLayers().map(([, l]) => l.quantizedWeight?.packed.slice());
      const adapterBefore = lora.trainableParameters().map(([n, p]) => [n, p.dataSync().slice()] as const);
      const optimizer = new AdamW(lora.trainableParameters(), { lr: 1e-2 });
      const inputs = tf.tensor2d(IDS.map((r) => r.slice(0, -1)), undefined, 'int32');
      const targets = tf.tensor2d(IDS.map((r) => r.slice(1)), undefined, 'int32');
      const losses: number[] = [];
      let tensors = 0;
      for (let step = 0; step < 6; step++) {
        const { loss, grads } = computeGradients(() => lora.model.loss(inputs, targets), lora.trainableParameters());
        losses.push(loss.dataSync()[0]);
        optimizer.step(grads);
        loss.dispose();
        grads.forEach((g) => g.dispose());
        if (step === 2) tensors = tf.memory().numTensors;
      }
      expect(tf.memory().numTensors).toBe(tensors);
      expect(losses[5]).toBeLessThan(losses[0]);
      for (const [name, before] of frozen) {
        const after = lm.namedParameters().find(([n]) => n === name)![1].dataSync();
        expect(Buffer.from(after.buffer).equals(Buffer.from(before.buffer)), name).toBe(true);
      }
      lora.loraLayers().forEach(([, l], i) => {
        if (nf4Before[i]) expect(Buffer.from(l.quantizedWeight!.packed).equals(Buffer.from(nf4Before[i]!))).toBe(true);
      });
      for (const [name, before] of adapterBefore) {
        if (!name.includes('lora_B')) continue; // B moves first (A's gradient is zero while B = 0)
        const after = lora.trainableParameters().find(([n]) => n === name)![1].dataSync();
        expect(maxAbsDiff(after as Float32Array, before as Float32Array), name).toBeGreaterThan(0);
      }
      tf.dispose([inputs, targets]);
      lm.dispose();
    });
  }

  it('generate keeps working: greedy tokens equal with the adapter merged or not', async () => {
    const lm = await DecoderLM.fromPretrained(BASE);
    const lora = applyLora(lm, { r: 4, targetModules: 'all-linear' });
    randomizeAdapters(lora, 11, 0.1);
    const greedy = async () => {
      const out: number[] = [];
      for await (const chunk of lora.model.generate([1, 5, 9], { maxNewTokens: 6, config: { temperature: 0 } })) out.push(chunk.tokenId);
      return out;
    };
    const unmerged = await greedy();
    const next = tf.tidy(() => tf.argMax(lora.model.forward([[1, 5, 9]]).slice([0, 2, 0], [1, 1, 64]).reshape([64])).dataSync()[0]);
    expect(unmerged[0]).toBe(next);
    mergeAdapter(lora);
    expect(await greedy()).toEqual(unmerged);
    const base = await disableAdapter(lora, greedy);
    expect(base).not.toEqual(unmerged);
    lm.dispose();
  });
});

describe('QLoRA', () => {
  it('NF4 base + f32 adapters: forward equals dequantized base + LoRA; memory report', async () => {
    const lm = await DecoderLM.fromPretrained(BASE);
    const weights = new Map(lm.namedParameters().map(([n, p]) => [n, p.dataSync().slice() as Float32Array]));
    const lora = applyLora(lm, { r: 4, loraAlpha: 8, targetModules: ['q_proj', 'v_proj', 'gate_proj'], quantizeBase: { type: 'nf4', doubleQuant: true } });
    randomizeAdapters(lora, 9);
    const q = lora.loraLayers()[0][1];
    expect(q.weight).toBeNull();
    // reference: dequantize(quantize(W)) by @llmkit/quantization's bitsandbytes transcription, plus scaling * B A,
    // computed with plain loops on one input row
    const w = nf4.dequantize(nf4.quantize(weights.get('model.layers.0.self_attn.q_proj.weight')!, { blockSize: 64, doubleQuant: true }));
    const A = q.lora_A.get('default')!.weight.arraySync() as number[][];
    const B = q.lora_B.get('default')!.weight.arraySync() as number[][];
    const x = Array.from({ length: 32 }, (_, i) => Math.sin(i + 1));
    const ax = A.map((row) => row.reduce((s, v, i) => s + v * x[i], 0));
    const expected = Array.from({ length: 32 }, (_, o) => {
      let s = 0;
      for (let i = 0; i < 32; i++) s += w[o * 32 + i] * x[i];
      return s + 2 * B[o].reduce((t, v, k) => t + v * ax[k], 0);
    });
    expectClose(tf.tidy(() => q.forward(tf.tensor2d([x])).dataSync() as Float32Array), expected, { atol: 1e-4 });
    const report = lora.memoryReport();
    // q_proj [32, 32]: 1024 weights -> 512 B of codes + 16 blocks of 64 with double quantization:
    // 16 uint8 absmax codes + one float32 absmax2 (one 256-block) + the float32 offset = 536 B
    const qLine = report.layers.find((l) => l.name === 'model.layers.0.self_attn.q_proj')!;
    expect(qLine).toMatchObject({ baseDtype: 'nf4', baseBytes: 536, shape: [32, 32] });
    expect(qLine.bytesPerBaseWeight).toBeCloseTo(536 / 1024, 12);
    expect(report.baseWeightBytesFloat32 / report.baseWeightBytes).toBeGreaterThan(7);
    expect(report.text).toContain('nf4');
    // training still flows into the adapters, and merging into NF4 is refused
    expect(() => mergeAdapter(lora)).toThrow(expect.objectContaining({ code: 'lora_state' }));
    // all params: the base model's 22,688 (PEFT's 23,584 for the qv case minus its 896 adapter weights), NF4
    // weights counted one each, plus 2 layers x (q 4*32+32*4 + v 4*32+16*4 + gate 4*32+64*4 = 832) adapter weights
    expect(lora.printTrainableParameters(() => undefined)).toBe('trainable params: 1,664 || all params: 24,352 || trainable%: 6.8331');
    // toLinear dequantizes the NF4 base into a plain Linear and frees the adapters: nothing else stays behind
    const adapterTensors = q.lora_A.get('default')!.namedParameters().length + q.lora_B.get('default')!.namedParameters().length;
    const before = tf.memory().numTensors;
    const plain = q.toLinear();
    expectClose(plain.weight, w, { atol: 0 });
    plain.dispose();
    expect(tf.memory().numTensors).toBe(before - adapterTensors);
    lm.dispose();
  });
});
