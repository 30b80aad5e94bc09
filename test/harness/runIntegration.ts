// Runs the integration suites (dist-test/integration) inside a real VS Code extension host:
// code-server with the smoke-test driver, the extension loaded as extensionDevelopmentPath and
// the suite as extensionTestsPath through the ?payload= route, the result reported back through
// codeAutomationExit. Two hosts run one after the other: a trusted workspace for every suite but
// the untrusted ones, then an untrusted workspace (restricted mode) for the untrusted-* suites.
// Prints mocha's report and a final "N passed, N failed" line.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { format } from 'node:util';
import { stringify } from 'yaml';
import { startK8sApiServer } from '../../scripts/k8sApiServer/server.js';
import { leakPasswordsInLogs, NEVER_READY_IMAGE, WEBHOOK_ECHO_MESSAGE, WEBHOOK_ECHO_SECRET } from '../support/testImages.js';
import {
  launchBrowser,
  makeTempDir,
  prepareWorkspace,
  removeQuietly,
  ROOT,
  startCodeServer,
} from '../../scripts/lib/codeServer.js';

const TIMEOUT_MS = Number(process.env.DR_RUNBOOK_TEST_TIMEOUT_MS ?? 300_000);

interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

/** Runs the suites in one extension host opened on `workspace`; the counts, or why there are none. */
async function runHost(
  workspace: string,
  env: NodeJS.ProcessEnv,
  untrustedWorkspace: boolean,
): Promise<Counts | { error: string }> {
  const server = await startCodeServer({ smokeTestDriver: true, env, untrustedWorkspace });
  const browser = await launchBrowser();
  let summary: Counts | undefined;
  try {
    const page = browser.pages()[0] ?? (await browser.newPage());
    let finish!: (code: number) => void;
    const exitCode = new Promise<number>((r) => (finish = r));
    await page.exposeFunction('codeAutomationLog', (_type: string, args: unknown[]) => {
      const line = format(...(args ?? []));
      const result = /^DR-RUNBOOK-RESULT (.*)$/.exec(line);
      if (result) summary = JSON.parse(result[1]!) as Counts;
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
    if (code === 'timeout') return { error: `no result from the extension host within ${TIMEOUT_MS / 1000} s` };
    return summary ?? { passed: 0, failed: code === 0 ? 0 : 1, skipped: 0 };
  } finally {
    await browser.close().catch(() => undefined);
    await server.stop();
  }
}

/** The trusted host: a test cluster staged for the runs, found through KUBECONFIG as a real one would be. */
async function trustedHost(): Promise<Counts | { error: string }> {
  const workspace = prepareWorkspace();
  const cluster = await startK8sApiServer({ podReadyDelayMs: 50, namespaceFinalizeDelayMs: 200 });
  // A rollout that never becomes ready, for the test that cancels a run while it waits.
  cluster.setImageBehaviour(NEVER_READY_IMAGE, { neverReady: true });
  // Pods that log a password, for the test that no secret reaches an output channel.
  const stopLeaking = leakPasswordsInLogs(cluster);
  // An admission webhook that echoes a Secret, password and all, in its refusal (the secrets test).
  cluster.faults.failRequests({
    method: 'PATCH',
    path: `/secrets/${WEBHOOK_ECHO_SECRET}`,
    status: 422,
    times: Infinity,
    message: WEBHOOK_ECHO_MESSAGE,
  });
  try {
    const kubeconfig = await cluster.writeKubeconfig(join(makeTempDir('kube-'), 'kubeconfig'), {
      context: 'dr-runbook-test',
      namespace: 'endpoint-stats',
    });
    return await runHost(workspace, { KUBECONFIG: kubeconfig }, false);
  } finally {
    stopLeaking();
    await cluster.stop();
    removeQuietly(workspace);
  }
}

/**
 * The untrusted host: a repository someone sent, opened in restricted mode. Its kubeconfig's
 * context (and the one the workspace's own settings name) authenticates with an exec credential
 * plugin that leaves a marker file when it runs. Afterwards no request may have reached the test
 * cluster and the marker must not exist, whatever the suites did.
 */
async function untrustedHost(): Promise<Counts | { error: string }> {
  const workspace = prepareWorkspace();
  const cluster = await startK8sApiServer({ podReadyDelayMs: 50 });
  const kube = makeTempDir('kube-untrusted-');
  const marker = join(kube, 'exec-plugin-ran');
  const plugin = join(kube, 'credential-plugin.sh');
  writeFileSync(
    plugin,
    `#!/bin/sh\ntouch '${marker}'\nprintf '%s' '${JSON.stringify({
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      status: { token: cluster.adminToken },
    })}'\n`,
    { mode: 0o755 },
  );
  const user = { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: plugin, interactiveMode: 'Never' } };
  const contexts = ['dr-runbook-test', 'named-by-the-workspace'];
  writeFileSync(
    join(kube, 'kubeconfig'),
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'test', cluster: { server: cluster.url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'exec', user }],
      contexts: contexts.map((name) => ({ name, context: { cluster: 'test', user: 'exec', namespace: 'endpoint-stats' } })),
      'current-context': contexts[0],
    }),
    { mode: 0o600 },
  );
  mkdirSync(join(workspace, '.vscode'));
  writeFileSync(
    join(workspace, '.vscode/settings.json'),
    JSON.stringify({ 'drRunbook.cluster.context': contexts[1], 'drRunbook.backup.directory': '/' }),
  );
  try {
    const counts = await runHost(workspace, { KUBECONFIG: join(kube, 'kubeconfig'), DR_RUNBOOK_TEST_EXEC_MARKER: marker }, true);
    if ('error' in counts) return counts;
    const leaks = [
      ...(cluster.requestCount > 0
        ? [`${cluster.requestCount} request(s) reached the test cluster: ${cluster.recentRequests().join(', ')}`]
        : []),
      ...(existsSync(marker) ? ['the kubeconfig exec credential plugin ran'] : []),
    ];
    for (const leak of leaks) console.error(`integration (untrusted workspace): ${leak}`);
    return leaks.length ? { ...counts, failed: counts.failed + 1 } : counts;
  } finally {
    await cluster.stop();
    removeQuietly(workspace);
    removeQuietly(kube);
  }
}

async function main(): Promise<number> {
  const total: Counts = { passed: 0, failed: 0, skipped: 0 };
  // DR_RUNBOOK_TEST_FILES (see test/integration/index.ts) may leave one host nothing to run.
  const only = process.env.DR_RUNBOOK_TEST_FILES?.split(',').filter(Boolean) ?? [];
  const hosts = [
    ...(only.length && only.every((f) => f.startsWith('untrusted')) ? [] : [trustedHost]),
    ...(only.length && !only.some((f) => f.startsWith('untrusted')) ? [] : [untrustedHost]),
  ];
  for (const host of hosts) {
    const counts = await host();
    if ('error' in counts) {
      console.error(`integration: ${counts.error}`);
      return 2;
    }
    total.passed += counts.passed;
    total.failed += counts.failed;
    total.skipped += counts.skipped;
  }
  console.log(`integration: ${total.passed} passed, ${total.failed} failed${total.skipped ? `, ${total.skipped} skipped` : ''}`);
  return total.failed === 0 && total.passed > 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('integration: the harness failed:', error);
    process.exit(3);
  },
);
