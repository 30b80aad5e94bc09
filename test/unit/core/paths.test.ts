import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPlanFile } from '../../../src/core/paths.js';

describe('readPlanFile: the plan is read only when it is a regular file', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'dr-plan-file-'));
    writeFileSync(join(dir, 'DR-PLAN.md'), '# Plan\n');
    execFileSync('mkfifo', [join(dir, 'fifo.md')]);
    symlinkSync(join(dir, 'fifo.md'), join(dir, 'link-to-fifo.md'));
    writeFileSync(join(dir, 'huge.md'), '');
    truncateSync(join(dir, 'huge.md'), 5 * 1024 * 1024);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a regular file', async () => {
    assert.deepEqual(await readPlanFile(join(dir, 'DR-PLAN.md'), 'DR-PLAN.md'), { ok: true, value: '# Plan\n' });
  });

  // Opening a FIFO for reading would wait for a writer forever: these return at once, with the reason.
  for (const [name, path, message] of [
    ['a FIFO', 'fifo.md', 'fifo.md is a named pipe (FIFO): DR Runbook reads only regular files as plans.'],
    [
      'a symlink to a FIFO',
      'link-to-fifo.md',
      'link-to-fifo.md is a named pipe (FIFO): DR Runbook reads only regular files as plans.',
    ],
    ['a device', '/dev/zero', '/dev/zero is a device: DR Runbook reads only regular files as plans.'],
    ['a folder', '.', '. is not a regular file: DR Runbook reads only regular files as plans.'],
    ['a 5 MB file', 'huge.md', 'huge.md is 5 MB: DR Runbook reads plans up to 4 MB. Split it into smaller files.'],
  ] as const) {
    it(`refuses ${name} without opening it`, async () => {
      const read = await readPlanFile(path.startsWith('/') ? path : join(dir, path), path);
      assert.deepEqual(read, { ok: false, error: { kind: 'refused', message } });
    });
  }

  it('says when there is no plan', async () => {
    assert.deepEqual(await readPlanFile(join(dir, 'NO-PLAN.md'), 'NO-PLAN.md'), {
      ok: false,
      error: { kind: 'missing', message: 'NO-PLAN.md cannot be read: it does not exist.' },
    });
  });
});
