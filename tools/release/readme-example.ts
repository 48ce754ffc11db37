/**
 * Extracts the example a package README promises to users, so the release check can run it
 * against the installed tarballs.
 *
 * Convention (an HTML comment on the line right before a ```ts fence; invisible on npm and GitHub):
 *
 *   <!-- example -->                                  this block is THE example to run
 *   <!-- example: skip (needs a model directory) -->  never run this block; the reason is reported
 *
 * Without an explicit `<!-- example -->`, the first ```ts / ```typescript block that is not marked
 * `skip` is run. A README whose TypeScript blocks are all marked `skip` has no runnable example:
 * the check reports the reasons instead of running anything. Blocks in other languages (```sh)
 * are ignored.
 */
import ts from 'typescript';

export interface ReadmeBlock {
  /** 1-based line of the opening fence. */
  line: number;
  code: string;
  /** `run` for `<!-- example -->`, `skip` for `<!-- example: skip (...) -->`, otherwise `none`. */
  marker: 'run' | 'skip' | 'none';
  skipReason?: string;
}

export type ReadmeExample =
  | { kind: 'run'; line: number; code: string }
  | { kind: 'skip'; reasons: string[] }
  | { kind: 'none' };

const MARKER = /^<!--\s*example(?:\s*:\s*skip\s*(?:\((.*)\))?)?\s*-->$/;

/** Every ```ts / ```typescript block of a Markdown text, with its example marker. */
export function readmeBlocks(markdown: string): ReadmeBlock[] {
  const lines = markdown.split(/\r?\n/);
  const blocks: ReadmeBlock[] = [];
  let fence: { line: number; lang: string; body: string[]; marker: ReadmeBlock['marker']; skipReason?: string } | null = null;
  let previous = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (fence) {
      if (/^\s*```\s*$/.test(line)) {
        if (fence.lang === 'ts' || fence.lang === 'typescript') {
          blocks.push({ line: fence.line, code: fence.body.join('\n'), marker: fence.marker, skipReason: fence.skipReason });
        }
        fence = null;
      } else {
        fence.body.push(line);
      }
      continue;
    }
    const open = /^\s*```\s*([\w-]*)/.exec(line);
    if (open) {
      const m = MARKER.exec(previous.trim());
      const marker: ReadmeBlock['marker'] = m ? (/skip/.test(previous) ? 'skip' : 'run') : 'none';
      fence = { line: i + 1, lang: open[1]!.toLowerCase(), body: [], marker, skipReason: m?.[1]?.trim() || (marker === 'skip' ? 'no reason given' : undefined) };
    }
    if (line.trim() !== '') previous = line;
  }
  return blocks;
}

/** The block the release check runs, or why there is none. */
export function readmeExample(markdown: string): ReadmeExample {
  const blocks = readmeBlocks(markdown);
  const chosen = blocks.find((b) => b.marker === 'run') ?? blocks.find((b) => b.marker === 'none');
  if (chosen) return { kind: 'run', line: chosen.line, code: chosen.code };
  const skipped = blocks.filter((b) => b.marker === 'skip');
  if (skipped.length > 0) return { kind: 'skip', reasons: skipped.map((b) => `line ${b.line}: ${b.skipReason}`) };
  return { kind: 'none' };
}

/**
 * TypeScript example -> an ES module Node runs as is (types erased, `import type` dropped,
 * top-level await kept). No type checking here: the packages' own typecheck covers the API and
 * the check is about what runs from the tarballs.
 */
export function transpileExample(code: string, fileName = 'example.ts'): string {
  const out = ts.transpileModule(code, {
    fileName,
    reportDiagnostics: true,
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      verbatimModuleSyntax: false,
      isolatedModules: true,
      sourceMap: false,
    },
  });
  const errors = (out.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length > 0) {
    const text = errors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')).join('\n');
    throw new Error(`the README example does not parse as TypeScript (${fileName}):\n${text}`);
  }
  // An example is a module even when it imports nothing.
  return `${out.outputText}\nexport {};\n`;
}

/**
 * The runtime (value) names a package's src/index.ts re-exports: `export { a, b } from`,
 * minus `export type { ... }` and inline `type` specifiers. Used to check that the built
 * dist/index.js of the installed tarball exports the same names.
 */
export function valueExportNames(indexSource: string, fileName = 'index.ts'): string[] {
  const sf = ts.createSourceFile(fileName, indexSource, ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
  const names: string[] = [];
  for (const stmt of sf.statements) {
    if (ts.isExportDeclaration(stmt)) {
      if (stmt.isTypeOnly || !stmt.exportClause) continue; // `export * from` is not used by the house style
      if (ts.isNamedExports(stmt.exportClause)) {
        for (const el of stmt.exportClause.elements) if (!el.isTypeOnly) names.push(el.name.text);
      } else {
        names.push(stmt.exportClause.name.text); // export * as ns from
      }
    } else if (
      (ts.isFunctionDeclaration(stmt) || ts.isClassDeclaration(stmt) || ts.isVariableStatement(stmt)) &&
      stmt.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)
    ) {
      if (ts.isVariableStatement(stmt)) {
        for (const d of stmt.declarationList.declarations) if (ts.isIdentifier(d.name)) names.push(d.name.text);
      } else if (stmt.name) {
        names.push(stmt.name.text);
      }
    }
  }
  return [...new Set(names)].sort();
}
