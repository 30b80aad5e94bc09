/**
 * Conformance with batch 2, part 2: admission (025-030, 073), status lag and minReadySeconds
 * (031-035), annotations (036-037), storage (038-045), services (046-053), NetworkPolicy
 * (054-055), protobuf (056-057), namespace deletion (058-063), bookmarks (064-067), logs
 * (068-071), /version (072).
 */
import assert from 'node:assert/strict';
import type { Json, Reply } from './fixtureReplay.ts';
import { fixtureRequest, normalize, send, watchEvents, without } from './fixtureReplay.ts';
import { assertEnvelope, assertSameBody } from './conformanceHarness.ts';
import type { Harness } from './conformanceHarness.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns a value (every 20 ms, at most `ms`). */
async function until<T>(probe: () => T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('condition not reached');
    await sleep(20);
  }
}

function conditionsOf(o: Json): Json[] {
  return (o?.status?.conditions ?? []) as Json[];
}

/** Events compared by what a client reads: reason, type, source, involved object kind, message. */
function eventFacts(e: Json): Json {
  return normalize({
    reason: e.reason,
    type: e.type,
    source: e.source,
    kind: e.involvedObject.kind,
    message: String(e.message).replace(/^\(combined from similar events\): /, ''),
    keys: Object.keys(e).sort(),
  });
}

