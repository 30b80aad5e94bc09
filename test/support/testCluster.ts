// A Kubernetes API test server with a kubeconfig on disk and a connected ClusterPort: what the
// engine tests and benchmarks start with. The engine reaches it over HTTPS (the server's own CA and
// the admin's client certificate in the kubeconfig) through the real @kubernetes/client-node,
// exactly as it reaches a real cluster.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectCluster } from '../../src/adapters/kubernetes/clusterClient.js';
import type { ClusterPort } from '../../src/core/cluster/port.js';
import { startK8sApiServer, type K8sApiServer, type K8sApiServerOptions } from '../../scripts/k8sApiServer/server.js';

export interface TestCluster {
  readonly server: K8sApiServer;
  readonly kubeconfigPath: string;
  readonly cluster: ClusterPort;
  /** A port for the same server with other credentials or context. */
  connect(options?: { token?: string; context?: string; namespace?: string }): ClusterPort;
  stop(): Promise<void>;
}

export async function startTestCluster(options: K8sApiServerOptions = {}): Promise<TestCluster> {
  const server = await startK8sApiServer({
    podReadyDelayMs: 30,
    podTerminationDelayMs: 20,
    namespaceFinalizeDelayMs: 100,
    ...options,
  });
  const dir = mkdtempSync(join(tmpdir(), 'dr-runbook-kube-'));
  const kubeconfigPath = await server.writeKubeconfig(join(dir, 'kubeconfig'), {
    context: 'dr-runbook-test',
    namespace: 'endpoint-stats',
  });
  const connect = (o: { token?: string; context?: string; namespace?: string } = {}): ClusterPort => {
    let path = kubeconfigPath;
    if (o.token || o.context) {
      path = join(dir, `kubeconfig-${Math.random().toString(36).slice(2)}`);
      writeFileSync(
        path,
        server.kubeconfig({
          context: o.context ?? 'dr-runbook-test',
          namespace: o.namespace ?? 'endpoint-stats',
          ...(o.token ? { token: o.token } : {}),
        }),
        { mode: 0o600 },
      );
    }
    const connected = connectCluster({ kubeconfigPath: path, ...(o.namespace ? { namespace: o.namespace } : {}) });
    if (!connected.ok) throw new Error(connected.error.message);
    return connected.value;
  };
  return {
    server,
    kubeconfigPath,
    cluster: connect(),
    connect,
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh test cluster for each test of the enclosing suite: call it inside describe(). */
export function useTestCluster(options: K8sApiServerOptions = {}): () => TestCluster {
  let current: TestCluster | undefined;
  beforeEach(async () => {
    current = await startTestCluster(options);
  });
  afterEach(async () => {
    await current?.stop();
    current = undefined;
  });
  return () => {
    if (!current) throw new Error('useTestCluster: no cluster outside a test');
    return current;
  };
}
