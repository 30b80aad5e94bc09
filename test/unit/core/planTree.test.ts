import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseManifestText } from '../../../src/core/manifests/loadManifests.js';
import { childNodes, parentNode, planRow, scenarioNodes } from '../../../src/core/runbook/planTree.js';
import { parsePlan } from '../../../src/core/runbook/parsePlan.js';

const plan = parsePlan(readFileSync(new URL('../../../DR-PLAN.md', import.meta.url), 'utf8'));
const files = () =>
  Promise.resolve([
    parseManifestText(
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: flask-api, namespace: endpoint-stats}\n',
      'k8s/core/flask-api.yaml',
    ),
    parseManifestText('kind: [\n', 'k8s/bad.yaml'),
  ]);

describe('planTree', () => {
  it('shows scenarios with their step counts, drills with their own icon', () => {
    const rows = scenarioNodes(plan).map(planRow);
    assert.deepEqual(
      rows.map((r) => [r.label, r.description, r.icon, r.contextValue]),
      [
        ['Database failure', '3 steps', 'shield', 'scenario.recovery'],
        ['Complete cluster failure', '9 steps', 'shield', 'scenario.recovery'],
        ['Application deployment failure', '3 steps', 'shield', 'scenario.recovery'],
        ['Quarterly DR drill', '7 steps', 'beaker', 'scenario.drill'],
      ],
    );
    assert.equal(new Set(rows.map((r) => r.id)).size, rows.length);
  });

  it('shows steps as "N. title" with an icon for their kind, pointing at their line', async () => {
    const [, cluster] = scenarioNodes(plan);
    const steps = await childNodes(cluster!, files);
    const rows = steps.map(planRow);
    assert.equal(rows[3]!.label, '4. Bring up the database and its hourly backup');
    assert.deepEqual(
      rows.map((r) => r.icon),
      [
        'checklist',
        'cloud-upload',
        'cloud-upload',
        'cloud-upload',
        'terminal',
        'cloud-upload',
        'cloud-upload',
        'cloud-upload',
        'checklist',
      ],
    );
    assert.equal(rows[4]!.contextValue, 'step.script');
    assert.deepEqual(rows[3]!.target, { in: 'plan', line: plan.scenarios[1]!.steps[3]!.line, column: 1 });
    assert.equal(rows[0]!.collapsible, false);
    assert.equal(rows[1]!.collapsible, true);
  });

  it('shows the files of an apply step, broken ones marked, and the objects with their lines', async () => {
    const [, cluster] = scenarioNodes(plan);
    const step = (await childNodes(cluster!, files))[6]!;
    const fileNodes = await childNodes(step, files);
    const [good, bad] = fileNodes.map(planRow);
    assert.deepEqual([good!.label, good!.description, good!.icon], ['k8s/core/flask-api.yaml', '1 object', 'file-code']);
    assert.deepEqual([bad!.icon, bad!.contextValue, bad!.collapsible], ['warning', 'file.broken', false]);
    const [object] = await childNodes(fileNodes[0]!, files);
    const row = planRow(object!);
    assert.deepEqual(
      [row.label, row.description, row.target],
      ['Deployment flask-api', 'endpoint-stats', { in: 'file', file: 'k8s/core/flask-api.yaml', line: 1, column: 1 }],
    );
    assert.deepEqual(planRow(parentNode(object!)!).id, planRow(fileNodes[0]!).id);
    assert.deepEqual(planRow(parentNode(parentNode(object!)!)!).id, planRow(step).id);
  });

  it('gives manual steps no children', async () => {
    const [db] = scenarioNodes(plan);
    const [identify] = await childNodes(db!, files);
    assert.deepEqual(await childNodes(identify!, files), []);
  });
});
