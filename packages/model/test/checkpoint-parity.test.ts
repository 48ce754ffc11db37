// Parity with transformers: tiny checkpoints written by save_pretrained
// (tools/fixtures/gen_model_checkpoints.py) load with fromPretrained and give
// transformers' logits; our save() writes what save_pretrained writes.
import { mkdtemp, readFile, readdir, rm, writeFile, copyFile, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, readSafetensorsHeader, tf } from '@llmkit/core';
import { CheckpointError } from '@llmkit/core/errors';
import { expectClose } from '@llmkit/core/testing';
import { DecoderLM } from '../src/index.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/checkpoints/', import.meta.url));
const CASES = ['gpt2', 'llama_gqa_untied_bf16', 'llama_tied_llama3_sharded', 'qwen2_bias_f16', 'mistral_window_f16'];

interface LogitsFixture {
  name: string;
  modelType: string;
  dtype: string;
  maxShardSize: string | null;
  inputIds: number[][];
  attentionMask: number[][];
  logits: number[][][];
}

async function fixture(name: string): Promise<LogitsFixture> {
  return JSON.parse(await readFile(join(FIXTURES, name, 'logits.json'), 'utf8')) as LogitsFixture;
}

/** Max |a - b| over the positions where mask is 1. */
function maskedMaxDiff(actual: number[][][], expected: number[][][], mask: number[][]): number {
  let worst = 0;
  expected.forEach((seq, b) =>
    seq.forEach((row, t) => {
      if (mask[b][t] === 0) return;
      row.forEach((v, j) => {
        worst = Math.max(worst, Math.abs(actual[b][t][j] - v));
      });
    }),
  );
  return worst;
}

/** name -> [dtype, shape] from a safetensors file's header. */
async function header(path: string): Promise<Map<string, string>> {
  const bytes = new Uint8Array(await readFile(path));
  const h = readSafetensorsHeader(bytes);
  return new Map([...h.tensors].map(([name, info]) => [name, `${info.dtype} [${info.shape}]`]));
}

async function allHeaders(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const f of (await readdir(dir)).filter((n) => n.endsWith('.safetensors')).sort()) {
    for (const [k, v] of await header(join(dir, f))) out.set(k, v);
  }
  return out;
}

const TORCH_TO_ST: Record<string, 'F32' | 'F16' | 'BF16'> = { float32: 'F32', float16: 'F16', bfloat16: 'BF16' };

