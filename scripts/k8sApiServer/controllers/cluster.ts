/** Namespace termination, garbage collection by ownerReferences, PV/PVC binding and protection, and Endpoints for Services. */
import type { KubeObject, ResourceType } from '../types.ts';
import { matchesSelectorObject, newUid, nowTime, parseQuantity } from '../util.ts';
import type { ControllerContext } from './context.ts';

const terminating = new Set<string>();
const bindWaited = new Set<string>();

/** The namespace controller's conditions after a pass that left content behind (what is still there, by resource). */
function reportRemaining(ctx: ControllerContext, name: string): void {
  const counts: string[] = [];
  for (const rt of ctx.registry.allTypes().filter((r) => r.namespaced && r.kind !== 'Event')) {
    const n = ctx.registry.store.list(rt, name).length;
    if (n > 0) counts.push(`${rt.group === '' ? rt.plural : `${rt.plural}.${rt.group}`}. has ${n} resource instances`);
  }
  const ns = ctx.get('Namespace', undefined, name);
  if (!ns || counts.length === 0) return;
  const now = nowTime();
  const cond = (type: string, status: string, reason: string, message: string): KubeObject => ({
    type,
    status,
    lastTransitionTime: now,
    reason,
    message,
  });
  const conditions = [
    cond('NamespaceDeletionDiscoveryFailure', 'False', 'ResourcesDiscovered', 'All resources successfully discovered'),
    cond(
      'NamespaceDeletionGroupVersionParsingFailure',
      'False',
      'ParsedGroupVersions',
      'All legacy kube types successfully parsed',
    ),
    cond(
      'NamespaceDeletionContentFailure',
      'False',
      'ContentDeleted',
      'All content successfully deleted, may be waiting on finalization',
    ),
    cond('NamespaceContentRemaining', 'True', 'SomeResourcesRemain', `Some resources are remaining: ${counts.join(', ')}`),
    cond('NamespaceFinalizersRemaining', 'False', 'ContentHasNoFinalizers', 'All content-preserving finalizers finished'),
  ];
  const old = (ns.status?.conditions ?? []) as KubeObject[];
  if (old.length === conditions.length && old.every((c, i) => c.message === conditions[i]!.message)) return;
  ctx.update(
    'Namespace',
    ns,
    (o) => {
      o.status = {
        ...o.status,
        conditions: conditions.map((c) => ({
          ...c,
          lastTransitionTime: old.find((x) => x.type === c.type && x.status === c.status)?.lastTransitionTime ?? now,
        })),
      };
    },
    'status',
  );
}

export function reconcileNamespace(ctx: ControllerContext, ns: KubeObject): void {
  if (!ns.metadata.deletionTimestamp) return;
  const name = String(ns.metadata.name);
  if (terminating.has(name)) return;
  terminating.add(name);
  const step = (first: boolean): void => {
    const cur = ctx.get('Namespace', undefined, name);
    if (!cur || cur.metadata.uid !== ns.metadata.uid) {
      terminating.delete(name);
      return;
    }
    let remaining = 0;
    for (const rt of ctx.registry.allTypes().filter((r) => r.namespaced)) {
      for (const o of ctx.registry.store.list(rt, name)) {
        remaining++;
        if (rt.kind === 'Event') {
          ctx.registry.forceRemove(rt, o);
          continue;
        }
        // Pods get their grace period: the kubelet removes them, as it does on a real node.
        if (!o.metadata.deletionTimestamp) ctx.delete(rt.kind, o);
        else if ((o.metadata.finalizers ?? []).length > 0 && !first) {
          ctx.update(rt.kind, o, (x) => {
            x.metadata.finalizers = [];
          });
        }
      }
    }
    if (remaining > 0) {
      reportRemaining(ctx, name);
      ctx.after(50, () => step(false));
      return;
    }
    terminating.delete(name);
    ctx.update(
      'Namespace',
      cur,
      (x) => {
        x.spec = { ...x.spec, finalizers: [] };
      },
      'finalize',
    );
    const left = ctx.get('Namespace', undefined, name);
    if (left && left.metadata.uid === ns.metadata.uid) ctx.remove('Namespace', left);
  };
  ctx.after(ctx.options.namespaceFinalizeDelayMs, () => step(true));
}

