// The command line reads the plan as the extension does: a FIFO at the plan's path is refused at
// once (reading it would wait for a writer forever), with the reason and exit code 2, and nothing is written.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../src/cli/main.js';

describe('dr-runbook and a plan that is not a regular file', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'dr-cli-plan-'));
    execFileSync('mkfifo', [join(dir, 'DR-PLAN.md')]);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const args of [['check'], ['drill', '--non-interactive'], ['run', 'outage', '--non-interactive']]) {
    it(`${args[0]} refuses a FIFO at the plan's path with exit code 2 and writes nothing`, async () => {
      const errors: string[] = [];
      const code = await main([...args, `--workspace=${dir}`], {
        out: () => undefined,
        err: (l) => errors.push(l),
        env: {},
        cwd: dir,
      });
      assert.equal(code, 2);
      assert.deepEqual(errors, [
        `dr-runbook: the plan ${join(dir, 'DR-PLAN.md')} is a named pipe (FIFO): DR Runbook reads only regular files as plans. Give --workspace or --plan. See dr-runbook --help.`,
      ]);
      assert.deepEqual(readdirSync(dir), ['DR-PLAN.md']);
    });
  }
});
