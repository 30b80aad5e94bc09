import assert from 'node:assert/strict';
import { podLogFacts } from '../../../../src/core/cluster/podLogFacts.js';
import { useTestCluster } from '../../../support/testCluster.js';

const NS = 'endpoint-stats';

function pod(name: string) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS },
    spec: { containers: [{ name: 'main', image: `${name}:1` }] },
  };
}

describe('the log lines kept as facts before a rollback or a restore', () => {
  const cluster = useTestCluster();

  it("keeps a running database's error lines, its previous container's too, and leaves out a healthy pod's chatter", async () => {
    const t = cluster();
    t.server.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    t.server.apply(pod('postgres-0'));
    t.server.apply(pod('flask-api-1'));
    for (const name of ['postgres-0', 'flask-api-1'])
      await t.server.waitFor('v1', 'Pod', NS, name, (p) => p?.status?.phase === 'Running');
    t.server.emitLogs(NS, 'postgres-0', 'main', [
      'database system is ready',
      'FATAL: invalid page in block 7 of relation base/16384/2619',
    ]);
    t.server.restartContainer(NS, 'postgres-0', 'main');
    t.server.emitLogs(NS, 'postgres-0', 'main', [
      'database system is ready',
      'ERROR: could not read block 7: read only 0 of 8192 bytes',
    ]);
    t.server.emitLogs(NS, 'flask-api-1', 'main', ['GET /api/v1/stats 200', 'GET /healthz 200']);

    const facts = await podLogFacts(t.cluster, NS, { signal: new AbortController().signal });
    assert.ok(
      facts.includes('Logs of postgres-0/main (previous container): FATAL: invalid page in block 7 of relation base/16384/2619'),
      facts.join('\n'),
    );
    assert.ok(
      facts.includes('Logs of postgres-0/main: ERROR: could not read block 7: read only 0 of 8192 bytes'),
      facts.join('\n'),
    );
    assert.ok(!facts.some((f) => f.includes('GET /') || f.includes('is ready')), facts.join('\n'));
  });
});
