// Install script of @llmkit/core-native: compile the addon with node-gyp. The addon is optional, so
// this never fails the install: on any failure it prints one warning line and exits 0, and
// @llmkit/core keeps using its WebAssembly kernels. `--verbose` shows node-gyp's output.
// LLMKIT_NATIVE=0 skips the build.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.join(__dirname, '..');
const verbose = process.argv.includes('--verbose');
const warn = (why) =>
  console.warn(`@llmkit/core-native: native matmul addon not built (${why}); @llmkit/core will use its WebAssembly kernels.`);

try {
  if (process.env.LLMKIT_NATIVE === '0') {
    console.warn('@llmkit/core-native: build skipped (LLMKIT_NATIVE=0).');
    process.exit(0);
  }
  if (process.arch !== 'x64') {
    warn(`no AVX2/AVX-512 kernels for ${process.arch}`);
    process.exit(0);
  }
  // npm exposes the node-gyp it bundles; otherwise use one on PATH.
  const gyp = process.env.npm_config_node_gyp;
  const [command, args] = gyp ? [process.execPath, [gyp, 'rebuild']] : ['node-gyp', ['rebuild']];
  const run = spawnSync(command, args, {
    cwd: root,
    encoding: 'utf8',
    stdio: verbose ? 'inherit' : 'pipe',
    shell: !gyp && process.platform === 'win32',
    timeout: 600_000,
  });
  if (run.error || run.status !== 0) {
    // The most telling line: a compiler error, else node-gyp's own error, else the last line.
    const lines = `${run.stderr || ''}\n${run.stdout || ''}`.split('\n').map((l) => l.trim()).filter(Boolean);
    const pick =
      lines.find((l) => /\berror:/i.test(l) && !l.startsWith('gyp')) ||
      lines.find((l) => /^gyp ERR! stack Error:/.test(l)) ||
      lines.find((l) => /Error \d+$/.test(l)) ||
      lines.pop();
    const tail = (run.error ? run.error.message : pick || `exit ${run.status}`).replace(/\s+/g, ' ').slice(0, 200);
    warn(`${gyp ? 'node-gyp' : 'node-gyp on PATH'} failed: ${tail}`);
    process.exit(0);
  }
  // Loading is the real test: a binary that builds but does not load is as good as none.
  const addon = require(path.join(root, 'build', 'Release', 'llmkit_native.node'));
  console.log(`@llmkit/core-native: built (${addon.isa() || 'no AVX2/AVX-512 on this CPU: wasm will be used'}).`);
} catch (error) {
  warn(String((error && error.message) || error).replace(/\s+/g, ' ').slice(0, 200));
}
process.exit(0);
