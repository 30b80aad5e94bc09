import * as vscode from 'vscode';
import { setStepDone, stepLine } from '../../core/notebook/runbookNotebook.js';
import { registerCommand } from '../commands/registerCommand.js';
import { Commands, NotebookTypes } from '../ids.js';
import type { RedactedLog } from '../output/redactedLog.js';

/**
 * The checkbox of each step cell of a runbook notebook, in the cell's status bar: ☐ or ☑, a
 * click ticks or unticks the step and saves the notebook, so `[x]` is in the file.
 */
export function registerStepTicks(log: RedactedLog): vscode.Disposable[] {
  const changed = new vscode.EventEmitter<void>();
  const provider: vscode.NotebookCellStatusBarItemProvider = {
    onDidChangeCellStatusBarItems: changed.event,
    provideCellStatusBarItems(cell) {
      if (cell.kind !== vscode.NotebookCellKind.Markup) return [];
      const step = stepLine(cell.document.getText());
      if (!step) return [];
      const item = new vscode.NotebookCellStatusBarItem(
        step.done ? `☑ Step ${step.number} done` : `☐ Tick step ${step.number}`,
        vscode.NotebookCellStatusBarAlignment.Left,
      );
      item.command = { title: 'Toggle Step Done', command: Commands.toggleStepDone, arguments: [cell] };
      item.tooltip = step.done ? 'Untick this step (writes [ ] into the file)' : 'Tick this step (writes [x] into the file)';
      return [item];
    },
  };
  return [
    changed,
    vscode.notebooks.registerNotebookCellStatusBarItemProvider(NotebookTypes.runbook, provider),
    registerCommand(
      Commands.toggleStepDone,
      async (cell?: vscode.NotebookCell) => {
        const target = cell ?? activeStepCell();
        const source = target?.document.getText() ?? '';
        const step = stepLine(source);
        if (!target || !step) throw new Error('Select a step cell of a runbook notebook (a "- [ ] 3. ..." line) to tick it.');
        const edit = new vscode.WorkspaceEdit();
        edit.set(target.notebook.uri, [stepDoneEdit(target, !step.done)]);
        if (!(await vscode.workspace.applyEdit(edit))) throw new Error(`Step ${step.number} could not be ticked.`);
        if (!(await target.notebook.save()))
          throw new Error(`Step ${step.number} was ticked but the notebook could not be saved.`);
        changed.fire();
        log.info(`${target.notebook.uri.fsPath}: step ${step.number} ${step.done ? 'unticked' : 'ticked'}`);
      },
      log,
    ),
  ];
}

/**
 * Ticks or clears a step cell's box. The cell is replaced, not edited as text: after a text edit
 * the workbench keeps drawing the markdown as it was, so the step looked unchanged until the
 * notebook was reopened; a replaced markdown cell is redrawn at once.
 */
export function stepDoneEdit(cell: vscode.NotebookCell, done: boolean): vscode.NotebookEdit {
  const data = new vscode.NotebookCellData(
    vscode.NotebookCellKind.Markup,
    setStepDone(cell.document.getText(), done),
    cell.document.languageId,
  );
  data.metadata = cell.metadata;
  return vscode.NotebookEdit.replaceCells(new vscode.NotebookRange(cell.index, cell.index + 1), [data]);
}

/** The selected cell of the active runbook notebook, when it is a step cell. */
function activeStepCell(): vscode.NotebookCell | undefined {
  const editor = vscode.window.activeNotebookEditor;
  if (editor?.notebook.notebookType !== NotebookTypes.runbook) return undefined;
  const index = editor.selection.start;
  return index < editor.notebook.cellCount ? editor.notebook.cellAt(index) : undefined;
}
