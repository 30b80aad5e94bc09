import * as vscode from 'vscode';
import { secretPlaceholders } from '../core/manifests/secretTemplate.js';
import { err, ok, type Result } from '../core/result.js';
import { secretValueProblem } from '../core/secrets/redaction.js';
import { planCore } from './planCore.js';
import type { RedactedLog } from './output/redactedLog.js';
import type { PlanWorkspace } from './planWorkspace.js';

const KEY_PREFIX = 'drRunbook.secret.';

/** The key under which a secret value is kept in VS Code's secret storage. */
export function secretKey(name: string): string {
  return `${KEY_PREFIX}${name}`;
}

/**
 * The one source of secret values: for each name (every `${NAME}` of the plan's Secret templates,
 * and every name stored with "DR Runbook: Set Secret"), the environment's value, else the secret
 * storage's. The same values fill the Secret templates, make up the environment of script steps,
 * and teach the redaction pipeline what to mask; it learns them at activation and whenever the
 * plan or the storage changes, so a notebook saved before any run is masked too. A value too
 * short to mask is refused (left out), and the person is told why.
 */
export class SecretSource implements vscode.Disposable {
  private readonly subscriptions: vscode.Disposable[];
  private lastRefusal = '';

  constructor(
    private readonly storage: vscode.SecretStorage,
    private readonly plan: PlanWorkspace,
    private readonly log: RedactedLog,
  ) {
    const reload = (): void => {
      this.load().then(undefined, (e: unknown) => this.log.error(`secret values could not be loaded: ${String(e)}`));
    };
    this.subscriptions = [storage.onDidChange(reload), plan.onDidChange(reload)];
  }

  /** Keeps `value` for `name` in the secret storage ('' removes it); a value too short to mask is refused, with the reason. */
  async store(name: string, value: string): Promise<Result<void, string>> {
    const problem = value === '' ? undefined : secretValueProblem(value);
    if (problem) return err(`${name} was not stored: ${problem}`);
    if (value === '') await this.storage.delete(secretKey(name));
    else {
      this.log.redaction.add([value]);
      await this.storage.store(secretKey(name), value);
    }
    this.log.info(`secret ${name} ${value === '' ? 'removed' : 'stored'}`);
    return ok(undefined);
  }

  /** The secret values by name, each one known to the redaction pipeline. */
  async load(): Promise<ReadonlyMap<string, string>> {
    const names = await this.names();
    const values = new Map<string, string>();
    const refused: string[] = [];
    for (const name of names) {
      const fromEnvironment = process.env[name];
      const value = fromEnvironment || (await this.storage.get(secretKey(name)));
      if (!value) continue;
      const problem = secretValueProblem(value);
      if (problem) refused.push(`${name} (from ${fromEnvironment ? 'the environment' : 'the secret storage'}): ${problem}`);
      else values.set(name, value);
    }
    this.log.redaction.add(values.values());
    this.log.info(
      `secret values: ${[...names].map((n) => `${n} ${values.has(n) ? 'set' : refused.some((r) => r.startsWith(`${n} `)) ? 'refused' : 'missing'}`).join(', ') || 'none needed'}`,
    );
    const refusal = refused.join('; ');
    if (refusal !== this.lastRefusal && refusal !== '') {
      this.log.warn(`refused secret values: ${refusal}`);
      void this.log.showMessage('warning', `DR Runbook does not use ${refusal}`);
    }
    this.lastRefusal = refusal;
    return values;
  }

  private async names(): Promise<Set<string>> {
    const names = new Set<string>();
    const state = this.plan.state;
    if (state.kind === 'loaded') {
      for (const step of state.runbook.scenarios.flatMap((s) => s.steps).filter((s) => s.kind === 'apply'))
        for (const file of await planCore().stepManifests(state.root, step, this.plan.manifests))
          for (const o of file.objects) secretPlaceholders(o.body).forEach((n) => names.add(n));
    }
    for (const key of await this.storage.keys()) if (key.startsWith(KEY_PREFIX)) names.add(key.slice(KEY_PREFIX.length));
    return names;
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }
}
