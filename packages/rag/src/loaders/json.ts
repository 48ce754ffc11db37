/**
 * JSON and JSON Lines to documents: pick the records with a JSON pointer (RFC 6901), the text
 * with `contentKey`, metadata with `metadataKeys` (field names or pointers into each record).
 */
import { LoaderError, type Document, type Metadata } from '../types.js';
import { inputText, toMetadataValue, type LoaderCommonOptions, type LoaderInput } from './common.js';

export interface JsonLoaderOptions extends LoaderCommonOptions {
  /** Where the records are: a JSON pointer to an array (one document per element) or a value (one document). Default '' (the root). */
  pointer?: string;
  /** Field (or '/pointer' inside a record) holding the text. Default: the record itself if it is a string, else the record as JSON. */
  contentKey?: string;
  /** Fields (or '/pointers') copied into metadata, under their name (pointer: its last segment). */
  metadataKeys?: string[];
}

/**
 * Resolve an RFC 6901 JSON pointer (`/a/0/b`, `~1` = '/', `~0` = '~').
 * @throws LoaderError `invalid_pointer` for a malformed pointer or a path that does not exist.
 */
export function resolveJsonPointer(value: unknown, pointer: string, source = 'input'): unknown {
  if (pointer === '') return value;
  if (!pointer.startsWith('/')) throw new LoaderError('invalid_pointer', `${source}: JSON pointer ${JSON.stringify(pointer)} must be '' or start with '/', e.g. '/data/items'.`);
  let current = value;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(current) && /^(0|[1-9]\d*)$/.test(key) && Number(key) < current.length) current = current[Number(key)];
    else if (current !== null && typeof current === 'object' && !Array.isArray(current) && Object.hasOwn(current, key)) current = (current as Record<string, unknown>)[key];
    else throw new LoaderError('invalid_pointer', `${source}: JSON pointer ${pointer} does not exist (no ${JSON.stringify(key)} there); check the path against the file.`);
  }
  return current;
}

/** Offset of the first JSON syntax error in `text` (a small recursive-descent scan, run only after JSON.parse failed). */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const fail = (): never => {
    throw i;
  };
  const literal = (word: string) => {
    if (text.startsWith(word, i)) i += word.length;
    else fail();
  };
  const string = () => {
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text.charCodeAt(i) < 0x20) fail();
      if (text[i] === '\\') {
        i++;
        if (text[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail();
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text[i] ?? '')) fail();
      }
      i++;
    }
    if (i >= text.length) fail();
    i++;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') return void i++;
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        string();
        ws();
        if (text[i] !== ':') fail();
        i++;
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') return void i++;
        else fail();
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') return void i++;
      for (;;) {
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') return void i++;
        else fail();
      }
    } else if (c === '"') string();
    else if (c === 't') literal('true');
    else if (c === 'f') literal('false');
    else if (c === 'n') literal('null');
    else {
      const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
      if (!m || m[0] === '') fail();
      i += m![0].length;
    }
  };
  try {
    value();
    ws();
    return i < text.length ? i : -1;
  } catch (at) {
    return typeof at === 'number' ? at : -1;
  }
}

function field(record: unknown, key: string, source: string): unknown {
  if (key.startsWith('/')) return resolveJsonPointer(record, key, source);
  if (record !== null && typeof record === 'object' && Object.hasOwn(record, key)) return (record as Record<string, unknown>)[key];
  throw new LoaderError('missing_field', `${source}: the record has no field ${JSON.stringify(key)}; fields are ${record && typeof record === 'object' ? Object.keys(record).join(', ') : typeof record}.`);
}

function recordsToDocuments(records: unknown[], options: JsonLoaderOptions, source: string, ids: (i: number) => string, where: (i: number) => string): Document[] {
  return records.map((record, i) => {
    let text: string;
    if (options.contentKey !== undefined) {
      const value = field(record, options.contentKey, where(i));
      if (typeof value !== 'string') {
        throw new LoaderError('invalid_content', `${where(i)}: contentKey ${JSON.stringify(options.contentKey)} holds ${value === null ? 'null' : typeof value}, not a string; point contentKey at a text field.`);
      }
      text = value;
    } else {
      text = typeof record === 'string' ? record : JSON.stringify(record, null, 2);
    }
    const metadata: Metadata = { ...options.metadata, source };
    for (const key of options.metadataKeys ?? []) {
      const name = key.startsWith('/') ? key.slice(key.lastIndexOf('/') + 1).replace(/~1/g, '/').replace(/~0/g, '~') : key;
      metadata[name] = toMetadataValue(field(record, key, where(i))) ?? null;
    }
    return { id: ids(i), text, metadata };
  });
}

/**
 * @throws LoaderError `invalid_json` (with line and column), `invalid_pointer`, `missing_field`, `invalid_content`.
 * @example
 * parseJson('{"items":[{"body":"hi","author":"ann"}]}', { pointer: '/items', contentKey: 'body', metadataKeys: ['author'] });
 */
export function parseJson(input: LoaderInput, options: JsonLoaderOptions = {}): Document[] {
  const source = options.source ?? 'input';
  const text = inputText(input, options, 'parseJson');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    const pos = jsonErrorOffset(text);
    const where = pos >= 0 ? ` at line ${text.slice(0, pos).split('\n').length}, column ${pos - text.lastIndexOf('\n', pos - 1)}` : '';
    throw new LoaderError('invalid_json', `${source}: not valid JSON${where}: ${(cause as Error).message}. Fix the file or load it as text.`, { cause });
  }
  const selected = resolveJsonPointer(value, options.pointer ?? '', source);
  const records = Array.isArray(selected) ? selected : [selected];
  const base = options.pointer ? `${source}#${options.pointer}` : source;
  return recordsToDocuments(records, options, source, (i) => (Array.isArray(selected) ? `${base}/${i}` : base), (i) => `${source} record ${i}`);
}

/**
 * JSON Lines: one record per non-empty line; `pointer` applies inside each line.
 * @throws LoaderError `invalid_json` naming the line.
 */
export function parseJsonl(input: LoaderInput, options: JsonLoaderOptions = {}): Document[] {
  const source = options.source ?? 'input';
  const text = inputText(input, options, 'parseJsonl');
  const records: unknown[] = [];
  const lines: number[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      records.push(resolveJsonPointer(JSON.parse(line), options.pointer ?? '', `${source} line ${i + 1}`));
      lines.push(i + 1);
    } catch (cause) {
      if (cause instanceof LoaderError) throw cause;
      throw new LoaderError('invalid_json', `${source} line ${i + 1}: not valid JSON (${(cause as Error).message}); every line of a .jsonl file must be one JSON value.`, { cause });
    }
  });
  return recordsToDocuments(records, options, source, (i) => `${source}#L${lines[i]}`, (i) => `${source} line ${lines[i]}`).map((d, i) => ({
    ...d,
    metadata: { ...d.metadata, line: lines[i]! },
  }));
}