/** Background garbage collection: dependents of a removed owner are deleted. */
export function collectDependents(ctx: ControllerContext, ownerRt: ResourceType, owner: KubeObject): void {
  const uid = owner.metadata.uid;
  for (const rt of ctx.registry.allTypes()) {
    if (!rt.namespaced && ownerRt.namespaced) continue;
    for (const o of ctx.registry.store.list(rt, ownerRt.namespaced ? owner.metadata.namespace : undefined)) {
      if (o.metadata.deletionTimestamp) continue;
      if (((o.metadata.ownerReferences ?? []) as KubeObject[]).some((r) => r.uid === uid)) ctx.delete(rt.kind, o);
    }
  }
  const fg = owner.metadata.finalizers as string[] | undefined;
  if (fg?.includes('foregroundDeletion')) ctx.enqueue(owner.kind, owner.metadata.namespace, owner.metadata.name);
}

/** Foreground deletion: the owner keeps `foregroundDeletion` until its dependents are gone. */
export function reconcileForeground(ctx: ControllerContext, rt: ResourceType, obj: KubeObject): void {
  if (!obj.metadata.deletionTimestamp || !(obj.metadata.finalizers ?? []).includes('foregroundDeletion')) return;
  collectDependents(ctx, rt, { ...obj, metadata: { ...obj.metadata, finalizers: [] } });
  const uid = obj.metadata.uid;
  const left = ctx.registry
    .allTypes()
    .some((t) =>
      ctx.registry.store
        .list(t, obj.metadata.namespace)
        .some((o) => ((o.metadata.ownerReferences ?? []) as KubeObject[]).some((r) => r.uid === uid)),
    );
  if (left) {
    ctx.after(50, () => ctx.enqueue(rt.kind, obj.metadata.namespace, obj.metadata.name));
    return;
  }
  ctx.update(rt.kind, obj, (o) => {
    o.metadata.finalizers = (o.metadata.finalizers as string[]).filter((f) => f !== 'foregroundDeletion');
  });
}

function claimInUse(ctx: ControllerContext, pvc: KubeObject): boolean {
  return ctx
    .list('Pod', pvc.metadata.namespace)
    .some((p) => ((p.spec?.volumes ?? []) as KubeObject[]).some((v) => v.persistentVolumeClaim?.claimName === pvc.metadata.name));
}

const claimEvents = new Set<string>();

/** The PV controller reports a claim's waiting reason once, not on every sync. */
function claimEventOnce(
  ctx: ControllerContext,
  pvc: KubeObject,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
): void {
  const key = `${String(pvc.metadata.uid)}/${reason}`;
  if (claimEvents.has(key)) return;
  claimEvents.add(key);
  ctx.event(pvc, type, reason, message, 'persistentvolume-controller');
}

