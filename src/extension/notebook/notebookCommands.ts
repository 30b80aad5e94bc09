import * as vscode from 'vscode';
import { exists } from '../files.js';
import {
  drillNotebook,
  notebookFileName,
  notebookFromScenario,
  type NotebookContext,
} from '../../core/notebook/notebookFromScenario.js';
import type { NotebookDoc } from '../../core/notebook/notebookModel.js';
import { formatRunbookNotebook } from '../../core/notebook/runbookNotebook.js';
import type { Scenario } from '../../core/runbook/model.js';
import { registerCommand } from '../commands/registerCommand.js';
import { readConfig } from '../config.js';
import { Commands } from '../ids.js';
import type { RedactedLog } from '../output/redactedLog.js';
import type { PlanWorkspace } from '../planWorkspace.js';
import { osUser } from '../../core/osUser.js';

/**
 * "Open Scenario as Runbook Notebook" and "Start DR Drill": each writes a fresh notebook under
 * `.dr-runs/` in the project and opens it. Both return the notebook's URI (for the tests), or
 * undefined when there was nothing to open.
 */
export function registerNotebookCommands(plan: PlanWorkspace, log: RedactedLog): vscode.Disposable[] {
  return [
    registerCommand(
      Commands.openScenarioNotebook,
      (node?: { scenario?: { id: string } }) => openScenarioNotebook(plan, node?.scenario?.id),
      log,
    ),
    registerCommand(Commands.startDrill, () => startDrill(plan), log),
  ];
}

async function openScenarioNotebook(plan: PlanWorkspace, scenarioId: string | undefined): Promise<vscode.Uri | undefined> {
  const state = loadedPlan(plan);
  if (!state) return undefined;
  let scenario: Scenario | undefined;
  if (scenarioId !== undefined) {
    scenario = state.runbook.scenarios.find((s) => s.id === scenarioId);
    if (!scenario) return refuse(`The DR plan has no scenario "${scenarioId}": refresh the DR Plan view and try again.`);
  } else {
    if (state.runbook.scenarios.length === 0)
      return refuse('The DR plan has no scenarios (headings followed by numbered steps).');
    const picked = await vscode.window.showQuickPick(
      state.runbook.scenarios.map((s) => ({
        label: s.title,
        description: `${s.steps.length} steps${s.kind === 'drill' ? ' · drill' : ''}`,
        scenario: s,
      })),
      { title: 'Open Scenario as Runbook Notebook', placeHolder: 'Which scenario?' },
    );
    scenario = picked?.scenario;
  }
  if (!scenario) return undefined;
  const doc = notebookFromScenario(scenario, { ...context(state), namespace: readConfig(state.runbook).namespace });
  return writeAndOpen(state.root, notebookFileName(scenario, new Date()), doc);
}

async function startDrill(plan: PlanWorkspace): Promise<vscode.Uri | undefined> {
  const state = loadedPlan(plan);
  if (!state) return undefined;
  const drill = state.runbook.scenarios.find((s) => s.kind === 'drill');
  const doc = drillNotebook(state.runbook, { ...context(state), productionNamespace: readConfig(state.runbook).namespace });
  if (!drill || !doc.ok) return refuse(doc.ok ? 'The DR plan has no drill scenario.' : doc.error);
  return writeAndOpen(state.root, notebookFileName(drill, new Date()), doc.value);
}

type LoadedPlan = Extract<PlanWorkspace['state'], { kind: 'loaded' }>;

function loadedPlan(plan: PlanWorkspace): LoadedPlan | undefined {
  const state = plan.state;
  if (state.kind === 'loaded') return state;
  void vscode.window.showErrorMessage(
    state.kind === 'missing'
      ? `DR Runbook: no DR plan is loaded, so there is nothing to open as a notebook. ${state.message}`
      : 'DR Runbook: the DR plan is still loading; try again in a moment.',
  );
  return undefined;
}

function refuse(message: string): undefined {
  void vscode.window.showErrorMessage(`DR Runbook: ${message}`);
  return undefined;
}

function context(state: LoadedPlan): NotebookContext {
  const config = readConfig();
  const planFile = state.planFile.startsWith(`${state.root}/`) ? state.planFile.slice(state.root.length + 1) : state.planFile;
  return {
    planFile,
    ...(config.context ? { context: config.context } : {}),
    startedBy: osUser(),
    startedAt: new Date().toISOString(),
  };
}

/** Writes the notebook next to the others under `.dr-runs/` (never over one: -2, -3, ...) and opens it. */
async function writeAndOpen(root: string, relative: string, doc: NotebookDoc): Promise<vscode.Uri> {
  const base = vscode.Uri.joinPath(vscode.Uri.file(root), relative);
  let uri = base;
  for (let n = 2; await exists(uri); n++) uri = base.with({ path: base.path.replace(/\.runbook\.md$/, `-${n}.runbook.md`) });
  await vscode.workspace.fs.createDirectory(vscode.Uri.joinPath(uri, '..'));
  await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(formatRunbookNotebook(doc)));
  await vscode.window.showNotebookDocument(await vscode.workspace.openNotebookDocument(uri));
  return uri;
}
