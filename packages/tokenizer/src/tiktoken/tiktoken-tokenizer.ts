import { bytePairMerge, bytePairMergeIdsInto, type RankMap, SMALL_PIECE_MAX_BYTES } from '../bpe/byte-pair-merge.js';
import { PairRankTable } from '../bpe/pair-rank-table.js';
import { DisallowedSpecialTokenError, InvalidArgumentError, TokenizerFormatError, UnknownTokenError } from '../errors.js';
import type { DecodeOptions, EncodeOptions, Encoding, SpecialTokenSet, Tokenizer } from '../types.js';
import { decodeUtf8Strict, type ByteRanks, utf8ByteString } from './ranks.js';
import { AsciiTokenTable } from './ascii-token-table.js';
import { type AsciiScanner, scanCl100k, scanO200k, scanR50k } from './ascii-scanner.js';
import { TIKTOKEN_PATTERNS, tiktokenPatternToRegExp } from './pattern.js';

/** ASCII fast-path scanners for the built-in patterns (a registry keyed by the exact pattern). */
const SCANNERS = new Map<string, AsciiScanner>([
  [TIKTOKEN_PATTERNS.r50k, scanR50k],
  [TIKTOKEN_PATTERNS.cl100k, scanCl100k],
  [TIKTOKEN_PATTERNS.o200k, scanO200k],
]);

/** Everything a {@link TiktokenTokenizer} needs; built once per encoding and shared. */
export interface TiktokenEncodingData {
  readonly name: string;
  /** The pre-tokenization pattern in tiktoken (Rust regex) syntax. */
  readonly pattern: string;
  readonly ranks: ByteRanks;
  readonly specialTokens: ReadonlyMap<string, number>;
}

/** Options of a {@link TiktokenTokenizer}. */
export interface TiktokenTokenizerOptions {
  /**
   * Cache the ids of pieces that needed BPE merges (bounded; cleared when full). Default true.
   * Pass false for uncached behaviour (benchmarks).
   */
  cache?: boolean;
  /** Maximum number of cached pieces. Default 65536. */
  cacheSize?: number;
}

interface SpecialPlan {
  allowed: ReadonlySet<string>;
  allowedRegex: RegExp | undefined;
  disallowed: readonly string[];
}

const CACHE_PIECE_MAX_LENGTH = 64;

/**
 * Id-pair merge tables, shared by all tokenizers over the same rank data. Building one takes
 * ~0.15 s (cl100k) to ~0.4 s (o200k), once, on the first piece that needs merging.
 */
const PAIR_TABLES = new WeakMap<ByteRanks, PairRankTable>();

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/**
 * A byte-level BPE tokenizer with tiktoken's semantics, bit-exact with tiktoken for
 * the OpenAI encodings (`o200k_base`, `cl100k_base`, `p50k_base`, `p50k_edit`,
 * `r50k_base`, `gpt2`) and usable with custom ranks.
 *
 * - Special tokens follow tiktoken: by default none is allowed and all are disallowed, so
 *   text containing one throws {@link DisallowedSpecialTokenError}; `encodeOrdinary` treats them as text.
 * - `decode` replaces invalid UTF-8 with U+FFFD like tiktoken's `decode(errors="replace")`;
 *   `decodeBytes` returns the raw bytes.
 * - Tokens as strings (`idToToken`, `Encoding.tokens`): the token's text when its bytes are valid
 *   UTF-8, else a latin-1 "byte string" with one char per byte (char code = byte value), e.g. a
 *   token holding the first two bytes of "世" (E4 B8) is `"\u00e4\u00b8"` ("ä¸"). `tokenToId`
 *   accepts both forms; when a byte string happens to equal another token's text, the text wins.
 *   Use `decodeTokenBytes` for exact bytes.
 * - Offsets (`encodeWithOffsets`) are UTF-16 spans; a token that starts or ends inside a
 *   multi-byte character gets the whole span of the characters its bytes touch, so neighbouring
 *   tokens that split one character share that character's span.
 * @example
 * const enc = fromTiktoken('cl100k_base');
 * enc.encode('hello world'); // [15339, 1917]
 */
