import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { applyObjects } from '../../../../src/core/cluster/apply.js';
import { applyCommandItems } from '../../../../src/core/execution/applyCommand.js';
import { describeCounts, fillItemSecrets, previewStep, previewTexts } from '../../../../src/core/execution/stepPreview.js';
import { parsePlan } from '../../../../src/core/runbook/parsePlan.js';
import { useTestCluster } from '../../../support/testCluster.js';

const run = promisify(execFile);
const KUBECTL = process.env.KUBECTL ?? '/usr/bin/kubectl';
/** Another team's plan, in the shape the parser reads: manifests in deploy/, no k8s/ folder. */
const ROOT = new URL('../../../e2e/fixtures/invoice-hub/', import.meta.url).pathname;
const plan = parsePlan(readFileSync(join(ROOT, 'runbooks/disaster-recovery.md'), 'utf8'));
const step3 = plan.scenarios[0]!.steps[2]!;
const input = { root: ROOT, namespace: 'billing', secret: () => undefined };

/** The objects `kubectl diff --server-side` says would change, as `Kind/name` (its oracle). */
async function kubectlDiff(kubeconfig: string): Promise<string[]> {
  const args = ['--kubeconfig', kubeconfig, 'diff', '--server-side', '--field-manager', 'dr-runbook', '-n', 'billing'];
  for (const c of step3.commands) if (c.kind === 'apply') for (const p of c.paths) args.push('-f', join(ROOT, p.value));
  const out = await run(KUBECTL, args).then(
    (r) => r.stdout,
    (e: { code?: number; stdout?: string; stderr?: string }) => {
      if (e.code !== 1) throw new Error(`kubectl diff failed: ${e.stderr ?? ''}`);
      return e.stdout ?? '';
    },
  );
  // Headers: `diff -u -N /tmp/LIVE-1/apps.v1.Deployment.billing.invoice-api /tmp/MERGED-2/...`
  return [...out.matchAll(/^diff .*\/LIVE-[^/]+\/(?:[^.\s]+\.)*?(\w+)\.billing\.([\w-]+) /gm)]
    .map((m) => `${m[1]}/${m[2]}`)
    .sort();
}

describe('previewStep (what an apply step would change, like kubectl diff --server-side)', () => {
  // Anonymous requests are admin: kubectl reads the kubeconfig the server writes, with no token.
  const cluster = useTestCluster({ anonymousIsAdmin: true });

  it('on an empty cluster: every object of the step would be created, nothing is written', async () => {
    const t = cluster();
    const preview = await previewStep(t.cluster, step3, input);
    assert.ok(preview.ok, preview.ok ? '' : preview.error);
    assert.deepEqual(
      preview.value.objects.map((o) => `${o.item.ref.kind}/${o.item.ref.name}:${o.action}`),
      ['ConfigMap/invoice-api-config:created', 'Service/invoice-api:created', 'Deployment/invoice-api:created'],
    );
    assert.equal(describeCounts(preview.value.counts), '3 created, 0 changed, 0 unchanged');
    // The dry run is shown in the namespace the object will go to, though `billing` does not exist yet.
    assert.match(preview.value.objects[0]!.dryRun, /namespace: billing/);
    assert.equal(preview.value.objects[0]!.live, '');
    const after = await t.cluster.read({ apiVersion: 'v1', kind: 'Namespace', name: 'billing', namespace: undefined });
    assert.ok(after.ok && after.value === undefined, 'the preview created nothing');
  });

  it('after the step and an edit: agrees with kubectl diff on what would change', async function () {
    if (!existsSync(KUBECTL)) this.skip();
    const t = cluster();
    await t.cluster.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'billing' } }, { dryRun: false });
    const commands = step3.commands.filter((c) => c.kind === 'apply');
    const loaded = await applyCommandItems(ROOT, step3, commands, 'billing', undefined);
    assert.ok(loaded.ok);
    const items = fillItemSecrets(loaded.value, () => undefined);
    assert.ok(items.ok);
    // Applied as an older release: one replica and another image. The ConfigMap is as written.
    const older = items.value.map((i) =>
      i.ref.kind === 'Deployment'
        ? { ...i, body: JSON.parse(JSON.stringify(i.body).replace('"replicas":3', '"replicas":1')) }
        : i,
    );
    const applied = await applyObjects(t.cluster, older);
    assert.ok(applied.ok);
    const preview = await previewStep(t.cluster, step3, input);
    assert.ok(preview.ok, preview.ok ? '' : preview.error);
    assert.deepEqual(preview.value.counts, { created: 0, configured: 1, unchanged: 2 });
    const changed = preview.value.objects
      .filter((o) => o.action !== 'unchanged')
      .map((o) => `${o.item.ref.kind}/${o.item.ref.name}`);
    assert.deepEqual(changed, await kubectlDiff(t.kubeconfigPath));
    const deployment = preview.value.objects.find((o) => o.item.ref.kind === 'Deployment')!;
    assert.match(deployment.live, /replicas: 1/);
    assert.match(deployment.dryRun, /replicas: 3/);
    assert.doesNotMatch(deployment.live + deployment.dryRun, /managedFields/);
    const texts = previewTexts(preview.value);
    assert.match(texts.live, /^# ConfigMap billing\/invoice-api-config: unchanged \(deploy\/manifests\/config\.yaml:1\)$/m);
    assert.match(texts.dryRun, /^# Deployment billing\/invoice-api: changed /m);
  });

  it('masks Secret values on both sides, marking those that change', async () => {
    const t = cluster();
    const root = mkdtempSync(join(tmpdir(), 'dr-runbook-preview-'));
    try {
      mkdirSync(join(root, 'deploy'));
      const write = (password: string): void =>
        writeFileSync(
          join(root, 'deploy/secret.yaml'),
          `apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData: {PASSWORD: "${password}", USER: app}\n`,
        );
      const step = parsePlan('# P\n\n## S\n\n1. Apply:\n   ```\n   kubectl apply -f deploy/secret.yaml\n   ```\n').scenarios[0]!
        .steps[0]!;
      write('old-s3cret');
      const loaded = await applyCommandItems(
        root,
        step,
        step.commands.filter((c) => c.kind === 'apply'),
        'default',
        undefined,
      );
      assert.ok(loaded.ok);
      const first = fillItemSecrets(loaded.value, () => undefined);
      assert.ok(first.ok);
      assert.ok((await applyObjects(t.cluster, first.value)).ok);
      write('new-s3cret');
      const preview = await previewStep(t.cluster, step, { root, namespace: 'default', secret: () => undefined });
      assert.ok(preview.ok, preview.ok ? '' : preview.error);
      const { live, dryRun } = previewTexts(preview.value);
      const both = live + dryRun;
      // Neither the values nor their base64 reach the editor.
      for (const value of ['old-s3cret', 'new-s3cret', 'app'])
        assert.ok(!both.includes(Buffer.from(value).toString('base64')) && !both.includes(value), value);
      assert.match(live, /PASSWORD: "\*\*\* \(before\)"/);
      assert.match(dryRun, /PASSWORD: "\*\*\* \(after\)"/);
      assert.match(dryRun, /USER: "\*\*\*"$/m);
      assert.deepEqual(preview.value.counts, { created: 0, configured: 1, unchanged: 0 });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('refuses a step that applies nothing, saying why', async () => {
    const t = cluster();
    const manual = plan.scenarios[0]!.steps[0]!;
    const none = await previewStep(t.cluster, manual, input);
    assert.ok(!none.ok);
    assert.match(none.error, /applies no manifest/);
  });
});
