import * as vscode from 'vscode';
import type { ManifestCache } from '../../core/manifests/loadManifests.js';
import { secretPlaceholders } from '../../core/manifests/secretTemplate.js';
import { stepManifests } from '../../core/problems.js';
import type { Step } from '../../core/runbook/model.js';
import { Commands } from '../ids.js';
import { registerCommand } from './registerCommand.js';

const NAME = /^[A-Z][A-Z0-9_]*$/;

/** The key under which a Secret template value is kept in VS Code's secret storage. */
export function secretKey(name: string): string {
  return `drRunbook.secret.${name}`;
}

/**
 * The values of the `${NAME}` placeholders the Secret templates of these steps need, from the
 * environment or the secret storage; `what` names the steps in the extension's log (names only).
 */
export async function loadSecretValues(
  secrets: vscode.SecretStorage,
  root: string,
  steps: readonly Step[],
  manifests: ManifestCache,
  log: vscode.LogOutputChannel,
  what: string,
): Promise<Map<string, string>> {
  const names = new Set<string>();
  for (const step of steps.filter((s) => s.commands.some((c) => c.kind === 'apply'))) {
    for (const file of await stepManifests(root, step, manifests))
      for (const o of file.objects) secretPlaceholders(o.body).forEach((n) => names.add(n));
  }
  const values = new Map<string, string>();
  for (const name of names) {
    const value = process.env[name] ?? (await secrets.get(secretKey(name)));
    if (value) values.set(name, value);
  }
  log.info(
    `secrets for ${what}: ${[...names].map((n) => `${n} ${values.has(n) ? 'set' : 'missing'}`).join(', ') || 'none needed'}`,
  );
  return values;
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
