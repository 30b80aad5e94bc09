import * as vscode from 'vscode';
import { registerChoosePlan } from './commands/choosePlan.js';
import { registerContextPicker } from './commands/contextPicker.js';
import { registerNavigationCommands } from './commands/navigation.js';
import { registerSecretCommands } from './commands/secretCommands.js';
import { registerStepCommands } from './commands/stepCommands.js';
import { registerCommand } from './commands/registerCommand.js';
import { Redaction } from '../core/secrets/redaction.js';
import { Commands, Views } from './ids.js';
import { registerNotebookCommands } from './notebook/notebookCommands.js';
import { RunbookController } from './notebook/runbookController.js';
import { registerRunbookSerializer } from './notebook/runbookSerializer.js';
import { registerStepTicks } from './notebook/stepTicks.js';
import { createRedactedLog } from './output/redactedLog.js';
import { PlanWorkspace } from './planWorkspace.js';
import { registerPreviewCommand, StepPreviewer } from './preview/stepPreviewer.js';
import { RunController } from './run/runController.js';
import { SecretSource } from './secretSource.js';
import { PlanTreeProvider } from './tree/planTreeProvider.js';
import { RunHistoryWatcher } from './tree/runHistoryWatcher.js';

/**
 * The composition root: builds the logger, the plan workspace, the run controller and the views
 * once, and hands each its dependencies. Nothing here talks to a cluster: the cluster code is a
 * separate bundle, loaded when a run first needs it.
 */
export function activate(context: vscode.ExtensionContext): DrRunbookApi {
  // The one redaction pipeline: every sink below writes through it (the log hands it on).
  const log = createRedactedLog(new Redaction());
  const plan = new PlanWorkspace(log);
  const secrets = new SecretSource(context.secrets, plan, log);
  const runs = new RunController(plan, secrets, log);
  stopRuns = () => runs.dispose();
  const history = new RunHistoryWatcher(plan, log);
  const tree = new PlanTreeProvider(plan, runs.states, history, log.redaction.text);
  const view = vscode.window.createTreeView(Views.plan, { treeDataProvider: tree, showCollapseAll: true });
  const notebooks = new RunbookController(plan, runs, log);
  const previewer = new StepPreviewer(plan, secrets, log);
  // The empty view names the path it tried (viewsWelcome text cannot say it).
  const showMissing = (): void => {
    view.message = plan.state.kind === 'missing' ? plan.state.message : undefined;
  };
  context.subscriptions.push(
    log,
    plan,
    secrets,
    runs,
    history,
    tree,
    view,
    ...registerNavigationCommands(plan, log),
    ...registerStepCommands(runs, log),
    ...registerSecretCommands(secrets, log),
    registerRunbookSerializer(log.redaction.text),
    notebooks,
    ...registerNotebookCommands(plan, log),
    ...registerStepTicks(log),
    ...registerChoosePlan(plan, log),
    ...registerContextPicker(log),
    previewer,
    registerPreviewCommand(previewer, plan, log),
    plan.onDidChange(showMissing),
    registerCommand(
      Commands.runScenario,
      (node?: { type?: string; scenario?: { id: string } }) => runs.run(node?.scenario?.id),
      log,
    ),
    registerCommand(
      Commands.cancelRun,
      () => {
        if (!runs.cancel()) void log.showMessage('info', 'DR Runbook: no run is under way.');
      },
      log,
    ),
    registerCommand(Commands.openLastReport, () => runs.openLastReport(), log),
    registerCommand(Commands.showRunQuestion, () => runs.question.show(), log),
    registerCommand(
      Commands.resetScenario,
      (node?: { scenario?: { id: string } }) => node?.scenario && runs.reset(node.scenario.id),
      log,
    ),
  );
  // Once the plan is read: a run that a reload interrupted is offered for continuing.
  plan
    .reload()
    .then(() => runs.offerResume())
    .catch((e: unknown) => log.error(`offering to continue an interrupted run failed: ${String(e)}`));
  return { plan, tree, runs, notebooks, secrets, previewer, logUri: context.logUri };
}

/** What activate() returns: the live objects, for the in-host tests and for other extensions. */
export interface DrRunbookApi {
  readonly plan: PlanWorkspace;
  readonly tree: PlanTreeProvider;
  readonly runs: RunController;
  readonly notebooks: RunbookController;
  /** The one source of secret values (the environment, then the secret storage). */
  readonly secrets: SecretSource;
  readonly previewer: StepPreviewer;
  /** Where VS Code keeps this extension's log; the files behind its output channels are beside it. */
  readonly logUri: vscode.Uri;
}

/** Set by activate(): aborts a run under way and waits for it to let its lock go. */
let stopRuns: (() => Promise<void>) | undefined;

export function deactivate(): Promise<void> | undefined {
  // Everything else is disposed through context.subscriptions.
  return stopRuns?.();
}
