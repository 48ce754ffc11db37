/**
 * `npm run demo`: the whole LLM course end to end on embedded data, no network, no GPU.
 *
 *   npm run demo                      # full run (under 20 minutes on 2 cores)
 *   npm run demo -- --quick           # small settings (under 3 minutes)
 *   npm run demo -- --stages 1,2,4    # only these stages (others are loaded from their cache)
 *   npm run demo -- --fresh           # ignore cached stages
 *   npm run demo -- --out DIR         # artefacts and report.html (default ./demo-output)
 *
 * Each stage caches its artefacts in <out>/<stage>/ keyed by its settings; the report is
 * <out>/report.html (self-contained: inline CSS and SVG).
 */
import { resolve } from 'node:path';
import { backendInfo, initBackend, InvalidArgumentError } from '@llmkit/core';
import { loadCachedStage, runStage, type DemoContext, type StageDefinition } from './context.js';
import { writeReport } from './report.js';
import { FULL, QUICK } from './settings.js';
import { tokenizerStage } from './stages/tokenizer.js';
import { pretrainStage } from './stages/pretrain.js';
import { alignStage } from './stages/align.js';
import { quantizeStage } from './stages/quantize.js';
import { ragStage } from './stages/rag.js';
import { evaluateStage } from './stages/evaluate.js';
import { redteamStage } from './stages/redteam.js';

export const STAGES: StageDefinition<unknown>[] = [
  tokenizerStage,
  pretrainStage,
  alignStage,
  quantizeStage,
  ragStage,
  evaluateStage,
  redteamStage,
] as StageDefinition<unknown>[];

export interface DemoArgs {
  quick: boolean;
  fresh: boolean;
  outDir: string;
  stages: number[];
  progress: boolean | 'auto';
}

const USAGE = 'usage: npm run demo -- [--quick] [--fresh] [--out DIR] [--stages 1,2,...] [--no-progress]';

export function parseArgs(argv: string[]): DemoArgs {
  const args: DemoArgs = { quick: false, fresh: false, outDir: resolve('demo-output'), stages: STAGES.map((_, i) => i + 1), progress: 'auto' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new InvalidArgumentError(`${a} needs a value. ${USAGE}`);
      return v;
    };
    if (a === '--quick') args.quick = true;
    else if (a === '--fresh') args.fresh = true;
    else if (a === '--no-progress') args.progress = false;
    else if (a === '--out') args.outDir = resolve(value());
    else if (a === '--stages') {
      const raw = value();
      const list = raw.split(',').map((s) => Number(s.trim()));
      if (list.length === 0 || list.some((n) => !Number.isInteger(n) || n < 1 || n > STAGES.length)) {
        throw new InvalidArgumentError(`--stages "${raw}": give stage numbers 1-${STAGES.length} separated by commas, e.g. --stages 1,2,4.`);
      }
      args.stages = [...new Set(list)].sort((x, y) => x - y);
    } else if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new InvalidArgumentError(`Unknown argument "${a}". ${USAGE}`);
  }
  return args;
}

export async function runDemo(args: DemoArgs, log: (line: string) => void = (l) => console.log(l)): Promise<{ report: string; ctx: DemoContext }> {
  const started = performance.now();
  const info = await initBackend();
  const ctx: DemoContext = { outDir: args.outDir, settings: args.quick ? QUICK : FULL, fresh: args.fresh, progress: args.progress, log, records: new Map() };
  log(`llmkit course demo (${ctx.settings.mode} mode) -> ${ctx.outDir}`);
  log(`backend: ${info.backend} (threads ${info.threads}${info.simd ? ', simd' : ''})`);
  for (const [i, stage] of STAGES.entries()) {
    if (args.stages.includes(i + 1)) {
      await runStage(ctx, stage);
    } else {
      const cached = loadCachedStage(ctx, stage);
      if (cached) ctx.records.set(stage.id, cached);
      else if (args.stages.some((n) => n > i + 1)) {
        throw new InvalidArgumentError(`Stage ${i + 1} (${stage.id}) has no cached result in ${ctx.outDir} for these settings; add ${i + 1} to --stages.`);
      }
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const report = writeReport(ctx, { seconds, backend: `${backendInfo()?.backend ?? info.backend}` });
  log(`\nreport: ${report} (total ${seconds.toFixed(0)} s)`);
  return { report, ctx };
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname);
if (isMain) {
  try {
    const args = parseArgs(process.argv.slice(2));
    await runDemo(args);
    process.exit(0);
  } catch (error) {
    console.error(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    if (process.env.LLMKIT_DEBUG) console.error(error);
    process.exit(1);
  }
}
