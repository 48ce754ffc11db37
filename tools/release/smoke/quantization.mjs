// @llmkit/quantization from its tarball: ggml Q8_0 blocks and a GGUF round trip.
import assert from 'node:assert/strict';
import { quantizeBlocks, dequantizeBlocks, writeGGUF, readGGUF } from '@llmkit/quantization';

const w = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i));
const q = quantizeBlocks('Q8_0', w);
assert.equal(q.length, 68); // Q8_0: blocks of 32 values = one f16 scale (2 bytes) + 32 int8 -> 2 x 34 bytes
const back = dequantizeBlocks('Q8_0', q, w.length);
// error <= half a step: scale = max|w| / 127 <= 1 / 127, plus the f16 rounding of the scale
for (let i = 0; i < w.length; i++) assert.ok(Math.abs(back[i] - w[i]) <= 0.5 / 127 + 1e-3, `value ${i}`);
const bytes = writeGGUF(null, {
  metadata: { 'general.architecture': { type: 'string', value: 'llama' } },
  tensors: [{ name: 't', shape: [32, 2], type: 'Q8_0', data: w }],
});
const file = readGGUF(bytes);
assert.equal(file.metadata.get('general.architecture').value, 'llama');
console.log('quantization ok');
