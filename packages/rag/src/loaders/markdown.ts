/**
 * Markdown with YAML front matter (`---` fenced block at the top, Jekyll/Hugo/Astro style): the
 * front matter goes into metadata (parsed with `yaml`), the body is the document text.
 * `metadata.bodyOffset` is where the body starts in the file, so body offsets map back to the file.
 */
import { parse as parseYaml } from 'yaml';
import { LoaderError, type Document, type Metadata } from '../types.js';
import { inputText, toMetadataValue, type LoaderCommonOptions, type LoaderInput } from './common.js';

const FRONT_MATTER = /^---[ \t]*\r?\n([\s\S]*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|$)/;

/**
 * @throws LoaderError `invalid_front_matter` when the front matter is not a YAML mapping.
 * @example
 * const [doc] = parseMarkdown('---\ntitle: Guide\ntags: [a, b]\n---\n# Guide\nText');
 * doc.metadata; // { source: 'input', title: 'Guide', tags: ['a', 'b'], bodyOffset: 34 }
 */
export function parseMarkdown(input: LoaderInput, options: LoaderCommonOptions = {}): Document[] {
  const source = options.source ?? 'input';
  const raw = inputText(input, options, 'parseMarkdown');
  const match = FRONT_MATTER.exec(raw);
  let front: Metadata = {};
  let bodyOffset = 0;
  if (match) {
    let parsed: unknown;
    try {
      parsed = parseYaml(match[1]!, { prettyErrors: true });
    } catch (cause) {
      throw new LoaderError('invalid_front_matter', `${source}: the YAML front matter does not parse: ${(cause as Error).message.split('\n')[0]}. Fix the YAML between the --- lines.`, { cause });
    }
    if (parsed !== null && parsed !== undefined) {
      if (typeof parsed !== 'object' || Array.isArray(parsed)) {
        throw new LoaderError('invalid_front_matter', `${source}: front matter must be a YAML mapping (key: value lines); got ${Array.isArray(parsed) ? 'a list' : typeof parsed}.`);
      }
      front = toMetadataValue(parsed) as Metadata;
    }
    bodyOffset = match[0].length;
  }
  const text = raw.slice(bodyOffset);
  const metadata: Metadata = { ...options.metadata, ...front, source, bodyOffset };
  if (metadata.title === undefined) {
    const heading = /^#[ \t]+(.+?)[ \t#]*$/m.exec(text);
    if (heading) metadata.title = heading[1]!;
  }
  return [{ id: source, text, metadata }];
}