export class TiktokenTokenizer implements Tokenizer {
  readonly name: string;
  readonly vocabSize: number;
  readonly specialTokens: ReadonlyMap<string, number>;
  /** Longest token in bytes. */
  readonly maxTokenLength: number;
  private readonly regex: RegExp;
  /** The same pattern, sticky: matches only at lastIndex (used with the ASCII scanner). */
  private readonly stickyRegex: RegExp;
  private readonly scanner: AsciiScanner | undefined;
  /** ASCII tokens by text span, for pieces the scanner found (built with the scanner). */
  private readonly asciiTokens: AsciiTokenTable | undefined;
  private readonly bytesToRank: Map<string, number>;
  private readonly textToRank: Map<string, number>;
  /** Byte string of every id (ranks and special tokens); undefined for unused ids. */
  private readonly idToBytes: Array<string | undefined>;
  /** Token string of every id (see class docs). */
  private readonly idToText: Array<string | undefined>;
  private readonly specialIds: Set<number>;
  private readonly useCache: boolean;
  private readonly cacheSize: number;
  private readonly cache = new Map<string, number[]>();
  private readonly rankData: ByteRanks;
  /** Built on first use: (left id, right id) -> merged rank, and the id of each single byte. */
  private pairTable: PairRankTable | undefined;
  private byteIds: Int32Array | undefined;
  private allBytesAreTokens = false;
  private readonly specialPlans = new Map<string, SpecialPlan>();
  private readonly defaultPlan: SpecialPlan;
  private allAllowedPlan: SpecialPlan | undefined;

  /**
   * @throws TokenizerFormatError (`tokenizer_format`) for duplicate tokens or ranks, a special id
   * that is also a rank, or an unsupported pattern.
   */
  constructor(data: TiktokenEncodingData, options: TiktokenTokenizerOptions = {}) {
    this.name = data.name;
    this.regex = tiktokenPatternToRegExp(data.pattern);
    this.stickyRegex = new RegExp(this.regex.source, 'uy');
    this.scanner = SCANNERS.get(data.pattern);
    this.useCache = options.cache ?? true;
    this.cacheSize = options.cacheSize ?? 65536;
    const { tokens, ranks } = data.ranks;
    this.rankData = data.ranks;
    const bytesToRank = new Map<string, number>();
    const textToRank = new Map<string, number>();
    const idToBytes: Array<string | undefined> = [];
    const idToText: Array<string | undefined> = [];
    const asciiKeys: string[] = [];
    const asciiIds: number[] = [];
    let maxId = -1;
    let maxTokenLength = 0;
    for (let i = 0; i < tokens.length; i++) {
      const bytes = tokens[i];
      const rank = ranks[i];
      if (bytesToRank.has(bytes)) {
        throw new TokenizerFormatError(
          `Duplicate token (rank ${rank} and ${bytesToRank.get(bytes)}) in encoding ${data.name}.`,
          `ranks[${i}]`
        );
      }
      if (idToBytes[rank] !== undefined) {
        throw new TokenizerFormatError(`Duplicate rank ${rank} in encoding ${data.name}.`, `ranks[${i}]`);
      }
      bytesToRank.set(bytes, rank);
      idToBytes[rank] = bytes;
      const text = decodeUtf8Strict(bytes);
      if (text !== undefined) textToRank.set(text, rank);
      if (text === bytes) {
        // decodeUtf8Strict returns its input exactly when it is ASCII
        asciiKeys.push(bytes);
        asciiIds.push(rank);
      }
      idToText[rank] = text ?? bytes;
      if (rank > maxId) maxId = rank;
      if (bytes.length > maxTokenLength) maxTokenLength = bytes.length;
    }
    const specialTokens = new Map<string, number>();
    const specialIds = new Set<number>();
    for (const [token, id] of data.specialTokens) {
      if (!Number.isInteger(id) || id < 0)
        throw new TokenizerFormatError(`Special token ${JSON.stringify(token)} has an invalid id ${id}.`, `specialTokens.${token}`);
      if (idToBytes[id] !== undefined) {
        throw new TokenizerFormatError(
          `Special token ${JSON.stringify(token)} has id ${id}, which is already a rank.`,
          `specialTokens.${token}`
        );
      }
      if (token === '') throw new TokenizerFormatError('A special token is the empty string.', 'specialTokens');
      specialTokens.set(token, id);
      specialIds.add(id);
      idToBytes[id] = utf8ByteString(token);
      idToText[id] = token;
      if (id > maxId) maxId = id;
    }
    this.bytesToRank = bytesToRank;
    this.textToRank = textToRank;
    this.idToBytes = idToBytes;
    this.idToText = idToText;
    this.specialTokens = specialTokens;
    this.specialIds = specialIds;
    this.maxTokenLength = maxTokenLength;
    this.vocabSize = maxId + 1;
    this.asciiTokens = this.scanner === undefined ? undefined : new AsciiTokenTable(asciiKeys, asciiIds);
    this.defaultPlan = this.buildPlan(new Set(), [...specialTokens.keys()]);
  }

