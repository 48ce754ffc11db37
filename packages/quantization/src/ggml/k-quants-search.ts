/**
 * The scale searches ggml's K-quant reference quantizers share (ggml-quants.c:
 * `nearest_int`, `make_qx_quants`, `make_q3_quants`, `make_qkx2_quants`), written for
 * byte-exact agreement with the C code compiled without FMA contraction or fast-math:
 * every float expression is rounded to float32 exactly where C rounds it (`f32`), sums
 * accumulate in the same order, and comparisons keep C's strictness and tie-breaking.
 *
 * Float32 emulation note: for float32 operands a, b, the float64 result of a+b, a-b, a*b,
 * a/b or sqrt(a), rounded once to float32, equals the float32 operation (float64 carries
 * more than 2*24+2 significand bits), so `f32(a op b)` reproduces C's `float` arithmetic.
 *
 * @internal These helpers work in place on caller-owned scratch arrays and do not validate.
 */

/** Round to float32: C's float arithmetic. */
const f32 = Math.fround;

/** ggml's GROUP_MAX_EPS (1e-15f): below this absolute max a group counts as all zero. */
export const GROUP_MAX_EPS = Math.fround(1e-15);

/** 0.1f */
const F01 = Math.fround(0.1);

/** 1.5 * 2^52: (t + MAGIC) - MAGIC rounds t (|t| < 2^51) to an integer, ties to even. */
const MAGIC = 6755399441055744;

const magicF32 = new Float32Array(1);
const magicI32 = new Int32Array(magicF32.buffer);

/**
 * ggml's `nearest_int`: adds 12582912 (1.5 * 2^23) in float32 and reads the low mantissa
 * bits. In range (|v| <= 4194303) that is round-half-to-even, computed here with the
 * float64 magic number 1.5 * 2^52 (the same rounding, since v is a float32); outside the
 * range (no assert in release builds) the bit trick is reproduced as is, so NaN gives 0
 * and +-Infinity gives -4194304 like the C code.
 */
export function nearestInt(v: number): number {
  if (v <= 4194303 && v >= -4194303) return v + MAGIC - MAGIC;
  magicF32[0] = v + 12582912;
  return (magicI32[0] & 0x007fffff) - 0x00400000;
}

// Scratch for makeQxQuantsRmse1 (n <= 32).
const xxs = new Float64Array(32);
const xw = new Float64Array(32);
const xwx = new Float64Array(32);
const xl = new Float64Array(32);

/**
 * `make_qx_quants(n, nmax, x, L, rmse_type = 1, qw = NULL)`: symmetric scale with weights
 * x^2, refined over 18 candidate inverse scales -(nmax + 0.1 is)/max, is = -9..9.
 * Writes L[lAt + i] = q + nmax in [0, 2 nmax) and returns the scale. `n` <= 32.
 *
 * Exact speed-up: a candidate whose quants equal the previously evaluated ones has the same
 * sums; accepting it again would leave L, scale and best unchanged, and rejecting it changes
 * nothing either, so it is skipped.
 */
export function makeQxQuantsRmse1(n: number, nmax: number, x: Float32Array, xAt: number, L: Int8Array, lAt: number): number {
  let max = 0;
  let amax = 0;
  for (let i = 0; i < n; i++) {
    const v = x[xAt + i];
    const ax = Math.abs(v);
    if (ax > amax) {
      amax = ax;
      max = v;
    }
  }
  if (amax < GROUP_MAX_EPS) {
    for (let i = 0; i < n; i++) L[lAt + i] = 0;
    return 0;
  }
  const xs = xxs;
  const ws = xw;
  const wx = xwx;
  const ql = xl;
  let iscale = f32(-nmax / max);
  let sumlx = 0;
  let suml2 = 0;
  for (let i = 0; i < n; i++) {
    const v = x[xAt + i];
    xs[i] = v;
    let l = nearestInt(f32(iscale * v));
    l = l < -nmax ? -nmax : l > nmax - 1 ? nmax - 1 : l;
    L[lAt + i] = l + nmax;
    ql[i] = l;
    const w = f32(v * v);
    ws[i] = w;
    const wv = f32(w * v);
    wx[i] = wv;
    sumlx = f32(sumlx + f32(wv * l));
    suml2 = f32(suml2 + f32(f32(w * l) * l));
  }
  let scale = suml2 !== 0 ? f32(sumlx / suml2) : 0;
  let best = f32(scale * sumlx);
  for (let is = -9; is <= 9; is++) {
    if (is === 0) continue;
    iscale = f32(-f32(nmax + f32(F01 * is)) / max);
    let same = true;
    for (let i = 0; i < n; i++) {
      const t = f32(iscale * xs[i]);
      let l = t <= 4194303 && t >= -4194303 ? t + MAGIC - MAGIC : nearestInt(t);
      l = l < -nmax ? -nmax : l > nmax - 1 ? nmax - 1 : l;
      if (l !== ql[i]) {
        ql[i] = l;
        same = false;
      }
    }
    if (same) continue;
    sumlx = 0;
    suml2 = 0;
    for (let i = 0; i < n; i++) {
      const l = ql[i];
      sumlx = f32(sumlx + f32(wx[i] * l));
      suml2 = f32(suml2 + f32(f32(ws[i] * l) * l));
    }
    if (suml2 > 0 && f32(sumlx * sumlx) > f32(best * suml2)) {
      for (let i = 0; i < n; i++) L[lAt + i] = ql[i] + nmax;
      scale = f32(sumlx / suml2);
      best = f32(scale * sumlx);
    }
  }
  return scale;
}

