import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { createJournalWriter } from '../../src/core/run/journal.js';
import type { RunEvent } from '../../src/core/run/runModel.js';
import type { PlanNode } from '../../src/core/runbook/planTree.js';
import { activeExtension, eventually, workspaceRoot } from './support.js';

async function labels(nodes: PlanNode[]): Promise<string[]> {
  const { tree } = (await activeExtension()).exports;
  return nodes.map((n) => {
    const label = tree.getTreeItem(n).label;
    return typeof label === 'string' ? label : (label?.label ?? '');
  });
}

describe('the DR Runbook tree', () => {
  it('shows every scenario of DR-PLAN.md with the right number of steps', async () => {
    const { tree } = (await activeExtension()).exports;
    const scenarios = await eventually('the plan to load', async () => {
      const roots = await tree.getChildren();
      return roots.length ? roots : undefined;
    });
    assert.deepEqual(await labels(scenarios), [
      'Database failure',
      'Complete cluster failure',
      'Application deployment failure',
      'Quarterly DR drill',
    ]);
    const counts = await Promise.all(scenarios.map(async (s) => (await tree.getChildren(s)).length));
    assert.deepEqual(counts, [3, 9, 3, 7]);
    const cluster = await tree.getChildren(scenarios[1]);
    assert.equal((await labels(cluster))[2], '3. Recreate the persistent volumes and the backup volume claim');
  });

  it('lists the files of an apply step and the objects in each file', async () => {
    const { tree } = (await activeExtension()).exports;
    const [, cluster] = await tree.getChildren();
    const step4 = (await tree.getChildren(cluster))[3]!;
    const files = await tree.getChildren(step4);
    assert.deepEqual(await labels(files), [
      'k8s/security/secrets.yaml',
      'k8s/database/postgres.yaml',
      'k8s/networking/db-alias-service.yaml',
      'k8s/maintenance/backup-cronjob.yaml',
    ]);
    const aliasObjects = await labels(await tree.getChildren(files[2]));
    assert.ok(aliasObjects.includes('Service db'), `objects: ${aliasObjects.join(', ')}`);
    assert.equal(tree.getParent(files[2]!)?.type, 'step');
  });

  it('opens DR-PLAN.md at the step when a step is clicked', async () => {
    const { tree } = (await activeExtension()).exports;
    const [, , app] = await tree.getChildren();
    const rollback = (await tree.getChildren(app))[1]!;
    const item = tree.getTreeItem(rollback);
    assert.ok(item.command);
    await vscode.commands.executeCommand(item.command.command, ...((item.command.arguments ?? []) as unknown[]));
    const editor = await eventually('the plan editor', () => vscode.window.activeTextEditor);
    assert.equal(editor.document.uri.fsPath, vscode.Uri.joinPath(workspaceRoot(), 'DR-PLAN.md').fsPath);
    assert.match(editor.document.lineAt(editor.selection.active.line).text, /^2\. Go back to the last revision/);
  });

  it('opens a manifest at the object when an object is clicked', async () => {
    const { tree } = (await activeExtension()).exports;
    const [, cluster] = await tree.getChildren();
    const step7 = (await tree.getChildren(cluster))[6]!;
    const [apiFile] = await tree.getChildren(step7);
    const objects = await tree.getChildren(apiFile);
    const deployment = objects.find((o) => o.type === 'object' && o.object.kind === 'Deployment')!;
    const item = tree.getTreeItem(deployment);
    await vscode.commands.executeCommand(item.command!.command, ...((item.command!.arguments ?? []) as unknown[]));
    const editor = await eventually('the manifest editor', () =>
      vscode.window.activeTextEditor?.document.uri.fsPath.endsWith('flask-api.yaml') ? vscode.window.activeTextEditor : undefined,
    );
    assert.match(editor.document.lineAt(editor.selection.active.line).text, /^apiVersion: apps\/v1/);
  });
});

describe('the tree’s drill age and step durations, from the records in .dr-runs/', () => {
  const folder = (): vscode.Uri => vscode.Uri.joinPath(workspaceRoot(), '.dr-runs');
  const written: vscode.Uri[] = [];
  after(async () => {
    for (const uri of written) await vscode.workspace.fs.delete(uri);
  });

  /** Records a successful drill that ended `daysAgo` days ago, its steps taking `stepMs` each. */
  async function recordDrill(runId: string, daysAgo: number, stepMs: number): Promise<void> {
    const { tree } = (await activeExtension()).exports;
    const drill = (await tree.getChildren()).find((n) => n.type === 'scenario' && n.scenario.kind === 'drill')!;
    if (drill.type !== 'scenario') throw new Error('no drill');
    const end = Date.now() - daysAgo * 86_400_000;
    const at = (ms: number): string => new Date(end - ms).toISOString();
    const path = vscode.Uri.joinPath(folder(), `test-${runId}.jsonl`);
    written.push(path);
    const writer = createJournalWriter(path.fsPath);
    const base = { runId, scenarioId: drill.scenario.id, who: 'ci' };
    const steps = drill.scenario.steps;
    const events: RunEvent[] = [
      {
        ...base,
        type: 'runStarted',
        at: at(steps.length * stepMs),
        context: 'c',
        namespace: 'n',
        incidentStartedAt: at(steps.length * stepMs),
        steps: steps.map((s) => ({ number: s.number, title: s.title })),
      },
      ...steps.flatMap((s): RunEvent[] => [
        { ...base, type: 'step', step: s.number, state: 'running', at: at((steps.length - s.number + 1) * stepMs) },
        {
          ...base,
          type: 'step',
          step: s.number,
          state: 'succeeded',
          at: at((steps.length - s.number) * stepMs),
          durationMs: stepMs,
        },
      ]),
      { ...base, type: 'runFinished', at: at(0) },
    ];
    for (const e of events) assert.ok((await writer.append(e)).ok);
  }

  it('warns on the drill when its last success is older than the quarter, and shows each step’s median and p90', async () => {
    const { tree, runs } = (await activeExtension()).exports;
    // A drill step an earlier test ran (a notebook cell) would show its state instead of the durations.
    runs.reset('quarterly-dr-drill');
    await recordDrill('old1', 100, 2000);
    await recordDrill('old2', 101, 4000);
    const drillItem = await eventually('the drill row to show its age', async () => {
      const drill = (await tree.getChildren()).at(-1)!;
      const item = tree.getTreeItem(drill);
      return /last drill 100 d ago: overdue \(due every 92 d\)$/.test(String(item.description)) ? { drill, item } : undefined;
    });
    assert.equal((drillItem.item.iconPath as vscode.ThemeIcon).id, 'warning');
    const step = tree.getTreeItem((await tree.getChildren(drillItem.drill))[1]!);
    assert.equal(step.description, 'create namespace · median 2 s · p90 4 s');

    await recordDrill('recent', 2, 3000);
    const fresh = await eventually('the drill row to show the recent drill', async () => {
      const item = tree.getTreeItem((await tree.getChildren()).at(-1)!);
      return /last drill 2 d ago$/.test(String(item.description)) ? item : undefined;
    });
    assert.equal((fresh.iconPath as vscode.ThemeIcon).id, 'beaker');
  });
});
