import * as vscode from 'vscode';
import { registerChoosePlan } from './commands/choosePlan.js';
import { registerContextPicker } from './commands/contextPicker.js';
import { registerNavigationCommands } from './commands/navigation.js';
import { registerSecretCommands } from './commands/secretCommands.js';
import { StepStates } from '../core/execution/stepStates.js';
import { Redaction } from '../core/secrets/redaction.js';
import { RunsCommands, Views } from './ids.js';
import type { RunbookController } from './notebook/runbookController.js';
import { createRedactedLog } from './output/redactedLog.js';
import { PlanWorkspace } from './planWorkspace.js';
import type { StepPreviewer } from './preview/stepPreviewer.js';
import type { RunController } from './run/runController.js';
import { LazyRuns } from './runs/lazyRuns.js';
import { SecretSource } from './secretSource.js';
import { PlanTreeProvider } from './tree/planTreeProvider.js';
import { RunHistoryWatcher } from './tree/runHistoryWatcher.js';

/**
 * The composition root: builds the logger, the plan workspace and the tree once, and hands each
 * its dependencies. Activation loads only the shells of the tree and the commands: the plan's
 * reader and Problems scan are a bundle of their own (planCore.ts), loaded when the plan is first
 * read; the runs (run controller, notebooks, previews) another, loaded on first use; the cluster
 * code a third, loaded when a run first needs it.
 */
export function activate(context: vscode.ExtensionContext): DrRunbookApi {
  // The one redaction pipeline: every sink below writes through it (the log hands it on).
  const log = createRedactedLog(new Redaction());
  const plan = new PlanWorkspace(log);
  const secrets = new SecretSource(context.secrets, plan, log);
  const states = new StepStates();
  const history = new RunHistoryWatcher(plan, log);
  const runs = new LazyRuns({ plan, secrets, log, states, pastRuns: () => history.runs }, RunsCommands);
  stopRuns = () => runs.dispose();
  const tree = new PlanTreeProvider(plan, states, history, log.redaction.text);
  const view = vscode.window.createTreeView(Views.plan, { treeDataProvider: tree, showCollapseAll: true });
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
    ...registerSecretCommands(secrets, log),
    ...registerChoosePlan(plan, log),
    ...registerContextPicker(log),
    plan.onDidChange(showMissing),
  );
  // Once the plan is read: a run that a reload interrupted (or stopped) is offered for continuing.
  plan
    .reload()
    .then(() => offerResume(history, runs))
    .catch((e: unknown) => log.error(`offering to continue an interrupted run failed: ${String(e)}`));
  return {
    plan,
    tree,
    secrets,
    get runs() {
      return runs.get().runs;
    },
    get notebooks() {
      return runs.get().notebooks;
    },
    get previewer() {
      return runs.get().previewer;
    },
    logUri: context.logUri,
  };
}

/** Loads the runs only when the workspace's records hold a run that is still open. */
async function offerResume(history: RunHistoryWatcher, runs: LazyRuns): Promise<void> {
  const past = await history.settled();
  if (past.some((r) => r.status === 'running' || r.status === 'stopped')) await runs.get().runs.offerResume();
}

/** What activate() returns: the live objects, for the in-host tests and for other extensions. */
export interface DrRunbookApi {
  readonly plan: PlanWorkspace;
  readonly tree: PlanTreeProvider;
  /** The runs, notebooks and previewer: reading one loads the runs bundle if nothing has yet. */
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
