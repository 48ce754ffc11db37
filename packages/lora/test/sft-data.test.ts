// SFT data pipeline: format converters, JSONL errors, completion-only labels (against transformers'
// assistant masks), truncation, best-fit-decreasing packing, and packed batches whose loss equals the
// loss of every sequence run alone.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng, initBackend, tf } from '@llmkit/core';
import { CharTokenizer, DecoderLM } from '@llmkit/model';
import { fromTiktoken, type ChatMessage } from '@llmkit/tokenizer';
import {
  IGNORE_INDEX,
  PLAIN_QA_TEMPLATE,
  SequenceTooLongError,
  SftDatasetError,
  collateSft,
  detectFormat,
  fromAlpaca,
  fromMessages,
  fromShareGPT,
  packBestFitDecreasing,
  readJsonl,
  sftLoss,
  toAlpaca,
  toJsonl,
  toMessages,
  toShareGPT,
  tokenizeSftExample,
  type MessagesRecord,
  type TokenizedSftExample,
} from '../src/index.js';

const CONVERSATION: MessagesRecord = {
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'Name a whale.' },
    { role: 'assistant', content: 'Moby Dick.' },
    { role: 'user', content: 'Another?' },
    { role: 'assistant', content: 'A sperm whale.' },
  ],
};

