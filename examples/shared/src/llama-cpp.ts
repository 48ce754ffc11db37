/**
 * Run GGUF files in llama.cpp itself (node-llama-cpp 3.21.1's prebuilt CPU build, one thread, F32 KV cache,
 * no flash attention) and get its next-token log-probabilities and greedy continuations back, for
 * comparison with @llmkit's own forward pass. llama.cpp runs in a child process because it aborts its
 * process on some errors (GGML_ASSERT); the child writes its answer to a file.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LlmkitError } from '@llmkit/core';

const CHILD = fileURLToPath(new URL('./llama-cpp-child.mjs', import.meta.url));

/** llama.cpp could not run (node-llama-cpp missing, no prebuilt binary for this platform, or a crash). */
export class LlamaCppUnavailableError extends LlmkitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('llama_cpp_unavailable', message, options);
    this.name = 'LlamaCppUnavailableError';
  }
}

export interface LlamaCppRun {
  /** Path of the GGUF file. */
  model: string;
  /** Token ids evaluated teacher-forced; also the prompt of the greedy continuation. */
  ids: number[];
  /** Text to tokenize with llama.cpp's own tokenizer (no special tokens added). */
  text?: string;
  /** Tokens of greedy continuation to generate after `ids` (0 = none). */
  generate?: number;
  /** Smallest probability reported per position (default 1e-6; 0 reports the whole vocabulary). */
  minProb?: number;
}

export interface LlamaCppResult {
  /** llama.cpp's tokenization of `text`, when asked. */
  tokens?: number[];
  /** After every prefix `ids[0..i]`: `[tokenId, log p]` for every token with p >= minProb. */
  positions: [number, number][][];
  /** The greedy continuation, when `generate` was set. */
  greedy?: number[];
}

/** Whether llama.cpp can run here (node-llama-cpp with its linux-x64 prebuilt binaries), and a line saying so. */
export function llamaCppStatus(): { ok: boolean; note: string } {
  if (process.platform !== 'linux' || process.arch !== 'x64') return { ok: false, note: 'llama.cpp comparison skipped: node-llama-cpp prebuilt binaries are used for linux-x64 only here' };
  try {
    const require = createRequire(import.meta.url);
    const entry = require.resolve('node-llama-cpp');
    // The prebuilt binaries live in @node-llama-cpp/linux-x64/bins (hoisted next to node-llama-cpp).
    const bins = [join(dirname(entry), '..', '..', '@node-llama-cpp', 'linux-x64', 'bins'), join(dirname(entry), '..', 'node_modules', '@node-llama-cpp', 'linux-x64', 'bins')];
    if (!bins.some((b) => existsSync(b))) throw new Error('no prebuilt binaries');
    return { ok: true, note: 'node-llama-cpp 3.21.1 (prebuilt llama.cpp, CPU, 1 thread, F32 KV cache)' };
  } catch {
    return { ok: false, note: 'llama.cpp comparison skipped: node-llama-cpp / @node-llama-cpp/linux-x64 is not installed' };
  }
}

/**
 * Runs each request in its own llama.cpp child process (one model load each), in order. A child that
 * ends without writing its answer is run once more before giving up: seen once in CI, a child that
 * loaded three models in a row exited with status 0 and no output, while one model per process has
 * never failed.
 */
export function runInLlamaCpp(runs: LlamaCppRun[], options: { timeoutMs?: number } = {}): LlamaCppResult[] {
  const dir = mkdtempSync(join(tmpdir(), 'llmkit-llama-cpp-'));
  try {
    return runs.map((run, i) => {
      const requestPath = join(dir, `request-${i}.json`);
      const outputPath = join(dir, `output-${i}.json`);
      writeFileSync(requestPath, JSON.stringify({ runs: [run] }));
      let why = '';
      for (let attempt = 0; attempt < 2; attempt++) {
        const child = spawnSync(process.execPath, [CHILD, requestPath, outputPath], { encoding: 'utf8', timeout: options.timeoutMs ?? 240_000 });
        if (child.status === 0 && existsSync(outputPath)) {
          return (JSON.parse(readFileSync(outputPath, 'utf8')) as { runs: LlamaCppResult[] }).runs[0]!;
        }
        why = `${child.error?.message ?? `status ${child.status}, signal ${child.signal}`}${existsSync(outputPath) ? '' : ', no output file'}: ${(child.stderr ?? '').slice(-1500)}${(child.stdout ?? '').slice(-300)}`;
      }
      throw new LlamaCppUnavailableError(
        `llama.cpp (node-llama-cpp child process) failed twice on ${run.model} (${why}). ` +
          'It needs node-llama-cpp 3.21.1 with @node-llama-cpp/linux-x64 (linux x64 only), installed by `npm ci` at the repository root.',
      );
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
