/**
 * The demo's run context and its stage cache. Each stage writes its artefacts into
 * `<out>/<stage id>/` and, when it finishes, a `stage.json` holding the stage's cache key and its
 * (JSON) result. A later run reuses the result when the key matches: the key hashes the stage's
 * settings and the keys of the stages it reads from, so changing the tokenizer retrains
 * everything downstream but changing the red-team settings reruns only the red team.
 * `--fresh` ignores (and replaces) every cached stage.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError } from '@llmkit/core';
import type { DemoSettings } from './settings.js';

export interface StageRecord<R> {
  id: string;
  title: string;
  key: string;
  cached: boolean;
  seconds: number;
  result: R;
}

export interface DemoContext {
  outDir: string;
  settings: DemoSettings;
  fresh: boolean;
  /** Show progress bars (createProgress 'auto': live on a terminal, a few lines in logs). */
  progress: boolean | 'auto';
  log: (line: string) => void;
  /** Results of the stages run (or loaded from cache) so far, by stage id. */
  records: Map<string, StageRecord<unknown>>;
}

export interface StageDefinition<R> {
  /** Folder name and cache id, e.g. `1-tokenizer`. */
  id: string;
  title: string;
  /** What the stage does, printed before it runs. */
  narration: string;
  /** Stage ids whose artefacts this stage reads (their keys are part of this stage's key). */
  dependsOn: string[];
  /** The part of the settings this stage depends on. */
  settings: (settings: DemoSettings) => unknown;
  run: (ctx: DemoContext, dir: string) => Promise<R>;
}

const STAGE_FILE = 'stage.json';
const CACHE_VERSION = 1;

export function stageDir(ctx: DemoContext, id: string): string {
  return join(ctx.outDir, id);
}

/** The result of a stage that already ran in this process (or was loaded from its cache). */
export function stageResult<R>(ctx: DemoContext, id: string): R {
  const record = ctx.records.get(id);
  if (!record) {
    throw new InvalidArgumentError(`course demo: stage "${id}" has not run; run it first (drop it from --stages only when its cached result exists in ${ctx.outDir}).`);
  }
  return record.result as R;
}

function stageKey<R>(ctx: DemoContext, stage: StageDefinition<R>): string {
  const upstream = stage.dependsOn.map((id) => {
    const record = ctx.records.get(id);
    if (!record) throw new InvalidArgumentError(`course demo: stage "${stage.id}" needs stage "${id}"; include it in --stages (or run it once so its cache exists).`);
    return record.key;
  });
  return createHash('sha256')
    .update(JSON.stringify({ v: CACHE_VERSION, id: stage.id, settings: stage.settings(ctx.settings), upstream }))
    .digest('hex')
    .slice(0, 16);
}

/** The cached record of a stage whose key matches, or undefined. */
export function loadCachedStage<R>(ctx: DemoContext, stage: StageDefinition<R>): StageRecord<R> | undefined {
  const file = join(stageDir(ctx, stage.id), STAGE_FILE);
  if (!existsSync(file)) return undefined;
  try {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as StageRecord<R>;
    return saved.key === stageKey(ctx, stage) ? { ...saved, cached: true } : undefined;
  } catch {
    return undefined;
  }
}

/** Runs a stage, or reuses its cached result when its key matches and `--fresh` is off. */
export async function runStage<R>(ctx: DemoContext, stage: StageDefinition<R>): Promise<StageRecord<R>> {
  const key = stageKey(ctx, stage);
  if (!ctx.fresh) {
    const cached = loadCachedStage(ctx, stage);
    if (cached) {
      ctx.log(`\n== ${stage.title} (cached: reusing ${join(ctx.outDir, stage.id)}, finished in ${cached.seconds.toFixed(1)} s before; --fresh reruns it)`);
      ctx.records.set(stage.id, cached);
      return cached;
    }
  }
  const dir = stageDir(ctx, stage.id);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  ctx.log(`\n== ${stage.title}`);
  for (const line of stage.narration.split('\n')) ctx.log(`   ${line}`);
  const start = performance.now();
  const result = await stage.run(ctx, dir);
  const seconds = (performance.now() - start) / 1000;
  const record: StageRecord<R> = { id: stage.id, title: stage.title, key, cached: false, seconds, result };
  writeFileSync(join(dir, STAGE_FILE), JSON.stringify(record, null, 1));
  ctx.records.set(stage.id, record);
  ctx.log(`   done in ${seconds.toFixed(1)} s`);
  return record;
}
