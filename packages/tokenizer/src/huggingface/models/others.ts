/** WordPiece, WordLevel and Unigram models. */
import { asArray, asNumber, asString, formatError, optBoolean, optNumber, optString, type JsonObject } from '../json.js';
import { readVocab, type Model } from './model.js';

const encoder = new TextEncoder();
const HEX = Array.from({ length: 256 }, (_, b) => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);

function vocabToJSON(vocab: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of vocab) out[k] = v;
  return out;
}

/** Greedy longest-match-first WordPiece (BERT). */
export class WordPieceModel implements Model {
  readonly size: number;
  private readonly unkId: number;
  constructor(
    private readonly vocab: Map<string, number>,
    private readonly tokens: string[],
    private readonly unkToken: string,
    private readonly prefix: string,
    private readonly maxChars: number,
    path: string,
  ) {
    this.size = tokens.length;
    const u = vocab.get(unkToken);
    if (u === undefined) formatError(`${path}.unk_token`, `unk_token ${JSON.stringify(unkToken)} is not in the vocabulary`);
    this.unkId = u;
  }
  static fromJSON(json: JsonObject, path: string): WordPieceModel {
    const { vocab, tokens } = readVocab(json.vocab, `${path}.vocab`, formatError);
    return new WordPieceModel(
      vocab,
      tokens,
      optString(json, 'unk_token', path, '[UNK]')!,
      optString(json, 'continuing_subword_prefix', path, '##')!,
      optNumber(json, 'max_input_chars_per_word', path, 100),
      path,
    );
  }
  tokenToId(token: string) {
    return this.vocab.get(token);
  }
  idToToken(id: number) {
    return this.tokens[id];
  }
  toJSON() {
    return { type: 'WordPiece', unk_token: this.unkToken, continuing_subword_prefix: this.prefix, max_input_chars_per_word: this.maxChars, vocab: vocabToJSON(this.vocab) };
  }
  tokenize(text: string, ids: number[], spans: number[] | null): void {
    let chars = 0;
    for (let i = 0; i < text.length; i++) if ((text.charCodeAt(i) & 0xfc00) !== 0xdc00) chars++;
    if (chars > this.maxChars) {
      ids.push(this.unkId);
      spans?.push(0, text.length);
      return;
    }
    const outIds: number[] = [];
    const outSpans: number[] = [];
    let start = 0;
    while (start < text.length) {
      let end = text.length;
      let found = -1;
      while (start < end) {
        let sub = text.slice(start, end);
        if (start > 0) sub = this.prefix + sub;
        const id = this.vocab.get(sub);
        if (id !== undefined) {
          found = id;
          break;
        }
        end--;
        if (end > start && (text.charCodeAt(end) & 0xfc00) === 0xdc00) end--;
      }
      if (found < 0) {
        ids.push(this.unkId);
        spans?.push(0, text.length);
        return;
      }
      outIds.push(found);
      outSpans.push(start, end);
      start = end;
    }
    for (const id of outIds) ids.push(id);
    if (spans) for (const s of outSpans) spans.push(s);
  }
}

/** Whole-piece lookup. */
export class WordLevelModel implements Model {
  readonly size: number;
  private readonly unkId: number | undefined;
  constructor(
    private readonly vocab: Map<string, number>,
    private readonly tokens: string[],
    private readonly unkToken: string,
  ) {
    this.size = tokens.length;
    this.unkId = vocab.get(unkToken);
  }
  static fromJSON(json: JsonObject, path: string): WordLevelModel {
    const { vocab, tokens } = readVocab(json.vocab, `${path}.vocab`, formatError);
    return new WordLevelModel(vocab, tokens, optString(json, 'unk_token', path, '<unk>')!);
  }
  tokenToId(token: string) {
    return this.vocab.get(token);
  }
  idToToken(id: number) {
    return this.tokens[id];
  }
  toJSON() {
    return { type: 'WordLevel', vocab: vocabToJSON(this.vocab), unk_token: this.unkToken };
  }
  tokenize(text: string, ids: number[], spans: number[] | null): void {
    const id = this.vocab.get(text) ?? this.unkId;
    if (id === undefined) formatError('$.model.unk_token', `WordLevel: ${JSON.stringify(text)} is not in the vocabulary and unk_token ${JSON.stringify(this.unkToken)} is missing`);
    ids.push(id);
    spans?.push(0, text.length);
  }
}

interface TrieNode {
  children: Map<number, TrieNode>;
  id: number;
}

