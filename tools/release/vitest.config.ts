import { defineConfig } from 'vitest/config';

// Standalone config for the release check (tools/release is not a workspace, so the root
// config's packages/* + examples/* scan does not see it):
//   LLMKIT_RELEASE_CHECK=1 npx vitest run --config tools/release/vitest.config.ts
// The test runs the *built* tarballs with plain node; it needs no @llmkit/source condition.
export default defineConfig({
  test: {
    root: new URL('.', import.meta.url).pathname,
    include: ['test/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 1_500_000,
    pool: 'forks',
  },
});
