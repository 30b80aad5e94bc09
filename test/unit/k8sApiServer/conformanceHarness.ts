/** Shared state of the conformance replay: one test server, the fixtures, and the comparisons. */
import assert from 'node:assert/strict';
import type { K8sApiServer } from '../../../scripts/k8sApiServer/server.ts';
import type { Fixture, Json, Reply, Target } from './fixtureReplay.ts';
import { fixtureRequest, normalize, send, targetOf, without } from './fixtureReplay.ts';

export const FX_POD = 'flask-api-59c6f54b8f-82gxp';

export function header(r: Reply, name: string): string | undefined {
  const v = r.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/** Status, content type, framing rule, audit/cache/APF/nosniff headers like the recording. */
export function assertEnvelope(r: Reply, fx: Fixture): void {
  assert.equal(r.status, fx.response.status, `status of ${fx.file}: ${r.text.slice(0, 400)}`);
  assert.equal(header(r, 'content-type'), fx.response.headers['content-type'] ?? undefined, 'content-type');
  const names = new Set(fx.response.headers_all.map(([n]) => n));
  assert.ok(header(r, 'audit-id'), 'Audit-Id');
  assert.equal(header(r, 'cache-control'), 'no-cache, private');
  assert.equal(
    header(r, 'x-kubernetes-pf-flowschema-uid') !== undefined,
    names.has('x-kubernetes-pf-flowschema-uid'),
    'APF headers',
  );
  assert.equal(header(r, 'x-content-type-options') !== undefined, names.has('x-content-type-options'), 'nosniff');
  const warnings = fx.response.headers_all.filter(([n]) => n === 'warning').map(([, v]) => v);
  const got = r.headers.warning;
  assert.deepEqual(got === undefined ? [] : Array.isArray(got) ? got : [got], warnings, 'Warning headers');
  const chunked = header(r, 'transfer-encoding') === 'chunked';
  const streamed = Array.isArray(fx.response.body) || fx.response.headers['content-type'] === 'text/plain';
  if (streamed) assert.ok(chunked, 'streams and logs are chunked');
  else if (!chunked) {
    assert.equal(Number(header(r, 'content-length')), Buffer.byteLength(r.text), 'Content-Length');
    assert.ok(Buffer.byteLength(r.text) <= 2048, 'bodies over 2 KiB are chunked');
  } else assert.ok(Buffer.byteLength(r.text) > 2048, 'bodies up to 2 KiB carry Content-Length');
}

export function assertSameBody(actual: Json, expected: Json, ...ignore: string[]): void {
  assert.deepEqual(normalize(without(actual, ...ignore)), normalize(without(expected, ...ignore)));
}

export class Harness {
  server!: K8sApiServer;
  podName = FX_POD;
  readonly seen = new Map<string, Reply>();

  constructor(readonly fixtures: Map<string, Fixture>) {}

  fx(id: string): Fixture {
    return this.fixtures.get(id)!;
  }

  /** Where and as whom to send a request of one's own (see targetOf). */
  target(token?: string | null): Target {
    return targetOf(this.server, token);
  }

  rename = (s: string): string => s.split(FX_POD).join(this.podName);

  async replay(
    id: string,
    opts: { token?: string | null; timeoutMs?: number; path?: (p: string) => string; onPiece?: (p: string) => void } = {},
  ): Promise<Reply> {
    const fx = this.fx(id);
    const req = fixtureRequest(fx, this.target(opts.token), this.rename);
    if (opts.path) req.path = opts.path(req.path);
    if (opts.timeoutMs) req.timeoutMs = opts.timeoutMs;
    if (opts.onPiece) req.onPiece = opts.onPiece;
    const r = await send(req);
    this.seen.set(id, r);
    return r;
  }

  async checkExact(id: string, ...ignore: string[]): Promise<Reply> {
    const fx = this.fx(id);
    const r = await this.replay(id);
    assertEnvelope(r, fx);
    assertSameBody(r.body, JSON.parse(this.rename(JSON.stringify(fx.response.body))), ...ignore);
    return r;
  }

  async rolledOut(name: string): Promise<void> {
    await this.server.waitFor('apps/v1', 'Deployment', 'endpoint-stats', name, (d) => {
      const s = d?.status ?? {};
      const want = d?.spec?.replicas;
      return (
        s.observedGeneration === d?.metadata.generation &&
        s.updatedReplicas === want &&
        s.replicas === want &&
        s.availableReplicas === want
      );
    });
  }
}
