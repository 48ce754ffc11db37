// Parity with PEFT 0.21 (tools/fixtures/gen_peft.py): adapters written by PeftModel.save_pretrained
// load onto DecoderLM.fromPretrained(base) and give PEFT's logits; an adapter written by
// saveAdapter loads in PeftModel.from_pretrained with llmkit's logits (reverse.json records it).
import { mkdtemp, readFile, rm, writeFile, mkdir, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { computeGradients, initBackend, readSafetensors, tf } from '@llmkit/core';
import { expectClose } from '@llmkit/core/testing';
import { DecoderLM } from '@llmkit/model';
import { LoraError, LoraModel, applyLora, loadAdapter, mergeAdapter, saveAdapter, unmergeAdapter, disableAdapter, mergeAndUnload } from '../src/index.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/peft/', import.meta.url));
const BASE = join(FIXTURES, 'base');

interface PeftCase {
  config: Record<string, unknown>;
  logits: number[][][];
  merged_logits: number[][][];
  tensor_names: string[];
}
interface PeftFixture {
  versions: Record<string, string>;
  input_ids: number[][];
  base_logits: number[][][];
  base_bias_logits: number[][][];
  base_gpt2_logits: number[][][];
  cases: Record<string, PeftCase>;
}

let fixture: PeftFixture;
beforeAll(async () => {
  await initBackend();
  fixture = JSON.parse(await readFile(join(FIXTURES, 'peft_logits.json'), 'utf8')) as PeftFixture;
});

/** The base model folder of a fixture case. */
function baseDir(name: string): string {
  return name.startsWith('bias_') ? join(FIXTURES, 'base_bias') : name.startsWith('gpt2') ? join(FIXTURES, 'base_gpt2') : BASE;
}

function baseLogits(name: string): number[] {
  return (name.startsWith('bias_') ? fixture.base_bias_logits : name.startsWith('gpt2') ? fixture.base_gpt2_logits : fixture.base_logits).flat(2);
}

function logitsOf(lm: DecoderLM): Float32Array {
  return tf.tidy(() => lm.forward(fixture.input_ids).dataSync() as Float32Array);
}

