/**
 * Release check helpers: build the workspace, `npm pack` every publishable package, install the
 * tarballs into a fresh project outside the repository with `npm ci --offline` (third-party
 * dependencies come from the npm cache that `npm ci` filled, pinned by a lockfile derived from the
 * repository's), and run README examples there with
 * plain `node`, the way a user who installed from npm would.
 *
 * Used by tools/release/test/pack.test.ts.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

export interface WorkspacePackage {
  /** Folder name under packages/ (`core`). */
  dir: string;
  /** npm name (`@llmkit/core`). */
  name: string;
  version: string;
  path: string;
  private: boolean;
  dependencies: Record<string, string>;
}

export interface CommandResult {
  command: string;
  status: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a command, never throws; the caller decides what a failure means. */
export function run(
  command: string,
  args: string[],
  options: { cwd: string; timeoutMs?: number; env?: NodeJS.ProcessEnv; inheritEnv?: boolean },
): CommandResult {
  const started = performance.now();
  const r: SpawnSyncReturns<string> = spawnSync(command, args, {
    cwd: options.cwd,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 600_000,
    maxBuffer: 64 * 1024 * 1024,
    env: options.inheritEnv === false ? options.env : { ...process.env, ...options.env },
  });
  return {
    command: `${command} ${args.join(' ')} (in ${options.cwd})`,
    status: r.status,
    stdout: r.stdout ?? '',
    stderr: (r.stderr ?? '') + (r.error ? `\n${r.error.message}` : ''),
    ms: performance.now() - started,
  };
}

/** Throws with the command's output tail when it failed. */
export function mustRun(command: string, args: string[], options: { cwd: string; timeoutMs?: number; env?: NodeJS.ProcessEnv }): CommandResult {
  const r = run(command, args, options);
  if (r.status !== 0) {
    throw new Error(`${r.command} exited with ${r.status}\n--- stdout (tail)\n${r.stdout.slice(-4000)}\n--- stderr (tail)\n${r.stderr.slice(-4000)}`);
  }
  return r;
}

/** Every packages/* folder with a package.json, sorted by folder name. */
export function workspacePackages(root = repoRoot): WorkspacePackage[] {
  const base = join(root, 'packages');
  return readdirSync(base)
    .filter((dir) => existsSync(join(base, dir, 'package.json')))
    .sort()
    .map((dir) => {
      const pkg = JSON.parse(readFileSync(join(base, dir, 'package.json'), 'utf8')) as {
        name: string;
        version: string;
        private?: boolean;
        dependencies?: Record<string, string>;
      };
      return { dir, name: pkg.name, version: pkg.version, path: join(base, dir), private: pkg.private === true, dependencies: pkg.dependencies ?? {} };
    });
}

/** `npm run build` (turbo, every package's tsup) at the repository root; returns its duration. */
export function buildWorkspace(root = repoRoot): CommandResult {
  return mustRun('npm', ['run', 'build'], { cwd: root, timeoutMs: 900_000 });
}

export interface PackedPackage extends WorkspacePackage {
  tarball: string;
  /** sha512 of the tarball, as npm writes it in a lockfile. */
  integrity: string;
  /** Paths inside the tarball (relative to the package root). */
  files: string[];
  unpackedSize: number;
}

/** `npm pack` one package into `outDir`; lifecycle scripts are not run (there are none to run). */
export function packPackage(pkg: WorkspacePackage, outDir: string): PackedPackage {
  mkdirSync(outDir, { recursive: true });
  const r = mustRun('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', outDir], { cwd: pkg.path, timeoutMs: 120_000 });
  // npm may print notices before the JSON array.
  const json = r.stdout.slice(r.stdout.indexOf('['));
  const [info] = JSON.parse(json) as { filename: string; integrity: string; files: { path: string }[]; unpackedSize: number }[];
  if (!info) throw new Error(`npm pack printed no result for ${pkg.name}`);
  return { ...pkg, tarball: join(outDir, info.filename), integrity: info.integrity, files: info.files.map((f) => f.path), unpackedSize: info.unpackedSize };
}

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  dev?: boolean;
  devOptional?: boolean;
  optional?: boolean;
  peer?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [key: string]: unknown;
}

/** Where Node would find `name` from a package installed at `location` (closest node_modules first). */
function resolutionCandidates(location: string, name: string): string[] {
  const out: string[] = [];
  let base = location;
  for (;;) {
    out.push(`${base ? `${base}/` : ''}node_modules/${name}`);
    if (base === '') return out;
    const i = base.lastIndexOf('/node_modules/');
    base = i >= 0 ? base.slice(0, i) : '';
  }
}

/**
 * A package-lock.json for the consumer project, derived from the repository's lock: the tarballs
 * (file: with their integrity) plus exactly the third-party packages they need, at the versions,
 * URLs and integrities `npm ci` installed in the repository. With it, `npm ci --offline` needs only
 * the tarballs in the npm cache (which `npm ci` fills), not registry metadata, which `npm ci` does
 * not store in a form `npm install --offline` can use.
 */
