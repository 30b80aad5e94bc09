import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parsePlan } from '../../../../src/core/runbook/parsePlan.js';
import { planNamespace } from '../../../../src/core/runbook/planNamespace.js';
import { STARTER_PLAN } from '../../../../src/core/runbook/starterPlan.js';

const read = (path: string): string => readFileSync(new URL(`../../../../${path}`, import.meta.url), 'utf8');

describe('planNamespace (the default namespace, from the plan)', () => {
  it('is the namespace the commands name most: ours, another team’s, the starter plan’s', () => {
    assert.equal(planNamespace(parsePlan(read('DR-PLAN.md'))), 'endpoint-stats');
    assert.equal(planNamespace(parsePlan(read('test/e2e/fixtures/invoice-hub/runbooks/disaster-recovery.md'))), 'billing');
    assert.equal(planNamespace(parsePlan(STARTER_PLAN)), 'my-service');
  });

  it('counts -n on applies, rollbacks and logs, not the namespaces a drill creates; the first wins a tie', () => {
    const plan = (commands: string[]): string =>
      `# P\n\n## S\n\n1. Do it:\n   \`\`\`\n${commands.map((c) => `   ${c}\n`).join('')}   \`\`\`\n`;
    assert.equal(
      planNamespace(
        parsePlan(
          plan([
            'kubectl create namespace drill',
            'kubectl delete namespace drill',
            'kubectl apply -f a.yaml -n shop',
            'kubectl logs deployment/x -n web',
            'kubectl rollout undo deployment/x -n web',
          ]),
        ),
      ),
      'web',
    );
    assert.equal(planNamespace(parsePlan(plan(['kubectl apply -f a.yaml -n a', 'kubectl apply -f b.yaml -n b']))), 'a');
    assert.equal(planNamespace(parsePlan(plan(['kubectl apply -f a.yaml']))), undefined);
  });
});
