// The extensionTestsPath module: VS Code's extension host loads it and awaits run().
// It runs every bundled *.test.cjs beside it with mocha and reports the counts on one line
// that the harness reads (the host's console is all that reaches it). In an untrusted workspace
// it runs the untrusted-*.test.cjs suites, in a trusted one all the others.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import Mocha from 'mocha';
import * as vscode from 'vscode';

export async function run(): Promise<void> {
  // DR_RUNBOOK_TEST_FILES=notebook,secrets runs only the files whose names start with those words
  // (a developer's shortcut; CI runs everything).
  const only = process.env.DR_RUNBOOK_TEST_FILES?.split(',').filter(Boolean) ?? [];
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60_000, reporter: 'spec', forbidOnly: true });
  const untrusted = !vscode.workspace.isTrusted;
  for (const file of readdirSync(__dirname)
    .filter((f) => f.endsWith('.test.cjs') && f.startsWith('untrusted') === untrusted)
    .filter((f) => !only.length || only.some((name) => f.startsWith(name)))
    .sort()) {
    mocha.addFile(join(__dirname, file));
  }
  await new Promise<void>((resolve, reject) => {
    const runner = mocha.run((failures) => {
      const { passes = 0, failures: failed = 0, pending = 0 } = runner.stats ?? {};
      console.log(`DR-RUNBOOK-RESULT ${JSON.stringify({ passed: passes, failed, skipped: pending })}`);
      if (failures > 0) reject(new Error(`${failures} integration test(s) failed`));
      else resolve();
    });
  });
}
