/** Conformance, part 3: pods and readiness (057-064), logs (065-074), namespace deletion (075-080), extras (081-087). */
import assert from 'node:assert/strict';
import { parse as parseYaml } from 'yaml';
import { normalize, send, without } from './fixtureReplay.ts';
import type { Json } from './fixtureReplay.ts';
import { assertEnvelope, assertSameBody } from './conformanceHarness.ts';
import type { Harness } from './conformanceHarness.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const STAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z /;

function byName(items: Json[]): Json[] {
  return [...items].map((i) => normalize(i)).sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
}

export function registerPodAndLogFixtures(h: Harness): void {
  it('057 LIST pods once Running: 3 flask-api pods and postgres-0, owned by their ReplicaSet / StatefulSet', async () => {
    const fx = h.fx('057');
    const deadline = Date.now() + 5000;
    while (h.server.list('v1', 'Pod', 'endpoint-stats').some((p) => p.metadata.deletionTimestamp) && Date.now() < deadline)
      await sleep(10);
    const r = await h.replay('057');
    assertEnvelope(r, fx);
    assert.equal(
      r.body.items.length,
      4,
      JSON.stringify(r.body.items.map((i: Json) => [i.metadata.name, i.metadata.deletionTimestamp, i.status.phase])),
    );
    assert.deepEqual(byName(r.body.items), byName(fx.response.body.items));
  });
  it('058 LIST pods with labelSelector', async () => {
    const fx = h.fx('058');
    const r = await h.replay('058');
    h.podName = [...r.body.items].map((i: Json) => String(i.metadata.name)).sort()[0]!;
    assertEnvelope(r, fx);
    assert.equal(r.body.items.length, 3, JSON.stringify(r.body.items.map((i: Json) => i.metadata.name)));
    assert.deepEqual(byName(r.body.items)[0], byName(fx.response.body.items)[0]);
  });
  for (const id of ['059', '060', '061', '062', '063', '064']) {
    it(`${id} ${h.fixtures.get(id)?.title.split(':')[0] ?? ''}`, () => h.checkExact(id));
  }

  let lines: string[] = [];
  it('065 plain log: text/plain, chunked, raw lines', async () => {
    const fx = h.fx('065');
    lines = String(fx.response.body).split('\n').slice(0, -1);
    h.server.emitLogs('endpoint-stats', h.podName, 'flask-api', lines);
    const r = await h.replay('065');
    assertEnvelope(r, fx);
    assert.equal(r.text, fx.response.body);
  });
  it('066 follow=true: same headers, one chunk per flush, and the stream stays open for new lines', async () => {
    const fx = h.fx('066');
    let got = '';
    const r = h.replay('066', {
      timeoutMs: 400,
      onPiece: (p) => {
        got += p;
      },
    });
    await sleep(100);
    h.server.emitLogs('endpoint-stats', h.podName, 'flask-api', ['a line written while following']);
    const reply = await r;
    assertEnvelope(reply, fx);
    assert.equal(reply.endedCleanly, false, 'a real kubelet keeps follow streams open; the client ended it');
    assert.equal(got, `${fx.response.body.join('')}a line written while following\n`);
    lines.push('a line written while following');
  });
  it('067 timestamps=true: an RFC3339Nano UTC stamp and one space before each line', async () => {
    const fx = h.fx('067');
    const r = await h.replay('067');
    assertEnvelope(r, fx);
    const got = r.text.split('\n').slice(0, -1);
    assert.deepEqual(
      got.map((l) => l.replace(STAMP, '')),
      lines,
    );
    assert.ok(got.every((l) => STAMP.test(l)));
    assert.ok(
      String(fx.response.body)
        .split('\n')
        .slice(0, -1)
        .every((l: string) => STAMP.test(l)),
    );
  });
  it('068 tailLines=2', async () => {
    const r = await h.replay('068');
    assertEnvelope(r, h.fx('068'));
    assert.equal(r.text, `${lines.slice(-2).join('\n')}\n`);
  });
  it('069 sinceTime: lines stamped at or after it', async () => {
    const fx = h.fx('069');
    const r = await h.replay('069');
    assertEnvelope(r, fx);
    const since = Date.parse(fx.request.query.sinceTime!);
    assert.equal(r.text, Date.now() > since ? `${lines.join('\n')}\n` : '');
  });
  it('070 tailLines=3&timestamps=true', async () => {
    const r = await h.replay('070');
    assertEnvelope(r, h.fx('070'));
    const got = r.text.split('\n').slice(0, -1);
    assert.equal(got.length, 3);
    assert.deepEqual(
      got.map((l) => l.replace(STAMP, '')),
      lines.slice(-3),
    );
  });
  for (const id of ['071', '072', '073', '074'])
    it(`${id} ${h.fixtures.get(id)?.title.split(':')[0] ?? ''}`, () => h.checkExact(id));

  it('075 076 a namespace with a ConfigMap to delete', async () => {
    await h.checkExact('075');
    await h.checkExact('076');
  });
  it('077 DELETE namespace: 200 with the Namespace, Terminating, deletionTimestamp', () => h.checkExact('077'));
  it('078 creating in a Terminating namespace: 403 NamespaceTerminating', () => h.checkExact('078'));
  it('079 GET while deleting: 200 Terminating', () => h.checkExact('079'));
  it('080 GET once the namespace is gone: 404', async () => {
    const deadline = Date.now() + 10_000;
    while (h.server.get('v1', 'Namespace', undefined, 'endpoint-stats-dr-test') && Date.now() < deadline) await sleep(20);
    assert.equal(h.server.list('v1', 'ConfigMap', 'endpoint-stats-dr-test').length, 0);
    await h.checkExact('080');
  });

  it('081 LIST Events: controller events with source/count/timestamps, scheduler events with eventTime/action', async () => {
    const fx = h.fx('081');
    const r = await h.replay('081');
    assertEnvelope(r, fx);
    for (const want of fx.response.body.items as Json[]) {
      const got = (r.body.items as Json[]).find(
        (e) => e.reason === want.reason && e.involvedObject.kind === want.involvedObject.kind,
      );
      assert.ok(got, `an event ${want.reason} for a ${want.involvedObject.kind}`);
      assert.deepEqual(Object.keys(got).sort(), Object.keys(want).sort(), want.reason);
      assert.deepEqual(Object.keys(got.involvedObject).sort(), Object.keys(want.involvedObject).sort());
      for (const k of ['type', 'source', 'action', 'reportingComponent'])
        assert.deepEqual(got[k], want[k], `${want.reason} ${k}`);
    }
  });
  it('082 083 pagination: continue and remainingItemCount, then the last page keeps the first page RV', async () => {
    const r1 = await h.replay('082');
    assertEnvelope(r1, h.fx('082'));
    assert.equal(r1.body.items.length, 2);
    assert.equal(r1.body.metadata.remainingItemCount, 2);
    assert.ok(r1.body.metadata.continue);
    const r2 = await h.replay('083', {
      path: (p) => p.replace(/continue=[^&]*/, `continue=${encodeURIComponent(r1.body.metadata.continue)}`),
    });
    assertEnvelope(r2, h.fx('083'));
    assert.deepEqual(Object.keys(r2.body.metadata), ['resourceVersion']);
    assert.equal(r2.body.metadata.resourceVersion, r1.body.metadata.resourceVersion);
    assert.equal(r2.body.items.length, 2);
    assert.deepEqual(
      byName([...r1.body.items, ...r2.body.items]).map((p: Json) => p.metadata.name),
      byName(h.server.list('v1', 'Pod', 'endpoint-stats')).map((p: Json) => p.metadata.name),
    );
  });
  it('084 Accept: application/yaml: YAML the way the apiserver writes it', async () => {
    const fx = h.fx('084');
    const r = await h.replay('084');
    assertEnvelope(r, fx);
    const mask = (t: string): string => t.replace(/(uid|resourceVersion|creationTimestamp|time): .*/g, '$1: <set>');
    assert.equal(mask(r.text), mask(fx.response.body));
    assert.deepEqual(normalize(parseYaml(r.text)), normalize(parseYaml(fx.response.body)));
  });
  it('085 Accept: text/html: 406', () => h.checkExact('085'));
  it('086 an invalid bearer token: 401 without APF headers', async () => {
    const fx = h.fx('086');
    const r = await h.replay('086', { token: 'not-a-valid-token' });
    assertEnvelope(r, fx);
    assertSameBody(r.body, fx.response.body);
  });
  it('087 no credentials: 403 for system:anonymous', async () => {
    const fx = h.fx('087');
    const r = await h.replay('087', { token: null });
    assertEnvelope(r, fx);
    assertSameBody(r.body, fx.response.body);
    const forbidden = await send({
      ...h.target(h.server.forbiddenToken),
      method: 'GET',
      path: fx.request.path,
      accept: 'application/json',
    });
    assert.equal(forbidden.status, 403);
    assert.deepEqual(without(forbidden.body, 'message'), without(fx.response.body, 'message'));
  });
}
