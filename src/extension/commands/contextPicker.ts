import * as vscode from 'vscode';
import { formatClusterError } from '../../core/cluster/model.js';
import { isProductionContext } from '../../core/production.js';
import { readConfig } from '../config.js';
import { Commands, Settings } from '../ids.js';
import type { RedactedLog } from '../output/redactedLog.js';
import { trustedAdapters } from '../trust.js';
import { registerCommand } from './registerCommand.js';

/**
 * "Pick Cluster Context" (the palette, the walkthrough, the context in the status bar): the
 * contexts of the kubeconfig kubectl would use, each marked when it matches a production pattern,
 * and the choice saved in drRunbook.cluster.context. Reads the kubeconfig; contacts no cluster.
 */
export function registerContextPicker(log: RedactedLog): vscode.Disposable[] {
  return [
    registerCommand(
      Commands.pickContext,
      async (): Promise<string | undefined> => {
        const gate = trustedAdapters();
        if (!gate.ok) throw new Error(gate.error);
        const listed = gate.value.listContexts();
        if (!listed.ok) throw new Error(formatClusterError(listed.error));
        const { where, current, contexts } = listed.value;
        const config = readConfig();
        if (contexts.length === 0) throw new Error(`The kubeconfig ${where} has no contexts.`);
        type Item = vscode.QuickPickItem & { readonly context: string };
        const items: Item[] = [
          {
            label: '$(debug-restart) The kubeconfig’s current context',
            description: current || '(none)',
            detail: 'Follows the kubeconfig, as kubectl does',
            context: '',
            ...(config.context === '' ? { picked: true } : {}),
          },
          ...contexts.map((c) => {
            const production = isProductionContext(c.name, config.productionPatterns);
            return {
              label: `${production ? '$(warning)' : '$(server-environment)'} ${c.name}`,
              description: [
                production ? 'PRODUCTION' : '',
                c.name === current ? 'current' : '',
                c.name === config.context ? 'chosen' : '',
              ]
                .filter(Boolean)
                .join(' · '),
              detail: `cluster ${c.cluster}${c.namespace ? `, namespace ${c.namespace}` : ''}`,
              context: c.name,
            };
          }),
        ];
        const picked = await vscode.window.showQuickPick(items, {
          title: 'DR Runbook: Pick Cluster Context',
          placeHolder: `The context DR Runbook acts on (from ${where})`,
          matchOnDescription: true,
        });
        if (!picked) return undefined;
        const target = vscode.workspace.workspaceFolders?.length
          ? vscode.ConfigurationTarget.Workspace
          : vscode.ConfigurationTarget.Global;
        await vscode.workspace.getConfiguration().update(Settings.context, picked.context, target);
        const name = picked.context || current;
        log.info(`cluster context: ${picked.context || `the kubeconfig's current (${current})`}`);
        const production = isProductionContext(name, config.productionPatterns);
        void vscode.window.showInformationMessage(
          `DR Runbook acts on the context "${name}"${production ? ': a PRODUCTION context' : ''}.`,
        );
        return picked.context;
      },
      log,
    ),
  ];
}
