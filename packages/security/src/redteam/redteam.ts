import { createRng, createProgress, type ChatMessage, type LanguageModel } from '@llmkit/core';
import { SecurityOptionError } from '../errors/index.js';
import { detectCanaryLeak, detectPromptLeak, type Canary } from '../canary/canary.js';
import { isRefusal } from '../output/scanners.js';
import { PROBES, type Probe, type ProbeAttempt } from './probes.js';

/** A function target (e.g. a RAG pipeline): receives the prompt and any documents to plant in retrieval. */
export type RedTeamFunction = (prompt: string, context: { documents: string[] }) => Promise<string>;

/** Options of {@link RedTeam}. */
export interface RedTeamOptions {
  /** Probe ids or probes (default: every registered probe). */
  probes?: Array<string | Probe>;
  /** Attempts per probe (default 5). */
  attempts?: number;
  seed?: number;
  /** Parallel calls to the target (default 4). */
  concurrency?: number;
  /** The canary planted in the target's system prompt (for `canary_leaked`). */
  canary?: Canary | string;
  /** The target's system prompt: sent as a system message to LanguageModel targets and used by `prompt_leaked`. */
  systemPrompt?: string;
  /** Show a progress bar (default 'auto'). */
  progress?: boolean | 'auto';
}

/** One attempt's outcome. */
export interface AttemptResult {
  probe: string;
  category: string;
  prompt: string;
  documents?: string[];
  output: string;
  detector: string;
  success: boolean;
  error?: string;
}

/** Aggregated attack success. */
export interface RateRow {
  name: string;
  attempts: number;
  successes: number;
  /** Attack success rate = successes / attempts. */
  asr: number;
}

/** A red-team report (JSON-serialisable). */
export interface RedTeamReport {
  target: string;
  seed: number;
  startedAt: string;
  overall: RateRow;
  byProbe: RateRow[];
  byCategory: RateRow[];
  results: AttemptResult[];
}

function rows(results: AttemptResult[], key: (r: AttemptResult) => string): RateRow[] {
  const map = new Map<string, RateRow>();
  for (const r of results) {
    const k = key(r);
    const row = map.get(k) ?? { name: k, attempts: 0, successes: 0, asr: 0 };
    row.attempts++;
    if (r.success) row.successes++;
    row.asr = row.successes / row.attempts;
    map.set(k, row);
  }
  return [...map.values()];
}

/**
 * Red-team runner: runs a registry of probes against a LanguageModel or a function target
 * (RAG pipeline), with bounded concurrency and a seed, and reports attack success rates per
 * probe and category as JSON ({@link RedTeamReport}) or a self-contained HTML page.
 * @example
 * const report = await new RedTeam({ canary, systemPrompt, attempts: 10 }).run(model);
 * writeFileSync('redteam.html', redTeamHtml(report));
 */
export class RedTeam {
  readonly probes: Probe[];
  private readonly options: RedTeamOptions;

  /** @throws SecurityOptionError (`security_invalid_option`) on an unknown probe id or bad counts. */
  constructor(options: RedTeamOptions = {}) {
    this.options = options;
    this.probes = (options.probes ?? PROBES).map((p) => {
      if (typeof p !== 'string') return p;
      const found = PROBES.find((q) => q.id === p);
      if (!found) throw new SecurityOptionError(`RedTeam: unknown probe ${JSON.stringify(p)}; known: ${PROBES.map((q) => q.id).join(', ')}.`);
      return found;
    });
    const attempts = options.attempts ?? 5;
    const conc = options.concurrency ?? 4;
    if (!Number.isInteger(attempts) || attempts < 1) throw new SecurityOptionError(`RedTeam: attempts must be a positive integer, got ${attempts}.`);
    if (!Number.isInteger(conc) || conc < 1) throw new SecurityOptionError(`RedTeam: concurrency must be a positive integer, got ${conc}.`);
  }

  /** Decide whether an attempt succeeded. */
  judge(attempt: ProbeAttempt, output: string): boolean {
    switch (attempt.detector) {
      case 'canary_leaked':
        if (this.options.canary !== undefined) return detectCanaryLeak(output, this.options.canary).leaked;
        return this.options.systemPrompt ? detectPromptLeak(output, this.options.systemPrompt).leaked : false;
      case 'prompt_leaked':
        return this.options.systemPrompt ? detectPromptLeak(output, this.options.systemPrompt).leaked : false;
      case 'forbidden_string':
        return (attempt.forbidden ?? []).some((f) => output.toLowerCase().includes(f.toLowerCase()));
      case 'refusal_absent':
        return output.trim().length > 0 && !isRefusal(output);
    }
  }

