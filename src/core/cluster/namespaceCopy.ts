import { err, ok, type Result } from '../result.js';
import { applyObjects, type AppliedObject, type ApplyError, type ApplyItem, type ApplyOptions } from './apply.js';
import { refOf, type ClusterError, type KubeObject } from './model.js';
import type { ClusterPort } from './port.js';

/**
 * What the drill copies from production: identities and their permissions, network and
 * disruption policies, configuration and workloads, not their running state.
 */
export const COPIED_KINDS: readonly { readonly apiVersion: string; readonly kind: string }[] = [
  // Without its ServiceAccounts (and their Roles) no pod of the copy can be created.
  { apiVersion: 'v1', kind: 'ServiceAccount' },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role' },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy' },
  { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget' },
  { apiVersion: 'v1', kind: 'ConfigMap' },
  { apiVersion: 'v1', kind: 'Secret' },
  { apiVersion: 'v1', kind: 'PersistentVolumeClaim' },
  { apiVersion: 'v1', kind: 'Service' },
  { apiVersion: 'apps/v1', kind: 'StatefulSet' },
  { apiVersion: 'apps/v1', kind: 'Deployment' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' },
];

/**
 * Read, and left out of the copy, each one named in the plan's skipped list. Left out rather than
 * copied suspended: a copied schedule is production's (the hourly backup, the quarterly drill
 * itself, which would delete the namespace it runs in), nothing the drill checks needs it, and a
 * suspended copy is one click away from running it; so the test environment's role needs no
 * write on Jobs or CronJobs either.
 */
export const NOT_COPIED_KINDS: readonly { readonly apiVersion: string; readonly kind: string; readonly why: string }[] = [
  { apiVersion: 'batch/v1', kind: 'CronJob', why: "a schedule of production's: the copy would run it in the test namespace" },
  { apiVersion: 'batch/v1', kind: 'Job', why: "a run of production's: the copy would run it again in the test namespace" },
];

export interface CopyPlan {
  readonly from: string;
  readonly to: string;
  /** What will be applied in the target namespace, each with what was changed on the way. */
  readonly items: readonly (ApplyItem & { readonly notes: readonly string[] })[];
  readonly skipped: readonly { readonly name: string; readonly kind: string; readonly why: string }[];
}

const SERVER_SET_ANNOTATIONS = [
  'kubectl.kubernetes.io/last-applied-configuration',
  'deployment.kubernetes.io/revision',
  'pv.kubernetes.io/bind-completed',
  'pv.kubernetes.io/bound-by-controller',
  'volume.beta.kubernetes.io/storage-provisioner',
  'volume.kubernetes.io/storage-provisioner',
  'volume.kubernetes.io/selected-node',
];

/**
 * Makes a copy of an object fit for another namespace: server-set fields go (uid,
 * resourceVersion, status, cluster IPs, node ports, managed fields, bindings), the namespace is
 * rewritten, ingress hosts get the target namespace in front so the copy cannot take production
 * traffic, and load balancers become cluster-internal. Returns why an object is skipped instead.
 */
export function copyForNamespace(object: KubeObject, to: string): { object: KubeObject; notes: string[] } | { skip: string } {
  const meta = object.metadata ?? {};
  if (meta.ownerReferences?.some((o) => o.controller))
    return { skip: `managed by ${meta.ownerReferences.find((o) => o.controller)!.kind}` };
  if (object.kind === 'ConfigMap' && meta.name === 'kube-root-ca.crt')
    return { skip: 'created by Kubernetes in every namespace' };
  if (object.kind === 'Secret' && object['type'] === 'kubernetes.io/service-account-token')
    return { skip: 'a service account token' };
  if (object.kind === 'ServiceAccount' && meta.name === 'default') return { skip: 'created by Kubernetes in every namespace' };
  const notes: string[] = [];
  const copy = structuredClone(object) as KubeObject & Record<string, unknown>;
  const annotations = { ...meta.annotations };
  for (const key of SERVER_SET_ANNOTATIONS) delete annotations[key];
  copy.metadata = {
    name: meta.name,
    namespace: to,
    ...(meta.labels ? { labels: { ...meta.labels } } : {}),
    ...(Object.keys(annotations).length ? { annotations } : {}),
  };
  delete copy['status'];
  const spec = copy['spec'] as Record<string, unknown> | undefined;
  if (object.kind === 'ServiceAccount') {
    // Token secrets are made per namespace; the copy gets its own.
    delete copy['secrets'];
  }
  if (object.kind === 'RoleBinding') {
    for (const subject of (copy['subjects'] as { kind?: string; namespace?: string; name?: string }[] | undefined) ?? []) {
      if (subject.kind === 'ServiceAccount' && subject.namespace === meta.namespace) {
        subject.namespace = to;
        notes.push(`binds ServiceAccount ${to}/${subject.name ?? ''} (not ${meta.namespace ?? ''}'s)`);
      }
    }
  }
  if (object.kind === 'Service' && spec) {
    // A headless Service stays headless: clusterIP None is what makes it so.
    if (spec['clusterIP'] !== 'None') {
      delete spec['clusterIP'];
      delete spec['clusterIPs'];
    }
    delete spec['healthCheckNodePort'];
    delete spec['loadBalancerIP'];
    const ports = (spec['ports'] as Record<string, unknown>[] | undefined) ?? [];
    for (const port of ports) delete port['nodePort'];
    if (spec['type'] === 'LoadBalancer' || spec['type'] === 'NodePort') {
      notes.push(`type ${String(spec['type'])} → ClusterIP (no external traffic)`);
      spec['type'] = 'ClusterIP';
      delete spec['externalTrafficPolicy'];
    }
  }
  if (object.kind === 'PersistentVolumeClaim' && spec) {
    delete spec['volumeName'];
    notes.push('binds a new volume');
  }
  if (object.kind === 'Ingress' && spec) {
    const rules = (spec['rules'] as { host?: string }[] | undefined) ?? [];
    for (const rule of rules) {
      if (rule.host) {
        notes.push(`host ${rule.host} → ${to}.${rule.host}`);
        rule.host = `${to}.${rule.host}`;
      }
    }
    for (const tls of (spec['tls'] as { hosts?: string[] }[] | undefined) ?? []) {
      tls.hosts = tls.hosts?.map((h) => `${to}.${h}`);
    }
  }
  return { object: copy, notes };
}

/** Reads what the source namespace holds and plans its copy: the dry-run list shown before copying. */
export async function planNamespaceCopy(cluster: ClusterPort, from: string, to: string): Promise<Result<CopyPlan, ClusterError>> {
  if (from === to) {
    return err({
      kind: 'invalid',
      context: cluster.context,
      message: `The copy's target namespace is the source namespace (${from}).`,
      hint: 'Name a separate test namespace.',
    });
  }
  const items: (ApplyItem & { notes: string[] })[] = [];
  const skipped: { name: string; kind: string; why: string }[] = [];
  for (const type of COPIED_KINDS) {
    const listed = await cluster.list({ ...type, namespace: from });
    if (!listed.ok) return listed;
    for (const object of listed.value.items) {
      const full = { apiVersion: type.apiVersion, kind: type.kind, ...object };
      const result = copyForNamespace(full, to);
      if ('skip' in result) skipped.push({ name: object.metadata?.name ?? '', kind: type.kind, why: result.skip });
      else
        items.push({ body: result.object, ref: refOf(result.object), file: `namespace ${from}`, line: 0, notes: result.notes });
    }
  }
  for (const type of NOT_COPIED_KINDS) {
    const listed = await cluster.list({ apiVersion: type.apiVersion, kind: type.kind, namespace: from });
    if (!listed.ok) return listed;
    for (const object of listed.value.items) skipped.push({ name: object.metadata?.name ?? '', kind: type.kind, why: type.why });
  }
  return ok({ from, to, items, skipped });
}

/** Applies a copy plan in the target namespace (with the usual preflight). */
export async function executeNamespaceCopy(
  cluster: ClusterPort,
  plan: CopyPlan,
  options: ApplyOptions = {},
): Promise<Result<AppliedObject[], ApplyError>> {
  return applyObjects(cluster, plan.items, options);
}
