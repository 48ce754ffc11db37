// The guides' TypeScript snippets compile against the packages' real exports (source condition).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkSnippets, docFiles, extractSnippets } from '../docs-snippets.js';

describe('docs snippets', () => {
  const snippets = docFiles().flatMap((f) => extractSnippets(f, readFileSync(f, 'utf8')));

  it('finds a snippet in every course guide', () => {
    const guides = docFiles().filter((f) => /docs\/guides\//.test(f));
    expect(guides.length).toBe(12);
    for (const g of guides) expect(snippets.some((s) => s.file === g), g).toBe(true);
  });

  it('type-checks every ```ts block of docs/ against the real exports', () => {
    const diagnostics = checkSnippets(snippets);
    expect(diagnostics.map((d) => `${d.file}:${d.line}: ${d.message}`)).toEqual([]);
  }, 300_000);

  it('reports a wrong import and a wrong type at the Markdown line', () => {
    const bad = checkSnippets([
      { file: 'docs/x.md', line: 10, code: "import { nope } from '@llmkit/core';\nconst n: string = 1;" },
    ]);
    expect(bad.map((d) => d.line)).toEqual([11, 12]);
    expect(bad[0]!.message).toMatch(/no exported member 'nope'/);
  }, 300_000);
});
