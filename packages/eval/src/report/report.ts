/**
 * Reports of evaluation results: Markdown, and a self-contained HTML page (inline CSS and SVG
 * charts, no scripts, no external assets) with metric bars, rating intervals and per-category
 * breakdowns.
 */
import type { ArenaRatings } from '../arena/battles.js';
import { EvalError } from '../errors.js';
import type { TaskResult } from '../harness/run-task.js';

/** Everything a report can show. */
export interface EvalReport {
  title?: string;
  /** Harness results (runTask). */
  tasks?: TaskResult[];
  /** Arena ratings (onlineElo / bradleyTerry), with intervals when bootstrapped. */
  arena?: ArenaRatings;
  /** Other named scores, e.g. RAG metric means: `{ faithfulness: 0.82, contextRecall: 0.74 }`. */
  metrics?: Record<string, number>;
}

/** What the renderers accept: one task result, several, or a full report. */
export type ReportInput = TaskResult | TaskResult[] | EvalReport;

function isTaskResult(v: unknown): v is TaskResult {
  return !!v && typeof v === 'object' && 'task' in v && 'metrics' in v && 'samples' in v;
}

function normalize(input: ReportInput): Required<Pick<EvalReport, 'title'>> & EvalReport {
  let report: EvalReport;
  if (Array.isArray(input)) report = { tasks: input };
  else if (isTaskResult(input)) report = { tasks: [input] };
  else if (input && typeof input === 'object') report = input;
  else throw new EvalError('eval_invalid_option', 'A report needs a TaskResult, an array of them, or { tasks, arena, metrics }.');
  for (const t of report.tasks ?? []) {
    if (!isTaskResult(t)) throw new EvalError('eval_invalid_option', 'report.tasks must hold runTask results ({ task, model, metrics, samples }).');
  }
  if (report.arena && !Array.isArray(report.arena.leaderboard)) throw new EvalError('eval_invalid_option', 'report.arena must come from onlineElo or bradleyTerry.');
  if (!report.tasks?.length && !report.arena && !report.metrics) throw new EvalError('eval_invalid_option', 'The report is empty: give tasks, arena or metrics.');
  return { ...report, title: report.title ?? 'Evaluation report' };
}

function fmt(x: number | null | undefined, digits = 4): string {
  if (x === null || x === undefined || Number.isNaN(x)) return 'n/a';
  return Number.isInteger(x) ? String(x) : x.toFixed(digits);
}

