import { InvalidArgumentError, TokenizerFormatError } from '../errors.js';
import { TIKTOKEN_PATTERNS } from './pattern.js';
import { type ByteRanks, bytesToByteString, parseCompactRanks, parseTiktokenBpeFileToByteRanks, utf8ByteString } from './ranks.js';
import { TiktokenTokenizer, type TiktokenEncodingData, type TiktokenTokenizerOptions } from './tiktoken-tokenizer.js';

/** Names of the OpenAI encodings {@link fromTiktoken} knows. */
export type TiktokenEncodingName = 'o200k_base' | 'cl100k_base' | 'p50k_base' | 'p50k_edit' | 'r50k_base' | 'gpt2';

interface EncodingSpec {
  pattern: string;
  specialTokens: Record<string, number>;
  /** Module of js-tiktoken holding the rank data (compact format). */
  rankModule: string;
}

type RankModule = { bpe_ranks?: unknown; default?: { bpe_ranks?: unknown } };

/** Dynamic imports with literal specifiers, so bundlers can split the rank files (used by {@link loadTiktoken}). */
const RANK_IMPORTS: Record<TiktokenEncodingName, () => Promise<RankModule>> = {
  gpt2: () => import('js-tiktoken/ranks/gpt2'),
  r50k_base: () => import('js-tiktoken/ranks/r50k_base'),
  p50k_base: () => import('js-tiktoken/ranks/p50k_base'),
  p50k_edit: () => import('js-tiktoken/ranks/p50k_edit'),
  cl100k_base: () => import('js-tiktoken/ranks/cl100k_base'),
  o200k_base: () => import('js-tiktoken/ranks/o200k_base'),
};

const ENDOFTEXT = '<|endoftext|>';

/** Registry of the OpenAI encodings: pattern and special tokens as tiktoken defines them. */
const ENCODINGS: Record<TiktokenEncodingName, EncodingSpec> = {
  gpt2: { pattern: TIKTOKEN_PATTERNS.r50k, specialTokens: { [ENDOFTEXT]: 50256 }, rankModule: 'js-tiktoken/ranks/gpt2' },
  r50k_base: { pattern: TIKTOKEN_PATTERNS.r50k, specialTokens: { [ENDOFTEXT]: 50256 }, rankModule: 'js-tiktoken/ranks/r50k_base' },
  p50k_base: { pattern: TIKTOKEN_PATTERNS.r50k, specialTokens: { [ENDOFTEXT]: 50256 }, rankModule: 'js-tiktoken/ranks/p50k_base' },
  p50k_edit: {
    pattern: TIKTOKEN_PATTERNS.r50k,
    specialTokens: { [ENDOFTEXT]: 50256, '<|fim_prefix|>': 50281, '<|fim_middle|>': 50282, '<|fim_suffix|>': 50283 },
    rankModule: 'js-tiktoken/ranks/p50k_edit',
  },
  cl100k_base: {
    pattern: TIKTOKEN_PATTERNS.cl100k,
    specialTokens: {
      [ENDOFTEXT]: 100257,
      '<|fim_prefix|>': 100258,
      '<|fim_middle|>': 100259,
      '<|fim_suffix|>': 100260,
      '<|endofprompt|>': 100276,
    },
    rankModule: 'js-tiktoken/ranks/cl100k_base',
  },
  o200k_base: {
    pattern: TIKTOKEN_PATTERNS.o200k,
    specialTokens: { [ENDOFTEXT]: 199999, '<|endofprompt|>': 200018 },
    rankModule: 'js-tiktoken/ranks/o200k_base',
  },
};

/** Names accepted by {@link fromTiktoken}. */
export const TIKTOKEN_ENCODING_NAMES = Object.keys(ENCODINGS) as TiktokenEncodingName[];

const dataCache = new Map<TiktokenEncodingName, TiktokenEncodingData>();
const tokenizerCache = new Map<TiktokenEncodingName, TiktokenTokenizer>();

function checkName(name: TiktokenEncodingName): void {
  if (!Object.prototype.hasOwnProperty.call(ENCODINGS, name)) {
    throw new InvalidArgumentError(
      `Unknown tiktoken encoding ${JSON.stringify(name)}; expected one of ${TIKTOKEN_ENCODING_NAMES.join(', ')}.`
    );
  }
}

function encodingData(name: TiktokenEncodingName, module: RankModule): TiktokenEncodingData {
  let data = dataCache.get(name);
  if (data !== undefined) return data;
  const spec = ENCODINGS[name];
  const compact = module.bpe_ranks ?? module.default?.bpe_ranks;
  if (typeof compact !== 'string') {
    throw new TokenizerFormatError(`${spec.rankModule} does not export bpe_ranks as a string.`, 'bpe_ranks');
  }
  data = { name, pattern: spec.pattern, ranks: parseCompactRanks(compact), specialTokens: new Map(Object.entries(spec.specialTokens)) };
  dataCache.set(name, data);
  return data;
}

/** Loads the rank module synchronously through Node's require (no static `node:` import, so browsers can bundle this file). */
function requireRankModule(name: TiktokenEncodingName): RankModule {
  const spec = ENCODINGS[name];
  const nodeProcess = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const nodeModule = nodeProcess?.getBuiltinModule?.('node:module') as { createRequire(url: string): (id: string) => unknown } | undefined;
  if (nodeModule === undefined) {
    throw new InvalidArgumentError(
      `fromTiktoken('${name}') loads ${spec.rankModule} synchronously and needs Node.js >= 20.16; elsewhere use await loadTiktoken('${name}').`
    );
  }
  return nodeModule.createRequire(import.meta.url)(spec.rankModule) as RankModule;
}

