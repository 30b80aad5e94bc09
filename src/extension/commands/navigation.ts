import * as vscode from 'vscode';
import { isAbsolute, join } from 'node:path';
import { Commands } from '../ids.js';
import type { RedactedLog } from '../output/redactedLog.js';
import type { PlanWorkspace } from '../planWorkspace.js';
import { registerCommand } from './registerCommand.js';

/** Commands that open the plan and the manifests at the right line. */
export function registerNavigationCommands(plan: PlanWorkspace, log: RedactedLog): vscode.Disposable[] {
  const loaded = () => {
    const state = plan.state;
    if (state.kind !== 'loaded') throw new Error(state.kind === 'missing' ? state.message : 'The DR plan is still loading.');
    return state;
  };
  const open = async (file: string, line = 1, column = 1): Promise<void> => {
    const position = new vscode.Position(Math.max(0, line - 1), Math.max(0, column - 1));
    await vscode.window.showTextDocument(vscode.Uri.file(file), {
      selection: new vscode.Range(position, position),
      preview: true,
    });
  };
  return [
    registerCommand(Commands.refresh, () => plan.reload(), log),
    registerCommand(Commands.openPlan, () => open(loaded().planFile), log),
    registerCommand(Commands.revealStep, (line: number) => open(loaded().planFile, line), log),
    registerCommand(
      Commands.openManifest,
      (file: string, line: number, column: number) => {
        const { root } = loaded();
        return open(isAbsolute(file) ? file : join(root, file), line, column);
      },
      log,
    ),
    registerCommand(Commands.showLog, () => log.show(true), log),
  ];
}
