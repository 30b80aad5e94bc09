/** Watch and log streams beyond the fixtures: 410 Expired on a small history, dropped log streams, previous logs, and log throughput. */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { startK8sApiServer } from '../../../scripts/k8sApiServer/server.ts';
import type { K8sApiServer } from '../../../scripts/k8sApiServer/server.ts';
import { send, targetOf, watchEvents } from './fixtureReplay.ts';

function pod(name: string, containers = ['app']): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'logs' },
    spec: { containers: containers.map((c) => ({ name: c, image: 'busybox:1.36' })) },
  };
}

/** Follows a log and counts received lines until `ms` elapse. */
function countLines(server: K8sApiServer, path: string, ms: number): Promise<number> {
  return new Promise((resolve) => {
    let lines = 0;
    const req = request(new URL(path, server.url), { headers: { authorization: `Bearer ${server.adminToken}` } }, (res) => {
      res.on('data', (d: Buffer) => {
        for (let i = d.indexOf(10); i !== -1; i = d.indexOf(10, i + 1)) lines++;
      });
      res.on('close', () => resolve(lines));
    });
    // Destroying the request at the deadline may cut it before the response.
    req.on('error', () => resolve(lines));
    req.end();
    setTimeout(() => {
      req.destroy();
      resolve(lines);
    }, ms);
  });
}

describe('k8sApiServer streams', function () {
  this.timeout(30_000);
  let server: K8sApiServer;
  before(async () => {
    // Plain HTTP: these tests are about the server's stream handling (TLS is covered by tls.test.ts and
    // the conformance suites); over TLS the fan-in measures encryption on a shared 2-core machine.
    server = await startK8sApiServer({ podReadyDelayMs: 10, watchHistoryLimit: 20, tls: false });
    server.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'logs' } });
  });
  after(async () => {
    await server?.stop();
  });

  it('answers a watch from a compacted resourceVersion with 200 and one ERROR 410 Expired event', async () => {
    server.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'logs' }, data: { n: '0' } });
    const first = Number(server.get('v1', 'ConfigMap', 'logs', 'c')!.metadata.resourceVersion);
    for (let i = 1; i < 40; i++)
      server.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'logs' }, data: { n: String(i) } });
    const r = await send({
      ...targetOf(server),
      method: 'GET',
      path: `/api/v1/namespaces/logs/configmaps?watch=1&resourceVersion=${first}`,
      accept: 'application/json',
    });
    assert.equal(r.status, 200);
    const [e] = watchEvents(r.text);
    assert.equal(e.type, 'ERROR');
    assert.equal(e.object.code, 410);
    assert.equal(e.object.reason, 'Expired');
    const recent = await send({
      ...targetOf(server),
      method: 'GET',
      path: `/api/v1/namespaces/logs/configmaps?watch=1&resourceVersion=${server.resourceVersion() - 3}&timeoutSeconds=1`,
    });
    assert.deepEqual(
      watchEvents(recent.text).map((x) => x.type),
      ['MODIFIED', 'MODIFIED', 'MODIFIED'],
    );
  });

  it('cuts a log stream after N lines when asked, and a reconnect with sinceTime continues', async () => {
    server.create(pod('cut'));
    await server.waitFor('v1', 'Pod', 'logs', 'cut', (p) => p?.status?.phase === 'Running');
    server.emitLogs(
      'logs',
      'cut',
      undefined,
      Array.from({ length: 10 }, (_, i) => `line ${i}`),
    );
    server.faults.dropStreams({ kind: 'log', path: '/pods/cut/log', after: 1, times: 1 });
    const r = await send({
      ...targetOf(server),
      method: 'GET',
      path: '/api/v1/namespaces/logs/pods/cut/log?follow=true&timestamps=true',
      timeoutMs: 2000,
    });
    assert.equal(r.endedCleanly, false);
    const got = r.text.split('\n').filter(Boolean);
    assert.ok(got.length >= 1);
    const last = got[got.length - 1]!.split(' ')[0]!;
    const again = await send({
      ...targetOf(server),
      method: 'GET',
      path: `/api/v1/namespaces/logs/pods/cut/log?timestamps=true&sinceTime=${encodeURIComponent(last)}`,
    });
    assert.ok(again.text.split('\n').filter(Boolean).length >= 10 - got.length);
  });

  it('needs a container name for a multi-container pod, serves previous logs after a restart, honours limitBytes', async () => {
    server.create(pod('two', ['app', 'sidecar']));
    await server.waitFor('v1', 'Pod', 'logs', 'two', (p) => p?.status?.phase === 'Running');
    const noName = await send({
      ...targetOf(server),
      method: 'GET',
      path: '/api/v1/namespaces/logs/pods/two/log',
    });
    assert.equal(noName.status, 400);
    assert.equal(noName.body.message, 'a container name must be specified for pod two, choose one of: [app sidecar]');
    server.emitLogs('logs', 'two', 'sidecar', ['before restart']);
    const noPrev = await send({
      ...targetOf(server),
      method: 'GET',
      path: '/api/v1/namespaces/logs/pods/two/log?container=sidecar&previous=true',
    });
    assert.equal(noPrev.status, 400);
    server.restartContainer('logs', 'two', 'sidecar');
    server.emitLogs('logs', 'two', 'sidecar', ['after restart']);
    const prev = await send({
      ...targetOf(server),
      method: 'GET',
      path: '/api/v1/namespaces/logs/pods/two/log?container=sidecar&previous=true',
    });
    assert.equal(prev.text, 'before restart\n');
    const cur = await send({
      ...targetOf(server),
      method: 'GET',
      path: '/api/v1/namespaces/logs/pods/two/log?container=sidecar&limitBytes=5',
    });
    assert.equal(cur.text, 'after');
    assert.equal(
      server.get('v1', 'Pod', 'logs', 'two')!.status.containerStatuses.find((s: { name: string }) => s.name === 'sidecar')
        .restartCount,
      1,
    );
  });

  it('refuses logs of a container that has not started', async () => {
    server.setImageBehaviour('busybox:never', { waitingReason: 'ImagePullBackOff' });
    server.create({ ...pod('waiting'), spec: { containers: [{ name: 'app', image: 'busybox:never' }] } });
    await server.waitFor('v1', 'Pod', 'logs', 'waiting', (p) => p?.status?.containerStatuses !== undefined);
    const r = await send({
      ...targetOf(server),
      method: 'GET',
      path: '/api/v1/namespaces/logs/pods/waiting/log',
    });
    assert.equal(r.status, 400);
    assert.equal(r.body.message, 'container "app" in pod "waiting" is waiting to start: ImagePullBackOff');
  });

  it('delivers logs from 20 pods generating 5000 lines/s each to 20 followers', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `gen-${i}`);
    for (const n of names) server.create(pod(n));
    for (const n of names) await server.waitFor('v1', 'Pod', 'logs', n, (p) => p?.status?.phase === 'Running');
    const stops = names.map((n) => server.startLogGenerator('logs', n, undefined, { linesPerSecond: 5000 }));
    const ms = 2000;
    const counts = await Promise.all(
      names.map((n) => countLines(server, `/api/v1/namespaces/logs/pods/${n}/log?follow=true`, ms)),
    );
    for (const s of stops) s();
    const rate = counts.reduce((a, b) => a + b, 0) / (ms / 1000);
    console.log(`      log fan-in: ${Math.round(rate)} lines/s from 20 pods`);
    assert.ok(rate >= 60_000, `rate ${rate}`);
  });
});
