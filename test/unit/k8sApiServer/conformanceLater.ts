/** Conformance, part 2: watch (042-049), rollout and undo (050-056), pods (057-064), logs (065-074), namespaces (075-080), extras (081-087). */
import assert from 'node:assert/strict';
import { send, watchEvents, without } from './fixtureReplay.ts';
import type { Json } from './fixtureReplay.ts';
import { assertEnvelope, assertSameBody, header } from './conformanceHarness.ts';
import type { Harness } from './conformanceHarness.ts';
import { registerPodAndLogFixtures } from './conformancePods.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function byRevision(items: Json[]): Json[] {
  return [...items].sort(
    (a, b) =>
      Number(a.metadata.annotations['deployment.kubernetes.io/revision']) -
      Number(b.metadata.annotations['deployment.kubernetes.io/revision']),
  );
}

export function registerLaterFixtures(h: Harness): void {
  let listRv = '';
  it('042 LIST Deployments gives the list resourceVersion', async () => {
    await h.rolledOut('flask-api');
    const r = await h.checkExact('042', 'metadata.resourceVersion');
    listRv = r.body.metadata.resourceVersion;
    assert.match(listRv, /^\d+$/);
  });

  it('043-046 WATCH from the list RV while the image changes and watch-probe is created and deleted', async () => {
    const fx = h.fx('043');
    const watch = h.replay('043', {
      path: (p) => p.replace('resourceVersion=352', `resourceVersion=${listRv}`).replace('timeoutSeconds=15', 'timeoutSeconds=3'),
    });
    await sleep(100);
    const r44 = await h.replay('044');
    assertEnvelope(r44, h.fx('044'));
    assertSameBody(r44.body, h.fx('044').response.body, 'status', 'metadata.annotations');
    assert.equal(r44.body.metadata.generation, 4);
    await h.rolledOut('flask-api');
    const r45 = await h.checkExact('045');
    await sleep(50);
    const r46 = await h.checkExact('046');
    const r = await watch;
    assertEnvelope(r, fx);
    assert.ok(r.endedCleanly, 'the server ends the watch at timeoutSeconds with a zero-length chunk');
    assert.ok(r.text.endsWith('\n'));
    const events = watchEvents(r.text);
    assert.ok(events.every((e) => ['ADDED', 'MODIFIED', 'DELETED'].includes(e.type) && e.object.kind === 'Deployment'));
    const rvs = events.map((e) => Number(e.object.metadata.resourceVersion));
    assert.deepEqual(
      rvs,
      [...rvs].sort((a, b) => a - b),
      'events in resourceVersion order',
    );
    assert.ok(rvs[0]! > Number(listRv), 'only changes after the list RV');
    const first = events[0];
    assert.equal(first.type, 'MODIFIED');
    assert.equal(first.object.metadata.name, 'flask-api');
    assert.equal(first.object.metadata.generation, 4);
    const probe = events.filter((e) => e.object.metadata.name === 'watch-probe').map((e) => e.type);
    assert.equal(probe[0], 'ADDED');
    assert.equal(probe[probe.length - 1], 'DELETED');
    const expectedProbe = watchEvents(fx.response.body.join('')).filter((e: Json) => e.object.metadata.name === 'watch-probe');
    const deleted = events.find((e) => e.type === 'DELETED');
    assertSameBody(deleted.object, expectedProbe[expectedProbe.length - 1].object, 'status', 'metadata.annotations');
    assert.ok(Number(deleted.object.metadata.resourceVersion) > Number(r45.body.metadata.resourceVersion));
    assert.equal(r46.body.details.uid, r45.body.metadata.uid);
  });

  it('047 WATCH without resourceVersion: a synthetic ADDED per existing object, then the timeout', async () => {
    const fx = h.fx('047');
    const started = Date.now();
    const r = await h.replay('047');
    assertEnvelope(r, fx);
    assert.ok(r.endedCleanly);
    assert.ok(Date.now() - started >= 2900);
    const events = watchEvents(r.text);
    const expected = watchEvents(fx.response.body.join(''));
    assert.deepEqual(
      events.map((e) => [e.type, e.object.metadata.name]),
      expected.map((e: Json) => [e.type, e.object.metadata.name]),
    );
    assertSameBody(events[0].object, expected[0].object, 'status', 'metadata.annotations', 'metadata.generation');
  });

  it('048 WATCH from resourceVersion=1 on a young server replays the whole history, no 410', async () => {
    const fx = h.fx('048');
    const r = await h.replay('048', { path: (p) => p.replace('timeoutSeconds=5', 'timeoutSeconds=1') });
    assertEnvelope(r, fx);
    const events = watchEvents(r.text);
    const expected = watchEvents(fx.response.body.join(''));
    assert.deepEqual(events[0].type, 'ADDED');
    assertSameBody(events[0].object, expected[0].object);
    const names = (list: Json[]): string[] => [...new Set(list.map((e) => `${e.type}:${e.object.metadata.name}`))].sort();
    assert.deepEqual(names(events), names(expected));
    assert.equal(events.filter((e) => e.type === 'ERROR').length, 0);
  });

  it('049 WATCH from a resourceVersion that fell out of the watch cache: 200, one ERROR 410 Expired, end', async () => {
    const fx = h.fx('049');
    h.server.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'watch-cache-filler' } });
    h.server.apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'filler', namespace: 'watch-cache-filler' },
      data: { n: '0' },
    });
    for (let i = 1; i <= 300; i++) {
      const p = await send({
        ...h.target(),
        method: 'PATCH',
        path: '/api/v1/namespaces/watch-cache-filler/configmaps/filler',
        contentType: 'application/merge-patch+json',
        body: JSON.stringify({ data: { n: String(i) } }),
      });
      assert.equal(p.status, 200);
    }
    const cmRv = String(h.seen.get('013')!.body.metadata.resourceVersion);
    const r = await h.replay('049', { path: (p) => p.replace('resourceVersion=263', `resourceVersion=${cmRv}`) });
    assertEnvelope(r, fx);
    assert.ok(r.endedCleanly);
    const events = watchEvents(r.text);
    assert.equal(events.length, 1);
    assert.match(events[0].object.message, new RegExp(`^too old resource version: ${cmRv} \\(\\d+\\)$`));
    assert.deepEqual(without(events[0], 'object.message'), without(watchEvents(fx.response.body.join(''))[0], 'object.message'));
    h.server.delete('v1', 'Namespace', undefined, 'watch-cache-filler');
  });

  it('050 SSA nginx:1.26 -> nginx:1.27: generation 5', async () => {
    const r = await h.checkExact('050', 'status', 'metadata.annotations');
    assert.equal(r.body.metadata.generation, 5);
    await h.rolledOut('flask-api');
  });
  it('051 GET after two image changes: revision "3", fully rolled out', () => h.checkExact('051'));
  it('052 LIST ReplicaSets by label: revisions 1/2/3, pod-template-hash, ownerReferences, old ones at 0', async () => {
    const fx = h.fx('052');
    const r = await h.replay('052');
    assertEnvelope(r, fx);
    assert.equal(r.body.items.length, 3);
    assertSameBody(
      byRevision(r.body.items).map((i) => without(i, 'metadata.generation', 'status.observedGeneration')),
      byRevision(fx.response.body.items).map((i) => without(i, 'metadata.generation', 'status.observedGeneration')),
    );
  });

  it('053 kubectl rollout undo: its four HTTP calls (JSON answers to protobuf-first Accept), then a JSON patch', async () => {
    const calls = (h.fx('053') as unknown as { calls: Json[] }).calls;
    for (const c of calls) {
      const q = new URLSearchParams(c.request.query as Record<string, string>).toString();
      const r = await send({
        ...h.target(),
        method: c.request.method,
        path: `${c.request.path}${q ? `?${q}` : ''}`,
        accept: c.request.headers.accept,
        contentType: c.request.headers['content-type'],
        userAgent: c.request.headers['user-agent'],
        ...(c.request.body ? { body: JSON.stringify(c.request.body) } : {}),
      });
      assert.equal(r.status, c.response.status, r.text.slice(0, 300));
      assert.equal(header(r, 'content-type'), 'application/json');
    }
    await h.rolledOut('flask-api');
  });
  it('054 after the undo: nginx:1.26, revision "4", generation 6, a kubectl Update entry', async () => {
    const r = await h.checkExact('054');
    assert.equal(r.body.metadata.annotations['deployment.kubernetes.io/revision'], '4');
  });
  it('055 the nginx:1.26 ReplicaSet was reused: revision "4", revision-history "2"', async () => {
    const fx = h.fx('055');
    const r = await h.replay('055');
    assertEnvelope(r, fx);
    assertSameBody(
      byRevision(r.body.items).map((i) => without(i, 'metadata.generation', 'status.observedGeneration')),
      byRevision(fx.response.body.items).map((i) => without(i, 'metadata.generation', 'status.observedGeneration')),
    );
  });
  it('056 re-applying nginx:1.27 after the undo conflicts with "kubectl" using apps/v1', () => h.checkExact('056'));

  registerPodAndLogFixtures(h);
}
