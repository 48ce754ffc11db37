import { createHash } from 'node:crypto';
import { SecurityDataError, SecurityOptionError } from '../errors/index.js';
import { scanPii, type PiiFinding } from '../pii/scan-pii.js';
import { scanSecrets } from '../pii/secrets.js';
import { MinHash, lshPairs, shingles } from './minhash.js';

/** An SFT or preference record. Any of the text fields may be present; `label` for classification data. */
export interface DatasetRecord {
  prompt?: string;
  response?: string;
  chosen?: string;
  rejected?: string;
  text?: string;
  label?: string | number;
}

/** A candidate backdoor trigger: a rare n-gram whose records share one response pattern or label far more than the base rate. */
export interface TriggerCandidate {
  ngram: string;
  /** Records containing it. */
  count: number;
  /** The outcome (label or response pattern) they concentrate on. */
  outcome: string;
  /** P(outcome | ngram). */
  precision: number;
  /** P(outcome) over the dataset. */
  baseRate: number;
  /** precision / baseRate. */
  lift: number;
  records: number[];
}

/** Result of {@link scanDataset}. */
export interface DatasetScanReport {
  records: number;
  exactDuplicates: number[][];
  nearDuplicates: Array<{ a: number; b: number; similarity: number }>;
  triggers: TriggerCandidate[];
  pii: Array<{ record: number; field: string; findings: PiiFinding[] }>;
}

/** Options of {@link scanDataset}. */
export interface ScanDatasetOptions {
  /** Near-duplicate Jaccard threshold on word 3-shingles (default 0.8). */
  nearDuplicateThreshold?: number;
  numPerm?: number;
  /** n-gram sizes for trigger search (default [1, 2, 3]). */
  ngramSizes?: number[];
  /** A trigger must appear in at least this many records (default 3) ... */
  minCount?: number;
  /** ... and in at most this share of records (default 0.05: rare). */
  maxSupport?: number;
  /** Minimum P(outcome | ngram) (default 0.9) and lift (default 3). */
  minPrecision?: number;
  minLift?: number;
  /** Words of the response used as its "pattern" when there is no label (default 6). */
  patternWords?: number;
  /** Scan for PII and secrets (default true). */
  pii?: boolean;
}

const fieldsOf = (r: DatasetRecord): Array<[string, string]> =>
  (['prompt', 'text', 'response', 'chosen', 'rejected'] as const).filter((f) => typeof r[f] === 'string').map((f) => [f, r[f] as string]);

/**
 * Scan SFT / preference data for poisoning: exact duplicates (SHA-256 of normalised text),
 * near-duplicates (MinHash + LSH, verified by the estimated Jaccard), candidate backdoor
 * triggers (rare prompt n-grams whose records concentrate on one label or response
 * pattern), and PII / secrets per record.
 * @throws SecurityDataError (`security_data`) on a record with no text field; SecurityOptionError on bad options.
 * @example
 * const report = scanDataset(rows); report.triggers[0]?.ngram;
 */
