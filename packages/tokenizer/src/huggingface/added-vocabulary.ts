/** Added tokens: matched leftmost-longest before normalization (or after it for `normalized` tokens). */
import { asArray, asBoolean, asId, asObject, asString, type JsonObject } from './json.js';

export interface AddedToken {
  id: number;
  content: string;
  special: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  singleWord: boolean;
}

export function readAddedTokens(value: unknown, path: string): AddedToken[] {
  if (value === undefined || value === null) return [];
  return asArray(value, path).map((entry, i) => {
    const p = `${path}[${i}]`;
    const o: JsonObject = asObject(entry, p);
    const bool = (key: string, fallback: boolean) => (o[key] === undefined ? fallback : asBoolean(o[key], `${p}.${key}`));
    const special = bool('special', false);
    return {
      id: asId(o.id, `${p}.id`),
      content: asString(o.content, `${p}.content`),
      special,
      lstrip: bool('lstrip', false),
      rstrip: bool('rstrip', false),
      normalized: bool('normalized', !special),
      singleWord: bool('single_word', false),
    };
  });
}

interface Node {
  next: Map<number, Node>;
  token: AddedToken | null;
}

const wordChar = /[\p{L}\p{N}_]/u;
const whitespace = /\p{White_Space}/u;

/** A trie over UTF-16 units giving leftmost-longest, non-overlapping matches. */
export class AddedTokenMatcher {
  private readonly root: Node = { next: new Map(), token: null };
  private readonly first = new Uint8Array(65536);
  readonly empty: boolean;
  constructor(tokens: Array<{ key: string; token: AddedToken }>) {
    for (const { key, token } of tokens) {
      if (key.length === 0) continue;
      let node = this.root;
      for (let i = 0; i < key.length; i++) {
        const c = key.charCodeAt(i);
        let child = node.next.get(c);
        if (!child) {
          child = { next: new Map(), token: null };
          node.next.set(c, child);
        }
        node = child;
      }
      if (node.token === null) node.token = token;
      this.first[key.charCodeAt(0)] = 1;
    }
    this.empty = this.root.next.size === 0;
  }

  /**
   * Find matches in `text`; returns flat [start, end, tokenIndexInList...] via callback order.
   * `allowed(token)` false skips the match (as HF's encode_special_tokens does).
   */
  find(text: string, allowed: (t: AddedToken) => boolean): Array<{ start: number; end: number; token: AddedToken }> {
    const out: Array<{ start: number; end: number; token: AddedToken }> = [];
    if (this.empty) return out;
    let startOffset = 0;
    const n = text.length;
    for (let i = 0; i < n; ) {
      if (this.first[text.charCodeAt(i)] === 0) {
        i++;
        continue;
      }
      let node: Node | undefined = this.root;
      let best: AddedToken | null = null;
      let bestEnd = -1;
      for (let k = i; k < n; k++) {
        node = node.next.get(text.charCodeAt(k));
        if (!node) break;
        if (node.token) {
          best = node.token;
          bestEnd = k + 1;
        }
      }
      if (best === null) {
        i++;
        continue;
      }
      let start = i;
      let stop = bestEnd;
      i = bestEnd;
      if (!allowed(best)) continue;
      if (best.singleWord) {
        const before = start === 0 || !wordChar.test(String.fromCodePoint(text.codePointAt(start - 1 - (isLowSurrogate(text, start - 1) ? 1 : 0))!));
        const after = stop === n || !wordChar.test(String.fromCodePoint(text.codePointAt(stop)!));
        if (!before || !after) continue;
      }
      if (best.lstrip) {
        let s = start;
        while (s > startOffset && whitespace.test(text[s - 1]!)) s--;
        start = s;
      }
      if (best.rstrip) {
        while (stop < n && whitespace.test(text[stop]!)) stop++;
        i = stop;
      }
      out.push({ start, end: stop, token: best });
      startOffset = stop;
    }
    return out;
  }
}

function isLowSurrogate(text: string, i: number): boolean {
  return i > 0 && (text.charCodeAt(i) & 0xfc00) === 0xdc00;
}
