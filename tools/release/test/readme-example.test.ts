// Fast checks of the README example convention the release check relies on (always run).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, workspacePackages } from '../pack.js';
import { readmeBlocks, readmeExample, transpileExample, valueExportNames } from '../readme-example.js';

const fence = '```';

describe('readmeExample', () => {
  it('takes the first ts block when nothing is marked, ignoring sh blocks', () => {
    const md = ['# x', `${fence}sh`, 'npm i x', fence, `${fence}ts`, 'const a = 1;', fence, `${fence}ts`, 'const b = 2;', fence].join('\n');
    expect(readmeExample(md)).toEqual({ kind: 'run', line: 5, code: 'const a = 1;' });
  });

  it('skips a block marked skip and runs the next one; an explicit example marker wins', () => {
    const md = [
      '<!-- example: skip (needs a model directory) -->',
      `${fence}ts`,
      'load(dir);',
      fence,
      '',
      `${fence}typescript`,
      'const b = 2;',
      fence,
      '<!-- example -->',
      `${fence}ts`,
      'const c = 3;',
      fence,
    ].join('\n');
    expect(readmeBlocks(md).map((b) => [b.line, b.marker, b.skipReason])).toEqual([
      [2, 'skip', 'needs a model directory'],
      [6, 'none', undefined],
      [10, 'run', undefined],
    ]);
    expect(readmeExample(md)).toEqual({ kind: 'run', line: 10, code: 'const c = 3;' });
  });

  it('reports the reasons when every ts block is skipped, and none without ts blocks', () => {
    const md = ['<!-- example: skip (needs a server) -->', `${fence}ts`, 'x()', fence].join('\n');
    expect(readmeExample(md)).toEqual({ kind: 'skip', reasons: ['line 2: needs a server'] });
    expect(readmeExample(`${fence}sh\nls\n${fence}`)).toEqual({ kind: 'none' });
  });
});

describe('transpileExample', () => {
  it('erases types and type-only imports and keeps top-level await', () => {
    const js = transpileExample("import { a, type B } from 'p';\nconst x: B = await a<number>(1 as number);\n");
    expect(js).toContain("import { a } from 'p';");
    expect(js).toContain('const x = await a(1);');
  });

  it('throws on code that does not parse', () => {
    expect(() => transpileExample('const = ;')).toThrow(/does not parse/);
  });
});

describe('valueExportNames', () => {
  it('lists value re-exports and drops type-only ones', () => {
    const src = [
      "export { a, b as c, type D } from './x.js';",
      "export type { E } from './y.js';",
      'export {};',
      'export const f = 1;',
      'export function g() {}',
    ].join('\n');
    expect(valueExportNames(src)).toEqual(['a', 'c', 'f', 'g']);
  });

  it('finds a non-empty value API in every package barrel', () => {
    for (const p of workspacePackages()) {
      const names = valueExportNames(readFileSync(join(p.path, 'src/index.ts'), 'utf8'));
      expect(names.length, p.name).toBeGreaterThan(0);
    }
    expect(repoRoot).toMatch(/\S/);
  });
});
