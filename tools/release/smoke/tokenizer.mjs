// @llmkit/tokenizer from its tarball: tiktoken rank data (js-tiktoken) loads, BPE training runs.
import assert from 'node:assert/strict';
import { Tokenizer, trainBpe } from '@llmkit/tokenizer';

const enc = Tokenizer.fromTiktoken('cl100k_base');
// tiktoken: enc = tiktoken.get_encoding("cl100k_base"); enc.encode("hello world") == [15339, 1917]
assert.deepEqual(enc.encode('hello world'), [15339, 1917]);
assert.equal(enc.decode(enc.encode('Call me Ishmael. 🐋')), 'Call me Ishmael. 🐋');
// 256 byte tokens + 8 merges + 1 special token = vocabulary of 265
const trained = await trainBpe(['the whale the whale the sea'.repeat(20)], { vocabSize: 265, specialTokens: ['<|endoftext|>'] });
assert.equal(trained.vocabSize, 265);
assert.equal(trained.decode(trained.encode('the whale')), 'the whale');
console.log('tokenizer ok');