/**
 * `make_q3_quants(n, nmax, x, L, do_rmse = true)`: symmetric scale with weights x^2, then up
 * to 5 passes of coordinate descent moving one level at a time when it raises
 * sumlx^2 / suml2. Writes L[lAt + i] = q + nmax and returns the scale.
 */
export function makeQ3QuantsRmse(n: number, nmax: number, x: Float32Array, xAt: number, L: Int8Array, lAt: number): number {
  let max = 0;
  let amax = 0;
  for (let i = 0; i < n; i++) {
    const v = x[xAt + i];
    const ax = Math.abs(v);
    if (ax > amax) {
      amax = ax;
      max = v;
    }
  }
  if (amax < GROUP_MAX_EPS) {
    for (let i = 0; i < n; i++) L[lAt + i] = 0;
    return 0;
  }
  const iscale = f32(-nmax / max);
  let sumlx = 0;
  let suml2 = 0;
  for (let i = 0; i < n; i++) {
    const v = x[xAt + i];
    let l = nearestInt(f32(iscale * v));
    l = l < -nmax ? -nmax : l > nmax - 1 ? nmax - 1 : l;
    L[lAt + i] = l;
    const w = f32(v * v);
    sumlx = f32(sumlx + f32(f32(w * v) * l));
    suml2 = f32(suml2 + f32(f32(w * l) * l));
  }
  for (let itry = 0; itry < 5; itry++) {
    let nChanged = 0;
    for (let i = 0; i < n; i++) {
      const v = x[xAt + i];
      const w = f32(v * v);
      const li = L[lAt + i];
      let slx = f32(sumlx - f32(f32(w * v) * li));
      if (slx > 0) {
        let sl2 = f32(suml2 - f32(f32(w * li) * li));
        let nl = nearestInt(f32(f32(v * sl2) / slx));
        nl = nl < -nmax ? -nmax : nl > nmax - 1 ? nmax - 1 : nl;
        if (nl !== li) {
          slx = f32(slx + f32(f32(w * v) * nl));
          sl2 = f32(sl2 + f32(f32(w * nl) * nl));
          if (sl2 > 0 && f32(f32(slx * slx) * suml2) > f32(f32(sumlx * sumlx) * sl2)) {
            L[lAt + i] = nl;
            sumlx = slx;
            suml2 = sl2;
            nChanged++;
          }
        }
      }
    }
    if (nChanged === 0) break;
  }
  for (let i = 0; i < n; i++) L[lAt + i] += nmax;
  return suml2 > 0 ? f32(sumlx / suml2) : 0;
}

/** The offset `make_qkx2_quants` returns through `the_min` (>= 0; x ~ scale*q - min). */
export const qkx2Result = { min: 0 };

// Scratch for makeQkx2Quants (float64 copies: loads need no float32 -> float64 conversion).
const qxs = new Float64Array(32);
const qws = new Float64Array(32);
const qxm = new Float64Array(32);
const qaux = new Float64Array(32);

