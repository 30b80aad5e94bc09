// Runs only in the harness's untrusted host (test/integration/index.ts picks untrusted-* there):
// a repository someone sent, opened in restricted mode, whose kubeconfig authenticates with an
// exec credential plugin that leaves a marker file, and whose own settings name a context. The
// harness also fails the run if any request reached its test cluster.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import type { PlanNode } from '../../src/core/runbook/planTree.js';
import { UNTRUSTED_WORKSPACE } from '../../src/extension/trust.js';
import { activeExtension, eventually, selectRunbookKernel } from './support.js';

interface MenuEntry {
  readonly command: string;
  readonly when?: string;
}

/** Runs a command; a quick pick, input box or notification it waits on meanwhile is dismissed, as a person would. */
async function invoke(command: string, ...args: unknown[]): Promise<unknown> {
  let done = false;
  const running = Promise.resolve(vscode.commands.executeCommand(command, ...args)).finally(() => (done = true));
  await eventually(
    `${command} to return`,
    async () => {
      if (!done) {
        await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
        await vscode.commands.executeCommand('notifications.clearAll');
      }
      return done ? true : undefined;
    },
    60_000, // opening a notebook editor takes a while on a busy machine
  );
  return running;
}

describe('an untrusted workspace reaches no cluster and runs nothing', () => {
  const marker = process.env['DR_RUNBOOK_TEST_EXEC_MARKER'];

  before(async function () {
    this.timeout(30_000);
    assert.equal(vscode.workspace.isTrusted, false, 'the harness opens this workspace untrusted');
    assert.ok(marker, 'the harness names the exec plugin marker');
    const { plan } = (await activeExtension()).exports;
    await eventually('the DR plan to load', () => (plan.state.kind === 'loaded' ? true : undefined));
  });

  it('invokes every command of the palette and every action of every tree item: each refuses or only shows, nothing runs', async function () {
    this.timeout(240_000);
    const extension = await activeExtension();
    const { tree, runs, notebooks } = extension.exports;
    const contributes = (
      extension.packageJSON as { contributes: { commands: { command: string }[]; menus: Record<string, MenuEntry[]> } }
    ).contributes;

    // The tree, all of it: each kind of item's click, then each inline and context action its
    // contextValue offers (once per kind of item and action: the same handler refuses them all alike).
    const itemActions = contributes.menus['view/item/context'] ?? [];
    const invoked = new Set<string>();
    const visit = async (node: PlanNode | undefined): Promise<void> => {
      for (const child of await tree.getChildren(node)) {
        const item = tree.getTreeItem(child);
        const kind = item.contextValue ?? child.type;
        if (item.command && !invoked.has(`${item.command.command} ${kind}`)) {
          await invoke(item.command.command, ...(item.command.arguments ?? []));
          invoked.add(`${item.command.command} ${kind}`);
        }
        for (const action of itemActions) {
          const pattern = /viewItem =~ \/(.*)\//.exec(action.when ?? '')?.[1];
          if (pattern === undefined || !new RegExp(pattern).test(kind) || invoked.has(`${action.command} ${kind}`)) continue;
          const result = await invoke(action.command, child);
          invoked.add(`${action.command} ${kind}`);
          if (action.command === 'drRunbook.runStep') {
            assert.deepEqual(result, { state: 'failed', summary: UNTRUSTED_WORKSPACE }, `${action.command} on ${item.id}`);
          }
        }
        await visit(child);
      }
    };
    await visit(undefined);
    const commands = new Set([...invoked].map((i) => i.split(' ')[0]));
    for (const action of itemActions) assert.ok(commands.has(action.command), `no tree item offered ${action.command}`);

    // The palette: every command the extension contributes, without arguments.
    for (const { command } of contributes.commands) await invoke(command);

    // A notebook's cells: each one refuses with the reason.
    const uri = await invoke('drRunbook.openScenarioNotebook', { scenario: { id: 'complete-cluster-failure' } });
    assert.ok(uri instanceof vscode.Uri);
    const notebook = await vscode.workspace.openNotebookDocument(uri);
    await selectRunbookKernel(notebook);
    const code = notebook.getCells().filter((c) => c.kind === vscode.NotebookCellKind.Code);
    assert.ok(code.length > 3);
    const text = (cell: vscode.NotebookCell): string =>
      cell.outputs
        .flatMap((o) => o.items)
        .map((i) => new TextDecoder().decode(i.data))
        .join('');
    for (const cell of code) {
      await notebooks.execute([cell], notebook);
      if (!/Nothing to run/.test(text(cell))) assert.match(text(cell), /This workspace is not trusted/);
    }
    // "Run All": the by-hand step before the first command is refused too, and the cell it kept
    // from running says so.
    await notebooks.execute(code, notebook);
    assert.match(text(code[0]!), /^Not run: the run stopped at step \d+: .*This workspace is not trusted/s);

    // Nothing is under way, and the kubeconfig's exec plugin never started.
    assert.equal(runs.cancel(), false, 'nothing is under way');
    assert.equal(existsSync(marker!), false, 'the exec credential plugin ran');
  });
});
