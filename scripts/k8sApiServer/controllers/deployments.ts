/**
 * The deployment and replicaset controllers: template-hash ReplicaSets with revision annotations,
 * rolling replacement, history limited by revisionHistoryLimit, rollback by template match, and
 * the status (observedGeneration, replica counts, Available/Progressing conditions) that
 * `kubectl rollout status` reads.
 */
import { ApiError } from '../status.ts';
import type { KubeObject } from '../types.ts';
import { clone, deepEqual, nowTime, randomSuffix, safeHash } from '../util.ts';
import type { ControllerContext } from './context.ts';

const REV = 'deployment.kubernetes.io/revision';
const HASH = 'pod-template-hash';

function revisionOf(o: KubeObject): number {
  return Number(o.metadata.annotations?.[REV] ?? 0);
}

function templateWithoutHash(t: KubeObject): KubeObject {
  const c = clone(t ?? {});
  if (c.metadata?.labels) {
    delete c.metadata.labels[HASH];
  }
  return c;
}

function scaled(value: unknown, total: number, roundUp: boolean): number {
  if (typeof value === 'number') return value;
  const m = (typeof value === 'string' ? value : '0').match(/^(\d+)%$/);
  if (!m) return Number(value) || 0;
  const v = (total * Number(m[1])) / 100;
  return roundUp ? Math.ceil(v) : Math.floor(v);
}

/** Like the deployment controller: an unchanged status and reason keeps the condition as is; otherwise it moves to the end. */
function setCondition(
  conds: KubeObject[],
  type: string,
  status: string,
  reason: string,
  message: string,
  now: string,
  progressed: boolean,
): KubeObject[] {
  const old = conds.find((c) => c.type === type);
  if (old && old.status === status && old.reason === reason && !progressed) return conds;
  const next: KubeObject = {
    type,
    status,
    lastUpdateTime: now,
    lastTransitionTime: old && old.status === status ? old.lastTransitionTime : now,
    reason,
    message,
  };
  return [...conds.filter((c) => c.type !== type), next];
}

/** The Deployment's annotations a ReplicaSet gets: all but kubectl's last-applied copy and the controller's own. */
function copiedAnnotations(d: KubeObject): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((d.metadata.annotations ?? {}) as Record<string, string>)) {
    if (k === 'kubectl.kubernetes.io/last-applied-configuration' || k.startsWith('deployment.kubernetes.io/')) continue;
    out[k] = v;
  }
  return out;
}