/**
 * `make_qkx2_quants(n, nmax, x, weights, L, &the_min, Laux, rmin, rdelta, nstep, use_mad)`:
 * affine fit x ~ scale*q + min (min <= 0) by weighted least squares over the candidate
 * inverse scales (rmin + rdelta*is + nmax)/(max - min), is = 0..nstep, where min is the best
 * fit so far; keeps the candidate with the lowest weighted error (absolute when useMad, else
 * squared). Writes L[lAt + i] in [0, nmax], returns the scale and leaves -min in
 * {@link qkx2Result}.min. `n` <= 32.
 *
 * Speed-up that keeps the result exact: a candidate whose quants equal the previous
 * candidate's has the same sums, scale, min and error (they depend only on the quants), and
 * since the best error never increases it cannot be accepted, so it is skipped.
 */
export function makeQkx2Quants(
  n: number,
  nmax: number,
  x: Float32Array,
  xAt: number,
  weights: Float32Array,
  L: Uint8Array,
  lAt: number,
  rmin: number,
  rdelta: number,
  nstep: number,
  useMad: boolean
): number {
  const xs = qxs;
  const ws = qws;
  const xm = qxm;
  const aux = qaux;
  let min = x[xAt];
  let max = min;
  let sumW = weights[0];
  let sumX = f32(sumW * min);
  xs[0] = min;
  ws[0] = sumW;
  for (let i = 1; i < n; i++) {
    const v = x[xAt + i];
    xs[i] = v;
    if (v < min) min = v;
    if (v > max) max = v;
    const w = weights[i];
    ws[i] = w;
    sumW = f32(sumW + w);
    sumX = f32(sumX + f32(w * v));
  }
  if (min > 0) min = 0;
  if (max === min) {
    for (let i = 0; i < n; i++) L[lAt + i] = 0;
    qkx2Result.min = -min;
    return 0;
  }
  let iscale = f32(nmax / f32(max - min));
  let scale = f32(1 / iscale);
  let bestError = 0;
  for (let i = 0; i < n; i++) {
    const v = xs[i];
    const xmi = f32(v - min);
    xm[i] = xmi;
    const l = nearestInt(f32(iscale * xmi));
    const q = l < 0 ? 0 : l > nmax ? nmax : l;
    L[lAt + i] = q;
    aux[i] = -1; // no previous candidate yet
    let diff = f32(f32(f32(scale * q) + min) - v);
    diff = useMad ? Math.abs(diff) : f32(diff * diff);
    bestError = f32(bestError + f32(ws[i] * diff));
  }
  if (nstep < 1) {
    qkx2Result.min = -min;
    return scale;
  }
  for (let is = 0; is <= nstep; is++) {
    // min is the best fit so far: later candidates start from it (as in C).
    iscale = f32(f32(f32(rmin + f32(rdelta * is)) + nmax) / f32(max - min));
    let same = true;
    for (let i = 0; i < n; i++) {
      const t = f32(iscale * xm[i]);
      const l = t <= 4194303 && t >= -4194303 ? t + MAGIC - MAGIC : nearestInt(t);
      const q = l < 0 ? 0 : l > nmax ? nmax : l;
      if (q !== aux[i]) {
        aux[i] = q;
        same = false;
      }
    }
    if (same) continue;
    let sumL = 0;
    let sumL2 = 0;
    let sumXL = 0;
    for (let i = 0; i < n; i++) {
      const q = aux[i];
      const wl = f32(ws[i] * q);
      sumL = f32(sumL + wl);
      sumL2 = f32(sumL2 + f32(wl * q));
      sumXL = f32(sumXL + f32(wl * xs[i]));
    }
    const D = f32(f32(sumW * sumL2) - f32(sumL * sumL));
    if (D > 0) {
      let thisScale = f32(f32(f32(sumW * sumXL) - f32(sumX * sumL)) / D);
      let thisMin = f32(f32(f32(sumL2 * sumX) - f32(sumL * sumXL)) / D);
      if (thisMin > 0) {
        thisMin = 0;
        thisScale = f32(sumXL / sumL2);
      }
      let curError = 0;
      if (useMad) {
        for (let i = 0; i < n; i++) {
          const diff = f32(f32(f32(thisScale * aux[i]) + thisMin) - xs[i]);
          curError = f32(curError + f32(ws[i] * Math.abs(diff)));
        }
      } else {
        for (let i = 0; i < n; i++) {
          const diff = f32(f32(f32(thisScale * aux[i]) + thisMin) - xs[i]);
          curError = f32(curError + f32(ws[i] * f32(diff * diff)));
        }
      }
      if (curError < bestError) {
        for (let i = 0; i < n; i++) L[lAt + i] = aux[i];
        bestError = curError;
        scale = thisScale;
        if (thisMin !== min) {
          min = thisMin;
          for (let i = 0; i < n; i++) xm[i] = f32(xs[i] - min);
        }
      }
    }
  }
  qkx2Result.min = -min;
  return scale;
}

