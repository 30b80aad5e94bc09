/**
 * kubectl (the binary on this machine) against the test server, over HTTPS with the kubeconfig the
 * server writes (its CA and the admin's client certificate).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startK8sApiServer } from '../../../scripts/k8sApiServer/server.ts';
import { connectCluster } from '../../../src/adapters/kubernetes/clusterClient.js';
import type { K8sApiServer } from '../../../scripts/k8sApiServer/server.ts';

const run = promisify(execFile);
const KUBECTL = process.env.KUBECTL ?? '/usr/bin/kubectl';

const MANIFEST = `apiVersion: v1
kind: Namespace
metadata:
  name: endpoint-stats
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: flask-api-config
  namespace: endpoint-stats
data:
  LOG_LEVEL: info
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: flask-api
  namespace: endpoint-stats
  labels: {app: flask-api}
spec:
  replicas: 2
  selector: {matchLabels: {app: flask-api}}
  template:
    metadata: {labels: {app: flask-api}}
    spec:
      containers:
      - name: flask-api
        image: nginx:1.25
        ports: [{name: http, containerPort: 8000}]
---
apiVersion: v1
kind: Service
metadata: {name: flask-api, namespace: endpoint-stats}
spec:
  selector: {app: flask-api}
  ports: [{name: http, port: 80, targetPort: http}]
`;

(existsSync(KUBECTL) ? describe : describe.skip)('k8sApiServer with kubectl', function () {
  this.timeout(60_000);
  let server: K8sApiServer;
  let dir: string;
  let kubeconfig: string;
  const kubectl = async (...args: string[]): Promise<string> =>
    (await run(KUBECTL, ['--kubeconfig', kubeconfig, ...args], { timeout: 30_000 })).stdout;

  before(async () => {
    server = await startK8sApiServer({
      podReadyDelayMs: 50,
      podTerminationDelayMs: 20,
      namespaceFinalizeDelayMs: 100,
    });
    dir = mkdtempSync(join(tmpdir(), 'k8s-api-server-kubectl-'));
    kubeconfig = await server.writeKubeconfig(join(dir, 'kubeconfig'));
    writeFileSync(join(dir, 'manifest.yaml'), MANIFEST);
  });
  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('version and api-resources come from discovery', async () => {
    assert.match(await kubectl('version', '-o', 'json'), /"gitVersion": "v1.26.0"/);
    const resources = await kubectl('api-resources', '--no-headers');
    for (const r of [
      'deployments',
      'statefulsets',
      'persistentvolumeclaims',
      'ingresses',
      'cronjobs',
      'poddisruptionbudgets',
      'rolebindings',
    ])
      assert.match(resources, new RegExp(`^${r}\\b`, 'm'));
  });

  it('apply --server-side, then again with nothing changed', async () => {
    const first = await kubectl('apply', '--server-side', '--field-manager', 'dr-runbook', '-f', join(dir, 'manifest.yaml'));
    assert.match(first, /deployment.apps\/flask-api serverside-applied/);
    const rv = server.get('v1', 'ConfigMap', 'endpoint-stats', 'flask-api-config')!.metadata.resourceVersion;
    await kubectl('apply', '--server-side', '--field-manager', 'dr-runbook', '-f', join(dir, 'manifest.yaml'));
    assert.equal(server.get('v1', 'ConfigMap', 'endpoint-stats', 'flask-api-config')!.metadata.resourceVersion, rv);
    const dry = await kubectl(
      'apply',
      '--server-side',
      '--dry-run=server',
      '--field-manager',
      'dr-runbook',
      '-f',
      join(dir, 'manifest.yaml'),
    );
    assert.match(dry, /serverside-applied \(server dry run\)/);
  });

  it('rollout status waits for the deployment; get -o json shows it available', async () => {
    const out = await kubectl('-n', 'endpoint-stats', 'rollout', 'status', 'deployment/flask-api', '--timeout=20s');
    assert.match(out, /successfully rolled out/);
    const d = JSON.parse(await kubectl('-n', 'endpoint-stats', 'get', 'deployment', 'flask-api', '-o', 'json'));
    assert.equal(d.status.availableReplicas, 2);
    const eps = JSON.parse(await kubectl('-n', 'endpoint-stats', 'get', 'endpoints', 'flask-api', '-o', 'json'));
    assert.equal(eps.subsets[0].addresses.length, 2);
    assert.equal(eps.subsets[0].ports[0].port, 8000);
  });

  it('service proxy: kubectl get --raw and the engine reach the simulated application; without a ready endpoint the API server answers 503', async () => {
    const path = '/api/v1/namespaces/endpoint-stats/services/flask-api:http/proxy/readyz';
    const body = JSON.parse(await kubectl('get', '--raw', path)) as { status: string; path: string; answeredBy: string };
    assert.equal(body.status, 'ok');
    assert.equal(body.path, '/readyz');
    assert.match(body.answeredBy, /simulated service proxy \(2 ready endpoint/);
    const cluster = connectCluster({ kubeconfigPath: kubeconfig });
    assert.ok(cluster.ok);
    const answer = await cluster.value.serviceProxy({
      namespace: 'endpoint-stats',
      service: 'flask-api',
      port: 'http',
      path: '/readyz',
    });
    assert.ok(answer.ok, answer.ok ? '' : answer.error.message);
    assert.equal(answer.value.status, 200);
    assert.deepEqual(JSON.parse(answer.value.body), body);

    server.apply({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'lonely', namespace: 'endpoint-stats' },
      spec: { selector: { app: 'nobody' }, ports: [{ port: 80 }] },
    });
    await assert.rejects(
      kubectl('get', '--raw', '/api/v1/namespaces/endpoint-stats/services/lonely:80/proxy/'),
      /no endpoints available for service/,
    );
    const none = await cluster.value.serviceProxy({ namespace: 'endpoint-stats', service: 'lonely', port: '80', path: '/' });
    assert.ok(none.ok);
    assert.equal(none.value.status, 503);
    assert.match(none.value.body, /"reason":"ServiceUnavailable"/);
  });

  it('logs, with --tail and --timestamps', async () => {
    const pod = server.list('v1', 'Pod', 'endpoint-stats')[0]!.metadata.name as string;
    server.emitLogs('endpoint-stats', pod, undefined, ['first', 'second', 'third']);
    assert.equal(await kubectl('-n', 'endpoint-stats', 'logs', pod), 'first\nsecond\nthird\n');
    assert.equal(await kubectl('-n', 'endpoint-stats', 'logs', pod, '--tail=1'), 'third\n');
    assert.match(
      await kubectl('-n', 'endpoint-stats', 'logs', pod, '--timestamps'),
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z first\n/,
    );
  });

  it('set image, rollout undo (client-side JSON patch), rollout history', async () => {
    await kubectl('-n', 'endpoint-stats', 'set', 'image', 'deployment/flask-api', 'flask-api=nginx:1.26');
    await kubectl('-n', 'endpoint-stats', 'rollout', 'status', 'deployment/flask-api', '--timeout=20s');
    assert.match(await kubectl('-n', 'endpoint-stats', 'rollout', 'undo', 'deployment/flask-api'), /rolled back/);
    await kubectl('-n', 'endpoint-stats', 'rollout', 'status', 'deployment/flask-api', '--timeout=20s');
    const d = server.get('apps/v1', 'Deployment', 'endpoint-stats', 'flask-api')!;
    assert.equal(d.spec.template.spec.containers[0].image, 'nginx:1.25');
    assert.equal(d.metadata.annotations['deployment.kubernetes.io/revision'], '3');
    assert.match(await kubectl('-n', 'endpoint-stats', 'rollout', 'history', 'deployment/flask-api'), /^2\s.*\n3\s/m);
  });

  it('delete namespace waits until it is gone', async () => {
    await kubectl('delete', 'namespace', 'endpoint-stats', '--timeout=20s');
    assert.equal(server.get('v1', 'Namespace', undefined, 'endpoint-stats'), undefined);
    await assert.rejects(kubectl('get', 'namespace', 'endpoint-stats'), /NotFound|not found/);
  });
});
