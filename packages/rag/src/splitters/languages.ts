/**
 * Per-language separators of LangChain's `RecursiveCharacterTextSplitter.getSeparatorsForLanguage`
 * (`@langchain/textsplitters` 1.0.2), in the same order. `ts`, `typescript` and `javascript` are
 * aliases of LangChain's `js` list (it has no TypeScript entry).
 */
import { InvalidArgumentError } from '@llmkit/core';

const SEPARATORS = {
  cpp: ['\nclass ', '\nvoid ', '\nint ', '\nfloat ', '\ndouble ', '\nif ', '\nfor ', '\nwhile ', '\nswitch ', '\ncase ', '\n\n', '\n', ' ', ''],
  go: ['\nfunc ', '\nvar ', '\nconst ', '\ntype ', '\nif ', '\nfor ', '\nswitch ', '\ncase ', '\n\n', '\n', ' ', ''],
  java: ['\nclass ', '\npublic ', '\nprotected ', '\nprivate ', '\nstatic ', '\nif ', '\nfor ', '\nwhile ', '\nswitch ', '\ncase ', '\n\n', '\n', ' ', ''],
  js: ['\nfunction ', '\nconst ', '\nlet ', '\nvar ', '\nclass ', '\nif ', '\nfor ', '\nwhile ', '\nswitch ', '\ncase ', '\ndefault ', '\n\n', '\n', ' ', ''],
  php: ['\nfunction ', '\nclass ', '\nif ', '\nforeach ', '\nwhile ', '\ndo ', '\nswitch ', '\ncase ', '\n\n', '\n', ' ', ''],
  proto: ['\nmessage ', '\nservice ', '\nenum ', '\noption ', '\nimport ', '\nsyntax ', '\n\n', '\n', ' ', ''],
  python: ['\nclass ', '\ndef ', '\n\tdef ', '\n\n', '\n', ' ', ''],
  rst: ['\n===\n', '\n---\n', '\n***\n', '\n.. ', '\n\n', '\n', ' ', ''],
  ruby: ['\ndef ', '\nclass ', '\nif ', '\nunless ', '\nwhile ', '\nfor ', '\ndo ', '\nbegin ', '\nrescue ', '\n\n', '\n', ' ', ''],
  rust: ['\nfn ', '\nconst ', '\nlet ', '\nif ', '\nwhile ', '\nfor ', '\nloop ', '\nmatch ', '\nconst ', '\n\n', '\n', ' ', ''],
  scala: ['\nclass ', '\nobject ', '\ndef ', '\nval ', '\nvar ', '\nif ', '\nfor ', '\nwhile ', '\nmatch ', '\ncase ', '\n\n', '\n', ' ', ''],
  swift: ['\nfunc ', '\nclass ', '\nstruct ', '\nenum ', '\nif ', '\nfor ', '\nwhile ', '\ndo ', '\nswitch ', '\ncase ', '\n\n', '\n', ' ', ''],
  markdown: ['\n## ', '\n### ', '\n#### ', '\n##### ', '\n###### ', '```\n\n', '\n\n***\n\n', '\n\n---\n\n', '\n\n___\n\n', '\n\n', '\n', ' ', ''],
  latex: [
    '\n\\chapter{', '\n\\section{', '\n\\subsection{', '\n\\subsubsection{', '\n\\begin{enumerate}', '\n\\begin{itemize}',
    '\n\\begin{description}', '\n\\begin{list}', '\n\\begin{quote}', '\n\\begin{quotation}', '\n\\begin{verse}',
    '\n\\begin{verbatim}', '\n\\begin{align}', '$$', '$', '\n\n', '\n', ' ', '',
  ],
  html: [
    '<body>', '<div>', '<p>', '<br>', '<li>', '<h1>', '<h2>', '<h3>', '<h4>', '<h5>', '<h6>', '<span>', '<table>', '<tr>', '<td>',
    '<th>', '<ul>', '<ol>', '<header>', '<footer>', '<nav>', '<head>', '<style>', '<script>', '<meta>', '<title>', ' ', '',
  ],
  sol: [
    '\npragma ', '\nusing ', '\ncontract ', '\ninterface ', '\nlibrary ', '\nconstructor ', '\ntype ', '\nfunction ', '\nevent ',
    '\nmodifier ', '\nerror ', '\nstruct ', '\nenum ', '\nif ', '\nfor ', '\nwhile ', '\ndo while ', '\nassembly ', '\n\n', '\n', ' ', '',
  ],
} as const;

const ALIASES: Record<string, keyof typeof SEPARATORS> = { ts: 'js', typescript: 'js', javascript: 'js', md: 'markdown', py: 'python', solidity: 'sol', tex: 'latex', 'c++': 'cpp' };

/** Languages LangChain lists (`SupportedTextSplitterLanguages`). */
export const SUPPORTED_SPLITTER_LANGUAGES = Object.freeze(Object.keys(SEPARATORS)) as readonly SplitterLanguage[];

/** A language name LangChain knows, or one of our aliases (`ts`, `typescript`, `javascript`, `md`, `py`, `solidity`, `tex`, `c++`). */
export type SplitterLanguage = keyof typeof SEPARATORS;
export type SplitterLanguageName = SplitterLanguage | 'ts' | 'typescript' | 'javascript' | 'md' | 'py' | 'solidity' | 'tex' | 'c++';

/**
 * Separators for `language`, most to least significant.
 * @throws InvalidArgumentError `invalid_argument` for a language LangChain does not list.
 */
export function separatorsForLanguage(language: SplitterLanguageName): string[] {
  const key = (Object.hasOwn(SEPARATORS, language) ? language : ALIASES[language]) as SplitterLanguage | undefined;
  if (key === undefined || !Object.hasOwn(SEPARATORS, key)) {
    throw new InvalidArgumentError(
      `Unknown splitter language ${JSON.stringify(language)}; use one of ${[...SUPPORTED_SPLITTER_LANGUAGES, ...Object.keys(ALIASES)].join(', ')}.`,
    );
  }
  return [...SEPARATORS[key]];
}
