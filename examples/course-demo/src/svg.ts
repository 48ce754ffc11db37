/**
 * Small inline-SVG charts for the report (no scripts, no external assets): line charts for loss
 * curves and grouped bar charts. Every chart is an `<svg class="chart" data-chart="...">` with a
 * title, axes, tick labels and a legend.
 */
export interface Series {
  name: string;
  points: Array<[number, number]>;
  dashed?: boolean;
}

const COLORS = ['#2563eb', '#dc2626', '#059669', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#4b5563'];

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function fmt(v: number): string {
  if (v === 0) return '0';
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 1000) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(2);
}

function ticks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

const W = 560;
const H = 300;
const M = { left: 56, right: 16, top: 34, bottom: 64 };

function frame(id: string, title: string, body: string, legend: Array<{ name: string; color: string; dashed?: boolean }>, extra = 0): string {
  const items = legend
    .map((l, i) => {
      const x = M.left + (i % 3) * 170;
      const y = H - 22 + extra + Math.floor(i / 3) * 14;
      return `<line x1="${x}" y1="${y - 4}" x2="${x + 18}" y2="${y - 4}" stroke="${l.color}" stroke-width="3"${l.dashed ? ' stroke-dasharray="5 3"' : ''}/><text x="${x + 22}" y="${y}" font-size="11">${escapeHtml(l.name)}</text>`;
    })
    .join('');
  const height = H + extra + Math.max(0, Math.ceil(legend.length / 3) - 1) * 14;
  return `<svg class="chart" data-chart="${escapeHtml(id)}" xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" role="img" aria-label="${escapeHtml(title)}"><rect x="0" y="0" width="${W}" height="${height}" fill="#fff"/><text x="${W / 2}" y="20" text-anchor="middle" font-size="14" font-weight="600">${escapeHtml(title)}</text>${body}${items}</svg>`;
}

function axes(xMin: number, xMax: number, yMin: number, yMax: number, xLabel: string, yLabel: string, xTicks = true): { x: (v: number) => number; y: (v: number) => number; svg: string } {
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const x = (v: number): number => M.left + (xMax === xMin ? pw / 2 : ((v - xMin) / (xMax - xMin)) * pw);
  const y = (v: number): number => M.top + ph - (yMax === yMin ? ph / 2 : ((v - yMin) / (yMax - yMin)) * ph);
  let svg = `<line x1="${M.left}" y1="${M.top + ph}" x2="${M.left + pw}" y2="${M.top + ph}" stroke="#333"/><line x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${M.top + ph}" stroke="#333"/>`;
  for (const t of ticks(yMin, yMax)) {
    svg += `<line x1="${M.left}" y1="${y(t)}" x2="${M.left + pw}" y2="${y(t)}" stroke="#e5e7eb"/><text x="${M.left - 6}" y="${y(t) + 4}" text-anchor="end" font-size="10">${fmt(t)}</text>`;
  }
  if (xTicks) for (const t of ticks(xMin, xMax)) svg += `<text x="${x(t)}" y="${M.top + ph + 14}" text-anchor="middle" font-size="10">${fmt(t)}</text>`;
  svg += `<text x="${M.left + pw / 2}" y="${M.top + ph + 30}" text-anchor="middle" font-size="11">${escapeHtml(xLabel)}</text>`;
  svg += `<text x="14" y="${M.top + ph / 2}" text-anchor="middle" font-size="11" transform="rotate(-90 14 ${M.top + ph / 2})">${escapeHtml(yLabel)}</text>`;
  return { x, y, svg };
}

