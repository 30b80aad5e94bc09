import * as vscode from 'vscode';
import { Commands } from '../ids.js';
import type { RedactedLog } from '../output/redactedLog.js';

/**
 * Registers a command whose failures are logged and shown with a "Show Log" action, instead of
 * disappearing into the developer console; both through the redaction pipeline.
 */
export function registerCommand<A extends unknown[]>(
  id: string,
  handler: (...args: A) => unknown,
  log: RedactedLog,
): vscode.Disposable {
  return vscode.commands.registerCommand(id, async (...args: A) => {
    try {
      return await handler(...args);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      log.error(`${id} failed: ${e instanceof Error && e.stack ? e.stack : message}`);
      const choice = await log.showMessage('error', `DR Runbook: ${message}`, {}, 'Show Log');
      if (choice === 'Show Log') await vscode.commands.executeCommand(Commands.showLog);
      return undefined;
    }
  });
}
