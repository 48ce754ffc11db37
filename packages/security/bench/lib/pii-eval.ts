// Span-level PII evaluation on /work/shared/reference/pii (Presidio data), shared by the bench and the test.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scanPii } from '../../src/pii/scan-pii.js';

export const PII_REFERENCE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../../shared/reference/pii');
export const hasPiiReference = (): boolean => existsSync(resolve(PII_REFERENCE_DIR, 'synth_dev.jsonl'));

export interface Prf { tp: number; fp: number; fn: number; precision: number; recall: number; f1: number }
const prf = (tp: number, fp: number, fn: number): Prf => ({ tp, fp, fn, precision: tp / (tp + fp) || 0, recall: tp / (tp + fn) || 0, f1: (2 * tp) / (2 * tp + fp + fn) || 0 });

// Presidio-research names the URL-shaped entities of synth_dev DOMAIN_NAME.
const RENAME: Record<string, string> = { URL: 'DOMAIN_NAME' };

/** Exact-span precision/recall/F1 per entity type on synth_dev.jsonl (types we detect only). */
export function evaluateSynthDev(): Record<string, Prf> {
  const rows = readFileSync(resolve(PII_REFERENCE_DIR, 'synth_dev.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { text: string; spans: { entity_type: string; start: number; end: number }[] });
  const counts: Record<string, [number, number, number]> = {};
  for (const r of rows) {
    const got = scanPii(r.text).map((g) => ({ ...g, type: RENAME[g.type] ?? g.type }));
    const types = new Set([...got.map((g) => g.type), ...r.spans.map((s) => s.entity_type)]);
    for (const t of types) {
      const g = new Set(got.filter((x) => x.type === t).map((x) => `${x.start},${x.end}`));
      const e = new Set(r.spans.filter((x) => x.entity_type === t).map((x) => `${x.start},${x.end}`));
      let tp = 0;
      for (const k of g) if (e.has(k)) tp++;
      const c = (counts[t] ??= [0, 0, 0]);
      c[0] += tp;
      c[1] += g.size - tp;
      c[2] += e.size - tp;
    }
  }
  return Object.fromEntries(Object.entries(counts).map(([k, [tp, fp, fn]]) => [k, prf(tp, fp, fn)]));
}

/** Presidio recognizer test vectors: span match where positions are given, count match otherwise. */
export function evaluateRecognizerVectors(): Record<string, Prf> {
  const rows = readFileSync(resolve(PII_REFERENCE_DIR, 'recognizer_vectors.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { entity_type: string; text: string; expected_len: number; expected_res?: number[][]; expected_positions?: number[][] });
  const counts: Record<string, [number, number, number]> = {};
  for (const r of rows) {
    const got = scanPii(r.text, { entities: [r.entity_type], minScore: 0.3 });
    const pos = r.expected_res ?? r.expected_positions ?? [];
    const c = (counts[r.entity_type] ??= [0, 0, 0]);
    if (pos.length > 0) {
      const e = new Set(pos.map((p) => `${p[0]},${p[1]}`));
      const g = new Set(got.map((x) => `${x.start},${x.end}`));
      let tp = 0;
      for (const k of g) if (e.has(k)) tp++;
      c[0] += tp;
      c[1] += g.size - tp;
      c[2] += e.size - tp;
    } else {
      const tp = Math.min(got.length, r.expected_len);
      c[0] += tp;
      c[1] += got.length - tp;
      c[2] += r.expected_len - tp;
    }
  }
  return Object.fromEntries(Object.entries(counts).map(([k, [tp, fp, fn]]) => [k, prf(tp, fp, fn)]));
}
