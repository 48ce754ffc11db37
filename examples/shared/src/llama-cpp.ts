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

/** Runs every request in one llama.cpp child process (one model load each), in order. */
export function runInLlamaCpp(runs: LlamaCppRun[], options: { timeoutMs?: number } = {}): LlamaCppResult[] {
  const dir = mkdtempSync(join(tmpdir(), 'llmkit-llama-cpp-'));
  try {
    const requestPath = join(dir, 'request.json');
    const outputPath = join(dir, 'output.json');
    writeFileSync(requestPath, JSON.stringify({ runs }));
    const run = spawnSync(process.execPath, [CHILD, requestPath, outputPath], { encoding: 'utf8', timeout: options.timeoutMs ?? 240_000 });
    if (run.status !== 0 || !existsSync(outputPath)) {
      const why = run.error?.message ?? `status ${run.status}, signal ${run.signal}`;
      throw new LlamaCppUnavailableError(
        `llama.cpp (node-llama-cpp child process) failed on ${runs.map((r) => r.model).join(', ')} (${why}): ${(run.stderr ?? '').slice(-1500)} ` +
          'It needs node-llama-cpp 3.21.1 with @node-llama-cpp/linux-x64 (linux x64 only), installed by `npm ci` at the repository root.',
      );
    }
    return (JSON.parse(readFileSync(outputPath, 'utf8')) as { runs: LlamaCppResult[] }).runs;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
