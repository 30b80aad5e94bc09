// The runs as one bundle (dist/runs.cjs): the run controller, the notebook controller and
// serializer, the step previewer and the commands that use them. Activation loads only what the
// tree needs; src/extension/runs/lazyRuns.ts loads this on first use (a command, a notebook
// opened, a run to offer for continuing).
import type * as vscode from 'vscode';
import type { StepStates } from '../../core/execution/stepStates.js';
import type { RunState } from '../../core/run/runModel.js';
import { registerStepCommands } from '../commands/stepCommands.js';
import { registerCommand } from '../commands/registerCommand.js';
import { Commands } from '../ids.js';
import { registerNotebookCommands } from '../notebook/notebookCommands.js';
import { RunbookController } from '../notebook/runbookController.js';
import { RunbookSerializer } from '../notebook/runbookSerializer.js';
import { registerStepTicks } from '../notebook/stepTicks.js';
import type { RedactedLog } from '../output/redactedLog.js';
import type { PlanWorkspace } from '../planWorkspace.js';
import { registerPreviewCommand, StepPreviewer } from '../preview/stepPreviewer.js';
import { RunController } from '../run/runController.js';
import type { SecretSource } from '../secretSource.js';

/** What the runs are built from: the objects activation made. */
export interface RunsDeps {
  readonly plan: PlanWorkspace;
  readonly secrets: SecretSource;
  readonly log: RedactedLog;
  readonly states: StepStates;
  /** The runs recorded in .dr-runs/ (for the RTO forecast). */
  readonly pastRuns: () => readonly RunState[];
}

export interface Runs {
  dispose(): Promise<void>;
  readonly runs: RunController;
  readonly notebooks: RunbookController;
  readonly previewer: StepPreviewer;
  readonly serializer: vscode.NotebookSerializer;
}

export function createRuns({ plan, secrets, log, states, pastRuns }: RunsDeps): Runs {
  const runs = new RunController(plan, secrets, log, states, pastRuns);
  const notebooks = new RunbookController(plan, runs, log);
  const previewer = new StepPreviewer(plan, secrets, log);
  const registrations: vscode.Disposable[] = [
    ...registerStepCommands(runs, log),
    ...registerNotebookCommands(plan, log),
    ...registerStepTicks(log),
    registerPreviewCommand(previewer, plan, log),
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
  ];
  return {
    runs,
    notebooks,
    previewer,
    serializer: new RunbookSerializer(log.redaction.text),
    /** Ends a run under way and waits for it to let its lock go. */
    async dispose() {
      for (const r of registrations) r.dispose();
      previewer.dispose();
      notebooks.dispose();
      await runs.dispose();
    },
  };
}
