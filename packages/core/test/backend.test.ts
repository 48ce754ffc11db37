import { afterAll, describe, expect, it } from 'vitest';
import { tf } from '../src/tf.js';
import { initBackend, backendInfo } from '../src/backend/init-backend.js';
import { BackendError, InvalidArgumentError } from '../src/errors/index.js';

describe('initBackend', () => {
  afterAll(async () => {
    await initBackend();
  });

  it('chooses wasm in Node when tfjs-node is absent, with kernel fixes', async () => {
    const info = await initBackend();
    expect(['wasm', 'tensorflow']).toContain(info.backend);
    if (info.backend === 'wasm') {
      expect(info.kernelFixes.length).toBeGreaterThan(0);
      expect(info.threads).toBeGreaterThanOrEqual(1);
    }
    expect(backendInfo()).toEqual(info);
    expect(tf.getBackend()).toBe(info.backend);
  });

  it('honours LLMKIT_BACKEND and options.backend', async () => {
    process.env.LLMKIT_BACKEND = 'cpu';
    try {
      expect((await initBackend()).backend).toBe('cpu');
      expect((await initBackend({ backend: 'wasm' })).backend).toBe('wasm');
    } finally {
      delete process.env.LLMKIT_BACKEND;
    }
  });

  it('registers gradients and chained ops (tfjs-core alone does not in Node)', async () => {
    await initBackend();
    const g = tf.grad((x: tf.Tensor) => x.square().sum())(tf.tensor1d([1, 2, 3]));
    expect(Array.from(g.dataSync())).toEqual([2, 4, 6]);
  });

  it('rejects unknown names and unavailable backends with typed errors', async () => {
    await expect(initBackend({ backend: 'webgpu' as never })).rejects.toThrow(InvalidArgumentError);
    const missing = await initBackend({ backend: 'tensorflow' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    // tfjs-node is an optional opt-in; when it is not installed the error says so.
    if (missing !== undefined) {
      expect(BackendError.isInstance(missing)).toBe(true);
      expect(String(missing)).toMatch(/tfjs-node/);
    }
  });
});
