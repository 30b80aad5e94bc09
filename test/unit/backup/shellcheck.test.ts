import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { scriptsDir } from './scriptFixture.ts';

describe('scripts/backup shell scripts', () => {
  const scripts = readdirSync(scriptsDir).filter((f) => f.endsWith('.sh'));

  it('are bash with strict mode', async () => {
    assert.ok(scripts.length >= 3);
    for (const s of scripts) {
      const r = await execa('bash', ['-n', join(scriptsDir, s)], { reject: false });
      assert.equal(r.exitCode, 0, `${s}: ${r.stderr}`);
      const text = readFileSync(join(scriptsDir, s), 'utf8');
      assert.match(text, /^#!\/usr\/bin\/env bash\n/, s);
      assert.match(text, /^set -euo pipefail$/m, s);
    }
  });

  it('are clean under shellcheck (Debian package shellcheck)', async function () {
    const probe = await execa('shellcheck', ['--version'], { reject: false });
    // Required in CI (.ci/run installs it); skipped on a machine without it.
    if (probe.exitCode !== 0 && process.env.CI === undefined) this.skip();
    assert.equal(probe.exitCode, 0, 'shellcheck is not installed');
    const r = await execa('shellcheck', ['--severity=style', '--shell=bash', ...scripts], { cwd: scriptsDir, reject: false });
    assert.equal(r.exitCode, 0, r.stdout);
  });
});
