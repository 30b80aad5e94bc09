import assert from 'node:assert/strict';
import { chmod } from 'node:fs/promises';
import * as vscode from 'vscode';
import { connectCluster } from '../../src/adapters/kubernetes/clusterClient.js';
import { activeExtension, eventually, workspaceRoot, setAnswers } from './support.js';

const TEST_NS = 'endpoint-stats-dr-test';

async function readText(uri: vscode.Uri): Promise<string> {
  return new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
}

function outputText(cell: vscode.NotebookCell): string {
  return cell.outputs
    .flatMap((o) => o.items)
    .map((i) => new TextDecoder().decode(i.data))
    .join('');
}

describe('runbook notebooks that run, in the real extension host', () => {
  before(async function () {
    this.timeout(30_000);
    const { plan } = (await activeExtension()).exports;
    await eventually('the DR plan to load', () => (plan.state.kind === 'loaded' ? true : undefined));
  });

  afterEach(async () => {
    setAnswers((await activeExtension()).exports.runs, undefined);
  });

  it('"Start DR Drill" writes .dr-runs/<date>-dr-drill.runbook.md and opens it; step 2’s cell creates the namespace and saving writes its output and run record', async function () {
    this.timeout(60_000);
    const { runs } = (await activeExtension()).exports;
    setAnswers(runs, {
      beforeStep: () => Promise.resolve('continue'),
      manualStep: () => Promise.resolve('done'),
    });
    const uri = await vscode.commands.executeCommand<vscode.Uri | undefined>('drRunbook.startDrill');
    assert.ok(uri, 'the command returns the notebook it wrote');
    const date = new Date().toISOString().slice(0, 10);
    assert.equal(uri.toString(), vscode.Uri.joinPath(workspaceRoot(), `.dr-runs/${date}-dr-drill.runbook.md`).toString());
    assert.match(await readText(uri), /^<!-- dr-runbook-notebook: \{.*"kind":"drill".*\} -->\n/);

    const editor = await eventually('the drill notebook in an editor', () =>
      vscode.window.visibleNotebookEditors.find((e) => e.notebook.uri.toString() === uri.toString()),
    );
    const notebook = editor.notebook;
    assert.equal(notebook.notebookType, 'drRunbook.runbook');
    const index = notebook.getCells().findIndex((c) => c.document.getText() === `kubectl create namespace ${TEST_NS}`);
    assert.ok(index > 0, 'the drill has the namespace-create cell');
    const stepCell = notebook.cellAt(index - 1);
    assert.match(stepCell.document.getText(), /^- \[ \] 2\. /);

    await vscode.commands.executeCommand('notebook.cell.execute', {
      ranges: [{ start: index, end: index + 1 }],
      document: notebook.uri,
    });
    const cell = notebook.cellAt(index);
    const summary = await eventually('the cell to finish', () => cell.executionSummary?.success);
    assert.equal(summary, true, outputText(cell));
    assert.ok(cell.executionSummary?.executionOrder && cell.executionSummary.executionOrder > 0);
    assert.match(outputText(cell), new RegExp(`Namespace ${TEST_NS} (created|already exists)`));

    const connected = connectCluster();
    assert.ok(connected.ok, connected.ok ? '' : connected.error.message);
    const ns = await connected.value.read({ apiVersion: 'v1', kind: 'Namespace', name: TEST_NS, namespace: undefined });
    assert.ok(ns.ok && ns.value, 'the test namespace exists on the cluster');

    // The run is in the cell's metadata, and the step is ticked.
    await eventually('the run record in the cell', () => (cell.metadata['runbook'] as { run?: unknown } | undefined)?.run);
    await eventually('the step ticked', () =>
      /^- \[x\] 2\. /.test(notebook.cellAt(index - 1).document.getText()) ? true : undefined,
    );

    assert.ok(await notebook.save(), 'the notebook saves');
    const saved = await readText(uri);
    assert.match(saved, /- \[x\] 2\. /);
    const block = new RegExp(
      '```sh\\nkubectl create namespace endpoint-stats-dr-test\\n```\\n\\n```output\\n[^]*?Namespace endpoint-stats-dr-test (created|already exists)\\.\\n```\\n' +
        '<!-- dr-runbook: (\\{[^\\n]*\\}) -->\\n',
    );
    const m = block.exec(saved);
    assert.ok(m, saved);
    const run = JSON.parse(m[2]!) as { state: string; by?: string; at?: string; ms?: number };
    assert.equal(run.state, 'succeeded');
    assert.ok(run.by, 'who ran it');
    assert.ok(run.at && !Number.isNaN(Date.parse(run.at)), 'when');
    assert.equal(typeof run.ms, 'number');

    // A second drill the same day does not overwrite the first.
    const second = await vscode.commands.executeCommand<vscode.Uri | undefined>('drRunbook.startDrill');
    assert.ok(second?.path.endsWith(`/.dr-runs/${date}-dr-drill-2.runbook.md`), second?.toString());
    assert.equal(await readText(uri), saved);
  });
});

