import * as vscode from 'vscode';
import type { StepOutcome } from '../../core/execution/stepExecutor.js';
import type { CellRun, CellState, NotebookDoc } from '../../core/notebook/notebookModel.js';
import { stepLine, stepOfCell } from '../../core/notebook/runbookNotebook.js';
import { stepId } from '../../core/runbook/stepIdentity.js';
import { classifyCommand, stepKind } from '../../core/runbook/commands.js';
import type { Command, Scenario, Step } from '../../core/runbook/model.js';
import { NotebookControllers, NotebookTypes } from '../ids.js';
import type { PlanWorkspace } from '../planWorkspace.js';
import { osUser } from '../../core/osUser.js';
import type { RedactedLog } from '../output/redactedLog.js';
import type { RunController } from '../run/runController.js';
import type { RunbookCellMetadata, RunbookNotebookMetadata } from './runbookSerializer.js';
import { stepDoneEdit } from './stepTicks.js';

/** Where a multi-cell run ended before a command cell, and why. */
interface Stop {
  readonly step: number;
  readonly reason: string;
}

const stopText = (stopped: Stop): string => `stopped at step ${stopped.step}: ${stopped.reason}`;

/** How often, at most, a running cell's output is redrawn. */
const OUTPUT_INTERVAL_MS = 200;

/**
 * Runs the command cells of a runbook notebook through the same engine as "Run DR Scenario":
 * one cell is one step's commands, its output streamed into the cell, its run recorded in the
 * cell's metadata (so saving writes it into the file) and its step ticked when it succeeded.
 */
export class RunbookController implements vscode.Disposable {
  private readonly controller: vscode.NotebookController;
  private order = 0;

  constructor(
    private readonly plan: PlanWorkspace,
    private readonly runs: RunController,
    private readonly log: RedactedLog,
  ) {
    this.controller = vscode.notebooks.createNotebookController(NotebookControllers.runbook, NotebookTypes.runbook, 'DR Runbook');
    this.controller.description = 'Runs each command through the DR Runbook engine';
    this.controller.supportsExecutionOrder = true;
    this.controller.executeHandler = (cells, notebook) => this.execute(cells, notebook);
  }

  /**
   * Runs the cells one after the other; a markdown cell is passed over. When more than one cell
   * runs ("Run All", a range), it runs as a scenario does: each unticked by-hand step on the way
   * (a step with no command cell; with "Run All", those after the last command too) is put to the
   * person, ticked only when they say it is done and left unticked when they skip it; "Stop", or
   * a cell that fails, ends the run there, and the next command cell says why it did not run. A
   * single cell asks nothing.
   */
  async execute(cells: readonly vscode.NotebookCell[], notebook: vscode.NotebookDocument): Promise<void> {
    const code = cells.filter((c) => c.kind === vscode.NotebookCellKind.Code);
    if (code.length <= 1) {
      for (const cell of code) await this.executeCell(cell, notebook);
      return;
    }
    const whole = code.length === notebook.getCells().filter((c) => c.kind === vscode.NotebookCellKind.Code).length;
    let from = whole ? 0 : code[0]!.index;
    for (const [i, cell] of code.entries()) {
      const stopped = await this.byHandSteps(notebook, from, cell.index);
      if (stopped) return this.notRun(cell, stopped);
      const { step, outcome } = await this.executeCell(cell, notebook);
      from = cell.index + 1;
      if (outcome.state === 'failed') {
        const next = code[i + 1];
        if (next) await this.notRun(next, { step, reason: outcome.summary });
        return;
      }
    }
    if (!whole) return;
    // The by-hand steps after the last command. A stop among them has no command cell left to say
    // it on: the question was the person's, and the steps stay unticked.
    const stopped = await this.byHandSteps(notebook, from, notebook.cellCount);
    if (stopped) this.log.info(`${notebook.uri.fsPath}: the run ${stopText(stopped)}`);
  }

  /**
   * The unticked by-hand steps of cells [from, to), asked in order; where and why the run ended
   * when the person stopped it or the question was refused (an untrusted workspace).
   */
  private async byHandSteps(notebook: vscode.NotebookDocument, from: number, to: number): Promise<Stop | undefined> {
    for (let i = from; i < to; i++) {
      const cell = notebook.cellAt(i);
      const line = cell.kind === vscode.NotebookCellKind.Markup ? stepLine(cell.document.getText()) : undefined;
      if (!line || line.done || stepCells(notebook, i).length > 0) continue;
      // The step as the notebook has it (a markdown cell: no command), so the engine puts the
      // manual-step question; "Cancel Run" ends the question through the run's own session.
      const { scenario, step } = this.stepOf(cell, notebook);
      const outcome = await this.runs.executeOne(scenario, step, new AbortController().signal, () => undefined);
      if (outcome.state === 'failed') return { step: line.number, reason: outcome.summary };
      if (outcome.state !== 'manual') continue;
      const edit = new vscode.WorkspaceEdit();
      edit.set(notebook.uri, [stepDoneEdit(notebook.cellAt(i), true)]);
      if (!(await vscode.workspace.applyEdit(edit))) this.log.warn(`step ${line.number} could not be ticked`);
    }
    return undefined;
  }

