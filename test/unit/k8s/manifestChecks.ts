// Offline checks of the Kubernetes manifests under k8s/: every document against the Kubernetes
// OpenAPI schemas (kubernetes-models' validators for types, formats and required fields, and the
// field lists of @kubernetes/client-node's generated models for unknown fields: the schemas
// themselves allow any extra field, the API server does not), then checks across objects that
// a schema cannot express (selectors, ports, references, images, resources, pod security).
import * as k8s from '@kubernetes/client-node';
import type { IContainer, IPodSpec, IPodTemplateSpec, IVolume } from 'kubernetes-models/v1';
import type { IIoK8sApimachineryPkgApisMetaV1LabelSelector as LabelSelector } from '@kubernetes-models/apimachinery/apis/meta/v1/LabelSelector';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';
import { isClusterScoped } from '../../../src/core/cluster/applyOrder.js';

export const NAMESPACE = 'endpoint-stats';

export interface ManifestDoc {
  /** Path relative to the manifest root, e.g. core/flask-api.yaml */
  file: string;
  /** 0-based index of the document in its file */
  index: number;
  /** 1-based line where the document starts */
  line: number;
  object: KubeObject;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export function location(doc: ManifestDoc): string {
  return `${doc.file}:${doc.line} ${doc.object.kind ?? '?'}/${doc.object.metadata?.name ?? '?'}`;
}

// ---------------------------------------------------------------------------------------------
// Loading

/** Every document of every .yaml/.yml file under `root`; YAML errors are problems. */
export function loadManifests(root: string): { docs: ManifestDoc[]; problems: string[] } {
  const docs: ManifestDoc[] = [];
  const problems: string[] = [];
  const walk = (dir: string): string[] =>
    readdirSync(dir)
      .sort()
      .flatMap((name) => {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) return walk(path);
        return /\.ya?ml$/.test(name) ? [path] : [];
      });
  for (const path of walk(root)) {
    const file = relative(root, path);
    docs.push(...parseManifestText(file, readFileSync(path, 'utf8'), problems));
  }
  return { docs, problems };
}

export function parseManifestText(file: string, text: string, problems: string[] = []): ManifestDoc[] {
  const lineCounter = new LineCounter();
  const docs: ManifestDoc[] = [];
  parseAllDocuments(text, { lineCounter, uniqueKeys: true, prettyErrors: true }).forEach((doc, index) => {
    for (const e of [...doc.errors, ...doc.warnings]) problems.push(`${file}: ${e.message}`);
    const object: unknown = doc.toJS();
    if (object === null || object === undefined) return;
    const line = lineCounter.linePos(doc.contents?.range[0] ?? 0).line;
    if (typeof object !== 'object' || Array.isArray(object)) {
      problems.push(`${file}:${line}: a document is not a mapping`);
      return;
    }
    docs.push({ file, index, line, object: object as KubeObject });
  });
  return docs;
}

const PLACEHOLDER = /\$\{([A-Z][A-Z0-9_]*)\}/g;

/** A copy of the documents with every `${NAME}` of a Secret's stringData replaced by a dummy value. */
export function fillSecretPlaceholders(docs: ManifestDoc[]): ManifestDoc[] {
  return docs.map((doc) => {
    if (doc.object.kind !== 'Secret' || typeof doc.object.stringData !== 'object' || doc.object.stringData === null) return doc;
    const stringData = Object.fromEntries(
      Object.entries(doc.object.stringData as Record<string, unknown>).map(([k, v]) => [
        k,
        typeof v === 'string' ? v.replace(PLACEHOLDER, (_, name: string) => `dummy-${name.toLowerCase()}`) : v,
      ]),
    );
    return { ...doc, object: { ...doc.object, stringData } };
  });
}