/** Unigram language model, Viterbi segmentation over code points (HF's encode_optimized). */
export class UnigramModel implements Model {
  readonly size: number;
  private readonly vocab = new Map<string, number>();
  private readonly minScore: number;
  private readonly root: TrieNode = { children: new Map(), id: -1 };
  private readonly cache = new Map<string, string[]>();
  constructor(
    private readonly pieces: Array<[string, number]>,
    private readonly unkId: number | null,
    private readonly byteFallback: boolean,
    path: string,
  ) {
    this.size = pieces.length;
    let min = Infinity;
    for (let id = 0; id < pieces.length; id++) {
      const [piece, score] = pieces[id]!;
      if (!this.vocab.has(piece)) this.vocab.set(piece, id);
      if (score < min) min = score;
      let node = this.root;
      for (let i = 0; i < piece.length; i++) {
        const c = piece.charCodeAt(i);
        let child = node.children.get(c);
        if (!child) {
          child = { children: new Map(), id: -1 };
          node.children.set(c, child);
        }
        node = child;
      }
      if (node.id < 0) node.id = id;
    }
    this.minScore = min;
    if (unkId !== null && (unkId < 0 || unkId >= pieces.length)) formatError(`${path}.unk_id`, `unk_id ${unkId} is out of range`);
  }
  static fromJSON(json: JsonObject, path: string): UnigramModel {
    const raw = asArray(json.vocab, `${path}.vocab`);
    const pieces: Array<[string, number]> = raw.map((entry, i) => {
      const e = asArray(entry, `${path}.vocab[${i}]`);
      return [asString(e[0], `${path}.vocab[${i}][0]`), asNumber(e[1], `${path}.vocab[${i}][1]`)];
    });
    const unk = json.unk_id === undefined || json.unk_id === null ? null : asNumber(json.unk_id, `${path}.unk_id`);
    return new UnigramModel(pieces, unk, optBoolean(json, 'byte_fallback', path, false), path);
  }
  tokenToId(token: string) {
    return this.vocab.get(token);
  }
  idToToken(id: number) {
    return this.pieces[id]?.[0];
  }
  toJSON() {
    return { type: 'Unigram', unk_id: this.unkId, vocab: this.pieces.map(([p, s]) => [p, s]), byte_fallback: this.byteFallback };
  }

  private segment(text: string): string[] {
    const cached = this.cache.get(text);
    if (cached) return cached;
    const n = text.length;
    const unkScore = this.minScore - 10;
    const bestScore = new Float64Array(n + 1);
    const bestStart = new Int32Array(n + 1).fill(-1);
    const bestId = new Int32Array(n + 1).fill(-1);
    bestStart[0] = 0;
    for (let start = 0; start < n; ) {
      if (bestStart[start]! < 0 && start > 0) {
        start++;
        continue;
      }
      const base = bestScore[start]!;
      const w = text.codePointAt(start)! > 0xffff ? 2 : 1;
      let hasSingle = false;
      let node: TrieNode | undefined = this.root;
      for (let k = start; k < n; k++) {
        node = node.children.get(text.charCodeAt(k));
        if (!node) break;
        if (node.id >= 0) {
          const end = k + 1;
          // only accept ends on code point boundaries
          if (end < n && (text.charCodeAt(end) & 0xfc00) === 0xdc00) continue;
          const cand = base + this.pieces[node.id]![1];
          if (bestStart[end]! < 0 || cand > bestScore[end]!) {
            bestScore[end] = cand;
            bestStart[end] = start;
            bestId[end] = node.id;
          }
          if (end === start + w) hasSingle = true;
        }
      }
      if (!hasSingle) {
        const end = start + w;
        const cand = base + unkScore;
        if (bestStart[end]! < 0 || cand > bestScore[end]!) {
          bestScore[end] = cand;
          bestStart[end] = start;
          bestId[end] = this.unkId ?? -1;
        }
      }
      start += w;
    }
    const out: string[] = [];
    let unk = '';
    let end = n;
    while (end > 0) {
      const s = bestStart[end]!;
      const piece = text.slice(s, end);
      if (this.unkId !== null && bestId[end] === this.unkId) {
        unk = piece + unk;
      } else {
        if (unk) {
          out.push(unk);
          unk = '';
        }
        out.push(piece);
      }
      end = s;
    }
    if (unk) out.push(unk);
    out.reverse();
    if (n < 256) {
      if (this.cache.size > 100_000) this.cache.clear();
      this.cache.set(text, out);
    }
    return out;
  }

  tokenize(text: string, ids: number[], spans: number[] | null): void {
    let offset = 0;
    for (const piece of this.segment(text)) {
      const id = this.vocab.get(piece);
      const end = offset + piece.length;
      if (id !== undefined) {
        ids.push(id);
        spans?.push(offset, end);
      } else if (this.byteFallback) {
        for (const b of encoder.encode(piece)) {
          const bid = this.vocab.get(HEX[b]!);
          if (bid === undefined) formatError('$.model.vocab', `byte_fallback token ${HEX[b]} is missing`);
          ids.push(bid);
          spans?.push(offset, end);
        }
      } else {
        if (this.unkId === null) formatError('$.model.unk_id', `Unigram: no unk_id to encode ${JSON.stringify(piece)}`);
        ids.push(this.unkId);
        spans?.push(offset, end);
      }
      offset = end;
    }
  }
}
