import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectCluster } from '../../../../src/adapters/kubernetes/clusterClient.js';
import { startSilentServer, type SilentServer } from '../../../support/silentServer.js';
import { formatClusterError } from '../../../../src/core/cluster/model.js';
import { startTestCluster, type TestCluster } from '../../../support/testCluster.js';

const NS_REF = { apiVersion: 'v1', kind: 'Namespace', name: 'default', namespace: undefined };

describe('cluster access (kubeconfig, credentials, reachability)', () => {
  let t: TestCluster;
  let dir: string;
  before(async () => {
    t = await startTestCluster();
    dir = mkdtempSync(join(tmpdir(), 'dr-runbook-access-'));
  });
  after(async () => {
    await t.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the kubeconfig from KUBECONFIG, as kubectl does', async () => {
    const saved = process.env['KUBECONFIG'];
    process.env['KUBECONFIG'] = t.kubeconfigPath;
    try {
      const connected = connectCluster();
      assert.ok(connected.ok);
      assert.equal(connected.value.context, 'dr-runbook-test');
      assert.equal(connected.value.namespace, 'endpoint-stats');
      const read = await connected.value.read(NS_REF);
      assert.ok(read.ok && read.value?.metadata?.name === 'default');
    } finally {
      if (saved === undefined) delete process.env['KUBECONFIG'];
      else process.env['KUBECONFIG'] = saved;
    }
  });

  it('names the missing context and the ones there are', () => {
    const connected = connectCluster({ kubeconfigPath: t.kubeconfigPath, context: 'prod-eu' });
    assert.ok(!connected.ok);
    assert.match(connected.error.message, /has no context "prod-eu" \(it has: dr-runbook-test\)/);
  });

  it('explains a kubeconfig that cannot be read', () => {
    const path = join(dir, 'broken');
    writeFileSync(path, 'clusters: [unclosed\n');
    const connected = connectCluster({ kubeconfigPath: path });
    assert.ok(!connected.ok);
    assert.match(connected.error.message, /cannot be read/);
  });

  it('names a broken kubeconfig without quoting its lines (they hold credentials)', () => {
    const path = join(dir, 'broken-with-token');
    writeFileSync(path, 'users:\n- name: a\n  user:\n    token: tok-3f9a1c7e55d2\n   bad: [\n');
    const connected = connectCluster({ kubeconfigPath: path });
    assert.ok(!connected.ok);
    assert.match(connected.error.message, /cannot be read: it is not a valid kubeconfig/);
    assert.ok(!connected.error.message.includes('tok-3f9a1c7e55d2'), connected.error.message);
    const missing = connectCluster({ kubeconfigPath: join(dir, 'nowhere') });
    assert.ok(!missing.ok);
    assert.match(missing.error.message, /cannot be read: the file cannot be opened \(ENOENT\)/);
  });

  it('turns 401 into "credentials refused", naming the context and what to do', async () => {
    const cluster = t.connect({ token: 'expired-token', context: 'prod-eu' });
    const result = await cluster.read(NS_REF);
    assert.ok(!result.ok);
    assert.equal(result.error.kind, 'unauthorized');
    assert.equal(result.error.context, 'prod-eu');
    assert.match(
      formatClusterError(result.error),
      /context "prod-eu" .* refused the credentials \(401 Unauthorized\)\. .*log in again/,
    );
    assert.ok(!formatClusterError(result.error).includes('expired-token'), 'the token is never shown');
  });

  it('turns 403 into "may not", with the RBAC hint', async () => {
    const cluster = t.connect({ token: t.server.forbiddenToken });
    const result = await cluster.apply(
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'default' } },
      { dryRun: true, force: false },
    );
    assert.ok(!result.ok);
    assert.equal(result.error.kind, 'forbidden');
    assert.match(formatClusterError(result.error), /Context "dr-runbook-test" may not .*ConfigMap default\/x.*RBAC permission/);
  });

  it('turns a server that does not answer into "cannot be reached"', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const path = join(dir, 'unreachable');
    writeFileSync(path, t.server.kubeconfig().replace(t.server.url, `https://127.0.0.1:${port}`));
    const connected = connectCluster({ kubeconfigPath: path });
    assert.ok(connected.ok);
    const result = await connected.value.read(NS_REF);
    assert.ok(!result.ok);
    assert.equal(result.error.kind, 'unreachable');
    assert.match(
      formatClusterError(result.error),
      new RegExp(`\\(https://127\\.0\\.0\\.1:${port}\\) cannot be reached .*Check that the cluster is up`),
    );
  });

  describe('a server that accepts connections and never answers', () => {
    let hung: SilentServer;
    let path: string;
    before(async () => {
      hung = await startSilentServer();
      path = join(dir, 'hung');
      writeFileSync(path, t.server.kubeconfig().replace(t.server.url, hung.url));
    });
    after(() => hung.close());

    it('Cancel aborts the request in flight: the call ends as cancelled, not after the timeout', async () => {
      const abort = new AbortController();
      const connected = connectCluster({ kubeconfigPath: path, signal: abort.signal, requestTimeoutMs: 600_000 });
      assert.ok(connected.ok);
      const reading = connected.value.read(NS_REF);
      await new Promise((r) => setTimeout(r, 200));
      abort.abort();
      const result = await Promise.race([reading, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 2_000))]);
      assert.notEqual(result, 'hung', 'the read ended within 2 s of Cancel');
      assert.ok(result !== 'hung' && !result.ok);
      assert.equal(result.error.kind, 'cancelled');
    });

    it('every call has a timeout: an unanswered request fails with a message that says so', async () => {
      const connected = connectCluster({ kubeconfigPath: path, requestTimeoutMs: 300 });
      assert.ok(connected.ok);
      const result = await connected.value.list({ apiVersion: 'v1', kind: 'Pod', namespace: 'endpoint-stats' });
      assert.ok(!result.ok);
      assert.equal(result.error.kind, 'unreachable');
      assert.match(
        formatClusterError(result.error),
        /did not answer list within 0\.3 s\. The server accepts connections but does not answer/,
      );
    });
  });

  it('turns a 5xx into a server error that says to retry', async () => {
    t.server.faults.failRequests({ status: 503, path: '/api/v1/namespaces/default', times: 1 });
    const result = await t.cluster.read(NS_REF);
    assert.ok(!result.ok);
    assert.equal(result.error.kind, 'server');
    assert.match(result.error.hint, /wait a moment and retry/);
  });
});
