/**
 * The drift check (`dr-runbook check`): does what the plan names still exist? Read-only: the
 * files and scripts the plan names and the manifests parse (the Problems panel's rules), the
 * namespaces and workloads of its manifests and commands exist in the cluster, no earlier drill
 * left its test namespace behind, and the newest backup is within the RPO.
 */
import { resolve } from 'node:path';
import { describeRef, formatClusterError, type ClusterError, type ObjectRef } from '../cluster/model.js';
import type { ClusterPort } from '../cluster/port.js';
import { formatDuration } from '../duration.js';
import type { ManifestCache } from '../manifests/loadManifests.js';
import { projectPath } from '../paths.js';
import { applyCommandItems } from '../execution/applyCommand.js';
import { collectProblems } from '../problems.js';
import type { Result } from '../result.js';
import { backupWithinRpo, newestBackup } from '../run/evidence.js';
import type { ApplyCommand, Runbook } from '../runbook/model.js';

export type FindingLevel = 'ok' | 'warning' | 'fail';

export interface Finding {
  readonly level: FindingLevel;
  readonly text: string;
}

export interface DriftOptions {
  readonly root: string;
  /** The plan as the findings name it (relative to the root). */
  readonly planFile: string;
  readonly runbook: Runbook;
  readonly cluster: Result<ClusterPort, ClusterError>;
  /** Where the plan's objects live when a manifest or command names no namespace. */
  readonly namespace: string;
  /** The folder dr-backup.sh writes to (relative to the root, or absolute); unset: not checked. */
  readonly backupDirectory: string | undefined;
  readonly now?: Date;
  readonly cache?: ManifestCache;
}

/** Kinds whose existence the check asks the cluster about. */
const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'CronJob']);
const RESOURCE_KINDS: Record<string, { apiVersion: string; kind: string }> = {
  deployment: { apiVersion: 'apps/v1', kind: 'Deployment' },
  statefulset: { apiVersion: 'apps/v1', kind: 'StatefulSet' },
  daemonset: { apiVersion: 'apps/v1', kind: 'DaemonSet' },
};

/** Every finding, in the order: files, cluster, backup. The check fails when any is `fail`. */
export async function checkDrift(options: DriftOptions): Promise<Finding[]> {
  return [...(await fileFindings(options)), ...(await clusterFindings(options)), ...(await backupFindings(options))];
}

async function fileFindings(o: DriftOptions): Promise<Finding[]> {
  const problems = await collectProblems(o.root, o.planFile, o.runbook, o.cache);
  const findings: Finding[] = problems.map((p) => ({
    level: p.severity === 'error' ? 'fail' : 'warning',
    text: `${p.file}:${p.line}: ${p.message}`,
  }));
  if (!problems.some((p) => p.severity === 'error')) {
    findings.unshift({ level: 'ok', text: `${o.planFile}: every manifest and script it names exists and parses` });
  }
  return findings;
}

/** What the plan expects in the cluster: namespaces and workloads that must exist, test namespaces that must not. */
async function expectedObjects(o: DriftOptions): Promise<{ present: ObjectRef[]; absent: string[] }> {
  const present = new Map<string, ObjectRef>();
  const add = (ref: ObjectRef): void => {
    present.set(describeRef(ref), ref);
  };
  const namespace = (name: string): void => add({ apiVersion: 'v1', kind: 'Namespace', name, namespace: undefined });
  const absent = new Set<string>();
  for (const scenario of o.runbook.scenarios) {
    for (const step of scenario.steps) {
      // As the run applies them (kubectl's -n included); what cannot be read is a file finding already.
      const applies = step.commands.filter((c): c is ApplyCommand => c.kind === 'apply');
      const items = await applyCommandItems(o.root, step, applies, o.namespace, o.cache);
      for (const item of items.ok ? items.value : []) {
        if (item.ref.namespace) namespace(item.ref.namespace);
        if (item.ref.kind === 'Namespace') namespace(item.ref.name);
        if (WORKLOAD_KINDS.has(item.ref.kind)) add(item.ref);
      }
      for (const c of step.commands) {
        if (c.kind === 'namespaceCreate' && scenario.kind === 'drill') for (const n of c.namespaces) absent.add(n);
        if (c.kind !== 'rollback' && c.kind !== 'logs') continue;
        const type = RESOURCE_KINDS[c.resource];
        if (!type) continue;
        const ns = c.namespace ?? o.namespace;
        namespace(ns);
        add({ ...type, name: c.name, namespace: ns });
      }
    }
  }
  return { present: [...present.values()], absent: [...absent] };
}

async function clusterFindings(o: DriftOptions): Promise<Finding[]> {
  if (!o.cluster.ok) {
    return [{ level: 'fail', text: `the cluster was not checked: ${formatClusterError(o.cluster.error)}` }];
  }
  const cluster = o.cluster.value;
  const { present, absent } = await expectedObjects(o);
  const findings: Finding[] = [];
  const missing: string[] = [];
  for (const ref of present) {
    const found = await cluster.read(ref);
    if (!found.ok) {
      findings.push({ level: 'fail', text: `${describeRef(ref)} could not be read: ${formatClusterError(found.error)}` });
      if (found.error.kind === 'unreachable' || found.error.kind === 'unauthorized') return findings;
    } else if (!found.value) missing.push(describeRef(ref));
  }
  for (const m of missing)
    findings.push({ level: 'fail', text: `${m} does not exist in context "${cluster.context}", but the plan names it` });
  if (missing.length === 0 && findings.length === 0) {
    findings.push({
      level: 'ok',
      text: `context "${cluster.context}": what the plan names exists: ${present.map((r) => describeRef(r)).join(', ')}`,
    });
  }
  for (const name of absent) {
    const found = await cluster.read({ apiVersion: 'v1', kind: 'Namespace', name, namespace: undefined });
    if (found.ok && found.value) {
      findings.push({
        level: 'warning',
        text: `the drill's test namespace ${name} exists: an earlier drill left it behind (the next drill cannot create it)`,
      });
    }
  }
  return findings;
}

async function backupFindings(o: DriftOptions): Promise<Finding[]> {
  const rpo = o.runbook.rpoMs;
  if (!o.backupDirectory) {
    return [
      { level: 'warning', text: 'the newest backup was not checked: no backup directory given (--backup-dir, or DR_BACKUP_DIR)' },
    ];
  }
  const dir = resolve(o.root, o.backupDirectory);
  const shown = projectPath(o.root, dir);
  const found = await newestBackup(dir, o.now ? { now: o.now } : {});
  if (!found.ok) return [{ level: 'fail', text: `no usable backup: ${found.error.message}` }];
  const { file, ageMs } = found.value;
  const name = projectPath(o.root, file);
  const within = backupWithinRpo(ageMs, rpo);
  if (within === undefined)
    return [{ level: 'warning', text: `the newest backup, ${name}, is ${formatDuration(ageMs)} old; the plan states no RPO` }];
  return within
    ? [
        {
          level: 'ok',
          text: `the newest backup, ${name}, is ${formatDuration(ageMs)} old: within the RPO of ${formatDuration(rpo!)}`,
        },
      ]
    : [
        {
          level: 'fail',
          text: `the newest backup in ${shown}, ${name}, is ${formatDuration(ageMs)} old: older than the RPO of ${formatDuration(rpo!)} (is the backup CronJob running?)`,
        },
      ];
}
