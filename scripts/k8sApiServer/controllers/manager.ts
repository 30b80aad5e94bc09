/** Runs the simulated controllers: store changes enqueue the affected objects; a work queue reconciles them asynchronously. */
import type { StoreEvent } from '../types.ts';
import type { KubeObject } from '../types.ts';
import {
  collectDependents,
  reconcileClaim,
  reconcileEndpoints,
  reconcileForeground,
  reconcileNamespace,
  reconcileVolume,
} from './cluster.ts';
import type { ControllerContext } from './context.ts';
import { reconcileDeployment, reconcileReplicaSet } from './deployments.ts';
import { reconcilePod } from './pods.ts';
import { reconcileDaemonSet, reconcileJob, reconcileStatefulSet } from './workloads.ts';

const RECONCILERS: Record<string, (ctx: ControllerContext, o: KubeObject) => void> = {
  Deployment: reconcileDeployment,
  ReplicaSet: reconcileReplicaSet,
  StatefulSet: reconcileStatefulSet,
  DaemonSet: reconcileDaemonSet,
  Job: reconcileJob,
  Pod: reconcilePod,
  Namespace: reconcileNamespace,
  PersistentVolumeClaim: reconcileClaim,
  PersistentVolume: reconcileVolume,
  Service: reconcileEndpoints,
};

export class ControllerManager {
  private queue = new Map<string, { kind: string; ns: string | undefined; name: string }>();
  private scheduled = false;
  private unsubscribe: (() => void) | undefined;
  private stopped = false;

  constructor(private readonly ctx: ControllerContext) {
    ctx.enqueue = (kind, ns, name) => this.enqueue(kind, ns, name);
  }

  start(): void {
    this.unsubscribe = this.ctx.registry.store.subscribe((e) => this.onEvent(e));
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    this.ctx.stop();
  }

  enqueue(kind: string, ns: string | undefined, name: string): void {
    if (this.stopped) return;
    this.queue.set(`${kind}/${ns ?? ''}/${name}`, { kind, ns, name });
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.drain());
    }
  }

  private drain(): void {
    this.scheduled = false;
    const batch = [...this.queue.values()];
    this.queue.clear();
    for (const item of batch) {
      if (this.stopped) return;
      const fn = RECONCILERS[item.kind];
      const rt = this.ctx.registry.allTypes().find((r) => r.kind === item.kind);
      if (!rt) continue;
      const obj = this.ctx.registry.store.get(rt, item.ns, item.name);
      if (!obj) continue;
      reconcileForeground(this.ctx, rt, obj);
      if (fn) fn(this.ctx, obj);
    }
  }

  private owners(o: KubeObject): void {
    for (const r of (o.metadata.ownerReferences ?? []) as KubeObject[])
      this.enqueue(String(r.kind), o.metadata.namespace, String(r.name));
  }

  private onEvent(e: StoreEvent): void {
    const o = e.object;
    const kind = e.rt.kind;
    const ns = o.metadata.namespace as string | undefined;
    if (kind === 'Event') return;
    if (e.type === 'DELETED') {
      collectDependents(this.ctx, e.rt, o);
      this.owners(o);
      if (kind === 'Pod') {
        this.ctx.logs.removePod(String(ns), String(o.metadata.name));
        for (const s of this.ctx.list('Service', ns)) this.enqueue('Service', ns, s.metadata.name);
        for (const c of this.ctx.list('PersistentVolumeClaim', ns))
          if (c.metadata.deletionTimestamp) this.enqueue('PersistentVolumeClaim', ns, c.metadata.name);
      }
      if (kind === 'Service') {
        const ep = this.ctx.get('Endpoints', ns, o.metadata.name);
        if (ep) this.ctx.remove('Endpoints', ep);
      }
      if (kind === 'PersistentVolumeClaim' && o.spec?.volumeName) this.enqueue('PersistentVolume', undefined, o.spec.volumeName);
      if (kind === 'PersistentVolume')
        for (const c of this.ctx.list('PersistentVolumeClaim'))
          if (c.status?.phase === 'Pending') this.enqueue('PersistentVolumeClaim', c.metadata.namespace, c.metadata.name);
      return;
    }
    this.enqueue(kind, ns, o.metadata.name);
    this.owners(o);
    if (kind === 'Pod') {
      for (const s of this.ctx.list('Service', ns)) this.enqueue('Service', ns, s.metadata.name);
    }
    if (kind === 'PersistentVolumeClaim') {
      for (const p of this.ctx.list('Pod', ns)) if (!p.spec?.nodeName) this.enqueue('Pod', ns, p.metadata.name);
    }
    if (kind === 'Namespace' && !o.metadata.deletionTimestamp && e.type === 'ADDED') {
      this.ctx.create(
        'ServiceAccount',
        { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: o.metadata.name } },
        'kube-controller-manager',
      );
      this.ctx.create(
        'ConfigMap',
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: {
            name: 'kube-root-ca.crt',
            namespace: o.metadata.name,
            annotations: {
              'kubernetes.io/description':
                'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IPs or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.',
            },
          },
          data: { 'ca.crt': '-----BEGIN CERTIFICATE-----\nDR-RUNBOOK-TEST-SERVER\n-----END CERTIFICATE-----\n' },
        },
        'kube-controller-manager',
      );
    }
  }
}
