import * as vscode from 'vscode';
import type { BetweenSteps, RunUi } from '../../core/execution/scenarioRunner.js';
import type { LogsCommand, ScriptArgument, Step } from '../../core/runbook/model.js';
import type { Result } from '../../core/result.js';
import type { ClusterError } from '../../core/cluster/model.js';
import { INCIDENT_START_HINT, parseIncidentStart } from '../../core/run/incidentStart.js';
import { isRestoreCommand } from '../../core/execution/backupPreflight.js';
import { pickBackup } from './backupPicker.js';

/**
 * The questions a run asks, as VS Code dialogs. `pickFrom` is where the file picker for a path
 * placeholder opens (the backup directory when one is set). `follow` opens a log channel.
 */
export function vscodeRunUi(
  pickFrom: string,
  follow: (command: LogsCommand, namespace: string) => Promise<Result<string, ClusterError>>,
  preview?: (step: Step) => Thenable<unknown>,
): RunUi {
  return {
    async beforeStep(step: Step, index: number, total: number): Promise<BetweenSteps> {
      // An apply step offers its preview (the diff editor); the question is asked again after it.
      const previewable = preview !== undefined && step.commands.some((c) => c.kind === 'apply');
      for (;;) {
        const choice = await vscode.window.showInformationMessage(
          `Step ${step.number} (${index + 1} of ${total}): ${step.text}`,
          { modal: true, detail: step.commands.map((c) => c.text).join('\n') || 'A manual step.' },
          'Continue',
          'Skip',
          'Run the Rest Without Asking',
          ...(previewable ? ['Preview Changes'] : []),
        );
        if (choice === 'Preview Changes') {
          await preview?.(step);
          continue;
        }
        return choice === 'Continue'
          ? 'continue'
          : choice === 'Skip'
            ? 'skip'
            : choice === 'Run the Rest Without Asking'
              ? 'rest'
              : 'stop';
      }
    },
    async acceptWarnings(warnings: readonly string[]): Promise<boolean> {
      const choice = await vscode.window.showWarningMessage(
        warnings.length === 1 ? 'The preflight has a warning.' : `The preflight has ${warnings.length} warnings.`,
        { modal: true, detail: warnings.map((w) => `⚠ ${w}`).join('\n\n') },
        'Continue Anyway',
      );
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
        const restore = step.commands.some((c) => isRestoreCommand(c) && c.kind === 'script' && c.args.includes(argument));
        if (restore) return pickBackup(title, pickFrom);
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
      const choice = await vscode.window.showWarningMessage(
        'DR Runbook does not know this command. Run it in a shell in the project folder?',
        { modal: true, detail: command },
        'Run',
      );
      return choice === 'Run';
    },
    async confirmRollback(description: string, undoesRollback: boolean): Promise<boolean> {
      if (!undoesRollback) {
        const choice = await vscode.window.showWarningMessage('Roll back?', { modal: true, detail: description }, 'Roll Back');
        return choice === 'Roll Back';
      }
      // The first button of a modal dialog is its default: here it changes nothing.
      const keep = { title: 'Keep What Runs' };
      const again = { title: 'Roll Back Again' };
      const choice = await vscode.window.showWarningMessage(
        'Undo the rollback?',
        { modal: true, detail: description },
        keep,
        again,
      );
      return choice === again;
    },
    async manualStep(step: Step, facts: readonly string[]): Promise<'done' | 'skip' | 'stop'> {
      const choice = await vscode.window.showInformationMessage(
        `Step ${step.number}: ${step.text}`,
        { modal: true, detail: facts.length ? facts.join('\n') : 'Tick it when it is done.' },
        'Mark Done',
        'Skip',
      );
      return choice === 'Mark Done' ? 'done' : choice === 'Skip' ? 'skip' : 'stop';
    },
    followLogs: follow,
  };
}

/** A RunUi that answers from a script: for the in-host tests, through the extension's API. */
export function scriptedRunUi(base: RunUi, answers: Partial<RunUi>): RunUi {
  return { ...base, ...answers };
}

/** Asks when the incident started (Enter: now); undefined when the person dismisses the question. */
export async function askIncidentStart(): Promise<Date | undefined> {
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
