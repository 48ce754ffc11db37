// @llmkit/sampling from its tarball, with @llmkit/core's RNG.
import assert from 'node:assert/strict';
import { createRng } from '@llmkit/core';
import { sample, topK, jsonSchemaToRegex } from '@llmkit/sampling';

const logits = Float32Array.from([0.5, 3, 1, -2]);
assert.equal(sample(logits, { temperature: 0 }, createRng(0)), 1); // greedy: argmax is index 1
// top-k 2 keeps the two largest logits (3 and 1) and sets the rest to -Infinity
assert.deepEqual(Array.from(topK(logits, 2)), [-Infinity, 3, 1, -Infinity]);
assert.equal(typeof jsonSchemaToRegex({ type: 'integer' }), 'string');
console.log('sampling ok');
