import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as vscode from 'vscode';
import { activeExtension, eventually, workspaceRoot } from './support.js';

const PLAN = 'runbooks/other-team.md';
const TEXT = '# Other team\n\n## Lost cluster\n\n1. Apply:\n   ```\n   kubectl apply -f deploy/app.yaml -n shop\n   ```\n';

async function readFile(uri: vscode.Uri): Promise<string> {
  return new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
}

describe('another team’s plan: watched at its path, ticked in a notebook', () => {
  const settings = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('drRunbook');
  const state = async () => (await activeExtension()).exports.plan.state;
  after(async function () {
    this.timeout(30_000);
    await vscode.workspace.fs.delete(vscode.Uri.joinPath(workspaceRoot(), 'runbooks'), { recursive: true });
    await settings().update('planPath', undefined, vscode.ConfigurationTarget.Workspace);
    await eventually('DR-PLAN.md to load again', async () => {
      const s = await state();
      return s.kind === 'loaded' && s.planFile.endsWith('/DR-PLAN.md') ? s : undefined;
    });
  });

  it('names the path it tried, and notices the plan when it is created, renamed away and back, with no Refresh', async function () {
    this.timeout(60_000);
    const root = workspaceRoot();
    await settings().update('planPath', PLAN, vscode.ConfigurationTarget.Workspace);
    const missing = await eventually('the plan to be missing', async () => {
      const s = await state();
      return s.kind === 'missing' ? s : undefined;
    });
    assert.ok(missing.message.includes(vscode.Uri.joinPath(root, PLAN).fsPath), missing.message);
    const plan = vscode.Uri.joinPath(root, PLAN);
    await vscode.workspace.fs.writeFile(plan, new TextEncoder().encode(TEXT));
    const loaded = await eventually('the created plan to load', async () => {
      const s = await state();
      return s.kind === 'loaded' ? s : undefined;
    });
    assert.deepEqual(
      loaded.runbook.scenarios.map((s) => s.title),
      ['Lost cluster'],
    );
    const aside = vscode.Uri.joinPath(root, 'runbooks/renamed.md');
    await vscode.workspace.fs.rename(plan, aside);
    await eventually('the renamed plan to be missing', async () => ((await state()).kind === 'missing' ? true : undefined));
    await vscode.workspace.fs.rename(aside, plan);
    await eventually('the plan renamed back to load', async () => ((await state()).kind === 'loaded' ? true : undefined));
  });

  it('refuses a FIFO at the plan path with the reason, without blocking on it, and loads the plan once it is a file', async function () {
    this.timeout(60_000);
    const root = workspaceRoot();
    const pipe = vscode.Uri.joinPath(root, 'runbooks/pipe.md');
    await vscode.workspace.fs.createDirectory(vscode.Uri.joinPath(root, 'runbooks'));
    execFileSync('mkfifo', [pipe.fsPath]);
    await settings().update('planPath', 'runbooks/pipe.md', vscode.ConfigurationTarget.Workspace);
    const refused = await eventually('the FIFO to be refused', async () => {
      const s = await state();
      return s.kind === 'missing' && s.message.includes('pipe.md') ? s : undefined;
    });
    assert.equal(
      refused.message,
      `${pipe.fsPath} is a named pipe (FIFO): DR Runbook reads only regular files as plans. Put the plan's markdown there, or choose your plan with "DR Runbook: Choose DR Plan" (the setting drRunbook.planPath).`,
    );
    await vscode.workspace.fs.delete(pipe);
    await vscode.workspace.fs.writeFile(pipe, new TextEncoder().encode(TEXT));
    await eventually('the plan written in its place to load', async () => ((await state()).kind === 'loaded' ? true : undefined));
  });

  it('"Toggle Step Done" on a step cell writes [x] into the file, and [ ] again', async function () {
    this.timeout(180_000);
    const uri = vscode.Uri.joinPath(workspaceRoot(), 'runbooks/tick.runbook.md');
    await vscode.workspace.fs.writeFile(
      uri,
      new TextEncoder().encode(
        '# Drill\n\n- [ ] 1. Book a window.\n\n- [ ] 2. Create the namespace:\n\n```sh\nkubectl create namespace x\n```\n',
      ),
    );
    const notebook = await vscode.workspace.openNotebookDocument(uri);
    await vscode.window.showNotebookDocument(notebook);
    const step = notebook.getCells().find((c) => c.document.getText().startsWith('- [ ] 2.'));
    assert.ok(step);
    await vscode.commands.executeCommand('drRunbook.toggleStepDone', step);
    assert.match(await readFile(uri), /^- \[x\] 2\. Create the namespace:$/m);
    assert.match(await readFile(uri), /^- \[ \] 1\. Book a window\.$/m);
    const ticked = notebook.getCells().find((c) => c.document.getText().startsWith('- [x] 2.'));
    await vscode.commands.executeCommand('drRunbook.toggleStepDone', ticked);
    assert.match(await readFile(uri), /^- \[ \] 2\. Create the namespace:$/m);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });
});
