/* eslint-disable @typescript-eslint/no-explicit-any -- objects of every Kubernetes kind are handled as untyped JSON here, as the apiserver handles them */
/** @kubernetes/client-node 2.0.1, unmodified, talks to the test server through a real kubeconfig. */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { AppsV1Api, CoreV1Api, KubeConfig, KubernetesObjectApi, Log, PatchStrategy, Watch } from '@kubernetes/client-node';
import type { KubernetesObject } from '@kubernetes/client-node';
import { startK8sApiServer } from '../../../scripts/k8sApiServer/server.ts';
import type { K8sApiServer } from '../../../scripts/k8sApiServer/server.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function kubeConfig(server: K8sApiServer, token?: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(server.kubeconfig(token ? { token } : {}));
  return kc;
}

const deployment = (image: string): KubernetesObject & Record<string, unknown> => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'flask-api', namespace: 'endpoint-stats', labels: { app: 'flask-api' } },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'flask-api' } },
    template: {
      metadata: { labels: { app: 'flask-api' } },
      spec: { containers: [{ name: 'flask-api', image, ports: [{ name: 'http', containerPort: 8000 }] }] },
    },
  },
});

describe('k8sApiServer with @kubernetes/client-node', function () {
  this.timeout(20_000);
  let server: K8sApiServer;
  let kc: KubeConfig;
  let objects: KubernetesObjectApi;

  before(async () => {
    server = await startK8sApiServer({
      podReadyDelayMs: 30,
      podTerminationDelayMs: 10,
      namespaceFinalizeDelayMs: 50,
      bookmarkIntervalMs: 100,
    });
    kc = kubeConfig(server);
    objects = KubernetesObjectApi.makeApiClient(kc);
    await objects.patch(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'endpoint-stats' } },
      undefined,
      undefined,
      'dr-runbook',
      false,
      PatchStrategy.ServerSideApply,
    );
  });
  after(async () => {
    await server?.stop();
  });

  it('server-side applies, re-applies with no change (same resourceVersion), and reports conflicts with 409', async () => {
    const created = await objects.patch(
      deployment('nginx:1.25'),
      undefined,
      undefined,
      'dr-runbook',
      false,
      PatchStrategy.ServerSideApply,
    );
    assert.equal(created.metadata?.managedFields?.[0]?.manager, 'dr-runbook');
    const settled = await server.waitFor(
      'apps/v1',
      'Deployment',
      'endpoint-stats',
      'flask-api',
      (d) => d?.status?.availableReplicas === 2,
    );
    await sleep(50);
    const current = server.get('apps/v1', 'Deployment', 'endpoint-stats', 'flask-api')!;
    assert.ok(settled);
    const again = await objects.patch(
      deployment('nginx:1.25'),
      undefined,
      undefined,
      'dr-runbook',
      false,
      PatchStrategy.ServerSideApply,
    );
    assert.equal(again.metadata?.resourceVersion, current.metadata.resourceVersion);
    const dry = await objects.patch(
      deployment('nginx:1.26'),
      undefined,
      'All',
      'dr-runbook',
      false,
      PatchStrategy.ServerSideApply,
    );
    assert.equal((dry as Record<string, any>).spec.template.spec.containers[0].image, 'nginx:1.26');
    assert.equal(
      server.get('apps/v1', 'Deployment', 'endpoint-stats', 'flask-api')!.spec.template.spec.containers[0].image,
      'nginx:1.25',
    );
    await assert.rejects(
      objects.patch(
        { ...deployment('nginx:1.25'), spec: { replicas: 5 } },
        undefined,
        undefined,
        'hpa',
        false,
        PatchStrategy.ServerSideApply,
      ),
      (err: any) =>
        err.code === 409 &&
        JSON.parse(err.body).details.causes[0].field === '.spec.replicas' &&
        /conflict with "dr-runbook"/.test(JSON.parse(err.body).message),
    );
    const forced = await objects.patch(
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'flask-api', namespace: 'endpoint-stats' },
        spec: { replicas: 3 },
      },
      undefined,
      undefined,
      'hpa',
      true,
      PatchStrategy.ServerSideApply,
    );
    assert.equal((forced as Record<string, any>).spec.replicas, 3);
  });

  it('lists with label selectors and reads a deployment that becomes available', async () => {
    await server.waitFor('apps/v1', 'Deployment', 'endpoint-stats', 'flask-api', (d) => d?.status?.availableReplicas === 3);
    const apps = kc.makeApiClient(AppsV1Api);
    const d = await apps.readNamespacedDeploymentStatus({ name: 'flask-api', namespace: 'endpoint-stats' });
    assert.equal(d.status?.conditions?.find((c) => c.type === 'Available')?.status, 'True');
    const core = kc.makeApiClient(CoreV1Api);
    const pods = await core.listNamespacedPod({ namespace: 'endpoint-stats', labelSelector: 'app=flask-api' });
    assert.equal(pods.items.length, 3);
    assert.ok(pods.items.every((p) => p.status?.phase === 'Running'));
    const page = await core.listNamespacedPod({ namespace: 'endpoint-stats', limit: 2 });
    assert.equal(page.items.length, 2);
    assert.ok(page.metadata?._continue);
    const byName = await core.listNamespacedPod({
      namespace: 'endpoint-stats',
      fieldSelector: `metadata.name=${pods.items[0]!.metadata!.name!}`,
    });
    assert.equal(byName.items.length, 1);
  });

  it('watches with Watch: events, bookmarks, and done when the server drops the stream', async () => {
    const seen: string[] = [];
    let doneErr: unknown = 'not yet';
    const watch = new Watch(kc);
    const controller = await watch.watch(
      '/api/v1/namespaces/endpoint-stats/configmaps',
      { allowWatchBookmarks: true },
      (type, obj) => {
        seen.push(`${type}:${String(obj?.metadata?.name ?? '')}`);
      },
      (err) => {
        doneErr = err;
      },
    );
    await sleep(50);
    server.apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'watched', namespace: 'endpoint-stats' },
      data: { a: '1' },
    });
    server.apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'watched', namespace: 'endpoint-stats' },
      data: { a: '2' },
    });
    await sleep(250);
    assert.ok(seen.includes('ADDED:watched') && seen.includes('MODIFIED:watched'), seen.join());
    assert.ok(
      seen.some((s) => s.startsWith('BOOKMARK')),
      'bookmarks with allowWatchBookmarks',
    );
    server.faults.dropStreams({ kind: 'watch' });
    await sleep(100);
    assert.notEqual(doneErr, 'not yet', 'done is called when the stream is cut');
    controller.abort();
  });

  it('streams logs with Log (follow), and ends the stream when the pod goes away', async () => {
    const pod = server.list('v1', 'Pod', 'endpoint-stats').find((p) => p.metadata.labels?.app === 'flask-api')!;
    server.emitLogs('endpoint-stats', pod.metadata.name, 'flask-api', ['one', 'two']);
    let text = '';
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        text += chunk.toString();
        cb();
      },
    });
    const ended = new Promise<void>((resolve) => sink.on('finish', () => resolve()));
    const controller = await new Log(kc).log('endpoint-stats', pod.metadata.name, 'flask-api', sink, {
      follow: true,
      tailLines: 1,
    });
    await sleep(100);
    server.emitLogs('endpoint-stats', pod.metadata.name, undefined, ['three']);
    await sleep(100);
    assert.equal(text, 'two\nthree\n');
    server.delete('v1', 'Pod', 'endpoint-stats', pod.metadata.name);
    await Promise.race([ended, sleep(2000)]);
    controller.abort();
  });

  it('401 for an unknown token, 403 for a valid token without permission', async () => {
    const core401 = kubeConfig(server, 'not-a-token').makeApiClient(CoreV1Api);
    // The generated client drops the body of a 401 (its OpenAPI response has none); the Status itself is checked in fixture 086.
    await assert.rejects(
      core401.listNamespacedPod({ namespace: 'endpoint-stats' }),
      (err: any) => err.code === 401 && /Unauthorized/.test(err.message),
    );
    const core403 = kubeConfig(server, server.forbiddenToken).makeApiClient(CoreV1Api);
    await assert.rejects(
      core403.listNamespacedPod({ namespace: 'endpoint-stats' }),
      (err: any) =>
        err.code === 403 &&
        /cannot list resource "pods" in API group "" in the namespace "endpoint-stats"/.test(JSON.parse(err.body).message),
    );
  });

  it('injects 5xx answers N times, latency, and forced conflicts', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    server.faults.failRequests({ method: 'GET', path: '/api/v1/namespaces/endpoint-stats/configmaps', status: 503, times: 2 });
    await assert.rejects(
      core.listNamespacedConfigMap({ namespace: 'endpoint-stats' }),
      (err: any) => err.code === 503 && JSON.parse(err.body).reason === 'ServiceUnavailable',
    );
    await assert.rejects(core.listNamespacedConfigMap({ namespace: 'endpoint-stats' }), (err: any) => err.code === 503);
    await core.listNamespacedConfigMap({ namespace: 'endpoint-stats' });
    server.faults.addLatency({ path: '/api/v1/namespaces/endpoint-stats/secrets', ms: 150, times: 1 });
    const t0 = Date.now();
    await core.listNamespacedSecret({ namespace: 'endpoint-stats' });
    assert.ok(Date.now() - t0 >= 140);
    server.faults.forceConflict({ method: 'PATCH', path: '/deployments/flask-api', manager: 'kubectl', field: '.spec.replicas' });
    await assert.rejects(
      objects.patch(deployment('nginx:1.25'), undefined, undefined, 'dr-runbook', false, PatchStrategy.ServerSideApply),
      (err: any) => err.code === 409 && /conflict with "kubectl"/.test(JSON.parse(err.body).message),
    );
  });

  it('counts the requests it receives and keeps the latest', async () => {
    const before = server.requestCount;
    await kc.makeApiClient(CoreV1Api).readNamespace({ name: 'default' });
    await assert.rejects(kubeConfig(server, 'not-a-token').makeApiClient(CoreV1Api).readNamespace({ name: 'default' }));
    assert.equal(server.requestCount, before + 2);
    assert.deepEqual(server.recentRequests().slice(-2), ['GET /api/v1/namespaces/default', 'GET /api/v1/namespaces/default']);
  });

  it('deletes a namespace: Terminating, then gone with its contents', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const ns = await core.deleteNamespace({ name: 'endpoint-stats' });
    assert.equal((ns as Record<string, any>).status?.phase, 'Terminating');
    await server.waitFor('v1', 'Namespace', undefined, 'endpoint-stats', (o) => o === undefined);
    await assert.rejects(core.readNamespace({ name: 'endpoint-stats' }), (err: any) => err.code === 404);
    assert.equal(server.list('apps/v1', 'Deployment', 'endpoint-stats').length, 0);
  });
});
