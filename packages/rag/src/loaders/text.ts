import type { Document } from '../types.js';
import { inputText, type LoaderCommonOptions, type LoaderInput } from './common.js';

/**
 * One document holding the whole text (bytes decoded per {@link decodeText}).
 * @throws LoaderError `invalid_encoding` / `unknown_encoding` for undecodable bytes.
 * @example
 * const [doc] = parseText(readFileSync('notes.txt'), { source: 'notes.txt' });
 */
export function parseText(input: LoaderInput, options: LoaderCommonOptions = {}): Document[] {
  const source = options.source ?? 'input';
  const text = inputText(input, options, 'parseText');
  return [{ id: source, text, metadata: { ...options.metadata, source } }];
}