describe('PEFT -> llmkit', () => {
  it('base model matches transformers', async () => {
    const lm = await DecoderLM.fromPretrained(BASE);
    expectClose(logitsOf(lm), fixture.base_logits.flat(2), { atol: 1e-4 });
    lm.dispose();
  });

  it('base models match transformers', async () => {
    for (const name of ['bias_all', 'gpt2_default']) {
      const lm = await DecoderLM.fromPretrained(baseDir(name));
      expectClose(logitsOf(lm), baseLogits(name), { atol: 1e-4 });
      lm.dispose();
    }
  });

  for (const name of ['qv', 'all_rs', 'dora_mts', 'bias_all', 'bias_lora_only', 'gpt2_default']) {
    it(`${name}: loadAdapter gives PeftModel's logits (atol 1e-4), merged too`, async () => {
      const c = fixture.cases[name];
      const withBias = name.startsWith('bias_');
      const lm = await DecoderLM.fromPretrained(baseDir(name));
      const lora = await loadAdapter(lm, join(FIXTURES, name));
      expect(lora).toBeInstanceOf(LoraModel);
      const ours = logitsOf(lora.model);
      expectClose(ours, c.logits.flat(2), { atol: 1e-4 });
      // the adapter matters: PEFT's logits are far from the base model's
      const base = baseLogits(name);
      expect(Math.max(...c.logits.flat(2).map((v, i) => Math.abs(v - base[i])))).toBeGreaterThan(0.05);
      // inference mode, as PEFT's from_pretrained: nothing trains
      expect(lora.trainableParameters()).toHaveLength(0);
      mergeAdapter(lora);
      expectClose(logitsOf(lora.model), c.merged_logits.flat(2), { atol: 1e-4 });
      unmergeAdapter(lora);
      expectClose(logitsOf(lora.model), c.logits.flat(2), { atol: 1e-4 });
      // disabled adapters: the base model (trained biases stay in place, as in PEFT)
      if (!withBias) expectClose(disableAdapter(lora, () => logitsOf(lora.model)), base, { atol: 1e-4 });
      // round trip: saveAdapter writes PEFT's tensor names
      const dir = await mkdtemp(join(tmpdir(), 'llmkit-lora-'));
      try {
        await saveAdapter(lora, dir);
        const { tensors } = await readSafetensors(join(dir, 'adapter_model.safetensors'));
        expect([...tensors.keys()].sort()).toEqual(c.tensor_names);
        const original = await readSafetensors(join(FIXTURES, name, 'adapter_model.safetensors'));
        for (const [k, t] of original.tensors) expectClose(tensors.get(k)!.dataSync() as Float32Array, t.dataSync() as Float32Array, { atol: 0 });
        tf.dispose([...tensors.values(), ...original.tensors.values()]);
        const cfg = JSON.parse(await readFile(join(dir, 'adapter_config.json'), 'utf8'));
        const theirs = JSON.parse(await readFile(join(FIXTURES, name, 'adapter_config.json'), 'utf8'));
        for (const key of ['peft_type', 'r', 'lora_alpha', 'lora_dropout', 'bias', 'use_rslora', 'use_dora', 'modules_to_save', 'task_type', 'fan_in_fan_out', 'init_lora_weights']) {
          expect(cfg[key], key).toEqual(theirs[key]);
        }
        expect(new Set(cfg.target_modules)).toEqual(new Set(theirs.target_modules));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
      // merge_and_unload: a plain model with the base parameter names and PEFT's merged logits
      const fresh = await DecoderLM.fromPretrained(baseDir(name));
      const names = fresh.namedParameters().map(([n]) => n);
      fresh.dispose();
      const merged = mergeAndUnload(lora);
      expect(merged.namedParameters().map(([n]) => n)).toEqual(names);
      expectClose(logitsOf(merged), c.merged_logits.flat(2), { atol: 1e-4 });
      merged.dispose();
    });
  }
});

describe('several adapters', () => {
  it('loadAdapter onto a LoraModel adds a named adapter (PEFT load_adapter); setAdapter switches', async () => {
    const lm = await DecoderLM.fromPretrained(BASE);
    const lora = await loadAdapter(lm, join(FIXTURES, 'qv'));
    const same = await loadAdapter(lora, join(FIXTURES, 'all_rs'), { adapterName: 'rs' });
    expect(same).toBe(lora);
    expect(lora.activeAdapter).toBe('default');
    expectClose(logitsOf(lora.model), fixture.cases.qv.logits.flat(2), { atol: 1e-4 });
    lora.setAdapter('rs');
    expectClose(logitsOf(lora.model), fixture.cases.all_rs.logits.flat(2), { atol: 1e-4 });
    lora.setAdapter('default');
    expectClose(logitsOf(lora.model), fixture.cases.qv.logits.flat(2), { atol: 1e-4 });
    await expect(loadAdapter(lora, join(FIXTURES, 'all_rs'), { adapterName: 'rs' })).rejects.toThrow(/exists/);
    lm.dispose();
  });
});

describe('gradients', () => {
  for (const name of ['dora_mts', 'all_rs', 'bias_lora_only']) {
    it(`${name}: adapter gradients equal PEFT's (DoRA's detached norm included)`, async () => {
      const raw = JSON.parse(await readFile(join(FIXTURES, 'peft_grads.json'), 'utf8')).cases[name] as { loss: number; grads: Record<string, number[]> };
      // PEFT's in-memory `q_proj.base_layer.bias` is our `q_proj.bias` (the wrapped layer keeps the base names)
      const ref = { loss: raw.loss, grads: Object.fromEntries(Object.entries(raw.grads).map(([k, v]) => [k.replace('.base_layer.', '.'), v])) };
      const lm = await DecoderLM.fromPretrained(name.startsWith('bias_') ? join(FIXTURES, 'base_bias') : BASE);
      const lora = await loadAdapter(lm, join(FIXTURES, name), { isTrainable: true });
      const params = lora.trainableParameters();
      expect(params.map(([n]) => n).sort()).toEqual(Object.keys(ref.grads).sort());
      const ids = fixture.input_ids;
      const inputs = tf.tensor2d(ids.map((r) => r.slice(0, -1)), undefined, 'int32');
      const targets = tf.tensor2d(ids.map((r) => r.slice(1)), undefined, 'int32');
      const { loss, grads } = computeGradients(() => lora.model.loss(inputs, targets), params);
      expect(loss.dataSync()[0]).toBeCloseTo(ref.loss, 4);
      for (const [pname, g] of grads) expectClose(g.dataSync() as Float32Array, ref.grads[pname], { atol: 1e-5, rtol: 1e-3 });
      expect(grads.size).toBe(params.length);
      tf.dispose([inputs, targets, loss, ...grads.values()]);
      lm.dispose();
    });
  }
});

describe('llmkit -> PEFT', () => {
  it('PeftModel.from_pretrained on a saveAdapter folder gives llmkit logits (reverse.json)', async () => {
    const reverse = JSON.parse(await readFile(join(FIXTURES, 'reverse.json'), 'utf8'));
    const ours = JSON.parse(await readFile(join(FIXTURES, 'llmkit_adapter', 'llmkit_logits.json'), 'utf8'));
    expect(reverse.max_abs_diff_vs_llmkit).toBeLessThan(1e-4);
    expect(reverse.max_abs_diff_vs_base).toBeGreaterThan(1e-2);
    expectClose(reverse.peft_logits.flat(2), ours.logits.flat(2), { atol: 1e-4 });
    // and the committed folder still loads here with the same logits
    const lm = await DecoderLM.fromPretrained(BASE);
    const lora = await loadAdapter(lm, join(FIXTURES, 'llmkit_adapter'));
    expectClose(tf.tidy(() => lora.model.forward(ours.input_ids).dataSync() as Float32Array), ours.logits.flat(2), { atol: 1e-5 });
    lm.dispose();
  });
});

describe('strict loading', () => {
  async function copyAdapter(name: string): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'llmkit-lora-bad-'));
    await mkdir(dir, { recursive: true });
    for (const f of ['adapter_config.json', 'adapter_model.safetensors']) await copyFile(join(FIXTURES, name, f), join(dir, f));
    return dir;
  }

  it('names unknown and missing tensors and leaves the model unchanged', async () => {
    const dir = await copyAdapter('qv');
    try {
      const cfg = JSON.parse(await readFile(join(dir, 'adapter_config.json'), 'utf8'));
      cfg.target_modules = ['q_proj', 'k_proj'];
      await writeFile(join(dir, 'adapter_config.json'), JSON.stringify(cfg));
      const lm = await DecoderLM.fromPretrained(BASE);
      const before = logitsOf(lm);
      const names = lm.namedParameters().map(([n]) => n);
      const error = await loadAdapter(lm, dir).catch((e: unknown) => e);
      expect(LoraError.isInstance(error)).toBe(true);
      expect((error as LoraError).code).toBe('lora_adapter_format');
      expect((error as Error).message).toContain('base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight');
      expect((error as Error).message).toContain('base_model.model.model.layers.0.self_attn.k_proj.lora_A.weight');
      expect(lm.namedParameters().map(([n]) => n)).toEqual(names);
      expectClose(logitsOf(lm), before, { atol: 0 });
      lm.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects a wrong rank, a non-LoRA config and a missing folder with typed errors', async () => {
    const dir = await copyAdapter('qv');
    try {
      const cfg = JSON.parse(await readFile(join(dir, 'adapter_config.json'), 'utf8'));
      await writeFile(join(dir, 'adapter_config.json'), JSON.stringify({ ...cfg, r: 8 }));
      const lm = await DecoderLM.fromPretrained(BASE);
      await expect(loadAdapter(lm, dir)).rejects.toThrow(/shape \[4,32\] .* but \[8,32\]/);
      await writeFile(join(dir, 'adapter_config.json'), JSON.stringify({ ...cfg, peft_type: 'IA3' }));
      await expect(loadAdapter(lm, dir)).rejects.toThrow(/only "LORA"/);
      await expect(loadAdapter(lm, join(dir, 'nope'))).rejects.toMatchObject({ code: 'lora_adapter_format' });
      // still a plain model: applyLora works afterwards
      applyLora(lm, { r: 2, targetModules: ['q_proj'] });
      lm.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
