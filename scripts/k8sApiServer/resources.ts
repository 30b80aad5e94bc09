/**
 * The resource types the test server serves, and the discovery documents built from them
 * (shapes and values as a v1.26 kube-apiserver answers /api, /api/v1, /apis, /apis/<g>/<v>).
 */
import type { KubeObject, ResourceType } from './types.ts';

const FLOWCONTROL = ['v1beta3', 'v1beta2'];
const ALL = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] as const;

interface Row {
  plural: string;
  kind: string;
  namespaced?: boolean;
  verbs?: readonly string[];
  shortNames?: string[];
  categories?: string[];
  hash: string;
  sub?: string[];
  gen?: boolean;
  /** The group/version that replaces this deprecated one (a Warning on every request). */
  replacedBy?: string;
  /** The release that removes this deprecated version. */
  removedIn?: string;
}

function group(groupName: string, version: string, rows: Row[]): ResourceType[] {
  return rows.map((r) => ({
    group: groupName,
    version,
    plural: r.plural,
    kind: r.kind,
    namespaced: r.namespaced ?? true,
    verbs: r.verbs ?? ALL,
    ...(r.shortNames ? { shortNames: r.shortNames } : {}),
    ...(r.categories ? { categories: r.categories } : {}),
    storageVersionHash: r.hash,
    subresources: r.sub ?? [],
    hasGeneration: r.gen ?? false,
    ...(r.replacedBy
      ? {
          warning: `${groupName}/${version} ${r.kind} is deprecated in v1.26+, unavailable in ${r.removedIn ?? ''}+; use ${r.replacedBy} ${r.kind}`,
        }
      : {}),
  }));
}

