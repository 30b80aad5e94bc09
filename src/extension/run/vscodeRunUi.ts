import * as vscode from 'vscode';
import type { BetweenSteps, StepPlace } from '../../core/execution/scenarioRunner.js';
import type { LogsCommand, ScriptArgument, Scenario, Step } from '../../core/runbook/model.js';
import type { Result } from '../../core/result.js';
import type { ClusterError } from '../../core/cluster/model.js';
import { INCIDENT_START_HINT, parseIncidentStart } from '../../core/run/incidentStart.js';
import type { RunTargets } from '../../core/run/runRecord.js';
import type { SessionUi } from '../../core/run/runSession.js';
import { isBackupArgument } from '../../core/execution/backupPreflight.js';
import { Commands } from '../ids.js';
import { pickBackup } from './backupPicker.js';

/** Where a question waits when its notification was closed: the status bar, until answered. */
export class WaitingQuestion implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('drRunbook.question', vscode.StatusBarAlignment.Left, 51);
  private reopen: (() => void) | undefined;

  constructor() {
    this.item.command = Commands.showRunQuestion;
    this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
  }

  /** The status bar item's command: the question again, or the notification center that holds it. */
  async show(): Promise<void> {
    if (this.reopen) this.reopen();
    else await vscode.commands.executeCommand('notifications.showList');
  }

  /**
   * Asks in a notification, never a modal: the editor, terminal and palette stay usable, and no
   * button is the default. Closing the notification leaves the question waiting in the status bar.
   */
  async ask<T extends string>(
    message: string,
    buttons: readonly T[],
    warning: boolean,
    signal: AbortSignal,
  ): Promise<T | undefined> {
    this.item.text = `$(bell-dot) DR Runbook: ${message.slice(0, 60)}${message.length > 60 ? '…' : ''}`;
    this.item.tooltip = `${message}\n\nClick to answer.`;
    this.item.show();
    try {
      for (;;) {
        if (signal.aborted) return undefined;
        const shown = warning
          ? vscode.window.showWarningMessage(message, ...buttons)
          : vscode.window.showInformationMessage(message, ...buttons);
        const closed = await Promise.race([shown, aborted(signal)]);
        if (closed !== undefined || signal.aborted) return closed;
        await Promise.race([new Promise<void>((resolve) => (this.reopen = resolve)), aborted(signal)]);
        this.reopen = undefined;
      }
    } finally {
      this.reopen = undefined;
      this.item.hide();
    }
  }

  dispose(): void {
    this.item.dispose();
  }
}

function aborted(signal: AbortSignal): Promise<undefined> {
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(undefined), { once: true }));
}

/**
 * The questions of a run, in VS Code, without modals. `pickFrom` is where the file picker for a
 * path placeholder opens; `follow` opens a log channel; `show` writes to the run's output channel.
 */
