/** BPE model (byte-level and SentencePiece-style), merging pairs lowest rank first, leftmost on ties, as HF does. */
import { asArray, formatError, optBoolean, optString, type JsonObject } from '../json.js';
import { readVocab, type Model } from './model.js';
import { PairTable } from './pair-table.js';

const MAX_CACHE = 100_000;
const HEX = Array.from({ length: 256 }, (_, b) => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
const encoder = new TextEncoder();

export class BpeModel implements Model {
  readonly size: number;
  private readonly merges: PairTable; // (left id, right id) -> merge rank
  private readonly mergeResult: Int32Array;
  private readonly mergeLeft: string[];
  private readonly mergeRight: string[];
  private readonly cache = new Map<string, number[]>();
  private readonly unkId: number;
  private readonly byteIds: Int32Array | null = null;

  constructor(
    private readonly vocab: Map<string, number>,
    private readonly tokens: string[],
    merges: { left: string[]; right: string[] },
    private readonly options: {
      unkToken: string | null;
      continuingSubwordPrefix: string | null;
      endOfWordSuffix: string | null;
      fuseUnk: boolean;
      byteFallback: boolean;
      ignoreMerges: boolean;
      dropout: number | null;
    },
    path = '$.model',
  ) {
    this.size = tokens.length;
    this.merges = new PairTable(merges.left.length);
    const count = merges.left.length;
    this.mergeLeft = merges.left;
    this.mergeRight = merges.right;
    this.mergeResult = new Int32Array(count);
    const prefixLen = options.continuingSubwordPrefix?.length ?? 0;
    for (let r = 0; r < count; r++) {
      const a = merges.left[r]!;
      const b = merges.right[r]!;
      const ia = vocab.get(a);
      const ib = vocab.get(b);
      if (ia === undefined) formatError(`${path}.merges[${r}]`, `merge token ${JSON.stringify(a)} is not in the vocabulary`);
      if (ib === undefined) formatError(`${path}.merges[${r}]`, `merge token ${JSON.stringify(b)} is not in the vocabulary`);
      const merged = a + (prefixLen > 0 && b.startsWith(options.continuingSubwordPrefix!) ? b.slice(prefixLen) : b);
      const im = vocab.get(merged);
      if (im === undefined) formatError(`${path}.merges[${r}]`, `merged token ${JSON.stringify(merged)} is not in the vocabulary`);
      this.merges.set(ia, ib, r);
      this.mergeResult[r] = im;
    }
    if (options.unkToken !== null) {
      const u = vocab.get(options.unkToken);
      if (u === undefined) formatError(`${path}.unk_token`, `unk_token ${JSON.stringify(options.unkToken)} is not in the vocabulary`);
      this.unkId = u;
    } else this.unkId = -1;
    if (options.byteFallback) {
      const ids = new Int32Array(256).fill(-1);
      for (let b = 0; b < 256; b++) ids[b] = vocab.get(HEX[b]!) ?? -1;
      this.byteIds = ids;
    }
  }

  static fromJSON(json: JsonObject, path: string): BpeModel {
    const { vocab, tokens } = readVocab(json.vocab, `${path}.vocab`, formatError);
    const rawMerges = asArray(json.merges ?? [], `${path}.merges`);
    const left: string[] = new Array(rawMerges.length);
    const right: string[] = new Array(rawMerges.length);
    for (let r = 0; r < rawMerges.length; r++) {
      const m = rawMerges[r];
      if (typeof m === 'string') {
        const sp = m.indexOf(' ', 1);
        if (sp < 0) formatError(`${path}.merges[${r}]`, `merge ${JSON.stringify(m)} is not "a b"`);
        left[r] = m.slice(0, sp);
        right[r] = m.slice(sp + 1);
      } else if (Array.isArray(m) && m.length === 2 && typeof m[0] === 'string' && typeof m[1] === 'string') {
        left[r] = m[0];
        right[r] = m[1];
      } else {
        formatError(`${path}.merges[${r}]`, 'expected "a b" or ["a", "b"]');
      }
    }
    const dropout = json.dropout;
    if (dropout !== undefined && dropout !== null && (typeof dropout !== 'number' || dropout < 0 || dropout > 1)) formatError(`${path}.dropout`, 'expected a number in [0, 1] or null');
    return new BpeModel(
      vocab,
      tokens,
      { left, right },
      {
        unkToken: optString(json, 'unk_token', path, null),
        continuingSubwordPrefix: optString(json, 'continuing_subword_prefix', path, null) || null,
        endOfWordSuffix: optString(json, 'end_of_word_suffix', path, null) || null,
        fuseUnk: optBoolean(json, 'fuse_unk', path, false),
        byteFallback: optBoolean(json, 'byte_fallback', path, false),
        ignoreMerges: optBoolean(json, 'ignore_merges', path, false),
        dropout: (dropout as number | null | undefined) ?? null,
      },
      path,
    );
  }

  tokenToId(token: string): number | undefined {
    return this.vocab.get(token);
  }
  idToToken(id: number): string | undefined {
    return this.tokens[id];
  }

  toJSON(): Record<string, unknown> {
    const vocab: Record<string, number> = {};
    for (const [k, v] of this.vocab) vocab[k] = v;
    return {
      type: 'BPE',
      dropout: this.options.dropout,
      unk_token: this.options.unkToken,
      continuing_subword_prefix: this.options.continuingSubwordPrefix,
      end_of_word_suffix: this.options.endOfWordSuffix,
      fuse_unk: this.options.fuseUnk,
      byte_fallback: this.options.byteFallback,
      ignore_merges: this.options.ignoreMerges,
      vocab,
      merges: this.mergeLeft.map((a, r) => [a, this.mergeRight[r]!]),
    };
  }

  tokenize(text: string, ids: number[], spans: number[] | null): void {
    if (spans === null) {
      const cached = this.cache.get(text);
      if (cached !== undefined) {
        for (let k = 0; k < cached.length; k++) ids.push(cached[k]!);
        return;
      }
      const out: number[] = [];
      this.merge(text, out, null);
      if (text.length < 256) {
        if (this.cache.size >= MAX_CACHE) this.cache.clear();
        this.cache.set(text, out);
      }
      for (let k = 0; k < out.length; k++) ids.push(out[k]!);
      return;
    }
    this.merge(text, ids, spans);
  }

  private merge(text: string, ids: number[], spans: number[] | null): void {
    const { continuingSubwordPrefix: prefix, endOfWordSuffix: suffix, ignoreMerges, fuseUnk } = this.options;
    if (ignoreMerges) {
      const id = this.vocab.get(text);
      if (id !== undefined) {
        ids.push(id);
        spans?.push(0, text.length);
        return;
      }
    }
    // Initial symbols: id, start unit, end unit.
    const symId: number[] = [];
    const symStart: number[] = [];
    const symEnd: number[] = [];
    let pendingUnk = false;
    for (let i = 0; i < text.length; ) {
      const w = text.codePointAt(i)! > 0xffff ? 2 : 1;
      let s = text.slice(i, i + w);
      if (prefix !== null && i > 0) s = prefix + s;
      if (suffix !== null && i + w === text.length) s = s + suffix;
      const id = this.vocab.get(s);
      if (id !== undefined) {
        pendingUnk = false;
        symId.push(id);
        symStart.push(i);
        symEnd.push(i + w);
      } else {
        let done = false;
        if (this.byteIds !== null) {
          const bytes = encoder.encode(text.slice(i, i + w));
          let ok = true;
          for (const b of bytes) if (this.byteIds[b]! < 0) ok = false;
          if (ok) {
            for (const b of bytes) {
              symId.push(this.byteIds[b]!);
              symStart.push(i);
              symEnd.push(i + w);
            }
            done = true;
            pendingUnk = false;
          }
        }
        if (!done && this.unkId >= 0) {
          if (pendingUnk && fuseUnk) {
            symEnd[symEnd.length - 1] = i + w;
          } else {
            symId.push(this.unkId);
            symStart.push(i);
            symEnd.push(i + w);
          }
          pendingUnk = true;
        }
      }
      i += w;
    }
    const n = symId.length;
    if (n > 1 && n <= 48) this.applyMergesShort(symId, symStart, symEnd);
    else if (n > 1) this.applyMerges(symId, symStart, symEnd);
    for (let k = 0; k < symId.length; k++) {
      if (symId[k]! < 0) continue;
      ids.push(symId[k]!);
      spans?.push(symStart[k]!, symEnd[k]!);
    }
  }

  /** Quadratic merge for short words: repeatedly apply the lowest-rank (leftmost) pair; splices arrays. */
  private applyMergesShort(symId: number[], symStart: number[], symEnd: number[]): void {
    const merges = this.merges;
    for (;;) {
      let bestRank = 0x7fffffff;
      let bestPos = -1;
      for (let k = 0; k + 1 < symId.length; k++) {
        const r = merges.get(symId[k]!, symId[k + 1]!);
        if (r >= 0 && r < bestRank) {
          bestRank = r;
          bestPos = k;
        }
      }
      if (bestPos < 0) return;
      symId[bestPos] = this.mergeResult[bestRank]!;
      symEnd[bestPos] = symEnd[bestPos + 1]!;
      symId.splice(bestPos + 1, 1);
      symStart.splice(bestPos + 1, 1);
      symEnd.splice(bestPos + 1, 1);
    }
  }

  /** Heap-based merge (O(n log n)) for long words; removed symbols get id -1. */
  private applyMerges(symId: number[], symStart: number[], symEnd: number[]): void {
    const n = symId.length;
    const prev = new Int32Array(n);
    const next = new Int32Array(n);
    for (let k = 0; k < n; k++) {
      prev[k] = k - 1;
      next[k] = k + 1 < n ? k + 1 : -1;
    }
    const merges = this.merges;
    // Binary heap of (rank, pos) as parallel arrays.
    let hRank: number[] = [];
    let hPos: number[] = [];
    const less = (i: number, j: number) => hRank[i]! < hRank[j]! || (hRank[i] === hRank[j] && hPos[i]! < hPos[j]!);
    const push = (rank: number, pos: number) => {
      let i = hRank.length;
      hRank.push(rank);
      hPos.push(pos);
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!less(i, p)) break;
        [hRank[i], hRank[p]] = [hRank[p]!, hRank[i]!];
        [hPos[i], hPos[p]] = [hPos[p]!, hPos[i]!];
        i = p;
      }
    };
    const pop = () => {
      const last = hRank.length - 1;
      hRank[0] = hRank[last]!;
      hPos[0] = hPos[last]!;
      hRank.pop();
      hPos.pop();
      let i = 0;
      const m = hRank.length;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < m && less(l, best)) best = l;
        if (r < m && less(r, best)) best = r;
        if (best === i) break;
        [hRank[i], hRank[best]] = [hRank[best]!, hRank[i]!];
        [hPos[i], hPos[best]] = [hPos[best]!, hPos[i]!];
        i = best;
      }
    };
    for (let k = 0; k + 1 < n; k++) {
      const r = merges.get(symId[k]!, symId[k + 1]!);
      if (r >= 0) push(r, k);
    }
    while (hRank.length > 0) {
      const rank = hRank[0]!;
      const pos = hPos[0]!;
      pop();
      if (symId[pos]! < 0) continue;
      const nx = next[pos]!;
      if (nx < 0) continue;
      const cur = merges.get(symId[pos]!, symId[nx]!);
      if (cur !== rank) continue;
      symId[pos] = this.mergeResult[rank]!;
      symEnd[pos] = symEnd[nx]!;
      symId[nx] = -1;
      const nn = next[nx]!;
      next[pos] = nn;
      if (nn >= 0) prev[nn] = pos;
      const pv = prev[pos]!;
      if (pv >= 0) {
        const r = merges.get(symId[pv]!, symId[pos]!);
        if (r >= 0) push(r, pv);
      }
      if (nn >= 0) {
        const r = merges.get(symId[pos]!, symId[nn]!);
        if (r >= 0) push(r, pos);
      }
    }
    hRank = [];
    hPos = [];
  }
}
