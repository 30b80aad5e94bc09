// Fails when a tracked file still holds a merge's conflict markers. The format check does not read
// markdown (.prettierignore), so a CHANGELOG merged by hand could keep them unnoticed.
import { spawnSync } from 'node:child_process';

const found = spawnSync('git', ['grep', '-nE', '^(<{7}|>{7}) '], { encoding: 'utf8' });
if (found.status === 0) {
  console.error(`Conflict markers left from a merge; resolve them:\n${found.stdout}`);
  process.exit(1);
}
if (found.status !== 1) {
  console.error(`git grep could not look for conflict markers: ${found.stderr || found.error}`);
  process.exit(1);
}
