/** Server-side defaulting, per kind, with the values a v1.26 apiserver fills in. */
import type { KubeObject } from './types.ts';
import { isPlainObject } from './util.ts';

export interface DefaultingContext {
  /** Allocates a ClusterIP for a new Service. */
  allocateClusterIp(): string;
  /** Allocates a NodePort. */
  allocateNodePort(): number;
}

function setIfAbsent(obj: KubeObject, key: string, value: unknown): void {
  if (obj[key] === undefined || obj[key] === null) obj[key] = value;
}

function defaultProbe(p: KubeObject | undefined): void {
  if (!isPlainObject(p)) return;
  if (isPlainObject(p.httpGet)) setIfAbsent(p.httpGet, 'scheme', 'HTTP');
  setIfAbsent(p, 'timeoutSeconds', 1);
  setIfAbsent(p, 'periodSeconds', 10);
  setIfAbsent(p, 'successThreshold', 1);
  setIfAbsent(p, 'failureThreshold', 3);
}

function defaultContainer(c: KubeObject): void {
  for (const port of (c.ports ?? []) as KubeObject[]) setIfAbsent(port, 'protocol', 'TCP');
  for (const e of (c.env ?? []) as KubeObject[]) {
    if (isPlainObject(e.valueFrom) && isPlainObject(e.valueFrom.fieldRef)) setIfAbsent(e.valueFrom.fieldRef, 'apiVersion', 'v1');
  }
  setIfAbsent(c, 'resources', {});
  defaultProbe(c.readinessProbe);
  defaultProbe(c.livenessProbe);
  defaultProbe(c.startupProbe);
  setIfAbsent(c, 'terminationMessagePath', '/dev/termination-log');
  setIfAbsent(c, 'terminationMessagePolicy', 'File');
  const image = String(c.image ?? '');
  const tag = image.includes('@') ? 'digest' : image.split('/').pop()!.split(':')[1];
  setIfAbsent(c, 'imagePullPolicy', tag === undefined || tag === 'latest' ? 'Always' : 'IfNotPresent');
}

/** PodSpec defaults (also used for templates). */
export function defaultPodSpec(spec: KubeObject): void {
  for (const v of (spec.volumes ?? []) as KubeObject[]) {
    if (isPlainObject(v.secret)) setIfAbsent(v.secret, 'defaultMode', 420);
    if (isPlainObject(v.configMap)) setIfAbsent(v.configMap, 'defaultMode', 420);
    if (isPlainObject(v.projected)) setIfAbsent(v.projected, 'defaultMode', 420);
  }
  for (const c of (spec.initContainers ?? []) as KubeObject[]) defaultContainer(c);
  for (const c of (spec.containers ?? []) as KubeObject[]) defaultContainer(c);
  setIfAbsent(spec, 'restartPolicy', 'Always');
  setIfAbsent(spec, 'terminationGracePeriodSeconds', 30);
  setIfAbsent(spec, 'dnsPolicy', 'ClusterFirst');
  setIfAbsent(spec, 'securityContext', {});
  setIfAbsent(spec, 'schedulerName', 'default-scheduler');
}

function defaultTemplate(t: KubeObject | undefined): void {
  if (!isPlainObject(t)) return;
  if (!isPlainObject(t.metadata)) t.metadata = {};
  if (!('creationTimestamp' in t.metadata)) t.metadata = { creationTimestamp: null, ...t.metadata };
  if (!isPlainObject(t.spec)) t.spec = {};
  defaultPodSpec(t.spec);
}

function defaultPvcSpec(spec: KubeObject): void {
  setIfAbsent(spec, 'volumeMode', 'Filesystem');
}

function addFinalizer(obj: KubeObject, f: string): void {
  const list = (obj.metadata.finalizers ?? []) as string[];
  if (!list.includes(f)) obj.metadata.finalizers = [...list, f];
}

