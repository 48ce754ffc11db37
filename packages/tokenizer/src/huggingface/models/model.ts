/** The model interface: one pre-token piece in, ids (and optional unit spans within the piece) out. */
export interface Model {
  /** Push the ids of `text`; when `spans` is given, push [start, end) unit offsets within `text` per id. */
  tokenize(text: string, ids: number[], spans: number[] | null): void;
  tokenToId(token: string): number | undefined;
  idToToken(id: number): string | undefined;
  /** Largest id + 1. */
  readonly size: number;
  /** The model section of tokenizer.json, normalised. */
  toJSON(): Record<string, unknown>;
}

/** Read a `vocab` object {token: id}. */
export function readVocab(value: unknown, path: string, formatError: (p: string, m: string) => never): { vocab: Map<string, number>; tokens: string[] } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) formatError(path, 'expected an object {token: id}');
  const vocab = new Map<string, number>();
  const tokens: string[] = [];
  for (const key in value as Record<string, unknown>) {
    const id = (value as Record<string, unknown>)[key];
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > 0x7fffffff) formatError(`${path}[${JSON.stringify(key)}]`, `expected a non-negative integer id, got ${JSON.stringify(id)}`);
    vocab.set(key, id);
    tokens[id] = key;
  }
  return { vocab, tokens };
}
