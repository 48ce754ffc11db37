// Packed sequences: positionIds restarting at 0 and segmentIds (document-aware causal
// attention) make a packed row compute exactly what each sequence computes alone.
// The reference is the model itself run on every sequence separately (no packing options),
// whose default path is tested against transformers in decoder-lm.test.ts.
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng, initBackend, tf } from '@llmkit/core';
import { InvalidArgumentError, ShapeMismatchError } from '@llmkit/core/errors';
import { expectClose } from '@llmkit/core/testing';
import { DecoderLM } from '../src/index.js';

const CONFIGS: Record<string, Record<string, unknown>> = {
  gpt2: { model_type: 'gpt2', vocab_size: 40, n_embd: 32, n_layer: 2, n_head: 4, n_positions: 32, attn_pdrop: 0, resid_pdrop: 0, embd_pdrop: 0 },
  llama: {
    model_type: 'llama',
    vocab_size: 40,
    hidden_size: 32,
    intermediate_size: 48,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    max_position_embeddings: 32,
  },
  mistral: {
    model_type: 'mistral',
    vocab_size: 40,
    hidden_size: 32,
    intermediate_size: 48,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 1,
    max_position_embeddings: 32,
    sliding_window: 3,
  },
};

const SEQUENCES = [
  [3, 7, 9, 1, 12],
  [5, 2],
  [8, 8, 30, 4, 6, 11, 2],
];

/** Pack SEQUENCES into one row: ids, positions restarting at 0, one segment id per sequence. */
function packOne(seqs: number[][]): { ids: number[]; positions: number[]; segments: number[] } {
  const ids: number[] = [];
  const positions: number[] = [];
  const segments: number[] = [];
  seqs.forEach((s, d) => {
    s.forEach((id, i) => {
      ids.push(id);
      positions.push(i);
      segments.push(d);
    });
  });
  return { ids, positions, segments };
}

beforeAll(async () => {
  await initBackend();
});

describe.each(Object.keys(CONFIGS))('packed forward (%s)', (name) => {
  let lm: DecoderLM;
  beforeAll(() => {
    lm = DecoderLM.fromConfig(CONFIGS[name]!, { rng: createRng(7) });
  });

  it('gives every packed sequence the logits it has alone', () => {
    const { ids, positions, segments } = packOne(SEQUENCES);
    const packed = lm.forward([ids], { positionIds: [positions], segmentIds: [segments] });
    const packedRows = (packed.arraySync() as number[][][])[0]!;
    packed.dispose();
    let at = 0;
    for (const seq of SEQUENCES) {
      const alone = lm.forward([seq]);
      const aloneRows = (alone.arraySync() as number[][][])[0]!;
      alone.dispose();
      expectClose(packedRows.slice(at, at + seq.length).flat(), aloneRows.flat(), { atol: 2e-5, rtol: 1e-4 });
      at += seq.length;
    }
  });

  it('differs from the unpacked forward when positions and segments are left out (the options matter)', () => {
    const { ids } = packOne(SEQUENCES);
    const plain = lm.forward([ids]);
    const alone = lm.forward([SEQUENCES[1]!]);
    const a = (plain.arraySync() as number[][][])[0]!.slice(5, 7).flat();
    const b = (alone.arraySync() as number[][][])[0]!.flat();
    plain.dispose();
    alone.dispose();
    const maxDiff = Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
    expect(maxDiff).toBeGreaterThan(1e-3);
  });

  it('gives the same per-sequence loss in a padded two-row packed batch (loss options)', () => {
    // row 0: seq0 + seq1 (7 tokens), row 1: seq2 (7 tokens); per-token losses must match separate runs
    const rows = [packOne([SEQUENCES[0]!, SEQUENCES[1]!]), packOne([SEQUENCES[2]!])];
    const T = 7;
    const ids = tf.tensor2d(rows.map((r) => r.ids), [2, T], 'int32');
    const positionIds = tf.tensor2d(rows.map((r) => r.positions), [2, T], 'int32');
    const segmentIds = tf.tensor2d(rows.map((r) => r.segments), [2, T], 'int32');
    // targets: next token inside the same sequence, -100 at each sequence's last token
    const targets = rows.map((r) => r.ids.map((_, i) => (i + 1 < T && r.segments[i + 1] === r.segments[i] ? r.ids[i + 1]! : -100)));
    const packedLoss = lm.loss(ids, tf.tensor2d(targets, [2, T], 'int32'), undefined, { positionIds, segmentIds });
    // reference: sum of per-sequence summed losses / number of counted targets
    let sum = 0;
    let count = 0;
    for (const seq of SEQUENCES) {
      const x = tf.tensor2d([seq.slice(0, -1)], undefined, 'int32');
      const y = tf.tensor2d([seq.slice(1)], undefined, 'int32');
      const l = lm.loss(x, y);
      sum += (l.arraySync() as number) * (seq.length - 1);
      count += seq.length - 1;
      tf.dispose([x, y, l]);
    }
    expect(packedLoss.arraySync() as number).toBeCloseTo(sum / count, 4);
    tf.dispose([ids, positionIds, segmentIds, packedLoss]);
  });
});

describe('packing options validation', () => {
  let lm: DecoderLM;
  beforeAll(() => {
    lm = DecoderLM.fromConfig(CONFIGS.llama!, { rng: createRng(1) });
  });

  it('rejects mis-shaped positionIds / segmentIds and segmentIds with a cache', () => {
    expect(() => lm.forward([[1, 2, 3]], { positionIds: [[0, 1]] })).toThrow(ShapeMismatchError);
    expect(() => lm.forward([[1, 2, 3]], { segmentIds: [[0, 0, 1], [0, 0, 1]] })).toThrow(ShapeMismatchError);
    expect(() => lm.forward([[1, 2, 3]], { positionIds: [[0, -1, 2]] })).toThrow(InvalidArgumentError);
    const cache = lm.createCache();
    expect(() => lm.forward([[1, 2, 3]], { cache, segmentIds: [[0, 0, 1]] })).toThrow(/cache/);
    cache.dispose();
  });

  it('leaves the default forward unchanged (explicit default positions give identical logits)', () => {
    const a = lm.forward([[4, 5, 6, 7]]);
    const b = lm.forward([[4, 5, 6, 7]], { positionIds: [[0, 1, 2, 3]] });
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    tf.dispose([a, b]);
  });
});
