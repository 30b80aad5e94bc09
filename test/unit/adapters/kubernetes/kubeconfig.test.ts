import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectCluster } from '../../../../src/adapters/kubernetes/clusterClient.js';
import { listContexts } from '../../../../src/adapters/kubernetes/kubeconfig.js';

const KUBECONFIG = (token: string): string => `apiVersion: v1
kind: Config
current-context: staging
clusters:
- name: eu
  cluster: {server: "https://127.0.0.1:6443"}
users:
- name: admin
  user: {token: ${token}}
contexts:
- name: staging
  context: {cluster: eu, user: admin, namespace: shop}
- name: prod-eu
  context: {cluster: eu, user: admin}
`;

describe('the kubeconfig: found as kubectl finds it, never quoted', () => {
  let dir: string;
  const saved = { KUBECONFIG: process.env['KUBECONFIG'], HOME: process.env['HOME'] };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dr-runbook-kubeconfig-'));
    delete process.env['KUBECONFIG'];
    process.env['HOME'] = dir;
  });
  afterEach(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('with none: says there is none and where it looked, instead of inventing "loaded-context"', () => {
    const connected = connectCluster();
    assert.ok(!connected.ok);
    assert.match(connected.error.message, /No kubeconfig found: KUBECONFIG is not set and .*\.kube\/config does not exist/);
    assert.ok(connected.error.message.includes(join(dir, '.kube', 'config')));
    const listed = listContexts();
    assert.ok(!listed.ok);
    assert.match(listed.error.message, /No kubeconfig found/);
  });

  it('with KUBECONFIG naming files that do not exist: names them', () => {
    process.env['KUBECONFIG'] = join(dir, 'nowhere');
    const connected = connectCluster();
    assert.ok(!connected.ok);
    assert.match(connected.error.message, /KUBECONFIG names .*nowhere, and none of them exists/);
  });

  it('a file that cannot be read is named, its content never quoted (it may hold tokens)', () => {
    const path = join(dir, 'broken');
    writeFileSync(path, `${KUBECONFIG('s3cr3t-token-value')}  - [unclosed: s3cr3t-token-value\n`);
    process.env['KUBECONFIG'] = path;
    for (const result of [connectCluster(), listContexts()]) {
      assert.ok(!result.ok);
      assert.match(result.error.message, /cannot be read: it is not a valid kubeconfig/);
      assert.ok(result.error.message.includes(path));
      assert.doesNotMatch(`${result.error.message} ${result.error.hint}`, /s3cr3t|unclosed/);
    }
  });

  it('lists the contexts of ~/.kube/config with the current one; reads no cluster', () => {
    mkdirSync(join(dir, '.kube'));
    writeFileSync(join(dir, '.kube', 'config'), KUBECONFIG('t'));
    const listed = listContexts();
    assert.ok(listed.ok);
    assert.equal(listed.value.current, 'staging');
    assert.match(listed.value.where, /~\/\.kube\/config/);
    assert.deepEqual(listed.value.contexts, [
      { name: 'staging', cluster: 'eu', namespace: 'shop' },
      { name: 'prod-eu', cluster: 'eu', namespace: undefined },
    ]);
  });
});
