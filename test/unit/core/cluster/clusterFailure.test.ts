import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { applyItems, applyObjects, describeFailures } from '../../../../src/core/cluster/apply.js';
import { waitForReady } from '../../../../src/core/cluster/readiness.js';
import { fillSecretTemplate } from '../../../../src/core/manifests/secretTemplate.js';
import { stepManifests } from '../../../../src/core/problems.js';
import { parsePlan } from '../../../../src/core/runbook/parsePlan.js';
import { startTestCluster, type TestCluster } from '../../../support/testCluster.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const plan = parsePlan(readFileSync(`${root}DR-PLAN.md`, 'utf8'));
const scenario = plan.scenarios.find((s) => s.id === 'complete-cluster-failure')!;
const secrets: Record<string, string> = {
  POSTGRES_PASSWORD: 'test-only-pg-password',
  APP_DB_PASSWORD: 'test-only-app-password',
  REDIS_PASSWORD: 'test-only-redis-password',
  FLASK_SECRET_KEY: 'test-only-flask-key',
};

async function stepItems(step: (typeof scenario.steps)[number]) {
  const files = await stepManifests(root, step);
  for (const f of files) assert.deepEqual(f.errors, [], `${f.file} has errors`);
  return applyItems(
    files.flatMap((f) => f.objects),
    'endpoint-stats',
  ).map((item) => {
    const filled = fillSecretTemplate(item.body, (name) => secrets[name]);
    assert.ok(filled.ok, `missing secret values: ${filled.ok ? '' : filled.error.missing.join(', ')}`);
    return { ...item, body: filled.value };
  });
}

describe('the complete-cluster-failure scenario’s manifests, on an empty cluster', () => {
  let t: TestCluster;
  before(async () => {
    t = await startTestCluster();
  });
  after(async () => {
    await t.stop();
  });

  it('applies every apply step in order, each becoming ready, then re-applies them with no change', async function () {
    this.timeout(120_000);
    const applySteps = scenario.steps.filter((s) => s.kind === 'apply');
    assert.deepEqual(
      applySteps.map((s) => s.number),
      [2, 3, 4, 6, 7, 8],
    );
    const created = new Set<string>();
    for (const step of applySteps) {
      const items = await stepItems(step);
      const applied = await applyObjects(t.cluster, items, { expectedNamespaces: ['endpoint-stats'] });
      assert.ok(
        applied.ok,
        `step ${step.number}: ${applied.ok ? '' : applied.error.stage === 'cancelled' ? 'cancelled' : describeFailures(applied.error.failures).join('\n')}`,
      );
      for (const a of applied.value) {
        assert.equal(a.action, 'created', `step ${step.number}: ${a.item.ref.kind} ${a.item.ref.name}`);
        created.add(`${a.item.ref.kind}/${a.item.ref.name}`);
      }
      const ready = await waitForReady(
        t.cluster,
        items.map((i) => i.ref),
        { timeoutMs: 30_000 },
      );
      assert.ok(ready.ok, `step ${step.number} not ready: ${JSON.stringify(ready.ok ? '' : ready.error)}`);
    }
    for (const name of [
      'Namespace/endpoint-stats',
      'StatefulSet/postgres',
      'Service/db',
      'Deployment/flask-api',
      'Ingress/endpoint-stats',
      'CronJob/postgres-backup',
    ]) {
      assert.ok(
        [...created].some((c) => c === name),
        `${name} was applied (applied: ${[...created].join(', ')})`,
      );
    }
    assert.ok(
      !JSON.stringify(t.server.get('v1', 'Secret', 'endpoint-stats', 'postgres-credentials')).includes('${'),
      'no placeholder reached the cluster',
    );
    for (const step of applySteps) {
      const again = await applyObjects(t.cluster, await stepItems(step));
      assert.ok(again.ok);
      assert.deepEqual(
        again.value.filter((a) => a.action !== 'unchanged').map((a) => `${a.item.ref.kind}/${a.item.ref.name}`),
        [],
        `step ${step.number} changed on re-apply`,
      );
    }
  });
});
