/**
 * A string with its alignment to the original input: for each UTF-16 code unit of `text`,
 * the [start, end) span of the original text it came from. `starts === null` means the identity
 * alignment shifted by `base` (the common, allocation-free case).
 */
export class NormalizedString {
  constructor(
    readonly text: string,
    readonly base: number,
    readonly starts: Int32Array | null = null,
    readonly ends: Int32Array | null = null,
  ) {}

  startOf(i: number): number {
    if (this.starts === null) return this.base + i;
    if (i < this.text.length) return this.starts[i]!;
    return this.text.length === 0 ? this.base : this.ends![this.text.length - 1]!;
  }

  endOf(i: number): number {
    if (this.ends === null) return this.base + i + 1;
    return this.ends[i]!;
  }

  /** Original offset of the first unit (or base when empty). */
  get originalStart(): number {
    return this.text.length === 0 ? this.base : this.startOf(0);
  }

  slice(a: number, b: number): NormalizedString {
    if (this.starts === null) return new NormalizedString(this.text.slice(a, b), this.base + a);
    return new NormalizedString(this.text.slice(a, b), a < this.text.length ? this.starts[a]! : this.base, this.starts.subarray(a, b), this.ends!.subarray(a, b));
  }
}

/** Accumulates output text with per-unit alignment. */
export class AlignmentBuilder {
  private parts: string[] = [];
  private starts: number[] = [];
  private ends: number[] = [];
  constructor(private readonly track: boolean) {}
  push(text: string, start: number, end: number): void {
    if (text.length === 0) return;
    this.parts.push(text);
    if (this.track) {
      for (let k = 0; k < text.length; k++) {
        this.starts.push(start);
        this.ends.push(end);
      }
    }
  }
  build(base: number): NormalizedString {
    const text = this.parts.join('');
    if (!this.track) return new NormalizedString(text, base);
    return new NormalizedString(text, base, Int32Array.from(this.starts), Int32Array.from(this.ends));
  }
}

/** Rebuild `ns` by mapping each code point to a replacement string (aligned to that code point). */
export function mapCodePoints(ns: NormalizedString, track: boolean, fn: (cp: string) => string): NormalizedString {
  const text = ns.text;
  const b = new AlignmentBuilder(track);
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i)!;
    const w = cp > 0xffff ? 2 : 1;
    b.push(fn(text.slice(i, i + w)), ns.startOf(i), ns.endOf(i + w - 1));
    i += w;
  }
  return b.build(ns.originalStart);
}

/** Replace every match of a global regex with `content`, aligned to the matched span. */
export function replaceRegex(ns: NormalizedString, track: boolean, regex: RegExp, content: string): NormalizedString {
  const text = ns.text;
  regex.lastIndex = 0;
  if (!regex.test(text)) return ns;
  regex.lastIndex = 0;
  const b = new AlignmentBuilder(track);
  let prev = 0;
  for (let m = regex.exec(text); m !== null; m = regex.exec(text)) {
    const s = m.index;
    const e = s + m[0].length;
    if (e === s) {
      // advance by a whole code point: with the `u` flag a lastIndex inside a surrogate pair snaps back (infinite loop)
      regex.lastIndex = s + ((text.codePointAt(s) ?? 0) > 0xffff ? 2 : 1);
      if (s >= text.length) break;
      continue;
    }
    for (let i = prev; i < s; i++) b.push(text[i]!, ns.startOf(i), ns.endOf(i));
    // HF aligns replacement chars (insertions after removing the match) to the match's last code point.
    const last = e - 1 > s && (text.charCodeAt(e - 1) & 0xfc00) === 0xdc00 ? e - 2 : e - 1;
    b.push(content, ns.startOf(last), ns.endOf(e - 1));
    prev = e;
  }
  for (let i = prev; i < text.length; i++) b.push(text[i]!, ns.startOf(i), ns.endOf(i));
  return b.build(ns.originalStart);
}
