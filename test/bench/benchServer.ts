// Child process of the k8s benchmark: a Kubernetes API test server in a process of its own, so
// that it does not share the benchmark's core (a real API server is another machine), and warm
// (its code already optimised by the JIT, as a long-running API server's is).
//   benchServer.ts empty                 an empty cluster
//   benchServer.ts logs PODS RATE        a PODS-pod deployment whose pods emit RATE lines/s each
// Prints one JSON line {kubeconfig, pods} when ready, and runs until killed.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { startK8sApiServer, type K8sApiServer, type KubeObject } from '../../scripts/k8sApiServer/server.ts';
import { NEEDS_KUBERNETES_1_30 } from '../support/k8sManifests.ts';

/** Applies the project's manifests into scratch namespaces a few times over, then removes them. */
async function warmUp(server: K8sApiServer): Promise<void> {
  const k8s = resolve(import.meta.dirname, '../../k8s');
  const objects: KubeObject[] = [];
  for (const dir of readdirSync(k8s)) {
    for (const file of readdirSync(join(k8s, dir))) {
      if (`k8s/${dir}/${file}` === NEEDS_KUBERNETES_1_30) continue; // the test server models Kubernetes 1.26
      for (const doc of parseAllDocuments(readFileSync(join(k8s, dir, file), 'utf8'))) {
        const o = doc.toJS() as KubeObject | null;
        if (o?.kind && o.kind !== 'Namespace' && o.kind !== 'PersistentVolume') objects.push(o);
      }
    }
  }
  for (let round = 0; round < 5; round++) {
    const ns = `warm-up-${round}`;
    server.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    for (const o of objects) server.apply({ ...o, metadata: { ...o.metadata, namespace: ns } }, 'warm-up');
    for (const o of objects) server.apply({ ...o, metadata: { ...o.metadata, namespace: ns } }, 'warm-up');
    await new Promise((r) => setTimeout(r, 200));
    server.delete('v1', 'Namespace', undefined, ns);
  }
  for (let round = 0; round < 5; round++) {
    await server.waitFor('v1', 'Namespace', undefined, `warm-up-${round}`, (o) => o === undefined, 30_000);
  }
  await new Promise((r) => setTimeout(r, 1_000)); // let the controllers and the GC settle
}

const [mode = 'empty', podsArg = '20', rateArg = '50000'] = process.argv.slice(2);
// Pods become ready half a second after they are scheduled, as the sandbox's do (real pods take seconds).
// The apply is measured over HTTPS (the TLS costs are part of what a run pays). The log fan-in runs on
// plain HTTP: 20 pods at 50,000 lines/s each saturate the one-process server's TLS on 2 cores, and
// kubectl's handshakes time out; a stream pays its handshake once, so what is measured is delivery.
// kubectl 1.32 sends no bearer token over plain HTTP, so there requests without credentials are admin.
const server = await startK8sApiServer({
  tls: mode !== 'logs',
  anonymousIsAdmin: mode === 'logs',
  podReadyDelayMs: mode === 'logs' ? 10 : 500,
  logBufferLines: 200_000,
});
let names: string[] = [];
if (mode === 'empty') await warmUp(server);
if (mode === 'logs') {
  const pods = Number(podsArg);
  server.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } });
  server.apply({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'flask-api', namespace: 'bench' },
    spec: {
      replicas: pods,
      selector: { matchLabels: { app: 'flask-api' } },
      template: {
        metadata: { labels: { app: 'flask-api' } },
        spec: { containers: [{ name: 'flask-api', image: 'flask-api:1.0' }] },
      },
    },
  });
  await server.waitFor('apps/v1', 'Deployment', 'bench', 'flask-api', (d) => d?.status?.readyReplicas === pods, 30_000);
  names = server.list('v1', 'Pod', 'bench').map((p) => p.metadata.name as string);
  for (const name of names) server.startLogGenerator('bench', name, 'flask-api', { linesPerSecond: Number(rateArg) });
}
const kubeconfig = await server.writeKubeconfig(join(mkdtempSync(join(tmpdir(), 'dr-bench-')), 'kubeconfig'));
process.stdout.write(`${JSON.stringify({ kubeconfig, pods: names })}\n`);
process.on('SIGTERM', () => void server.stop().then(() => process.exit(0)));
