import * as vscode from 'vscode';
import { stepManifests } from '../../core/problems.js';
import { childNodes, parentNode, planRow, scenarioNodes, type PlanNode } from '../../core/runbook/planTree.js';
import { Commands } from '../ids.js';
import type { PlanWorkspace } from '../planWorkspace.js';

/** Maps the core plan tree to VS Code tree items; holds no model of its own. */
export class PlanTreeProvider implements vscode.TreeDataProvider<PlanNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<PlanNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly plan: PlanWorkspace) {
    this.subscription = plan.onDidChange(() => this.changed.fire(undefined));
  }

  getTreeItem(node: PlanNode): vscode.TreeItem {
    const row = planRow(node);
    const item = new vscode.TreeItem(
      row.label,
      row.collapsible ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
    );
    item.id = row.id;
    item.description = row.description;
    item.tooltip = row.tooltip;
    item.iconPath = new vscode.ThemeIcon(row.icon);
    item.contextValue = row.contextValue;
    // A scenario row expands on click; the other rows open their source.
    if (node.type !== 'scenario') {
      const target = row.target;
      item.command =
        target.in === 'plan'
          ? { command: Commands.revealStep, title: 'Show in Plan', arguments: [target.line] }
          : { command: Commands.openManifest, title: 'Open Manifest', arguments: [target.file, target.line, target.column] };
    }
    return item;
  }

  async getChildren(node?: PlanNode): Promise<PlanNode[]> {
    const state = this.plan.state;
    if (state.kind !== 'loaded') return [];
    if (!node) return scenarioNodes(state.runbook);
    return childNodes(node, (step) => stepManifests(state.root, step, this.plan.manifests));
  }

  getParent(node: PlanNode): PlanNode | undefined {
    return parentNode(node);
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
