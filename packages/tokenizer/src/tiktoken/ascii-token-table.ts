/**
 * Open-addressing table of the ASCII tokens of an encoding, looked up by a span of the input
 * text (`find(text, start, end)`) without slicing it: the hot path of encoding ASCII text,
 * where most pieces are whole tokens.
 */
export class AsciiTokenTable {
  private readonly hashes: Int32Array;
  private readonly ids: Int32Array;
  private readonly keys: string[];
  private readonly mask: number;

  /** @param keys pure-ASCII token texts; `ids[i]` is the id of `keys[i]` */
  constructor(keys: readonly string[], ids: readonly number[]) {
    let capacity = 16;
    while (capacity < keys.length * 2) capacity *= 2;
    this.hashes = new Int32Array(capacity);
    this.ids = new Int32Array(capacity).fill(-1);
    this.keys = new Array<string>(capacity).fill('');
    this.mask = capacity - 1;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      const id = ids[i];
      const h = AsciiTokenTable.hash(key, 0, key.length);
      let slot = h & this.mask;
      while (this.ids[slot] !== -1) slot = (slot + 1) & this.mask;
      this.hashes[slot] = h;
      this.ids[slot] = id;
      this.keys[slot] = key;
    }
  }

  /** FNV-1a over the UTF-16 code units of `text[start, end)`. */
  static hash(text: string, start: number, end: number): number {
    let h = 0x811c9dc5 | 0;
    for (let i = start; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
    return h;
  }

  /** Id of the token equal to `text[start, end)`, or -1. */
  find(text: string, start: number, end: number): number {
    const h = AsciiTokenTable.hash(text, start, end);
    const length = end - start;
    const ids = this.ids;
    let slot = h & this.mask;
    for (;;) {
      const id = ids[slot];
      if (id === -1) return -1;
      if (this.hashes[slot] === h) {
        const key = this.keys[slot];
        if (key.length === length && text.startsWith(key, start)) return id;
      }
      slot = (slot + 1) & this.mask;
    }
  }
}
