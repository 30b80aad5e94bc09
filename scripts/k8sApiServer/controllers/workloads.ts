/** StatefulSet (ordered pods name-0..n-1 with claims from volumeClaimTemplates), DaemonSet and Job controllers. */
import { ApiError } from '../status.ts';
import type { KubeObject } from '../types.ts';
import { clone, nowTime, randomSuffix, safeHash } from '../util.ts';
import type { ControllerContext } from './context.ts';

function podReady(p: KubeObject): boolean {
  return ((p.status?.conditions ?? []) as KubeObject[]).some((c) => c.type === 'Ready' && c.status === 'True');
}

function ordinal(sts: KubeObject, pod: KubeObject): number {
  const m = String(pod.metadata.name).match(/-(\d+)$/);
  return m && String(pod.metadata.name) === `${sts.metadata.name}-${m[1]}` ? Number(m[1]) : -1;
}

export function reconcileStatefulSet(ctx: ControllerContext, sts: KubeObject): void {
  if (sts.metadata.deletionTimestamp) return;
  const ns = sts.metadata.namespace;
  const name = sts.metadata.name;
  const n = Number(sts.spec.replicas ?? 1);
  const revision = `${name}-${safeHash(JSON.stringify(sts.spec.template)).slice(0, 10)}`;
  const pods = ctx.owned('Pod', sts);
  const byOrdinal = new Map<number, KubeObject>();
  for (const p of pods) byOrdinal.set(ordinal(sts, p), p);
  const ordered = sts.spec.podManagementPolicy !== 'Parallel';
  for (let i = 0; i < n; i++) {
    const existing = byOrdinal.get(i);
    if (existing) {
      if (ordered && (!podReady(existing) || existing.metadata.deletionTimestamp)) break;
      continue;
    }
    const podName = `${name}-${i}`;
    const volumes: KubeObject[] = [];
    for (const t of (sts.spec.volumeClaimTemplates ?? []) as KubeObject[]) {
      const claim = `${t.metadata.name}-${podName}`;
      volumes.push({ name: t.metadata.name, persistentVolumeClaim: { claimName: claim } });
      if (ctx.get('PersistentVolumeClaim', ns, claim)) continue;
      const pvc: KubeObject = {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: claim, namespace: ns, labels: { ...(sts.spec.selector?.matchLabels ?? {}) } },
        spec: clone(t.spec),
      };
      if (ctx.create('PersistentVolumeClaim', pvc)) {
        ctx.event(
          sts,
          'Normal',
          'SuccessfulCreate',
          `create Claim ${claim} Pod ${podName} in StatefulSet ${name} success`,
          'statefulset-controller',
        );
      }
    }
    const tpl = clone(sts.spec.template ?? {});
    const spec = tpl.spec ?? {};
    const own = new Set(volumes.map((v) => v.name));
    spec.volumes = [...volumes, ...((spec.volumes ?? []) as KubeObject[]).filter((v) => !own.has(v.name))];
    spec.hostname = podName;
    if (sts.spec.serviceName) spec.subdomain = sts.spec.serviceName;
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: podName,
        generateName: `${name}-`,
        namespace: ns,
        labels: {
          ...(tpl.metadata?.labels ?? {}),
          'controller-revision-hash': revision,
          'statefulset.kubernetes.io/pod-name': podName,
        },
        ...(tpl.metadata?.annotations ? { annotations: tpl.metadata.annotations } : {}),
        ownerReferences: [ctx.ownerRef(sts)],
      },
      spec,
    };
    const made = ctx.tryCreate('Pod', pod);
    if (made instanceof ApiError) {
      if (made.reason === 'AlreadyExists') break;
      ctx.event(
        sts,
        'Warning',
        'FailedCreate',
        `create Pod ${podName} in StatefulSet ${name} failed error: ${made.message}`,
        'statefulset-controller',
      );
      ctx.after(1000, () => ctx.enqueue('StatefulSet', ns, name));
      break;
    }
    ctx.event(
      sts,
      'Normal',
      'SuccessfulCreate',
      `create Pod ${podName} in StatefulSet ${name} successful`,
      'statefulset-controller',
    );
    if (ordered) break;
  }
  for (const p of pods) {
    if (ordinal(sts, p) >= n && !p.metadata.deletionTimestamp) {
      ctx.delete('Pod', p);
      ctx.event(
        sts,
        'Normal',
        'SuccessfulDelete',
        `delete Pod ${String(p.metadata.name)} in StatefulSet ${name} successful`,
        'statefulset-controller',
      );
    }
  }
  const live = ctx.owned('Pod', sts).filter((p) => !p.metadata.deletionTimestamp && ordinal(sts, p) < n);
  const outdated = live
    .filter((p) => p.metadata.labels?.['controller-revision-hash'] !== revision)
    .sort((a, b) => ordinal(sts, b) - ordinal(sts, a));
  if (outdated.length > 0 && live.length === n && live.every(podReady) && sts.spec.updateStrategy?.type !== 'OnDelete') {
    ctx.delete('Pod', outdated[0]!);
  }
  const ready = live.filter(podReady).length;
  const updated = live.filter((p) => p.metadata.labels?.['controller-revision-hash'] === revision).length;
  ctx.update(
    'StatefulSet',
    sts,
    (o) => {
      const prev = (o.status ?? {}) as KubeObject;
      const current = updated === n ? revision : (prev.currentRevision ?? revision);
      const status: KubeObject = { observedGeneration: o.metadata.generation, replicas: live.length };
      if (ready) status.readyReplicas = ready;
      const cur = live.filter((p) => p.metadata.labels?.['controller-revision-hash'] === current).length;
      if (cur) status.currentReplicas = cur;
      if (updated) status.updatedReplicas = updated;
      status.currentRevision = current;
      status.updateRevision = revision;
      status.collisionCount = 0;
      status.availableReplicas = ready;
      o.status = status;
    },
    'status',
  );
}