/** Problems with the Secret template format: stringData values are exactly one `${NAME}` each. */
export function secretTemplateProblems(docs: ManifestDoc[]): string[] {
  const problems: string[] = [];
  for (const doc of docs.filter((d) => d.object.kind === 'Secret')) {
    if ('data' in doc.object) problems.push(`${location(doc)}: has "data"; a template uses only stringData placeholders`);
    const stringData = doc.object.stringData as Record<string, unknown> | undefined;
    if (!stringData || Object.keys(stringData).length === 0) problems.push(`${location(doc)}: no stringData`);
    for (const [key, value] of Object.entries(stringData ?? {})) {
      if (typeof value !== 'string' || !/^\$\{[A-Z][A-Z0-9_]*\}$/.test(value)) {
        problems.push(`${location(doc)}: stringData.${key} is not a single \${NAME} placeholder`);
      }
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Schema

const MODEL_MODULES: Record<string, string> = {
  v1: 'kubernetes-models/v1',
  'apps/v1': 'kubernetes-models/apps/v1',
  'batch/v1': 'kubernetes-models/batch/v1',
  'networking.k8s.io/v1': 'kubernetes-models/networking.k8s.io/v1',
  'rbac.authorization.k8s.io/v1': 'kubernetes-models/rbac.authorization.k8s.io/v1',
  'policy/v1': 'kubernetes-models/policy/v1',
  'storage.k8s.io/v1': 'kubernetes-models/storage.k8s.io/v1',
  'autoscaling/v2': 'kubernetes-models/autoscaling/v2',
  'admissionregistration.k8s.io/v1': 'kubernetes-models/admissionregistration.k8s.io/v1',
};

type ModelClass = new (data: unknown) => { validate(): void };
type FieldMap = { baseName: string; type: string }[];
type ClientModel = { getAttributeTypeMap(): FieldMap };

const SCALAR_TYPES = new Set(['string', 'number', 'boolean', 'Date', 'any', 'object', 'IntOrString', 'V1MicroTime']);

function clientModel(type: string): ClientModel | undefined {
  const candidate = (k8s as unknown as Record<string, unknown>)[type];
  return typeof candidate === 'function' && 'getAttributeTypeMap' in candidate ? (candidate as unknown as ClientModel) : undefined;
}

function unknownFields(value: unknown, type: string, path: string, out: string[]): void {
  if (value === null || value === undefined || SCALAR_TYPES.has(type)) return;
  const list = /^Array<(.+)>$/.exec(type);
  if (list) {
    if (!Array.isArray(value)) return; // a type error, reported by the schema validator
    value.forEach((item, i) => unknownFields(item, list[1]!, `${path}[${i}]`, out));
    return;
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    if (typeof value !== 'object') return;
    for (const [k, v] of Object.entries(value)) unknownFields(v, map[1]!, `${path}.${k}`, out);
    return;
  }
  const model = clientModel(type);
  if (!model) {
    out.push(`${path}: cannot check the fields of type ${type}`);
    return;
  }
  if (typeof value !== 'object' || Array.isArray(value)) return;
  const fields = new Map(model.getAttributeTypeMap().map((f) => [f.baseName, f.type]));
  for (const [k, v] of Object.entries(value)) {
    const fieldType = fields.get(k);
    if (fieldType === undefined) out.push(`${path ? `${path}.` : ''}${k}: unknown field "${k}"`);
    else unknownFields(v, fieldType, path ? `${path}.${k}` : k, out);
  }
}

/** Schema problems of one document (after placeholders were filled). */
export async function schemaProblems(doc: ManifestDoc): Promise<string[]> {
  const { apiVersion, kind } = doc.object;
  const where = location(doc);
  if (!apiVersion || !kind) return [`${where}: apiVersion and kind are required`];
  const modulePath = MODEL_MODULES[apiVersion];
  if (!modulePath) return [`${where}: apiVersion ${apiVersion} is not one this check knows`];
  const mod = (await import(modulePath)) as Record<string, unknown>;
  const Model = mod[kind] as ModelClass | undefined;
  if (typeof Model !== 'function') return [`${where}: ${apiVersion} has no kind ${kind}`];

  const problems: string[] = [];
  if (!doc.object.metadata?.name) problems.push(`${where}: metadata.name is required`);
  try {
    new Model(doc.object).validate();
  } catch (error) {
    problems.push(`${where}: ${(error as Error).message}`);
  }
  const version = apiVersion.split('/').pop()!;
  const typeName = `${version.charAt(0).toUpperCase()}${version.slice(1)}${kind}`;
  const fields: string[] = [];
  unknownFields(doc.object, typeName, '', fields);
  problems.push(...fields.map((f) => `${where}: ${f}`));
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Across objects


interface PodTemplate {
  doc: ManifestDoc;
  where: string;
  labels: Record<string, string>;
  spec: IPodSpec;
}

/** The pod templates of the workloads, with where they are. */
export function podTemplates(docs: ManifestDoc[]): PodTemplate[] {
  const result: PodTemplate[] = [];
  for (const doc of docs) {
    const spec = doc.object.spec as Record<string, unknown> | undefined;
    let template: IPodTemplateSpec | undefined;
    switch (doc.object.kind) {
      case 'Deployment':
      case 'StatefulSet':
      case 'DaemonSet':
      case 'ReplicaSet':
      case 'Job':
        template = spec?.template as IPodTemplateSpec | undefined;
        break;
      case 'CronJob':
        template = ((spec?.jobTemplate as Record<string, unknown> | undefined)?.spec as Record<string, unknown> | undefined)?.template as
          | IPodTemplateSpec
          | undefined;
        break;
      case 'Pod':
        template = { metadata: doc.object.metadata, spec: spec as unknown as IPodSpec };
        break;
      default:
        continue;
    }
    if (template?.spec) result.push({ doc, where: location(doc), labels: template.metadata?.labels ?? {}, spec: template.spec });
  }
  return result;
}

/** Whether a label selector (matchLabels and matchExpressions) selects these labels. */
export function selects(selector: LabelSelector | Record<string, string> | undefined, labels: Record<string, string>): boolean {
  if (!selector) return false;
  const s: LabelSelector = 'matchLabels' in selector || 'matchExpressions' in selector ? (selector) : { matchLabels: selector as Record<string, string> };
  const pairs = Object.entries(s.matchLabels ?? {});
  const expressions = s.matchExpressions ?? [];
  if (pairs.length === 0 && expressions.length === 0) return true;
  return (
    pairs.every(([k, v]) => labels[k] === v) &&
    expressions.every((e) => {
      const has = e.key in labels;
      switch (e.operator) {
        case 'In':
          return has && (e.values ?? []).includes(labels[e.key]!);
        case 'NotIn':
          return !has || !(e.values ?? []).includes(labels[e.key]!);
        case 'Exists':
          return has;
        case 'DoesNotExist':
          return !has;
        default:
          return false;
      }
    })
  );
}

function containersOf(spec: IPodSpec): IContainer[] {
  return [...(spec.initContainers ?? []), ...spec.containers];
}

function hasPort(spec: IPodSpec, port: string | number | undefined): boolean {
  if (port === undefined) return false;
  return spec.containers.some((c) => (c.ports ?? []).some((p) => (typeof port === 'number' ? p.containerPort === port : p.name === port)));
}

function byKind(docs: ManifestDoc[], kind: string): ManifestDoc[] {
  return docs.filter((d) => d.object.kind === kind);
}

function named(docs: ManifestDoc[], kind: string, name: string | undefined): ManifestDoc | undefined {
  return docs.find((d) => d.object.kind === kind && d.object.metadata?.name === name);
}

function imageProblem(image: string | undefined): string | undefined {
  if (!image) return 'has no image';
  if (image.includes('@sha256:')) return undefined;
  const lastPart = image.slice(image.lastIndexOf('/') + 1);
  if (!lastPart.includes(':')) return `image ${image} has no tag`;
  if (lastPart.endsWith(':latest')) return `image ${image} uses the :latest tag`;
  return undefined;
}

const ALLOWED_VOLUMES = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'];

function podProblems(t: PodTemplate, docs: ManifestDoc[], claimTemplates: string[]): string[] {
  const problems: string[] = [];
  const p = (message: string) => problems.push(`${t.where}: ${message}`);
  const podSecurity = t.spec.securityContext ?? {};

  for (const c of containersOf(t.spec)) {
    const name = `container ${c.name}`;
    const image = imageProblem(c.image);
    if (image) p(`${name}: ${image}`);
    for (const kind of ['requests', 'limits'] as const) {
      for (const resource of ['cpu', 'memory']) {
        if (c.resources?.[kind]?.[resource] === undefined) p(`${name}: resources.${kind}.${resource} is not set`);
      }
    }
    // Pod Security Standard "restricted"
    const sc = c.securityContext ?? {};
    if ((sc.runAsNonRoot ?? podSecurity.runAsNonRoot) !== true) p(`${name}: runAsNonRoot is not true`);
    if ((sc.runAsUser ?? podSecurity.runAsUser) === 0) p(`${name}: runs as user 0`);
    if (sc.allowPrivilegeEscalation !== false) p(`${name}: allowPrivilegeEscalation is not false`);
    if (sc.privileged === true) p(`${name}: is privileged`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) p(`${name}: does not drop ALL capabilities`);
    if ((sc.capabilities?.add ?? []).some((cap) => cap !== 'NET_BIND_SERVICE')) p(`${name}: adds capabilities`);
    const seccomp = sc.seccompProfile?.type ?? podSecurity.seccompProfile?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') p(`${name}: no RuntimeDefault seccomp profile`);

    // Probe and volume mount references
    for (const probe of [c.readinessProbe, c.livenessProbe, c.startupProbe]) {
      const port = probe?.httpGet?.port ?? probe?.tcpSocket?.port;
      if (typeof port === 'string' && !(c.ports ?? []).some((cp) => cp.name === port)) p(`${name}: a probe uses port ${port}, which the container does not declare`);
    }
    for (const m of c.volumeMounts ?? []) {
      if (!(t.spec.volumes ?? []).some((v) => v.name === m.name) && !claimTemplates.includes(m.name)) p(`${name}: mounts volume ${m.name}, which does not exist`);
    }
    for (const e of c.env ?? []) {
      const ref = e.valueFrom?.secretKeyRef;
      if (ref && !secretHasKey(docs, ref.name, ref.key)) p(`${name}: env ${e.name} needs key ${ref.key} of Secret ${ref.name}, which no manifest provides`);
      const cm = e.valueFrom?.configMapKeyRef;
      if (cm && !configMapHasKey(docs, cm.name, cm.key)) p(`${name}: env ${e.name} needs key ${cm.key} of ConfigMap ${cm.name}, which no manifest provides`);
    }
  }

  for (const v of t.spec.volumes ?? []) problems.push(...volumeProblems(t.where, v, docs));
  const sa = t.spec.serviceAccountName;
  if (sa && !named(docs, 'ServiceAccount', sa)) p(`service account ${sa} does not exist`);
  for (const term of t.spec.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) {
    if (!podTemplates(docs).some((other) => selects(term.labelSelector, other.labels))) p('its pod affinity selects no pod');
  }
  for (const spread of t.spec.topologySpreadConstraints ?? []) {
    if (!selects(spread.labelSelector, t.labels)) p('its topology spread constraint does not select its own pods');
  }
  return problems;
}

function volumeProblems(where: string, v: IVolume, docs: ManifestDoc[]): string[] {
  const problems: string[] = [];
  const kinds = Object.keys(v).filter((k) => k !== 'name');
  if (!kinds.every((k) => ALLOWED_VOLUMES.includes(k))) problems.push(`${where}: volume ${v.name} is of a kind the restricted policy forbids (${kinds.join(', ')})`);
  if (v.configMap && !named(docs, 'ConfigMap', v.configMap.name)) problems.push(`${where}: volume ${v.name} uses ConfigMap ${v.configMap.name}, which does not exist`);
  if (v.secret && !named(docs, 'Secret', v.secret.secretName)) problems.push(`${where}: volume ${v.name} uses Secret ${v.secret.secretName}, which does not exist`);
  if (v.persistentVolumeClaim && !named(docs, 'PersistentVolumeClaim', v.persistentVolumeClaim.claimName)) {
    problems.push(`${where}: volume ${v.name} uses claim ${v.persistentVolumeClaim.claimName}, which does not exist`);
  }
  return problems;
}

function secretHasKey(docs: ManifestDoc[], name: string | undefined, key: string): boolean {
  const secret = named(docs, 'Secret', name);
  const data = { ...((secret?.object.data as object | undefined) ?? {}), ...((secret?.object.stringData as object | undefined) ?? {}) };
  return key in data;
}

function configMapHasKey(docs: ManifestDoc[], name: string | undefined, key: string): boolean {
  const cm = named(docs, 'ConfigMap', name);
  return key in ((cm?.object.data as object | undefined) ?? {});
}

/** Problems no schema catches, across all documents (placeholders filled). */
export function crossObjectProblems(docs: ManifestDoc[]): string[] {
  const problems: string[] = [];
  const templates = podTemplates(docs);

  for (const doc of docs) {
    const where = location(doc);
    const { kind, metadata } = doc.object;
    if (!isClusterScoped(kind ?? '') && metadata?.namespace !== NAMESPACE) problems.push(`${where}: not in namespace ${NAMESPACE}`);
    if (!metadata?.labels?.['app.kubernetes.io/name']) problems.push(`${where}: no app.kubernetes.io/name label`);
    if (metadata?.labels?.['app.kubernetes.io/part-of'] !== NAMESPACE) problems.push(`${where}: no app.kubernetes.io/part-of: ${NAMESPACE} label`);
    const duplicate = docs.find((d) => d !== doc && d.object.kind === kind && d.object.metadata?.name === metadata?.name && d.object.metadata?.namespace === metadata?.namespace);
    if (duplicate) problems.push(`${where}: defined again at ${location(duplicate)}`);
  }

  for (const t of templates) {
    const spec = t.doc.object.spec as { selector?: LabelSelector; volumeClaimTemplates?: { metadata?: { name?: string } }[]; serviceName?: string } | undefined;
    if (['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'].includes(t.doc.object.kind!) && !selects(spec?.selector, t.labels)) {
      problems.push(`${t.where}: its selector does not match its pod template's labels`);
    }
    if (t.labels['app.kubernetes.io/part-of'] !== NAMESPACE || !t.labels['app.kubernetes.io/name']) {
      problems.push(`${t.where}: its pods lack the app.kubernetes.io/name and part-of labels`);
    }
    const claimTemplates = (spec?.volumeClaimTemplates ?? []).map((c) => c.metadata?.name ?? '');
    problems.push(...podProblems(t, docs, claimTemplates));
    if (t.doc.object.kind === 'StatefulSet') {
      const service = named(docs, 'Service', spec?.serviceName);
      if (!service || (service.object.spec as { clusterIP?: string }).clusterIP !== 'None') problems.push(`${t.where}: serviceName ${spec?.serviceName} is not a headless Service`);
    }
  }

  for (const doc of byKind(docs, 'Service')) {
    const spec = doc.object.spec as { selector?: Record<string, string>; ports?: { name?: string; port: number; targetPort?: string | number }[]; type?: string };
    if (!spec.selector) continue;
    const selected = templates.filter((t) => selects(spec.selector, t.labels));
    if (selected.length === 0) {
      problems.push(`${location(doc)}: its selector matches no pod`);
      continue;
    }
    for (const port of spec.ports ?? []) {
      const target = port.targetPort ?? port.port;
      for (const t of selected) {
        if (!hasPort(t.spec, target)) problems.push(`${location(doc)}: port ${port.name ?? port.port} targets ${target}, which the pods of ${t.where} do not expose`);
      }
    }
  }

  for (const kind of ['NetworkPolicy', 'PodDisruptionBudget']) {
    for (const doc of byKind(docs, kind)) {
      const spec = doc.object.spec as { podSelector?: LabelSelector; selector?: LabelSelector; ingress?: { from?: { podSelector?: LabelSelector }[]; ports?: { port?: string | number }[] }[] };
      const selector = kind === 'NetworkPolicy' ? spec.podSelector : spec.selector;
      const selected = templates.filter((t) => selects(selector, t.labels));
      if (selected.length === 0) problems.push(`${location(doc)}: its selector matches no pod`);
      for (const rule of spec.ingress ?? []) {
        for (const from of rule.from ?? []) {
          if (from.podSelector && !templates.some((t) => selects(from.podSelector, t.labels))) problems.push(`${location(doc)}: an ingress rule allows pods that do not exist`);
        }
        for (const port of rule.ports ?? []) {
          if (!selected.every((t) => hasPort(t.spec, port.port))) problems.push(`${location(doc)}: allows port ${port.port}, which the selected pods do not expose`);
        }
      }
    }
  }

  for (const doc of byKind(docs, 'Ingress')) {
    const spec = doc.object.spec as { rules?: { http?: { paths?: { backend?: { service?: { name: string; port?: { name?: string; number?: number } } } }[] } }[] };
    for (const rule of spec.rules ?? []) {
      for (const path of rule.http?.paths ?? []) {
        const backend = path.backend?.service;
        const service = named(docs, 'Service', backend?.name);
        const ports = ((service?.object.spec as { ports?: { name?: string; port: number }[] } | undefined)?.ports ?? []);
        if (!service) problems.push(`${location(doc)}: backend Service ${backend?.name} does not exist`);
        else if (!ports.some((p) => (backend?.port?.name !== undefined ? p.name === backend.port.name : p.port === backend?.port?.number))) {
          problems.push(`${location(doc)}: backend port ${backend?.port?.name ?? backend?.port?.number} is not a port of Service ${backend?.name}`);
        }
      }
    }
  }

  for (const doc of [...byKind(docs, 'RoleBinding'), ...byKind(docs, 'ClusterRoleBinding')]) {
    const o = doc.object as { roleRef?: { kind: string; name: string }; subjects?: { kind: string; name: string }[] };
    if (o.roleRef && !named(docs, o.roleRef.kind, o.roleRef.name)) problems.push(`${location(doc)}: ${o.roleRef.kind} ${o.roleRef.name} does not exist`);
    for (const s of o.subjects ?? []) {
      if (s.kind === 'ServiceAccount' && !named(docs, 'ServiceAccount', s.name)) problems.push(`${location(doc)}: ServiceAccount ${s.name} does not exist`);
    }
  }
  return problems;
}
