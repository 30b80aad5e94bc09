// Runs the integration suites (dist-test/integration) inside a real VS Code extension host:
// code-server with the smoke-test driver, the extension loaded as extensionDevelopmentPath and
// the suite as extensionTestsPath through the ?payload= route, the result reported back through
// codeAutomationExit. Prints mocha's report and a final "N passed, N failed" line.
import { join } from 'node:path';
import { format } from 'node:util';
import { startK8sApiServer } from '../../scripts/k8sApiServer/server.js';
import { leakPasswordsInLogs, NEVER_READY_IMAGE } from '../support/testImages.js';
import {
  launchBrowser,
  makeTempDir,
  prepareWorkspace,
  removeQuietly,
  ROOT,
  startCodeServer,
} from '../../scripts/lib/codeServer.js';

const TIMEOUT_MS = Number(process.env.DR_RUNBOOK_TEST_TIMEOUT_MS ?? 300_000);

async function main(): Promise<number> {
  const workspace = prepareWorkspace();
  // A Kubernetes API test server for the runs; the extension host finds it through KUBECONFIG,
  // as it would find a real cluster.
  const cluster = await startK8sApiServer({ podReadyDelayMs: 50, namespaceFinalizeDelayMs: 200 });
  // A rollout that never becomes ready, for the test that cancels a run while it waits.
  cluster.setImageBehaviour(NEVER_READY_IMAGE, { neverReady: true });
  // Pods that log a password, for the test that no secret reaches an output channel.
  const stopLeaking = leakPasswordsInLogs(cluster);
  const kubeconfig = await cluster.writeKubeconfig(join(makeTempDir('kube-'), 'kubeconfig'), {
    context: 'dr-runbook-test',
    namespace: 'endpoint-stats',
  });
  const server = await startCodeServer({ smokeTestDriver: true, env: { KUBECONFIG: kubeconfig } });
  const browser = await launchBrowser();
  let summary: { passed: number; failed: number; skipped: number } | undefined;
  try {
    const page = browser.pages()[0] ?? (await browser.newPage());
    let finish!: (code: number) => void;
    const exitCode = new Promise<number>((r) => (finish = r));
    await page.exposeFunction('codeAutomationLog', (_type: string, args: unknown[]) => {
      const line = format(...(args ?? []));
      const result = /^DR-RUNBOOK-RESULT (.*)$/.exec(line);
      if (result) summary = JSON.parse(result[1]!) as typeof summary;
      else if (
        !/^(Ignoring fetching|Updating additional builtin|\[AccountPolicyGate\]|Creation of workbench contribution)/.test(line)
      ) {
        console.log(line);
      }
    });
    await page.exposeFunction('codeAutomationExit', (code: number) => finish(code));
    const remote = (path: string): string => `vscode-remote://127.0.0.1:${server.port}${path}`;
    const payload = [
      ['extensionDevelopmentPath', remote(ROOT)],
      ['extensionTestsPath', remote(join(ROOT, 'dist-test/integration/index.cjs'))],
      ['skipWelcome', 'true'],
    ];
    await page.goto(
      `${server.url}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`,
    );
    const code = await Promise.race([exitCode, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), TIMEOUT_MS))]);
    if (code === 'timeout') {
      console.error(`integration: no result from the extension host within ${TIMEOUT_MS / 1000} s`);
      return 2;
    }
    const s = summary ?? { passed: 0, failed: code === 0 ? 0 : 1, skipped: 0 };
    console.log(`integration: ${s.passed} passed, ${s.failed} failed${s.skipped ? `, ${s.skipped} skipped` : ''}`);
    return code === 0 && s.failed === 0 && s.passed > 0 ? 0 : 1;
  } finally {
    await browser.close().catch(() => undefined);
    await server.stop();
    stopLeaking();
    await cluster.stop();
    removeQuietly(workspace);
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('integration: the harness failed:', error);
    process.exit(3);
  },
);