export function scanDataset(records: readonly DatasetRecord[], options: ScanDatasetOptions = {}): DatasetScanReport {
  const thr = options.nearDuplicateThreshold ?? 0.8;
  const minCount = options.minCount ?? 3;
  const maxSupport = options.maxSupport ?? 0.05;
  const minPrecision = options.minPrecision ?? 0.9;
  const minLift = options.minLift ?? 3;
  const patternWords = options.patternWords ?? 6;
  const sizes = options.ngramSizes ?? [1, 2, 3];
  const numPerm = options.numPerm ?? 64;
  if (!(thr > 0 && thr <= 1)) throw new SecurityOptionError(`scanDataset: nearDuplicateThreshold must be in (0, 1], got ${thr}.`);
  if (numPerm % 16 !== 0) throw new SecurityOptionError(`scanDataset: numPerm must be a multiple of 16, got ${numPerm}.`);
  const texts = records.map((r, i) => {
    const f = fieldsOf(r);
    if (f.length === 0) throw new SecurityDataError(`scanDataset: record ${i} has no text field (prompt, text, response, chosen or rejected).`);
    return f.map(([, v]) => v).join('\n');
  });

  // Exact duplicates.
  const byHash = new Map<string, number[]>();
  texts.forEach((t, i) => {
    const h = createHash('sha256').update(t.toLowerCase().replace(/\s+/g, ' ').trim()).digest('hex');
    byHash.set(h, [...(byHash.get(h) ?? []), i]);
  });
  const exactDuplicates = [...byHash.values()].filter((g) => g.length > 1);
  const dupOf = new Set(exactDuplicates.flatMap((g) => g.slice(1)));

  // Near duplicates (skip exact copies).
  const mh = new MinHash(numPerm, 7);
  const idx = texts.map((_, i) => i).filter((i) => !dupOf.has(i));
  const sets = idx.map((i) => shingles(texts[i]!));
  const sigs = sets.map((s) => mh.signature(s));
  const nearDuplicates: DatasetScanReport['nearDuplicates'] = [];
  for (const [x, y] of lshPairs(sigs, numPerm / 4)) {
    const sim = MinHash.similarity(sigs[x]!, sigs[y]!);
    if (sim >= thr) nearDuplicates.push({ a: idx[x]!, b: idx[y]!, similarity: sim });
  }

  // Backdoor trigger candidates.
  const outcomes = records.map((r) => {
    if (r.label !== undefined) return `label=${String(r.label)}`;
    const resp = r.response ?? r.chosen ?? '';
    const w = resp.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
    return w.length > 0 ? `response starts "${w.slice(0, patternWords).join(' ')}"` : '';
  });
  const outcomeCount = new Map<string, number>();
  for (const o of outcomes) if (o) outcomeCount.set(o, (outcomeCount.get(o) ?? 0) + 1);
  const ngramRecords = new Map<string, number[]>();
  records.forEach((r, i) => {
    const src = (r.prompt ?? r.text ?? '').toLowerCase().match(/[\p{L}\p{N}_'-]+|[^\s\p{L}\p{N}]+/gu) ?? [];
    const seen = new Set<string>();
    for (const n of sizes) for (let k = 0; k + n <= src.length; k++) seen.add(src.slice(k, k + n).join(' '));
    for (const g of seen) {
      const list = ngramRecords.get(g);
      if (list) list.push(i);
      else ngramRecords.set(g, [i]);
    }
  });
  const N = records.length;
  let triggers: TriggerCandidate[] = [];
  for (const [ngram, recs] of ngramRecords) {
    if (recs.length < minCount || recs.length > Math.max(minCount, maxSupport * N)) continue;
    const counts = new Map<string, number>();
    for (const i of recs) if (outcomes[i]) counts.set(outcomes[i]!, (counts.get(outcomes[i]!) ?? 0) + 1);
    for (const [outcome, c] of counts) {
      const precision = c / recs.length;
      const baseRate = (outcomeCount.get(outcome) ?? 0) / N;
      const lift = precision / baseRate;
      if (precision >= minPrecision && lift >= minLift) triggers.push({ ngram, count: recs.length, outcome, precision, baseRate, lift, records: recs });
    }
  }
  // Keep the maximal n-grams: drop a candidate whose record set equals that of a longer one containing it.
  triggers.sort((a, b) => b.lift * Math.log(1 + b.count) - a.lift * Math.log(1 + a.count) || b.ngram.length - a.ngram.length);
  triggers = triggers.filter((t, i) => !triggers.some((u, j) => j !== i && u.ngram.length > t.ngram.length && u.ngram.includes(t.ngram) && u.records.length === t.records.length && u.outcome === t.outcome));

  const pii: DatasetScanReport['pii'] = [];
  if (options.pii !== false) {
    records.forEach((r, i) => {
      for (const [field, v] of fieldsOf(r)) {
        const f = [...scanPii(v, { entities: ['EMAIL_ADDRESS', 'CREDIT_CARD', 'IBAN_CODE', 'US_SSN', 'PHONE_NUMBER', 'IP_ADDRESS', 'CRYPTO'] }), ...scanSecrets(v)];
        if (f.length > 0) pii.push({ record: i, field, findings: f });
      }
    });
  }
  return { records: N, exactDuplicates, nearDuplicates, triggers, pii };
}
