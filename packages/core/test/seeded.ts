/**
 * A tiny seeded uniform [0, 1) generator (mulberry32) for test inputs, shared by the kernel tests so
 * their random shapes and values stay reproducible. Not core's `createRng` (which reproduces
 * PyTorch's streams): these tests only need a fixed, cheap stream.
 */
export function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