  /**
   * Encodes text with tiktoken's special-token rules (see the class docs).
   * @throws DisallowedSpecialTokenError (`disallowed_special_token`) naming the first disallowed special token found.
   * @throws InvalidArgumentError (`invalid_argument`) for malformed options.
   * @example enc.encode('<|endoftext|>', { allowedSpecial: 'all' }) // [100257]
   */
  encode(text: string, options?: EncodeOptions): number[] {
    const plan = this.plan(options);
    this.checkDisallowed(text, plan);
    const out: number[] = [];
    if (plan.allowedRegex === undefined) {
      this.encodeOrdinaryInto(text, out);
      return out;
    }
    const re = plan.allowedRegex;
    re.lastIndex = 0;
    let start = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(text)) !== null) {
      if (m.index > start) this.encodeOrdinaryInto(text.slice(start, m.index), out);
      out.push(this.specialTokens.get(m[0]) as number);
      start = m.index + m[0].length;
    }
    if (start < text.length) this.encodeOrdinaryInto(start === 0 ? text : text.slice(start), out);
    return out;
  }

  /**
   * Encodes text treating special tokens as ordinary text (tiktoken's `encode_ordinary`).
   * @example enc.encodeOrdinary('<|endoftext|>').length > 1 // true
   */
  encodeOrdinary(text: string): number[] {
    const out: number[] = [];
    this.encodeOrdinaryInto(text, out);
    return out;
  }

  /** Encodes each text; see {@link TiktokenTokenizer.encode}. */
  encodeBatch(texts: string[], options?: EncodeOptions): number[][] {
    return texts.map((text) => this.encode(text, options));
  }

  /** Number of tokens `encode(text, options)` returns. */
  countTokens(text: string, options?: EncodeOptions): number {
    return this.encode(text, options).length;
  }

  /**
   * Encodes with tokens, UTF-16 offsets and the special-tokens mask (1 for special tokens).
   * See the class docs for tokens that split a character.
   * @throws DisallowedSpecialTokenError (`disallowed_special_token`)
   */
  encodeWithOffsets(text: string, options?: EncodeOptions): Encoding {
    const plan = this.plan(options);
    this.checkDisallowed(text, plan);
    const result: Encoding = { ids: [], tokens: [], offsets: [], specialTokensMask: [] };
    const ordinary = (from: number, to: number): void => {
      const re = this.regex;
      const segment = text.slice(from, to);
      re.lastIndex = 0;
      let m: RegExpExecArray | null;
      while ((m = re.exec(segment)) !== null) {
        const piece = m[0];
        if (piece === '') {
          re.lastIndex += 1;
          continue;
        }
        this.pieceWithOffsets(piece, from + m.index, result);
      }
    };
    let start = 0;
    if (plan.allowedRegex !== undefined) {
      const re = plan.allowedRegex;
      re.lastIndex = 0;
      let m: RegExpExecArray | null;
      while ((m = re.exec(text)) !== null) {
        if (m.index > start) ordinary(start, m.index);
        const id = this.specialTokens.get(m[0]) as number;
        result.ids.push(id);
        result.tokens.push(m[0]);
        result.offsets.push([m.index, m.index + m[0].length]);
        result.specialTokensMask.push(1);
        start = m.index + m[0].length;
      }
    }
    if (start < text.length) ordinary(start, text.length);
    return result;
  }

  /**
   * Decodes ids to text; invalid UTF-8 (e.g. a cut multi-byte character) becomes U+FFFD,
   * like tiktoken's `decode` with `errors="replace"`.
   * @throws UnknownTokenError (`unknown_token`) for an id outside the vocabulary.
   */
  decode(ids: ArrayLike<number>, options?: DecodeOptions): string {
    let list = ids;
    if (options?.skipSpecialTokens) list = Array.prototype.filter.call(ids, (id: number) => !this.specialIds.has(id)) as number[];
    return new TextDecoder('utf-8').decode(this.decodeBytes(list));
  }

  /**
   * Decodes ids to their raw bytes (tiktoken's `decode_bytes`).
   * @throws UnknownTokenError (`unknown_token`) for an id outside the vocabulary.
   */
  decodeBytes(ids: ArrayLike<number>): Uint8Array {
    let total = 0;
    const idToBytes = this.idToBytes;
    for (let i = 0; i < ids.length; i++) {
      const bytes = idToBytes[ids[i]];
      if (bytes === undefined) throw this.unknownId(ids[i]);
      total += bytes.length;
    }
    const out = new Uint8Array(total);
    let k = 0;
    for (let i = 0; i < ids.length; i++) {
      const bytes = idToBytes[ids[i]] as string;
      for (let j = 0; j < bytes.length; j++) out[k++] = bytes.charCodeAt(j);
    }
    return out;
  }

  /**
   * The bytes of one token (tiktoken's `decode_single_token_bytes`).
   * @throws UnknownTokenError (`unknown_token`)
   */
  decodeTokenBytes(id: number): Uint8Array {
    return this.decodeBytes([id]);
  }

  /** Id of a token given as its text, a latin-1 byte string (see class docs) or a special token. */
  tokenToId(token: string): number | undefined {
    return this.textToRank.get(token) ?? this.specialTokens.get(token) ?? this.bytesToRank.get(token);
  }

  /** Token string of an id (UTF-8 text, or latin-1 bytes when not valid UTF-8); undefined when unknown. */
  idToToken(id: number): string | undefined {
    return Number.isInteger(id) && id >= 0 ? this.idToText[id] : undefined;
  }

  /** Clears the piece cache. */
  clearCache(): void {
    this.cache.clear();
  }

  // ---------------------------------------------------------------- internals

  private unknownId(id: number): UnknownTokenError {
    return new UnknownTokenError(`Token id ${id} is not in the ${this.name} vocabulary (size ${this.vocabSize}).`);
  }

  private encodeOrdinaryInto(text: string, out: number[]): void {
    const scan = this.scanner;
    if (scan === undefined) {
      this.encodeOrdinaryWithRegex(text, out);
      return;
    }
    // The built-in patterns match every character, so pieces are contiguous: the ASCII scanner
    // finds most of them and the sticky regex the rest (see ascii-scanner.ts).
    const sticky = this.stickyRegex;
    const textToRank = this.textToRank;
    const asciiTokens = this.asciiTokens as AsciiTokenTable;
    const n = text.length;
    let pos = 0;
    while (pos < n) {
      let end = scan(text, pos, n);
      if (end >= 0) {
        // an ASCII piece: look it up without slicing
        const id = asciiTokens.find(text, pos, end);
        if (id >= 0) {
          out.push(id);
          pos = end;
          continue;
        }
      } else {
        sticky.lastIndex = pos;
        if (!sticky.test(text) || sticky.lastIndex === pos) {
          // cannot happen for the built-in patterns; stay exact by deferring to the regex loop
          this.encodeOrdinaryWithRegex(text.slice(pos), out);
          return;
        }
        end = sticky.lastIndex;
      }
      const piece = text.slice(pos, end);
      pos = end;
      const rank = textToRank.get(piece);
      if (rank !== undefined) out.push(rank);
      else this.encodePiece(piece, out);
    }
  }

  private encodeOrdinaryWithRegex(text: string, out: number[]): void {
    const re = this.regex;
    const textToRank = this.textToRank;
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(text)) !== null) {
      const piece = m[0];
      const rank = textToRank.get(piece);
      if (rank !== undefined) {
        out.push(rank);
        continue;
      }
      if (piece === '') {
        re.lastIndex += 1;
        continue;
      }
      this.encodePiece(piece, out);
    }
  }

  private encodePiece(piece: string, out: number[]): void {
    const cacheable = this.useCache && piece.length <= CACHE_PIECE_MAX_LENGTH;
    if (cacheable) {
      const cached = this.cache.get(piece);
      if (cached !== undefined) {
        for (let i = 0; i < cached.length; i++) out.push(cached[i]);
        return;
      }
    }
    const bytes = utf8ByteString(piece);
    const ranks = this.bytesToRank;
    const whole = ranks.get(bytes);
    if (whole !== undefined) {
      out.push(whole);
      return;
    }
    const start = out.length;
    if (bytes.length <= SMALL_PIECE_MAX_BYTES && this.mergeTables()) {
      bytePairMergeIdsInto(bytes, this.byteIds as Int32Array, this.pairTable as PairRankTable, out);
      if (cacheable) {
        if (this.cache.size >= this.cacheSize) this.cache.clear();
        this.cache.set(piece, out.slice(start));
      }
      return;
    }
    const bounds = bytePairMerge(bytes, ranks as RankMap, this.maxTokenLength);
    for (let i = 0; i + 1 < bounds.length; i++) {
      const rank = ranks.get(bytes.substring(bounds[i], bounds[i + 1]));
      if (rank === undefined) throw this.missingBytes(bytes.substring(bounds[i], bounds[i + 1]));
      out.push(rank);
    }
    if (cacheable) {
      if (this.cache.size >= this.cacheSize) this.cache.clear();
      this.cache.set(piece, out.slice(start));
    }
  }

  /** Builds the id-pair merge table on first use; false when some single byte is not a token. */
  private mergeTables(): boolean {
    if (this.byteIds === undefined) {
      const byteIds = new Int32Array(256).fill(-1);
      let all = true;
      for (let b = 0; b < 256; b++) {
        const id = this.bytesToRank.get(String.fromCharCode(b));
        if (id === undefined) all = false;
        else byteIds[b] = id;
      }
      this.byteIds = byteIds;
      this.allBytesAreTokens = all;
      if (all) {
        let table = PAIR_TABLES.get(this.rankData);
        if (table === undefined) {
          const ranks = this.bytesToRank;
          table = new PairRankTable(this.rankData.tokens, this.rankData.ranks, (bytes) => ranks.get(bytes));
          PAIR_TABLES.set(this.rankData, table);
        }
        this.pairTable = table;
      }
    }
    return this.allBytesAreTokens;
  }

  private missingBytes(bytes: string): TokenizerFormatError {
    const hex = Array.from(bytes, (c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join(' ');
    return new TokenizerFormatError(`The ${this.name} ranks cannot encode the bytes [${hex}]: every single byte must be a token.`, 'ranks');
  }

  private pieceWithOffsets(piece: string, at: number, result: Encoding): void {
    const ids: number[] = [];
    const rank = this.textToRank.get(piece);
    if (rank !== undefined) ids.push(rank);
    else this.encodePiece(piece, ids);
    if (ids.length === 1) {
      result.ids.push(ids[0]);
      result.tokens.push(this.idToText[ids[0]] as string);
      result.offsets.push([at, at + piece.length]);
      result.specialTokensMask.push(0);
      return;
    }
    // Map each byte of the piece to the UTF-16 span of its character.
    const charStart: number[] = [];
    const charEnd: number[] = [];
    for (let i = 0; i < piece.length; ) {
      const cp = piece.codePointAt(i) as number;
      const units = cp > 0xffff ? 2 : 1;
      const isLoneSurrogate = cp >= 0xd800 && cp <= 0xdfff;
      const nBytes = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 || isLoneSurrogate ? 3 : 4;
      for (let b = 0; b < nBytes; b++) {
        charStart.push(at + i);
        charEnd.push(at + i + units);
      }
      i += units;
    }
    let byte = 0;
    for (const id of ids) {
      const length = (this.idToBytes[id] as string).length;
      result.ids.push(id);
      result.tokens.push(this.idToText[id] as string);
      result.offsets.push([charStart[byte], charEnd[byte + length - 1]]);
      result.specialTokensMask.push(0);
      byte += length;
    }
  }

  private checkDisallowed(text: string, plan: SpecialPlan): void {
    const disallowed = plan.disallowed;
    if (disallowed.length === 0) return;
    let first = -1;
    let found = '';
    for (let i = 0; i < disallowed.length; i++) {
      const at = text.indexOf(disallowed[i]);
      if (at >= 0 && (first < 0 || at < first || (at === first && disallowed[i].length > found.length))) {
        first = at;
        found = disallowed[i];
      }
    }
    if (first >= 0) throw new DisallowedSpecialTokenError(found);
  }

  private plan(options: EncodeOptions | undefined): SpecialPlan {
    const allowedOption = options?.allowedSpecial;
    const disallowedOption = options?.disallowedSpecial;
    if (disallowedOption === undefined || disallowedOption === 'all') {
      if (allowedOption === undefined) return this.defaultPlan;
      if (allowedOption === 'all') return (this.allAllowedPlan ??= this.buildPlan(new Set(this.specialTokens.keys()), []));
    }
    const all = [...this.specialTokens.keys()];
    const toList = (value: SpecialTokenSet, name: string): string[] => {
      if (value === 'all') return all;
      if (typeof value === 'string' || value === null || typeof (value as Iterable<string>)[Symbol.iterator] !== 'function') {
        throw new InvalidArgumentError(`${name} must be 'all' or an iterable of special-token strings, got ${JSON.stringify(value)}.`);
      }
      const list = [...value];
      for (const token of list) {
        if (typeof token !== 'string') throw new InvalidArgumentError(`${name} must contain strings, got ${JSON.stringify(token)}.`);
      }
      return list;
    };
    const allowed = allowedOption === undefined ? [] : toList(allowedOption, 'allowedSpecial');
    const allowedSet = new Set(allowed.filter((t) => this.specialTokens.has(t)));
    const disallowed =
      disallowedOption === undefined || disallowedOption === 'all'
        ? all.filter((t) => !allowedSet.has(t))
        : toList(disallowedOption, 'disallowedSpecial');
    const key = JSON.stringify([[...allowedSet].sort(), [...disallowed].sort()]);
    let plan = this.specialPlans.get(key);
    if (plan === undefined) {
      plan = this.buildPlan(allowedSet, disallowed);
      if (this.specialPlans.size > 64) this.specialPlans.clear();
      this.specialPlans.set(key, plan);
    }
    return plan;
  }

  private buildPlan(allowed: Set<string>, disallowed: string[]): SpecialPlan {
    const sorted = [...allowed].sort((a, b) => b.length - a.length);
    return {
      allowed,
      allowedRegex: sorted.length === 0 ? undefined : new RegExp(sorted.map(escapeRegExp).join('|'), 'gu'),
      disallowed: disallowed.filter((t) => t !== ''),
    };
  }
}
