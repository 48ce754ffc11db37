/**
 * `npm run demo -- --quick` end to end in a child process (fresh: no cached stage), then every
 * stage's artefacts and results, the report, and a second run that reuses every cached stage.
 * The figures checked are properties the course promises (the loss falls, the JSON sample parses,
 * llama.cpp agrees with llmkit on the same GGUF file, the guard lowers the attack success rate),
 * not hard-coded outputs.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { llamaCppStatus } from '@llmkit/example-shared';
import { parseArgs } from '../src/main.js';
import { retrievalScores } from '../src/stages/rag.js';
import { runQuickDemo, type QuickRun } from './quick-run.js';

interface Summary {
  mode: string;
  stages: Record<string, { cached: boolean; seconds: number; result: any }>;
}

describe('course demo --quick', () => {
  let run: QuickRun;
  let summary: Summary;

  beforeAll(async () => {
    run = await runQuickDemo({ fresh: true });
    if (run.status !== 0) console.error(run.stdout.slice(-4000), run.stderr.slice(-4000));
    summary = JSON.parse(readFileSync(join(run.outDir, 'summary.json'), 'utf8')) as Summary;
  }, 420_000);

  it('exits with code 0 and narrates every stage', () => {
    // The 3-minute budget is a figure of the run, reported here, not asserted (timings vary with machine load).
    console.log(`demo --quick (fresh) took ${run.seconds.toFixed(0)} s`);
    expect(run.status).toBe(0);
    for (let i = 1; i <= 7; i++) expect(run.stdout).toContain(`Stage ${i}/7`);
    expect(summary.mode).toBe('quick');
    expect(Object.keys(summary.stages)).toEqual(['1-tokenizer', '2-pretrain', '3-align', '4-quantize', '5-rag', '6-evaluate', '7-redteam']);
    expect(Object.values(summary.stages).every((s) => !s.cached)).toBe(true);
  });

  it('stage 1: a byte-level BPE tokenizer.json that round-trips held-out text and compresses it', () => {
    const r = summary.stages['1-tokenizer']!.result;
    expect(existsSync(join(run.outDir, '1-tokenizer', 'tokenizer.json'))).toBe(true);
    expect(r.vocabSize).toBe(384);
    expect(r.roundTrip).toBe(true);
    expect(r.charsPerToken).toBeGreaterThan(1.3); // a byte-level vocabulary without merges gives ~1.0
  });

  it('stage 2: the pretrained model is saved, its validation loss falls below the uniform guess, the JSON sample is valid', () => {
    const r = summary.stages['2-pretrain']!.result;
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json']) expect(existsSync(join(run.outDir, '2-pretrain', 'model', f))).toBe(true);
    expect(r.finalValLoss).toBeLessThan(r.initialValLoss);
    expect(r.finalValLoss).toBeLessThan(r.uniformLoss);
    expect(r.samples.map((s: { strategy: string }) => s.strategy)).toEqual(['greedy', 'top-k / top-p', 'min-p', 'beam search', 'JSON Schema']);
    const json = r.samples.find((s: { strategy: string }) => s.strategy === 'JSON Schema');
    expect(json.valid).toBe(true);
    expect(() => JSON.parse(json.text)).not.toThrow();
    expect(r.lossCurve.length).toBeGreaterThan(10);
  });

  it('stage 3: SFT and DPO models are saved; SFT lowers the held-out answer loss; DPO raises the reward accuracy', () => {
    const r = summary.stages['3-align']!.result;
    for (const d of ['sft-model', 'dpo-model']) expect(existsSync(join(run.outDir, '3-align', d, 'model.safetensors'))).toBe(true);
    expect(r.sft.evalLossAfter).toBeLessThan(r.sft.evalLossBefore);
    expect(r.sft.trainableParameters).toBeLessThan(r.sft.allParameters / 4);
    expect(r.dpo.after.rewardAccuracy).toBeGreaterThan(r.dpo.before.rewardAccuracy);
  });

  it('stage 4: RTN/GPTQ/GGUF rows, GGUF files, and llama.cpp agreeing with llmkit on the same files', () => {
    const r = summary.stages['4-quantize']!.result;
    expect(r.rows.map((x: { method: string }) => x.method)).toEqual(['float32', 'RTN 4-bit g32', 'GPTQ 4-bit g32', 'GGUF F16', 'GGUF Q8_0', 'GGUF Q4_K']);
    const gguf = readdirSync(join(run.outDir, '4-quantize')).filter((f) => f.endsWith('.gguf'));
    expect(gguf).toHaveLength(3);
    for (const row of r.rows) expect(Number.isFinite(row.perplexity)).toBe(true);
    // 4-bit weights cost some perplexity but stay close to float on this model (within 10 %).
    const float = r.rows[0].perplexity;
    for (const row of r.rows.slice(1)) expect(row.perplexity).toBeLessThan(float * 1.1);
    // Where node-llama-cpp's binaries are installed (linux x64 after npm ci), llama.cpp must have run.
    if (llamaCppStatus().ok) expect(r.llamaCppAvailable, r.llamaCppNote).toBe(true);
    if (!r.llamaCppAvailable) {
      console.warn(`demo-quick: llama.cpp comparison not checked: ${r.llamaCppNote}`);
      return;
    }
    for (const row of r.rows.filter((x: { format: string }) => x.format === 'GGUF')) {
      // loadGGUF(..., { emulateLlamaCpp: true }) predicts llama.cpp's log-probs to ~1e-4 (quantization package tests).
      expect(row.llamaCpp.maxAbsDiff).toBeLessThan(5e-2);
      expect(row.llamaCpp.top1Agreement).toBeGreaterThanOrEqual(0.9);
      expect(row.llamaCpp.greedyMatch).toBeGreaterThan(0);
    }
  });

  it('stage 5: a persistent PGlite/pgvector index and retrieval metrics; BM25 finds keyword queries', () => {
    const r = summary.stages['5-rag']!.result;
    expect(existsSync(join(run.outDir, '5-rag', 'pgdata'))).toBe(true);
    expect(r.retrieval.map((x: { retriever: string }) => x.retriever)).toEqual(['BM25', 'vector (LSA + pgvector)', 'hybrid (RRF)']);
    const bm25 = r.retrieval[0];
    expect(bm25.recallAt10).toBeGreaterThan(0.5);
    for (const s of r.retrieval) expect(s.ndcgAt10).toBeGreaterThan(0);
    expect(r.answers.length).toBeGreaterThan(0);
    for (const a of r.answers) expect(a.sources.length).toBeGreaterThan(0);
  });

  it('stage 6: perplexity, multiple choice, BLEU/ROUGE for the three models', () => {
    const r = summary.stages['6-evaluate']!.result;
    expect(r.models.map((m: { model: string }) => m.model)).toEqual(['pretrained', 'LoRA SFT', 'SFT + DPO']);
    for (const m of r.models) {
      expect(m.perplexity).toBeGreaterThan(1);
      expect(m.bitsPerByte).toBeGreaterThan(0);
      expect(m.mc.acc).toBeGreaterThanOrEqual(0);
      expect(m.mc.acc).toBeLessThanOrEqual(1);
      expect(m.mc.n).toBe(8);
      expect(Number.isFinite(m.generation.bleu)).toBe(true);
    }
    expect(existsSync(join(run.outDir, '6-evaluate', 'mc-dpo.json'))).toBe(true);
    expect(readFileSync(join(run.outDir, '6-evaluate', 'eval-report.html'), 'utf8')).toContain('moby-facts');
  });

  it('stage 7: the guard lowers the attack success rate; the echo assistant leaks without it', () => {
    const r = summary.stages['7-redteam']!.result;
    expect(r.runs).toHaveLength(4);
    for (let i = 1; i <= 4; i++) expect(existsSync(join(run.outDir, '7-redteam', `redteam-${i}.html`))).toBe(true);
    const asr = (target: string, guarded: boolean) => r.runs.find((x: { target: string; guarded: boolean }) => x.target.startsWith(target) && x.guarded === guarded).overall.asr;
    expect(asr('echo', false)).toBeGreaterThan(asr('echo', true));
    expect(asr('course', true)).toBeLessThanOrEqual(asr('course', false));
    // ...while ordinary questions still get answers (the guard is not a wall).
    const courseGuarded = r.runs.find((x: { target: string; guarded: boolean }) => x.target.startsWith('course') && x.guarded);
    expect(courseGuarded.benignBlocked.blocked).toBeLessThan(courseGuarded.benignBlocked.total);
  });

  it('writes a self-contained report.html with charts', () => {
    const html = readFileSync(join(run.outDir, 'report.html'), 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|src="http|href="http|@import/i);
    const charts = html.match(/<svg class="chart"/g) ?? [];
    expect(charts.length).toBeGreaterThanOrEqual(10);
    for (const id of ['pretrain-loss', 'sft-loss', 'dpo-loss', 'quant-perplexity', 'retrieval', 'eval-mc', 'redteam-overall']) expect(html).toContain(`data-chart="${id}"`);
    expect(html).not.toContain('did not run');
  });

  it('a second run reuses every cached stage', async () => {
    const again = await runQuickDemo();
    expect(again.status, `${again.stdout.slice(-2000)}\n${again.stderr.slice(-2000)}`).toBe(0);
    expect((again.stdout.match(/\(cached: reusing/g) ?? []).length).toBe(7);
  }, 200_000);
});

describe('course demo helpers', () => {
  it('parses the command line and rejects bad input with a message naming it', () => {
    const a = parseArgs(['--quick', '--stages', '4,2', '--out', '/tmp/x', '--fresh']);
    expect(a).toMatchObject({ quick: true, fresh: true, outDir: '/tmp/x', stages: [2, 4] });
    expect(() => parseArgs(['--stages', '9'])).toThrow(/--stages "9"/);
    expect(() => parseArgs(['--bogus'])).toThrow(/Unknown argument "--bogus"/);
    expect(() => parseArgs(['--out'])).toThrow(/--out needs a value/);
  });

  it('retrieval metrics match hand-computed values', () => {
    // Query 1: relevant {a} found at rank 2 -> recall@1 0, recall@5 1, nDCG = (1/log2 3) / 1 = 0.63093, RR = 1/2.
    // Query 2: relevant {x, y} at ranks 1 and 3 -> recall@1 1, DCG = 1 + 1/log2 4 = 1.5, IDCG = 1 + 1/log2 3 = 1.63093, RR = 1.
    const s = retrievalScores('t', [['b', 'a', 'c'], ['x', 'z', 'y']], [new Set(['a']), new Set(['x', 'y'])]);
    expect(s.recallAt1).toBeCloseTo(0.5, 12);
    expect(s.recallAt5).toBeCloseTo(1, 12);
    expect(s.ndcgAt10).toBeCloseTo((1 / Math.log2(3) + 1.5 / (1 + 1 / Math.log2(3))) / 2, 12);
    expect(s.mrr).toBeCloseTo(0.75, 12);
  });
});