/** Results of {@link makeQkx2QuantsPair}: scale and -min of lanes A and B. */
export const qkx2Pair = { scaleA: 0, minA: 0, scaleB: 0, minB: 0 };

// Scratch for makeQkx2QuantsPair: lane A at [0, 32), lane B at [32, 64).
const pxs = new Float64Array(64);
const pws = new Float64Array(64);
const pxm = new Float64Array(64);
const paux = new Float64Array(64);

/**
 * {@link makeQkx2Quants} on two independent groups at once (lane A: x[xAtA..], weights wA,
 * quants to L[lAtA..]; lane B likewise), with the same n, nmax and search parameters. Each
 * lane computes exactly what the single-group function computes; interleaving only lets the
 * CPU overlap the two lanes' float32 rounding chains. Results land in {@link qkx2Pair}.
 */
export function makeQkx2QuantsPair(
  n: number,
  nmax: number,
  x: Float32Array,
  xAtA: number,
  wA: Float32Array,
  lAtA: number,
  xAtB: number,
  wB: Float32Array,
  lAtB: number,
  L: Uint8Array,
  rmin: number,
  rdelta: number,
  nstep: number,
  useMad: boolean
): void {
  const xs = pxs;
  const ws = pws;
  const xm = pxm;
  const aux = paux;
  let minA = x[xAtA];
  let maxA = minA;
  let sumWA = wA[0];
  let sumXA = f32(sumWA * minA);
  let minB = x[xAtB];
  let maxB = minB;
  let sumWB = wB[0];
  let sumXB = f32(sumWB * minB);
  xs[0] = minA;
  ws[0] = sumWA;
  xs[32] = minB;
  ws[32] = sumWB;
  for (let i = 1; i < n; i++) {
    const va = x[xAtA + i];
    const vb = x[xAtB + i];
    xs[i] = va;
    xs[32 + i] = vb;
    if (va < minA) minA = va;
    if (va > maxA) maxA = va;
    if (vb < minB) minB = vb;
    if (vb > maxB) maxB = vb;
    const wa = wA[i];
    const wb = wB[i];
    ws[i] = wa;
    ws[32 + i] = wb;
    sumWA = f32(sumWA + wa);
    sumXA = f32(sumXA + f32(wa * va));
    sumWB = f32(sumWB + wb);
    sumXB = f32(sumXB + f32(wb * vb));
  }
  if (minA > 0) minA = 0;
  if (minB > 0) minB = 0;
  if (maxA === minA || maxB === minB || nstep < 1) {
    // A degenerate lane (constant group) or no search: the single-group path handles it.
    qkx2Pair.scaleA = makeQkx2Quants(n, nmax, x, xAtA, wA, L, lAtA, rmin, rdelta, nstep, useMad);
    qkx2Pair.minA = qkx2Result.min;
    qkx2Pair.scaleB = makeQkx2Quants(n, nmax, x, xAtB, wB, L, lAtB, rmin, rdelta, nstep, useMad);
    qkx2Pair.minB = qkx2Result.min;
    return;
  }
  let iscaleA = f32(nmax / f32(maxA - minA));
  let scaleA = f32(1 / iscaleA);
  let iscaleB = f32(nmax / f32(maxB - minB));
  let scaleB = f32(1 / iscaleB);
  let bestA = 0;
  let bestB = 0;
  for (let i = 0; i < n; i++) {
    const va = xs[i];
    const xma = f32(va - minA);
    xm[i] = xma;
    const la = nearestInt(f32(iscaleA * xma));
    const qa = la < 0 ? 0 : la > nmax ? nmax : la;
    L[lAtA + i] = qa;
    aux[i] = -1;
    let da = f32(f32(f32(scaleA * qa) + minA) - va);
    da = useMad ? Math.abs(da) : f32(da * da);
    bestA = f32(bestA + f32(ws[i] * da));
    const vb = xs[32 + i];
    const xmb = f32(vb - minB);
    xm[32 + i] = xmb;
    const lb = nearestInt(f32(iscaleB * xmb));
    const qb = lb < 0 ? 0 : lb > nmax ? nmax : lb;
    L[lAtB + i] = qb;
    aux[32 + i] = -1;
    let db = f32(f32(f32(scaleB * qb) + minB) - vb);
    db = useMad ? Math.abs(db) : f32(db * db);
    bestB = f32(bestB + f32(ws[32 + i] * db));
  }
  for (let is = 0; is <= nstep; is++) {
    const num = f32(f32(rmin + f32(rdelta * is)) + nmax);
    iscaleA = f32(num / f32(maxA - minA));
    iscaleB = f32(num / f32(maxB - minB));
    let sameA = true;
    let sameB = true;
    for (let i = 0; i < n; i++) {
      const ta = f32(iscaleA * xm[i]);
      const la = ta <= 4194303 && ta >= -4194303 ? ta + MAGIC - MAGIC : nearestInt(ta);
      const qa = la < 0 ? 0 : la > nmax ? nmax : la;
      if (qa !== aux[i]) {
        aux[i] = qa;
        sameA = false;
      }
      const tb = f32(iscaleB * xm[32 + i]);
      const lb = tb <= 4194303 && tb >= -4194303 ? tb + MAGIC - MAGIC : nearestInt(tb);
      const qb = lb < 0 ? 0 : lb > nmax ? nmax : lb;
      if (qb !== aux[32 + i]) {
        aux[32 + i] = qb;
        sameB = false;
      }
    }
    if (sameA && sameB) continue;
    let sLA = 0;
    let sL2A = 0;
    let sXLA = 0;
    let sLB = 0;
    let sL2B = 0;
    let sXLB = 0;
    if (!sameA && !sameB) {
      for (let i = 0; i < n; i++) {
        const qa = aux[i];
        const wla = f32(ws[i] * qa);
        sLA = f32(sLA + wla);
        sL2A = f32(sL2A + f32(wla * qa));
        sXLA = f32(sXLA + f32(wla * xs[i]));
        const qb = aux[32 + i];
        const wlb = f32(ws[32 + i] * qb);
        sLB = f32(sLB + wlb);
        sL2B = f32(sL2B + f32(wlb * qb));
        sXLB = f32(sXLB + f32(wlb * xs[32 + i]));
      }
    } else {
      const o = sameA ? 32 : 0;
      let sL = 0;
      let sL2 = 0;
      let sXL = 0;
      for (let i = o; i < o + n; i++) {
        const q = aux[i];
        const wl = f32(ws[i] * q);
        sL = f32(sL + wl);
        sL2 = f32(sL2 + f32(wl * q));
        sXL = f32(sXL + f32(wl * xs[i]));
      }
      if (sameA) {
        sLB = sL;
        sL2B = sL2;
        sXLB = sXL;
      } else {
        sLA = sL;
        sL2A = sL2;
        sXLA = sXL;
      }
    }
    let evalA = false;
    let thisScaleA = 0;
    let thisMinA = 0;
    if (!sameA) {
      const D = f32(f32(sumWA * sL2A) - f32(sLA * sLA));
      if (D > 0) {
        evalA = true;
        thisScaleA = f32(f32(f32(sumWA * sXLA) - f32(sumXA * sLA)) / D);
        thisMinA = f32(f32(f32(sL2A * sumXA) - f32(sLA * sXLA)) / D);
        if (thisMinA > 0) {
          thisMinA = 0;
          thisScaleA = f32(sXLA / sL2A);
        }
      }
    }
    let evalB = false;
    let thisScaleB = 0;
    let thisMinB = 0;
    if (!sameB) {
      const D = f32(f32(sumWB * sL2B) - f32(sLB * sLB));
      if (D > 0) {
        evalB = true;
        thisScaleB = f32(f32(f32(sumWB * sXLB) - f32(sumXB * sLB)) / D);
        thisMinB = f32(f32(f32(sL2B * sumXB) - f32(sLB * sXLB)) / D);
        if (thisMinB > 0) {
          thisMinB = 0;
          thisScaleB = f32(sXLB / sL2B);
        }
      }
    }
    let curA = 0;
    let curB = 0;
    if (evalA && evalB) {
      for (let i = 0; i < n; i++) {
        let da = f32(f32(f32(thisScaleA * aux[i]) + thisMinA) - xs[i]);
        da = useMad ? Math.abs(da) : f32(da * da);
        curA = f32(curA + f32(ws[i] * da));
        let db = f32(f32(f32(thisScaleB * aux[32 + i]) + thisMinB) - xs[32 + i]);
        db = useMad ? Math.abs(db) : f32(db * db);
        curB = f32(curB + f32(ws[32 + i] * db));
      }
    } else if (evalA || evalB) {
      const o = evalA ? 0 : 32;
      const ts = evalA ? thisScaleA : thisScaleB;
      const tm = evalA ? thisMinA : thisMinB;
      let cur = 0;
      for (let i = o; i < o + n; i++) {
        let d = f32(f32(f32(ts * aux[i]) + tm) - xs[i]);
        d = useMad ? Math.abs(d) : f32(d * d);
        cur = f32(cur + f32(ws[i] * d));
      }
      if (evalA) curA = cur;
      else curB = cur;
    }
    if (evalA && curA < bestA) {
      for (let i = 0; i < n; i++) L[lAtA + i] = aux[i];
      bestA = curA;
      scaleA = thisScaleA;
      if (thisMinA !== minA) {
        minA = thisMinA;
        for (let i = 0; i < n; i++) xm[i] = f32(xs[i] - minA);
      }
    }
    if (evalB && curB < bestB) {
      for (let i = 0; i < n; i++) L[lAtB + i] = aux[32 + i];
      bestB = curB;
      scaleB = thisScaleB;
      if (thisMinB !== minB) {
        minB = thisMinB;
        for (let i = 0; i < n; i++) xm[32 + i] = f32(xs[32 + i] - minB);
      }
    }
  }
  qkx2Pair.scaleA = scaleA;
  qkx2Pair.minA = -minA;
  qkx2Pair.scaleB = scaleB;
  qkx2Pair.minB = -minB;
}

