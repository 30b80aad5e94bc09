import type * as Adapters from '../../adapters/bundle.js';
import type { ClusterError, ObjectRef } from '../../core/cluster/model.js';
import type { ClusterPort } from '../../core/cluster/port.js';
import type { ManifestCache } from '../../core/manifests/loadManifests.js';
import { projectPath } from '../../core/paths.js';
import type { Result } from '../../core/result.js';
import type { Redactor } from '../../core/secrets/redaction.js';
import type { RunState } from '../../core/run/runModel.js';
import { restoreTarget } from '../../core/run/runRecord.js';
import type { ScenarioRequest } from '../../core/run/runSession.js';
import type { KubectlTarget, LogsCommand, Runbook, Scenario } from '../../core/runbook/model.js';
import type { FollowTarget } from '../../core/cluster/logs.js';
import { isProductionContext } from '../../core/production.js';
import { readConfig } from '../config.js';
import type { ClusterContext } from './clusterContext.js';
import type { RedactedLog } from '../output/redactedLog.js';
import type { SecretSource } from '../secretSource.js';

/** What log channels follow with: the run's cluster (no signal: a channel stops on its own). */
export interface Following {
  readonly cluster: Result<ClusterPort, ClusterError>;
  /** A command's own `--context` / `--kubeconfig`. */
  readonly connect: (target: KubectlTarget) => Result<ClusterPort, ClusterError>;
}

/**
 * A run's request from VS Code's side: the settings, the secret values (the one source: environment,
 * then secret storage), the context shown in the status bar, and a cluster connected per session
 * through the adapters the trust gate handed out.
 */
export async function runRequest(
  plan: { readonly root: string; readonly runbook: Runbook; readonly planFile: string },
  scenario: Scenario,
  context: ClusterContext,
  deps: {
    readonly adapters: typeof Adapters;
    readonly secrets: SecretSource;
    readonly log: RedactedLog;
    readonly manifests: ManifestCache;
    readonly output: (text: string) => void;
    readonly onState: (state: RunState) => void;
  },
): Promise<{ request: ScenarioRequest; follow: Following }> {
  const { root, runbook, planFile } = plan;
  const config = readConfig(runbook);
  const secrets = await deps.secrets.load();
  const redact: Redactor = deps.log.redaction.text;
  const { contextName, production, cluster } = context.show(runbook, deps.adapters);
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
      ...(cluster.ok ? { server: cluster.value.server } : { problem: cluster.error.message }),
    },
    env: {
      root,
      namespace: config.namespace,
      // Connected per session with its signal, so Cancel aborts the requests in flight.
      // A command's own --context / --kubeconfig: its own cluster, judged as production by its own name.
      cluster: (signal, target) => context.connect(deps.adapters, config, signal, target ? { root, target } : undefined),
      isProduction: (name) => isProductionContext(name, config.productionPatterns),
      processes: new deps.adapters.ExecaRunner(),
      secrets,
      production,
      readinessTimeoutMs: config.readinessTimeoutMs,
      manifests: deps.manifests,
    },
    output: deps.output,
    redact,
    onState: deps.onState,
  };
  return {
    request,
    follow: { cluster, connect: (target) => context.connect(deps.adapters, config, undefined, { root, target }) },
  };
}

/** The workload (or pod selector) a followed `kubectl logs -f` names. */
export function followedRef(command: LogsCommand, namespace: string): ObjectRef | FollowTarget {
  if (command.resource === 'selector') return { namespace, selector: command.name, name: `${namespace}/${command.name}` };
  const kinds: Record<string, { apiVersion: string; kind: string }> = {
    deployment: { apiVersion: 'apps/v1', kind: 'Deployment' },
    statefulset: { apiVersion: 'apps/v1', kind: 'StatefulSet' },
    daemonset: { apiVersion: 'apps/v1', kind: 'DaemonSet' },
    job: { apiVersion: 'batch/v1', kind: 'Job' },
  };
  return { ...(kinds[command.resource] ?? kinds['deployment']!), name: command.name, namespace };
}
