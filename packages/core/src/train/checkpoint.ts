import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointError } from '../errors/index.js';
import type { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { RngState } from '../rng/rng.js';
import { readSafetensors, writeSafetensors } from '../safetensors/index.js';

/** Everything besides weights and optimizer tensors that a resume needs. */
export interface TrainerState {
  version: 1;
  /** Optimizer steps completed. */
  step: number;
  /** Index of the next micro-batch. */
  microIndex: number;
  dataRng: RngState;
  defaultRng: RngState;
  bestEvalLoss: number | null;
  evalsWithoutImprovement: number;
}

const MODEL_FILE = 'model.safetensors';
const OPTIMIZER_FILE = 'optimizer.safetensors';
const OPTIMIZER_META_FILE = 'optimizer.json';
const STATE_FILE = 'trainer_state.json';
const PREFIX = 'checkpoint-';

/**
 * Save `model.safetensors` (Hugging Face tensor names), `optimizer.safetensors`
 * + `optimizer.json`, and `trainer_state.json` (step, RNG states) into
 * `<root>/checkpoint-<step>/`. The folder is written under a temporary name and
 * renamed, so a crash never leaves a half-written checkpoint behind.
 */
export async function saveCheckpoint(
  root: string,
  input: { model: Module; optimizer: Optimizer; state: TrainerState; saveTotalLimit?: number },
): Promise<string> {
  mkdirSync(root, { recursive: true });
  const dir = join(root, `${PREFIX}${input.state.step}`);
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  await writeSafetensors(join(tmp, MODEL_FILE), input.model.stateDict(), { format: 'pt' });
  const optimizerState = input.optimizer.stateDict();
  try {
    await writeSafetensors(join(tmp, OPTIMIZER_FILE), optimizerState.tensors, { format: 'llmkit-optimizer' });
  } finally {
    for (const t of optimizerState.tensors.values()) t.dispose();
  }
  writeFileSync(join(tmp, OPTIMIZER_META_FILE), JSON.stringify(optimizerState.meta, null, 2));
  writeFileSync(join(tmp, STATE_FILE), JSON.stringify(input.state, null, 2));
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  if (input.saveTotalLimit !== undefined) {
    for (const old of listCheckpoints(root).slice(0, -input.saveTotalLimit)) {
      rmSync(join(root, `${PREFIX}${old}`), { recursive: true, force: true });
    }
  }
  return dir;
}

/** Steps of the complete checkpoints under `root`, ascending. */
export function listCheckpoints(root: string): number[] {
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .map((name) => /^checkpoint-(\d+)$/.exec(name))
    .filter((m): m is RegExpExecArray => m !== null && existsSync(join(root, m[0], STATE_FILE)))
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

/**
 * The newest complete checkpoint folder in `root`.
 * @throws {CheckpointError} `checkpoint` when there is none.
 */
export function findLatestCheckpoint(root: string | undefined): string {
  if (!root) throw new CheckpointError('resumeFrom "latest" needs the checkpointDir option to know where to look.');
  const steps = listCheckpoints(root);
  if (steps.length === 0) {
    throw new CheckpointError(`No checkpoint-<step> folder with ${STATE_FILE} in "${root}"; train with checkpointDir set first, or pass a checkpoint path.`);
  }
  return join(root, `${PREFIX}${steps[steps.length - 1]}`);
}

/**
 * Restore model weights and optimizer state from a checkpoint folder and
 * return the trainer state.
 * @throws {CheckpointError} `checkpoint` when a file is missing or does not match the model/optimizer.
 */
export async function loadCheckpoint(dir: string, input: { model: Module; optimizer: Optimizer }): Promise<TrainerState> {
  for (const file of [MODEL_FILE, OPTIMIZER_FILE, OPTIMIZER_META_FILE, STATE_FILE]) {
    if (!existsSync(join(dir, file))) {
      throw new CheckpointError(`Checkpoint "${dir}" has no ${file}; point resumeFrom at a folder written by Trainer.saveCheckpoint().`);
    }
  }
  let state: TrainerState;
  try {
    state = JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8')) as TrainerState;
  } catch (error) {
    throw new CheckpointError(`Checkpoint "${dir}": ${STATE_FILE} is not valid JSON.`, { cause: error });
  }
  if (state.version !== 1 || !Number.isInteger(state.step)) {
    throw new CheckpointError(`Checkpoint "${dir}": ${STATE_FILE} has an unknown version or no step.`);
  }
  const weights = await readSafetensors(join(dir, MODEL_FILE));
  try {
    input.model.loadStateDict(weights.tensors);
  } catch (error) {
    throw new CheckpointError(`Checkpoint "${dir}" does not match this model: ${(error as Error).message}`, { cause: error });
  } finally {
    for (const t of weights.tensors.values()) t.dispose();
  }
  const optimizerTensors = await readSafetensors(join(dir, OPTIMIZER_FILE));
  const meta = JSON.parse(readFileSync(join(dir, OPTIMIZER_META_FILE), 'utf8'));
  try {
    input.optimizer.loadStateDict({ tensors: optimizerTensors.tensors, meta });
  } catch (error) {
    throw new CheckpointError(`Checkpoint "${dir}" does not match this optimizer: ${(error as Error).message}`, { cause: error });
  } finally {
    for (const t of optimizerTensors.tensors.values()) t.dispose();
  }
  return state;
}