/** Results of {@link makeQxQuantsRmse1Pair}: the scales of lanes A and B. */
export const qxPair = { scaleA: 0, scaleB: 0 };

// Scratch for makeQxQuantsRmse1Pair: lane A at [0, 32), lane B at [32, 64).
const pqx = new Float64Array(64);
const pqw = new Float64Array(64);
const pqwx = new Float64Array(64);
const pql = new Float64Array(64);

/**
 * {@link makeQxQuantsRmse1} on two independent groups at once (lane A: x[xAtA..] -> L[lAtA..],
 * lane B likewise), same n and nmax; each lane computes exactly what the single-group function
 * computes, interleaved so the CPU can overlap the two lanes' rounding chains. Results land in
 * {@link qxPair}.
 */
export function makeQxQuantsRmse1Pair(
  n: number,
  nmax: number,
  x: Float32Array,
  xAtA: number,
  lAtA: number,
  xAtB: number,
  lAtB: number,
  L: Int8Array
): void {
  let maxA = 0;
  let amaxA = 0;
  let maxB = 0;
  let amaxB = 0;
  for (let i = 0; i < n; i++) {
    const va = x[xAtA + i];
    const aa = Math.abs(va);
    if (aa > amaxA) {
      amaxA = aa;
      maxA = va;
    }
    const vb = x[xAtB + i];
    const ab = Math.abs(vb);
    if (ab > amaxB) {
      amaxB = ab;
      maxB = vb;
    }
  }
  if (amaxA < GROUP_MAX_EPS || amaxB < GROUP_MAX_EPS) {
    // An all-zero lane: the single-group path handles it.
    qxPair.scaleA = makeQxQuantsRmse1(n, nmax, x, xAtA, L, lAtA);
    qxPair.scaleB = makeQxQuantsRmse1(n, nmax, x, xAtB, L, lAtB);
    return;
  }
  const xs = pqx;
  const ws = pqw;
  const wx = pqwx;
  const ql = pql;
  let iscaleA = f32(-nmax / maxA);
  let iscaleB = f32(-nmax / maxB);
  let sumlxA = 0;
  let suml2A = 0;
  let sumlxB = 0;
  let suml2B = 0;
  for (let i = 0; i < n; i++) {
    const va = x[xAtA + i];
    xs[i] = va;
    let la = nearestInt(f32(iscaleA * va));
    la = la < -nmax ? -nmax : la > nmax - 1 ? nmax - 1 : la;
    L[lAtA + i] = la + nmax;
    ql[i] = la;
    const wa = f32(va * va);
    ws[i] = wa;
    const wva = f32(wa * va);
    wx[i] = wva;
    sumlxA = f32(sumlxA + f32(wva * la));
    suml2A = f32(suml2A + f32(f32(wa * la) * la));
    const vb = x[xAtB + i];
    xs[32 + i] = vb;
    let lb = nearestInt(f32(iscaleB * vb));
    lb = lb < -nmax ? -nmax : lb > nmax - 1 ? nmax - 1 : lb;
    L[lAtB + i] = lb + nmax;
    ql[32 + i] = lb;
    const wb = f32(vb * vb);
    ws[32 + i] = wb;
    const wvb = f32(wb * vb);
    wx[32 + i] = wvb;
    sumlxB = f32(sumlxB + f32(wvb * lb));
    suml2B = f32(suml2B + f32(f32(wb * lb) * lb));
  }
  let scaleA = suml2A !== 0 ? f32(sumlxA / suml2A) : 0;
  let bestA = f32(scaleA * sumlxA);
  let scaleB = suml2B !== 0 ? f32(sumlxB / suml2B) : 0;
  let bestB = f32(scaleB * sumlxB);
  for (let is = -9; is <= 9; is++) {
    if (is === 0) continue;
    const num = -f32(nmax + f32(F01 * is));
    iscaleA = f32(num / maxA);
    iscaleB = f32(num / maxB);
    let sameA = true;
    let sameB = true;
    for (let i = 0; i < n; i++) {
      const ta = f32(iscaleA * xs[i]);
      let la = ta <= 4194303 && ta >= -4194303 ? ta + MAGIC - MAGIC : nearestInt(ta);
      la = la < -nmax ? -nmax : la > nmax - 1 ? nmax - 1 : la;
      if (la !== ql[i]) {
        ql[i] = la;
        sameA = false;
      }
      const tb = f32(iscaleB * xs[32 + i]);
      let lb = tb <= 4194303 && tb >= -4194303 ? tb + MAGIC - MAGIC : nearestInt(tb);
      lb = lb < -nmax ? -nmax : lb > nmax - 1 ? nmax - 1 : lb;
      if (lb !== ql[32 + i]) {
        ql[32 + i] = lb;
        sameB = false;
      }
    }
    if (sameA && sameB) continue;
    sumlxA = 0;
    suml2A = 0;
    sumlxB = 0;
    suml2B = 0;
    if (!sameA && !sameB) {
      for (let i = 0; i < n; i++) {
        const la = ql[i];
        sumlxA = f32(sumlxA + f32(wx[i] * la));
        suml2A = f32(suml2A + f32(f32(ws[i] * la) * la));
        const lb = ql[32 + i];
        sumlxB = f32(sumlxB + f32(wx[32 + i] * lb));
        suml2B = f32(suml2B + f32(f32(ws[32 + i] * lb) * lb));
      }
    } else {
      const o = sameA ? 32 : 0;
      let slx = 0;
      let sl2 = 0;
      for (let i = o; i < o + n; i++) {
        const l = ql[i];
        slx = f32(slx + f32(wx[i] * l));
        sl2 = f32(sl2 + f32(f32(ws[i] * l) * l));
      }
      if (sameA) {
        sumlxB = slx;
        suml2B = sl2;
      } else {
        sumlxA = slx;
        suml2A = sl2;
      }
    }
    if (!sameA && suml2A > 0 && f32(sumlxA * sumlxA) > f32(bestA * suml2A)) {
      for (let i = 0; i < n; i++) L[lAtA + i] = ql[i] + nmax;
      scaleA = f32(sumlxA / suml2A);
      bestA = f32(scaleA * sumlxA);
    }
    if (!sameB && suml2B > 0 && f32(sumlxB * sumlxB) > f32(bestB * suml2B)) {
      for (let i = 0; i < n; i++) L[lAtB + i] = ql[32 + i] + nmax;
      scaleB = f32(sumlxB / suml2B);
      bestB = f32(scaleB * sumlxB);
    }
  }
  qxPair.scaleA = scaleA;
  qxPair.scaleB = scaleB;
}
