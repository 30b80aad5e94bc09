// Runs the same in-host suites with @vscode/test-electron, which downloads a desktop VS Code.
// For machines with internet access (a laptop, a hosted CI); offline, use `npm run test:integration`.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { runTests } from '@vscode/test-electron';
import { prepareWorkspace, ROOT } from '../../scripts/lib/codeServer.js';

const workspace = prepareWorkspace();
try {
  await runTests({
    version: '1.139.1',
    extensionDevelopmentPath: ROOT,
    extensionTestsPath: join(ROOT, 'dist-test/integration/index.cjs'),
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust'],
  });
} catch (error) {
  console.error('test-electron: the in-host suites failed or VS Code could not be started:', error);
  process.exitCode = 1;
} finally {
  rmSync(workspace, { recursive: true, force: true });
}
