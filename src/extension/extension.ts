import * as vscode from 'vscode';
import { registerNavigationCommands } from './commands/navigation.js';
import { Views } from './ids.js';
import { PlanWorkspace } from './planWorkspace.js';
import { PlanTreeProvider } from './tree/planTreeProvider.js';

/**
 * The composition root: builds the logger, the plan workspace and the views once, and hands
 * each its dependencies. Nothing here talks to a cluster: cluster code loads when first used.
 */
export function activate(context: vscode.ExtensionContext): DrRunbookApi {
  const log = vscode.window.createOutputChannel('DR Runbook', { log: true });
  const plan = new PlanWorkspace(log);
  const tree = new PlanTreeProvider(plan);
  const view = vscode.window.createTreeView(Views.plan, { treeDataProvider: tree, showCollapseAll: true });
  context.subscriptions.push(log, plan, tree, view, ...registerNavigationCommands(plan, log));
  void plan.reload();
  return { plan, tree };
}

/** What activate() returns: the live objects, for the in-host tests and for other extensions. */
export interface DrRunbookApi {
  readonly plan: PlanWorkspace;
  readonly tree: PlanTreeProvider;
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
