/**
 * Test helper: builds GGUF bytes field by field, independently of src/gguf/writer.ts, so the
 * reader can be fed exact (and exactly wrong) layouts.
 */
export class ByteBuilder {
  private chunks: number[] = [];

  get length(): number {
    return this.chunks.length;
  }
  u8(v: number): this {
    this.chunks.push(v & 0xff);
    return this;
  }
  u32(v: number): this {
    for (let i = 0; i < 4; i++) this.chunks.push((v >>> (8 * i)) & 0xff);
    return this;
  }
  u64(v: number | bigint): this {
    let b = BigInt.asUintN(64, BigInt(v));
    for (let i = 0; i < 8; i++) {
      this.chunks.push(Number(b & 0xffn));
      b >>= 8n;
    }
    return this;
  }
  raw(bytes: ArrayLike<number>): this {
    for (let i = 0; i < bytes.length; i++) this.chunks.push(bytes[i] & 0xff);
    return this;
  }
  /** gguf_string: u64 length + UTF-8 bytes. */
  str(s: string): this {
    const b = new TextEncoder().encode(s);
    return this.u64(b.length).raw(b);
  }
  padTo(alignment: number): this {
    while (this.chunks.length % alignment !== 0) this.chunks.push(0);
    return this;
  }
  zeros(n: number): this {
    for (let i = 0; i < n; i++) this.chunks.push(0);
    return this;
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }
}

/** A tensor info as written on disk. */
export interface RawTensorInfo {
  name: string;
  dims: (number | bigint)[];
  type: number;
  offset: number | bigint;
}

/** A whole GGUF file: header fields can be overridden to craft malformed files. */
export interface RawGguf {
  magic?: number;
  version?: number;
  tensorCount?: number | bigint;
  kvCount?: number | bigint;
  /** Each writes one key/value pair (key string, type u32, value). */
  kvs?: ((b: ByteBuilder) => void)[];
  tensors?: RawTensorInfo[];
  alignment?: number;
  /** Bytes of (zero) tensor data after the padding. */
  dataBytes?: number;
}

/** Build the bytes of `spec`; returns them with the offset of each part for precise assertions. */
export function buildGguf(spec: RawGguf): { bytes: Uint8Array; kvAt: number[]; tensorAt: number[]; dataOffset: number } {
  const b = new ByteBuilder();
  const kvs = spec.kvs ?? [];
  const tensors = spec.tensors ?? [];
  b.u32(spec.magic ?? 0x46554747)
    .u32(spec.version ?? 3)
    .u64(spec.tensorCount ?? tensors.length)
    .u64(spec.kvCount ?? kvs.length);
  const kvAt: number[] = [];
  for (const kv of kvs) {
    kvAt.push(b.length);
    kv(b);
  }
  const tensorAt: number[] = [];
  for (const t of tensors) {
    tensorAt.push(b.length);
    b.str(t.name).u32(t.dims.length);
    for (const d of t.dims) b.u64(d);
    b.u32(t.type).u64(t.offset);
  }
  b.padTo(spec.alignment ?? 32);
  const dataOffset = b.length;
  b.zeros(spec.dataBytes ?? 0);
  return { bytes: b.bytes(), kvAt, tensorAt, dataOffset };
}

/** One key/value pair writer: key, value type id, then `value` writes the payload. */
export function kv(key: string, type: number, value: (b: ByteBuilder) => void): (b: ByteBuilder) => void {
  return (b) => {
    b.str(key).u32(type);
    value(b);
  };
}