export function registerRealClusterFixtures(h: Harness): void {
  // Admission
  it('025 a Pod whose ServiceAccount does not exist: 403', () => h.checkExact('025'));
  it('026 a namespace enforcing Pod Security restricted', () => h.checkExact('026'));
  it('027 a Deployment whose template violates restricted: 201 with the "would violate PodSecurity" Warning', () =>
    h.checkExact('027', 'status', 'metadata.annotations'));
  it('028 its ReplicaSet: ReplicaFailure True FailedCreate with the PodSecurity refusal', async () => {
    const fx = h.fx('028');
    const rs = await until(() =>
      h.server
        .list('apps/v1', 'ReplicaSet', 'psa-restricted')
        .find((r) => conditionsOf(r).some((c) => c.type === 'ReplicaFailure')),
    );
    const r = await h.replay('028', { path: (p) => p.replace(/psa-violator-[a-z0-9]+$/, rs.metadata.name) });
    assertEnvelope(r, fx);
    assertSameBody(r.body, fx.response.body, 'metadata.generation');
  });
  it('029 the Deployment: ReplicaFailure copied, Available False, unavailableReplicas 2', async () => {
    await until(() =>
      conditionsOf(h.server.get('apps/v1', 'Deployment', 'psa-restricted', 'psa-violator')).some(
        (c) => c.type === 'ReplicaFailure',
      )
        ? true
        : undefined,
    );
    await h.checkExact('029');
  });
  it('030 FailedCreate Warning events from the replicaset-controller and a ScalingReplicaSet event', async () => {
    const fx = h.fx('030');
    const r = await h.replay('030');
    assertEnvelope(r, fx);
    const facts = (items: Json[]): Json[] => [
      ...new Map(items.map((e) => [JSON.stringify(eventFacts(e)), without(eventFacts(e), 'keys')])).values(),
    ];
    const want = facts(fx.response.body.items);
    const got = facts(r.body.items);
    for (const w of want)
      assert.ok(
        got.some((g) => JSON.stringify(g) === JSON.stringify(w)),
        JSON.stringify(w),
      );
    for (const e of r.body.items as Json[])
      assert.deepEqual(
        Object.keys(e).sort(),
        Object.keys(fx.response.body.items[0]).sort(),
        'event fields as a v1.26 controller writes them',
      );
  });
  it('073 a Pod straight into the restricted namespace: 403 violates PodSecurity', () => h.checkExact('073'));

  // Status lag and minReadySeconds (the recording's 6 s shortened to 1 s, its 30 s watch to 4 s)
  it('031-035 minReadySeconds: Ready first, available only minReadySeconds later; status lags the spec', async () => {
    const short = (s: string): string =>
      s.replace('minReadySeconds: 6', 'minReadySeconds: 1').replace('timeoutSeconds=30', 'timeoutSeconds=4');
    const listRv = String(h.server.resourceVersion());
    const fx31 = h.fx('031');
    const times: { at: number; object: Json }[] = [];
    const started = Date.now();
    let buffer = '';
    const watch = send({
      ...fixtureRequest(fx31, h.target(), short),
      path: short(new URL(fx31.request.url).pathname + new URL(fx31.request.url).search).replace(
        /resourceVersion=\d+/,
        `resourceVersion=${listRv}`,
      ),
      onPiece: (p) => {
        buffer += p;
        for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
          times.push({ at: Date.now() - started, object: JSON.parse(buffer.slice(0, i)).object });
          buffer = buffer.slice(i + 1);
        }
      },
    });
    await sleep(100);
    const created = await send(fixtureRequest(h.fx('032'), h.target(), short));
    assertEnvelope(created, h.fx('032'));
    assert.deepEqual(created.body.status, {}, '032: a create answer has an empty status');
    const got33 = await send(fixtureRequest(h.fx('033'), h.target()));
    assert.equal(got33.body.metadata.generation, 1);
    assert.ok([undefined, 1].includes(got33.body.status.observedGeneration), '033: no status yet, or the first one');
    const ready = await until(() => {
      const d = h.server.get('apps/v1', 'Deployment', 'dr-rec', 'min-ready');
      return d?.status?.availableReplicas === 2 ? d : undefined;
    });
    assert.equal(ready.spec.minReadySeconds, 1);
    const updated = await send(fixtureRequest(h.fx('034'), h.target(), short));
    assertEnvelope(updated, h.fx('034'));
    assert.equal(updated.body.metadata.generation, 2);
    assert.equal(updated.body.status.observedGeneration, 1, '034: the apply answer shows the old status');
    const got35 = await send(fixtureRequest(h.fx('035'), h.target()));
    assert.equal(got35.body.metadata.generation, 2);
    assert.ok(Number(got35.body.status.observedGeneration) <= 2);
    const r = await watch;
    assertEnvelope(r, fx31);
    assert.ok(r.endedCleanly);
    const firstReady = times.find((t) => t.object.status?.readyReplicas === 2);
    const firstAvailable = times.find((t) => t.object.status?.availableReplicas === 2);
    assert.ok(firstReady && firstAvailable, JSON.stringify(times.map((t) => [t.at, t.object.status])));
    assert.equal(firstReady.object.status.availableReplicas, undefined, 'Ready is not yet available');
    assert.ok(firstAvailable.at - firstReady.at >= 900, `available ${firstAvailable.at - firstReady.at} ms after Ready`);
    assert.deepEqual(
      conditionsOf(firstAvailable.object)
        .map((c) => [c.type, c.status, c.reason])
        .sort(),
      [
        ['Available', 'True', 'MinimumReplicasAvailable'],
        ['Progressing', 'True', 'NewReplicaSetAvailable'],
      ],
    );
    assert.equal(times[0]!.object.metadata.name, 'min-ready');
  });

  // Annotations
  it("036 a Deployment with annotations of its own and kubectl's last-applied copy", async () => {
    const r = await h.checkExact('036', 'status', 'metadata.annotations');
    const own = { ...r.body.metadata.annotations };
    delete own['deployment.kubernetes.io/revision'];
    assert.deepEqual(own, h.fx('036').response.body.metadata.annotations);
  });
  it('037 its ReplicaSet carries the annotations except last-applied-configuration', async () => {
    const fx = h.fx('037');
    await until(() =>
      h.server.list('apps/v1', 'ReplicaSet', 'dr-rec').some((r) => r.metadata.name.startsWith('annotated-')) ? true : undefined,
    );
    const r = await h.replay('037');
    assertEnvelope(r, fx);
    assert.equal(r.body.items.length, 1);
    assert.deepEqual(r.body.items[0].metadata.annotations, fx.response.body.items[0].metadata.annotations);
  });

  // Storage
  it('038 GET /apis/storage.k8s.io/v1: every served resource as recorded', async () => {
    const fx = h.fx('038');
    const r = await h.replay('038');
    assertEnvelope(r, fx);
    for (const res of r.body.resources as Json[])
      assert.deepEqual(
        res,
        (fx.response.body.resources as Json[]).find((x) => x.name === res.name),
        res.name,
      );
  });
  it('039 LIST StorageClasses: standard (default, Immediate) and wait-for-consumer', () => h.checkExact('039'));
  for (const id of ['040', '041']) it(`${id} ${h.fixtures.get(id)?.title ?? ''}`, () => h.checkExact(id));
  it('042 the WaitForFirstConsumer claim stays Pending', async () => {
    await sleep(200);
    await h.checkExact('042');
  });
  for (const [id, claim] of [
    ['043', 'wffc-claim'],
    ['045', 'nosc-claim'],
  ] as const) {
    it(`${id} the PV controller's event for ${claim}`, async () => {
      const fx = h.fx(id);
      await until(() => (h.server.list('v1', 'Event', 'dr-rec').some((e) => e.involvedObject.name === claim) ? true : undefined));
      const r = await h.replay(id);
      assertEnvelope(r, fx);
      assert.deepEqual(
        (r.body.items as Json[]).map((e) => without(eventFacts(e), 'keys')),
        (fx.response.body.items as Json[]).map((e) => without(eventFacts(e), 'keys')),
      );
    });
  }
  it('044 the claim of a missing class stays Pending', () => h.checkExact('044'));
  it('WaitForFirstConsumer: the claim binds once a pod that uses it is scheduled', async () => {
    h.server.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'wffc-user', namespace: 'dr-rec' },
      spec: {
        containers: [{ name: 'main', image: 'busybox:1.36' }],
        volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'wffc-claim' } }],
      },
    });
    await h.server.waitFor('v1', 'PersistentVolumeClaim', 'dr-rec', 'wffc-claim', (c) => c?.status?.phase === 'Bound');
    await h.server.waitFor('v1', 'Pod', 'dr-rec', 'wffc-user', (p) => p?.status?.phase === 'Running');
    h.server.delete('v1', 'Pod', 'dr-rec', 'wffc-user');
  });

  // Services
  for (const id of ['046', '047', '048', '049', '050', '051', '052'])
    it(`${id} ${h.fixtures.get(id)?.title ?? ''}`, () => h.checkExact(id));
  it('053 re-applying the headless Service: 200, same resourceVersion, still None', async () => {
    const r = await h.checkExact('053');
    assert.equal(r.body.metadata.resourceVersion, h.seen.get('051')!.body.metadata.resourceVersion);
  });

  // NetworkPolicy
  it('054 055 a NetworkPolicy keeps its from: rules as sent', async () => {
    await h.checkExact('054');
    const r = await h.checkExact('055');
    assert.equal(r.body.spec.ingress[0].from.length, 2);
  });

  // kubectl's protobuf
  it('056 kubectl create namespace sends protobuf: 201', async () => {
    const call = (h.fx('056') as unknown as { calls: Json[] }).calls[0];
    const u = new URL(call.request.url);
    const r = await send({
      ...h.target(),
      method: 'POST',
      path: u.pathname + u.search,
      accept: call.request.headers.accept,
      contentType: call.request.headers['content-type'],
      userAgent: call.request.headers['user-agent'],
      body: Buffer.from(call.request.body.base64, 'base64'),
    });
    assert.equal(r.status, call.response.status, r.text);
    assert.equal(h.server.get('v1', 'Namespace', undefined, 'kx-1')?.metadata.managedFields[0].manager, 'kubectl-create');
  });
  it('057 the same protobuf bytes, answered in JSON', () => h.checkExact('057'));

  // Namespace deletion
  it('058 059 a namespace with a 2-replica Deployment, running', async () => {
    await h.checkExact('058');
    await h.checkExact('059', 'status', 'metadata.annotations');
    await until(() =>
      h.server.list('v1', 'Pod', 'doomed').filter((p) => p.status?.phase === 'Running').length === 2 ? true : undefined,
    );
  });
  it('060 061 DELETE: the Namespace in Terminating, at first with no conditions', async () => {
    await h.checkExact('060');
    await h.checkExact('061');
  });
  it('062 part-way: the five deletion conditions, NamespaceContentRemaining naming the pods', async () => {
    const fx = h.fx('062');
    await until(() => (conditionsOf(h.server.get('v1', 'Namespace', undefined, 'doomed')).length > 0 ? true : undefined));
    const r = await h.replay('062');
    assertEnvelope(r, fx);
    // The recorded namespace has no managedFields at all; this one keeps the namespace controller's (ignored as everywhere).
    assertSameBody(r.body, fx.response.body, 'metadata.managedFields');
  });
  it('063 then 404', async () => {
    await until(() => (h.server.get('v1', 'Namespace', undefined, 'doomed') ? undefined : true));
    await h.checkExact('063');
  });

  // Watch bookmarks
  const quietWatch = async (id: string): Promise<Reply> => {
    const rv = String(h.server.resourceVersion());
    const r = await h.replay(id, {
      path: (p) => p.replace(/resourceVersion=\d+/, `resourceVersion=${rv}`).replace('timeoutSeconds=5', 'timeoutSeconds=1'),
    });
    assertEnvelope(r, h.fx(id));
    assert.ok(r.endedCleanly, 'ended by the server with a zero-length chunk');
    return r;
  };
  it('064 a quiet watch with allowWatchBookmarks gets no BOOKMARK', async () => {
    assert.equal((await quietWatch('064')).text, '');
  });
  it('065 the same without allowWatchBookmarks: nothing', async () => {
    assert.equal((await quietWatch('065')).text, '');
  });
  it('066 067 a change of the type elsewhere: BOOKMARKs carrying its resourceVersion, no other event', async () => {
    const fx = h.fx('066');
    const rv = String(h.server.resourceVersion());
    const watch = h.replay('066', {
      path: (p) => p.replace(/resourceVersion=\d+/, `resourceVersion=${rv}`).replace('timeoutSeconds=5', 'timeoutSeconds=2'),
    });
    await sleep(200);
    const nudge = await h.checkExact('067');
    const r = await watch;
    assertEnvelope(r, fx);
    const events = watchEvents(r.text);
    assert.ok(events.length >= 1);
    const expected = watchEvents(fx.response.body.join(''))[0];
    for (const e of events) {
      assert.deepEqual(
        { ...e, object: { ...e.object, metadata: { ...e.object.metadata, resourceVersion: '<rv>' } } },
        { ...expected, object: { ...expected.object, metadata: { ...expected.object.metadata, resourceVersion: '<rv>' } } },
      );
      assert.equal(e.object.metadata.resourceVersion, nudge.body.metadata.resourceVersion);
    }
  });

  // Logs
  // A created Pod's managedFields differ in one mark: the recording has no "." on f:containers.
  it('068 a Pod that logs', async () => {
    await h.checkExact('068', 'status', 'spec.nodeName', 'metadata.managedFields');
    await h.server.waitFor('v1', 'Pod', 'dr-rec', 'logger', (p) => p?.status?.phase === 'Running');
  });
  it('069 follow=true cut at the kubelet: the response still ends cleanly, no error text', async () => {
    const fx = h.fx('069');
    const lines = String(fx.response.body.join('')).split('\n').slice(0, -1);
    h.server.emitLogs('dr-rec', 'logger', undefined, lines.slice(0, 3));
    let got = '';
    const follow = h.replay('069', {
      onPiece: (p) => {
        got += p;
      },
    });
    await sleep(100);
    h.server.emitLogs('dr-rec', 'logger', undefined, lines.slice(3));
    await until(() => (got.split('\n').length > lines.length ? true : undefined));
    h.server.kubeletDropsLogStreams('dr-rec', 'logger');
    const r = await follow;
    assertEnvelope(r, fx);
    assert.ok(r.endedCleanly, 'a zero-length chunk ends the response');
    assert.equal(r.text, `${lines.join('\n')}\n`);
  });
  it('070 071 follow=true&tailLines=2 while the pod is deleted: the stream ends cleanly; DELETE answers the Pod', async () => {
    const fx = h.fx('070');
    const follow = h.replay('070');
    await sleep(100);
    const del = await h.checkExact('071', 'status', 'spec.nodeName', 'metadata.managedFields');
    assert.equal(del.body.metadata.deletionGracePeriodSeconds, 30);
    const r = await follow;
    assertEnvelope(r, fx);
    assert.ok(r.endedCleanly);
    assert.equal(r.text.split('\n').length - 1, 2);
  });

  it('072 /version: the same fields (this server reports v1.26.0, as batch 1 recorded)', async () => {
    const fx = h.fx('072');
    const r = await h.replay('072');
    assertEnvelope(r, fx);
    assert.deepEqual(Object.keys(r.body), Object.keys(fx.response.body));
    assert.match(r.body.gitVersion, /^v1\.26\./);
  });
}