let tmp: string;
beforeAll(async () => {
  await initBackend();
  tmp = await mkdtemp(join(tmpdir(), 'llmkit-ckpt-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe.each(CASES)('transformers checkpoint %s', (name) => {
  it('fromPretrained gives transformers logits (padded batch, atol 1e-4)', async () => {
    const fx = await fixture(name);
    const lm = await DecoderLM.fromPretrained(join(FIXTURES, name));
    expect(lm.config.modelType).toBe(fx.modelType);
    const logits = tf.tidy(() => lm.forward(fx.inputIds, { attentionMask: fx.attentionMask }).arraySync());
    expect(maskedMaxDiff(logits, fx.logits, fx.attentionMask)).toBeLessThan(1e-4);
    // the unpadded row alone, without a mask, equals its row in the batch
    const single = tf.tidy(() => lm.forward([fx.inputIds[1]]).arraySync());
    expectClose(single[0], fx.logits[1], { atol: 1e-4, label: `${name} unmasked row` });
    lm.dispose();
  });

  it('save() writes the tensor names, shapes and dtypes save_pretrained wrote', async () => {
    const fx = await fixture(name);
    const src = join(FIXTURES, name);
    const lm = await DecoderLM.fromPretrained(src);
    const out = join(tmp, `${name}-resaved`);
    const dtype = TORCH_TO_ST[fx.dtype];
    // transformers' "20KB" is 20 * 1000 bytes
    const maxShardBytes = fx.maxShardSize ? Number.parseInt(fx.maxShardSize, 10) * 1000 : undefined;
    await lm.save(out, { dtype, ...(maxShardBytes ? { maxShardBytes } : {}) });
    expect(await allHeaders(out)).toEqual(await allHeaders(src));
    const theirsFiles = (await readdir(src)).filter((n) => n.endsWith('.safetensors') || n.endsWith('.index.json')).sort();
    const oursFiles = (await readdir(out)).filter((n) => n.endsWith('.safetensors') || n.endsWith('.index.json')).sort();
    expect(oursFiles).toEqual(theirsFiles);
    if (maxShardBytes) {
      const theirs = JSON.parse(await readFile(join(src, 'model.safetensors.index.json'), 'utf8'));
      const ours = JSON.parse(await readFile(join(out, 'model.safetensors.index.json'), 'utf8'));
      expect(ours).toEqual(theirs);
    }
    const config = JSON.parse(await readFile(join(out, 'config.json'), 'utf8'));
    const original = JSON.parse(await readFile(join(src, 'config.json'), 'utf8'));
    expect(config).toEqual(original);
    // generation_config.json is carried over
    expect(existsSync(join(out, 'generation_config.json'))).toBe(true);
    // and the re-saved model loads back to the same logits
    const again = await DecoderLM.fromPretrained(out);
    const a = tf.tidy(() => lm.forward([fx.inputIds[1]]).arraySync());
    const b = tf.tidy(() => again.forward([fx.inputIds[1]]).arraySync());
    expectClose(b, a, { atol: 0 });
    lm.dispose();
    again.dispose();
  });
});

describe('tokenizer files', () => {
  it('fromPretrained loads tokenizer.json + tokenizer_config.json; save() copies them', async () => {
    const fx = JSON.parse(await readFile(join(FIXTURES, 'gpt2', 'logits.json'), 'utf8')) as { tokenizer: { text: string; ids: number[]; decoded: string } };
    const lm = await DecoderLM.fromPretrained(join(FIXTURES, 'gpt2'));
    expect(lm.tokenizer?.encode(fx.tokenizer.text)).toEqual(fx.tokenizer.ids);
    expect(lm.tokenizer?.decode(fx.tokenizer.ids)).toBe(fx.tokenizer.decoded);
    expect(lm.tokenizerConfig?.eos_token).toBe('</s>');
    expect(lm.generationConfig?.eos_token_id).toBe(2);
    const out = join(tmp, 'with-tokenizer');
    await lm.save(out);
    for (const f of ['tokenizer.json', 'tokenizer_config.json', 'generation_config.json']) {
      expect(await readFile(join(out, f), 'utf8')).toBe(await readFile(join(FIXTURES, 'gpt2', f), 'utf8'));
    }
    const again = await DecoderLM.fromPretrained(out);
    expect(again.tokenizer?.encode(fx.tokenizer.text)).toEqual(fx.tokenizer.ids);
    lm.dispose();
    again.dispose();
  });
});

describe('llmkit -> transformers (reverse.json, written by gen_model_checkpoints.py --reverse)', () => {
  it('transformers loaded every saved model without missing keys and reproduced our logits to 1e-4', async () => {
    const record = JSON.parse(await readFile(join(FIXTURES, 'reverse.json'), 'utf8')) as {
      atol: number;
      maxAbsLogitDiff: number;
      models: Array<{ name: string; savedDtype: string; files: string[]; maxAbsLogitDiff: number; missingKeys: string[]; unexpectedKeys: string[] }>;
    };
    expect(record.atol).toBe(1e-4);
    expect(record.models.map((m) => m.savedDtype).sort()).toEqual(['BF16', 'F16', 'F32', 'F32', 'F32']);
    expect(record.models.some((m) => m.files.includes('model.safetensors.index.json'))).toBe(true);
    for (const m of record.models) {
      expect(m.maxAbsLogitDiff, m.name).toBeLessThan(1e-4);
      expect(m.missingKeys, m.name).toEqual([]);
      expect(m.unexpectedKeys, m.name).toEqual([]);
    }
    expect(record.maxAbsLogitDiff).toBe(Math.max(...record.models.map((m) => m.maxAbsLogitDiff)));
  });
});

describe('checkpoint errors', () => {
  async function copyDir(from: string, to: string) {
    await mkdir(to, { recursive: true });
    for (const f of await readdir(from)) await copyFile(join(from, f), join(to, f));
  }

  it('names a missing tensor and the file', async () => {
    const dir = join(tmp, 'untied-as-tied');
    await copyDir(join(FIXTURES, 'llama_tied_llama3_sharded'), dir);
    // claim an untied head: lm_head.weight is then required but absent from the files
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    await writeFile(join(dir, 'config.json'), JSON.stringify({ ...config, tie_word_embeddings: false }));
    const error = await DecoderLM.fromPretrained(dir).catch((e: unknown) => e);
    expect(CheckpointError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/Missing tensor "lm_head\.weight"/);
    expect((error as Error).message).toContain('model-00001-of-00002.safetensors');
  });

  it('names a mis-shaped tensor and its file', async () => {
    const dir = join(tmp, 'wrong-shape');
    await copyDir(join(FIXTURES, 'gpt2'), dir);
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    await writeFile(join(dir, 'config.json'), JSON.stringify({ ...config, n_inner: 128 }));
    const error = await DecoderLM.fromPretrained(dir).catch((e: unknown) => e);
    expect(CheckpointError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/"transformer\.h\.0\.mlp\.c_fc\.(weight|bias)" in .*model\.safetensors has shape/);
  });

  it('names an unexpected tensor and its file', async () => {
    const dir = join(tmp, 'qwen2-as-llama');
    await copyDir(join(FIXTURES, 'qwen2_bias_f16'), dir);
    // a llama without attention_bias has no q/k/v biases, which the Qwen2 file holds
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    await writeFile(join(dir, 'config.json'), JSON.stringify({ ...config, model_type: 'llama' }));
    const error = await DecoderLM.fromPretrained(dir).catch((e: unknown) => e);
    expect(CheckpointError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/Unexpected tensor "model\.layers\.\d\.self_attn\.[qkv]_proj\.bias" in .*model\.safetensors/);
  });

  it('reports a folder without weights', async () => {
    const broken = join(tmp, 'no-weights');
    await mkdir(broken, { recursive: true });
    await copyFile(join(FIXTURES, 'gpt2', 'config.json'), join(broken, 'config.json'));
    const missing = await DecoderLM.fromPretrained(broken).catch((e: unknown) => e);
    expect(CheckpointError.isInstance(missing)).toBe(true);
    expect((missing as Error).message).toContain('model.safetensors');
  });
});
