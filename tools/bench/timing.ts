// Timing loops shared by the packages' benchmarks (one place for the measuring policy).

/** Seconds per call of `run`, averaged over one window of at least `minMs` (at least one call). */
export function secondsPerCall(run: () => unknown, minMs: number): number {
  let n = 0;
  const t0 = performance.now();
  let t = 0;
  do {
    run();
    n++;
    t = performance.now() - t0;
  } while (t < minMs);
  return t / 1000 / n;
}

/** {@link secondsPerCall} for an async `run` (each call awaited before the next). */
export async function secondsPerCallAsync(run: () => Promise<unknown>, minMs: number): Promise<number> {
  let n = 0;
  const t0 = performance.now();
  let t = 0;
  do {
    await run();
    n++;
    t = performance.now() - t0;
  } while (t < minMs);
  return t / 1000 / n;
}

/** Fastest of `times` awaited calls of `run`, in milliseconds. */
export async function bestMs(run: () => unknown, times: number): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < times; i++) {
    const t0 = performance.now();
    await run();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}
