import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { Commands, Views } from '../../src/extension/ids.js';
import { activeExtension } from './support.js';

interface Manifest {
  contributes: {
    commands: { command: string }[];
    viewsContainers: { activitybar: { id: string }[] };
    views: Record<string, { id: string }[]>;
  };
}

function manifest(extension: vscode.Extension<unknown>): Manifest {
  return extension.packageJSON as Manifest;
}

describe('activation and contributions', () => {
  it('activates in a workspace that holds DR-PLAN.md', async () => {
    const extension = await activeExtension();
    assert.equal(extension.isActive, true);
  });

  it('loads only what the tree needs: the runs, the cluster code and the notebook code wait for first use', async () => {
    const extension = await activeExtension();
    // This suite runs first in its host: nothing has used a run, a notebook or a cluster yet.
    const loaded = Object.keys(require.cache).filter((f) => f.startsWith(extension.extensionPath));
    assert.ok(
      loaded.some((f) => f.endsWith('extension.cjs')),
      loaded.join(', '),
    );
    for (const lazy of ['runs.cjs', 'adapters.cjs'])
      assert.ok(!loaded.some((f) => f.endsWith(lazy)), `${lazy} was loaded at activation: ${loaded.join(', ')}`);
  });

  it('registers exactly the commands package.json declares, and no other drRunbook command', async () => {
    const extension = await activeExtension();
    const declared = manifest(extension)
      .contributes.commands.map((c) => c.command)
      .sort();
    const registered = (await vscode.commands.getCommands(true)).filter(
      (c) => c.startsWith('drRunbook.') && !c.startsWith(`${Views.plan}.`),
    );
    assert.deepEqual([...new Set(registered)].sort(), declared);
    assert.deepEqual(Object.values(Commands).sort(), declared);
  });

  it('declares the view ids that the extension uses, both ways', async () => {
    const extension = await activeExtension();
    const { contributes } = manifest(extension);
    assert.deepEqual(
      contributes.viewsContainers.activitybar.map((c) => c.id),
      [Views.container],
    );
    assert.deepEqual(Object.keys(contributes.views), [Views.container]);
    assert.deepEqual(
      contributes.views[Views.container]!.map((v) => v.id),
      [Views.plan],
    );
    // The workbench created the view: its focus command exists and runs.
    await vscode.commands.executeCommand(`${Views.plan}.focus`);
  });
});