/** Every served resource type, in discovery order within each group. */
export const RESOURCE_TYPES: readonly ResourceType[] = [
  ...group('', 'v1', [
    { plural: 'configmaps', kind: 'ConfigMap', shortNames: ['cm'], hash: 'qFsyl6wFWjQ=' },
    { plural: 'endpoints', kind: 'Endpoints', shortNames: ['ep'], hash: 'fWeeMqaN/OA=' },
    { plural: 'events', kind: 'Event', shortNames: ['ev'], hash: 'r2yiGXH7wu8=' },
    { plural: 'limitranges', kind: 'LimitRange', shortNames: ['limits'], hash: 'EBKMFVe6cwo=' },
    {
      plural: 'namespaces',
      kind: 'Namespace',
      namespaced: false,
      shortNames: ['ns'],
      hash: 'Q3oi5N2YM8M=',
      verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
      sub: ['finalize', 'status'],
    },
    { plural: 'nodes', kind: 'Node', namespaced: false, shortNames: ['no'], hash: 'XwShjMxG9Fs=', sub: ['status'] },
    {
      plural: 'persistentvolumeclaims',
      kind: 'PersistentVolumeClaim',
      shortNames: ['pvc'],
      hash: 'QWTyNDq0dC4=',
      sub: ['status'],
    },
    {
      plural: 'persistentvolumes',
      kind: 'PersistentVolume',
      namespaced: false,
      shortNames: ['pv'],
      hash: 'HN/zwEC+JgM=',
      sub: ['status'],
    },
    { plural: 'pods', kind: 'Pod', shortNames: ['po'], categories: ['all'], hash: 'xPOwRZ+Yhw8=', sub: ['log', 'status'] },
    { plural: 'podtemplates', kind: 'PodTemplate', hash: 'LIXB2x4IFpk=' },
    {
      plural: 'replicationcontrollers',
      kind: 'ReplicationController',
      shortNames: ['rc'],
      categories: ['all'],
      hash: 'Jond2If31h0=',
      sub: ['status'],
    },
    { plural: 'resourcequotas', kind: 'ResourceQuota', shortNames: ['quota'], hash: '8uhSgffRX6w=', sub: ['status'] },
    { plural: 'secrets', kind: 'Secret', hash: 'S6u1pOWzb84=' },
    { plural: 'serviceaccounts', kind: 'ServiceAccount', shortNames: ['sa'], hash: 'pbx9ZvyFpBE=' },
    {
      plural: 'services',
      kind: 'Service',
      shortNames: ['svc'],
      categories: ['all'],
      hash: '0/CO1lhkEBI=',
      sub: ['proxy', 'status'],
    },
  ]),
  ...group('apps', 'v1', [
    { plural: 'controllerrevisions', kind: 'ControllerRevision', hash: '85nkx63pcBU=' },
    {
      plural: 'daemonsets',
      kind: 'DaemonSet',
      shortNames: ['ds'],
      categories: ['all'],
      hash: 'dd7pWHUlMKQ=',
      sub: ['status'],
      gen: true,
    },
    {
      plural: 'deployments',
      kind: 'Deployment',
      shortNames: ['deploy'],
      categories: ['all'],
      hash: '8aSe+NMegvE=',
      sub: ['scale', 'status'],
      gen: true,
    },
    {
      plural: 'replicasets',
      kind: 'ReplicaSet',
      shortNames: ['rs'],
      categories: ['all'],
      hash: 'P1RzHs8/mWQ=',
      sub: ['scale', 'status'],
      gen: true,
    },
    {
      plural: 'statefulsets',
      kind: 'StatefulSet',
      shortNames: ['sts'],
      categories: ['all'],
      hash: 'H+vl74LkKdo=',
      sub: ['scale', 'status'],
      gen: true,
    },
  ]),
  ...group('batch', 'v1', [
    {
      plural: 'cronjobs',
      kind: 'CronJob',
      shortNames: ['cj'],
      categories: ['all'],
      hash: 'sd5LIXh4Fjs=',
      sub: ['status'],
      gen: true,
    },
    { plural: 'jobs', kind: 'Job', categories: ['all'], hash: 'mudhfqk/qZY=', sub: ['status'], gen: true },
  ]),
  ...group('networking.k8s.io', 'v1', [
    { plural: 'ingressclasses', kind: 'IngressClass', namespaced: false, hash: 'l/iqIbDgFyQ=', gen: true },
    { plural: 'ingresses', kind: 'Ingress', shortNames: ['ing'], hash: '39NQlfNR+bo=', sub: ['status'], gen: true },
    {
      plural: 'networkpolicies',
      kind: 'NetworkPolicy',
      shortNames: ['netpol'],
      hash: 'YpfwF18m1G8=',
      sub: ['status'],
      gen: true,
    },
  ]),
  ...group('policy', 'v1', [
    {
      plural: 'poddisruptionbudgets',
      kind: 'PodDisruptionBudget',
      shortNames: ['pdb'],
      hash: '6BGBu0kpHtk=',
      sub: ['status'],
      gen: true,
    },
  ]),
  ...group('rbac.authorization.k8s.io', 'v1', [
    { plural: 'clusterrolebindings', kind: 'ClusterRoleBinding', namespaced: false, hash: '48tpQ8gZHFc=' },
    { plural: 'clusterroles', kind: 'ClusterRole', namespaced: false, hash: 'bYE5ZWDrJ44=' },
    { plural: 'rolebindings', kind: 'RoleBinding', hash: 'eGsCzGH6b1g=' },
    { plural: 'roles', kind: 'Role', hash: '7FuwZcIIItM=' },
  ]),
  ...group('storage.k8s.io', 'v1', [
    { plural: 'storageclasses', kind: 'StorageClass', namespaced: false, shortNames: ['sc'], hash: 'K+m6uJwbjGY=' },
  ]),
  ...group('storage.k8s.io', 'v1beta1', [{ plural: 'csistoragecapacities', kind: 'CSIStorageCapacity', hash: '4as6MA/kOg0=' }]),
  ...FLOWCONTROL.flatMap((version) =>
    group(
      'flowcontrol.apiserver.k8s.io',
      version,
      ['flowschemas', 'prioritylevelconfigurations'].map((plural) => ({
        plural,
        kind: plural === 'flowschemas' ? 'FlowSchema' : 'PriorityLevelConfiguration',
        namespaced: false,
        hash: plural === 'flowschemas' ? 'G+8IkWqFuL8=' : 'YBcyHuZ/pDI=',
        sub: ['status'],
        gen: true,
        ...(version === 'v1beta2' ? { replacedBy: 'flowcontrol.apiserver.k8s.io/v1beta3', removedIn: 'v1.29' } : {}),
      })),
    ),
  ),
];

