// The check after an apply, as the person running the plan meets it: a mutating webhook of the cluster
// (installed on the test server) strips a field the manifest sets, the apply itself succeeds, and the
// step fails naming the object, the field and its line, and the run stops there. A manifest saved with
// `kubectl get -o yaml` (status, creationTimestamp, uid...) is not such a case: kubectl applies it, and so do we.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runScenario } from '../../../../src/core/execution/scenarioRunner.js';
import { ok } from '../../../../src/core/result.js';
import { parsePlan } from '../../../../src/core/runbook/parsePlan.js';
import { agreeingPerson, keepingStepEnds, stepContext } from '../../../support/runUi.js';
import { useTestCluster } from '../../../support/testCluster.js';

const NS = 'verify-test';

const POLICY = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: api-ingress
spec:
  podSelector: {matchLabels: {app: api}}
  policyTypes: [Ingress]
  ingress:
    - from:
        - podSelector: {matchLabels: {app: web}}
      ports: [{protocol: TCP, port: 8080}]
`;

const EXPORTED = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  creationTimestamp: "2026-01-02T03:04:05Z"
  uid: 0b5e3c9e-0000-4000-8000-000000000000
  generation: 4
spec:
  replicas: 1
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: api, image: api:1.0}]}
status:
  replicas: 3
  readyReplicas: 3
`;

const PLAN = `# Plan

RPO: 1 hour. RTO: 1 hour.

## Outage

1. Apply the exported API
   \`\`\`
   kubectl apply -f k8s/api.yaml -n ${NS}
   \`\`\`
2. Apply the network policy
   \`\`\`
   kubectl apply -f k8s/policy.yaml -n ${NS}
   \`\`\`
3. Tell the team.
`;

describe('a step that fails at the check after its apply', () => {
  const cluster = useTestCluster();
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'dr-verify-'));
    mkdirSync(join(root, 'k8s'));
    writeFileSync(join(root, 'k8s/api.yaml'), EXPORTED);
    writeFileSync(join(root, 'k8s/policy.yaml'), POLICY);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('names the object, the field and its line when a webhook strips what the manifest sets, and stops the run', async () => {
    const t = cluster();
    t.server.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    t.server.addMutatingWebhook('NetworkPolicy', (policy) => {
      for (const rule of policy.spec.ingress as Record<string, unknown>[]) delete rule['from'];
    });
    const output: string[] = [];
    const { ends, hooks } = keepingStepEnds();
    const result = await runScenario(
      parsePlan(PLAN).scenarios[0]!,
      { ...stepContext(root, { namespace: NS, output, cluster: () => Promise.resolve(ok(t.cluster)) }), ui: agreeingPerson() },
      hooks,
    );
    assert.equal(result.outcome, 'failed');
    assert.equal(result.step?.number, 2);
    const failure =
      'k8s/policy.yaml:9 NetworkPolicy verify-test/api-ingress field spec.ingress[0].from: the live object does not hold what the manifest sets at spec.ingress[0].from. Something between the manifest and the cluster dropped or changed it (a client, a webhook, another field manager): compare the live object with the manifest.';
    assert.equal(ends.length, 2, ends.join('\n'));
    assert.match(ends[0]!, /^1 succeeded: /);
    assert.equal(ends[1], `2 failed: Applied, but live objects lack fields their manifests set, for 1 object(s): ${failure}`);
    assert.ok(output.join('').includes(`${failure}\n`), output.join(''));
    // The apply itself happened (the check comes after it): the object is there, without its rules' sources.
    assert.deepEqual(t.server.get('networking.k8s.io/v1', 'NetworkPolicy', NS, 'api-ingress')?.spec.ingress, [
      { ports: [{ port: 8080, protocol: 'TCP' }] },
    ]);
  });
});
