/**
 * Test helper: runs `npm run demo -- --quick` (the same command line: tsx with the @llmkit/source
 * condition) in a child process. Test files share one output folder under os.tmpdir() through a
 * lock file, so two files never write the same stage folders at once; a later call reuses the
 * cached stages (seconds) unless it asks for --fresh.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const SHARED_OUT = join(tmpdir(), 'llmkit-course-demo-quick');

export interface QuickRun {
  status: number | null;
  stdout: string;
  stderr: string;
  outDir: string;
  seconds: number;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function runQuickDemo(options: { fresh?: boolean; outDir?: string; extraArgs?: string[] } = {}): Promise<QuickRun> {
  const outDir = options.outDir ?? SHARED_OUT;
  const lockPath = `${outDir}.lock`;
  let lock: number | undefined;
  for (;;) {
    try {
      lock = openSync(lockPath, 'wx');
      break;
    } catch {
      try {
        if (Date.now() - statSync(lockPath).mtimeMs > 10 * 60_000) rmSync(lockPath, { force: true });
      } catch {
        /* released meanwhile */
      }
      await sleep(500);
    }
  }
  try {
    const tsx = join(repoRoot, 'node_modules', '.bin', 'tsx');
    const args = ['--conditions=@llmkit/source', join(repoRoot, 'examples/course-demo/src/main.ts'), '--quick', '--no-progress', '--out', outDir, ...(options.fresh ? ['--fresh'] : []), ...(options.extraArgs ?? [])];
    const start = performance.now();
    const run = spawnSync(tsx, args, { cwd: repoRoot, encoding: 'utf8', timeout: 400_000, maxBuffer: 64 << 20, env: { ...process.env, FORCE_COLOR: '0' } });
    return { status: run.status, stdout: run.stdout ?? '', stderr: `${run.stderr ?? ''}${run.error ? `\n${run.error.message}` : ''}`, outDir, seconds: (performance.now() - start) / 1000 };
  } finally {
    closeSync(lock);
    rmSync(lockPath, { force: true });
  }
}
