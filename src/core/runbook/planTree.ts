import type { ManifestFile, ManifestObject } from '../manifests/model.js';
import type { Runbook, Scenario, Step, StepKind } from './model.js';

/**
 * The DR Runbook tree as plain data: scenarios, their steps, the manifest files of an apply
 * step, and the objects in each file. The extension maps these rows to TreeItems one to one.
 */
export type PlanNode =
  | { readonly type: 'scenario'; readonly scenario: Scenario }
  | { readonly type: 'step'; readonly scenario: Scenario; readonly step: Step }
  | { readonly type: 'file'; readonly scenario: Scenario; readonly step: Step; readonly file: ManifestFile }
  | {
      readonly type: 'object';
      readonly scenario: Scenario;
      readonly step: Step;
      readonly file: ManifestFile;
      readonly object: ManifestObject;
    };

/** Where clicking a row takes the user: a line of the plan, or of a file relative to the project root. */
export type RowTarget =
  | { readonly in: 'plan'; readonly line: number; readonly column: number }
  | { readonly in: 'file'; readonly file: string; readonly line: number; readonly column: number };

export interface PlanRow {
  /** Stable across refreshes, unique in the tree. */
  readonly id: string;
  readonly label: string;
  readonly description: string | undefined;
  readonly tooltip: string;
  /** A codicon id. */
  readonly icon: string;
  /** Node kind first, so menus can match `viewItem =~ /^step/`. */
  readonly contextValue: string;
  readonly collapsible: boolean;
  readonly target: RowTarget;
}

export function scenarioNodes(runbook: Runbook): PlanNode[] {
  return runbook.scenarios.map((scenario) => ({ type: 'scenario', scenario }));
}

/** The children of a node; `stepFiles` loads the manifests of an apply step. */
export async function childNodes(node: PlanNode, stepFiles: (step: Step) => Promise<ManifestFile[]>): Promise<PlanNode[]> {
  switch (node.type) {
    case 'scenario':
      return node.scenario.steps.map((step) => ({ type: 'step', scenario: node.scenario, step }));
    case 'step':
      if (node.step.kind !== 'apply') return [];
      return (await stepFiles(node.step)).map((file) => ({ type: 'file', scenario: node.scenario, step: node.step, file }));
    case 'file':
      return node.file.objects.map((object) => ({ ...node, type: 'object', object }));
    case 'object':
      return [];
  }
}

export function parentNode(node: PlanNode): PlanNode | undefined {
  switch (node.type) {
    case 'scenario':
      return undefined;
    case 'step':
      return { type: 'scenario', scenario: node.scenario };
    case 'file':
      return { type: 'step', scenario: node.scenario, step: node.step };
    case 'object':
      return { type: 'file', scenario: node.scenario, step: node.step, file: node.file };
  }
}

const STEP_ICONS: Record<StepKind, string> = {
  manual: 'checklist',
  apply: 'cloud-upload',
  rollback: 'discard',
  logs: 'output',
  namespaceCreate: 'symbol-namespace',
  namespaceDelete: 'trash',
  script: 'terminal',
  drill: 'beaker',
  other: 'question',
};

const STEP_KIND_WORDS: Record<StepKind, string> = {
  manual: 'manual step',
  apply: 'apply manifests',
  rollback: 'rollback',
  logs: 'logs',
  namespaceCreate: 'create namespace',
  namespaceDelete: 'delete namespace',
  script: 'script',
  drill: 'drill step, run by DR Runbook',
  other: 'command',
};

/** A row's identity, stable while the plan is unchanged: what the view keys its rows by. */
export function planNodeId(node: PlanNode): string {
  switch (node.type) {
    case 'scenario':
      return `scenario:${node.scenario.id}`;
    case 'step':
      // The step's identity, and its number in case two steps share it (an error the Problems panel shows).
      return `step:${node.step.id}:${node.step.number}`;
    case 'file':
      return `file:${node.step.id}:${node.step.number}:${node.file.file}`;
    case 'object':
      return `object:${node.step.id}:${node.step.number}:${node.object.file}:${node.object.line}`;
  }
}

export function planRow(node: PlanNode): PlanRow {
  const id = planNodeId(node);
  switch (node.type) {
    case 'scenario': {
      const s = node.scenario;
      const steps = `${s.steps.length} step${s.steps.length === 1 ? '' : 's'}`;
      return {
        id,
        label: s.title,
        description: steps,
        tooltip: `${s.kind === 'drill' ? 'Drill' : 'Recovery scenario'}: ${s.title} (${steps})`,
        icon: s.kind === 'drill' ? 'beaker' : 'shield',
        contextValue: `scenario.${s.kind}`,
        collapsible: s.steps.length > 0,
        target: { in: 'plan', line: s.line, column: 1 },
      };
    }
    case 'step': {
      const { step } = node;
      const commands = step.commands.map((c) => c.text).join('\n');
      return {
        id,
        label: `${step.number}. ${step.title}`,
        description: STEP_KIND_WORDS[step.kind],
        tooltip: commands ? `${step.text}\n\n${commands}` : `${step.text}\n\nA manual step: tick it when done.`,
        icon: STEP_ICONS[step.kind],
        contextValue: `step.${step.kind}`,
        collapsible: step.kind === 'apply',
        target: { in: 'plan', line: step.line, column: step.column },
      };
    }
    case 'file': {
      const { file } = node;
      const broken = file.errors.length > 0;
      const objects = `${file.objects.length} object${file.objects.length === 1 ? '' : 's'}`;
      return {
        id,
        label: file.file,
        description: broken ? `${file.errors.length} problem${file.errors.length === 1 ? '' : 's'}` : objects,
        tooltip: broken ? file.errors.map((e) => `${e.line}:${e.column} ${e.message}`).join('\n') : objects,
        icon: broken ? 'warning' : 'file-code',
        contextValue: broken ? 'file.broken' : 'file',
        collapsible: file.objects.length > 0,
        target: { in: 'file', file: file.file, line: file.errors[0]?.line ?? 1, column: file.errors[0]?.column ?? 1 },
      };
    }
    case 'object': {
      const { object } = node;
      return {
        id,
        label: `${object.kind} ${object.name}`,
        description: object.namespace,
        tooltip: `${object.apiVersion} ${object.kind} ${object.namespace ? `${object.namespace}/` : ''}${object.name}\n${object.file}:${object.line}`,
        icon: objectIcon(object.kind),
        contextValue: `object.${object.kind.toLowerCase()}`,
        collapsible: false,
        target: { in: 'file', file: object.file, line: object.line, column: object.column },
      };
    }
  }
}

function objectIcon(kind: string): string {
  switch (kind) {
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
      return 'server-process';
    case 'Service':
    case 'Ingress':
      return 'globe';
    case 'Secret':
      return 'lock';
    case 'ConfigMap':
      return 'settings';
    case 'PersistentVolume':
    case 'PersistentVolumeClaim':
      return 'database';
    case 'Namespace':
      return 'symbol-namespace';
    case 'CronJob':
    case 'Job':
      return 'clock';
    default:
      return 'symbol-object';
  }
}
