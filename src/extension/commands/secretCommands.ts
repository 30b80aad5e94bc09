import * as vscode from 'vscode';
import { Commands } from '../ids.js';
import { registerCommand } from './registerCommand.js';

const NAME = /^[A-Z][A-Z0-9_]*$/;

/** The key under which a Secret template value is kept in VS Code's secret storage. */
export function secretKey(name: string): string {
  return `drRunbook.secret.${name}`;
}

/**
 * "Set Secret": stores a value for a `${NAME}` of k8s/security/secrets.yaml in VS Code's secret
 * storage (never in settings or files); an empty value removes it.
 */
export function registerSecretCommands(secrets: vscode.SecretStorage, log: vscode.LogOutputChannel): vscode.Disposable[] {
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
        });
        if (value === undefined) return;
        if (value === '') await secrets.delete(secretKey(name));
        else await secrets.store(secretKey(name), value);
        log.info(`secret ${name} ${value === '' ? 'removed' : 'stored'}`);
        void vscode.window.showInformationMessage(
          `DR Runbook: ${name} ${value === '' ? 'removed' : 'stored in the secret storage'}.`,
        );
      },
      log,
    ),
  ];
}
