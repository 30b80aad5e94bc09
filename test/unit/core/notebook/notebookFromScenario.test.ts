import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { drillNotebook, notebookFileName, notebookFromScenario } from '../../../../src/core/notebook/notebookFromScenario.js';
import { formatRunbookNotebook, parseRunbookNotebook, stepOfCell } from '../../../../src/core/notebook/runbookNotebook.js';
import { parsePlan } from '../../../../src/core/runbook/parsePlan.js';

const planText = readFileSync(new URL('../../../../DR-PLAN.md', import.meta.url), 'utf8');
const plan = parsePlan(planText);
const started = { context: 'kind-dr', startedBy: 'alice', startedAt: '2026-11-24T09:00:00.000Z', planFile: 'DR-PLAN.md' };

describe('notebooks built from the plan', () => {
  it('DR-PLAN.md itself reads as a notebook and comes back byte for byte', () => {
    const parsed = parseRunbookNotebook(planText);
    assert.ok(parsed.ok);
    assert.equal(formatRunbookNotebook(parsed.value), planText);
  });

  it('a scenario becomes a title cell, a checklist cell per step and a code cell per command', () => {
    const cluster = plan.scenarios.find((s) => s.id === 'complete-cluster-failure')!;
    const doc = notebookFromScenario(cluster, { ...started, namespace: 'endpoint-stats' });
    assert.deepEqual(doc.header, {
      title: 'Complete cluster failure',
      scenario: 'complete-cluster-failure',
      kind: 'recovery',
      context: 'kind-dr',
      namespace: 'endpoint-stats',
      startedBy: 'alice',
      startedAt: '2026-11-24T09:00:00.000Z',
    });
    const steps = doc.cells.filter((c) => c.kind === 'markdown' && c.source.startsWith('- [ ] '));
    assert.equal(steps.length, cluster.steps.length);
    assert.equal(steps[2]!.source, '- [ ] 3. Recreate the persistent volumes and the backup volume claim');
    const commands = doc.cells.filter((c) => c.kind === 'code');
    assert.deepEqual(
      commands.map((c) => c.source),
      cluster.steps.flatMap((s) => s.commands.map((c) => c.text)),
    );
    assert.ok(commands.every((c) => c.language === 'sh'));
    assert.match(doc.cells[0]!.source, /^# DR run: Complete cluster failure\n/);
    assert.match(
      doc.cells[0]!.source,
      /Context `kind-dr`, namespace `endpoint-stats`, started by alice at 2026-11-24T09:00:00.000Z\.$/,
    );
  });

  it('every scenario written and read back gives the same notebook', () => {
    for (const scenario of plan.scenarios) {
      const doc = notebookFromScenario(scenario, started);
      const text = formatRunbookNotebook(doc);
      const parsed = parseRunbookNotebook(text);
      assert.ok(parsed.ok, scenario.id);
      assert.deepEqual(parsed.value, doc, scenario.id);
      assert.equal(formatRunbookNotebook(parsed.value), text);
      const firstCode = doc.cells.findIndex((c) => c.kind === 'code');
      if (firstCode >= 0) assert.ok(stepOfCell(parsed.value, firstCode) !== undefined);
    }
  });

  it('the drill points at the test namespace, rewrites any production namespace, and ends with a results section', () => {
    const drill = drillNotebook(plan, started);
    assert.ok(drill.ok);
    assert.equal(drill.value.header?.namespace, 'endpoint-stats-dr-test');
    assert.equal(drill.value.header?.kind, 'drill');
    assert.deepEqual(
      drill.value.cells.filter((c) => c.kind === 'code').map((c) => c.source),
      ['kubectl create namespace endpoint-stats-dr-test', 'kubectl delete namespace endpoint-stats-dr-test'],
    );
    assert.match(drill.value.cells.at(-1)!.source, /^## Results\n/);

    const risky = parsePlan(
      '# P\n\n### DR drill\n\n1. Scale:\n   ```\n   kubectl scale -n endpoint-stats deploy/x --replicas=0\n   kubectl get pods --namespace=endpoint-stats\n   kubectl get pods -n endpoint-stats-other\n   ```\n',
    );
    const rewritten = drillNotebook(risky, { testNamespace: 'drill-ns' });
    assert.ok(rewritten.ok);
    assert.deepEqual(
      rewritten.value.cells.filter((c) => c.kind === 'code').map((c) => c.source),
      [
        'kubectl scale -n drill-ns deploy/x --replicas=0',
        'kubectl get pods --namespace=drill-ns',
        'kubectl get pods -n endpoint-stats-other',
      ],
    );
  });

  it('says so when the plan has no drill', () => {
    const result = drillNotebook(parsePlan('# P\n\n## Outage\n\n1. Fix it.\n'));
    assert.ok(!result.ok);
    assert.match(result.error, /no drill scenario/);
  });

  it('names the file under .dr-runs by date', () => {
    const drill = plan.scenarios.find((s) => s.kind === 'drill')!;
    assert.equal(notebookFileName(drill, new Date('2026-11-24T09:00:00Z')), '.dr-runs/2026-11-24-dr-drill.runbook.md');
    assert.equal(
      notebookFileName(plan.scenarios[0]!, new Date('2026-11-24T09:00:00Z')),
      '.dr-runs/2026-11-24-database-failure.runbook.md',
    );
  });
});