/** Served group/versions, `v1` first, then the named groups in the order a 1.26 server lists them. */
export const GROUP_VERSIONS: readonly { group: string; version: string }[] = [
  { group: '', version: 'v1' },
  { group: 'apps', version: 'v1' },
  { group: 'batch', version: 'v1' },
  { group: 'networking.k8s.io', version: 'v1' },
  { group: 'policy', version: 'v1' },
  { group: 'rbac.authorization.k8s.io', version: 'v1' },
  { group: 'storage.k8s.io', version: 'v1' },
  { group: 'storage.k8s.io', version: 'v1beta1' },
  ...FLOWCONTROL.map((version) => ({ group: 'flowcontrol.apiserver.k8s.io', version })),
];

export function isServedGroup(groupName: string): boolean {
  return GROUP_VERSIONS.some((gv) => gv.group === groupName);
}

export function isServedGroupVersion(groupName: string, version: string): boolean {
  return GROUP_VERSIONS.some((gv) => gv.group === groupName && gv.version === version);
}

export function findResourceType(groupName: string, version: string, plural: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((r) => r.group === groupName && r.version === version && r.plural === plural);
}

/** Looks a type up by apiVersion and kind, as written in an object. */
export function findByKind(apiVersion: string, kind: string): ResourceType | undefined {
  const [g, v] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  return RESOURCE_TYPES.find((r) => r.group === g && r.version === v && r.kind === kind);
}

export function versionInfo(): KubeObject {
  return {
    major: '1',
    minor: '26',
    gitVersion: 'v1.26.0',
    gitCommit: 'b46a3f887ca979b1a5d14fd39cb1af43e7e5d12d',
    gitTreeState: 'clean',
    buildDate: '2022-12-08T19:51:43Z',
    goVersion: 'go1.19.4',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

export function apiVersionsDoc(serverAddress: string): KubeObject {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

export function apiGroupListDoc(): KubeObject {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [...new Set(GROUP_VERSIONS.filter((gv) => gv.group !== '').map((gv) => gv.group))].map((name) => {
      const versions = GROUP_VERSIONS.filter((gv) => gv.group === name).map((gv) => ({
        groupVersion: `${name}/${gv.version}`,
        version: gv.version,
      }));
      return { name, versions, preferredVersion: versions[0] };
    }),
  };
}

const SUB_VERBS: Record<string, string[]> = {
  status: ['get', 'patch', 'update'],
  scale: ['get', 'patch', 'update'],
  log: ['get'],
  finalize: ['update'],
  proxy: ['create', 'delete', 'get', 'patch', 'update'],
};

export function apiResourceListDoc(groupName: string, version: string): KubeObject {
  const resources: KubeObject[] = [];
  for (const rt of RESOURCE_TYPES.filter((r) => r.group === groupName && r.version === version)) {
    resources.push({
      name: rt.plural,
      singularName: '',
      namespaced: rt.namespaced,
      kind: rt.kind,
      verbs: [...rt.verbs],
      ...(rt.shortNames ? { shortNames: [...rt.shortNames] } : {}),
      ...(rt.categories ? { categories: [...rt.categories] } : {}),
      storageVersionHash: rt.storageVersionHash,
    });
    for (const sub of rt.subresources) {
      const row: KubeObject = { name: `${rt.plural}/${sub}`, singularName: '', namespaced: rt.namespaced };
      if (sub === 'scale') Object.assign(row, { group: 'autoscaling', version: 'v1', kind: 'Scale' });
      else row.kind = sub === 'proxy' ? `${rt.kind}ProxyOptions` : rt.kind;
      row.verbs = SUB_VERBS[sub];
      resources.push(row);
    }
  }
  const gv = groupName === '' ? version : `${groupName}/${version}`;
  return groupName === ''
    ? { kind: 'APIResourceList', groupVersion: gv, resources }
    : { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv, resources };
}
