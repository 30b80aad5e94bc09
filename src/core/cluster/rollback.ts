import { err, ok, type Result } from '../result.js';
import { describeRef, type ClusterError, type KubeObject, type ObjectRef } from './model.js';
import type { ClusterPort } from './port.js';
import { waitForReady, type ReadinessEvent, type WaitError } from './readiness.js';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';

/** Annotations a rollback never copies from the old ReplicaSet (kubectl's list). */
const SKIPPED_ANNOTATIONS = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION_ANNOTATION,
  'deployment.kubernetes.io/revision-history',
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
]);

export interface RollbackChange {
  readonly container: string;
  readonly what: 'image' | 'env' | 'container';
  /** The env variable's name, for `env`. */
  readonly name?: string;
  readonly from: string | undefined;
  readonly to: string | undefined;
}

/** What `rollout undo` would do, shown to the user before it is done. */
export interface RollbackPlan {
  readonly deployment: ObjectRef;
  readonly fromRevision: number;
  readonly toRevision: number;
  readonly changes: readonly RollbackChange[];
  /**
   * The running revision is itself a rollback (its ReplicaSet remembers earlier revision numbers),
   * so "the previous revision" is the one just rolled back from: rolling back again undoes it.
   */
  readonly undoesRollback: boolean;
  /** The JSON patch kubectl sends: the old pod template and the annotations. */
  readonly patch: readonly unknown[];
}

export type RollbackError =
  | { readonly kind: 'noHistory'; readonly message: string }
  | { readonly kind: 'noSuchRevision'; readonly message: string; readonly available: readonly number[] }
  | { readonly kind: 'alreadyThere'; readonly message: string }
  | { readonly kind: 'paused'; readonly message: string }
  | { readonly kind: 'notFound'; readonly message: string }
  | { readonly kind: 'cluster'; readonly error: ClusterError }
  | { readonly kind: 'wait'; readonly error: WaitError };

type Template = { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: PodSpec };
type PodSpec = { containers?: Container[]; initContainers?: Container[] };
type Container = { name: string; image?: string; env?: { name: string; value?: string; valueFrom?: unknown }[] };

function revisionOf(object: KubeObject): number {
  const value = Number(object.metadata?.annotations?.[REVISION_ANNOTATION]);
  return Number.isInteger(value) ? value : 0;
}

function templateOf(object: KubeObject): Template {
  return (object['spec'] as { template?: Template } | undefined)?.template ?? {};
}

/** The ReplicaSets a Deployment controls, by owner reference. */
export function ownedReplicaSets(deployment: KubeObject, replicaSets: readonly KubeObject[]): KubeObject[] {
  const uid = deployment.metadata?.uid;
  return replicaSets.filter((rs) =>
    rs.metadata?.ownerReferences?.some(
      (o) => o.kind === 'Deployment' && (uid ? o.uid === uid : o.name === deployment.metadata?.name),
    ),
  );
}

/**
 * Works out a rollback the way `kubectl rollout undo` does: the previous revision (the highest
 * below the current one) or the one asked for, and the JSON patch that puts its pod template
 * back. Pure: takes the Deployment and its ReplicaSets as read from the cluster.
 */
export function planRollback(
  deployment: KubeObject,
  replicaSets: readonly KubeObject[],
  toRevision?: number,
): Result<RollbackPlan, RollbackError> {
  const ref: ObjectRef = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    name: deployment.metadata?.name ?? '',
    namespace: deployment.metadata?.namespace,
  };
  if ((deployment['spec'] as { paused?: boolean } | undefined)?.paused) {
    return err({ kind: 'paused', message: `${describeRef(ref)} is paused: resume it before rolling back.` });
  }
  const current = revisionOf(deployment);
  const history = ownedReplicaSets(deployment, replicaSets)
    .map((rs) => ({ rs, revision: revisionOf(rs) }))
    .filter((h) => h.revision > 0)
    .sort((a, b) => b.revision - a.revision);
  let target: { rs: KubeObject; revision: number } | undefined;
  if (toRevision !== undefined) {
    target = history.find((h) => h.revision === toRevision);
    if (!target) {
      return err({
        kind: 'noSuchRevision',
        available: history.map((h) => h.revision),
        message: `${describeRef(ref)} has no revision ${toRevision} in its history (it has ${history.map((h) => h.revision).join(', ') || 'none'}).`,
      });
    }
  } else {
    target = history.find((h) => h.revision < current);
    if (!target) {
      return err({
        kind: 'noHistory',
        message: `${describeRef(ref)} has no earlier revision to roll back to (current revision ${current || 'unknown'}; kept revisions: ${history.map((h) => h.revision).join(', ') || 'none'}).`,
      });
    }
  }
  const oldTemplate = structuredClone(templateOf(target.rs));
  const labels = { ...oldTemplate.metadata?.labels };
  delete labels['pod-template-hash'];
  const restored: Template = { ...oldTemplate, metadata: { ...oldTemplate.metadata, labels } };
  const liveTemplate = templateOf(deployment);
  if (JSON.stringify(normaliseTemplate(restored)) === JSON.stringify(normaliseTemplate(liveTemplate))) {
    return err({
      kind: 'alreadyThere',
      message: `${describeRef(ref)} already runs the pod template of revision ${target.revision}: nothing to roll back.`,
    });
  }
  // As kubectl: the target revision's annotations, except the bookkeeping ones, which the
  // Deployment keeps; the Deployment's other current annotations go.
  const annotations: Record<string, string> = {};
  for (const [key, value] of Object.entries(deployment.metadata?.annotations ?? {})) {
    if (SKIPPED_ANNOTATIONS.has(key)) annotations[key] = value;
  }
  for (const [key, value] of Object.entries(target.rs.metadata?.annotations ?? {})) {
    if (!SKIPPED_ANNOTATIONS.has(key)) annotations[key] = value;
  }
  const running = history.find((h) => h.revision === current);
  const undoesRollback =
    toRevision === undefined && Boolean(running?.rs.metadata?.annotations?.['deployment.kubernetes.io/revision-history']);
  return ok({
    deployment: ref,
    fromRevision: current,
    toRevision: target.revision,
    changes: templateChanges(liveTemplate, restored),
    undoesRollback,
    patch: [
      { op: 'replace', path: '/spec/template', value: restored },
      { op: 'replace', path: '/metadata/annotations', value: annotations },
    ],
  });
}

