import type { KubeObject } from './model.js';

/** Where an object stands on its way to ready. */
export interface Readiness {
  readonly state: 'ready' | 'waiting' | 'failed';
  /** Why, in kubectl's words where kubectl has them. */
  readonly reason: string;
}

type Condition = { type?: string; status?: string; reason?: string; message?: string };

const ready = (reason: string): Readiness => ({ state: 'ready', reason });
const waiting = (reason: string): Readiness => ({ state: 'waiting', reason });
const failed = (reason: string): Readiness => ({ state: 'failed', reason });

function field<T>(object: KubeObject, ...path: string[]): T | undefined {
  let value: unknown = object;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value as T | undefined;
}

function conditions(object: KubeObject): Condition[] {
  return field<Condition[]>(object, 'status', 'conditions') ?? [];
}

function num(value: unknown, fallback = 0): number {
  return typeof value === 'number' ? value : fallback;
}

/** The kinds whose readiness needs more than existing. */
export function hasReadinessRule(kind: string): boolean {
  return [
    'Deployment',
    'StatefulSet',
    'DaemonSet',
    'PersistentVolumeClaim',
    'PersistentVolume',
    'Namespace',
    'Job',
    'Pod',
    'Service',
  ].includes(kind);
}

/**
 * Judges an object by its kind's rule. A Service needs its Endpoints (`related`) to have a ready
 * address; a claim is judged with its StorageClass (`related`); kinds with no rule are ready once
 * they exist.
 */
export function judgeReadiness(object: KubeObject, related?: KubeObject): Readiness {
  switch (object.kind) {
    case 'Deployment':
      return deploymentReadiness(object);
    case 'StatefulSet':
      return statefulSetReadiness(object);
    case 'DaemonSet': {
      const desired = num(field(object, 'status', 'desiredNumberScheduled'));
      const readyCount = num(field(object, 'status', 'numberReady'));
      if (num(field(object, 'status', 'observedGeneration')) < num(object.metadata?.generation))
        return waiting('waiting for the spec update to be observed');
      return readyCount >= desired
        ? ready(`${readyCount} of ${desired} pods ready`)
        : waiting(`${readyCount} of ${desired} pods ready`);
    }
    case 'PersistentVolumeClaim': {
      const phase = field<string>(object, 'status', 'phase') ?? 'Pending';
      if (phase === 'Bound') return ready(`Bound to ${field<string>(object, 'spec', 'volumeName') ?? 'a volume'}`);
      if (phase === 'Lost') return failed('Lost: its volume is gone');
      // `related` is the claim's StorageClass: one that binds on first consumer leaves the claim
      // Pending until a pod using it is scheduled, which a later step does. Waiting here would wait forever.
      if (phase === 'Pending' && related && field<string>(related, 'volumeBindingMode') === 'WaitForFirstConsumer')
        return ready(
          `Pending until its first pod: StorageClass ${related.metadata?.name ?? ''} binds on first consumer (WaitForFirstConsumer); the pod that mounts it is waited for instead`,
        );
      return waiting(phase);
    }
    case 'PersistentVolume': {
      const phase = field<string>(object, 'status', 'phase') ?? 'Pending';
      if (phase === 'Available' || phase === 'Bound') return ready(phase);
      return phase === 'Failed' ? failed('Failed') : waiting(phase);
    }
    case 'Namespace': {
      const phase = field<string>(object, 'status', 'phase') ?? 'Pending';
      return phase === 'Active' ? ready('Active') : waiting(phase);
    }
    case 'Job': {
      const cs = conditions(object);
      if (cs.some((c) => c.type === 'Complete' && c.status === 'True')) return ready('Complete');
      const failure = cs.find((c) => c.type === 'Failed' && c.status === 'True');
      if (failure) return failed(`Failed: ${failure.reason ?? ''} ${failure.message ?? ''}`.trim());
      return waiting(
        `${num(field(object, 'status', 'succeeded'))} of ${num(field(object, 'spec', 'completions'), 1)} completions`,
      );
    }
    case 'Pod':
      return podReadiness(object);
    case 'Service': {
      const type = field<string>(object, 'spec', 'type');
      if (type === 'ExternalName' || !field(object, 'spec', 'selector')) return ready('no selector: nothing to wait for');
      const subsets = related ? (field<{ addresses?: unknown[] }[]>(related, 'subsets') ?? []) : [];
      const addresses = subsets.reduce((n, s) => n + (s.addresses?.length ?? 0), 0);
      return addresses > 0 ? ready(`${addresses} endpoint${addresses === 1 ? '' : 's'}`) : waiting('no ready endpoints yet');
    }
    default:
      return ready('exists');
  }
}