export function consumerLock(repoLockJson: string, packed: PackedPackage[], tarballSpec: (p: PackedPackage) => string): object {
  const repo = (JSON.parse(repoLockJson) as { packages: Record<string, LockEntry> }).packages;
  const byName = new Map(packed.map((p) => [p.name, p]));
  const toConsumer = (location: string): string => {
    const m = /^packages\/([^/]+)(.*)$/.exec(location);
    if (!m) return location;
    const pkg = packed.find((p) => p.dir === m[1]);
    if (!pkg) throw new Error(`release check: ${location} is under packages/ but not a packed package`);
    return `node_modules/${pkg.name}${m[2]}`;
  };
  const out: Record<string, LockEntry> = {};
  const requiredOnce = new Set<string>();
  const visit = (from: string, deps: Record<string, string> | undefined, optionalNames: Set<string>): void => {
    for (const name of Object.keys(deps ?? {})) {
      if (byName.has(name)) continue; // a sibling tarball, hoisted at node_modules/@llmkit/<name>
      const location = resolutionCandidates(from, name).find((c) => repo[c] && !repo[c]!.link);
      const optional = optionalNames.has(name);
      if (!location) {
        if (optional) continue; // e.g. a platform binary npm skipped here
        throw new Error(`release check: ${name} (needed by ${from || 'the root'}) is not in package-lock.json; run npm install`);
      }
      const target = toConsumer(location);
      const seen = out[target] !== undefined;
      if (!seen) {
        const { dev: _d, devOptional: _o, peer: _p, optional: _opt, ...rest } = repo[location]!;
        out[target] = { ...rest };
      }
      if (!optional) requiredOnce.add(target);
      if (!seen) walk(location);
    }
  };
  const walk = (location: string): void => {
    const e = repo[location]!;
    const optionalPeers = new Set(Object.entries(e.peerDependenciesMeta ?? {}).filter(([, m]) => m.optional).map(([n]) => n));
    visit(location, e.dependencies, new Set());
    visit(location, e.optionalDependencies, new Set(Object.keys(e.optionalDependencies ?? {})));
    visit(location, e.peerDependencies, optionalPeers);
  };
  for (const p of packed) {
    const ws = repo[`packages/${p.dir}`];
    if (!ws) throw new Error(`release check: packages/${p.dir} is not in package-lock.json; run npm install`);
    out[`node_modules/${p.name}`] = {
      version: p.version,
      resolved: tarballSpec(p),
      integrity: p.integrity,
      license: ws.license,
      dependencies: ws.dependencies,
      optionalDependencies: ws.optionalDependencies,
      peerDependencies: ws.peerDependencies,
      engines: ws.engines,
    };
    walk(`packages/${p.dir}`);
  }
  for (const [k, e] of Object.entries(out)) if (!k.startsWith('node_modules/@llmkit/') && !requiredOnce.has(k)) e.optional = true;
  const sorted = Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
  const dependencies = Object.fromEntries(packed.map((p) => [p.name, tarballSpec(p)]));
  return {
    name: 'llmkit-release-check',
    version: '0.0.0',
    lockfileVersion: 3,
    requires: true,
    packages: { '': { name: 'llmkit-release-check', version: '0.0.0', dependencies }, ...sorted },
  };
}

/**
 * Writes a fresh consumer project that depends on the tarballs only, with a lockfile derived from
 * the repository's (see {@link consumerLock}), and installs it with `npm ci --offline`.
 */
export function installTarballs(projectDir: string, packed: PackedPackage[], options: { timeoutMs?: number; root?: string } = {}): CommandResult {
  mkdirSync(projectDir, { recursive: true });
  const spec = (p: PackedPackage): string => `file:${relative(projectDir, p.tarball)}`;
  const dependencies = Object.fromEntries(packed.map((p) => [p.name, spec(p)]));
  writeFileSync(
    join(projectDir, 'package.json'),
    `${JSON.stringify({ name: 'llmkit-release-check', version: '0.0.0', private: true, type: 'module', dependencies }, null, 2)}\n`,
  );
  const lock = consumerLock(readFileSync(join(options.root ?? repoRoot, 'package-lock.json'), 'utf8'), packed, spec);
  writeFileSync(join(projectDir, 'package-lock.json'), `${JSON.stringify(lock, null, 2)}\n`);
  // Install scripts stay off as in the repository (onnxruntime-node's would download CUDA libraries).
  writeFileSync(join(projectDir, '.npmrc'), 'ignore-scripts=true\naudit=false\nfund=false\nupdate-notifier=false\n');
  return mustRun('npm', ['ci', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], {
    cwd: projectDir,
    timeoutMs: options.timeoutMs ?? 600_000,
  });
}

/** Runs an ES module file with plain node (no tsx, no source condition) in `cwd`. */
export function runNodeModule(file: string, cwd: string, timeoutMs = 180_000): CommandResult {
  // No loader flags from the test runner (vitest, tsx) leak into the user's plain `node`.
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '' };
  if (!env.LLMKIT_BACKEND) delete env.LLMKIT_BACKEND;
  return run(process.execPath, [file], { cwd, timeoutMs, env, inheritEnv: false });
}
