import assert from 'node:assert/strict';
import { stepTargets, type RunTargets } from '../../../../src/core/run/runRecord.js';
import { parsePlan } from '../../../../src/core/runbook/parsePlan.js';

const plan = parsePlan(`# Plan

## Recovery

### Scenario 1: Lost cluster

1. Apply on the run's context:
   \`\`\`
   kubectl apply -f k8s/app/
   \`\`\`
2. Roll back on a context of its own:
   \`\`\`
   kubectl --context prod-eu-1 rollout undo deployment/flask-api -n endpoint-stats
   \`\`\`
3. Both, and another namespace:
   \`\`\`
   kubectl apply -f k8s/app/ -n team-b
   kubectl rollout undo deployment/flask-api --context staging
   \`\`\`
`);
const [apply, own, both] = plan.scenarios[0]!.steps;
const targets: RunTargets = {
  context: 'kind-dr',
  namespace: 'endpoint-stats',
  production: false,
  database: { host: 'localhost:5432', name: 'endpoint_stats' },
};
const production = (context: string) => context.startsWith('prod');

describe('stepTargets: what a step acts on, as its question says it', () => {
  it("names the run's context for a command without --context", () => {
    assert.deepEqual(stepTargets(apply!, targets, production), ['context "kind-dr", namespace endpoint-stats']);
  });

  it("names a command's own --context, judged as production by its own name", () => {
    assert.deepEqual(stepTargets(own!, targets, production), [
      `context "prod-eu-1" (PRODUCTION) (the command's own --context), namespace endpoint-stats`,
    ]);
  });

  it('names each place once, with its namespace', () => {
    assert.deepEqual(stepTargets(both!, targets, production), [
      'context "kind-dr", namespace team-b',
      `context "staging" (the command's own --context), namespace endpoint-stats`,
    ]);
  });
});
