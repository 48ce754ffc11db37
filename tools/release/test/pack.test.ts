/**
 * Release check (issue 13, item 4): what users get from npm works.
 *
 * 1. `npm run build` (turbo: every package's tsup build), timed;
 * 2. `npm pack` every package under packages/;
 * 3. a fresh project in os.tmpdir() depends on the tarballs only and runs `npm ci --offline` with a
 *    lockfile derived from the repository's (third-party packages at the repository's versions, from
 *    the npm cache `npm ci` filled; no network, no registry metadata needed);
 * 4. with plain `node` in that project: every export entry of every package imports, and the
 *    built entry exports exactly the value names its src/index.ts lists;
 * 5. for packages whose README example cannot run standalone, tools/release/smoke/<package>.mjs
 *    (a small real use with hand-derived expectations) runs there;
 * 6. each package README's example (first ```ts block, or the one marked `<!-- example -->`;
 *    blocks marked `<!-- example: skip (reason) -->` are reported, not run) runs to completion.
 *
 * Opt-in: it builds and installs ~770 packages' worth of dependencies, which takes minutes on the
 * 2-core machine, so it runs only with LLMKIT_RELEASE_CHECK=1:
 *
 *   LLMKIT_RELEASE_CHECK=1 npx vitest run --config tools/release/vitest.config.ts
 *
 * LLMKIT_RELEASE_KEEP=1 keeps the temporary project and prints its path.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildWorkspace,
  installTarballs,
  packPackage,
  repoRoot,
  runNodeModule,
  workspacePackages,
  type CommandResult,
  type PackedPackage,
} from '../pack.js';
import { readmeExample, transpileExample, valueExportNames } from '../readme-example.js';

const enabled = process.env.LLMKIT_RELEASE_CHECK === '1';
if (!enabled) {
  console.warn('[release check] skipped: set LLMKIT_RELEASE_CHECK=1 to build, pack, install offline and run the README examples (several minutes).');
}

const packages = workspacePackages().filter((p) => !p.private);
const smokeDir = join(repoRoot, 'tools/release/smoke');

describe.skipIf(!enabled)('release: packed tarballs install offline and their README examples run', () => {
  let work = '';
  let consumer = '';
  let packed: PackedPackage[] = [];
  let build: CommandResult;
  let install: CommandResult;
  const timings: Record<string, number> = {};

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'llmkit-release-'));
    consumer = join(work, 'consumer');
    build = buildWorkspace();
    timings.buildMs = Math.round(build.ms);
    let t = performance.now();
    packed = packages.map((p) => packPackage(p, join(work, 'tarballs')));
    timings.packMs = Math.round(performance.now() - t);
    t = performance.now();
    install = installTarballs(consumer, packed);
    timings.installMs = Math.round(performance.now() - t);
  }, 1_500_000);

  afterAll(() => {
    console.log(`[release check] timings ${JSON.stringify(timings)}`);
    if (!work) return;
    if (process.env.LLMKIT_RELEASE_KEEP === '1') console.log(`[release check] kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  });

  it('packs every publishable package with its build, types and README, and without tests', () => {
    expect(packed.map((p) => p.name)).toEqual(packages.map((p) => p.name));
    for (const p of packed) {
      const where = `${p.name} (${p.tarball})`;
      expect(p.files, where).toContain('package.json');
      expect(p.files, where).toContain('README.md');
      expect(p.files, where).toContain('dist/index.js');
      expect(p.files, where).toContain('dist/index.d.ts');
      expect(p.files.filter((f) => /(^|\/)test\/|\.test\.ts$/.test(f)), `${where} ships test files`).toEqual([]);
    }
  });

  it('installs the tarballs offline into a fresh project (npm ci --offline), @llmkit/* resolved to the tarballs', () => {
    expect(install.status).toBe(0);
    const lock = JSON.parse(readFileSync(join(consumer, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { resolved?: string; version?: string }>;
    };
    for (const p of packed) {
      // Hoisted once, from our tarball: no second copy pulled from a registry.
      const copies = Object.entries(lock.packages).filter(([k]) => k.endsWith(`node_modules/${p.name}`));
      expect(copies.map(([k]) => k), p.name).toEqual([`node_modules/${p.name}`]);
      expect(copies[0]![1].resolved ?? '', p.name).toContain('.tgz');
    }
  });

  describe.each(packages.map((p) => [p.name, p] as const))('%s', (name, pkg) => {
    it('every export entry imports with plain node; the main entry exports the names src/index.ts lists', () => {
      const manifest = JSON.parse(readFileSync(join(pkg.path, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
      const entries = Object.keys(manifest.exports).filter((k) => k !== './package.json');
      const dir = join(consumer, 'checks', pkg.dir);
      mkdirSync(dir, { recursive: true });
      const file = join(dir, 'exports.mjs');
      writeFileSync(
        file,
        [
          `const out = {};`,
          ...entries.map((e) => {
            const spec = e === '.' ? name : `${name}${e.slice(1)}`;
            return `out[${JSON.stringify(e)}] = Object.keys(await import(${JSON.stringify(spec)})).sort();`;
          }),
          `console.log(JSON.stringify(out));`,
        ].join('\n'),
      );
      const r = runNodeModule(file, dir, 120_000);
      expect(r.status, `${r.command}\n${r.stderr.slice(-3000)}`).toBe(0);
      const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, string[]>;
      const expected = valueExportNames(readFileSync(join(pkg.path, 'src/index.ts'), 'utf8'));
      expect(out['.']).toEqual(expected);
      for (const e of entries) expect(out[e]!.length, `${name} entry ${e} exports nothing`).toBeGreaterThan(0);
    });

    it.runIf(existsSync(join(smokeDir, `${pkg.dir}.mjs`)))('smoke script (tools/release/smoke) runs against the installed tarballs', () => {
      // For packages whose README example needs a model directory or a server: a small real
      // use of the installed package with hand-derived expectations (see each script).
      const dir = join(consumer, 'smoke');
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `${pkg.dir}.mjs`);
      copyFileSync(join(smokeDir, `${pkg.dir}.mjs`), file);
      const r = runNodeModule(file, dir);
      expect(r.status, `${r.command}\n${r.stderr.slice(-3000)}`).toBe(0);
      expect(r.stdout).toContain(`${pkg.dir} ok`);
    });

    it('README example runs against the installed tarballs', (ctx) => {
      const example = readmeExample(readFileSync(join(pkg.path, 'README.md'), 'utf8'));
      if (example.kind === 'skip') {
        console.warn(`[release check] ${name}: README example not run (${example.reasons.join('; ')})`);
        ctx.skip();
        return;
      }
      expect(example.kind, `${name}/README.md has no \`\`\`ts example`).toBe('run');
      if (example.kind !== 'run') return;
      const dir = join(consumer, 'examples', pkg.dir);
      mkdirSync(dir, { recursive: true });
      const file = join(dir, 'example.mjs');
      writeFileSync(file, transpileExample(example.code, `${pkg.dir}/README.md:${example.line}`));
      const r = runNodeModule(file, dir);
      expect(
        r.status,
        `${name}/README.md example (block at line ${example.line}) failed with plain node in ${dir}.\n` +
          `If it cannot run standalone (needs a model directory, a server...), put ` +
          `<!-- example: skip (the reason) --> on the line before its \`\`\`ts fence, or mark a runnable block <!-- example -->.\n` +
          `--- stderr (tail)\n${r.stderr.slice(-3000)}`,
      ).toBe(0);
    });
  });
});
