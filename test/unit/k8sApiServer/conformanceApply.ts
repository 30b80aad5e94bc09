/** Conformance, part 1: discovery (001-010), server-side apply (011-025), errors (026-037), dry run (038-041). */
import assert from 'node:assert/strict';
import type { Json } from './fixtureReplay.ts';
import { assertEnvelope, header } from './conformanceHarness.ts';
import type { Harness } from './conformanceHarness.ts';

export function registerApplyFixtures(h: Harness): void {
  // Discovery
  it('001 GET /api', () => h.checkExact('001'));
  for (const id of ['002', '004', '005', '006', '007', '008']) {
    it(`${id} ${h.fixtures.get(id)?.request.path ?? ''}: served resources match the recording`, async () => {
      const fx = h.fixtures.get(id)!;
      const r = await h.replay(id);
      assert.equal(r.status, 200);
      assert.equal(header(r, 'content-type'), 'application/json');
      assert.deepEqual(Object.keys(r.body), Object.keys(fx.response.body));
      assert.equal(r.body.groupVersion, fx.response.body.groupVersion);
      for (const res of r.body.resources) {
        const rec = fx.response.body.resources.find((x: Json) => x.name === res.name);
        assert.ok(rec, `${res.name} exists on a real server`);
        assert.deepEqual(res, rec, res.name);
      }
    });
  }
  for (const id of ['003', '010']) {
    it(`${id} GET /apis${id === '010' ? ' with the aggregated-discovery Accept' : ''}: an APIGroupList`, async () => {
      const fx = h.fixtures.get(id)!;
      const r = await h.replay(id);
      assertEnvelope(r, fx);
      assert.equal(r.body.kind, 'APIGroupList');
      const order = fx.response.body.groups.map((g: Json) => g.name);
      let last = -1;
      for (const g of r.body.groups) {
        const i = order.indexOf(g.name);
        assert.ok(i > last, `${g.name} in the recorded order`);
        last = i;
        assert.deepEqual(g, fx.response.body.groups[i]);
      }
    });
  }
  it('009 GET /version', async () => {
    const fx = h.fixtures.get('009')!;
    const r = await h.replay('009');
    assertEnvelope(r, fx);
    for (const k of ['major', 'minor', 'gitVersion', 'gitTreeState', 'compiler', 'platform'])
      assert.equal(r.body[k], fx.response.body[k]);
  });

  // Server-side apply
  for (const id of ['011', '012', '013', '014', '015', '016', '017', '018', '019', '020', '021', '022']) {
    it(`${id} ${h.fixtures.get(id)?.title ?? ''}`, () => h.checkExact(id));
  }
  it('023 re-apply of the unchanged Deployment writes nothing', async () => {
    await h.rolledOut('flask-api');
    const before = h.server.get('apps/v1', 'Deployment', 'endpoint-stats', 'flask-api')!;
    const r = await h.checkExact('023', 'status', 'metadata.annotations');
    assert.equal(r.body.metadata.resourceVersion, before.metadata.resourceVersion);
    assert.deepEqual(r.body.metadata.managedFields, before.metadata.managedFields);
    assert.equal(r.body.metadata.annotations['deployment.kubernetes.io/revision'], '1');
  });
  it('024 changed re-apply: generation 1 -> 2, no new ReplicaSet', async () => {
    const r = await h.checkExact('024', 'status');
    assert.equal(r.body.metadata.generation, 2);
    await h.rolledOut('flask-api');
    assert.equal(h.server.list('apps/v1', 'ReplicaSet', 'endpoint-stats').length, 1);
  });
  it('025 changed re-apply of the ConfigMap gets a new resourceVersion', async () => {
    const before = h.server.get('v1', 'ConfigMap', 'endpoint-stats', 'flask-api-config')!;
    const r = await h.checkExact('025');
    assert.notEqual(r.body.metadata.resourceVersion, before.metadata.resourceVersion);
  });

  // Errors
  for (const id of ['026', '027']) it(`${id} ${h.fixtures.get(id)?.title ?? ''}`, () => h.checkExact(id));
  it('028 force=true moves f:replicas to hpa-simulator', () => h.checkExact('028', 'status'));
  for (const id of ['029', '031', '032', '033', '034', '035', '036', '037'])
    it(`${id} ${h.fixtures.get(id)?.title ?? ''}`, () => h.checkExact(id));
  it('030 SSA under an unknown API group: 404 text/plain', async () => {
    const fx = h.fixtures.get('030')!;
    const r = await h.replay('030');
    assertEnvelope(r, fx);
    assert.equal(r.text, fx.response.body);
  });

  // Dry run
  it('038 dry-run create: 201, defaulted, uid and managedFields, no resourceVersion', async () => {
    const r = await h.checkExact('038');
    assert.equal(r.body.metadata.resourceVersion, undefined);
  });
  it('039 nothing was stored', () => h.checkExact('039'));
  it('040 dry-run update: 200 with the current resourceVersion', async () => {
    const cur = h.server.get('v1', 'ConfigMap', 'endpoint-stats', 'flask-api-config')!;
    const r = await h.checkExact('040');
    assert.equal(r.body.metadata.resourceVersion, cur.metadata.resourceVersion);
  });
  it('041 the ConfigMap is unchanged', () => h.checkExact('041'));
}
