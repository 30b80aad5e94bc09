/** Conformance with batch 2, part 1: defaulting and validation (001-009), field validation (010-024), extras (074-084). */
import assert from 'node:assert/strict';
import type { Json } from './fixtureReplay.ts';
import { send } from './fixtureReplay.ts';
import { assertEnvelope, header } from './conformanceHarness.ts';
import type { Harness } from './conformanceHarness.ts';

/** The patched object quoted in a Strict merge patch's 422 differs in ids and times: compare around it. */
function maskQuoted(s: string): string {
  return s.replace(/Invalid value: "(?:[^"\\]|\\.)*"/, 'Invalid value: "<patched object>"');
}

export function registerRealWriteFixtures(h: Harness): void {
  for (const id of ['001', '002', '003']) it(`${id} ${h.fixtures.get(id)?.title ?? ''}`, () => h.checkExact(id));
  it('004 defaultMode: 365 is accepted and kept', async () => {
    const r = await h.checkExact('004', 'status', 'metadata.annotations');
    assert.equal(r.body.spec.template.spec.volumes[0].configMap.defaultMode, 365);
  });
  it('005 YAML 0555 in an apply body is octal: defaultMode 365', async () => {
    const r = await h.checkExact('005', 'status', 'metadata.annotations');
    assert.equal(r.body.spec.template.spec.volumes[0].configMap.defaultMode, 365);
  });
  it('006 0555 re-applied onto 365 is a no-op: 200 with the same resourceVersion', async () => {
    const before = h.server.get('apps/v1', 'Deployment', 'dr-rec', 'cm-mode')!;
    const r = await h.checkExact('006', 'status', 'metadata.annotations');
    assert.equal(r.body.metadata.resourceVersion, before.metadata.resourceVersion);
  });
  for (const id of ['007', '008', '009', '010', '011', '012', '013', '014', '015', '016', '017', '018'])
    it(`${id} ${h.fixtures.get(id)?.title ?? ''}`, () => h.checkExact(id));
  for (const id of ['019', '020']) {
    it(`${id} ${h.fixtures.get(id)?.title ?? ''}`, async () => {
      const r = await h.checkExact(id);
      assert.equal(r.body.dataa, undefined, 'the unknown field is dropped');
    });
  }
  it('021 a Strict merge patch with an unknown field: 422 quoting the patched object, cause field "patch"', async () => {
    const fx = h.fx('021');
    const r = await h.replay('021');
    assertEnvelope(r, fx);
    const mask = (b: Json): Json => ({
      ...b,
      message: maskQuoted(b.message),
      details: { causes: b.details.causes.map((c: Json) => ({ ...c, message: maskQuoted(c.message) })) },
    });
    assert.deepEqual(mask(r.body), mask(fx.response.body));
    const quoted = JSON.parse(JSON.parse(/Invalid value: ("(?:[^"\\]|\\.)*")/.exec(r.body.message)![1]!));
    assert.equal(quoted.spec.replicass, 2);
    assert.equal(quoted.metadata.name, 'cm-mode');
  });
  it('022 the same merge patch without fieldValidation: 200, a Warning, nothing stored', async () => {
    const before = h.server.get('apps/v1', 'Deployment', 'dr-rec', 'cm-mode')!;
    const r = await h.checkExact('022', 'status', 'metadata.annotations');
    assert.equal(r.body.metadata.resourceVersion, before.metadata.resourceVersion);
    assert.equal(r.body.spec.replicass, undefined);
  });

  it('023 kubectl apply --server-side: its calls (openapi, then PATCH with fieldValidation) get the recorded statuses', async () => {
    const runs = (h.fx('023') as unknown as { runs: { calls: Json[] }[] }).runs;
    for (const run of runs) {
      for (const c of run.calls) {
        const u = new URL(c.request.url);
        const r = await send({
          ...h.target(),
          method: c.request.method,
          path: u.pathname + u.search,
          accept: c.request.headers.accept,
          contentType: c.request.headers['content-type'],
          userAgent: c.request.headers['user-agent'],
          ...(c.request.body ? { body: JSON.stringify(c.request.body) } : {}),
        });
        assert.equal(r.status, c.response.status, `${c.request.method} ${u.pathname}: ${r.text.slice(0, 300)}`);
        if (c.response.status >= 400) assert.deepEqual(r.body, c.response.body);
      }
    }
  });
  it("024 a replay of kubectl's own PATCH right after it: a no-op 200", () =>
    h.checkExact('024', 'status', 'metadata.annotations'));

  for (const id of ['074', '075', '076', '077', '078', '079', '080', '081', '082', '084'])
    it(`${id} ${h.fixtures.get(id)?.title ?? ''}`, () => h.checkExact(id));
  it('083 a LIST through a deprecated version: 200 with the deprecation Warning', async () => {
    const fx = h.fx('083');
    const r = await h.replay('083');
    assertEnvelope(r, fx);
    assert.equal(r.body.kind, 'FlowSchemaList');
    assert.equal(r.body.apiVersion, 'flowcontrol.apiserver.k8s.io/v1beta2');
    assert.ok(header(r, 'warning'));
  });
}
