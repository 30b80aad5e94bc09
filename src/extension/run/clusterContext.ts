import * as vscode from 'vscode';
import type { ClusterError } from '../../core/cluster/model.js';
import type { ClusterPort } from '../../core/cluster/port.js';
import { err, ok, type Result } from '../../core/result.js';
import { resolve } from 'node:path';
import type { KubectlTarget, Runbook } from '../../core/runbook/model.js';
import { isProductionContext } from '../../core/production.js';
import { readConfig, type Config } from '../config.js';
import { Commands } from '../ids.js';
import type * as Adapters from '../../adapters/bundle.js';

export interface ContextShown {
  readonly contextName: string;
  readonly production: boolean;
  /** Connected without a signal: for log channels, which stop on their own. */
  readonly cluster: Result<ClusterPort, ClusterError>;
}

/**
 * The kubeconfig context the runs act on, in the status bar (red when it looks like production;
 * a click picks another). Once shown, it follows the settings. Nothing here contacts the cluster.
 */
export class ClusterContext implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('drRunbook.run', vscode.StatusBarAlignment.Left, 50);
  private shown: { runbook: Runbook | undefined; adapters: typeof Adapters } | undefined;
  private readonly listener = vscode.workspace.onDidChangeConfiguration((e) => {
    if (e.affectsConfiguration('drRunbook') && this.shown) this.show(this.shown.runbook, this.shown.adapters);
  });

  constructor() {
    this.item.command = Commands.pickContext;
  }

  /** A port on the configured context (adapters from the trust gate); every request it sends aborts with `signal`. */
  connect(
    adapters: typeof Adapters,
    config: Config,
    signal?: AbortSignal,
    own?: { root: string; target: KubectlTarget },
  ): Result<ClusterPort, ClusterError> {
    const context = own?.target.context ?? (config.context || undefined);
    const kubeconfig = own?.target.kubeconfig;
    const connected = adapters.connectCluster({
      ...(context !== undefined ? { context } : {}),
      ...(kubeconfig !== undefined && own ? { kubeconfigPath: resolve(own.root, kubeconfig) } : {}),
      namespace: config.namespace,
      ...(signal ? { signal } : {}),
    });
    return connected.ok ? ok(connected.value) : err(connected.error);
  }

  /** Reads the settings and the kubeconfig again and shows the context. */
  show(runbook: Runbook | undefined, adapters: typeof Adapters): ContextShown {
    const config = readConfig(runbook);
    const cluster = this.connect(adapters, config);
    const contextName = cluster.ok ? cluster.value.context : config.context || '(no context)';
    const production = isProductionContext(contextName, config.productionPatterns);
    this.item.text = `$(server-environment) ${contextName}`;
    const acts = production ? `DR Runbook acts on ${contextName}: a PRODUCTION context` : `DR Runbook acts on ${contextName}`;
    this.item.tooltip = `${acts}. Click to pick another context.`;
    this.item.backgroundColor = production ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    this.item.show();
    this.shown = { runbook, adapters };
    return { contextName, production, cluster };
  }

  dispose(): void {
    this.listener.dispose();
    this.item.dispose();
  }
}
