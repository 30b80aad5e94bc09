import * as vscode from 'vscode';
import { secretValueProblem } from '../../core/secrets/redaction.js';
import { Commands } from '../ids.js';
import type { RedactedLog } from '../output/redactedLog.js';
import type { SecretSource } from '../secretSource.js';
import { registerCommand } from './registerCommand.js';

const NAME = /^[A-Z][A-Z0-9_]*$/;

/**
 * "Set Secret": stores a value for a `${NAME}` of k8s/security/secrets.yaml (or any variable a
 * script step needs, such as PGPASSWORD) in VS Code's secret storage, never in settings or files;
 * an empty value removes it. A value too short to be masked in output is refused, with the reason.
 */
export function registerSecretCommands(secrets: SecretSource, log: RedactedLog): vscode.Disposable[] {
  return [
    registerCommand(
      Commands.setSecret,
      async (preset?: string) => {
        const name =
          typeof preset === 'string' && NAME.test(preset)
            ? preset
            : await vscode.window.showInputBox({
                title: 'DR Runbook: Set Secret',
                prompt: 'The name of the value in k8s/security/secrets.yaml, e.g. POSTGRES_PASSWORD',
                ignoreFocusOut: true,
                validateInput: (v) => (NAME.test(v) ? undefined : 'Upper-case letters, digits and _, starting with a letter.'),
              });
        if (!name) return;
        const value = await vscode.window.showInputBox({
          title: `DR Runbook: value of ${name}`,
          prompt: 'Kept in VS Code’s secret storage; leave empty to remove it.',
          password: true,
          ignoreFocusOut: true,
          validateInput: (v) => {
            const problem = v === '' ? undefined : secretValueProblem(v);
            return problem && `Refused: ${problem}`;
          },
        });
        if (value === undefined) return;
        const stored = await secrets.store(name, value);
        if (!stored.ok) void log.showMessage('error', `DR Runbook: ${stored.error}`);
        else void log.showMessage('info', `DR Runbook: ${name} ${value === '' ? 'removed' : 'stored in the secret storage'}.`);
      },
      log,
    ),
  ];
}
