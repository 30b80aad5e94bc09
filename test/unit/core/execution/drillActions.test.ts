// The drill's steps written in words, refusing what would reach production or cannot run: against
// the Kubernetes API test server through the real client.
import assert from 'node:assert/strict';
import { ExecaRunner } from '../../../../src/adapters/process/execaRunner.js';
import { executeStep, type StepContext } from '../../../../src/core/execution/stepExecutor.js';
import { ok } from '../../../../src/core/result.js';
import { parsePlan } from '../../../../src/core/runbook/parsePlan.js';
import { useTestCluster, type TestCluster } from '../../../support/testCluster.js';

const TEST_NS = 'endpoint-stats-dr-test';
const drill = parsePlan(
  [
    '# Plan',
    '## Quarterly drill',
    '1. Create the test namespace:',
    '   ```',
    `   kubectl create namespace ${TEST_NS}`,
    '   ```',
    '2. Copy the production configuration into the test namespace.',
    '3. Restore a recent backup into the test environment.',
    '',
  ].join('\n'),
).scenarios[0]!;

function context(t: TestCluster, output: string[], backup?: string): StepContext {
  return {
    root: process.cwd(),
    namespace: 'endpoint-stats',
    cluster: () => Promise.resolve(ok(t.cluster)),
    processes: new ExecaRunner(),
    ui: {
      confirmDestructive: () => Promise.resolve(false),
      fillPlaceholder: () => Promise.resolve(backup),
      confirmOther: () => Promise.resolve(false),
      confirmRollback: () => Promise.resolve(false),
      manualStep: () => Promise.resolve('stop'),
      followLogs: () => Promise.resolve(ok('')),
    },
    signal: new AbortController().signal,
    output: (text) => void output.push(text),
    secrets: new Map(),
    production: false,
    readinessTimeoutMs: 10_000,
    database: { host: '127.0.0.1:5432', name: 'endpoint_stats' },
  };
}

describe('the drill’s steps written in words', () => {
  const cluster = useTestCluster();

  it('refuses to copy an object that names a production Service by its cluster address, and copies nothing', async () => {
    const t = cluster();
    for (const name of ['endpoint-stats', TEST_NS]) t.server.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    t.server.apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'app-config', namespace: 'endpoint-stats' },
      data: { DATABASE_HOST: 'postgres.endpoint-stats.svc.cluster.local' },
    });
    t.server.apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'fine', namespace: 'endpoint-stats' },
      data: { A: 'b' },
    });
    const output: string[] = [];
    const outcome = await executeStep(drill.steps[1]!, context(t, output));
    assert.equal(outcome.state, 'failed');
    assert.match(
      outcome.summary,
      /^ConfigMap endpoint-stats-dr-test\/app-config name a Service of endpoint-stats by its cluster address: the copy would reach production's data\. Write it as the Service's short name\. Nothing was copied\.$/,
    );
    assert.deepEqual(
      t.server
        .list('v1', 'ConfigMap', TEST_NS)
        .map((c) => c.metadata.name)
        .filter((n) => n !== 'kube-root-ca.crt'),
      [],
      'nothing was copied',
    );
  });

  it('skips the restore when no backup is chosen, and refuses it when the plan names no restore script', async () => {
    const t = cluster();
    const refused = await executeStep(drill.steps[2]!, context(t, []));
    assert.deepEqual(
      { state: refused.state, summary: refused.summary },
      {
        state: 'failed',
        summary:
          'The plan names no restore script (dr-restore.sh) in any scenario, so the drill cannot restore: add the restore step of a recovery scenario. Nothing was restored.',
      },
    );
    const withScript = {
      ...drill.steps[2]!,
      commands: drill.steps[2]!.commands.map((c) =>
        c.kind === 'drill' ? { ...c, restoreScript: './scripts/backup/dr-restore.sh' } : c,
      ),
    };
    const none = await executeStep(withScript, context(t, []));
    assert.equal(none.state, 'skipped');
    assert.equal(none.summary, 'No backup chosen: nothing was restored.');
  });
});
