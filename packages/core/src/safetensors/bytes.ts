/** Little-endian byte helpers shared by the reader and the writer. Internal. */

/** True on little-endian hosts (every mainstream CPU); the big-endian paths swap bytes. */
export const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function swapInPlace(bytes: Uint8Array, elementBytes: number): void {
  for (let i = 0; i + elementBytes <= bytes.length; i += elementBytes) {
    for (let a = i, b = i + elementBytes - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

/**
 * A fresh, 8-byte-aligned buffer holding `data` in host byte order, ready to be
 * viewed as a typed array of `elementBytes`-sized elements (data in files is
 * little-endian and may sit at any offset of the source buffer).
 */
export function hostOrderCopy(data: Uint8Array, elementBytes: number): ArrayBuffer {
  const copy = data.slice();
  if (!HOST_IS_LITTLE_ENDIAN && elementBytes > 1) swapInPlace(copy, elementBytes);
  return copy.buffer;
}

/** The bytes of a typed array in little-endian order (a view when the host is little-endian, else a swapped copy). */
export function littleEndianBytes(view: ArrayBufferView, elementBytes: number): Uint8Array {
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  if (HOST_IS_LITTLE_ENDIAN || elementBytes === 1) return bytes;
  const copy = bytes.slice();
  swapInPlace(copy, elementBytes);
  return copy;
}

/** Compare two strings by their UTF-8 bytes (= code point order), as Rust's `String` ordering does. */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; ) {
    const ca = a.codePointAt(i) as number;
    const cb = b.codePointAt(i) as number;
    if (ca !== cb) return ca < cb ? -1 : 1;
    i += ca > 0xffff ? 2 : 1;
  }
  return a.length - b.length;
}

/** True when `s` has no lone UTF-16 surrogates (so it has a UTF-8 encoding). */
export function isWellFormedUnicode(s: string): boolean {
  return !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);
}
