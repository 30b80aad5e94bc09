import type * as vscode from 'vscode';
import type { ClusterError } from '../../core/cluster/model.js';
import type { ClusterPort } from '../../core/cluster/port.js';
import type { ManifestCache } from '../../core/manifests/loadManifests.js';
import { projectPath } from '../../core/paths.js';
import type { Result } from '../../core/result.js';
import { createRedactor, type Redactor } from '../../core/run/redact.js';
import type { RunState } from '../../core/run/runModel.js';
import { restoreTarget } from '../../core/run/runRecord.js';
import type { ScenarioRequest } from '../../core/run/runSession.js';
import type { Runbook, Scenario } from '../../core/runbook/model.js';
import { readConfig } from '../config.js';
import type { ClusterContext } from './clusterContext.js';
import { adapters } from './lazyAdapters.js';
import { loadSecretValues } from '../commands/secretCommands.js';

/** What log channels follow with: the run's cluster (no signal: a channel stops on its own) and its redactor. */
export interface Following {
  readonly cluster: Result<ClusterPort, ClusterError>;
  readonly redact: Redactor;
}

/**
 * A run's request from VS Code's side: the settings, the secret values (environment or secret
 * storage), the context shown in the status bar, and a cluster connected per session.
 */
export async function runRequest(
  plan: { readonly root: string; readonly runbook: Runbook; readonly planFile: string },
  scenario: Scenario,
  context: ClusterContext,
  deps: {
    readonly secrets: vscode.SecretStorage;
    readonly log: vscode.LogOutputChannel;
    readonly manifests: ManifestCache;
    readonly output: (text: string) => void;
    readonly onState: (state: RunState) => void;
  },
): Promise<{ request: ScenarioRequest; follow: Following }> {
  const { root, runbook, planFile } = plan;
  const config = readConfig(runbook);
  const secrets = await loadSecretValues(deps.secrets, root, scenario.steps, deps.manifests, deps.log, `"${scenario.title}"`);
  const redact = createRedactor([...secrets.values()]);
  const { contextName, production, cluster } = context.show(runbook);
  const request: ScenarioRequest = {
    runbook,
    scenario,
    planFile: projectPath(root, planFile),
    ...(config.backupDirectory ? { backupDirectory: config.backupDirectory } : {}),
    targets: {
      context: contextName,
      namespace: config.namespace,
      production,
      database: restoreTarget(process.env),
      ...(cluster.ok ? {} : { problem: cluster.error.message }),
    },
    env: {
      root,
      namespace: config.namespace,
      // Connected per session with its signal, so Cancel aborts the requests in flight.
      cluster: (signal) => context.connect(config, signal),
      processes: new (adapters().ExecaRunner)(),
      secret: (name) => process.env[name] ?? secrets.get(name),
      production,
      readinessTimeoutMs: config.readinessTimeoutMs,
      manifests: deps.manifests,
    },
    output: deps.output,
    redact,
    onState: deps.onState,
  };
  return { request, follow: { cluster, redact } };
}
