// A test double: the Tokenizer interface over the npm `tiktoken` package (wasm, the reference),
// used by the chat and streaming tests so they do not depend on our own encoders.
import { get_encoding, type Tiktoken, type TiktokenEncoding } from 'tiktoken';
import type { DecodeOptions, Encoding, EncodeOptions, Tokenizer } from '../src/types.js';

const encoder = new TextEncoder();

function allowed(option: EncodeOptions['allowedSpecial']): 'all' | string[] {
  if (option === undefined) return [];
  return option === 'all' ? 'all' : [...option];
}

export class TiktokenDouble implements Tokenizer {
  readonly vocabSize: number;
  readonly specialTokens: ReadonlyMap<string, number>;
  private readonly enc: Tiktoken;
  private readonly specialIds: Set<number>;
  /** Counts decode calls, to check the streaming decoder's cost. */
  decodeCalls = 0;
  decodedIds = 0;

  constructor(readonly name: TiktokenEncoding) {
    this.enc = get_encoding(name);
    const specials = new Map<string, number>();
    for (const token of name === 'cl100k_base'
      ? ['<|endoftext|>', '<|fim_prefix|>', '<|fim_middle|>', '<|fim_suffix|>', '<|endofprompt|>']
      : ['<|endoftext|>', '<|endofprompt|>']) {
      specials.set(token, this.enc.encode(token, 'all')[0]!);
    }
    this.specialTokens = specials;
    this.specialIds = new Set(specials.values());
    this.vocabSize = Math.max(...specials.values()) + 1;
  }

  encode(text: string, options?: EncodeOptions): number[] {
    return Array.from(this.enc.encode(text, allowed(options?.allowedSpecial), []));
  }

  encodeWithOffsets(text: string, options?: EncodeOptions): Encoding {
    const ids = this.encode(text, options);
    // UTF-8 byte index -> UTF-16 index of the character holding that byte (and its end).
    const charStart: number[] = [];
    const charEnd: number[] = [];
    for (let i = 0; i < text.length; ) {
      const cp = text.codePointAt(i)!;
      const units = cp > 0xffff ? 2 : 1;
      const bytes = encoder.encode(String.fromCodePoint(cp)).length;
      for (let b = 0; b < bytes; b++) {
        charStart.push(i);
        charEnd.push(i + units);
      }
      i += units;
    }
    const offsets: Array<[number, number]> = [];
    const tokens: string[] = [];
    let byte = 0;
    for (const id of ids) {
      const n = this.enc.decode_single_token_bytes(id).length;
      offsets.push([charStart[byte] ?? text.length, charEnd[byte + n - 1] ?? text.length]);
      tokens.push(new TextDecoder().decode(this.enc.decode_single_token_bytes(id)));
      byte += n;
    }
    return { ids, tokens, offsets, specialTokensMask: ids.map((id) => (this.specialIds.has(id) ? 1 : 0)) };
  }

  encodeBatch(texts: string[], options?: EncodeOptions): number[][] {
    return texts.map((t) => this.encode(t, options));
  }

  decode(ids: ArrayLike<number>, options?: DecodeOptions): string {
    this.decodeCalls++;
    this.decodedIds += ids.length;
    let list = Array.from(ids);
    if (options?.skipSpecialTokens) list = list.filter((id) => !this.specialIds.has(id));
    return new TextDecoder('utf-8', { ignoreBOM: true }).decode(this.enc.decode(Uint32Array.from(list)));
  }

  countTokens(text: string, options?: EncodeOptions): number {
    return this.encode(text, options).length;
  }

  tokenToId(token: string): number | undefined {
    const special = this.specialTokens.get(token);
    if (special !== undefined) return special;
    try {
      return this.enc.encode_single_token(encoder.encode(token));
    } catch {
      return undefined;
    }
  }

  idToToken(id: number): string | undefined {
    try {
      return new TextDecoder().decode(this.enc.decode_single_token_bytes(id));
    } catch {
      return undefined;
    }
  }

  /** The bytes of one token, or undefined for an id outside the vocabulary. */
  tokenBytes(id: number): Uint8Array | undefined {
    try {
      return this.enc.decode_single_token_bytes(id);
    } catch {
      return undefined;
    }
  }

  free(): void {
    this.enc.free();
  }
}