/** Fills defaults into `obj` in place (kind decides). `isCreate` adds create-only defaults. */
export function applyDefaults(obj: KubeObject, ctx: DefaultingContext, isCreate: boolean): void {
  const spec = (obj.spec ??= {}) as KubeObject;
  switch (obj.kind) {
    case 'Namespace':
      obj.metadata.labels = { ...(obj.metadata.labels ?? {}), 'kubernetes.io/metadata.name': obj.metadata.name };
      setIfAbsent(spec, 'finalizers', ['kubernetes']);
      obj.status = { phase: 'Active', ...(obj.status ?? {}) };
      break;
    case 'Secret':
      delete obj.spec;
      if (isPlainObject(obj.stringData)) {
        const data: KubeObject = { ...(obj.data ?? {}) };
        for (const [k, v] of Object.entries(obj.stringData)) data[k] = Buffer.from(String(v)).toString('base64');
        obj.data = Object.fromEntries(Object.entries(data).sort(([a], [b]) => (a < b ? -1 : 1)));
        delete obj.stringData;
      }
      setIfAbsent(obj, 'type', 'Opaque');
      break;
    case 'ConfigMap':
    case 'ServiceAccount':
    case 'Event':
    case 'Endpoints':
    case 'Role':
    case 'ClusterRole':
    case 'RoleBinding':
    case 'ClusterRoleBinding':
      delete obj.spec;
      break;
    case 'Service': {
      setIfAbsent(spec, 'type', 'ClusterIP');
      setIfAbsent(spec, 'sessionAffinity', 'None');
      for (const p of (spec.ports ?? []) as KubeObject[]) {
        setIfAbsent(p, 'protocol', 'TCP');
        setIfAbsent(p, 'targetPort', p.port);
        if ((spec.type === 'NodePort' || spec.type === 'LoadBalancer') && p.nodePort === undefined)
          p.nodePort = ctx.allocateNodePort();
      }
      if (spec.type !== 'ExternalName') {
        if (spec.clusterIP === undefined || spec.clusterIP === '') spec.clusterIP = ctx.allocateClusterIp();
        setIfAbsent(spec, 'clusterIPs', [spec.clusterIP]);
        setIfAbsent(spec, 'ipFamilies', ['IPv4']);
        setIfAbsent(spec, 'ipFamilyPolicy', 'SingleStack');
        setIfAbsent(spec, 'internalTrafficPolicy', 'Cluster');
      }
      if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') setIfAbsent(spec, 'externalTrafficPolicy', 'Cluster');
      setIfAbsent(obj, 'status', { loadBalancer: {} });
      break;
    }
    case 'PersistentVolume':
      setIfAbsent(spec, 'persistentVolumeReclaimPolicy', 'Retain');
      setIfAbsent(spec, 'volumeMode', 'Filesystem');
      if (isCreate) addFinalizer(obj, 'kubernetes.io/pv-protection');
      setIfAbsent(obj, 'status', { phase: 'Pending' });
      break;
    case 'PersistentVolumeClaim':
      defaultPvcSpec(spec);
      if (isCreate) addFinalizer(obj, 'kubernetes.io/pvc-protection');
      setIfAbsent(obj, 'status', { phase: 'Pending' });
      break;
    case 'Pod':
      defaultPodSpec(spec);
      setIfAbsent(spec, 'serviceAccountName', 'default');
      setIfAbsent(spec, 'serviceAccount', spec.serviceAccountName);
      setIfAbsent(spec, 'tolerations', [
        { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      ]);
      setIfAbsent(spec, 'priority', 0);
      setIfAbsent(spec, 'enableServiceLinks', true);
      setIfAbsent(spec, 'preemptionPolicy', 'PreemptLowerPriority');
      setIfAbsent(obj, 'status', { phase: 'Pending', qosClass: 'BestEffort' });
      break;
    case 'Deployment':
      setIfAbsent(spec, 'replicas', 1);
      defaultTemplate(spec.template);
      if (!isPlainObject(spec.strategy)) spec.strategy = { type: 'RollingUpdate' };
      setIfAbsent(spec.strategy, 'type', 'RollingUpdate');
      if (spec.strategy.type === 'RollingUpdate') {
        spec.strategy.rollingUpdate = { maxUnavailable: '25%', maxSurge: '25%', ...(spec.strategy.rollingUpdate ?? {}) };
      }
      setIfAbsent(spec, 'revisionHistoryLimit', 10);
      setIfAbsent(spec, 'progressDeadlineSeconds', 600);
      setIfAbsent(obj, 'status', {});
      break;
    case 'ReplicaSet':
      setIfAbsent(spec, 'replicas', 1);
      defaultTemplate(spec.template);
      setIfAbsent(obj, 'status', { replicas: 0 });
      break;
    case 'StatefulSet':
      setIfAbsent(spec, 'replicas', 1);
      defaultTemplate(spec.template);
      for (const t of (spec.volumeClaimTemplates ?? []) as KubeObject[]) {
        setIfAbsent(t, 'kind', 'PersistentVolumeClaim');
        setIfAbsent(t, 'apiVersion', 'v1');
        if (!isPlainObject(t.metadata)) t.metadata = {};
        if (!('creationTimestamp' in t.metadata)) t.metadata.creationTimestamp = null;
        if (!isPlainObject(t.spec)) t.spec = {};
        defaultPvcSpec(t.spec);
        setIfAbsent(t, 'status', { phase: 'Pending' });
      }
      setIfAbsent(spec, 'podManagementPolicy', 'OrderedReady');
      setIfAbsent(spec, 'updateStrategy', { type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
      setIfAbsent(spec, 'revisionHistoryLimit', 10);
      setIfAbsent(obj, 'status', { replicas: 0, availableReplicas: 0 });
      break;
    case 'DaemonSet':
      defaultTemplate(spec.template);
      setIfAbsent(spec, 'updateStrategy', { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
      setIfAbsent(spec, 'revisionHistoryLimit', 10);
      setIfAbsent(obj, 'status', { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 });
      break;
    case 'Job':
      if (isCreate && obj.metadata.uid && !spec.manualSelector) {
        const uid = String(obj.metadata.uid);
        spec.selector = { matchLabels: { 'controller-uid': uid } };
        if (isPlainObject(spec.template)) {
          spec.template.metadata = { ...(spec.template.metadata ?? {}) };
          spec.template.metadata.labels = {
            ...(spec.template.metadata.labels ?? {}),
            'controller-uid': uid,
            'job-name': obj.metadata.name,
          };
        }
      }
      setIfAbsent(spec, 'parallelism', 1);
      setIfAbsent(spec, 'completions', 1);
      setIfAbsent(spec, 'backoffLimit', 6);
      setIfAbsent(spec, 'completionMode', 'NonIndexed');
      setIfAbsent(spec, 'suspend', false);
      defaultTemplate(spec.template);
      setIfAbsent(obj, 'status', {});
      break;
    case 'CronJob':
      setIfAbsent(spec, 'concurrencyPolicy', 'Allow');
      setIfAbsent(spec, 'suspend', false);
      if (isPlainObject(spec.jobTemplate)) {
        if (!isPlainObject(spec.jobTemplate.metadata)) spec.jobTemplate.metadata = {};
        if (!('creationTimestamp' in spec.jobTemplate.metadata)) spec.jobTemplate.metadata.creationTimestamp = null;
        if (isPlainObject(spec.jobTemplate.spec)) defaultTemplate(spec.jobTemplate.spec.template);
      }
      setIfAbsent(spec, 'successfulJobsHistoryLimit', 3);
      setIfAbsent(spec, 'failedJobsHistoryLimit', 1);
      setIfAbsent(obj, 'status', {});
      break;
    case 'NetworkPolicy':
      setIfAbsent(obj, 'status', {});
      break;
    case 'Ingress':
      setIfAbsent(obj, 'status', { loadBalancer: {} });
      break;
    case 'PodDisruptionBudget':
      setIfAbsent(obj, 'status', { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 });
      break;
    default:
      break;
  }
  if (
    isPlainObject(obj.spec) &&
    Object.keys(obj.spec).length === 0 &&
    !['Deployment', 'Service', 'Pod'].includes(String(obj.kind))
  ) {
    if (
      [
        'ConfigMap',
        'Secret',
        'ServiceAccount',
        'Event',
        'Endpoints',
        'Role',
        'ClusterRole',
        'RoleBinding',
        'ClusterRoleBinding',
        'LimitRange',
        'StorageClass',
        'CSIStorageCapacity',
      ].includes(String(obj.kind))
    )
      delete obj.spec;
  }
}
