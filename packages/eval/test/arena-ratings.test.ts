import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRng } from '@llmkit/core';
import { describe, expect, it } from 'vitest';
import { EvalError } from '../src/errors.js';
import { bradleyTerry, onlineElo, parseBattles, type Battle } from '../src/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../..');
const referencePath = path.resolve(repoRoot, '../shared/reference/metric-vectors.json');
const hasReference = existsSync(referencePath);
if (!hasReference) console.warn(`[arena-ratings] ${referencePath} is absent: skipping the FastChat reference-vector parity tests.`);

interface FixtureCase {
  name: string;
  battles: Battle[];
  models: string[];
  ratings_scipy: Record<string, number>;
  ratings_sklearn: Record<string, number>;
  online_elo: Record<string, number>;
}
const fixture = JSON.parse(readFileSync(path.join(here, 'fixtures/arena-bradley-terry.json'), 'utf8')) as {
  latent_strengths: Record<string, number>;
  cases: FixtureCase[];
};

function spearman(a: number[], b: number[]): number {
  const rank = (v: number[]) => {
    const order = v.map((x, i) => [x, i] as const).sort((p, q) => p[0] - q[0]);
    const r = new Array<number>(v.length);
    order.forEach(([, i], k) => (r[i] = k));
    return r;
  };
  const ra = rank(a);
  const rb = rank(b);
  const n = a.length;
  let d2 = 0;
  for (let i = 0; i < n; i++) d2 += (ra[i]! - rb[i]!) ** 2;
  return 1 - (6 * d2) / (n * (n * n - 1));
}

describe.skipIf(!hasReference)('FastChat parity (shared reference metric-vectors.json, arena block)', () => {
  const ref = hasReference ? (JSON.parse(readFileSync(referencePath, 'utf8')).arena as any) : undefined;
  it('onlineElo matches compute_elo within 1e-6', () => {
    const { params, battles, ratings } = ref.online_elo;
    const out = onlineElo(battles, { k: params.K, scale: params.SCALE, base: params.BASE, init: params.INIT_RATING });
    for (const [m, r] of Object.entries(ratings as Record<string, number>)) expect(Math.abs(out.ratings[m]! - r)).toBeLessThan(1e-6);
  });
  it('bradleyTerry matches compute_mle_elo on the same battles', () => {
    const out = bradleyTerry(ref.online_elo.battles);
    const expected = ref.bradley_terry_mle.ratings as Record<string, number>;
    // The reference comes from an lbfgs fit (tol 1e-6 on theta); ratings are 400 * theta, so agreement
    // is bounded by that solver's tolerance. Both keep sum(theta) = 0, so absolute ratings compare.
    for (const [m, r] of Object.entries(expected)) expect(Math.abs(out.ratings[m]! - r)).toBeLessThan(1e-3);
    for (const [pair, d] of Object.entries(ref.bradley_terry_mle.diffs as Record<string, number>)) {
      const [a, b] = pair.split('-') as [string, string];
      expect(Math.abs(out.ratings[a]! - out.ratings[b]! - d)).toBeLessThan(1e-3);
    }
  });
});

describe('Bradley-Terry against the scipy / scikit-learn fit (tools/fixtures/gen_bradley_terry.py)', () => {
  for (const c of fixture.cases) {
    it(`${c.name}: ratings within 1e-6 of scipy's exact optimum, 1e-5 of FastChat's LogisticRegression`, () => {
      const out = bradleyTerry(c.battles);
      for (const m of c.models) {
        expect(Math.abs(out.ratings[m]! - c.ratings_scipy[m]!)).toBeLessThan(1e-6);
        expect(Math.abs(out.ratings[m]! - c.ratings_sklearn[m]!)).toBeLessThan(1e-5);
      }
    });
    it(`${c.name}: onlineElo equals the Python compute_elo`, () => {
      const out = onlineElo(c.battles);
      for (const m of c.models) expect(Math.abs(out.ratings[m]! - c.online_elo[m]!)).toBeLessThan(1e-9);
    });
  }

  it('recovers the latent strengths order (Spearman 1.0) from 1500 battles', () => {
    const c = fixture.cases[0]!;
    const latent = fixture.latent_strengths;
    const out = bradleyTerry(c.battles);
    const models = Object.keys(latent);
    expect(spearman(models.map((m) => latent[m]!), models.map((m) => out.ratings[m]!))).toBe(1);
  });
});

