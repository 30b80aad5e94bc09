import type * as vscode from 'vscode';
import type { ManifestCache } from '../../core/manifests/loadManifests.js';
import { secretPlaceholders } from '../../core/manifests/secretTemplate.js';
import { stepManifests } from '../../core/problems.js';
import type { Step } from '../../core/runbook/model.js';
import { secretKey } from '../commands/secretCommands.js';

/**
 * The values of the `${NAME}` placeholders of these steps' Secret templates, from the environment
 * or the secret storage; `what` names the steps in the extension's log (names only, never values).
 */
export async function secretValues(
  root: string,
  steps: readonly Step[],
  what: string,
  manifests: ManifestCache | undefined,
  secrets: vscode.SecretStorage,
  log: vscode.LogOutputChannel,
): Promise<Map<string, string>> {
  const names = new Set<string>();
  for (const step of steps.filter((s) => s.kind === 'apply'))
    for (const file of await stepManifests(root, step, manifests))
      for (const o of file.objects) secretPlaceholders(o.body).forEach((n) => names.add(n));
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