describe('a runbook notebook cell that fails', () => {
  afterEach(async () => {
    setAnswers((await activeExtension()).exports.runs, undefined);
  });

  it('ends unsuccessfully with an error output, records "failed" and leaves the step unticked (a notebook of no plan scenario)', async function () {
    this.timeout(60_000);
    const { plan } = (await activeExtension()).exports;
    await eventually('the DR plan to load', () => (plan.state.kind === 'loaded' ? true : undefined));
    const uri = vscode.Uri.joinPath(workspaceRoot(), 'failing.runbook.md');
    const text = [
      '<!-- dr-runbook-notebook: {"title":"Scratch"} -->',
      '',
      '- [ ] 1. Apply a manifest that is not there:',
      '',
      '```sh',
      'kubectl apply -f k8s/does-not-exist.yaml',
      '```',
      '',
    ].join('\n');
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
    const notebook = await vscode.workspace.openNotebookDocument(uri);
    await vscode.window.showNotebookDocument(notebook);
    await vscode.commands.executeCommand('notebook.cell.execute', { ranges: [{ start: 1, end: 2 }], document: notebook.uri });
    const cell = notebook.cellAt(1);
    const success = await eventually('the cell to finish', () => cell.executionSummary?.success);
    assert.equal(success, false);
    const items = cell.outputs.flatMap((o) => o.items);
    const error = items.find((i) => i.mime === 'application/vnd.code.notebook.error');
    assert.ok(error, `an error output: ${items.map((i) => i.mime).join(', ')}`);
    assert.match(new TextDecoder().decode(error.data), /does-not-exist\.yaml/);
    await eventually('the run record in the cell', () => (cell.metadata['runbook'] as { run?: unknown } | undefined)?.run);
    assert.equal((cell.metadata['runbook'] as { run: { state: string } }).run.state, 'failed');
    assert.match(notebook.cellAt(0).document.getText(), /^- \[ \] 1\. /);
    assert.ok(await notebook.save());
    const saved = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
    assert.match(saved, /```output\n[^]*does-not-exist\.yaml[^]*```\n<!-- dr-runbook: \{"state":"failed",/);
  });
});

describe('cancelling a runbook notebook cell', () => {
  it('streams the output while it runs, then Cancel stops the script and the cell ends unsuccessfully', async function () {
    this.timeout(60_000);
    const { plan } = (await activeExtension()).exports;
    await eventually('the DR plan to load', () => (plan.state.kind === 'loaded' ? true : undefined));
    const script = vscode.Uri.joinPath(workspaceRoot(), 'scripts/slow-test.sh');
    await vscode.workspace.fs.writeFile(script, new TextEncoder().encode('#!/bin/sh\necho started\nsleep 30\necho finished\n'));
    await chmod(script.fsPath, 0o755);
    const uri = vscode.Uri.joinPath(workspaceRoot(), 'cancel.runbook.md');
    const text = ['- [ ] 1. Run a slow script:', '', '```sh', './scripts/slow-test.sh', '```', ''].join('\n');
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
    const notebook = await vscode.workspace.openNotebookDocument(uri);
    await vscode.window.showNotebookDocument(notebook);
    const args = { ranges: [{ start: 1, end: 2 }], document: notebook.uri };
    const executing = vscode.commands.executeCommand('notebook.cell.execute', args);
    const cell = notebook.cellAt(1);
    await eventually('the first line of the script in the cell', () => (/started/.test(outputText(cell)) ? true : undefined));
    const started = Date.now();
    await vscode.commands.executeCommand('notebook.cell.cancelExecution', args);
    await executing;
    const success = await eventually('the cell to end', () => cell.executionSummary?.success);
    assert.equal(success, false);
    assert.ok(Date.now() - started < 20_000, 'Cancel stopped the script');
    assert.doesNotMatch(outputText(cell), /finished/);
    assert.match(outputText(cell), /cancelled/i);
    await eventually('the run record in the cell', () => (cell.metadata['runbook'] as { run?: unknown } | undefined)?.run);
    assert.equal((cell.metadata['runbook'] as { run: { state: string } }).run.state, 'failed');
  });
});

describe('"Run All" in a drill notebook', () => {
  afterEach(async () => {
    setAnswers((await activeExtension()).exports.runs, undefined);
  });

  it('asks before it ticks a by-hand step, as a scenario run does: done ticks it, skip leaves it unticked, Stop ends the run there', async function () {
    this.timeout(90_000);
    const { runs } = (await activeExtension()).exports;
    const asked: number[] = [];
    const answers = new Map<number, 'done' | 'skip' | 'stop'>([
      [1, 'done'],
      [3, 'skip'],
      [4, 'stop'],
    ]);
    setAnswers(runs, {
      beforeStep: () => Promise.resolve('continue'),
      manualStep: (step) => {
        asked.push(step.number);
        return Promise.resolve(answers.get(step.number) ?? 'done');
      },
    });
    const uri = await vscode.commands.executeCommand<vscode.Uri | undefined>('drRunbook.startDrill');
    assert.ok(uri);
    const editor = await eventually('the drill notebook in an editor', () =>
      vscode.window.visibleNotebookEditors.find((e) => e.notebook.uri.toString() === uri.toString()),
    );
    const notebook = editor.notebook;
    const stepCell = (n: number): vscode.NotebookCell =>
      notebook.getCells().find((c) => new RegExp(`^- \\[[ x]\\] ${n}\\. `).test(c.document.getText()))!;
    const commandCell = (text: string): vscode.NotebookCell => notebook.getCells().find((c) => c.document.getText() === text)!;

    await vscode.commands.executeCommand('notebook.cell.execute', {
      ranges: [{ start: 0, end: notebook.cellCount }],
      document: notebook.uri,
    });
    await eventually('the questions up to the stop', () => (asked.length === 3 ? true : undefined));
    const create = commandCell(`kubectl create namespace ${TEST_NS}`);
    assert.equal(await eventually('step 2’s cell to finish', () => create.executionSummary?.success), true, outputText(create));
    await eventually('step 2 ticked', () => (/^- \[x\] 2\. /.test(stepCell(2).document.getText()) ? true : undefined));

    assert.deepEqual(asked, [1, 3, 4], 'each by-hand step before the stop was asked, in order');
    assert.match(stepCell(1).document.getText(), /^- \[x\] 1\. /, 'done: ticked');
    assert.match(stepCell(3).document.getText(), /^- \[ \] 3\. /, 'skipped: left unticked');
    assert.match(stepCell(4).document.getText(), /^- \[ \] 4\. /, 'stopped: left unticked');
    for (const n of [5, 6, 7]) assert.match(stepCell(n).document.getText(), new RegExp(`^- \\[ \\] ${n}\\. `));
    const remove = commandCell(`kubectl delete namespace ${TEST_NS}`);
    // The run stopped before the namespace deletion: its cell says so, and why, and did not run.
    assert.equal(await eventually('the deletion cell to end', () => remove.executionSummary?.success), false);
    assert.match(outputText(remove), /^Not run: the run stopped at step 4: /);
    const connected = connectCluster();
    assert.ok(connected.ok);
    const ns = await connected.value.read({ apiVersion: 'v1', kind: 'Namespace', name: TEST_NS, namespace: undefined });
    assert.ok(ns.ok && ns.value, 'the test namespace is still there');
  });
});

describe('"Run All" over a notebook of no plan scenario', () => {
  afterEach(async () => {
    setAnswers((await activeExtension()).exports.runs, undefined);
  });

  /** Writes a scratch notebook, opens it and runs all its cells; the by-hand steps asked, in order. */
  async function runAll(name: string, steps: string[]): Promise<{ notebook: vscode.NotebookDocument; asked: number[] }> {
    const { runs, plan } = (await activeExtension()).exports;
    await eventually('the DR plan to load', () => (plan.state.kind === 'loaded' ? true : undefined));
    const asked: number[] = [];
    setAnswers(runs, {
      beforeStep: () => Promise.resolve('continue'),
      manualStep: (step) => {
        asked.push(step.number);
        return Promise.resolve('done');
      },
    });
    const uri = vscode.Uri.joinPath(workspaceRoot(), name);
    const text = ['<!-- dr-runbook-notebook: {"title":"Scratch"} -->', '', ...steps].join('\n');
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
    const notebook = await vscode.workspace.openNotebookDocument(uri);
    await vscode.window.showNotebookDocument(notebook);
    await vscode.commands.executeCommand('notebook.cell.execute', {
      ranges: [{ start: 0, end: notebook.cellCount }],
      document: notebook.uri,
    });
    return { notebook, asked };
  }

  const step = (n: number, text: string, command?: string): string =>
    command === undefined ? `- [ ] ${n}. ${text}\n` : `- [ ] ${n}. ${text}\n\n\`\`\`sh\n${command}\n\`\`\`\n`;
  const cellOf = (notebook: vscode.NotebookDocument, text: string): vscode.NotebookCell =>
    notebook.getCells().find((c) => c.document.getText().includes(text))!;

  it('stops at a failing cell, as a scenario run stops at a failing step: the next cell says it did not run, and why', async function () {
    this.timeout(60_000);
    const { notebook, asked } = await runAll('run-all-stops.runbook.md', [
      step(1, 'Tell the team.'),
      step(2, 'Apply a manifest that is not there:', 'kubectl apply -f k8s/does-not-exist.yaml'),
      step(3, 'Create the namespace:', 'kubectl create namespace run-all-stops'),
      step(4, 'Write it down.'),
    ]);
    const failing = cellOf(notebook, 'does-not-exist.yaml');
    const next = cellOf(notebook, 'create namespace run-all-stops');
    assert.equal(await eventually('the failing cell to end', () => failing.executionSummary?.success), false);
    assert.equal(await eventually('the next cell to end', () => next.executionSummary?.success), false);
    assert.match(outputText(next), /^Not run: the run stopped at step 2: .*does-not-exist\.yaml/s);
    assert.equal((next.metadata['runbook'] as { run?: unknown } | undefined)?.run, undefined, 'not recorded as run');
    assert.deepEqual(asked, [1], 'step 4, after the stop, was not asked');
    assert.match(cellOf(notebook, '4. Write it down.').document.getText(), /^- \[ \] 4\. /);
    const connected = connectCluster();
    assert.ok(connected.ok);
    const ns = await connected.value.read({ apiVersion: 'v1', kind: 'Namespace', name: 'run-all-stops', namespace: undefined });
    assert.ok(ns.ok && ns.value === undefined, 'the namespace of the cell after the failure was never created');
  });

  it('asks about the by-hand steps after the last command too', async function () {
    this.timeout(60_000);
    const { notebook, asked } = await runAll('run-all-finishes.runbook.md', [
      step(1, 'Tell the team.'),
      step(2, 'Create the namespace:', 'kubectl create namespace run-all-finishes'),
      step(3, 'Create a second one:', 'kubectl create namespace run-all-finishes-2'),
      step(4, 'Write it down.'),
    ]);
    await eventually('the last by-hand step asked', () => (asked.length === 2 ? true : undefined));
    assert.deepEqual(asked, [1, 4]);
    await eventually('step 4 ticked', () =>
      /^- \[x\] 4\. /.test(cellOf(notebook, '4. Write it down.').document.getText()) ? true : undefined,
    );
    assert.match(cellOf(notebook, '1. Tell the team.').document.getText(), /^- \[x\] 1\. /);
  });
});
