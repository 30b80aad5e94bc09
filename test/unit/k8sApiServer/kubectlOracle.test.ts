/**
 * kubectl as the oracle: what kubectl 1.32 sends for the project's own manifests and for kubectl's
 * typed commands (protobuf bodies) is accepted or refused by the test server as a real v1.26
 * apiserver does, over HTTPS with the kubeconfig the server writes.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startK8sApiServer } from '../../../scripts/k8sApiServer/server.ts';
import type { K8sApiServer } from '../../../scripts/k8sApiServer/server.ts';
import { NEEDS_KUBERNETES_1_30 } from '../../support/k8sManifests.ts';
import { loadManifests } from '../k8s/manifestChecks.ts';

const run = promisify(execFile);
const KUBECTL = process.env.KUBECTL ?? '/usr/bin/kubectl';
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const NS = 'endpoint-stats';

/** The manifest files of k8s/, as the manifest checks load them (less the one a 1.26 server cannot serve). */
function manifests(root: string): string[] {
  return [...new Set(loadManifests(root).docs.map((d) => join(root, d.file)))].filter(
    (f) => relative(root, f) !== relative('k8s', NEEDS_KUBERNETES_1_30),
  );
}

(existsSync(KUBECTL) ? describe : describe.skip)('k8sApiServer with kubectl as the oracle', function () {
  this.timeout(120_000);
  let server: K8sApiServer;
  let dir: string;
  let kubeconfig: string;
  const kubectl = async (...args: string[]): Promise<string> =>
    (await run(KUBECTL, ['--kubeconfig', kubeconfig, ...args], { timeout: 60_000 })).stdout;
  const refusal = async (...args: string[]): Promise<string> => {
    try {
      await kubectl(...args);
    } catch (err) {
      return String((err as { stderr?: string }).stderr);
    }
    throw new Error(`kubectl ${args.join(' ')} succeeded`);
  };

  before(async () => {
    server = await startK8sApiServer({ podReadyDelayMs: 50, podTerminationDelayMs: 20, namespaceFinalizeDelayMs: 100 });
    dir = mkdtempSync(join(tmpdir(), 'k8s-api-server-oracle-'));
    kubeconfig = await server.writeKubeconfig(join(dir, 'kubeconfig'));
  });
  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('kubectl apply --server-side of every manifest of k8s/ succeeds, and every workload comes up under restricted Pod Security', async () => {
    const files = manifests(join(ROOT, 'k8s'));
    const namespaceFirst = [...files].sort((a, b) => Number(b.endsWith('namespace.yaml')) - Number(a.endsWith('namespace.yaml')));
    for (const f of namespaceFirst) {
      const out = await kubectl('apply', '--server-side', '-f', f);
      assert.match(out, /serverside-applied/, relative(ROOT, f));
    }
    for (const kind of ['deployment', 'statefulset']) {
      const names = (await kubectl('-n', NS, 'get', kind, '-o', 'name')).trim().split('\n');
      assert.ok(names.length > 0 && names[0] !== '', kind);
      for (const name of names) await kubectl('-n', NS, 'rollout', 'status', name, '--timeout=60s');
    }
    const failures = server.list('v1', 'Event', NS).filter((e) => e.reason === 'FailedCreate');
    assert.deepEqual(
      failures.map((e) => e.message),
      [],
    );
  });

  it('refuses what a real server refuses: defaultMode 555, a misspelled field, a wrong type', async () => {
    const cronjob = readFileSync(join(ROOT, 'k8s/maintenance/backup-cronjob.yaml'), 'utf8');
    const bad = join(dir, 'bad-mode.yaml');
    writeFileSync(bad, cronjob.replace(/defaultMode: 365\b/, 'defaultMode: 555'));
    assert.match(
      await refusal('apply', '--server-side', '-f', bad),
      /defaultMode: Invalid value: 555: must be a number between 0 and 0777 \(octal\), both inclusive/,
    );
    const typo = join(dir, 'typo.yaml');
    const deployment = (spec: string): string =>
      `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: oracle, namespace: ${NS}}\nspec:\n${spec}  selector: {matchLabels: {app: oracle}}\n  template:\n    metadata: {labels: {app: oracle}}\n    spec: {containers: [{name: web, image: nginx:1.25}]}\n`;
    writeFileSync(typo, deployment('  replicass: 2\n'));
    assert.match(
      await refusal('apply', '--server-side', '-f', typo),
      /failed to create typed patch object \(endpoint-stats\/oracle; apps\/v1, Kind=Deployment\): \.spec\.replicass: field not declared in schema/,
    );
    assert.match(await refusal('apply', '--server-side', '--validate=false', '-f', typo), /field not declared in schema/);
    const wrongType = join(dir, 'wrong-type.yaml');
    writeFileSync(wrongType, deployment('  replicas: "two"\n'));
    assert.match(
      await refusal('apply', '--server-side', '-f', wrongType),
      /\.spec\.replicas: expected numeric \(int or float\), got string/,
    );
    const octal = join(dir, 'octal.yaml');
    writeFileSync(octal, cronjob.replace(/defaultMode: 365\b/, 'defaultMode: 0555'));
    await kubectl('apply', '--server-side', '-f', octal);
    const live = server.get('batch/v1', 'CronJob', NS, 'postgres-backup')!;
    const modes = (live.spec.jobTemplate.spec.template.spec.volumes as { configMap?: { defaultMode?: number } }[]).map(
      (v) => v.configMap?.defaultMode,
    );
    assert.ok(modes.includes(365), 'YAML 0555 is read as octal, 365');
  });

  it('kubectl create namespace, configmap and secret (protobuf request bodies) work', async () => {
    assert.match(await kubectl('create', 'namespace', 'oracle-pb'), /namespace\/oracle-pb created/);
    assert.match(
      await kubectl('-n', 'oracle-pb', 'create', 'configmap', 'cm', '--from-literal=a=1', '--from-literal=b=two'),
      /configmap\/cm created/,
    );
    assert.match(
      await kubectl('-n', 'oracle-pb', 'create', 'secret', 'generic', 's', '--from-literal=password=not-a-real-one'),
      /secret\/s created/,
    );
    assert.deepEqual(server.get('v1', 'ConfigMap', 'oracle-pb', 'cm')!.data, { a: '1', b: 'two' });
    assert.equal(
      Buffer.from(String(server.get('v1', 'Secret', 'oracle-pb', 's')!.data.password), 'base64').toString(),
      'not-a-real-one',
    );
    assert.equal(server.get('v1', 'Namespace', undefined, 'oracle-pb')!.metadata.managedFields[0].manager, 'kubectl-create');
  });
});