describe('format converters', () => {
  it('round-trips messages -> ShareGPT -> messages', () => {
    const sharegpt = toShareGPT(CONVERSATION);
    expect(sharegpt.conversations.map((t) => t.from)).toEqual(['system', 'human', 'gpt', 'human', 'gpt']);
    expect(fromShareGPT(sharegpt)).toEqual(CONVERSATION);
  });

  it('reads ShareGPT spellings and the top-level system field', () => {
    const record = { system: 'S', conversations: [{ from: 'user', value: 'u' }, { from: 'assistant', value: 'a' }, { from: 'observation', value: 't' }] };
    expect(fromShareGPT(record).messages).toEqual([
      { role: 'system', content: 'S' },
      { role: 'user', content: 'u' },
      { role: 'assistant', content: 'a' },
      { role: 'tool', content: 't' },
    ]);
  });

  it('round-trips Alpaca -> messages -> Alpaca -> ShareGPT -> messages', () => {
    const alpaca = { instruction: 'Upper-case the word.', input: '', output: 'WHALE', system: 'You format words.' };
    const messages = fromAlpaca(alpaca);
    expect(messages.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant']);
    expect(toAlpaca(messages)).toEqual(alpaca);
    expect(toMessages(toShareGPT(messages))).toEqual(messages);
    expect(toMessages(alpaca)).toEqual(messages);
  });

  it('joins Alpaca instruction and input with a newline (LLaMA-Factory)', () => {
    expect(fromAlpaca({ instruction: 'Upper-case:', input: 'whale', output: 'WHALE' }).messages[0]).toEqual({ role: 'user', content: 'Upper-case:\nwhale' });
  });

  it('refuses to squeeze a multi-turn chat into Alpaca', () => {
    expect(() => toAlpaca(CONVERSATION)).toThrow(SftDatasetError);
  });

  it('detects every format and names bad fields', () => {
    expect(detectFormat({ messages: [] })).toBe('messages');
    expect(detectFormat({ conversations: [] })).toBe('sharegpt');
    expect(detectFormat({ instruction: 'a', output: 'b' })).toBe('alpaca');
    expect(detectFormat({ prompt: 'a', completion: 'b' })).toBe('prompt_completion');
    expect(detectFormat({ text: 'a' })).toBe('text');
    expect(() => detectFormat({ foo: 1 })).toThrow(/unknown record format/);
    expect(() => fromMessages({ messages: [{ role: 'bot', content: 'x' }] })).toThrow(/messages\[0\]\.role/);
    expect(() => fromShareGPT({ conversations: [{ from: 'human', value: 3 }] })).toThrow(/conversations\[0\]\.value/);
  });
});

describe('readJsonl', () => {
  it('parses every format, skips blank lines and normalises', () => {
    const text = toJsonl([{ text: 'a b' }, CONVERSATION, { instruction: 'i', output: 'o' }]) + '\n\n{"prompt":"p","completion":"c"}\r\n';
    const records = readJsonl(text);
    expect(records).toHaveLength(4);
    expect(records[0]).toEqual({ text: 'a b' });
    expect(records[2]).toEqual({ messages: [{ role: 'user', content: 'i' }, { role: 'assistant', content: 'o' }] });
    expect(records[3]).toEqual({ prompt: 'p', completion: 'c' });
  });

  it('names the line of invalid JSON, a non-object and a malformed record', () => {
    const bad = (text: string, line: number, pattern: RegExp) => {
      try {
        readJsonl(text);
        expect.unreachable('readJsonl should throw');
      } catch (error) {
        expect(SftDatasetError.isInstance(error)).toBe(true);
        expect((error as SftDatasetError).code).toBe('sft_dataset');
        expect((error as SftDatasetError).line).toBe(line);
        expect((error as Error).message).toMatch(pattern);
      }
    };
    bad('{"text":"ok"}\n{"text": "broken"\n', 2, /line 2: invalid JSON/);
    bad('{"text":"ok"}\n\n[1, 2]\n', 3, /line 3: expected a JSON object/);
    bad('{"text":"ok"}\n{"messages":[{"role":"user","content":5}]}\n', 2, /line 2: "messages\[0\]\.content" must be a string/);
  });

  it('reads a file and names it with the line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'llmkit-jsonl-'));
    const path = join(dir, 'train.jsonl');
    writeFileSync(path, '{"text":"a"}\n{"text":"b"}\n{"oops": 1}\n');
    try {
      expect(() => readJsonl({ path })).toThrow(/line 3: unknown record format/);
      expect(readJsonl({ path }, { normalize: false })).toHaveLength(3);
      expect(() => readJsonl({ path: join(dir, 'missing.jsonl') })).toThrow(/cannot read/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('completion-only labels', () => {
  it('equal transformers return_assistant_tokens_mask ({% generation %} templates, o200k ids)', () => {
    // Fixture written by tools/fixtures for @llmkit/tokenizer with transformers (version in the file).
    const fixtures = JSON.parse(readFileSync(new URL('../../tokenizer/test/fixtures/chat/templates.json', import.meta.url), 'utf8')) as {
      transformers: string;
      assistantMasks: Array<{ name: string; template: string; messages: ChatMessage[]; ids: number[]; assistantMask: number[] }>;
    };
    const o200k = fromTiktoken('o200k_base');
    expect(fixtures.assistantMasks.length).toBeGreaterThan(0);
    for (const fx of fixtures.assistantMasks) {
      const { inputIds, labels } = tokenizeSftExample({ messages: fx.messages } as MessagesRecord, { tokenizer: o200k, chatTemplate: fx.template });
      expect(inputIds).toEqual(fx.ids);
      expect(labels).toEqual(fx.ids.map((id, i) => (fx.assistantMask[i] === 1 ? id : IGNORE_INDEX)));
    }
  });

  it('cover exactly the assistant text of PLAIN_QA_TEMPLATE with a character tokenizer (hand-checked)', () => {
    const tokenizer = CharTokenizer.fromText('QA: \nhiyo');
    const { inputIds, labels } = tokenizeSftExample(
      { messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'yo' }] },
      { tokenizer, chatTemplate: PLAIN_QA_TEMPLATE },
    );
    // rendered "Q: hi\nA: yo\n\n": 14 characters; the assistant span is "yo\n\n" (the last 4).
    expect(tokenizer.decode(inputIds)).toBe('Q: hi\nA: yo\n\n');
    const trained = labels.map((l) => (l === IGNORE_INDEX ? '.' : tokenizer.decode([l]))).join('');
    expect(trained).toBe('.........yo\n\n');
    // without completion-only loss every token is a label
    const all = tokenizeSftExample({ messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'yo' }] }, {
      tokenizer,
      chatTemplate: PLAIN_QA_TEMPLATE,
      completionOnlyLoss: false,
    });
    expect(all.labels).toEqual(all.inputIds);
  });

  it('mask the prompt of prompt-completion records and append EOS; text trains on everything', () => {
    const tokenizer = CharTokenizer.fromText('abcdef');
    const pc = tokenizeSftExample({ prompt: 'ab', completion: 'cd' }, { tokenizer, eosTokenId: 5 });
    expect(pc.inputIds).toEqual([0, 1, 2, 3, 5]);
    expect(pc.labels).toEqual([IGNORE_INDEX, IGNORE_INDEX, 2, 3, 5]);
    const text = tokenizeSftExample({ text: 'abc' }, { tokenizer });
    expect(text.labels).toEqual([0, 1, 2]);
  });
});

describe('max length', () => {
  const tokenizer = CharTokenizer.fromText('abcdefghij');
  it('throws SequenceTooLongError naming the example unless truncation is chosen', () => {
    try {
      tokenizeSftExample({ text: 'abcdefghij' }, { tokenizer, maxLength: 8, index: 3 });
      expect.unreachable('should throw');
    } catch (error) {
      expect(SequenceTooLongError.isInstance(error)).toBe(true);
      expect((error as SequenceTooLongError).code).toBe('sequence_too_long');
      expect((error as Error).message).toMatch(/example 3 has 10 tokens, more than maxLength 8.*truncation: true/);
    }
    const cut = tokenizeSftExample({ text: 'abcdefghij' }, { tokenizer, maxLength: 8, truncation: true });
    expect(tokenizer.decode(cut.inputIds)).toBe('abcdefgh');
    expect(cut.labels).toHaveLength(8);
  });
});

describe('packing', () => {
  it('places examples by best-fit decreasing', () => {
    // decreasing: 5 (row 0, room 3), 4 (new row 1, room 4), 3 (best fit: row 0, room 0), 2 (row 1)
    expect(packBestFitDecreasing([5, 3, 4, 2], 8)).toEqual([[0, 1], [2, 3]]);
    expect(() => packBestFitDecreasing([9], 8)).toThrow(/example 0 has 9 tokens/);
  });

  it("places examples exactly as TRL's pack_dataset(strategy='bfd') (tools/fixtures/gen_sft_packing.py)", () => {
    const fixture = JSON.parse(readFileSync(new URL('./fixtures/sft/trl-bfd.json', import.meta.url), 'utf8')) as {
      trl: string;
      cases: Array<{ seqLength: number; lengths: number[]; rows: Array<{ examples: number[]; seqLengths: number[] }> }>;
    };
    expect(fixture.cases.length).toBe(5);
    for (const c of fixture.cases) {
      const rows = packBestFitDecreasing(c.lengths, c.seqLength);
      expect(rows).toEqual(c.rows.map((r) => r.examples));
      expect(rows.map((r) => r.map((i) => c.lengths[i]))).toEqual(c.rows.map((r) => r.seqLengths));
    }
  });

  it('builds targets, positions and segments that restart per example', () => {
    const a: TokenizedSftExample = { inputIds: [1, 2, 3], labels: [IGNORE_INDEX, 2, 3] };
    const b: TokenizedSftExample = { inputIds: [4, 5], labels: [4, 5] };
    const batch = collateSft([[a, b], [b]], { packed: true, padTokenId: 0 });
    expect(batch.length).toBe(5);
    expect(Array.from(batch.inputIds)).toEqual([1, 2, 3, 4, 5, 4, 5, 0, 0, 0]);
    expect(Array.from(batch.targets)).toEqual([2, 3, -100, 5, -100, 5, -100, -100, -100, -100]);
    expect(Array.from(batch.positionIds!)).toEqual([0, 1, 2, 0, 1, 0, 1, 0, 0, 0]);
    expect(Array.from(batch.segmentIds!)).toEqual([0, 0, 0, 1, 1, 0, 0, -1, -1, -1]);
    expect(batch.trainedTokens).toBe(4);
    expect(batch.tokens).toBe(7);
  });

  describe.each(['llama', 'gpt2'])('loss equals separate runs (%s)', (modelType) => {
    let lm: DecoderLM;
    beforeAll(async () => {
      await initBackend();
      lm = DecoderLM.fromConfig(
        modelType === 'llama'
          ? { model_type: 'llama', vocab_size: 30, hidden_size: 32, intermediate_size: 48, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 64 }
          : { model_type: 'gpt2', vocab_size: 30, n_embd: 32, n_layer: 2, n_head: 4, n_positions: 64 },
        { rng: createRng(3) },
      );
    });

    it('a packed batch gives the token-weighted mean of the per-sequence losses', () => {
      const rng = createRng(11);
      const examples: TokenizedSftExample[] = [7, 3, 9, 5, 4].map((n, e) => {
        const ids = Array.from({ length: n }, () => 1 + rng.randint(0, 28));
        // completion-only style: the first two tokens are prompt
        return { inputIds: ids, labels: ids.map((id, i) => (i < 2 && e % 2 === 0 ? IGNORE_INDEX : id)) };
      });
      const rows = packBestFitDecreasing(examples.map((e) => e.inputIds.length), 12);
      expect(rows.length).toBeLessThan(examples.length); // something was packed
      const packed = collateSft(rows.map((r) => r.map((i) => examples[i]!)), { packed: true });
      const packedLoss = sftLoss(lm, packed);
      let sum = 0;
      let count = 0;
      for (const example of examples) {
        const alone = collateSft([[example]]);
        const loss = sftLoss(lm, alone);
        sum += (loss.arraySync() as number) * alone.trainedTokens;
        count += alone.trainedTokens;
        loss.dispose();
      }
      expect(packed.trainedTokens).toBe(count);
      expect(packedLoss.arraySync() as number).toBeCloseTo(sum / count, 5);
      // a padded batch of the same examples agrees as well
      const padded = sftLoss(lm, collateSft(examples.map((e) => [e])));
      expect(padded.arraySync() as number).toBeCloseTo(sum / count, 5);
      // the same packed rows without positions and segments (attention across examples) do not
      const { positionIds: _p, segmentIds: _s, ...unbounded } = packed;
      const naive = sftLoss(lm, unbounded);
      expect(Math.abs((naive.arraySync() as number) - sum / count)).toBeGreaterThan(1e-4);
      tf.dispose([packedLoss, padded, naive]);
    });
  });
});
