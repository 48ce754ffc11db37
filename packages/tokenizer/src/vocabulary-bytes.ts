/**
 * The raw bytes of every token of a vocabulary, for byte-level constrained decoding
 * (`regexConstraint` / `jsonSchemaConstraint` in @llmkit/sampling walk a byte trie of these).
 */
import { InvalidArgumentError } from './errors.js';
import { CHAR_TO_BYTE } from './huggingface/byte-level.js';
import type { Tokenizer } from './types.js';

const EMPTY = new Uint8Array(0);
const utf8 = new TextEncoder();
const BYTE_FALLBACK = /^<0x([0-9A-Fa-f]{2})>$/;

/** How one kind of tokenizer spells bytes in its token strings. */
interface TokenDecoding {
  /** GPT-2 / Llama 3 byte-level alphabet (each char stands for one byte). */
  byteLevel: boolean;
  /** SentencePiece `<0xNN>` tokens stand for byte NN. */
  byteFallback: boolean;
  /** String replacements applied to each token in order (Metaspace `▁` -> ' ', Replace decoders). */
  replacements: Array<[string, string]>;
  /** WordPiece continuation prefix (`##`): stripped; other tokens get a leading space. */
  wordPiecePrefix?: string;
  /** BPEDecoder end-of-word suffix (`</w>`), replaced by a space. */
  endOfWordSuffix?: string;
}

function flattenDecoders(decoder: unknown, out: Array<Record<string, unknown>>): void {
  if (decoder === null || typeof decoder !== 'object') return;
  const d = decoder as Record<string, unknown>;
  if (d.type === 'Sequence' && Array.isArray(d.decoders)) {
    for (const inner of d.decoders) flattenDecoders(inner, out);
    return;
  }
  out.push(d);
}

function decodingOf(hfJson: Record<string, unknown>): TokenDecoding {
  const list: Array<Record<string, unknown>> = [];
  flattenDecoders(hfJson.decoder, list);
  const result: TokenDecoding = { byteLevel: false, byteFallback: false, replacements: [] };
  for (const d of list) {
    switch (d.type) {
      case 'ByteLevel':
        result.byteLevel = true;
        break;
      case 'ByteFallback':
        result.byteFallback = true;
        break;
      case 'Metaspace':
        result.replacements.push([typeof d.replacement === 'string' ? d.replacement : '▁', ' ']);
        break;
      case 'Replace': {
        const pattern = d.pattern as Record<string, unknown> | undefined;
        if (pattern && typeof pattern.String === 'string' && typeof d.content === 'string') result.replacements.push([pattern.String, d.content]);
        break;
      }
      case 'WordPiece':
        result.wordPiecePrefix = typeof d.prefix === 'string' ? d.prefix : '##';
        break;
      case 'BPEDecoder':
        result.endOfWordSuffix = typeof d.suffix === 'string' ? d.suffix : '</w>';
        break;
      default:
        // Fuse, Strip, CTC...: they act on the whole text (joining, trimming its start), not on one token's bytes.
        break;
    }
  }
  // A tokenizer.json without a decoder but with a ByteLevel pre-tokenizer still spells bytes in the byte-level alphabet.
  if (!result.byteLevel && list.length === 0) {
    const pre: Array<Record<string, unknown>> = [];
    const collect = (p: unknown): void => {
      if (p === null || typeof p !== 'object') return;
      const o = p as Record<string, unknown>;
      if (o.type === 'Sequence' && Array.isArray(o.pretokenizers)) o.pretokenizers.forEach(collect);
      else pre.push(o);
    };
    collect(hfJson.pre_tokenizer);
    result.byteLevel = pre.some((p) => p.type === 'ByteLevel');
  }
  return result;
}

