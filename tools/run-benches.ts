/**
 * `npm run bench`: run every package's bench/*.bench.ts in sequence (never in
 * parallel: the machines are small and noisy) and pass their JSON lines
 * through. Extra arguments are forwarded; `--filter <text>` runs only benches
 * whose path contains <text>.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
const filterAt = args.indexOf('--filter');
const filter = filterAt >= 0 ? args.splice(filterAt, 2)[1] : undefined;
const benches = readdirSync('packages')
  .flatMap((pkg) => {
    const dir = join('packages', pkg, 'bench');
    return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.bench.ts')).map((f) => join(dir, f)) : [];
  })
  .filter((path) => !filter || path.includes(filter));
let failed = 0;
for (const path of benches) {
  console.error(`# ${path}`);
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--conditions=@llmkit/source', path, ...args], { stdio: 'inherit' });
  if (run.status !== 0) {
    failed++;
    console.error(`# ${path} exited with ${run.status}`);
  }
}
process.exit(failed ? 1 : 0);
