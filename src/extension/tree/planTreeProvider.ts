import * as vscode from 'vscode';
import type { PlanNode } from '../../core/runbook/planTree.js';
import { Commands } from '../ids.js';
import type { StepStates } from '../../core/execution/stepStates.js';
import { formatDuration } from '../../core/duration.js';
import type { PlanWorkspace } from '../planWorkspace.js';
import { planCore } from '../planCore.js';
import type { RunHistoryWatcher } from './runHistoryWatcher.js';
import type { Redactor } from '../../core/secrets/redaction.js';

/** The icon and colour of a step's state; pending steps keep the icon of their kind. */
const STATE_ICONS: Record<string, [string, string | undefined]> = {
  running: ['sync~spin', 'charts.blue'],
  succeeded: ['pass-filled', 'testing.iconPassed'],
  failed: ['error', 'testing.iconFailed'],
  skipped: ['debug-step-over', 'disabledForeground'],
  manual: ['check', 'testing.iconPassed'],
};

/**
 * Maps the core plan tree to VS Code tree items; holds no model of its own. Every text of an item
 * goes through the redaction pipeline: a step's summary may quote a server error that echoed an
 * object (a 422 carrying a Secret's values).
 *
 * Nodes are handed out once per loaded plan (the same object for the same row), and a step's new
 * state or a new run record refreshes only the rows it changes: a whole-tree refresh while a run
 * updates its steps would let a click on a row's action reach the command without its row (VS Code
 * resolves the row's handle against the nodes of the refresh in flight).
 */
export class PlanTreeProvider implements vscode.TreeDataProvider<PlanNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<PlanNode | PlanNode[] | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscriptions: { dispose(): void }[];
  /** The nodes handed to the view, by row id, since the plan last loaded. */
  private readonly nodes = new Map<string, PlanNode>();

  constructor(
    private readonly plan: PlanWorkspace,
    private readonly states: StepStates,
    private readonly history: RunHistoryWatcher,
    private readonly redact: Redactor,
  ) {
    this.subscriptions = [
      plan.onDidChange(() => {
        this.nodes.clear();
        this.changed.fire(undefined);
      }),
      states.onChange(({ scenarioId, step }) =>
        this.refresh((n) => n.type === 'step' && n.scenario.id === scenarioId && (step === undefined || n.step.number === step)),
      ),
      // Past runs show on the drill's row (its age) and on every step's (median and p90).
      history.onDidChange(() => this.refresh((n) => n.type === 'step' || (n.type === 'scenario' && n.scenario.kind === 'drill'))),
    ];
  }

  /** Refreshes the rows the view holds that `which` picks (a row not shown yet needs nothing). */
  private refresh(which: (node: PlanNode) => boolean): void {
    const rows = [...this.nodes.values()].filter(which);
    if (rows.length) this.changed.fire(rows);
  }

  /** The node the view already holds for this row, or this one, from now on. */
  private intern(node: PlanNode): PlanNode {
    const id = planCore().planNodeId(node);
    const known = this.nodes.get(id);
    if (known) return known;
    this.nodes.set(id, node);
    return node;
  }

  getTreeItem(node: PlanNode): vscode.TreeItem {
    const row = planCore().planRow(node);
    const item = new vscode.TreeItem(
      this.redact(row.label),
      row.collapsible ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
    );
    item.id = row.id;
    item.description = row.description;
    item.tooltip = row.tooltip;
    item.iconPath = new vscode.ThemeIcon(row.icon);
    item.contextValue = row.contextValue;
    if (node.type === 'scenario' && node.scenario.kind === 'drill') {
      // When the drill last succeeded, and a warning when that is longer ago than the plan's interval.
      const age = planCore().drillAge(node.scenario, this.history.runs);
      item.description = `${row.description} · ${age.text}`;
      item.tooltip = `${row.tooltip}\n\n${age.lastAt ? `Last successful drill: ${age.lastAt}` : 'No successful drill is recorded in .dr-runs/.'}${age.overdue ? '\nOverdue: run the drill.' : ''}`;
      if (age.overdue) item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
    }
    if (node.type === 'step') {
      const past = planCore().stepDurations(node.scenario.id, node.step, this.history.runs);
      if (past) {
        item.description = `${row.description} · median ${formatDuration(past.medianMs)} · p90 ${formatDuration(past.p90Ms)}`;
        item.tooltip = `${row.tooltip}\n\nFrom ${past.count} past run${past.count === 1 ? '' : 's'}: median ${formatDuration(past.medianMs)}, 90th percentile ${formatDuration(past.p90Ms)}.`;
      }
      const status = this.states.get(node.scenario.id, node.step.number);
      const icon = STATE_ICONS[status.state];
      if (icon) item.iconPath = new vscode.ThemeIcon(icon[0], icon[1] ? new vscode.ThemeColor(icon[1]) : undefined);
      if (status.state !== 'pending') {
        item.description = `${status.state}${status.durationMs !== undefined ? ` · ${formatDuration(status.durationMs)}` : ''}`;
        item.tooltip = `${row.tooltip}\n\n${status.state}${status.summary ? `: ${status.summary}` : ''}`;
      }
      item.contextValue = `${row.contextValue}.${status.state}`;
    }
    if (typeof item.description === 'string') item.description = this.redact(item.description);
    if (typeof item.tooltip === 'string') item.tooltip = this.redact(item.tooltip);
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
    const children = node
      ? await planCore().childNodes(node, (step) => planCore().stepManifests(state.root, step, this.plan.manifests))
      : planCore().scenarioNodes(state.runbook);
    return children.map((child) => this.intern(child));
  }

  getParent(node: PlanNode): PlanNode | undefined {
    const parent = planCore().parentNode(node);
    return parent && this.intern(parent);
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.changed.dispose();
  }
}
