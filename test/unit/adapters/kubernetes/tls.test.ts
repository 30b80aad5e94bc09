/**
 * The cluster client over TLS, against the HTTPS test server with its own CA and client
 * certificates: one kept-alive connection pool per cluster (TLS handshakes counted on undici's
 * diagnostics channel, one per new connection), and TLS failures that name the certificate problem.
 */
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyObjects, describeFailures } from '../../../../src/core/cluster/apply.js';
import { connectCluster } from '../../../../src/adapters/kubernetes/clusterClient.js';
import { kubeconfigYaml } from '../../../../scripts/k8sApiServer/kubeconfig.js';
import { createCertificateAuthority } from '../../../../scripts/k8sApiServer/tls.js';
import { k8sItems } from '../../../support/k8sManifests.js';
import { useTestCluster } from '../../../support/testCluster.js';

/** Counts the connections undici opens while `work` runs (over TLS, each is one handshake). */
async function countConnections<T>(work: () => Promise<T>): Promise<{ result: T; connections: number }> {
  let connections = 0;
  const onConnected = (): void => {
    connections++;
  };
  subscribe('undici:client:connected', onConnected);
  try {
    const result = await work();
    return { result, connections };
  } finally {
    unsubscribe('undici:client:connected', onConnected);
  }
}

describe('cluster client over TLS', function () {
  this.timeout(60_000);
  const cluster = useTestCluster();

  it('applies every manifest of k8s/ over a few kept-alive TLS connections, not one per request', async () => {
    const t = cluster();
    assert.ok(t.server.url.startsWith('https://'));
    const items = await k8sItems();
    const before = t.server.requestCount;
    const { result, connections } = await countConnections(() => applyObjects(t.cluster, items));
    assert.ok(result.ok, result.ok ? '' : describeFailures('failures' in result.error ? result.error.failures : []).join('\n'));
    const requests = t.server.requestCount - before;
    console.log(`      ${requests} requests for ${items.length} objects over ${connections} TLS connection(s)`);
    assert.ok(requests > 2 * items.length, `${requests} requests`);
    // At most as many connections as requests ran at once (8, plus discovery), never one per request.
    assert.ok(connections > 0 && connections <= 16, `${connections} TLS handshakes for ${requests} requests`);
    const again = await countConnections(() =>
      t.cluster.read({ apiVersion: 'v1', kind: 'Namespace', name: 'endpoint-stats', namespace: undefined }),
    );
    assert.equal(again.connections, 0, 'a later request reuses a kept-alive connection');
  });

  it('names the certificate problem when the server certificate is not signed by the kubeconfig’s CA', async () => {
    const t = cluster();
    const stranger = await createCertificateAuthority('some-other-ca');
    const dir = mkdtempSync(join(tmpdir(), 'tls-test-'));
    try {
      const path = join(dir, 'kubeconfig');
      writeFileSync(path, kubeconfigYaml(t.server.url, { caPem: stranger.caPem, client: t.server.tls!.admin }), { mode: 0o600 });
      const connected = connectCluster({ kubeconfigPath: path });
      assert.ok(connected.ok);
      const read = await connected.value.read({ apiVersion: 'v1', kind: 'Namespace', name: 'default', namespace: undefined });
      assert.ok(!read.ok);
      assert.equal(read.error.kind, 'unreachable');
      assert.match(
        read.error.message,
        /TLS connection to the API server of context "dr-runbook-test" \(https:\/\/127\.0\.0\.1:\d+\) failed: the server certificate .*(not signed|not trusted|does not trust)/,
      );
      assert.match(read.error.hint, /certificate-authority/);
      assert.doesNotMatch(`${read.error.message} ${read.error.hint}`, /VPN/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