export function reconcileDaemonSet(ctx: ControllerContext, ds: KubeObject): void {
  if (ds.metadata.deletionTimestamp) return;
  const hash = safeHash(JSON.stringify(ds.spec.template)).slice(0, 10);
  let pods = ctx.owned('Pod', ds).filter((p) => !p.metadata.deletionTimestamp);
  for (const p of pods) if (p.metadata.labels?.['controller-revision-hash'] !== hash) ctx.delete('Pod', p);
  pods = pods.filter((p) => p.metadata.labels?.['controller-revision-hash'] === hash);
  if (pods.length === 0) {
    const tpl = clone(ds.spec.template ?? {});
    const generateName = `${ds.metadata.name}-`;
    ctx.create('Pod', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `${generateName}${randomSuffix()}`,
        generateName,
        namespace: ds.metadata.namespace,
        labels: {
          ...(tpl.metadata?.labels ?? {}),
          'controller-revision-hash': hash,
          'pod-template-generation': String(ds.metadata.generation ?? 1),
        },
        ownerReferences: [ctx.ownerRef(ds)],
      },
      spec: { ...tpl.spec, nodeName: ctx.options.nodeName },
    });
  }
  const live = ctx.owned('Pod', ds).filter((p) => !p.metadata.deletionTimestamp);
  const ready = live.filter(podReady).length;
  ctx.update(
    'DaemonSet',
    ds,
    (o) => {
      o.status = {
        currentNumberScheduled: live.length,
        numberMisscheduled: 0,
        desiredNumberScheduled: 1,
        numberReady: ready,
        observedGeneration: o.metadata.generation,
        updatedNumberScheduled: live.length,
        ...(ready ? { numberAvailable: ready } : { numberUnavailable: 1 }),
      };
    },
    'status',
  );
}

export function reconcileJob(ctx: ControllerContext, job: KubeObject): void {
  if (job.metadata.deletionTimestamp || job.spec.suspend) return;
  const pods = ctx.owned('Pod', job);
  const succeeded = pods.filter((p) => p.status?.phase === 'Succeeded').length;
  const failed = pods.filter((p) => p.status?.phase === 'Failed').length;
  const active = pods.filter((p) => !['Succeeded', 'Failed'].includes(p.status?.phase) && !p.metadata.deletionTimestamp);
  const completions = Number(job.spec.completions ?? 1);
  const done = job.status?.conditions?.some(
    (c: KubeObject) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
  );
  const backoffExceeded = failed > Number(job.spec.backoffLimit ?? 6);
  if (!done && !backoffExceeded) {
    const want = Math.min(Number(job.spec.parallelism ?? 1), completions - succeeded) - active.length;
    for (let i = 0; i < want; i++) {
      const tpl = clone(job.spec.template ?? {});
      const generateName = `${job.metadata.name}-`;
      const made = ctx.create(
        'Pod',
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name: `${generateName}${randomSuffix()}`,
            generateName,
            namespace: job.metadata.namespace,
            labels: tpl.metadata?.labels ?? {},
            ownerReferences: [ctx.ownerRef(job)],
          },
          spec: tpl.spec,
        },
        'kube-controller-manager',
      );
      if (made) ctx.event(job, 'Normal', 'SuccessfulCreate', `Created pod: ${made.metadata.name}`, 'job-controller');
    }
  }
  const now = nowTime();
  ctx.update(
    'Job',
    job,
    (o) => {
      const prev = (o.status ?? {}) as KubeObject;
      const status: KubeObject = { ...prev, startTime: prev.startTime ?? now };
      const nowActive = ctx
        .owned('Pod', job)
        .filter((p) => !['Succeeded', 'Failed'].includes(p.status?.phase) && !p.metadata.deletionTimestamp).length;
      if (nowActive) status.active = nowActive;
      else delete status.active;
      if (succeeded) status.succeeded = succeeded;
      if (failed) status.failed = failed;
      status.ready = 0;
      status.uncountedTerminatedPods = {};
      if (!done && succeeded >= completions) {
        status.completionTime = now;
        status.conditions = [{ type: 'Complete', status: 'True', lastProbeTime: now, lastTransitionTime: now }];
        ctx.event(job, 'Normal', 'Completed', 'Job completed', 'job-controller');
      } else if (!done && backoffExceeded) {
        status.conditions = [
          {
            type: 'Failed',
            status: 'True',
            lastProbeTime: now,
            lastTransitionTime: now,
            reason: 'BackoffLimitExceeded',
            message: 'Job has reached the specified backoff limit',
          },
        ];
      }
      o.status = status;
    },
    'status',
  );
}
