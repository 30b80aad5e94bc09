/**
 * HTTPS by default: the server's own CA, client certificates and bearer tokens, as a kubeadm-made
 * kube-apiserver authenticates them (batch 1's 086 and 087 give the answers without credentials).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { startK8sApiServer } from '../../../scripts/k8sApiServer/server.ts';
import type { K8sApiServer } from '../../../scripts/k8sApiServer/server.ts';
import { send, targetOf } from './fixtureReplay.ts';

const run = promisify(execFile);
const KUBECTL = process.env.KUBECTL ?? '/usr/bin/kubectl';
const PODS = '/api/v1/namespaces/default/pods';

describe('k8sApiServer over HTTPS', function () {
  this.timeout(30_000);
  let server: K8sApiServer;
  let other: K8sApiServer;
  let dir: string;
  before(async () => {
    server = await startK8sApiServer();
    other = await startK8sApiServer();
    dir = mkdtempSync(join(tmpdir(), 'k8s-api-server-tls-'));
  });
  after(async () => {
    await server?.stop();
    await other?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves https on 127.0.0.1 and answers the admin client certificate', async () => {
    assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const r = await send({ ...targetOf(server), method: 'GET', path: PODS });
    assert.equal(r.status, 200);
    assert.equal(r.body.kind, 'PodList');
  });

  it("is refused by a client that does not trust its CA (another server's CA)", async () => {
    await assert.rejects(
      send({ baseUrl: server.url, token: server.adminToken, tls: { ca: other.tls!.caPem }, method: 'GET', path: PODS }),
      (err: NodeJS.ErrnoException) => /UNABLE_TO_VERIFY|SELF_SIGNED|unable to verify/i.test(`${err.code} ${err.message}`),
    );
  });

  it('401 for a client certificate its CA did not sign, without APF headers', async () => {
    const r = await send({
      baseUrl: server.url,
      token: null,
      tls: { ca: server.tls!.caPem, ...other.tls!.admin },
      method: 'GET',
      path: PODS,
    });
    assert.equal(r.status, 401);
    assert.deepEqual(r.body, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Unauthorized',
      reason: 'Unauthorized',
      code: 401,
    });
    assert.equal(r.headers['x-kubernetes-pf-flowschema-uid'], undefined);
  });

  it('no client certificate and no token: system:anonymous, 403 (as recorded in batch 1, 087)', async () => {
    const r = await send({ ...targetOf(server, null), method: 'GET', path: PODS });
    assert.equal(r.status, 403);
    assert.match(r.body.message, /User "system:anonymous" cannot list resource "pods"/);
  });

  it('a certificate of its CA for a user outside system:masters is authenticated but forbidden', async () => {
    const r = await send({
      baseUrl: server.url,
      token: null,
      tls: { ca: server.tls!.caPem, ...server.tls!.forbidden },
      method: 'GET',
      path: PODS,
    });
    assert.equal(r.status, 403);
    assert.match(r.body.message, /User "dr-runbook-denied" cannot list/);
  });

  it('bearer tokens keep working over TLS: admin 200, unknown 401', async () => {
    assert.equal((await send({ ...targetOf(server, server.adminToken), method: 'GET', path: PODS })).status, 200);
    assert.equal((await send({ ...targetOf(server, 'not-a-token'), method: 'GET', path: PODS })).status, 401);
  });

  it('writes a kubeconfig with the CA and the admin client certificate, and a token kubeconfig on request', () => {
    const cfg = parse(server.kubeconfig()) as {
      clusters: { cluster: Record<string, string> }[];
      users: { user: Record<string, string> }[];
    };
    assert.equal(Buffer.from(cfg.clusters[0]!.cluster['certificate-authority-data']!, 'base64').toString(), server.tls!.caPem);
    assert.equal(cfg.clusters[0]!.cluster['insecure-skip-tls-verify'], undefined);
    assert.equal(Buffer.from(cfg.users[0]!.user['client-certificate-data']!, 'base64').toString(), server.tls!.admin.cert);
    assert.ok(cfg.users[0]!.user['client-key-data']);
    const token = parse(server.kubeconfig({ token: server.forbiddenToken })) as typeof cfg;
    assert.deepEqual(token.users[0]!.user, { token: server.forbiddenToken });
  });

  (existsSync(KUBECTL) ? it : it.skip)(
    'kubectl works with the generated kubeconfig and refuses a server whose CA it was not given',
    async () => {
      const good = await server.writeKubeconfig(join(dir, 'good'));
      const out = await run(KUBECTL, ['--kubeconfig', good, 'get', 'namespaces', '-o', 'name'], { timeout: 30_000 });
      assert.match(out.stdout, /namespace\/default/);
      const cfg = server
        .kubeconfig()
        .replace(
          /certificate-authority-data: .*/,
          `certificate-authority-data: ${Buffer.from(other.tls!.caPem).toString('base64')}`,
        );
      const bad = join(dir, 'bad');
      writeFileSync(bad, cfg, { mode: 0o600 });
      await assert.rejects(
        run(KUBECTL, ['--kubeconfig', bad, 'get', 'namespaces', '--request-timeout=5s'], { timeout: 30_000 }),
        (err: { stderr?: string }) => /x509|certificate/i.test(err.stderr ?? ''),
      );
    },
  );

  it('serves plain HTTP with tls: false (bearer tokens only)', async () => {
    const plain = await startK8sApiServer({ tls: false });
    try {
      assert.match(plain.url, /^http:\/\//);
      assert.equal(plain.tls, undefined);
      assert.equal((await send({ ...targetOf(plain), method: 'GET', path: PODS })).status, 200);
    } finally {
      await plain.stop();
    }
  });
});
