import { DEFAULT_PRODUCTION_PATTERNS } from '../core/production.js';
import { resolve } from 'node:path';
import * as vscode from 'vscode';
import { planNamespace } from '../core/runbook/planNamespace.js';
import type { Runbook } from '../core/runbook/model.js';
import { Settings } from './ids.js';

/** The settings the extension reads, as one typed snapshot. */
export interface Config {
  /** The plan file, relative to the workspace folder or absolute. */
  readonly planPath: string;
  /** The kubeconfig context to act on; empty for the kubeconfig's current context. */
  readonly context: string;
  /** The namespace of the plan's objects when a command names none: the setting, else the plan's own. */
  readonly namespace: string;
  /** Context names matching any of these (case-insensitive regular expressions) count as production. */
  readonly productionPatterns: readonly string[];
  readonly readinessTimeoutMs: number;
  /** A folder of dr-backup.sh backups (relative to the workspace), for the backup age against the RPO. */
  readonly backupDirectory: string;
}

/**
 * The settings now. The namespace, when the setting is empty, is the one the plan's commands name
 * most (`default` when they name none), so another team's plan needs no setting for it.
 */
export function readConfig(runbook?: Runbook): Config {
  const section = vscode.workspace.getConfiguration(Settings.section);
  const planPath = section.get<string>('planPath', 'DR-PLAN.md').trim();
  return {
    planPath: planPath === '' ? 'DR-PLAN.md' : planPath,
    context: section.get<string>('cluster.context', '').trim(),
    namespace: section.get<string>('cluster.namespace', '').trim() || (runbook && planNamespace(runbook)) || 'default',
    productionPatterns: section.get<string[]>('safety.productionContextPatterns', [...DEFAULT_PRODUCTION_PATTERNS]),
    readinessTimeoutMs: Math.max(10, section.get<number>('run.readinessTimeoutSeconds', 600)) * 1000,
    backupDirectory: section.get<string>('backup.directory', '').trim(),
  };
}

/** The backup directory setting as a path: absolute as given, else under the workspace root; undefined when unset. */
export function backupFolder(root: string, config: Config): string | undefined {
  return config.backupDirectory ? resolve(root, config.backupDirectory) : undefined;
}