/** A line chart of one or more series (e.g. training and validation loss against the step). */
export function lineChart(id: string, title: string, series: Series[], xLabel: string, yLabel: string): string {
  const all = series.flatMap((s) => s.points).filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b));
  if (all.length === 0) return `<p class="missing">${escapeHtml(title)}: no data.</p>`;
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  let [yMin, yMax] = [Math.min(...ys), Math.max(...ys)];
  const pad = (yMax - yMin) * 0.05 || Math.abs(yMax) * 0.05 || 1;
  yMin -= pad;
  yMax += pad;
  const a = axes(Math.min(...xs), Math.max(...xs), yMin, yMax, xLabel, yLabel);
  let body = a.svg;
  const legend: Array<{ name: string; color: string; dashed?: boolean }> = [];
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    const pts = s.points.filter(([p, q]) => Number.isFinite(p) && Number.isFinite(q));
    if (pts.length === 0) return;
    legend.push({ name: s.name, color, dashed: s.dashed });
    if (pts.length === 1) body += `<circle cx="${a.x(pts[0]![0]).toFixed(1)}" cy="${a.y(pts[0]![1]).toFixed(1)}" r="3.5" fill="${color}"/>`;
    else body += `<polyline class="series" fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''} points="${pts.map(([p, q]) => `${a.x(p).toFixed(1)},${a.y(q).toFixed(1)}`).join(' ')}"/>`;
    if (s.dashed) for (const [p, q] of pts) body += `<circle cx="${a.x(p).toFixed(1)}" cy="${a.y(q).toFixed(1)}" r="2.5" fill="${color}"/>`;
  });
  return frame(id, title, body, legend);
}

/** Grouped bars: one group per category, one bar per series. */
export function barChart(id: string, title: string, categories: string[], series: Array<{ name: string; values: number[] }>, yLabel: string, options: { yMax?: number; reference?: { value: number; label: string } } = {}): string {
  const values = series.flatMap((s) => s.values).filter((v) => Number.isFinite(v));
  if (categories.length === 0 || values.length === 0) return `<p class="missing">${escapeHtml(title)}: no data.</p>`;
  const yMax = options.yMax ?? (Math.max(...values, options.reference?.value ?? 0) * 1.1 || 1);
  const a = axes(0, 1, 0, yMax, '', yLabel, false);
  let body = a.svg;
  const pw = W - M.left - M.right;
  const groupW = pw / categories.length;
  const barW = Math.max(4, Math.min(40, (groupW * 0.8) / series.length));
  categories.forEach((c, ci) => {
    const gx = M.left + ci * groupW + (groupW - barW * series.length) / 2;
    series.forEach((s, si) => {
      const v = s.values[ci];
      if (v === undefined || !Number.isFinite(v)) return;
      const top = a.y(Math.min(v, yMax));
      const h = Math.max(1, a.y(0) - top);
      body += `<rect class="bar" x="${(gx + si * barW).toFixed(1)}" y="${(a.y(0) - h).toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${COLORS[si % COLORS.length]}"><title>${escapeHtml(`${c} / ${s.name}: ${fmt(v)}`)}</title></rect>`;
      if (barW >= 18) body += `<text x="${(gx + si * barW + (barW - 2) / 2).toFixed(1)}" y="${(a.y(0) - h - 3).toFixed(1)}" text-anchor="middle" font-size="9">${fmt(v)}</text>`;
    });
    const rotate = categories.length > 5;
    const max = rotate ? 15 : 22;
    const label = c.length > max ? `${c.slice(0, max - 1)}\u2026` : c;
    const lx = (M.left + ci * groupW + groupW / 2).toFixed(1);
    const ly = H - M.bottom + 14;
    body += rotate
      ? `<text x="${lx}" y="${ly}" text-anchor="end" font-size="9" transform="rotate(-30 ${lx} ${ly})">${escapeHtml(label)}</text>`
      : `<text x="${lx}" y="${ly}" text-anchor="middle" font-size="10">${escapeHtml(label)}</text>`;
  });
  if (options.reference) {
    const ry = a.y(options.reference.value);
    body += `<line x1="${M.left}" y1="${ry}" x2="${M.left + pw}" y2="${ry}" stroke="#111" stroke-dasharray="4 3"/><text x="${M.left + pw - 2}" y="${ry - 4}" text-anchor="end" font-size="10">${escapeHtml(options.reference.label)}</text>`;
  }
  const legend = series.length > 1 ? series.map((s, i) => ({ name: s.name, color: COLORS[i % COLORS.length]! })) : [];
  return frame(id, title, body, legend, categories.length > 5 && legend.length > 0 ? 26 : 0);
}

/** An HTML table; cells are escaped. */
export function table(headers: string[], rows: Array<Array<string | number | null | undefined>>): string {
  const cell = (v: string | number | null | undefined): string => (v === null || v === undefined ? '\u2013' : typeof v === 'number' ? (Number.isFinite(v) ? fmt(v) : '\u2013') : escapeHtml(v));
  return `<table><thead><tr>${headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${cell(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}
