/**
 * On-disk request cache: one JSONL file per model under `cacheDir`, one line per answered request
 * (`{"key", "request", "response"}`), appended as each answer arrives, so a crash loses at most the
 * request in flight. The key is a SHA-256 of the model id and the request.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { EvalError } from '../errors.js';

/** SHA-256 hex of the model id and the request (canonical JSON). */
export function requestKey(modelId: string, request: unknown): string {
  return createHash('sha256').update(JSON.stringify({ model: modelId, request })).digest('hex');
}

/** A JSONL request cache for one model. */
export class RequestCache {
  readonly file: string;
  /** Lines that could not be parsed (a torn last line after a crash). */
  readonly skippedLines: number;
  private readonly entries = new Map<string, unknown>();

  constructor(cacheDir: string, modelId: string, options: { reuse?: boolean } = {}) {
    const slug = modelId.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 60);
    const hash = createHash('sha256').update(modelId).digest('hex').slice(0, 10);
    try {
      mkdirSync(cacheDir, { recursive: true });
    } catch (cause) {
      throw new EvalError('eval_cache', `cacheDir "${cacheDir}" cannot be created (${(cause as Error).message}); pass a writable folder.`, { cause });
    }
    this.file = path.join(cacheDir, `requests-${slug}-${hash}.jsonl`);
    let skipped = 0;
    if (existsSync(this.file)) {
      const text = readFileSync(this.file, 'utf8');
      // A crash can leave a torn last line: end it so the next append starts a fresh line.
      if (text.length > 0 && !text.endsWith('\n')) appendFileSync(this.file, '\n');
      if (options.reuse !== false) {
        for (const line of text.split('\n')) {
          if (line.trim() === '') continue;
          try {
            const entry = JSON.parse(line) as { key?: unknown; response?: unknown };
            if (typeof entry.key === 'string' && entry.response !== undefined) this.entries.set(entry.key, entry.response);
            else skipped++;
          } catch {
            skipped++;
          }
        }
      }
    }
    this.skippedLines = skipped;
  }

  get size(): number {
    return this.entries.size;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  get(key: string): unknown {
    return this.entries.get(key);
  }

  /** Store and append one answer (a single write, so lines never interleave). */
  put(key: string, request: unknown, response: unknown): void {
    this.entries.set(key, response);
    appendFileSync(this.file, `${JSON.stringify({ key, request, response })}\n`);
  }
}