export function reconcileDeployment(ctx: ControllerContext, d: KubeObject): void {
  if (d.metadata.deletionTimestamp || d.spec?.paused) return;
  const desired = Number(d.spec.replicas ?? 1);
  const owned = ctx.owned('ReplicaSet', d);
  const template = templateWithoutHash(d.spec.template);
  let newRs = owned.find((rs) => deepEqual(templateWithoutHash(rs.spec.template), template));
  const maxRev = owned.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);
  let created = false;
  let found = false;
  const maxSurge =
    d.spec.strategy?.type === 'Recreate' ? 0 : scaled(d.spec.strategy?.rollingUpdate?.maxSurge ?? '25%', desired, true);
  const maxUnavailable =
    d.spec.strategy?.type === 'Recreate'
      ? desired
      : scaled(d.spec.strategy?.rollingUpdate?.maxUnavailable ?? '25%', desired, false);
  const annotations = {
    'deployment.kubernetes.io/desired-replicas': String(desired),
    'deployment.kubernetes.io/max-replicas': String(desired + maxSurge),
  };
  if (!newRs) {
    const hash = safeHash(JSON.stringify(template) + String(d.status?.collisionCount ?? ''));
    const tpl = clone(d.spec.template);
    tpl.metadata = { ...tpl.metadata, labels: { ...(tpl.metadata?.labels ?? {}), [HASH]: hash } };
    const rs: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${d.metadata.name}-${hash}`,
        namespace: d.metadata.namespace,
        labels: { ...(d.spec.template?.metadata?.labels ?? {}), [HASH]: hash },
        annotations: { ...copiedAnnotations(d), ...annotations, [REV]: String(maxRev + 1) },
        ownerReferences: [ctx.ownerRef(d)],
      },
      spec: {
        // Created at its size (as NewRSNewReplicas computes it), so its generation stays 1.
        replicas: d.spec.strategy?.type === 'Recreate' && owned.some((o) => Number(o.spec.replicas ?? 0) > 0) ? 0 : desired,
        ...(d.spec.minReadySeconds ? { minReadySeconds: d.spec.minReadySeconds } : {}),
        selector: { ...clone(d.spec.selector), matchLabels: { ...(d.spec.selector?.matchLabels ?? {}), [HASH]: hash } },
        template: tpl,
      },
    };
    newRs = ctx.create('ReplicaSet', rs);
    if (!newRs) return;
    created = true;
    if (Number(newRs.spec.replicas) > 0)
      ctx.event(
        d,
        'Normal',
        'ScalingReplicaSet',
        `Scaled up replica set ${newRs.metadata.name} to ${String(newRs.spec.replicas)}`,
        'deployment-controller',
      );
  } else if (revisionOf(newRs) < maxRev) {
    found = true;
    const oldRev = revisionOf(newRs);
    newRs =
      ctx.update('ReplicaSet', newRs, (o) => {
        const hist = o.metadata.annotations?.['deployment.kubernetes.io/revision-history'];
        o.metadata.annotations = {
          ...o.metadata.annotations,
          [REV]: String(maxRev + 1),
          'deployment.kubernetes.io/revision-history': hist ? `${hist},${oldRev}` : String(oldRev),
        };
      }) ?? newRs;
  }
  const scaling =
    !created && !found && newRs.metadata.annotations?.['deployment.kubernetes.io/desired-replicas'] !== String(desired);
  const olds = owned.filter((rs) => rs.metadata.uid !== newRs!.metadata.uid);
  const oldActive = olds.reduce((n, rs) => n + Number(rs.spec.replicas ?? 0), 0);
  const newAvailable = Number(newRs.status?.availableReplicas ?? 0);
  // New ReplicaSet: up to the surge allowance; old ones: down as the new one becomes available.
  const newTarget = d.spec.strategy?.type === 'Recreate' && oldActive > 0 ? 0 : desired;
  if (Number(newRs.spec.replicas) !== newTarget || !deepEqual(pick(newRs.metadata.annotations, annotations), annotations)) {
    const from = Number(newRs.spec.replicas);
    newRs =
      ctx.update('ReplicaSet', newRs, (o) => {
        o.spec.replicas = newTarget;
        o.metadata.annotations = { ...o.metadata.annotations, ...annotations };
      }) ?? newRs;
    if (from !== newTarget)
      ctx.event(
        d,
        'Normal',
        'ScalingReplicaSet',
        `Scaled ${newTarget > from ? 'up' : 'down'} replica set ${newRs.metadata.name} to ${newTarget}${from > 0 ? ` from ${from}` : ''}`,
        'deployment-controller',
      );
  }
  // Old ReplicaSets keep only what the new one cannot serve yet, so availability never drops.
  let allowedOld = d.spec.strategy?.type === 'Recreate' ? 0 : Math.max(0, desired - newAvailable);
  const byRevDesc = [...olds].sort((a, b) => revisionOf(b) - revisionOf(a));
  for (const rs of byRevDesc) {
    const cur = Number(rs.spec.replicas ?? 0);
    const target = Math.min(cur, allowedOld);
    allowedOld -= target;
    if (target !== cur) {
      ctx.update('ReplicaSet', rs, (o) => {
        o.spec.replicas = target;
      });
      ctx.event(
        d,
        'Normal',
        'ScalingReplicaSet',
        `Scaled down replica set ${rs.metadata.name} to ${target} from ${cur}`,
        'deployment-controller',
      );
    }
  }
  const limit = Number(d.spec.revisionHistoryLimit ?? 10);
  const idle = olds
    .filter((rs) => Number(rs.spec.replicas ?? 0) === 0 && Number(rs.status?.replicas ?? 0) === 0)
    .sort((a, b) => revisionOf(a) - revisionOf(b));
  for (const rs of idle.slice(0, Math.max(0, idle.length - limit))) ctx.delete('ReplicaSet', rs);
  writeDeploymentStatus(ctx, d, newRs, { created, found, scaling }, maxUnavailable);
}

function pick(m: Record<string, string> | undefined, keys: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(keys)) if (m?.[k] !== undefined) out[k] = m[k];
  return out;
}

interface SyncFacts {
  created: boolean;
  found: boolean;
  scaling: boolean;
}

function writeDeploymentStatus(
  ctx: ControllerContext,
  d: KubeObject,
  newRs: KubeObject,
  facts: SyncFacts,
  maxUnavailable: number,
): void {
  const { created, found, scaling } = facts;
  const all = ctx.owned('ReplicaSet', d);
  const desired = Number(d.spec.replicas ?? 1);
  const sum = (f: (rs: KubeObject) => number): number => all.reduce((n, rs) => n + f(rs), 0);
  const replicas = sum((rs) => Number(rs.status?.replicas ?? 0));
  const updated = Number(all.find((rs) => rs.metadata.uid === newRs.metadata.uid)?.status?.replicas ?? 0);
  const ready = sum((rs) => Number(rs.status?.readyReplicas ?? 0));
  const available = sum((rs) => Number(rs.status?.availableReplicas ?? 0));
  const specTotal = sum((rs) => Number(rs.spec?.replicas ?? 0));
  const unavailable = Math.max(0, specTotal - available);
  const rsName = newRs.metadata.name;
  const now = nowTime();
  ctx.update(
    'Deployment',
    d,
    (o) => {
      o.metadata.annotations = { ...o.metadata.annotations, [REV]: String(revisionOf(newRs)) };
      const prev = (o.status ?? {}) as KubeObject;
      const progressed =
        updated > Number(prev.updatedReplicas ?? 0) ||
        ready > Number(prev.readyReplicas ?? 0) ||
        available > Number(prev.availableReplicas ?? 0);
      let conds = (prev.conditions ?? []) as KubeObject[];
      conds =
        available >= desired - maxUnavailable
          ? setCondition(
              conds,
              'Available',
              'True',
              'MinimumReplicasAvailable',
              'Deployment has minimum availability.',
              now,
              false,
            )
          : setCondition(
              conds,
              'Available',
              'False',
              'MinimumReplicasUnavailable',
              'Deployment does not have minimum availability.',
              now,
              false,
            );
      const complete = updated === desired && replicas === desired && available === desired;
      const progressing = conds.find((c) => c.type === 'Progressing');
      const deadline = Number(o.spec.progressDeadlineSeconds ?? 600) * 1000;
      // A pure scale only recalculates availability; a rollout also moves Progressing (as syncRolloutStatus does).
      if (created)
        conds = setCondition(
          conds,
          'Progressing',
          'True',
          'NewReplicaSetCreated',
          `Created new replica set "${rsName}"`,
          now,
          true,
        );
      else if (found)
        conds = setCondition(conds, 'Progressing', 'True', 'FoundNewReplicaSet', `Found new replica set "${rsName}"`, now, true);
      if (!scaling && !created) {
        if (complete)
          conds = setCondition(
            conds,
            'Progressing',
            'True',
            'NewReplicaSetAvailable',
            `ReplicaSet "${rsName}" has successfully progressed.`,
            now,
            false,
          );
        else if (progressed)
          conds = setCondition(
            conds,
            'Progressing',
            'True',
            'ReplicaSetUpdated',
            `ReplicaSet "${rsName}" is progressing.`,
            now,
            true,
          );
        else if (progressing && progressing.status === 'True' && Date.now() - Date.parse(progressing.lastUpdateTime) > deadline) {
          conds = setCondition(
            conds,
            'Progressing',
            'False',
            'ProgressDeadlineExceeded',
            `ReplicaSet "${rsName}" has timed out progressing.`,
            now,
            false,
          );
        }
      }
      const failed = all
        .flatMap((rs) => (rs.status?.conditions ?? []) as KubeObject[])
        .find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
      conds = failed
        ? setCondition(conds, 'ReplicaFailure', 'True', failed.reason, failed.message, now, false)
        : conds.filter((c) => c.type !== 'ReplicaFailure');
      const status: KubeObject = { observedGeneration: o.metadata.generation };
      if (replicas) status.replicas = replicas;
      if (updated) status.updatedReplicas = updated;
      if (ready) status.readyReplicas = ready;
      if (available) status.availableReplicas = available;
      if (unavailable) status.unavailableReplicas = unavailable;
      status.conditions = conds;
      if (prev.collisionCount !== undefined) status.collisionCount = prev.collisionCount;
      o.status = status;
    },
    'status',
  );
  if (!complete(d, desired, updated, replicas, available)) {
    ctx.after(Math.min(1000, Number(d.spec.progressDeadlineSeconds ?? 600) * 1000 + 50), () =>
      ctx.enqueue('Deployment', d.metadata.namespace, d.metadata.name),
    );
  }
}

function complete(_d: KubeObject, desired: number, updated: number, replicas: number, available: number): boolean {
  return updated === desired && replicas === desired && available === desired;
}

function podReady(p: KubeObject): boolean {
  return ((p.status?.conditions ?? []) as KubeObject[]).some((c) => c.type === 'Ready' && c.status === 'True');
}

export function reconcileReplicaSet(ctx: ControllerContext, rs: KubeObject): void {
  if (rs.metadata.deletionTimestamp) return;
  const pods = ctx.owned('Pod', rs).filter((p) => !p.metadata.deletionTimestamp);
  const want = Number(rs.spec.replicas ?? 1);
  let failure: ApiError | undefined;
  if (pods.length < want) {
    for (let i = pods.length; i < want; i++) {
      const tpl = clone(rs.spec.template ?? {});
      const generateName = `${rs.metadata.name}-`;
      const pod: KubeObject = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: `${generateName}${randomSuffix()}`,
          generateName,
          namespace: rs.metadata.namespace,
          labels: tpl.metadata?.labels ?? {},
          ...(tpl.metadata?.annotations ? { annotations: tpl.metadata.annotations } : {}),
          ownerReferences: [ctx.ownerRef(rs)],
        },
        spec: tpl.spec,
      };
      const made = ctx.tryCreate('Pod', pod);
      if (made instanceof ApiError) {
        failure = made;
        break;
      }
      pods.push(made);
      ctx.event(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${made.metadata.name}`, 'replicaset-controller');
    }
    if (failure) {
      ctx.event(rs, 'Warning', 'FailedCreate', `Error creating: ${failure.message}`, 'replicaset-controller');
      ctx.after(1000, () => ctx.enqueue('ReplicaSet', rs.metadata.namespace, rs.metadata.name));
    }
  } else if (pods.length > want) {
    const victims = [...pods].sort(
      (a, b) =>
        Number(podReady(a)) - Number(podReady(b)) || (a.metadata.creationTimestamp < b.metadata.creationTimestamp ? 1 : -1),
    );
    for (const p of victims.slice(0, pods.length - want)) {
      ctx.delete('Pod', p);
      ctx.event(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`, 'replicaset-controller');
    }
  }
  const active = ctx.owned('Pod', rs).filter((p) => !p.metadata.deletionTimestamp);
  const ready = active.filter(podReady);
  // A pod counts as available minReadySeconds after it became Ready.
  const minReadyMs = Number(rs.spec.minReadySeconds ?? 0) * 1000;
  const readySince = (p: KubeObject): number =>
    Date.parse(((p.status?.conditions ?? []) as KubeObject[]).find((c) => c.type === 'Ready')?.lastTransitionTime ?? '');
  const available = ready.filter((p) => !(Date.now() < readySince(p) + minReadyMs)).length;
  // Like the controller: look again a whole minReadySeconds later (Ready times have second precision).
  if (available < ready.length)
    ctx.after(minReadyMs + 5, () => ctx.enqueue('ReplicaSet', rs.metadata.namespace, rs.metadata.name));
  ctx.update(
    'ReplicaSet',
    rs,
    (o) => {
      const status: KubeObject = { replicas: active.length };
      if (active.length) status.fullyLabeledReplicas = active.length;
      if (ready.length) status.readyReplicas = ready.length;
      if (available) status.availableReplicas = available;
      status.observedGeneration = o.metadata.generation;
      const prev = ((o.status?.conditions ?? []) as KubeObject[]).find((c) => c.type === 'ReplicaFailure');
      if (failure) {
        status.conditions = [
          {
            type: 'ReplicaFailure',
            status: 'True',
            lastTransitionTime: prev?.lastTransitionTime ?? nowTime(),
            reason: 'FailedCreate',
            message: failure.message,
          },
        ];
      } else if (prev && pods.length < want) status.conditions = [prev];
      o.status = status;
    },
    'status',
  );
}
