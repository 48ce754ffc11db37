/**
 * Test-only oracle: ggml's own C quantizers from node-llama-cpp's prebuilt
 * `libggml-base.so`, called through koffi. Loaded lazily; `loadGgmlReference()`
 * returns null when the library (or koffi) is missing so tests can skip cleanly.
 *
 * quantize(type, x)        -> `quantize_row_<type>_ref` bytes (F32/F16/BF16: ggml's row converters)
 * dequantize(type, b, n)   -> `dequantize_row_<type>` values (F16/BF16: ggml's row converters)
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** ggml's reference row functions, by ggml type name (e.g. 'Q4_0', 'Q6_K', 'F16'). */
export interface GgmlReference {
  /** Path of the loaded library. */
  readonly libraryPath: string;
  /** Bytes ggml's reference quantizer writes for `x` (length a multiple of the block size). */
  quantize(typeName: string, x: Float32Array): Uint8Array;
  /** Values ggml's dequantizer reads from `bytes` (`n` elements). */
  dequantize(typeName: string, bytes: Uint8Array, n: number): Float32Array;
  /** Whether ggml exports a quantizer / dequantizer for this type. */
  has(typeName: string, which: 'quantize' | 'dequantize'): boolean;
  /** ggml's own GGUF reader (gguf.cpp) and metadata writer, or null when the library lacks them. */
  readonly gguf: GgmlGgufReference | null;
}

/** A metadata entry as ggml's gguf API reports it: type id (gguf_type) and, for arrays, item type id and items. */
export interface GgmlGgufKv {
  key: string;
  type: number;
  /** Scalar: raw little-endian bytes (strings: the decoded string). Arrays: see `items`. */
  value?: Uint8Array | string;
  itemType?: number;
  /** Array items: raw bytes of all items (numeric/bool) or the strings. */
  items?: Uint8Array | string[];
}

/** What `gguf_init_from_file` reads from a file (null when ggml rejects it). */
export interface GgmlGgufInfo {
  version: number;
  alignment: number;
  dataOffset: number;
  kvs: GgmlGgufKv[];
  tensors: { name: string; type: number; offset: number; size: number }[];
}

export interface GgmlGgufReference {
  /** Parse with gguf_init_from_file(no_alloc); null when ggml rejects the file. Only pass well-formed files: ggml may abort on some malformed ones. */
  read(path: string): GgmlGgufInfo | null;
  /**
   * Write a metadata-only GGUF (no tensors) with ggml's gguf_set_* + gguf_write_to_file. Entries:
   * scalars { key, type, bytes } (raw little-endian value bytes, strings as JS strings) and arrays
   * { key, type: 9, itemType, items } (raw bytes of the items or a string list).
   */
  writeMetadata(path: string, kvs: GgmlGgufKv[]): boolean;
}

/** Elements and bytes per block, for sizing output buffers (ggml's blck_size / type_size). */
const GEOMETRY: Record<string, [number, number]> = {
  F32: [1, 4],
  F16: [1, 2],
  BF16: [1, 2],
  Q4_0: [32, 18],
  Q4_1: [32, 20],
  Q5_0: [32, 22],
  Q5_1: [32, 24],
  Q8_0: [32, 34],
  Q8_1: [32, 36],
  Q2_K: [256, 84],
  Q3_K: [256, 110],
  Q4_K: [256, 144],
  Q5_K: [256, 176],
  Q6_K: [256, 210],
  Q8_K: [256, 292],
};

const here = dirname(fileURLToPath(import.meta.url));

