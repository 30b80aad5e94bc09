import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activeExtension, workspaceRoot } from './support.js';

const fixture = [
  '<!-- dr-runbook-notebook: {"title":"Quarterly DR drill","scenario":"quarterly-dr-drill","kind":"drill","namespace":"endpoint-stats-dr-test"} -->',
  '',
  '# DR drill: Quarterly DR drill',
  '',
  '- [x] 2. Create a namespace for the test:',
  '',
  '```sh',
  'kubectl create namespace endpoint-stats-dr-test',
  '```',
  '',
  '```output',
  'namespace/endpoint-stats-dr-test created',
  '```',
  '<!-- dr-runbook: {"state":"succeeded","by":"alice","at":"2026-11-24T09:02:00.000Z","ms":412} -->',
  '',
  '- [ ] 7. Remove the test environment:',
  '',
  '```bash',
  'kubectl delete namespace endpoint-stats-dr-test',
  '```',
  '',
].join('\n');

async function writeFile(name: string, text: string): Promise<vscode.Uri> {
  const uri = vscode.Uri.joinPath(workspaceRoot(), name);
  await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
  return uri;
}

async function readFile(uri: vscode.Uri): Promise<string> {
  return new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
}

describe('runbook notebooks', () => {
  before(async () => {
    await activeExtension();
  });

  it('opens a *.runbook.md as a DR Runbook notebook with its steps, commands, outputs and run records', async () => {
    const uri = await writeFile('open-test.runbook.md', fixture);
    const notebook = await vscode.workspace.openNotebookDocument(uri);
    assert.equal(notebook.notebookType, 'drRunbook.runbook');
    const cells = notebook.getCells();
    assert.deepEqual(
      cells.map((c) => [c.kind, c.document.languageId, c.document.getText().split('\n')[0]]),
      [
        [vscode.NotebookCellKind.Markup, 'markdown', '# DR drill: Quarterly DR drill'],
        [vscode.NotebookCellKind.Markup, 'markdown', '- [x] 2. Create a namespace for the test:'],
        [vscode.NotebookCellKind.Code, 'shellscript', 'kubectl create namespace endpoint-stats-dr-test'],
        [vscode.NotebookCellKind.Markup, 'markdown', '- [ ] 7. Remove the test environment:'],
        [vscode.NotebookCellKind.Code, 'shellscript', 'kubectl delete namespace endpoint-stats-dr-test'],
      ],
    );
    const output = cells[2]!.outputs[0]!.items[0]!;
    assert.equal(new TextDecoder().decode(output.data), 'namespace/endpoint-stats-dr-test created\n');
    assert.equal(cells[2]!.metadata.runbook.run.state, 'succeeded');
    assert.equal(notebook.metadata.runbook.header.namespace, 'endpoint-stats-dr-test');
    await vscode.window.showNotebookDocument(notebook);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('saves edits back into the markdown: a ticked step, a run record and a new command with output', async () => {
    const uri = await writeFile('save-test.runbook.md', fixture);
    const notebook = await vscode.workspace.openNotebookDocument(uri);
    const step7 = notebook.cellAt(3);
    const edit = new vscode.WorkspaceEdit();
    edit.replace(step7.document.uri, new vscode.Range(0, 3, 0, 4), 'x');
    const run = { state: 'failed', by: 'bob', at: '2026-11-24T09:30:00.000Z', ms: 20, exitCode: 1 };
    edit.set(notebook.uri, [
      vscode.NotebookEdit.updateCellMetadata(4, {
        ...notebook.cellAt(4).metadata,
        runbook: { ...notebook.cellAt(4).metadata.runbook, run },
      }),
      vscode.NotebookEdit.insertCells(5, [
        Object.assign(new vscode.NotebookCellData(vscode.NotebookCellKind.Code, 'kubectl get ns', 'shellscript'), {
          outputs: [new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.stdout('NAME STATUS\ndefault Active\n')])],
        }),
      ]),
    ]);
    assert.ok(await vscode.workspace.applyEdit(edit));
    assert.ok(await notebook.save());
    const expected = fixture
      .replace('- [ ] 7.', '- [x] 7.')
      .concat(
        '<!-- dr-runbook: {"state":"failed","by":"bob","at":"2026-11-24T09:30:00.000Z","ms":20,"exitCode":1} -->\n',
        '\n```sh\nkubectl get ns\n```\n\n```output\nNAME STATUS\ndefault Active\n```\n',
      );
    assert.equal(await readFile(uri), expected);
  });

  it('writes an odd file back byte for byte after an edit that is undone: CRLF, spacing, fences, hand-written JSON', async () => {
    const odd = [
      'Notes first, no header.',
      '',
      '',
      '~~~~bash',
      'echo hi',
      '~~~~~',
      '```output',
      'hi',
      '```',
      '',
      '<!-- dr-runbook: { "state": "done" } -->',
      '',
    ]
      .join('\r\n')
      .concat('* [X] 3. A step');
    const uri = await writeFile('odd-test.runbook.md', odd);
    const notebook = await vscode.workspace.openNotebookDocument(uri);
    assert.equal(notebook.cellCount, 3);
    const cell = notebook.cellAt(1).document;
    const change = new vscode.WorkspaceEdit();
    change.insert(cell.uri, new vscode.Position(0, 0), '# ');
    assert.ok(await vscode.workspace.applyEdit(change));
    const undo = new vscode.WorkspaceEdit();
    undo.delete(cell.uri, new vscode.Range(0, 0, 0, 2));
    assert.ok(await vscode.workspace.applyEdit(undo));
    assert.ok(notebook.isDirty);
    assert.ok(await notebook.save());
    assert.equal(await readFile(uri), odd);
  });

  it('refuses to open a broken file, with the line and the reason, and leaves the file alone', async () => {
    const broken = fixture.replace('<!-- dr-runbook: {"state":"succeeded",', '<!-- dr-runbook: {"state":"succeeded"');
    const uri = await writeFile('broken-test.runbook.md', broken);
    await assert.rejects(Promise.resolve(vscode.workspace.openNotebookDocument(uri)), (e: unknown) =>
      /cannot be opened: line 14: .*not valid JSON/.test(String((e as Error).message ?? e)),
    );
    assert.equal(await readFile(uri), broken);
    const unterminated = await writeFile('unterminated-test.runbook.md', '# T\n\n```sh\nkubectl get pods\n');
    await assert.rejects(
      Promise.resolve(vscode.workspace.openNotebookDocument(unterminated)),
      /line 3: This code block \(```sh\) is never closed/,
    );
  });
});
