// consumerLock: the consumer's lockfile keeps exactly what Node resolution reaches from the tarballs.
import { describe, expect, it } from 'vitest';
import { consumerLock, type PackedPackage } from '../pack.js';

const pkg = (dir: string, dependencies: Record<string, string>): PackedPackage => ({
  dir, name: `@llmkit/${dir}`, version: '0.0.0', path: `/repo/packages/${dir}`, private: false, dependencies,
  tarball: `/t/llmkit-${dir}-0.0.0.tgz`, integrity: `sha512-${dir}`, files: [], unpackedSize: 0,
});

describe('consumerLock', () => {
  it('follows Node resolution (nested first), maps workspace-nested packages under @llmkit/*, drops the rest', () => {
    const repo = {
      packages: {
        '': { name: 'root' },
        'packages/a': { version: '0.0.0', dependencies: { x: '^1.0.0', '@llmkit/b': '0.0.0' }, optionalDependencies: { gone: '1.0.0' } },
        'packages/b': { version: '0.0.0', dependencies: { y: '1.0.0' } },
        'node_modules/@llmkit/a': { resolved: 'packages/a', link: true },
        'node_modules/@llmkit/b': { resolved: 'packages/b', link: true },
        'node_modules/x': { version: '1.2.0', resolved: 'https://r/x-1.2.0.tgz', integrity: 'sha512-x', dependencies: { z: '2.0.0' }, dev: true },
        'node_modules/x/node_modules/z': { version: '2.0.0', resolved: 'https://r/z-2.0.0.tgz', integrity: 'sha512-z2' },
        'node_modules/z': { version: '1.0.0', resolved: 'https://r/z-1.0.0.tgz', integrity: 'sha512-z1' },
        'packages/b/node_modules/y': { version: '1.0.0', resolved: 'https://r/y-1.0.0.tgz', integrity: 'sha512-y1' },
        'node_modules/y': { version: '3.0.0', resolved: 'https://r/y-3.0.0.tgz', integrity: 'sha512-y3' },
        'node_modules/vitest': { version: '4.1.12', dev: true },
      },
    };
    const lock = consumerLock(JSON.stringify(repo), [pkg('a', {}), pkg('b', {})], (p) => `file:../t/${p.dir}.tgz`) as {
      packages: Record<string, Record<string, unknown>>;
    };
    // a -> x (root), x -> z: x's own nested z@2 wins over root z@1; b -> y: b's nested y@1, not root y@3.
    // 'gone' is optional and absent: skipped. z@1, y@3 and vitest are reached by nothing: dropped.
    expect(Object.keys(lock.packages)).toEqual([
      '',
      'node_modules/@llmkit/a',
      'node_modules/@llmkit/b',
      'node_modules/@llmkit/b/node_modules/y',
      'node_modules/x',
      'node_modules/x/node_modules/z',
    ]);
    expect(lock.packages['node_modules/x']).toEqual({ version: '1.2.0', resolved: 'https://r/x-1.2.0.tgz', integrity: 'sha512-x', dependencies: { z: '2.0.0' } });
    expect(lock.packages['node_modules/@llmkit/a']).toMatchObject({ resolved: 'file:../t/a.tgz', integrity: 'sha512-a' });
    expect(lock.packages['']).toMatchObject({ dependencies: { '@llmkit/a': 'file:../t/a.tgz', '@llmkit/b': 'file:../t/b.tgz' } });
  });

  it('names a required package missing from the repository lock', () => {
    const repo = { packages: { 'packages/a': { dependencies: { nope: '1.0.0' } } } };
    expect(() => consumerLock(JSON.stringify(repo), [pkg('a', {})], () => 'file:x')).toThrow(/nope \(needed by packages\/a\) is not in package-lock.json/);
  });
});