/** node-llama-cpp's linux-x64 binaries folder (workspace root or package-local node_modules), or null. */
export function llamaCppBinDir(): string | null {
  const rel = join('node_modules', '@node-llama-cpp', 'linux-x64', 'bins', 'linux-x64');
  for (let dir = here, i = 0; i < 6; i++, dir = dirname(dir)) {
    const candidate = join(dir, rel);
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

/** libggml-base.so: $LLMKIT_GGML_BASE, else node-llama-cpp's copy. */
function findLibrary(): string | null {
  if (process.env.LLMKIT_GGML_BASE && existsSync(process.env.LLMKIT_GGML_BASE)) return process.env.LLMKIT_GGML_BASE;
  const bins = llamaCppBinDir();
  return bins && existsSync(join(bins, 'libggml-base.so')) ? join(bins, 'libggml-base.so') : null;
}

let cached: GgmlReference | null | undefined;

/**
 * Load ggml's reference quantizers once; null when the shared library or koffi is unavailable
 * (other platforms, or node-llama-cpp's binaries not installed).
 *
 * @example
 * const ref = loadGgmlReference();
 * describe.skipIf(!ref)('Q4_0 matches ggml', () => { ... ref!.quantize('Q4_0', x) ... });
 */
export function loadGgmlReference(): GgmlReference | null {
  if (cached !== undefined) return cached;
  cached = null;
  if (process.platform !== 'linux' || process.arch !== 'x64') return null;
  const libraryPath = findLibrary();
  if (libraryPath === null) return null;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let koffi: any;
  try {
    koffi = createRequire(import.meta.url)('koffi');
  } catch {
    return null;
  }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let lib: any;
  try {
    lib = koffi.load(libraryPath);
  } catch {
    return null;
  }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const fns = new Map<string, any>();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const fn = (decl: string, name: string): any => {
    if (!fns.has(name)) {
      try {
        fns.set(name, lib.func(decl));
      } catch {
        fns.set(name, null);
      }
    }
    return fns.get(name);
  };
  const quantizer = (t: string) => {
    if (t === 'F16') return fn('void ggml_fp32_to_fp16_row(const float*, void*, int64_t)', 'q:F16');
    if (t === 'BF16') return fn('void ggml_fp32_to_bf16_row_ref(const float*, void*, int64_t)', 'q:BF16');
    const lower = t.toLowerCase().replace(/_k$/, '_K');
    return fn(`void quantize_row_${lower}_ref(const float*, void*, int64_t)`, `q:${t}`);
  };
  const dequantizer = (t: string) => {
    if (t === 'F16') return fn('void ggml_fp16_to_fp32_row(const void*, float*, int64_t)', 'd:F16');
    if (t === 'BF16') return fn('void ggml_bf16_to_fp32_row(const void*, float*, int64_t)', 'd:BF16');
    const lower = t.toLowerCase().replace(/_k$/, '_K');
    return fn(`void dequantize_row_${lower}(const void*, float*, int64_t)`, `d:${t}`);
  };
  const geometry = (t: string): [number, number] => {
    const g = GEOMETRY[t];
    if (!g) throw new Error(`ggml reference: unknown type ${t}`);
    return g;
  };
  cached = {
    libraryPath,
    gguf: makeGguf(koffi, lib),
    has(typeName, which) {
      if (!GEOMETRY[typeName]) return false;
      if (typeName === 'F32') return true;
      return (which === 'quantize' ? quantizer(typeName) : dequantizer(typeName)) !== null;
    },
    quantize(typeName, x) {
      const [bs, ts] = geometry(typeName);
      if (x.length % bs !== 0) throw new Error(`ggml reference: ${x.length} is not a multiple of ${bs} (${typeName})`);
      if (typeName === 'F32') return new Uint8Array(x.slice().buffer);
      const f = quantizer(typeName);
      if (!f) throw new Error(`ggml reference: no quantizer for ${typeName}`);
      const input = new Float32Array(x); // own, aligned copy
      const out = Buffer.alloc((x.length / bs) * ts);
      f(input, out, x.length);
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength).slice();
    },
    dequantize(typeName, bytes, n) {
      const [bs, ts] = geometry(typeName);
      if (n % bs !== 0) throw new Error(`ggml reference: ${n} is not a multiple of ${bs} (${typeName})`);
      if (bytes.length < (n / bs) * ts) throw new Error(`ggml reference: ${bytes.length} bytes are too few for ${n} ${typeName}`);
      if (typeName === 'F32') return new Float32Array(bytes.slice(0, n * 4).buffer);
      const f = dequantizer(typeName);
      if (!f) throw new Error(`ggml reference: no dequantizer for ${typeName}`);
      const input = Buffer.from(bytes.subarray(0, (n / bs) * ts));
      const out = new Float32Array(n);
      f(input, out, n);
      return out;
    },
  };
  return cached;
}

/** Byte size of each scalar gguf_type (8 = string and 9 = array have none). */
const GGUF_SCALAR_SIZE: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function makeGguf(koffi: any, lib: any): GgmlGgufReference | null {
  try {
    const params = koffi.struct('llmkit_gguf_init_params', { no_alloc: 'bool', ctx: 'void *' });
    const f = {
      init: lib.func('void *gguf_init_from_file(const char *fname, llmkit_gguf_init_params params)'),
      initEmpty: lib.func('void *gguf_init_empty(void)'),
      free: lib.func('void gguf_free(void *ctx)'),
      version: lib.func('uint32_t gguf_get_version(void *ctx)'),
      alignment: lib.func('size_t gguf_get_alignment(void *ctx)'),
      dataOffset: lib.func('size_t gguf_get_data_offset(void *ctx)'),
      nKv: lib.func('int64_t gguf_get_n_kv(void *ctx)'),
      key: lib.func('const char *gguf_get_key(void *ctx, int64_t id)'),
      kvType: lib.func('int gguf_get_kv_type(void *ctx, int64_t id)'),
      arrType: lib.func('int gguf_get_arr_type(void *ctx, int64_t id)'),
      arrN: lib.func('size_t gguf_get_arr_n(void *ctx, int64_t id)'),
      arrData: lib.func('const void *gguf_get_arr_data(void *ctx, int64_t id)'),
      arrStr: lib.func('const char *gguf_get_arr_str(void *ctx, int64_t id, size_t i)'),
      valData: lib.func('const void *gguf_get_val_data(void *ctx, int64_t id)'),
      valStr: lib.func('const char *gguf_get_val_str(void *ctx, int64_t id)'),
      nTensors: lib.func('int64_t gguf_get_n_tensors(void *ctx)'),
      tName: lib.func('const char *gguf_get_tensor_name(void *ctx, int64_t id)'),
      tType: lib.func('int gguf_get_tensor_type(void *ctx, int64_t id)'),
      tOffset: lib.func('size_t gguf_get_tensor_offset(void *ctx, int64_t id)'),
      tSize: lib.func('size_t gguf_get_tensor_size(void *ctx, int64_t id)'),
      setArrData: lib.func('void gguf_set_arr_data(void *ctx, const char *key, int type, const void *data, size_t n)'),
      setArrStr: lib.func('void gguf_set_arr_str(void *ctx, const char *key, const char **data, size_t n)'),
      setStr: lib.func('void gguf_set_val_str(void *ctx, const char *key, const char *val)'),
      write: lib.func('bool gguf_write_to_file(void *ctx, const char *fname, bool only_meta)'),
      setters: {
        0: lib.func('void gguf_set_val_u8(void *ctx, const char *key, uint8_t v)'),
        1: lib.func('void gguf_set_val_i8(void *ctx, const char *key, int8_t v)'),
        2: lib.func('void gguf_set_val_u16(void *ctx, const char *key, uint16_t v)'),
        3: lib.func('void gguf_set_val_i16(void *ctx, const char *key, int16_t v)'),
        4: lib.func('void gguf_set_val_u32(void *ctx, const char *key, uint32_t v)'),
        5: lib.func('void gguf_set_val_i32(void *ctx, const char *key, int32_t v)'),
        6: lib.func('void gguf_set_val_f32(void *ctx, const char *key, float v)'),
        7: lib.func('void gguf_set_val_bool(void *ctx, const char *key, bool v)'),
        10: lib.func('void gguf_set_val_u64(void *ctx, const char *key, uint64_t v)'),
        11: lib.func('void gguf_set_val_i64(void *ctx, const char *key, int64_t v)'),
        12: lib.func('void gguf_set_val_f64(void *ctx, const char *key, double v)'),
      } as Record<number, (ctx: unknown, key: string, v: unknown) => void>,
    };
    const bytesAt = (ptr: unknown, n: number): Uint8Array =>
      n === 0 ? new Uint8Array(0) : Uint8Array.from(koffi.decode(ptr, koffi.array('uint8_t', n)) as number[]);
    return {
      read(path) {
        const ctx = f.init(path, { no_alloc: true, ctx: null });
        if (!ctx) return null;
        try {
          const kvs: GgmlGgufKv[] = [];
          const nKv = Number(f.nKv(ctx));
          for (let i = 0; i < nKv; i++) {
            const type = f.kvType(ctx, i);
            const kv: GgmlGgufKv = { key: f.key(ctx, i), type };
            if (type === 8) kv.value = f.valStr(ctx, i);
            else if (type === 9) {
              const itemType = f.arrType(ctx, i);
              const n = Number(f.arrN(ctx, i));
              kv.itemType = itemType;
              kv.items =
                itemType === 8
                  ? Array.from({ length: n }, (_, j) => f.arrStr(ctx, i, j) as string)
                  : bytesAt(f.arrData(ctx, i), n * GGUF_SCALAR_SIZE[itemType]);
            } else kv.value = bytesAt(f.valData(ctx, i), GGUF_SCALAR_SIZE[type]);
            kvs.push(kv);
          }
          const tensors = [];
          const nT = Number(f.nTensors(ctx));
          for (let i = 0; i < nT; i++) {
            tensors.push({
              name: f.tName(ctx, i) as string,
              type: f.tType(ctx, i) as number,
              offset: Number(f.tOffset(ctx, i)),
              size: Number(f.tSize(ctx, i)),
            });
          }
          return { version: f.version(ctx), alignment: Number(f.alignment(ctx)), dataOffset: Number(f.dataOffset(ctx)), kvs, tensors };
        } finally {
          f.free(ctx);
        }
      },
      writeMetadata(path, kvs) {
        const ctx = f.initEmpty();
        try {
          for (const kv of kvs) {
            if (kv.type === 8) f.setStr(ctx, kv.key, kv.value as string);
            else if (kv.type === 9) {
              if (kv.itemType === 8) f.setArrStr(ctx, kv.key, kv.items as string[], (kv.items as string[]).length);
              else {
                const raw = Buffer.from(kv.items as Uint8Array);
                f.setArrData(ctx, kv.key, kv.itemType!, raw, raw.length / GGUF_SCALAR_SIZE[kv.itemType!]);
              }
            } else {
              const b = kv.value as Uint8Array;
              const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
              const v = [
                () => dv.getUint8(0),
                () => dv.getInt8(0),
                () => dv.getUint16(0, true),
                () => dv.getInt16(0, true),
                () => dv.getUint32(0, true),
                () => dv.getInt32(0, true),
                () => dv.getFloat32(0, true),
                () => dv.getUint8(0) === 1,
                null,
                null,
                () => dv.getBigUint64(0, true),
                () => dv.getBigInt64(0, true),
                () => dv.getFloat64(0, true),
              ][kv.type]!();
              f.setters[kv.type](ctx, kv.key, v);
            }
          }
          return f.write(ctx, path, false) as boolean;
        } finally {
          f.free(ctx);
        }
      },
    };
  } catch {
    return null;
  }
}
