import assert from 'node:assert/strict';
import * as vscode from 'vscode';
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