function tokenStringBytes(token: string, decoding: TokenDecoding): Uint8Array {
  if (decoding.byteFallback) {
    const m = BYTE_FALLBACK.exec(token);
    if (m) return Uint8Array.of(parseInt(m[1]!, 16));
  }
  if (decoding.byteLevel) {
    const bytes = new Uint8Array(token.length);
    let ok = true;
    for (let i = 0; i < token.length; i++) {
      const b = CHAR_TO_BYTE.get(token.charCodeAt(i));
      if (b === undefined) {
        ok = false;
        break;
      }
      bytes[i] = b;
    }
    // As the ByteLevel decoder: a token with a char outside the alphabet is taken as UTF-8 text.
    if (ok) return bytes;
    return utf8.encode(token);
  }
  let text = token;
  if (decoding.wordPiecePrefix !== undefined) {
    text = text.startsWith(decoding.wordPiecePrefix) ? text.slice(decoding.wordPiecePrefix.length) : ` ${text}`;
  }
  if (decoding.endOfWordSuffix !== undefined) text = text.replaceAll(decoding.endOfWordSuffix, ' ');
  for (const [from, to] of decoding.replacements) text = text.split(from).join(to);
  return utf8.encode(text);
}

interface WithHfJson {
  toHuggingFaceJSON(): unknown;
}
interface WithTokenBytes {
  decodeTokenBytes(id: number): Uint8Array;
}

/**
 * The raw bytes each token id stands for, indexed by id (`length === tokenizer.vocabSize`): what
 * byte-level constrained decoding needs (`jsonSchemaConstraint(schema, tokenBytes(tok), { eosTokenId })`).
 *
 * - tiktoken tokenizers: the token's bytes as ranked (`decodeTokenBytes`).
 * - Byte-level BPE (GPT-2, Llama 3, Qwen, `trainBpe`): the token string mapped back through the
 *   byte-level alphabet (the inverse of GPT-2's `bytes_to_unicode`).
 * - SentencePiece-style (Llama 2, Gemma, Mistral): `<0xNN>` byte-fallback tokens give byte NN; other
 *   tokens are their UTF-8 text with the Metaspace `▁` (or the decoder's `Replace` pattern) turned into
 *   a space. The leading space a Metaspace decoder strips at the very start of a text is kept, so
 *   the bytes of `encode(text)` spell `' ' + text` when the normalizer prepends `▁`.
 * - Special tokens, and ids the vocabulary does not use, give an empty array (they spell no text).
 *
 * Concatenating `tokenBytes(tok)[id]` over `tok.encode(text, { addSpecialTokens: false })` gives the
 * UTF-8 bytes of the text the model saw (after normalisation).
 *
 * @param tokenizer Any llmkit tokenizer.
 * @returns One `Uint8Array` per id; do not mutate (entries may share an empty array).
 * @throws InvalidArgumentError (`invalid_argument`) when `tokenizer` is not a tokenizer (no `vocabSize` / `idToToken`).
 * @example
 * const tok = Tokenizer.fromTiktoken('cl100k_base');
 * const vocab = tokenBytes(tok);
 * new TextDecoder().decode(vocab[tok.encode('hello')[0]!]); // 'hello'
 */
export function tokenBytes(tokenizer: Tokenizer): Uint8Array[] {
  if (
    tokenizer === null ||
    typeof tokenizer !== 'object' ||
    !Number.isInteger(tokenizer.vocabSize) ||
    tokenizer.vocabSize < 0 ||
    typeof tokenizer.idToToken !== 'function'
  ) {
    throw new InvalidArgumentError('tokenBytes(tokenizer): pass an llmkit Tokenizer (from fromHuggingFace, fromTiktoken or trainBpe).');
  }
  const size = tokenizer.vocabSize;
  const special = new Set(tokenizer.specialTokens?.values() ?? []);
  const out: Uint8Array[] = new Array<Uint8Array>(size);

  const byId = tokenizer as unknown as Partial<WithTokenBytes>;
  if (typeof byId.decodeTokenBytes === 'function') {
    for (let id = 0; id < size; id++) {
      if (special.has(id) || tokenizer.idToToken(id) === undefined) {
        out[id] = EMPTY;
        continue;
      }
      out[id] = byId.decodeTokenBytes(id);
    }
    return out;
  }

  const hf = tokenizer as unknown as Partial<WithHfJson>;
  const json = typeof hf.toHuggingFaceJSON === 'function' ? (hf.toHuggingFaceJSON() as Record<string, unknown>) : {};
  const decoding = decodingOf(json);
  for (let id = 0; id < size; id++) {
    const token = special.has(id) ? undefined : tokenizer.idToToken(id);
    out[id] = token === undefined || token.length === 0 ? EMPTY : tokenStringBytes(token, decoding);
  }
  return out;
}
