/**
 * SentencePiece's precompiled charsmap (the `Precompiled` normalizer): a darts-clone double-array
 * trie over UTF-8 bytes whose values index a blob of NUL-terminated replacement strings. Applied per
 * grapheme cluster (whole cluster if shorter than 6 UTF-8 bytes, else per code point), as HF does.
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

  normalize(ns: NormalizedString, track: boolean): NormalizedString {
    const text = ns.text;
    const b = new AlignmentBuilder(track);
    const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
    for (const { segment, index } of segmenter.segment(text)) {
      if (encoder.encode(segment).length < 6) {
        const norm = this.transform(segment);
        if (norm !== null) {
          b.push(norm, ns.startOf(index), ns.endOf(index + segment.length - 1));
          continue;
        }
      }
      for (let k = 0; k < segment.length; ) {
        const w = segment.codePointAt(k)! > 0xffff ? 2 : 1;
        const part = segment.slice(k, k + w);
        const norm = this.transform(part);
        b.push(norm ?? part, ns.startOf(index + k), ns.endOf(index + k + w - 1));
        k += w;
      }
    }
    return b.build(ns.originalStart);
  }
}

function offset(unit: number): number {
  return (unit >>> 10) << ((unit & (1 << 9)) >>> 6);
}
function label(unit: number): number {
  return unit & 0x800000ff;
}
