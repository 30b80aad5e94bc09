import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { preflightScenario } from '../../../src/core/execution/scenarioRunner.js';
import { collectProblems } from '../../../src/core/problems.js';
import { parsePlan } from '../../../src/core/runbook/parsePlan.js';
import { stepContext } from '../../support/runUi.js';

const PLAN = [
  '# Plan', // 1
  'RPO: 1 hour. RTO: 4 hours.', // 2
  '## Outage', // 3
  '1. Apply', // 4
  '   ```', // 5
  '   kubectl apply -f k8s/good.yaml', // 6
  '   kubectl apply -f k8s/typo.yaml', // 7
  '   kubectl apply -f k8s/broken.yaml', // 8
  '   ```', // 9
  '2. Restore', // 10
  '   ```', // 11
  '   ./scripts/backup/missing.sh /path/to/backup.sql', // 12
  '   ```', // 13
].join('\n');

/** A plan whose one step runs `commands`, the first on line 6. */
function oneStepPlan(...commands: string[]) {
  const lines = ['# Plan', 'RPO: 1 hour. RTO: 4 hours.', '## Outage', '1. Apply', '   ```', ...commands.map((c) => `   ${c}`)];
  return parsePlan([...lines, '   ```'].join('\n'));
}

describe('collectProblems', () => {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'dr-problems-'));
    mkdirSync(join(root, 'k8s'));
    writeFileSync(join(root, 'k8s/good.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: good}\n');
    writeFileSync(join(root, 'k8s/broken.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels: {a: [b}\n');
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('puts a typo in a manifest path on its word in the plan, and broken YAML on its line in the manifest', async () => {
    const problems = await collectProblems(root, 'DR-PLAN.md', parsePlan(PLAN));
    const typo = problems.find((p) => p.message.includes('typo.yaml'));
    assert.deepEqual(typo && [typo.file, typo.line, typo.column, typo.length, typo.severity], [
      'DR-PLAN.md',
      7,
      21,
      'k8s/typo.yaml'.length,
      'error',
    ]);
    assert.equal(typo!.message, 'Step 1 of "Outage": k8s/typo.yaml does not exist.');
    const yaml = problems.filter((p) => p.file === 'k8s/broken.yaml');
    assert.ok(yaml.length >= 1);
    assert.equal(yaml[0]!.line, 5);
    assert.equal(yaml[0]!.severity, 'error');
  });

  it('reports a script the plan names that does not exist', async () => {
    const problems = await collectProblems(root, 'DR-PLAN.md', parsePlan(PLAN));
    const script = problems.find((p) => p.message.includes('missing.sh'));
    assert.deepEqual(script && [script.line, script.column], [12, 4]);
    assert.equal(problems.filter((p) => p.file !== 'k8s/broken.yaml').length, 2);
  });

  it('passes plan warnings on as warnings', async () => {
    const problems = await collectProblems(root, 'DR-PLAN.md', parsePlan('## Outage\n1. Do it\n'));
    assert.deepEqual(
      problems.map((p) => [p.severity, p.line]),
      [
        ['warning', 1],
        ['warning', 1],
      ],
    );
  });

  it('says which kubectl lines kubectl runs itself (a warning) and which are refused at preflight (an error), and flags a manifest outside the project', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'dr-outside-'));
    writeFileSync(join(outside, 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: far}\n');
    try {
      const plan = oneStepPlan(
        'kubectl apply -k overlays/prod', // 6
        'kubectl logs -f pod/api-7d9', // 7
        `kubectl apply -f ${join(outside, 'cm.yaml')}`, // 8
      );
      const problems = await collectProblems(root, 'DR-PLAN.md', plan);
      assert.deepEqual(
        problems.map((p) => [p.severity, p.line, p.column]),
        [
          ['warning', 6, 4],
          ['error', 7, 4],
          ['warning', 8, 21],
        ],
      );
      assert.match(
        problems[0]!.message,
        /does not apply with -k itself: kubectl runs this line itself, .* after you confirm it each time/,
      );
      assert.match(problems[1]!.message, /would never end the step: drop -f .* refused at preflight/);
      assert.match(problems[2]!.message, /is outside the project/);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('flags a symlink in a manifest folder that leads out of the project, once, in the Problems panel and the preflight', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'dr-outside-'));
    writeFileSync(join(outside, 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: far}\n');
    mkdirSync(join(root, 'k8s/linked'));
    writeFileSync(join(root, 'k8s/linked/a.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: near}\n');
    symlinkSync(join(outside, 'cm.yaml'), join(root, 'k8s/linked/far.yaml'));
    symlinkSync('../good.yaml', join(root, 'k8s/linked/good.yaml')); // a link that stays inside: no flag
    symlinkSync(outside, join(root, 'k8s/far-folder'));
    try {
      const plan = oneStepPlan(
        'kubectl apply -f k8s/linked/', // 6
        'kubectl apply -f k8s/far-folder', // 7: the folder itself is outside: flagged once, not per file
      );
      const problems = await collectProblems(root, 'DR-PLAN.md', plan);
      const far = join(realpathSync(outside), 'cm.yaml');
      assert.deepEqual(
        problems.map((p) => [p.severity, p.line, p.column, p.length, p.message]),
        [
          [
            'warning',
            6,
            21,
            'k8s/linked/'.length,
            `Step 1 of "Outage": k8s/linked/far.yaml (in k8s/linked/) is outside the project (${far}): check it is the manifest you mean before running.`,
          ],
          [
            'warning',
            7,
            21,
            'k8s/far-folder'.length,
            `Step 1 of "Outage": k8s/far-folder is outside the project (${realpathSync(outside)}): check it is the manifest you mean before running.`,
          ],
        ],
      );
      // kubectl follows the link, and so does the step: the file outside is still one of its manifests.
      const report = await preflightScenario(plan, plan.scenarios[0]!, 'DR-PLAN.md', stepContext(root));
      assert.ok(report.lines.includes(`⚠ DR-PLAN.md:6:21 ${problems[0]!.message}`), report.lines.join('\n'));
      assert.equal(report.warnings.length, 2);
    } finally {
      rmSync(join(root, 'k8s/linked'), { recursive: true, force: true });
      rmSync(join(root, 'k8s/far-folder'), { force: true });
      rmSync(outside, { recursive: true, force: true });
    }
  });
});