export function reconcileClaim(ctx: ControllerContext, pvc: KubeObject): void {
  if (pvc.metadata.deletionTimestamp) {
    if (!claimInUse(ctx, pvc)) {
      ctx.update('PersistentVolumeClaim', pvc, (o) => {
        o.metadata.finalizers = ((o.metadata.finalizers ?? []) as string[]).filter((f) => f !== 'kubernetes.io/pvc-protection');
      });
    }
    return;
  }
  if (pvc.spec?.volumeName || pvc.status?.phase === 'Bound') return;
  // The PV controller binds on its next sync, not inline with the claim's creation.
  const uid = String(pvc.metadata.uid);
  if (!bindWaited.has(uid)) {
    bindWaited.add(uid);
    ctx.after(ctx.options.pvBindDelayMs, () => ctx.enqueue('PersistentVolumeClaim', pvc.metadata.namespace, pvc.metadata.name));
    return;
  }
  const want = parseQuantity(pvc.spec?.resources?.requests?.storage);
  const cls = String(pvc.spec?.storageClassName ?? '');
  const modes = (pvc.spec?.accessModes ?? []) as string[];
  const storageClass = cls ? ctx.get('StorageClass', undefined, cls) : undefined;
  // WaitForFirstConsumer: the claim stays Pending until a pod that uses it is being scheduled.
  if (storageClass?.volumeBindingMode === 'WaitForFirstConsumer' && !claimInUse(ctx, pvc)) {
    claimEventOnce(ctx, pvc, 'Normal', 'WaitForFirstConsumer', 'waiting for first consumer to be created before binding');
    return;
  }
  const bySize = [...ctx.list('PersistentVolume')].sort(
    (a, b) => parseQuantity(a.spec?.capacity?.storage) - parseQuantity(b.spec?.capacity?.storage),
  );
  let pv = bySize.find(
    (v) =>
      !v.spec?.claimRef &&
      !v.metadata.deletionTimestamp &&
      String(v.spec?.storageClassName ?? '') === cls &&
      parseQuantity(v.spec?.capacity?.storage) >= want &&
      modes.every((m) => ((v.spec?.accessModes ?? []) as string[]).includes(m)),
  );
  if (!pv && cls && !storageClass) {
    claimEventOnce(ctx, pvc, 'Warning', 'ProvisioningFailed', `storageclass.storage.k8s.io ${JSON.stringify(cls)} not found`);
    return;
  }
  if (!pv && ctx.options.dynamicProvisioning) {
    pv = ctx.create(
      'PersistentVolume',
      {
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: {
          name: `pvc-${String(pvc.metadata.uid ?? newUid())}`,
          annotations: { 'pv.kubernetes.io/provisioned-by': 'dr-runbook.sandbox/hostpath' },
        },
        spec: {
          capacity: { storage: pvc.spec.resources.requests.storage },
          accessModes: modes,
          hostPath: {
            path: `/var/lib/dr-runbook-sandbox/${String(pvc.metadata.namespace)}/${String(pvc.metadata.name)}`,
            type: 'DirectoryOrCreate',
          },
          persistentVolumeReclaimPolicy: 'Delete',
          ...(cls ? { storageClassName: cls } : {}),
        },
      },
      'persistentvolume-controller',
    );
  }
  if (!pv) return;
  const boundPv = ctx.update('PersistentVolume', pv, (o) => {
    o.metadata.annotations = { ...o.metadata.annotations, 'pv.kubernetes.io/bound-by-controller': 'yes' };
    o.spec.claimRef = {
      kind: 'PersistentVolumeClaim',
      namespace: pvc.metadata.namespace,
      name: pvc.metadata.name,
      uid: pvc.metadata.uid,
      apiVersion: 'v1',
      resourceVersion: pvc.metadata.resourceVersion,
    };
  });
  if (!boundPv) return;
  ctx.update(
    'PersistentVolume',
    boundPv,
    (o) => {
      o.status = { phase: 'Bound' };
    },
    'status',
  );
  const claim = ctx.update('PersistentVolumeClaim', pvc, (o) => {
    o.metadata.annotations = {
      ...o.metadata.annotations,
      'pv.kubernetes.io/bind-completed': 'yes',
      'pv.kubernetes.io/bound-by-controller': 'yes',
    };
    o.spec.volumeName = pv.metadata.name;
  });
  if (!claim) return;
  ctx.update(
    'PersistentVolumeClaim',
    claim,
    (o) => {
      o.status = { phase: 'Bound', accessModes: boundPv.spec.accessModes, capacity: boundPv.spec.capacity };
    },
    'status',
  );
}