describe('Bradley-Terry on battles generated here', () => {
  it('recovers known strengths (Spearman 1.0, mean error < 25 points) and anchors', () => {
    const rng = createRng(7);
    const strengths: Record<string, number> = { a: 1250, b: 1130, c: 1040, d: 960, e: 870, f: 760 };
    const models = Object.keys(strengths);
    const battles: Battle[] = [];
    for (let i = 0; i < 6000; i++) {
      const x = models[rng.randint(0, models.length)]!;
      let y = x;
      while (y === x) y = models[rng.randint(0, models.length)]!;
      const p = 1 / (1 + 10 ** ((strengths[y]! - strengths[x]!) / 400));
      battles.push({ model_a: x, model_b: y, winner: rng.random() < p ? 'model_a' : 'model_b' });
    }
    const out = bradleyTerry(battles, { anchor: { model: 'c', rating: 1040 } });
    expect(out.ratings.c).toBeCloseTo(1040, 9);
    expect(spearman(models.map((m) => strengths[m]!), models.map((m) => out.ratings[m]!))).toBe(1);
    const err = models.reduce((s, m) => s + Math.abs(out.ratings[m]! - strengths[m]!), 0) / models.length;
    expect(err).toBeLessThan(25);
    expect(out.leaderboard.map((r) => r.model)).toEqual(models);
  });

  it('bootstrap intervals are seeded, contain the fit, and narrow with more battles', () => {
    const c = fixture.cases[0]!;
    const a = bradleyTerry(c.battles.slice(0, 300), { bootstrapRounds: 60, seed: 3 });
    const b = bradleyTerry(c.battles.slice(0, 300), { bootstrapRounds: 60, seed: 3 });
    expect(a.leaderboard).toEqual(b.leaderboard);
    const full = bradleyTerry(c.battles, { bootstrapRounds: 60, seed: 3 });
    for (const row of a.leaderboard) {
      expect(row.lower!).toBeLessThanOrEqual(row.median!);
      expect(row.median!).toBeLessThanOrEqual(row.upper!);
      const wide = row.upper! - row.lower!;
      const fullRow = full.leaderboard.find((r) => r.model === row.model)!;
      expect(fullRow.upper! - fullRow.lower!).toBeLessThan(wide);
    }
    const elo = onlineElo(c.battles, { bootstrapRounds: 20, seed: 1 });
    expect(elo.bootstrap).toEqual({ rounds: 20, seed: 1 });
  });

  it('one battle: online Elo moves by k/2 (hand-derived: ea = 0.5, 1000 + 4 * 0.5)', () => {
    const out = onlineElo([{ model_a: 'A', model_b: 'B', winner: 'model_a' }]);
    expect(out.ratings).toEqual({ A: 1002, B: 998 });
  });

  it('rejects bad battles and unusable data with typed errors', () => {
    expect(() => onlineElo([{ model_a: 'A', model_b: 'B', winner: 'draw' as never }])).toThrow(/winner "draw"|winner/);
    expect(() => bradleyTerry([{ model_a: 'A', model_b: 'A', winner: 'tie' }])).toThrow(EvalError);
    expect(() => parseBattles('{"model_a":"A","model_b":"B","winner":"model_a"}\n{oops')).toThrow(/line 2/);
    expect(parseBattles('{"model_a":"A","model_b":"B","winner":"tie","x":1}\n\n')).toEqual([{ model_a: 'A', model_b: 'B', winner: 'tie' }]);
    const err = (() => {
      try {
        bradleyTerry([{ model_a: 'A', model_b: 'B', winner: 'model_a' }]);
      } catch (e) {
        return e;
      }
    })();
    expect(EvalError.isInstance(err) && (err as EvalError).code).toBe('eval_not_converged');
    const regularised = bradleyTerry([{ model_a: 'A', model_b: 'B', winner: 'model_a' }], { l2: 1e-3 });
    expect(regularised.ratings.A!).toBeGreaterThan(regularised.ratings.B!);
    expect(() => bradleyTerry(fixture.cases[1]!.battles, { anchor: { model: 'nope', rating: 1 } })).toThrow(/anchor/);
  });
});
