/**
 * The order objects are applied in, so that what an object needs exists before it: namespaces,
 * storage, configuration and secrets, service accounts and RBAC, services, workloads, jobs,
 * ingress. Kinds not listed go with the workloads.
 */
const TIERS: readonly (readonly string[])[] = [
  ['Namespace', 'CustomResourceDefinition', 'PriorityClass'],
  ['StorageClass', 'PersistentVolume', 'PersistentVolumeClaim'],
  ['ConfigMap', 'Secret', 'LimitRange', 'ResourceQuota'],
  ['ServiceAccount', 'Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding'],
  ['Service', 'Endpoints', 'EndpointSlice'],
  ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Pod', 'PodDisruptionBudget', 'HorizontalPodAutoscaler'],
  ['Job', 'CronJob'],
  ['Ingress', 'IngressClass', 'NetworkPolicy'],
];
const WORKLOAD_TIER = 5;

export function applyTier(kind: string): number {
  const tier = TIERS.findIndex((kinds) => kinds.includes(kind));
  return tier < 0 ? WORKLOAD_TIER : tier;
}

/** Stable: objects of one tier keep the order they were written in. */
export function orderForApply<T extends { readonly kind: string }>(objects: readonly T[]): T[] {
  return objects
    .map((object, index) => ({ object, index, tier: applyTier(object.kind) }))
    .sort((a, b) => a.tier - b.tier || a.index - b.index)
    .map((x) => x.object);
}

/** The objects grouped by tier, in apply order: each group can go in parallel. */
export function applyTiers<T extends { readonly kind: string }>(objects: readonly T[]): T[][] {
  const groups = new Map<number, T[]>();
  for (const object of orderForApply(objects)) {
    const tier = applyTier(object.kind);
    groups.set(tier, [...(groups.get(tier) ?? []), object]);
  }
  return [...groups.values()];
}

const CLUSTER_SCOPED = new Set([
  'Namespace',
  'PersistentVolume',
  'StorageClass',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'PriorityClass',
  'IngressClass',
  'Node',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
]);

/** True for the built-in kinds that live outside namespaces. */
export function isClusterScoped(kind: string): boolean {
  return CLUSTER_SCOPED.has(kind);
}