export function reconcileVolume(ctx: ControllerContext, pv: KubeObject): void {
  if (pv.metadata.deletionTimestamp) {
    if (pv.status?.phase !== 'Bound') {
      ctx.update('PersistentVolume', pv, (o) => {
        o.metadata.finalizers = ((o.metadata.finalizers ?? []) as string[]).filter((f) => f !== 'kubernetes.io/pv-protection');
      });
    }
    return;
  }
  const ref = pv.spec?.claimRef;
  if (!ref && pv.status?.phase === 'Pending') {
    ctx.update(
      'PersistentVolume',
      pv,
      (o) => {
        o.status = { phase: 'Available' };
      },
      'status',
    );
    for (const c of ctx.list('PersistentVolumeClaim'))
      if (c.status?.phase === 'Pending') ctx.enqueue('PersistentVolumeClaim', c.metadata.namespace, c.metadata.name);
    return;
  }
  if (ref && pv.status?.phase === 'Bound') {
    const claim = ctx.get('PersistentVolumeClaim', ref.namespace, ref.name);
    if (!claim || claim.metadata.uid !== ref.uid) {
      if (pv.spec.persistentVolumeReclaimPolicy === 'Delete') ctx.delete('PersistentVolume', pv);
      else
        ctx.update(
          'PersistentVolume',
          pv,
          (o) => {
            o.status = { phase: 'Released' };
          },
          'status',
        );
    }
  }
}

function resolvePort(port: KubeObject, pods: KubeObject[]): number {
  const target = port.targetPort ?? port.port;
  if (typeof target === 'number') return target;
  for (const p of pods) {
    for (const c of (p.spec?.containers ?? []) as KubeObject[]) {
      const hit = ((c.ports ?? []) as KubeObject[]).find((cp) => cp.name === target);
      if (hit) return Number(hit.containerPort);
    }
  }
  return Number(port.port);
}

export function reconcileEndpoints(ctx: ControllerContext, svc: KubeObject): void {
  if (!svc.spec?.selector || svc.metadata.deletionTimestamp) return;
  const ns = svc.metadata.namespace;
  const pods = ctx
    .list('Pod', ns)
    .filter(
      (p) =>
        !p.metadata.deletionTimestamp &&
        p.status?.podIP &&
        matchesSelectorObject(p.metadata.labels, { matchLabels: svc.spec.selector }),
    );
  const isReady = (p: KubeObject): boolean =>
    ((p.status?.conditions ?? []) as KubeObject[]).some((c) => c.type === 'Ready' && c.status === 'True');
  const addr = (p: KubeObject): KubeObject => ({
    ip: p.status.podIP,
    ...(p.spec?.hostname ? { hostname: p.spec.hostname } : {}),
    nodeName: p.spec.nodeName,
    targetRef: { kind: 'Pod', namespace: ns, name: p.metadata.name, uid: p.metadata.uid },
  });
  const ready = pods.filter(isReady).map(addr);
  const notReady = pods.filter((p) => !isReady(p)).map(addr);
  const ports = ((svc.spec.ports ?? []) as KubeObject[]).map((p) => ({
    ...(p.name ? { name: p.name } : {}),
    port: resolvePort(p, pods),
    protocol: p.protocol ?? 'TCP',
  }));
  const subsets =
    ready.length + notReady.length > 0
      ? [{ ...(ready.length ? { addresses: ready } : {}), ...(notReady.length ? { notReadyAddresses: notReady } : {}), ports }]
      : undefined;
  const existing = ctx.get('Endpoints', ns, svc.metadata.name);
  if (!existing) {
    ctx.create(
      'Endpoints',
      {
        apiVersion: 'v1',
        kind: 'Endpoints',
        metadata: { name: svc.metadata.name, namespace: ns, ...(svc.metadata.labels ? { labels: svc.metadata.labels } : {}) },
        ...(subsets ? { subsets } : {}),
      },
      'endpoint-controller',
    );
    return;
  }
  ctx.update(
    'Endpoints',
    existing,
    (o) => {
      if (subsets) o.subsets = subsets;
      else delete o.subsets;
    },
    undefined,
    'endpoint-controller',
  );
}
