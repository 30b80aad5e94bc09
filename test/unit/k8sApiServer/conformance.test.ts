/**
 * Conformance: every recorded kube-apiserver exchange in ../shared/k8s-api-fixtures is replayed, in
 * file-number order, against one test server, and the status, content type, framing, Status shape
 * and the essential body are compared (uids, times, resourceVersions, IPs and hashes normalized).
 */
import assert from 'node:assert/strict';
import { parse as parseYaml } from 'yaml';
import { startK8sApiServer } from '../../k8sApiServer/server.ts';
import type { K8sApiServer } from '../../k8sApiServer/server.ts';
import type { Fixture, Json, Reply } from './fixtureReplay.ts';
import { fixtureRequest, fixturesAvailable, loadFixtures, normalize, send, watchEvents, without } from './fixtureReplay.ts';

const available = fixturesAvailable();
const fixtures = available ? loadFixtures() : new Map<string, Fixture>();
const FX_POD = 'flask-api-59c6f54b8f-82gxp';

function header(r: Reply, name: string): string | undefined {
  const v = r.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/** Status, content type, framing rule, audit/cache/APF/nosniff headers like the recording. */
function assertEnvelope(r: Reply, fx: Fixture): void {
  assert.equal(r.status, fx.response.status, `status of ${fx.file}: ${r.text.slice(0, 300)}`);
  assert.equal(header(r, 'content-type'), fx.response.headers['content-type'] ?? undefined, 'content-type');
  const names = new Set(fx.response.headers_all.map(([n]) => n));
  assert.ok(header(r, 'audit-id'), 'Audit-Id');
  assert.equal(header(r, 'cache-control'), 'no-cache, private');
  assert.equal(header(r, 'x-kubernetes-pf-flowschema-uid') !== undefined, names.has('x-kubernetes-pf-flowschema-uid'), 'APF headers');
  assert.equal(header(r, 'x-content-type-options') !== undefined, names.has('x-content-type-options'), 'nosniff');
  const chunked = header(r, 'transfer-encoding') === 'chunked';
  if (fx.response.headers['transfer-encoding'] === 'chunked' && !names.has('content-length') && Buffer.byteLength(r.text) > 2048) assert.ok(chunked, 'large bodies are chunked');
  if (!chunked) assert.equal(Number(header(r, 'content-length')), Buffer.byteLength(r.text), 'Content-Length');
  else assert.ok(Buffer.byteLength(r.text) > 2048 || fx.response.headers['transfer-encoding'] === 'chunked', 'small bodies carry Content-Length');
}

function assertSameBody(actual: Json, expected: Json, ...ignore: string[]): void {
  assert.deepEqual(normalize(without(actual, ...ignore)), normalize(without(expected, ...ignore)));
}

(available ? describe : describe.skip)('k8sApiServer conformance with the recorded v1.26 fixtures', function () {
  this.timeout(60_000);
  let server: K8sApiServer;
  let podName = FX_POD;
  const seen = new Map<string, Reply>();
  const rename = (s: string): string => s.split(FX_POD).join(podName);

  before(async () => {
    server = await startK8sApiServer({ nodeName: 'kwok-node-0', podReadyDelayMs: 20, podTerminationDelayMs: 20, namespaceFinalizeDelayMs: 300, watchHistoryLimit: 120, jobPodRunMs: 50 });
  });
  after(async () => {
    await server?.stop();
  });

  async function replay(id: string, opts: { token?: string | null; timeoutMs?: number; path?: (p: string) => string } = {}): Promise<Reply> {
    const fx = fixtures.get(id)!;
    const req = fixtureRequest(fx, server.url, opts.token === undefined ? server.adminToken : opts.token, rename);
    if (opts.path) req.path = opts.path(req.path);
    if (opts.timeoutMs) req.timeoutMs = opts.timeoutMs;
    const r = await send(req);
    seen.set(id, r);
    return r;
  }

  async function rolledOut(name: string): Promise<void> {
    await server.waitFor('apps/v1', 'Deployment', 'endpoint-stats', name, (d) => {
      const s = d?.status ?? {};
      const want = d?.spec?.replicas;
      return s.observedGeneration === d?.metadata.generation && s.updatedReplicas === want && s.replicas === want && s.availableReplicas === want;
    });
  }

  async function checkExact(id: string, ...ignore: string[]): Promise<Reply> {
    const fx = fixtures.get(id)!;
    const r = await replay(id);
    assertEnvelope(r, fx);
    assertSameBody(r.body, fx.response.body, ...ignore);
    return r;
  }

  // Discovery
  it('001 GET /api', () => checkExact('001'));
  for (const id of ['002', '004', '005', '006', '007', '008']) {
    it(`${id} ${fixtures.get(id)?.request.path ?? ''}: served resources match the recording`, async () => {
      const fx = fixtures.get(id)!;
      const r = await replay(id);
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
      const fx = fixtures.get(id)!;
      const r = await replay(id);
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
    const fx = fixtures.get('009')!;
    const r = await replay('009');
    assertEnvelope(r, fx);
    for (const k of ['major', 'minor', 'gitVersion', 'gitTreeState', 'compiler', 'platform']) assert.equal(r.body[k], fx.response.body[k]);
  });

  // Server-side apply
  for (const id of ['011', '012', '013', '014', '015', '016', '017', '018', '019', '020', '021', '022']) {
    it(`${id} ${fixtures.get(id)?.title ?? ''}`, () => checkExact(id));
  }
  it('023 re-apply of the unchanged Deployment writes nothing', async () => {
    await rolledOut('flask-api');
    const before = server.get('apps/v1', 'Deployment', 'endpoint-stats', 'flask-api')!;
    const r = await checkExact('023', 'status', 'metadata.annotations');
    assert.equal(r.body.metadata.resourceVersion, before.metadata.resourceVersion);
    assert.deepEqual(r.body.metadata.managedFields, before.metadata.managedFields);
    assert.equal(r.body.metadata.annotations['deployment.kubernetes.io/revision'], '1');
  });
  it('024 changed re-apply: generation 1 -> 2, no new ReplicaSet', async () => {
    const r = await checkExact('024', 'status');
    assert.equal(r.body.metadata.generation, 2);
    await rolledOut('flask-api');
    assert.equal(server.list('apps/v1', 'ReplicaSet', 'endpoint-stats').length, 1);
  });
  it('025 changed re-apply of the ConfigMap gets a new resourceVersion', async () => {
    const before = server.get('v1', 'ConfigMap', 'endpoint-stats', 'flask-api-config')!;
    const r = await checkExact('025');
    assert.notEqual(r.body.metadata.resourceVersion, before.metadata.resourceVersion);
  });

  // Errors
  for (const id of ['026', '027']) it(`${id} ${fixtures.get(id)?.title ?? ''}`, () => checkExact(id));
  it('028 force=true moves f:replicas to hpa-simulator', () => checkExact('028', 'status'));
  for (const id of ['029', '031', '032', '033', '034', '035', '036', '037']) it(`${id} ${fixtures.get(id)?.title ?? ''}`, () => checkExact(id));
  it('030 SSA under an unknown API group: 404 text/plain', async () => {
    const fx = fixtures.get('030')!;
    const r = await replay('030');
    assertEnvelope(r, fx);
    assert.equal(r.text, fx.response.body);
  });

  // Dry run
  it('038 dry-run create: 201, defaulted, uid and managedFields, no resourceVersion', async () => {
    const r = await checkExact('038');
    assert.equal(r.body.metadata.resourceVersion, undefined);
  });
  it('039 nothing was stored', () => checkExact('039'));
  it('040 dry-run update: 200 with the current resourceVersion', async () => {
    const cur = server.get('v1', 'ConfigMap', 'endpoint-stats', 'flask-api-config')!;
    const r = await checkExact('040');
    assert.equal(r.body.metadata.resourceVersion, cur.metadata.resourceVersion);
  });
  it('041 the ConfigMap is unchanged', () => checkExact('041'));

});