function normaliseTemplate(template: Template): unknown {
  const copy = structuredClone(template) as Template & { metadata?: { creationTimestamp?: unknown } };
  if (copy.metadata) delete copy.metadata.creationTimestamp;
  return copy;
}

/** Images and env values that differ between the running template and the one restored. */
export function templateChanges(from: Template, to: Template): RollbackChange[] {
  const changes: RollbackChange[] = [];
  const containers = (t: Template): Map<string, Container> =>
    new Map([...(t.spec?.initContainers ?? []), ...(t.spec?.containers ?? [])].map((c) => [c.name, c]));
  const before = containers(from);
  const after = containers(to);
  for (const name of new Set([...before.keys(), ...after.keys()])) {
    const a = before.get(name);
    const b = after.get(name);
    if (!a || !b) {
      changes.push({ container: name, what: 'container', from: a ? 'present' : undefined, to: b ? 'present' : undefined });
      continue;
    }
    if (a.image !== b.image) changes.push({ container: name, what: 'image', from: a.image, to: b.image });
    const envValue = (e: { value?: string; valueFrom?: unknown } | undefined): string | undefined =>
      e === undefined ? undefined : (e.value ?? (e.valueFrom ? `(from ${JSON.stringify(e.valueFrom)})` : ''));
    const envA = new Map((a.env ?? []).map((e) => [e.name, envValue(e)]));
    const envB = new Map((b.env ?? []).map((e) => [e.name, envValue(e)]));
    for (const key of new Set([...envA.keys(), ...envB.keys()])) {
      if (envA.get(key) !== envB.get(key))
        changes.push({ container: name, what: 'env', name: key, from: envA.get(key), to: envB.get(key) });
    }
  }
  return changes;
}

/** "revision 3 → 1: flask-api image nginx:1.27 → nginx:1.26". */
export function describeRollback(plan: RollbackPlan): string {
  const parts = plan.changes.map((c) =>
    c.what === 'env'
      ? `${c.container} env ${c.name}: ${c.from ?? '(unset)'} → ${c.to ?? '(unset)'}`
      : `${c.container} ${c.what} ${c.from ?? '(none)'} → ${c.to ?? '(none)'}`,
  );
  const summary = `${describeRef(plan.deployment)}: revision ${plan.fromRevision} → ${plan.toRevision}${parts.length ? `: ${parts.join('; ')}` : ''}`;
  if (!plan.undoesRollback) return summary;
  const images = plan.changes
    .filter((c) => c.what === 'image')
    .map((c) => `${c.container} now runs ${c.from ?? '(none)'} and would run ${c.to ?? '(none)'}`);
  return `${summary}. Revision ${plan.fromRevision} is itself a rollback: rolling back again returns to revision ${plan.toRevision}, the one rolled back from${images.length ? ` (${images.join('; ')})` : ''}.`;
}

/** Reads the Deployment and its ReplicaSets and plans the rollback. */
export async function prepareRollback(
  cluster: ClusterPort,
  ref: ObjectRef,
  toRevision?: number,
): Promise<Result<RollbackPlan, RollbackError>> {
  const read = await cluster.read(ref);
  if (!read.ok) return err({ kind: 'cluster', error: read.error });
  const deployment = read.value;
  if (!deployment)
    return err({ kind: 'notFound', message: `${describeRef(ref)} does not exist in context "${cluster.context}".` });
  const list = await cluster.list({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    namespace: ref.namespace,
    labelSelector: selectorString(deployment),
  });
  if (!list.ok) return err({ kind: 'cluster', error: list.error });
  return planRollback(deployment, list.value.items, toRevision);
}

/** Applies a planned rollback and waits for the rollout, as `rollout undo` then `rollout status`. */
export async function executeRollback(
  cluster: ClusterPort,
  plan: RollbackPlan,
  options: { readonly timeoutMs: number; readonly signal?: AbortSignal; readonly onProgress?: (e: ReadinessEvent) => void },
): Promise<Result<ReadinessEvent[], RollbackError>> {
  const patched = await cluster.patch(plan.deployment, plan.patch, 'json');
  if (!patched.ok) return err({ kind: 'cluster', error: patched.error });
  const waited = await waitForReady(cluster, [plan.deployment], options);
  return waited.ok ? waited : err({ kind: 'wait', error: waited.error });
}

/** A label selector string from a workload's spec.selector (matchLabels and matchExpressions). */
export function selectorString(workload: KubeObject): string {
  const selector = (
    workload['spec'] as
      | {
          selector?: {
            matchLabels?: Record<string, string>;
            matchExpressions?: { key: string; operator: string; values?: string[] }[];
          };
        }
      | undefined
  )?.selector;
  const parts = Object.entries(selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of selector?.matchExpressions ?? []) {
    const values = (e.values ?? []).join(',');
    if (e.operator === 'In') parts.push(`${e.key} in (${values})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${values})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.join(',');
}
