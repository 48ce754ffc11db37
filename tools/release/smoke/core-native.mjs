// @llmkit/core-native from its tarball. The consumer installs with --ignore-scripts, so the addon is
// not compiled: the loader must say so (not throw), and core must fall back to its WebAssembly matmul
// and still compute correctly.
import assert from 'node:assert/strict';
import { loadNativeAddon } from '@llmkit/core-native';
import { initBackend, tf } from '@llmkit/core';

const load = loadNativeAddon();
assert.equal(load.addon, null);
assert.match(load.reason, /build|built|found|compile/i);
const info = await initBackend();
assert.equal(info.matmul.path, 'simd');
assert.equal(typeof info.matmul.nativeUnavailable, 'string');
// 2x3 @ 3x2 by hand: [[1,2,3],[4,5,6]] @ [[1,0],[0,1],[1,1]] = [[4,5],[10,11]]
const c = tf.matMul(tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]), tf.tensor2d([1, 0, 0, 1, 1, 1], [3, 2]));
assert.deepEqual(Array.from(c.dataSync()), [4, 5, 10, 11]);
console.log('core-native ok (not built: core uses WebAssembly)');