export function vscodeRunUi(
  question: WaitingQuestion,
  signal: AbortSignal,
  pickFrom: string,
  show: (text: string) => void,
  follow: (command: LogsCommand, namespace: string) => Promise<Result<string, ClusterError>>,
  preview?: (step: Step) => Thenable<unknown>,
): SessionUi {
  const ask = <T extends string>(message: string, buttons: readonly T[], warning = false) =>
    question.ask(message, buttons, warning, signal);
  return {
    async beforeStep(step: Step, place: StepPlace): Promise<BetweenSteps> {
      const where = `Step ${step.number} (${place.index + 1} of ${place.total})`;
      if (place.destructive) {
        const targets = place.targets.length ? ` It acts on: ${place.targets.join('; ')}.` : '';
        // A warning with no default button: Enter typed elsewhere cannot answer it.
        const choice = await ask(
          `${where} changes or replaces what runs: ${/[.!?]$/.test(step.text) ? step.text : `${step.text}.`}${targets}`,
          ['Continue', 'Skip', 'Stop'],
          true,
        );
        return choice === 'Continue' ? 'continue' : choice === 'Skip' ? 'skip' : 'stop';
      }
      // An apply step offers its preview (the diff editor); the question is asked again after it.
      const previewable = preview !== undefined && step.commands.some((c) => c.kind === 'apply');
      const buttons = ['Continue', 'Skip', 'Run the Rest Without Asking', 'Stop', ...(previewable ? ['Preview Changes'] : [])];
      for (;;) {
        const choice = await ask(`${where}: ${step.text}`, buttons);
        if (choice === 'Preview Changes') {
          await preview?.(step);
          continue;
        }
        const answers: Record<string, BetweenSteps> = {
          Continue: 'continue',
          Skip: 'skip',
          'Run the Rest Without Asking': 'rest',
        };
        return (choice === undefined ? undefined : answers[choice]) ?? 'stop';
      }
    },
    async acceptWarnings(warnings: readonly string[]): Promise<boolean> {
      for (const w of warnings) show(`⚠ ${w}\n`);
      const choice = await ask(`The preflight warns: ${warnings.join(' ')}`, ['Continue Anyway', 'Stop'], true);
      return choice === 'Continue Anyway';
    },
    async confirmDestructive(action: string, namespace: string): Promise<boolean> {
      const typed = await vscode.window.showInputBox({
        title: `Production context: ${action}`,
        prompt: `Type the namespace name "${namespace}" to confirm.`,
        ignoreFocusOut: true,
        validateInput: (v) => (v === '' || v === namespace ? undefined : `That is not "${namespace}".`),
      });
      return typed === namespace;
    },
    async fillPlaceholder(argument: ScriptArgument, step: Step): Promise<string | undefined> {
      if (/(^|\/)path\/to\//.test(argument.value)) {
        const title = `Step ${step.number}: choose ${argument.value}`;
        if (isBackupArgument(argument, step)) return pickBackup(title, pickFrom);
        const picked = await vscode.window.showOpenDialog({
          title,
          defaultUri: vscode.Uri.file(pickFrom),
          canSelectMany: false,
          openLabel: 'Use This File',
        });
        return picked?.[0]?.fsPath;
      }
      return vscode.window.showInputBox({
        title: `Step ${step.number}`,
        prompt: `Value for ${argument.value}`,
        ignoreFocusOut: true,
      });
    },
    async confirmOther(command: string): Promise<boolean> {
      const choice = await ask(
        `DR Runbook does not know this command. Run it in a shell in the project folder? ${command}`,
        ['Run', 'Skip'],
        true,
      );
      return choice === 'Run';
    },
    async confirmRollback(description: string, undoesRollback: boolean): Promise<boolean> {
      show(`${description}\n`);
      // A second run of the step would undo the rollback just made: asked as that, nothing by default.
      if (undoesRollback)
        return (
          (await ask(`Undo the rollback? ${description}`, ['Keep What Runs', 'Roll Back Again'], true)) === 'Roll Back Again'
        );
      return (await ask(`Roll back? ${description}`, ['Roll Back', 'Skip'], true)) === 'Roll Back';
    },
    async manualStep(step: Step, facts: readonly string[]): Promise<'done' | 'skip' | 'stop'> {
      for (const f of facts) show(`fact: ${f}\n`);
      const more = facts.length ? ' The facts that help are in the output.' : '';
      const choice = await ask(
        `Step ${step.number}: ${step.text} (by hand: the editor and terminal are yours meanwhile)${more}`,
        ['Mark Done', 'Skip', 'Stop'],
      );
      return choice === 'Mark Done' ? 'done' : choice === 'Skip' ? 'skip' : 'stop';
    },
    followLogs: follow,
    async confirmRun(scenario: Scenario, targets: RunTargets): Promise<boolean> {
      const problem = targets.problem ? ` (✖ ${targets.problem})` : '';
      const where = `context "${targets.context}"${targets.production ? ' (PRODUCTION)' : ''}${problem}, namespace ${targets.namespace}`;
      const choice = await ask(
        `Run "${scenario.title}" (${scenario.steps.length} steps) on ${where}?`,
        ['Run', 'Cancel'],
        targets.production,
      );
      return choice === 'Run';
    },
    incidentStart: askIncidentStart,
    async continueRun(run, step) {
      const title = run.scenarioTitle ?? run.scenarioId;
      const how = run.status === 'stopped' ? `stopped (${run.cancelReason ?? 'stopped'})` : 'was interrupted by a reload';
      const choice = await ask(
        `The run of "${title}" ${how} at step ${step}. Continue it there, in the same record and report?`,
        ['Continue', 'Start a New Run'],
      );
      return choice === 'Continue' ? 'continue' : choice === 'Start a New Run' ? 'new' : undefined;
    },
  };
}

/** Asks when the incident started (Enter: now); undefined when the person dismisses the question. */
async function askIncidentStart(): Promise<Date | undefined> {
  const answer = await vscode.window.showInputBox({
    title: 'DR Runbook: when did the incident start?',
    prompt: `The RTO clock and the RPO evidence count from it. ${INCIDENT_START_HINT}.`,
    placeHolder: 'now',
    ignoreFocusOut: true,
    validateInput: (v) => {
      const parsed = parseIncidentStart(v, new Date());
      return parsed.ok ? undefined : parsed.error;
    },
  });
  if (answer === undefined) return undefined;
  const parsed = parseIncidentStart(answer, new Date());
  return parsed.ok ? parsed.value : undefined;
}

/** "Run DR Scenario" without a scenario: which one, with its step count. */
export async function pickScenario(scenarios: readonly Scenario[]): Promise<Scenario | undefined> {
  const items = scenarios.map((s) => ({
    label: s.title,
    description: `${s.steps.length} steps${s.kind === 'drill' ? ' · drill' : ''}`,
    scenario: s,
  }));
  return (await vscode.window.showQuickPick(items, { title: 'Run DR Scenario', placeHolder: 'Which scenario?' }))?.scenario;
}
