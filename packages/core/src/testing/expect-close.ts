import { tf } from '../tf.js';

export interface CloseOptions {
  /** Absolute tolerance. Default 1e-5. */
  atol?: number;
  /** Relative tolerance (of |expected|). Default 0. */
  rtol?: number;
  /** Label printed in the failure message. */
  label?: string;
}

type Numeric = number | ArrayLike<number> | tf.Tensor | number[][] | number[][][] | number[][][][];

function flatten(value: Numeric): Float64Array {
  if (typeof value === 'number') return Float64Array.of(value);
  if (value instanceof tf.Tensor) return Float64Array.from(value.dataSync() as ArrayLike<number>);
  const out: number[] = [];
  const walk = (v: unknown) => {
    if (typeof v === 'number') out.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof (v as ArrayLike<number>).length === 'number') out.push(...Array.from(v as ArrayLike<number>));
    else throw new TypeError(`expectClose: cannot read ${String(v)} as numbers`);
  };
  walk(value);
  return Float64Array.from(out);
}

/**
 * Assert |actual - expected| <= atol + rtol * |expected| elementwise (numpy's
 * `allclose` rule). NaN matches only NaN and infinities must be equal. Throws an
 * Error naming the worst element. Test-only helper shared by every package.
 */
export function expectClose(actual: Numeric, expected: Numeric, options: CloseOptions = {}): void {
  const atol = options.atol ?? 1e-5;
  const rtol = options.rtol ?? 0;
  const a = flatten(actual);
  const e = flatten(expected);
  const label = options.label ? `${options.label}: ` : '';
  if (a.length !== e.length) throw new Error(`${label}expectClose: ${a.length} values vs ${e.length} expected`);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = e[i];
    if (Number.isNaN(y) || Number.isNaN(x)) {
      if (Number.isNaN(x) !== Number.isNaN(y)) { worst = i; worstExcess = Infinity; break; }
      continue;
    }
    if (!Number.isFinite(y) || !Number.isFinite(x)) {
      if (x !== y) { worst = i; worstExcess = Infinity; break; }
      continue;
    }
    const excess = Math.abs(x - y) - (atol + rtol * Math.abs(y));
    if (excess > worstExcess) { worstExcess = excess; worst = i; }
  }
  if (worst >= 0) {
    throw new Error(
      `${label}expectClose failed at index ${worst}: actual ${a[worst]}, expected ${e[worst]} ` +
        `(|diff| ${Math.abs(a[worst] - e[worst]).toExponential(3)} > atol ${atol} + rtol ${rtol} * |expected|)`,
    );
  }
}

/** Largest |actual - expected| / max(|expected|, floor) over all elements. */
export function maxRelativeError(actual: Numeric, expected: Numeric, floor = 1e-12): number {
  const a = flatten(actual);
  const e = flatten(expected);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - e[i]) / Math.max(Math.abs(e[i]), floor));
  return worst;
}
