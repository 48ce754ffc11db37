/**
 * PII and secret detection quality.
 * - Presidio reference data (/work/shared/reference/pii, skipped when absent): exact-span
 *   precision/recall/F1 per entity type on synth_dev.jsonl, and on Presidio's recognizer
 *   test vectors. Peer: a naive unvalidated regex set (no checksums) on the same spans.
 * - Secrets: false-positive rate of scanSecrets on source code from node_modules (files
 *   that should hold no live credentials; every hit counts as a false positive, an upper bound).
 *
 *   npm run bench -- --filter security/bench/pii-quality
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { evaluateRecognizerVectors, evaluateSynthDev, hasPiiReference, PII_REFERENCE_DIR } from './lib/pii-eval.js';
import { scanSecrets } from '../src/pii/secrets.js';
import { scanPii, type PiiRecognizer } from '../src/pii/scan-pii.js';

const line = (bench: string, ours: number, peer: string, peerValue: number, unit: string) =>
  console.log(JSON.stringify({ bench, ours: +ours.toFixed(4), peer, peerValue: +peerValue.toFixed(4), ratio: peerValue ? +(ours / peerValue).toFixed(3) : null, unit }));

if (hasPiiReference()) {
  const synth = evaluateSynthDev();
  // Peer: the same entity types found by plain regexes without validation.
  const naive: PiiRecognizer[] = [
    { entity: 'CREDIT_CARD', pattern: /\b(?:\d[ -]?){12,18}\d\b/g, score: 1 },
    { entity: 'IBAN_CODE', pattern: /\b[A-Za-z]{2}\d{2}[A-Za-z0-9]{11,30}\b/g, score: 1 },
    { entity: 'US_SSN', pattern: /\b\d{3}-\d{2}-\d{4}\b/g, score: 1 },
    { entity: 'EMAIL_ADDRESS', pattern: /[\w.+-]+@[\w-]+\.[\w.]+/g, score: 1 },
    { entity: 'IP_ADDRESS', pattern: /\b\d{1,3}(?:\.\d{1,3}){3}\b/g, score: 1 },
    { entity: 'PHONE_NUMBER', pattern: /\+?\(?\d[\d ().-]{6,}\d/g, score: 1 },
  ];
  const rows = readFileSync(resolve(PII_REFERENCE_DIR, 'synth_dev.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { text: string; spans: { entity_type: string; start: number; end: number }[] });
  const peer: Record<string, [number, number, number]> = {};
  for (const r of rows) {
    const got = scanPii(r.text, { recognizers: naive });
    for (const t of naive.map((n) => n.entity)) {
      const g = new Set(got.filter((x) => x.type === t).map((x) => `${x.start},${x.end}`));
      const e = new Set(r.spans.filter((x) => x.entity_type === t).map((x) => `${x.start},${x.end}`));
      let tp = 0;
      for (const k of g) if (e.has(k)) tp++;
      const c = (peer[t] ??= [0, 0, 0]);
      c[0] += tp; c[1] += g.size - tp; c[2] += e.size - tp;
    }
  }
  for (const [t, m] of Object.entries(synth)) {
    if (m.tp + m.fp === 0) continue; // types we do not detect (PERSON, ADDRESS, ...) are listed in the README
    const p = peer[t];
    const pf1 = p ? (2 * p[0]) / (2 * p[0] + p[1] + p[2]) : 0;
    line(`synth_dev/${t}/f1`, m.f1, 'naive-regex', pf1, 'fraction');
    line(`synth_dev/${t}/precision`, m.precision, 'support', m.tp + m.fn, 'fraction');
    line(`synth_dev/${t}/recall`, m.recall, 'support', m.tp + m.fn, 'fraction');
  }
  for (const [t, m] of Object.entries(evaluateRecognizerVectors())) line(`recognizer_vectors/${t}/f1`, m.f1, 'support', m.tp + m.fn, 'fraction');
} else {
  console.warn(`# skipped Presidio reference figures: ${PII_REFERENCE_DIR} is absent`);
}

// Secrets false positives on node_modules source.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../node_modules');
const files: string[] = [];
const walk = (dir: string, depth: number): void => {
  if (files.length >= 4000 || depth > 6) return;
  let entries: string[] = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const e of entries.sort()) {
    const p = join(dir, e);
    if (/\.(?:m?js|cjs|ts)$/.test(e) && !e.endsWith('.min.js') && !e.endsWith('.d.ts')) {
      try {
        const st = statSync(p);
        if (st.isFile() && st.size < 400_000) files.push(p);
      } catch {}
    } else if (!e.includes('.') || e.startsWith('@')) walk(p, depth + 1);
    if (files.length >= 4000) return;
  }
};
walk(root, 0);
let bytes = 0;
let hits = 0;
let filesWithHit = 0;
const byType: Record<string, number> = {};
const t0 = performance.now();
for (const f of files) {
  const text = readFileSync(f, 'utf8');
  bytes += text.length;
  const found = scanSecrets(text);
  hits += found.length;
  if (found.length > 0) filesWithHit++;
  for (const x of found) byType[x.type] = (byType[x.type] ?? 0) + 1;
}
const secs = (performance.now() - t0) / 1000;
line('secrets/node_modules/findings-per-MB', hits / (bytes / 1e6), 'files', files.length, 'findings/MB');
line('secrets/node_modules/files-with-finding', filesWithHit / files.length, 'MB', bytes / 1e6, 'fraction');
line('secrets/node_modules/throughput', bytes / 1e6 / secs, 'files', files.length, 'MB/s');
console.error(`# secret findings by type on node_modules: ${JSON.stringify(byType)}`);
