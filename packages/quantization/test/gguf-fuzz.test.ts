/**
 * Fuzzing readGGUF: 2,000 mutations of a valid file (byte flips, random bytes, interesting
 * integers spliced over length/count fields, truncations, insertions and deletions). Every
 * read must either succeed with a self-consistent result or throw a GgufError, never any
 * other error, and never take long (no hang, no huge allocation).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GgufError, readGGUF, writeGGUF, type GgufValue } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'llmkit-gguf-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function seedFile(): Uint8Array {
  const metadata = new Map<string, GgufValue>([
    ['general.architecture', { type: 'string', value: 'llama' }],
    ['general.alignment', { type: 'uint32', value: 32 }],
    ['llama.block_count', { type: 'uint32', value: 2 }],
    ['llama.rope.freq_base', { type: 'float32', value: 10000 }],
    ['general.flag', { type: 'bool', value: true }],
    ['general.big', { type: 'uint64', value: 12345678901234n }],
    ['tokenizer.ggml.tokens', { type: 'array', itemType: 'string', value: ['<unk>', '<s>', '</s>', 'a', 'b\u00e9'] }],
    ['tokenizer.ggml.scores', { type: 'array', itemType: 'float32', value: [0, 0, 0, -1, -2] }],
    ['tokenizer.ggml.token_type', { type: 'array', itemType: 'int32', value: [2, 3, 3, 1, 1] }],
    ['x.nested', { type: 'array', itemType: 'array', value: [{ type: 'array', itemType: 'uint16', value: [1, 2] }] }],
  ]);
  const data = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i));
  return writeGGUF(null, {
    metadata,
    tensors: [
      { name: 'token_embd.weight', shape: [32, 5], type: 'Q8_0', data: data(160) },
      { name: 'blk.0.attn_norm.weight', shape: [32], type: 'F32', data: data(32) },
      { name: 'blk.0.ffn_down.weight', shape: [64, 2], type: 'Q4_0', data: data(128) },
      { name: 'output.weight', shape: [32, 5], type: 'F16', data: data(160) },
    ],
  });
}

const INTERESTING = [
  0n,
  1n,
  2n,
  3n,
  4n,
  5n,
  7n,
  8n,
  9n,
  12n,
  13n,
  31n,
  32n,
  33n,
  64n,
  255n,
  0xffffn,
  0x7fffffffn,
  0xffffffffn,
  2n ** 32n,
  2n ** 53n,
  2n ** 63n,
  2n ** 64n - 1n,
];

function mutate(seed: Uint8Array, headerEnd: number, u: () => number): { bytes: Uint8Array; how: string } {
  const pick = (n: number) => Math.floor(u() * n);
  // Most mutations hit the header (metadata and tensor infos), where the parsing happens.
  const pos = () => (u() < 0.85 ? pick(headerEnd) : pick(seed.length));
  const kind = pick(7);
  let bytes = seed.slice();
  let how: string;
  switch (kind) {
    case 0: {
      const n = 1 + pick(4);
      const at: number[] = [];
      for (let i = 0; i < n; i++) {
        const p = pos();
        bytes[p] ^= 1 << pick(8);
        at.push(p);
      }
      how = `bit flips at ${at.join(',')}`;
      break;
    }
    case 1: {
      const p = pos();
      const n = 1 + pick(8);
      for (let i = 0; i < n && p + i < bytes.length; i++) bytes[p + i] = pick(256);
      how = `${n} random bytes at ${p}`;
      break;
    }
    case 2: {
      const p = pos();
      const v = INTERESTING[pick(INTERESTING.length)];
      const width = [1, 2, 4, 8][pick(4)];
      for (let i = 0; i < width && p + i < bytes.length; i++) bytes[p + i] = Number((v >> BigInt(8 * i)) & 0xffn);
      how = `${width}-byte ${v} at ${p}`;
      break;
    }
    case 3: {
      const n = pick(seed.length);
      bytes = bytes.slice(0, n);
      how = `truncate to ${n}`;
      break;
    }
    case 4: {
      const p = pos();
      const n = 1 + pick(16);
      const out = new Uint8Array(bytes.length + n);
      out.set(bytes.subarray(0, p));
      for (let i = 0; i < n; i++) out[p + i] = pick(256);
      out.set(bytes.subarray(p), p + n);
      bytes = out;
      how = `insert ${n} at ${p}`;
      break;
    }
    case 5: {
      const p = pos();
      const n = 1 + pick(16);
      bytes = Uint8Array.from([...bytes.subarray(0, p), ...bytes.subarray(p + n)]);
      how = `delete ${n} at ${p}`;
      break;
    }
    default: {
      const p = pos();
      const q = pos();
      const n = 1 + pick(12);
      bytes.copyWithin(p, q, q + n);
      how = `copy ${n} from ${q} to ${p}`;
    }
  }
  return { bytes, how };
}

describe('readGGUF fuzz', () => {
  it('2,000 mutated files: each read succeeds consistently or throws GgufError, quickly', () => {
    const seed = seedFile();
    const headerEnd = readGGUF(seed).dataOffset;
    const u = rng(20260611);
    let ok = 0;
    let rejected = 0;
    const fields = new Map<string, number>();
    let slowest = 0;
    for (let i = 0; i < 2000; i++) {
      const { bytes, how } = mutate(seed, headerEnd, u);
      // Every 25th case goes through the file path reader (chunked reads from a descriptor).
      let input: string | Uint8Array = bytes;
      if (i % 25 === 0) {
        input = join(dir, `case-${i}.gguf`);
        writeFileSync(input, bytes);
      }
      const t0 = performance.now();
      try {
        const file = readGGUF(input, { readTensorData: true });
        ok++;
        // A successful read is self-consistent.
        for (const t of file.tensors) {
          expect(t.data!.length, how).toBe(t.byteLength);
          expect(file.dataOffset + t.offset + t.byteLength, how).toBeLessThanOrEqual(bytes.length);
          expect(t.offset % file.alignment, how).toBe(0);
        }
      } catch (e) {
        if (!GgufError.isInstance(e)) {
          expect.fail(`case ${i} (${how}) threw a non-GgufError: ${String((e as Error)?.stack ?? e)}`);
        }
        rejected++;
        const field = (e.field ?? '?').replace(/\[[^\]]*\]/g, '[]');
        fields.set(field, (fields.get(field) ?? 0) + 1);
      }
      slowest = Math.max(slowest, performance.now() - t0);
    }
    // Both outcomes occur (mutations of tensor data or padding stay valid), and many distinct checks fire.
    expect(ok).toBeGreaterThan(50);
    expect(rejected).toBeGreaterThan(1000);
    expect(fields.size).toBeGreaterThan(10);
    expect(slowest).toBeLessThan(1000);
  });
});