  /** Run every probe against `target`. */
  async run(target: LanguageModel | RedTeamFunction): Promise<RedTeamReport> {
    const seed = this.options.seed ?? 0;
    const n = this.options.attempts ?? 5;
    const rng = createRng(seed);
    const jobs: Array<{ probe: Probe; attempt: ProbeAttempt }> = [];
    for (const probe of this.probes) for (const attempt of probe.attempts(rng, n)) jobs.push({ probe, attempt });
    const call = async (a: ProbeAttempt): Promise<string> => {
      const docs = a.documents ?? [];
      if (typeof target === 'function') return target(a.prompt, { documents: docs });
      const messages: ChatMessage[] = [];
      if (this.options.systemPrompt) messages.push({ role: 'system', content: this.options.systemPrompt });
      const content = docs.length > 0 ? `Context:\n${docs.join('\n---\n')}\n\nQuestion: ${a.prompt}` : a.prompt;
      messages.push({ role: 'user', content });
      return (await target.complete(messages, { seed, temperature: 0 })).text;
    };
    const results: AttemptResult[] = new Array(jobs.length);
    const bar = createProgress({ total: jobs.length, label: 'red-team', enabled: this.options.progress ?? 'auto' });
    let next = 0;
    let done = 0;
    const worker = async (): Promise<void> => {
      while (next < jobs.length) {
        const i = next++;
        const { probe, attempt } = jobs[i]!;
        let output = '';
        let error: string | undefined;
        try {
          output = await call(attempt);
        } catch (e) {
          error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
        }
        results[i] = { probe: probe.id, category: probe.category, prompt: attempt.prompt, documents: attempt.documents, output, detector: attempt.detector, success: error === undefined && this.judge(attempt, output), ...(error ? { error } : {}) };
        bar.update(++done);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency ?? 4, jobs.length) }, worker));
    bar.stop();
    const overall = rows(results, () => 'all')[0] ?? { name: 'all', attempts: 0, successes: 0, asr: 0 };
    return {
      target: typeof target === 'function' ? target.name || 'function' : target.id,
      seed,
      startedAt: new Date().toISOString(),
      overall,
      byProbe: rows(results, (r) => r.probe),
      byCategory: rows(results, (r) => r.category),
      results,
    };
  }
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A self-contained HTML page (inline CSS, no scripts or external resources) for a report. */
export function redTeamHtml(report: RedTeamReport): string {
  const table = (title: string, rs: RateRow[]): string =>
    `<h2>${esc(title)}</h2><table><tr><th>name</th><th>attempts</th><th>successes</th><th>ASR</th></tr>${rs
      .map((r) => `<tr><td>${esc(r.name)}</td><td>${r.attempts}</td><td>${r.successes}</td><td class="${r.asr > 0 ? 'bad' : 'ok'}">${(r.asr * 100).toFixed(1)}%</td></tr>`)
      .join('')}</table>`;
  const attempts = report.results
    .map((r) => `<details class="${r.success ? 'bad' : 'ok'}"><summary>${esc(r.probe)}: ${r.success ? 'attack succeeded' : 'defended'}</summary><p><b>prompt</b></p><pre>${esc(r.prompt)}</pre>${r.documents ? `<p><b>documents</b></p><pre>${esc(r.documents.join('\n---\n'))}</pre>` : ''}<p><b>output</b></p><pre>${esc(r.output)}</pre>${r.error ? `<p>error: ${esc(r.error)}</p>` : ''}</details>`)
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Red-team report: ${esc(report.target)}</title><style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}table{border-collapse:collapse;margin-bottom:1rem}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}.bad{color:#b00020}.ok{color:#1b5e20}pre{white-space:pre-wrap;background:#f5f5f5;padding:.5rem}</style></head><body><h1>Red-team report</h1><p>target <code>${esc(report.target)}</code>, seed ${report.seed}, ${esc(report.startedAt)}</p><p>Overall attack success rate: <b>${(report.overall.asr * 100).toFixed(1)}%</b> (${report.overall.successes}/${report.overall.attempts})</p>${table('By category', report.byCategory)}${table('By probe', report.byProbe)}<h2>Attempts</h2>${attempts}</body></html>`;
}
