// Creates packages/<name> with the repository's standard package layout.
// Usage: node tools/scaffold-package.mjs <name> "<description>" [dep,dep]
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const [name, description, deps = ''] = process.argv.slice(2);
if (!name || !description) {
  console.error('usage: node tools/scaffold-package.mjs <name> "<description>" [core,tokenizer]');
  process.exit(2);
}
const dir = join('packages', name);
mkdirSync(join(dir, 'src'), { recursive: true });
mkdirSync(join(dir, 'test'), { recursive: true });
const dependencies = Object.fromEntries(
  deps.split(',').filter(Boolean).map((d) => [`@llmkit/${d}`, '0.0.0']),
);
const pkg = {
  name: `@llmkit/${name}`,
  version: '0.0.0',
  description,
  license: 'Apache-2.0',
  type: 'module',
  sideEffects: false,
  repository: { type: 'git', url: 'git+https://github.com/llmkit/llmkit.git', directory: dir },
  engines: { node: '>=20.19' },
  exports: {
    '.': {
      '@llmkit/source': './src/index.ts',
      types: './dist/index.d.ts',
      import: './dist/index.js',
    },
    './package.json': './package.json',
  },
  main: './dist/index.js',
  types: './dist/index.d.ts',
  files: ['dist', 'src', 'README.md'],
  scripts: {
    build: 'tsup',
    typecheck: 'tsc --noEmit -p tsconfig.json',
    'lint:pkg': 'publint --strict && attw --pack . --profile esm-only',
  },
  dependencies,
  publishConfig: { access: 'public' },
};
writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
writeFileSync(
  join(dir, 'tsconfig.json'),
  JSON.stringify({ extends: '../../tsconfig.base.json', include: ['src', 'test', 'bench'] }, null, 2) + '\n',
);
writeFileSync(
  join(dir, 'tsup.config.ts'),
  `import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  target: 'es2022',
  dts: true,
  sourcemap: true,
  clean: true,
});
`,
);
if (!existsSync(join(dir, 'src/index.ts'))) {
  writeFileSync(join(dir, 'src/index.ts'), `// @llmkit/${name}: ${description}\n// The public API is listed here by name as it lands.\nexport {};\n`);
}
if (!existsSync(join(dir, 'README.md'))) {
  writeFileSync(
    join(dir, 'README.md'),
    `# @llmkit/${name}\n\n${description}\n\n**Status: planned.** This package is a placeholder in the monorepo; its API lands in a later issue and is listed here when it does.\n`,
  );
}
