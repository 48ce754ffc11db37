// @llmkit/model from its tarball: a tiny Llama forwards and generates with a KV cache.
import assert from 'node:assert/strict';
import { initBackend, createRng } from '@llmkit/core';
import { DecoderLM } from '@llmkit/model';

await initBackend();
const model = DecoderLM.fromConfig(
  { model_type: 'llama', vocab_size: 32, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 2,
    num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 64 },
  { rng: createRng(0) },
);
assert.deepEqual(model.forward([[1, 2, 3]]).shape, [1, 3, 32]);
const ids = [];
for await (const chunk of model.generate([1, 2, 3], { maxNewTokens: 5, config: { temperature: 0 } })) ids.push(chunk.tokenId);
const uncached = [];
for await (const chunk of model.generate([1, 2, 3], { maxNewTokens: 5, config: { temperature: 0 }, useCache: false })) uncached.push(chunk.tokenId);
assert.equal(ids.length, 5);
assert.deepEqual(ids, uncached); // greedy with a KV cache equals recomputation
console.log('model ok');
