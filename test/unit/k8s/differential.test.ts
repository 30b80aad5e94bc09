/**
 * The engine against kubectl, the oracle: every manifest of k8s/ applied through the engine and
 * through `kubectl apply --server-side` on two fresh test API servers gives the same objects, field
 * by field (NetworkPolicy `from` rules included); manifests with a misspelled field, a YAML 1.1
 * octal and a wrong type are refused or read by the engine exactly as kubectl refuses or reads them.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { applyItems, applyObjects, describeFailures, type ApplyItem } from '../../../src/core/cluster/apply.js';
import { parseManifestText } from '../../../src/core/manifests/loadManifests.js';
import type { K8sApiServer } from '../../../scripts/k8sApiServer/server.js';
import { K8S_NAMESPACE, k8sItems, k8sManifestFiles, NEEDS_KUBERNETES_1_30, REPO, testSecret } from '../../support/k8sManifests.js';
import { startTestCluster, type TestCluster } from '../../support/testCluster.js';

const run = promisify(execFile);
const KUBECTL = process.env['KUBECTL'] ?? '/usr/bin/kubectl';

type Live = Record<string, unknown> & { metadata: Record<string, unknown> };

/** What both clients asked for: the object without what the server or the field manager decides. */
function comparable(object: Live): unknown {
  const { status: _status, ...rest } = object;
  const {
    uid: _uid,
    resourceVersion: _rv,
    creationTimestamp: _ct,
    managedFields: _mf,
    generation: _gen,
    ...metadata
  } = object.metadata;
  const copy = structuredClone({ ...rest, metadata }) as Live & { spec?: Record<string, unknown> };
  // Allocated by the server, different on two servers.
  if (object['kind'] === 'Service' && copy.spec && copy.spec['clusterIP'] !== 'None') {
    delete copy.spec['clusterIP'];
    delete copy.spec['clusterIPs'];
  }
  // A dynamically provisioned volume gets a generated name.
  if (object['kind'] === 'PersistentVolumeClaim' && String(copy.spec?.['volumeName']).startsWith('pvc-')) delete copy.spec!['volumeName'];
  return copy;
}

