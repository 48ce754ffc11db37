import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/tf.js';
import { initBackend } from '../src/backend/init-backend.js';
import { createRng, manualSeed, getDefaultRng } from '../src/rng/rng.js';
import { InvalidArgumentError } from '../src/errors/index.js';

// Known answers from an independent Python transcription of the reference C
// code (tools/fixtures/gen_rng.py). The first value for state [1,2,3,4] by hand:
// rotl(2 * 5, 7) * 9 = 1280 * 9 = 11520.
const fixture = JSON.parse(readFileSync(new URL('./fixtures/rng/xoshiro.json', import.meta.url), 'utf8'));

beforeAll(async () => {
  await initBackend();
});

describe('createRng', () => {
  it('matches the xoshiro128** reference stream', () => {
    const rng = createRng(0);
    rng.setState({ s: [1, 2, 3, 4], spare: null });
    expect(Array.from({ length: 8 }, () => rng.nextUint32())).toEqual(fixture.state_1234_first8);
    expect(fixture.state_1234_first8[0]).toBe(11520);
  });

  it.each([0, 42, 2 ** 40 + 7])('seeds through splitmix32 like the reference (seed %d)', (seed) => {
    const rng = createRng(seed);
    expect(rng.getState().s).toEqual(fixture[`seed_${seed}_state`]);
    expect(Array.from({ length: 8 }, () => rng.nextUint32())).toEqual(fixture[`seed_${seed}_first8`]);
    const again = createRng(seed);
    expect(Array.from({ length: 4 }, () => again.random())).toEqual(fixture[`seed_${seed}_random4`]);
  });

  it('restores state exactly, including the cached normal', () => {
    const rng = createRng(5);
    rng.normalOne();
    const state = rng.getState();
    const a = rng.normal(10);
    rng.setState(JSON.parse(JSON.stringify(state)));
    expect(rng.normal(10)).toEqual(a);
  });

  it('draws normals with the right moments and uniforms in range', () => {
    const rng = createRng(11);
    const n = 200_000;
    const x = rng.normal(n, 2, 3);
    const mean = x.reduce((s, v) => s + v, 0) / n;
    const variance = x.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
    // Standard error of the mean is 3/sqrt(2e5) ~ 0.0067; allow 5 sigma.
    expect(Math.abs(mean - 2)).toBeLessThan(0.034);
    expect(Math.abs(variance - 9)).toBeLessThan(0.15);
    const u = rng.uniform(10_000, -1, 1);
    expect(Math.min(...u)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...u)).toBeLessThan(1);
  });

  it('samples categorical frequencies proportional to the weights and never picks zero weights', () => {
    const rng = createRng(3);
    const draws = rng.categorical([1, 0, 3], 40_000);
    const counts = [0, 0, 0];
    for (const d of draws) counts[d]++;
    expect(counts[1]).toBe(0);
    // Expected 10k / 30k; binomial sd ~ 87, allow 5 sigma.
    expect(Math.abs(counts[0] - 10_000)).toBeLessThan(450);
    expect(() => rng.categorical([0, 0])).toThrow(InvalidArgumentError);
    expect(() => rng.categorical([1, Number.NaN])).toThrow(/weights\[1\]/);
  });

  it('produces permutations', () => {
    const p = createRng(9).permutation(1000);
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(createRng(9).permutation(1000)).toEqual(p);
  });

  it('gives the same tensors on the cpu and wasm backends', async () => {
    const onWasm = createRng(21).normalTensor([3, 4]);
    const wasmValues = onWasm.dataSync().slice();
    await tf.setBackend('cpu');
    const onCpu = createRng(21).normalTensor([3, 4]);
    expect(onCpu.dataSync()).toEqual(wasmValues);
    onCpu.dispose();
    await tf.setBackend('wasm');
    onWasm.dispose();
  });

  it('rejects bad arguments with typed errors naming them', () => {
    expect(() => createRng(1.5)).toThrow(/seed must be an integer/);
    expect(() => createRng(1).randint(3, 3)).toThrow(InvalidArgumentError);
    expect(() => createRng(1).uniform(-1)).toThrow(/uniform\(n\)/);
  });

  it('manualSeed resets the default generator', () => {
    manualSeed(4);
    const a = getDefaultRng().random();
    manualSeed(4);
    expect(getDefaultRng().random()).toBe(a);
  });
});