/** The same judgement as `kubectl rollout status deployment/NAME`. */
function deploymentReadiness(object: KubeObject): Readiness {
  const generation = num(object.metadata?.generation);
  const observed = num(field(object, 'status', 'observedGeneration'));
  if (observed < generation) return waiting('waiting for the deployment spec update to be observed');
  // Pods the server refuses to create (a missing ServiceAccount, Pod Security, an invalid
  // template): the ReplicaSet's ReplicaFailure, copied to the Deployment (batch 2, 028-029).
  const replicaFailure = conditions(object).find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
  if (replicaFailure)
    return failed(`its pods cannot be created: ${replicaFailure.reason ?? ''} ${replicaFailure.message ?? ''}`.trim());
  const progressing = conditions(object).find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded')
    return failed(`deployment "${object.metadata?.name}" exceeded its progress deadline`);
  const desired = num(field(object, 'spec', 'replicas'), 1);
  const updated = num(field(object, 'status', 'updatedReplicas'));
  const replicas = num(field(object, 'status', 'replicas'));
  const available = num(field(object, 'status', 'availableReplicas'));
  if (updated < desired) return waiting(`${updated} out of ${desired} new replicas have been updated`);
  if (replicas > updated) return waiting(`${replicas - updated} old replicas are pending termination`);
  if (available < updated) return waiting(`${available} of ${updated} updated replicas are available`);
  return ready(`successfully rolled out (${available} available)`);
}

function statefulSetReadiness(object: KubeObject): Readiness {
  const generation = num(object.metadata?.generation);
  if (num(field(object, 'status', 'observedGeneration')) < generation)
    return waiting('waiting for the statefulset spec update to be observed');
  const desired = num(field(object, 'spec', 'replicas'), 1);
  const readyCount = num(field(object, 'status', 'readyReplicas'));
  if (readyCount < desired) return waiting(`${readyCount} of ${desired} pods are ready`);
  const updated = field<number>(object, 'status', 'updatedReplicas');
  if (updated !== undefined && updated < desired) return waiting(`${updated} of ${desired} pods are updated`);
  const current = field<string>(object, 'status', 'currentRevision');
  const update = field<string>(object, 'status', 'updateRevision');
  if (current && update && current !== update && field(object, 'spec', 'updateStrategy', 'type') !== 'OnDelete') {
    return waiting(`rolling update from ${current} to ${update} in progress`);
  }
  return ready(`${readyCount} of ${desired} pods ready`);
}

const STUCK_REASONS = new Set([
  'CrashLoopBackOff',
  'ImagePullBackOff',
  'ErrImagePull',
  'CreateContainerConfigError',
  'InvalidImageName',
  'CreateContainerError',
]);

function podReadiness(object: KubeObject): Readiness {
  const phase = field<string>(object, 'status', 'phase') ?? 'Pending';
  if (phase === 'Succeeded') return ready('Succeeded');
  if (phase === 'Failed') return failed(`Failed: ${field<string>(object, 'status', 'reason') ?? ''}`.trim());
  const statuses =
    field<{ name: string; state?: { waiting?: { reason?: string; message?: string } } }[]>(
      object,
      'status',
      'containerStatuses',
    ) ?? [];
  const stuck = statuses.find((s) => s.state?.waiting?.reason && STUCK_REASONS.has(s.state.waiting.reason));
  if (stuck)
    return failed(
      `container ${stuck.name}: ${stuck.state!.waiting!.reason}${stuck.state!.waiting!.message ? ` (${stuck.state!.waiting!.message})` : ''}`,
    );
  const readyCondition = conditions(object).find((c) => c.type === 'Ready');
  return readyCondition?.status === 'True' ? ready('Ready') : waiting(phase);
}
