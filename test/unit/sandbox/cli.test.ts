// `npm run sandbox` refuses bad options with the reason and exit code 2, before it builds,
// installs or starts anything.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { ROOT } from '../../../scripts/sandbox/sandbox.ts';

const sandboxDirs = (): string[] => readdirSync(tmpdir()).filter((n) => n.startsWith('dr-runbook-sandbox-'));

describe('npm run sandbox: bad options', () => {
  for (const [args, message] of [
    [['--trouble', 'nope'], /^sandbox: unknown --trouble "nope": choose db-corrupted, cluster-lost, bad-deploy$/m],
    [['--rows', '0'], /^sandbox: --rows must be a whole number from 1 to 50000000$/m],
    [['--port', '70000'], /^sandbox: --port must be a whole number from 1 to 65535$/m],
    [['--editor', 'vim'], /^sandbox: --editor must be code-server or code$/m],
    [['--bogus'], /^sandbox: Unknown option '--bogus'/m],
  ] as const) {
    it(`refuses ${args.join(' ')}, says why, and starts nothing`, async () => {
      const before = sandboxDirs();
      const run = await execa(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/sandbox/main.ts'), ...args], {
        reject: false,
        cwd: ROOT,
      });
      assert.equal(run.exitCode, 2, run.stderr);
      assert.match(run.stderr, message);
      assert.doesNotMatch(run.stdout, /building the extension/);
      assert.deepEqual(sandboxDirs(), before);
    });
  }

  it('prints its usage with --help', async () => {
    const run = await execa(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/sandbox/main.ts'), '--help'], {
      cwd: ROOT,
    });
    assert.match(run.stdout, /--trouble NAME/);
    assert.match(run.stdout, /db-corrupted +the application runs/);
  });
});
