import { readdirSync, existsSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// One root config; every package (and example) with a test/ folder is a project.
// The `@llmkit/source` condition makes imports of @llmkit/* resolve to src/, so
// tests never read a stale dist/.
const roots = ['packages', 'examples'].flatMap((group) =>
  existsSync(group)
    ? readdirSync(group)
        .filter((name) => existsSync(`${group}/${name}/test`))
        .map((name) => ({ group, name }))
    : [],
);

export default defineConfig({
  resolve: { conditions: ['@llmkit/source'] },
  ssr: { resolve: { conditions: ['@llmkit/source'] } },
  test: {
    projects: [
      ...roots.map(({ group, name }) => ({
        extends: true,
        test: {
          name: group === 'packages' ? name : `example-${name}`,
          root: `${group}/${name}`,
          include: ['test/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      })),
      // Release checks: packed tarballs installed into a fresh project (the slow part is opt-in: LLMKIT_RELEASE_CHECK=1).
      {
        extends: true,
        test: { name: 'release', root: 'tools/release', include: ['test/**/*.test.ts'], testTimeout: 300_000, hookTimeout: 1_500_000 },
      },
    ],
    pool: 'forks',
    reporters: ['default'],
  },
});
