import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runTokenizerTraining } from '../src/main.js';

const outDir = mkdtempSync(join(tmpdir(), 'llmkit-example-tok-'));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe('example: tokenizer-training', () => {
  it('trains, saves tokenizer.json + tiktoken ranks, and matches HF tokenizers and tiktoken on every text', async () => {
    const lines: string[] = [];
    const result = await runTokenizerTraining({ vocabSize: 400, chars: 50_000, outDir, progress: false, log: (l) => lines.push(l) });
    expect(result.vocabSize).toBe(400);
    // 400 tokens = 256 byte tokens + 2 special tokens + 142 merges.
    expect(result.merges).toBe(400 - 256 - 2);
    expect(existsSync(result.tokenizerPath)).toBe(true);
    expect(JSON.parse(readFileSync(result.tokenizerPath, 'utf8')).model.type).toBe('BPE');
    expect(readFileSync(result.tiktokenPath, 'utf8').trim().split('\n')).toHaveLength(398);
    expect(result.parity).toHaveLength(4);
    for (const row of result.parity) expect(row).toMatchObject({ hfSame: true, tiktokenSame: true, roundTrip: true });
    expect(result.cl100k.same).toBe(true);
    // cl100k_base has 100k tokens: it compresses English far better than a 400-token vocabulary.
    expect(result.cl100k.charsPerToken).toBeGreaterThan(result.charsPerToken);
    expect(result.allSame).toBe(true);
    // Any merge compresses English text below 1 byte-level token per character.
    expect(result.charsPerToken).toBeGreaterThan(1.3);
    expect(result.sample.pieces.join('')).toBe(result.sample.text);
    expect(lines.at(-1)).toMatch(/parity: OK/);
  });
});
