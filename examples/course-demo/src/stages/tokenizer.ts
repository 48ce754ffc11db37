/**
 * Stage 1: train a byte-level BPE tokenizer on Moby Dick with @llmkit/tokenizer's trainBpe (the
 * same vocabulary and merges as Hugging Face `tokenizers`' BpeTrainer), save it as tokenizer.json
 * and measure how well it compresses the held-out chapters.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createProgress } from '@llmkit/core';
import { fromHuggingFace, trainBpe } from '@llmkit/tokenizer';
import type { StageDefinition } from '../context.js';
import { mobyDickChapters } from '../data/corpus.js';

export const EOS_TOKEN = '<|endoftext|>';

export interface TokenizerResult {
  file: string;
  vocabSize: number;
  merges: number;
  trainChapters: number;
  heldOutChapters: number;
  /** Characters per token on the held-out chapters (higher = better compression). */
  charsPerToken: number;
  /** Characters per token of the plain byte-level baseline (1 token per UTF-8 byte). */
  bytesPerChar: number;
  roundTrip: boolean;
  example: { text: string; pieces: string[] };
  eosTokenId: number;
}

export const tokenizerStage: StageDefinition<TokenizerResult> = {
  id: '1-tokenizer',
  title: 'Stage 1/7: byte-level BPE tokenizer on Moby Dick',
  narration:
    'A tokenizer turns text into integer ids. Byte-level BPE starts from the 256 byte values and\n' +
    'repeatedly merges the most frequent adjacent pair (GPT-2/Llama 3 style); trainBpe learns the merges.',
  dependsOn: [],
  settings: (s) => s.tokenizer,
  async run(ctx, dir) {
    const { vocabSize, chapters: limit } = ctx.settings.tokenizer;
    const chapters = mobyDickChapters(limit);
    const cut = Math.max(1, Math.floor(chapters.length * 0.9));
    const train = chapters.slice(0, cut).map((c) => c.text);
    const heldOut = chapters.slice(cut).map((c) => c.text);
    ctx.log(`   training on ${train.length} chapters (${train.reduce((n, t) => n + t.length, 0).toLocaleString()} characters), vocabulary ${vocabSize}`);
    const result = await trainBpe(train, { vocabSize, specialTokens: [EOS_TOKEN], minFrequency: 2, showProgress: ctx.progress });
    const file = join(dir, 'tokenizer.json');
    writeFileSync(file, JSON.stringify(result.toHuggingFaceJSON()));

    // Reload from the file (what every later stage does) and measure on held-out text.
    const tokenizer = fromHuggingFace(file);
    const bar = createProgress({ total: heldOut.length, label: 'encode held-out', enabled: ctx.progress });
    let chars = 0;
    let tokens = 0;
    let bytes = 0;
    let roundTrip = true;
    for (const [i, text] of heldOut.entries()) {
      const ids = tokenizer.encode(text);
      chars += text.length;
      bytes += Buffer.byteLength(text);
      tokens += ids.length;
      if (tokenizer.decode(ids) !== text) roundTrip = false;
      bar.update(i + 1);
    }
    bar.stop();
    const exampleText = 'Call me Ishmael. The whale-ship Pequod sailed from Nantucket.';
    const pieces = tokenizer.encode(exampleText).map((id) => tokenizer.decode([id]));
    const eosTokenId = tokenizer.tokenToId(EOS_TOKEN);
    if (eosTokenId === undefined) throw new Error('tokenizer stage: the trained vocabulary lost its end-of-text token');
    const out: TokenizerResult = {
      file,
      vocabSize: tokenizer.vocabSize,
      merges: tokenizer.vocabSize - 256 - 1,
      trainChapters: train.length,
      heldOutChapters: heldOut.length,
      charsPerToken: chars / Math.max(1, tokens),
      bytesPerChar: bytes / Math.max(1, chars),
      roundTrip,
      example: { text: exampleText, pieces },
      eosTokenId,
    };
    ctx.log(`   ${out.vocabSize} tokens; held-out text: ${out.charsPerToken.toFixed(2)} characters per token (bytes: ${out.bytesPerChar.toFixed(2)} per character), lossless round trip: ${roundTrip}`);
    ctx.log(`   "${exampleText}" -> ${pieces.map((p) => JSON.stringify(p)).join(' ')}`);
    return out;
  },
};