function mdCell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function mdTable(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`)].join('\n');
}

/**
 * Markdown report: a metrics table per task (value, stderr, bootstrap stderr), per-category tables,
 * the arena leaderboard with 95 % intervals, and other named metrics.
 * @throws EvalError `eval_invalid_option` for an empty or malformed input.
 * @example
 * writeFileSync('report.md', renderMarkdownReport({ title: 'Nightly', tasks: [results], arena }));
 */
export function renderMarkdownReport(input: ReportInput): string {
  const r = normalize(input);
  const out: string[] = [`# ${r.title}`];
  if (r.tasks?.length) {
    out.push('## Tasks');
    const rows: string[][] = [];
    for (const t of r.tasks) {
      for (const [name, m] of Object.entries(t.metrics)) rows.push([t.task, t.model, String(t.n), name, fmt(m.value), fmt(m.stderr), fmt(m.bootstrapStderr)]);
    }
    out.push(mdTable(['task', 'model', 'n', 'metric', 'value', 'stderr', 'bootstrap stderr'], rows));
    for (const t of r.tasks) {
      if (!t.categories) continue;
      const names = Object.keys(t.metrics);
      out.push(`### ${t.task} by category (${t.model})`);
      out.push(mdTable(['category', 'n', ...names], Object.entries(t.categories).map(([c, v]) => [c, String(v.n), ...names.map((n) => fmt(v.metrics[n]))])));
    }
  }
  if (r.arena) {
    out.push(`## Arena ratings (${r.arena.method}${r.arena.bootstrap ? `, ${r.arena.bootstrap.rounds} bootstrap rounds` : ''})`);
    out.push(
      mdTable(
        ['rank', 'model', 'rating', '95% interval', 'battles'],
        r.arena.leaderboard.map((row, i) => [
          String(i + 1),
          row.model,
          fmt(row.rating, 1),
          row.lower !== undefined ? `${fmt(row.lower, 1)} – ${fmt(row.upper, 1)}` : 'n/a',
          String(row.battles),
        ]),
      ),
    );
  }
  if (r.metrics) {
    out.push('## Metrics');
    out.push(mdTable(['metric', 'value'], Object.entries(r.metrics).map(([k, v]) => [k, fmt(v)])));
  }
  return `${out.join('\n\n')}\n`;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

interface Bar {
  label: string;
  value: number;
  error?: number | null;
}

/** Horizontal bar chart with optional ± error whiskers, as inline SVG. */
function barChart(title: string, bars: Bar[], max?: number): string {
  const width = 640;
  const labelWidth = 220;
  const rowHeight = 26;
  const plot = width - labelWidth - 70;
  const top = Math.max(1e-12, max ?? Math.max(...bars.map((b) => b.value + (b.error ?? 0)), 0));
  const height = bars.length * rowHeight + 30;
  const x = (v: number) => labelWidth + (Math.max(0, Math.min(v, top)) / top) * plot;
  const rows = bars.map((b, i) => {
    const y = 24 + i * rowHeight;
    const value = Number.isFinite(b.value) ? b.value : 0;
    let whisker = '';
    if (b.error !== null && b.error !== undefined && Number.isFinite(b.error)) {
      const lo = x(value - b.error);
      const hi = x(value + b.error);
      whisker = `<line x1="${lo.toFixed(1)}" x2="${hi.toFixed(1)}" y1="${y + 9}" y2="${y + 9}" class="whisker"/>`;
    }
    return (
      `<text x="${labelWidth - 8}" y="${y + 13}" text-anchor="end">${esc(b.label)}</text>` +
      `<rect x="${labelWidth}" y="${y}" width="${(x(value) - labelWidth).toFixed(1)}" height="18" class="bar"><title>${esc(b.label)}: ${fmt(b.value)}</title></rect>` +
      whisker +
      `<text x="${(x(value) + 6).toFixed(1)}" y="${y + 13}">${esc(fmt(b.value, 3))}</text>`
    );
  });
  return `<figure><figcaption>${esc(title)}</figcaption><svg role="img" aria-label="${esc(title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">${rows.join('')}</svg></figure>`;
}

/** Rating intervals: a dot at the rating, a line from the 2.5 % to the 97.5 % quantile. */
function intervalChart(arena: ArenaRatings): string {
  const rows = arena.leaderboard;
  const width = 640;
  const labelWidth = 200;
  const rowHeight = 24;
  const plot = width - labelWidth - 40;
  const values = rows.flatMap((r) => [r.rating, r.lower ?? r.rating, r.upper ?? r.rating]);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const span = hi - lo || 1;
  const x = (v: number) => labelWidth + ((v - lo) / span) * plot;
  const height = rows.length * rowHeight + 40;
  const body = rows.map((r, i) => {
    const y = 20 + i * rowHeight;
    const line = r.lower !== undefined ? `<line x1="${x(r.lower).toFixed(1)}" x2="${x(r.upper!).toFixed(1)}" y1="${y}" y2="${y}" class="whisker"/>` : '';
    return (
      `<text x="${labelWidth - 8}" y="${y + 4}" text-anchor="end">${esc(r.model)}</text>${line}` +
      `<circle cx="${x(r.rating).toFixed(1)}" cy="${y}" r="4" class="dot"><title>${esc(r.model)}: ${fmt(r.rating, 1)}${r.lower !== undefined ? ` (${fmt(r.lower, 1)} – ${fmt(r.upper, 1)})` : ''}</title></circle>`
    );
  });
  const axis = `<text x="${labelWidth}" y="${height - 6}">${esc(fmt(lo, 0))}</text><text x="${labelWidth + plot}" y="${height - 6}" text-anchor="end">${esc(fmt(hi, 0))}</text>`;
  return `<figure><figcaption>Rating intervals (${esc(arena.method)})</figcaption><svg role="img" aria-label="rating intervals" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">${body.join('')}${axis}</svg></figure>`;
}

function htmlTable(head: string[], rows: string[][]): string {
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

const STYLE =
  'body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:980px;color:#1d232a}' +
  'table{border-collapse:collapse;margin:0.5rem 0 1.5rem}th,td{border:1px solid #d0d7de;padding:4px 10px;text-align:left}th{background:#f3f5f7}' +
  'figure{margin:0 0 1.5rem}figcaption{font-weight:600;margin-bottom:4px}svg text{font:12px system-ui,sans-serif;fill:#1d232a}' +
  '.bar{fill:#4c78a8}.whisker{stroke:#1d232a;stroke-width:2}.dot{fill:#e45756}';

/**
 * A self-contained HTML page (inline CSS and SVG, no scripts or external assets): the tables of the
 * Markdown report plus metric bar charts with ± stderr whiskers, per-category bars and arena
 * rating intervals.
 * @throws EvalError `eval_invalid_option` for an empty or malformed input.
 * @example
 * writeFileSync('report.html', renderHtmlReport({ title: 'Nightly', tasks: [results], arena }));
 */
export function renderHtmlReport(input: ReportInput): string {
  const r = normalize(input);
  const parts: string[] = [`<h1>${esc(r.title)}</h1>`];
  if (r.tasks?.length) {
    parts.push('<h2>Tasks</h2>');
    const rows: string[][] = [];
    const bars: Bar[] = [];
    for (const t of r.tasks) {
      for (const [name, m] of Object.entries(t.metrics)) {
        rows.push([t.task, t.model, String(t.n), name, fmt(m.value), fmt(m.stderr), fmt(m.bootstrapStderr)]);
        bars.push({ label: `${t.task} · ${t.model} · ${name}`, value: m.value, error: m.stderr });
      }
    }
    parts.push(htmlTable(['task', 'model', 'n', 'metric', 'value', 'stderr', 'bootstrap stderr'], rows));
    parts.push(barChart('Metrics (± stderr)', bars, Math.max(1, ...bars.map((b) => b.value))));
    for (const t of r.tasks) {
      if (!t.categories) continue;
      const names = Object.keys(t.metrics);
      parts.push(`<h3>${esc(t.task)} by category (${esc(t.model)})</h3>`);
      parts.push(htmlTable(['category', 'n', ...names], Object.entries(t.categories).map(([c, v]) => [c, String(v.n), ...names.map((n) => fmt(v.metrics[n]))])));
      parts.push(
        barChart(
          `${t.task}: ${names[0]} by category`,
          Object.entries(t.categories).map(([c, v]) => ({ label: `${c} (n=${v.n})`, value: v.metrics[names[0]!]! })),
          Math.max(1, ...Object.values(t.categories).map((v) => v.metrics[names[0]!]!)),
        ),
      );
    }
  }
  if (r.arena) {
    parts.push(`<h2>Arena ratings (${esc(r.arena.method)})</h2>`);
    parts.push(
      htmlTable(
        ['rank', 'model', 'rating', '95% interval', 'battles'],
        r.arena.leaderboard.map((row, i) => [
          String(i + 1),
          row.model,
          fmt(row.rating, 1),
          row.lower !== undefined ? `${fmt(row.lower, 1)} – ${fmt(row.upper, 1)}` : 'n/a',
          String(row.battles),
        ]),
      ),
    );
    parts.push(intervalChart(r.arena));
  }
  if (r.metrics) {
    parts.push('<h2>Metrics</h2>');
    parts.push(htmlTable(['metric', 'value'], Object.entries(r.metrics).map(([k, v]) => [k, fmt(v)])));
    parts.push(barChart('Metrics', Object.entries(r.metrics).map(([label, value]) => ({ label, value }))));
  }
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(r.title)}</title><style>${STYLE}</style></head><body>\n${parts.join('\n')}\n</body></html>\n`;
}