  /** The command cell a stop kept from running: it says so, and why, and is not recorded as run. */
  private async notRun(cell: vscode.NotebookCell, stopped: Stop): Promise<void> {
    const text = this.log.redaction.text(`the run ${stopText(stopped)}`);
    this.log.info(`${cell.notebook.uri.fsPath}: ${text}`);
    const execution = this.controller.createNotebookCellExecution(cell);
    execution.executionOrder = ++this.order;
    execution.start(Date.now());
    await execution.replaceOutput(new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.stderr(`Not run: ${text}\n`)]));
    execution.end(false, Date.now());
  }

  private async executeCell(
    cell: vscode.NotebookCell,
    notebook: vscode.NotebookDocument,
  ): Promise<{ step: number; outcome: StepOutcome }> {
    const execution = this.controller.createNotebookCellExecution(cell);
    execution.executionOrder = ++this.order;
    const started = Date.now();
    execution.start(started);
    await execution.clearOutput();
    const { scenario, step } = this.stepOf(cell, notebook);
    if (step.commands.length === 0) {
      await execution.replaceOutput(new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.stdout('Nothing to run.\n')]));
      execution.end(true, Date.now());
      return { step: step.number, outcome: { state: 'succeeded', summary: 'Nothing to run.' } };
    }
    const abort = new AbortController();
    const cancelled = execution.token.onCancellationRequested(() => abort.abort());
    const stream = new OutputStream(execution);
    let outcome: StepOutcome;
    try {
      outcome = await this.runs.executeOne(scenario, step, abort.signal, (text) => stream.append(text));
    } catch (e) {
      this.log.error(`notebook cell ${cell.index + 1} failed: ${e instanceof Error && e.stack ? e.stack : String(e)}`);
      outcome = { state: 'failed', summary: this.log.redaction.text(e instanceof Error ? e.message : String(e)) };
    } finally {
      cancelled.dispose();
    }
    if (abort.signal.aborted && outcome.state !== 'succeeded') outcome = { state: 'failed', summary: 'Cancelled.' };
    await stream.finish(outcome);
    const ended = Date.now();
    execution.end(outcome.state !== 'failed', ended);
    const run: CellRun = {
      state: cellState(outcome),
      by: osUser(),
      at: new Date(ended).toISOString(),
      ms: ended - started,
      ...exitCode(step, outcome),
    };
    await this.record(notebook, cell, run);
    return { step: step.number, outcome };
  }

  /** The step a cell runs: the plan's step it sits under, with the cell's own lines as its commands. */
  private stepOf(cell: vscode.NotebookCell, notebook: vscode.NotebookDocument): { scenario: Scenario; step: Step } {
    const doc: NotebookDoc = {
      cells: notebook.getCells().map((c) => ({
        kind: c.kind === vscode.NotebookCellKind.Markup ? 'markdown' : 'code',
        source: c.document.getText(),
      })),
    };
    const number = stepOfCell(doc, cell.index);
    const header = (notebook.metadata['runbook'] as RunbookNotebookMetadata | undefined)?.header;
    const state = this.plan.state;
    const scenarios = state.kind === 'loaded' ? state.runbook.scenarios : [];
    const known = header?.scenario !== undefined ? scenarios.find((s) => s.id === header.scenario) : undefined;
    const planned = known?.steps.find((s) => s.number === number);
    const line = planned?.line ?? 1;
    const commands: Command[] = (cell.kind === vscode.NotebookCellKind.Markup ? '' : cell.document.getText())
      .split(/\r?\n/)
      .map((text, i) => ({ text: text.trim(), column: text.length - text.trimStart().length + 1, i }))
      .filter((l) => l.text !== '' && !l.text.startsWith('#'))
      .map((l) => classifyCommand(l.text, line + l.i, l.column));
    const text = planned?.text ?? stepTextAbove(notebook, cell.index) ?? commands[0]?.text ?? 'Notebook cell';
    const step: Step = {
      id: stepId(known?.id ?? 'notebook', text, commands),
      number: number ?? 0,
      text,
      title: planned?.title ?? text,
      line,
      column: 1,
      commands,
      kind: stepKind(commands),
    };
    const scenario: Scenario = known ?? {
      id: 'notebook',
      title: header?.title ?? notebook.uri.path.split('/').pop() ?? 'Runbook notebook',
      kind: 'recovery',
      line: 1,
      steps: [step],
    };
    return { scenario, step };
  }

  /**
   * Saves the run into the cell's metadata (the serializer writes it as the cell's run record)
   * and ticks the step's box once every command cell of the step has succeeded.
   */
  private async record(notebook: vscode.NotebookDocument, cell: vscode.NotebookCell, run: CellRun): Promise<void> {
    const previous = (cell.metadata['runbook'] ?? {}) as RunbookCellMetadata;
    const edits = [vscode.NotebookEdit.updateCellMetadata(cell.index, { ...cell.metadata, runbook: { ...previous, run } })];
    const stepCell = stepCellAbove(notebook, cell.index);
    if (stepCell && run.state === 'succeeded') {
      const siblings = stepCells(notebook, stepCell.index).filter((c) => c.index !== cell.index);
      const allDone = siblings.every(
        (c) => (c.metadata['runbook'] as RunbookCellMetadata | undefined)?.run?.state === 'succeeded',
      );
      if (allDone && !stepLine(stepCell.document.getText())?.done) edits.push(stepDoneEdit(stepCell, true));
    }
    const edit = new vscode.WorkspaceEdit();
    edit.set(notebook.uri, edits);
    if (!(await vscode.workspace.applyEdit(edit)))
      this.log.warn(`the run of notebook cell ${cell.index + 1} could not be recorded`);
  }

  dispose(): void {
    this.controller.dispose();
  }
}

