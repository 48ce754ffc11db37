import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { WASM_BASE64, WASM_SHA256 } from '../src/backend/wasm-kernels/simd-kernels.wasm.js';
import { createHash } from 'node:crypto';

// The committed SIMD kernel module (src/backend/wasm-kernels/simd-kernels.wasm.ts) must be exactly
// what `node tools/build-wasm.mjs` builds from packages/core/wasm/kernels/. The repository script
// rebuilds every package's module; to check core's alone it runs here from a scratch root that
// holds a copy of the script and a link to packages/core.

const pkgRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = resolve(pkgRoot, '../..');
const hasClang = spawnSync('clang', ['--version']).status === 0;
const hasObjdump = spawnSync('llvm-objdump', ['--version']).status === 0;
if (!hasClang) console.warn('wasm-build.test: clang is not installed (apt-get install clang lld): skipping the rebuild check');

const scratch = mkdtempSync(join(tmpdir(), 'llmkit-core-wasm-check-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('committed wasm bytes', () => {
  it('WASM_SHA256 is the sha256 of WASM_BASE64', () => {
    const bytes = Buffer.from(WASM_BASE64, 'base64');
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(WASM_SHA256);
  });
});

describe.skipIf(!hasClang)('node tools/build-wasm.mjs --check (core module)', () => {
  it('rebuilds the same bytes from the C sources', () => {
    mkdirSync(join(scratch, 'tools'));
    mkdirSync(join(scratch, 'packages'));
    copyFileSync(join(repoRoot, 'tools/build-wasm.mjs'), join(scratch, 'tools/build-wasm.mjs'));
    symlinkSync(pkgRoot, join(scratch, 'packages/core'), 'dir');
    const run = spawnSync(process.execPath, [join(scratch, 'tools/build-wasm.mjs'), '--check'], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/simd-kernels\.wasm\.ts (matches its sources|was built with)/);
  });

  it.skipIf(!hasObjdump)('the module never touches the shadow stack or globals (it shares tfjs-wasm memory)', () => {
    // A use of __stack_pointer would read or write tfjs' heap at wasm-ld's default stack address.
    const wasm = join(scratch, 'kernels.wasm');
    writeFileSync(wasm, Buffer.from(WASM_BASE64, 'base64'));
    const dump = spawnSync('llvm-objdump', ['-d', wasm], { encoding: 'utf8' });
    expect(dump.status).toBe(0);
    expect(dump.stdout).toMatch(/f32x4\.mul/);
    expect(dump.stdout).not.toMatch(/global\.(get|set)/);
    const headers = spawnSync('llvm-objdump', ['-h', wasm], { encoding: 'utf8' }).stdout;
    expect(headers).toMatch(/IMPORT/);
    expect(headers).not.toMatch(/\bDATA\b/);
  });
});
