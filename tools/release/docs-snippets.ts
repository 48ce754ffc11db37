/**
 * Type-checks every ```ts block of the guides under docs/ against the packages' real source
 * (through the `@llmkit/source` condition), so the docs cannot drift from the exports.
 *
 * Each block is its own ES module (top-level await allowed). A block may declare its free
 * inputs with `declare const x: Type;`. A block preceded by `<!-- snippet: skip (reason) -->`
 * is not checked (for pseudo-code); none of the guides needs that today.
 *
 *   npx tsx tools/release/docs-snippets.ts          # prints diagnostics, exit code 1 on errors
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { repoRoot } from './pack.js';

export interface DocSnippet {
  file: string;
  line: number;
  code: string;
}

export interface SnippetDiagnostic {
  file: string;
  line: number;
  message: string;
}

/** Markdown files under docs/, except the generated API reference. */
export function docFiles(root = repoRoot): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) {
        if (relative(root, p) !== join('docs', 'api')) walk(p);
      } else if (name.endsWith('.md')) out.push(p);
    }
  };
  if (existsSync(join(root, 'docs'))) walk(join(root, 'docs'));
  return out;
}

export function extractSnippets(file: string, markdown: string): DocSnippet[] {
  const lines = markdown.split(/\r?\n/);
  const snippets: DocSnippet[] = [];
  let inFence: { lang: string; line: number; body: string[]; skip: boolean } | null = null;
  let previous = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (inFence) {
      if (/^\s*```\s*$/.test(line)) {
        if ((inFence.lang === 'ts' || inFence.lang === 'typescript') && !inFence.skip) {
          snippets.push({ file, line: inFence.line, code: inFence.body.join('\n') });
        }
        inFence = null;
      } else inFence.body.push(line);
      continue;
    }
    const open = /^\s*```\s*([\w-]*)/.exec(line);
    if (open) inFence = { lang: open[1]!.toLowerCase(), line: i + 1, body: [], skip: /^<!--\s*snippet:\s*skip/.test(previous.trim()) };
    if (line.trim() !== '') previous = line;
  }
  return snippets;
}

/** Type-checks the snippets in one program; returns the diagnostics mapped to Markdown lines. */
export function checkSnippets(snippets: DocSnippet[], root = repoRoot): SnippetDiagnostic[] {
  const base = ts.readConfigFile(join(root, 'tsconfig.base.json'), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(base.config, ts.sys, root);
  const options: ts.CompilerOptions = { ...parsed.options, noEmit: true, declaration: false, declarationMap: false, sourceMap: false, noUnusedLocals: false };
  // Virtual files next to the root package.json ("type": "module"), so they are ES modules.
  const virtual = new Map<string, { snippet: DocSnippet; text: string }>();
  snippets.forEach((s, i) => {
    virtual.set(join(root, 'docs', `__snippet_${i}.ts`), { snippet: s, text: `${s.code}\nexport {};\n` });
  });
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    const v = virtual.get(fileName);
    if (v) return ts.createSourceFile(fileName, v.text, languageVersion, true, ts.ScriptKind.TS);
    return getSourceFile(fileName, languageVersion, onError, shouldCreate);
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (f) => virtual.has(f) || fileExists(f);
  const readFile = host.readFile.bind(host);
  host.readFile = (f) => virtual.get(f)?.text ?? readFile(f);
  const program = ts.createProgram([...virtual.keys()], options, host);
  const out: SnippetDiagnostic[] = [];
  for (const [fileName, { snippet }] of virtual) {
    const sf = program.getSourceFile(fileName)!;
    for (const d of [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]) {
      const at = d.start !== undefined ? sf.getLineAndCharacterOfPosition(d.start).line : 0;
      out.push({
        file: relative(root, snippet.file),
        line: snippet.line + 1 + at,
        message: ts.flattenDiagnosticMessageText(d.messageText, '\n'),
      });
    }
  }
  return out;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const snippets = docFiles().flatMap((f) => extractSnippets(f, readFileSync(f, 'utf8')));
  const diagnostics = checkSnippets(snippets);
  for (const d of diagnostics) console.log(`${d.file}:${d.line}: ${d.message}`);
  console.log(`${snippets.length} snippets, ${diagnostics.length} diagnostics`);
  process.exitCode = diagnostics.length > 0 ? 1 : 0;
}