function tokenizerFor(
  name: TiktokenEncodingName,
  data: TiktokenEncodingData,
  options: TiktokenTokenizerOptions | undefined
): TiktokenTokenizer {
  if (options !== undefined) return new TiktokenTokenizer(data, options);
  let tokenizer = tokenizerCache.get(name);
  if (tokenizer === undefined) {
    tokenizer = new TiktokenTokenizer(data);
    tokenizerCache.set(name, tokenizer);
  }
  return tokenizer;
}

/**
 * A tokenizer for an OpenAI encoding, bit-exact with tiktoken. Rank data comes from the
 * `js-tiktoken` package (no download); it is parsed on first use and cached per encoding,
 * and with default options the same tokenizer instance is returned on later calls.
 * Synchronous, for Node.js; {@link loadTiktoken} is the async variant that works everywhere.
 * @throws InvalidArgumentError (`invalid_argument`) for an unknown encoding name, or outside Node.js.
 * @example
 * const enc = fromTiktoken('o200k_base');
 * enc.decode(enc.encode('hello world')) // 'hello world'
 */
export function fromTiktoken(name: TiktokenEncodingName, options?: TiktokenTokenizerOptions): TiktokenTokenizer {
  checkName(name);
  const data = dataCache.get(name) ?? encodingData(name, requireRankModule(name));
  return tokenizerFor(name, data, options);
}

/**
 * Like {@link fromTiktoken}, loading the rank data with a dynamic `import()`: works in
 * browsers and bundlers as well as Node.js.
 * @throws InvalidArgumentError (`invalid_argument`) for an unknown encoding name.
 * @example
 * const enc = await loadTiktoken('cl100k_base');
 */
export async function loadTiktoken(name: TiktokenEncodingName, options?: TiktokenTokenizerOptions): Promise<TiktokenTokenizer> {
  checkName(name);
  const data = dataCache.get(name) ?? encodingData(name, await RANK_IMPORTS[name]());
  return tokenizerFor(name, data, options);
}

/** A custom tiktoken-style encoding for {@link fromTiktokenRanks}. */
export interface TiktokenRanksSpec extends TiktokenTokenizerOptions {
  /**
   * Mergeable ranks: the text of a `.tiktoken` file (`<base64 token> <rank>` per line), or
   * `[tokenBytes, rank]` pairs (a `Map` works). Every single byte should be a token.
   */
  ranks: string | Iterable<readonly [Uint8Array | string, number]>;
  /** Pre-tokenization pattern in tiktoken (Rust regex) syntax, e.g. `TIKTOKEN_PATTERNS.cl100k`. */
  pattern: string;
  /** Special tokens and their ids. */
  specialTokens?: Record<string, number> | ReadonlyMap<string, number>;
  /** Name used in messages. Default 'custom'. */
  name?: string;
}

/**
 * A tokenizer for a custom tiktoken-style encoding. String token keys in `ranks` pairs are
 * UTF-8 encoded; `Uint8Array` keys are taken as raw bytes.
 * @throws TokenizerFormatError (`tokenizer_format`) for malformed ranks, duplicate tokens/ranks or an unsupported pattern.
 * @throws InvalidArgumentError (`invalid_argument`) for malformed options.
 * @example
 * const enc = fromTiktokenRanks({ ranks: readFileSync('my.tiktoken', 'utf8'), pattern: TIKTOKEN_PATTERNS.cl100k, specialTokens: { '<|endoftext|>': 100257 } });
 */
export function fromTiktokenRanks(spec: TiktokenRanksSpec): TiktokenTokenizer {
  if (spec === null || typeof spec !== 'object')
    throw new InvalidArgumentError('fromTiktokenRanks expects an object { ranks, pattern, specialTokens? }.');
  if (typeof spec.pattern !== 'string')
    throw new InvalidArgumentError('fromTiktokenRanks: pattern must be a string (tiktoken regex syntax).');
  let ranks: ByteRanks;
  if (typeof spec.ranks === 'string') ranks = parseTiktokenBpeFileToByteRanks(spec.ranks);
  else if (spec.ranks !== null && typeof spec.ranks === 'object' && Symbol.iterator in spec.ranks) {
    const tokens: string[] = [];
    const values: number[] = [];
    let i = 0;
    for (const entry of spec.ranks) {
      const [token, rank] = entry;
      if (!Number.isInteger(rank) || rank < 0)
        throw new TokenizerFormatError(`Rank ${String(rank)} is not a non-negative integer.`, `ranks[${i}]`);
      if (token instanceof Uint8Array) tokens.push(bytesToByteString(token));
      else if (typeof token === 'string') tokens.push(utf8ByteString(token));
      else throw new TokenizerFormatError('A token must be a Uint8Array or a string.', `ranks[${i}]`);
      if (tokens[tokens.length - 1].length === 0) throw new TokenizerFormatError('A token is empty.', `ranks[${i}]`);
      values.push(rank);
      i++;
    }
    ranks = { tokens, ranks: values };
  } else throw new InvalidArgumentError('fromTiktokenRanks: ranks must be .tiktoken file text or an iterable of [bytes, rank].');
  const specials = spec.specialTokens instanceof Map ? spec.specialTokens : new Map(Object.entries(spec.specialTokens ?? {}));
  return new TiktokenTokenizer({ name: spec.name ?? 'custom', pattern: spec.pattern, ranks, specialTokens: specials }, spec);
}