(existsSync(KUBECTL) ? describe : describe.skip)('the engine and kubectl apply --server-side give the same objects', function () {
  this.timeout(120_000);
  let engine: TestCluster;
  let oracle: TestCluster;
  let dir: string;
  const kubectl = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    try {
      const { stdout, stderr } = await run(KUBECTL, ['--kubeconfig', oracle.kubeconfigPath, ...args], { timeout: 60_000 });
      return { code: 0, stdout, stderr };
    } catch (e) {
      const failure = e as { code?: number; stdout?: string; stderr?: string };
      return { code: failure.code ?? 1, stdout: failure.stdout ?? '', stderr: failure.stderr ?? '' };
    }
  };

  beforeEach(async () => {
    // kubectl sends no token over plain http: its server serves unauthenticated requests as admin.
    engine = await startTestCluster();
    oracle = await startTestCluster({ anonymousIsAdmin: true });
    dir = mkdtempSync(join(tmpdir(), 'differential-'));
  });
  afterEach(async () => {
    await engine?.stop();
    await oracle?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Writes the file under `dir` (secret placeholders filled as the engine fills them) for kubectl. */
  function forKubectl(file: string, text = readFileSync(join(REPO, file), 'utf8')): string {
    const path = join(dir, file.replaceAll('/', '_'));
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      path,
      text.replace(/\$\{([A-Z][A-Z0-9_]*)\}/g, (_, name: string) => testSecret(name)),
    );
    return path;
  }

  it('applies every manifest of k8s/ to the same objects, field by field', async () => {
    const items = await k8sItems();
    const applied = await applyObjects(engine.cluster, items);
    assert.ok(applied.ok, applied.ok ? '' : describeFailures('failures' in applied.error ? applied.error.failures : []).join('\n'));

    const files = k8sManifestFiles().filter((f) => f !== NEEDS_KUBERNETES_1_30);
    const namespaceFile = files.find((f) => basename(f) === 'namespace.yaml')!;
    for (const file of [namespaceFile, ...files.filter((f) => f !== namespaceFile)]) {
      const result = await kubectl('apply', '--server-side', '-n', K8S_NAMESPACE, '-f', forKubectl(file));
      assert.equal(result.code, 0, `kubectl apply ${file}: ${result.stderr}`);
    }

    const get = (server: K8sApiServer, item: ApplyItem): Live =>
      server.get(item.ref.apiVersion, item.ref.kind, item.ref.namespace, item.ref.name) as unknown as Live;
    for (const item of items) {
      const ours = get(engine.server, item);
      const theirs = get(oracle.server, item);
      assert.ok(theirs, `kubectl made ${item.ref.kind} ${item.ref.name}`);
      assert.deepEqual(comparable(ours), comparable(theirs), `${item.file}:${item.line} ${item.ref.kind} ${item.ref.name}`);
    }
    const policies = items.filter((i) => i.ref.kind === 'NetworkPolicy');
    assert.ok(policies.length >= 2);
    for (const policy of policies) {
      const live = get(engine.server, policy) as Live & { spec: unknown };
      assert.deepEqual(live.spec, (policy.body as { spec: unknown }).spec, `${policy.ref.name}: live spec equals the manifest's`);
    }
  });

  const NAMESPACE_DOC = `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${K8S_NAMESPACE}}\n`;
  const deployment = (replicas: string, mode: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: tricky, namespace: ${K8S_NAMESPACE}}
spec:
  ${replicas}
  selector: {matchLabels: {app: tricky}}
  template:
    metadata: {labels: {app: tricky}}
    spec:
      containers: [{name: c, image: nginx, volumeMounts: [{name: v, mountPath: /v}]}]
      volumes: [{name: v, configMap: {name: cfg, defaultMode: ${mode}}}]
`;

  for (const [title, text, field] of [
    ['a misspelled field', deployment('replicass: 2', '0644'), 'spec.replicass'],
    ['a wrong type', deployment('replicas: "two"', '0644'), 'spec.replicas'],
    ['a defaultMode over 0777', deployment('replicas: 1', '555'), 'spec.template.spec.volumes[0].configMap.defaultMode'],
  ] as const) {
    it(`refuses ${title} as kubectl does, naming the field`, async () => {
      engine.server.apply(parseManifestText(NAMESPACE_DOC, 'ns.yaml').objects[0]!.body);
      assert.equal((await kubectl('apply', '--server-side', '-f', forKubectl('ns.yaml', NAMESPACE_DOC))).code, 0);
      const theirs = await kubectl('apply', '--server-side', '-f', forKubectl('bad.yaml', text));
      assert.notEqual(theirs.code, 0, 'kubectl refuses it');
      assert.ok(theirs.stderr.includes(field.replace(/^spec/, '')) || theirs.stderr.includes(field), theirs.stderr);
      const ours = await applyObjects(engine.cluster, applyItems(parseManifestText(text, 'k8s/bad.yaml').objects, K8S_NAMESPACE));
      assert.ok(!ours.ok && ours.error.stage === 'preflight', 'the engine refuses it in the preflight');
      const [line] = describeFailures(ours.error.failures);
      assert.ok(line!.includes(`field ${field}:`), line);
      assert.equal(oracle.server.get('apps/v1', 'Deployment', K8S_NAMESPACE, 'tricky'), undefined);
      assert.equal(engine.server.get('apps/v1', 'Deployment', K8S_NAMESPACE, 'tricky'), undefined);
    });
  }

  it('reads a YAML 1.1 octal (defaultMode: 0555) as kubectl does: 365', async () => {
    const text = `${NAMESPACE_DOC}---\n${deployment('replicas: 1', '0555')}`;
    const theirs = await kubectl('apply', '--server-side', '-f', forKubectl('octal.yaml', text));
    assert.equal(theirs.code, 0, theirs.stderr);
    const ours = await applyObjects(engine.cluster, applyItems(parseManifestText(text, 'k8s/octal.yaml').objects, K8S_NAMESPACE));
    assert.ok(ours.ok);
    const mode = (server: K8sApiServer): unknown =>
      (server.get('apps/v1', 'Deployment', K8S_NAMESPACE, 'tricky') as unknown as Live & {
        spec: { template: { spec: { volumes: { configMap: { defaultMode: number } }[] } } };
      }).spec.template.spec.volumes[0]!.configMap.defaultMode;
    assert.equal(mode(oracle.server), 365);
    assert.equal(mode(engine.server), 365);
  });
});