/**
 * A cell's output while it runs: the text so far, redrawn at most every OUTPUT_INTERVAL_MS so a
 * fast stream does not flood the editor; writes are chained so they land in order.
 */
class OutputStream {
  private text = '';
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<unknown> = Promise.resolve();

  constructor(private readonly execution: vscode.NotebookCellExecution) {}

  append(text: string): void {
    this.text += text;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.write([vscode.NotebookCellOutputItem.stdout(this.text)]);
    }, OUTPUT_INTERVAL_MS);
  }

  /** The last redraw: the whole output, the step's summary, and an error item when it failed. */
  async finish(outcome: StepOutcome): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const text = this.text === '' || this.text.endsWith('\n') ? this.text : `${this.text}\n`;
    if (outcome.state === 'failed') {
      const items = [vscode.NotebookCellOutputItem.error({ name: 'Step failed', message: outcome.summary })];
      if (text !== '') items.unshift(vscode.NotebookCellOutputItem.stdout(text));
      this.write(items);
    } else {
      this.write([vscode.NotebookCellOutputItem.stdout(text.includes(outcome.summary) ? text : `${text}${outcome.summary}\n`)]);
    }
    await this.writing;
  }

  private write(items: vscode.NotebookCellOutputItem[]): void {
    this.writing = this.writing
      .then(() => this.execution.replaceOutput(new vscode.NotebookCellOutput(items)))
      .catch(() => undefined);
  }
}

function cellState(outcome: StepOutcome): CellState {
  return outcome.state === 'manual' ? 'done' : outcome.state;
}

/** A script's exit code: 0 when it succeeded, else the one its summary gives ("exited with code 3"). */
function exitCode(step: Step, outcome: StepOutcome): { exitCode?: number } {
  if (step.kind !== 'script') return {};
  if (outcome.state === 'succeeded') return { exitCode: 0 };
  const m = /\bexited with code (\d+)/.exec(outcome.summary);
  return m ? { exitCode: Number(m[1]) } : {};
}

/** The markdown cell with the step line a cell belongs to. */
function stepCellAbove(notebook: vscode.NotebookDocument, index: number): vscode.NotebookCell | undefined {
  for (let i = index; i >= 0; i--) {
    const c = notebook.cellAt(i);
    if (c.kind === vscode.NotebookCellKind.Markup && stepLine(c.document.getText())) return c;
  }
  return undefined;
}

function stepTextAbove(notebook: vscode.NotebookDocument, index: number): string | undefined {
  const c = stepCellAbove(notebook, index);
  return c ? stepLine(c.document.getText())?.text : undefined;
}

/** The command cells under a step line, up to the next markdown cell that starts a step or a heading. */
function stepCells(notebook: vscode.NotebookDocument, stepIndex: number): vscode.NotebookCell[] {
  const cells: vscode.NotebookCell[] = [];
  for (let i = stepIndex + 1; i < notebook.cellCount; i++) {
    const c = notebook.cellAt(i);
    if (c.kind === vscode.NotebookCellKind.Markup) {
      const text = c.document.getText();
      if (stepLine(text) || /^#{1,6}(\s|$)/.test(text)) break;
      continue;
    }
    cells.push(c);
  }
  return cells;
}
