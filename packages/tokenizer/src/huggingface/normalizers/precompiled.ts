/**
 * SentencePiece's precompiled charsmap (the `Precompiled` normalizer): a darts-clone double-array
 * trie over UTF-8 bytes whose values index a blob of NUL-terminated replacement strings. Applied per
 * grapheme cluster (whole cluster if shorter than 6 UTF-8 bytes, else per code point), as HF does;
 * the trie lookup takes the first (shortest) prefix match, even when shorter than the chunk.
 */
import { formatError } from '../json.js';
import { AlignmentBuilder, NormalizedString } from '../normalized.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class PrecompiledCharsMap {
  private constructor(
    private readonly trie: Uint32Array,
    private readonly normalized: Uint8Array,
  ) {}

  static fromBase64(b64: string, path: string): PrecompiledCharsMap {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(Buffer.from(b64, 'base64'));
    } catch {
      return formatError(path, 'invalid base64');
    }
    if (bytes.length < 4) formatError(path, 'precompiled charsmap too short');
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const trieSize = view.getUint32(0, true);
    if (trieSize % 4 !== 0 || 4 + trieSize > bytes.length) formatError(path, `invalid trie size ${trieSize}`);
    const trie = new Uint32Array(trieSize / 4);
    for (let i = 0; i < trie.length; i++) trie[i] = view.getUint32(4 + i * 4, true);
    if (trie.length === 0) formatError(path, 'empty trie');
    return new PrecompiledCharsMap(trie, bytes.subarray(4 + trieSize));
  }

  private commonPrefixFirst(key: Uint8Array): number {
    const a = this.trie;
    let pos = 0;
    let unit = a[0]!;
    pos ^= offset(unit);
    for (const c of key) {
      if (c === 0) break;
      pos ^= c;
      if (pos >= a.length) return -1;
      unit = a[pos]!;
      if (label(unit) !== c) return -1;
      pos ^= offset(unit);
      if (pos >= a.length) return -1;
      if ((unit >>> 8) & 1) return a[pos]! & 0x7fffffff;
    }
    return -1;
  }

  transform(chunk: string): string | null {
    const index = this.commonPrefixFirst(encoder.encode(chunk));
    if (index < 0 || index >= this.normalized.length) return null;
    let end = index;
    while (end < this.normalized.length && this.normalized[end] !== 0) end++;
    return decoder.decode(this.normalized.subarray(index, end));
  }

  /** The normalized text, as `(code point, change)` pairs in HF's `transform` convention. */
  private transformations(text: string): { chars: string[]; changes: number[] } {
    const chars: string[] = [];
    const changes: number[] = [];
    // HF's `replace`: new chars get change 0; if the replacement is longer, its last `diff` chars are
    // insertions (+1); if shorter, the last char pushed so far (possibly one of an earlier chunk, or
    // none at all at the start) absorbs the removal.
    const replace = (oldPart: string, newPart: string) => {
      let newCount = 0;
      for (const c of newPart) {
        chars.push(c);
        changes.push(0);
        newCount++;
      }
      const diff = newCount - codePointCount(oldPart);
      if (diff > 0) for (let k = changes.length - diff; k < changes.length; k++) changes[k] = 1;
      else if (diff < 0 && changes.length > 0) changes[changes.length - 1]! += diff;
    };
    const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
    for (const { segment } of segmenter.segment(text)) {
      if (utf8Length(segment) < 6) {
        const norm = this.transform(segment);
        if (norm !== null) {
          replace(segment, norm);
          continue;
        }
      }
      for (const part of segment) {
        const norm = this.transform(part);
        if (norm !== null) replace(part, norm);
        else {
          chars.push(part);
          changes.push(0);
        }
      }
    }
    return { chars, changes };
  }

  /**
   * Applies the charsmap with HF's alignment rules (`NormalizedString::transform`): a char with
   * change <= 0 takes the alignment of the next original char and consumes it plus `-change` more;
   * an inserted char (+1) takes the alignment of the previously consumed one.
   */
  normalize(ns: NormalizedString, track: boolean): NormalizedString {
    const text = ns.text;
    const { chars, changes } = this.transformations(text);
    if (!track) return new NormalizedString(chars.join(''), ns.originalStart);
    const b = new AlignmentBuilder(true);
    let idx = 0; // UTF-16 position in `text` of the next original char to consume
    const consume = () => {
      if (idx < text.length) idx += text.codePointAt(idx)! > 0xffff ? 2 : 1;
    };
    for (let k = 0; k < chars.length; k++) {
      const change = changes[k]!;
      if (change > 0) {
        if (idx < 1) b.push(chars[k]!, ns.originalStart, ns.originalStart);
        else {
          const low = text.charCodeAt(idx - 1);
          const pair = idx >= 2 && low >= 0xdc00 && low <= 0xdfff && text.codePointAt(idx - 2)! > 0xffff;
          b.push(chars[k]!, ns.startOf(pair ? idx - 2 : idx - 1), ns.endOf(idx - 1));
        }
        continue;
      }
      const w = idx < text.length && text.codePointAt(idx)! > 0xffff ? 2 : 1;
      b.push(chars[k]!, ns.startOf(idx), ns.endOf(Math.min(idx + w, text.length) - 1));
      consume();
      for (let r = 0; r < -change; r++) consume();
    }
    return b.build(ns.originalStart);
  }
}

function codePointCount(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) n--;
  }
  return n;
}

function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

function offset(unit: number): number {
  return (unit >>> 10) << ((unit & (1 << 9)) >>> 6);
}
function label(unit: number): number {
  return unit & 0x800000ff;
}
