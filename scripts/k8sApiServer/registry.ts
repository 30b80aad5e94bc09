/**
 * The storage semantics of the apiserver above the store: admission (namespace exists / terminating),
 * defaulting, validation, uid/generation/resourceVersion, managedFields, dry run, graceful and
 * finalizer-aware deletion, and the writes controllers make.
 */
import { applyDefaults } from './defaults.ts';
import type { DefaultingContext } from './defaults.ts';
import { recordUpdate, serverSideApply } from './managedFields.ts';
import { checkApplyConfiguration } from './schema.ts';
import { admitPod, workloadWarnings } from './admission.ts';
import { RESOURCE_TYPES, findResourceType } from './resources.ts';
import { ApiError, alreadyExists, badRequest, conflictModified, deleteSuccess, forbidden, invalid, notFound } from './status.ts';
import type { ObjectStore } from './store.ts';
import type { KubeObject, ResourceType } from './types.ts';
import { apiVersionOf } from './types.ts';
import { clone, deepEqual, newUid, nowTime, randomSuffix } from './util.ts';
import { validateObject } from './validation.ts';

export interface WriteOptions {
  dryRun?: boolean;
  /** Field manager: the `fieldManager` parameter, or the user agent's product name. */
  manager: string;
  subresource?: string;
  /** The writer's own admission of the object about to be stored (RBAC's escalation check); throws to refuse. */
  admit?: (rt: ResourceType, obj: KubeObject) => void;
}

export interface DeleteOptions {
  dryRun?: boolean;
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  preconditionUid?: string;
  preconditionResourceVersion?: string;
}

export interface WriteResult {
  status: number;
  object: KubeObject;
  /** Admission warnings (PodSecurity), sent as Warning headers. */
  warnings?: string[];
}

const META_ORDER = [
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
];

/** Orders an object's keys as the apiserver serializes them (kind, apiVersion, metadata, ..., status). */
export function canonical(obj: KubeObject): KubeObject {
  const meta: KubeObject = {};
  const m = (obj.metadata ?? {}) as KubeObject;
  for (const k of META_ORDER) if (m[k] !== undefined) meta[k] = m[k];
  for (const k of Object.keys(m)) if (!(k in meta) && m[k] !== undefined) meta[k] = m[k];
  const out: KubeObject = { kind: obj.kind, apiVersion: obj.apiVersion, metadata: meta };
  for (const k of Object.keys(obj)) if (!(k in out) && k !== 'status' && obj[k] !== undefined) out[k] = obj[k];
  if (obj.status !== undefined) out.status = obj.status;
  return out;
}

function specOf(obj: KubeObject): KubeObject {
  const rest: KubeObject = { ...obj };
  delete rest.metadata;
  delete rest.status;
  delete rest.kind;
  delete rest.apiVersion;
  return rest;
}

/** The ServiceAccount admission plugin: mounts the API access token volume into every container. */
function admitServiceAccount(pod: KubeObject): void {
  const spec = (pod.spec ??= {}) as KubeObject;
  if (spec.automountServiceAccountToken === false) return;
  const name = `kube-api-access-${randomSuffix()}`;
  spec.volumes = [
    ...((spec.volumes ?? []) as KubeObject[]),
    {
      name,
      projected: {
        sources: [
          { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
        ],
        defaultMode: 420,
      },
    },
  ];
  for (const c of (spec.containers ?? []) as KubeObject[]) {
    c.volumeMounts = [
      ...((c.volumeMounts ?? []) as KubeObject[]),
      { name, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' },
    ];
  }
}

const ADDED_AFTER_FIELD_MANAGER: Record<string, string[]> = {
  Service: ['clusterIP', 'clusterIPs', 'ipFamilies', 'ipFamilyPolicy'],
  Namespace: ['finalizers'],
  Pod: ['serviceAccount', 'serviceAccountName', 'priority', 'preemptionPolicy', 'tolerations'],
};
const TOKEN_MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

/** A copy of `obj` without what admission and storage added to the spec the request sent. */
function withoutUnsent(obj: KubeObject, sent: KubeObject): KubeObject {
  const fields = ADDED_AFTER_FIELD_MANAGER[String(obj.kind)];
  if (!fields) return obj;
  const copy = { ...obj, metadata: { ...obj.metadata }, spec: { ...obj.spec } };
  for (const f of fields) if (sent[f] === undefined) delete copy.spec[f];
  if (obj.kind === 'Pod') {
    const volumes = ((copy.spec.volumes ?? []) as KubeObject[]).filter((v) => !String(v.name).startsWith('kube-api-access-'));
    if (volumes.length > 0) copy.spec.volumes = volumes;
    else delete copy.spec.volumes;
    copy.spec.containers = ((copy.spec.containers ?? []) as KubeObject[]).map((c) => {
      const mounts = ((c.volumeMounts ?? []) as KubeObject[]).filter((m) => m.mountPath !== TOKEN_MOUNT);
      const { volumeMounts: _all, ...rest } = c;
      return mounts.length > 0 ? { ...rest, volumeMounts: mounts } : rest;
    });
  }
  if (Object.keys(copy.spec).length === 0) delete copy.spec;
  return copy;
}

/** Whether an update removed the last finalizer of an object that is being deleted. */
function finalized(old: KubeObject, next: KubeObject): boolean {
  if (!next.metadata.deletionTimestamp) return false;
  if (next.kind === 'Namespace')
    return ((next.spec?.finalizers ?? []) as string[]).length === 0 && ((old.spec?.finalizers ?? []) as string[]).length > 0;
  return ((next.metadata.finalizers ?? []) as string[]).length === 0 && ((old.metadata.finalizers ?? []) as string[]).length > 0;
}

/** A mutating admission webhook of the cluster (which the tests install): it may change any object of its kind written. */
export interface MutatingWebhook {
  readonly kind: string;
  readonly mutate: (object: KubeObject) => void;
}

export class Registry {
  private nextIp = 10;
  private nextNodePort = 30000;
  readonly defaulting: DefaultingContext;
  /** Run as a real apiserver runs them: after defaulting, before validation, on creates and updates (dry runs too). */
  readonly webhooks: MutatingWebhook[] = [];

  constructor(readonly store: ObjectStore) {
    this.defaulting = {
      allocateClusterIp: () => `10.0.0.${this.nextIp++ % 250 || 1}`,
      allocateNodePort: () => this.nextNodePort++,
    };
  }

  rt(group: string, plural: string): ResourceType {
    const rt = findResourceType(group, 'v1', plural);
    if (!rt) throw new Error(`unknown resource ${group}/${plural}`);
    return rt;
  }

  private admitNamespace(rt: ResourceType, ns: string | undefined, name: string): void {
    if (!rt.namespaced || !ns) return;
    const nsObj = this.store.get(this.rt('', 'namespaces'), undefined, ns);
    if (!nsObj) throw notFound(this.rt('', 'namespaces'), ns);
    if (nsObj.status?.phase === 'Terminating' || nsObj.metadata.deletionTimestamp) {
      throw forbidden(rt, name, `unable to create new content in namespace ${ns} because it is being terminated`, [
        { reason: 'NamespaceTerminating', message: `namespace ${ns} is being terminated`, field: 'metadata.namespace' },
      ]);
    }
  }

  /** ServiceAccount and PodSecurity admission of a new object; returns its warnings. */
  private admit(rt: ResourceType, obj: KubeObject): string[] {
    if (!rt.namespaced) return [];
    const namespace = obj.metadata?.namespace as string | undefined;
    const ns = namespace ? this.store.get(this.rt('', 'namespaces'), undefined, namespace) : undefined;
    if (rt.kind !== 'Pod') return workloadWarnings(ns, obj);
    const accounts = this.rt('', 'serviceaccounts');
    return admitPod(obj, ns, (name) => this.store.get(accounts, namespace, name) !== undefined);
  }

  private checkBodyIdentity(rt: ResourceType, ns: string | undefined, name: string | undefined, body: KubeObject): void {
    const meta = (body.metadata ??= {}) as KubeObject;
    if (rt.namespaced) {
      if (meta.namespace && ns && meta.namespace !== ns) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      if (ns) meta.namespace = ns;
    } else delete meta.namespace;
    if (name !== undefined && meta.name && meta.name !== name) {
      throw badRequest(`the name of the object (${String(meta.name)}) does not match the name on the URL (${name})`);
    }
    if (name !== undefined) meta.name = name;
  }

  private finishNew(rt: ResourceType, obj: KubeObject): void {
    obj.apiVersion = apiVersionOf(rt);
    obj.kind = rt.kind;
    obj.metadata.uid = newUid();
    obj.metadata.creationTimestamp = nowTime();
    delete obj.metadata.resourceVersion;
    delete obj.metadata.deletionTimestamp;
    if (rt.hasGeneration) obj.metadata.generation = 1;
    applyDefaults(obj, this.defaulting, true);
  }

  private mutate(rt: ResourceType, obj: KubeObject): void {
    for (const webhook of this.webhooks) if (webhook.kind === rt.kind) webhook.mutate(obj);
  }

  private validate(rt: ResourceType, obj: KubeObject, old: KubeObject | undefined): void {
    const causes = validateObject(obj, old);
    if (causes.length > 0) throw invalid(rt, String(obj.metadata?.name ?? ''), causes);
  }

  /** POST: creates an object (201). */
  create(rt: ResourceType, ns: string | undefined, body: KubeObject, opts: WriteOptions): WriteResult {
    const obj = clone(body);
    this.checkBodyIdentity(rt, ns, undefined, obj);
    if (!obj.metadata.name && obj.metadata.generateName) obj.metadata.name = `${obj.metadata.generateName}${randomSuffix()}`;
    this.validateApiVersion(rt, obj);
    this.admitNamespace(rt, obj.metadata.namespace, String(obj.metadata.name ?? ''));
    delete obj.metadata.managedFields;
    const warnings = this.admit(rt, obj);
    if (rt.kind === 'Pod') admitServiceAccount(obj);
    const sent = clone((obj.spec ?? {}) as KubeObject);
    this.finishNew(rt, obj);
    this.mutate(rt, obj);
    this.validate(rt, obj, undefined);
    if (this.store.get(rt, obj.metadata.namespace, obj.metadata.name)) throw alreadyExists(rt, obj.metadata.name);
    // The field manager runs before admission and the storage's own preparation: the writer owns
    // what those add (cluster IPs, a pod's token volume, a namespace's finalizer) only if it sent it.
    const tracked = withoutUnsent(obj, sent);
    recordUpdate(undefined, tracked, opts.manager, apiVersionOf(rt), opts.subresource, nowTime());
    obj.metadata.managedFields = tracked.metadata.managedFields;
    opts.admit?.(rt, obj);
    return { status: 201, object: this.persist(rt, canonical(obj), opts.dryRun), warnings };
  }

  private validateApiVersion(rt: ResourceType, obj: KubeObject): void {
    if (obj.apiVersion && obj.apiVersion !== apiVersionOf(rt)) {
      throw badRequest(
        `the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${apiVersionOf(rt)})`,
      );
    }
    if (obj.kind && obj.kind !== rt.kind) {
      throw badRequest(`the kind in the data (${String(obj.kind)}) does not match the expected kind (${rt.kind})`);
    }
  }

  private persist(rt: ResourceType, obj: KubeObject, dryRun: boolean | undefined): KubeObject {
    if (dryRun) return obj;
    return this.store.put(rt, obj);
  }

  /** PUT (and the write behind every patch): replaces an object, keeping server-owned fields. */
  update(rt: ResourceType, ns: string | undefined, name: string, body: KubeObject, opts: WriteOptions): WriteResult {
    const old = this.store.get(rt, ns, name);
    if (!old) throw notFound(rt, name);
    const next = clone(body);
    this.checkBodyIdentity(rt, ns, name, next);
    this.validateApiVersion(rt, next);
    const rv = next.metadata.resourceVersion;
    if (rv !== undefined && rv !== '' && rv !== old.metadata.resourceVersion) throw conflictModified(rt, name);
    return this.replace(rt, old, next, opts, (o) =>
      recordUpdate(old, o, opts.manager, apiVersionOf(rt), opts.subresource, nowTime()),
    );
  }

  private replace(
    rt: ResourceType,
    old: KubeObject,
    nextIn: KubeObject,
    opts: WriteOptions,
    track: (o: KubeObject) => void,
  ): WriteResult {
    let next = nextIn;
    if (opts.subresource === 'status') {
      next = { ...clone(old), status: next.status };
    } else if (rt.subresources.includes('status') || rt.kind === 'Namespace') {
      next.status = clone(old.status);
    }
    next.apiVersion = apiVersionOf(rt);
    next.kind = rt.kind;
    for (const k of [
      'uid',
      'creationTimestamp',
      'deletionTimestamp',
      'deletionGracePeriodSeconds',
      'generation',
      'name',
      'namespace',
    ]) {
      if (old.metadata[k] === undefined) delete next.metadata[k];
      else next.metadata[k] = old.metadata[k];
    }
    applyDefaults(next, this.defaulting, false);
    this.mutate(rt, next);
    this.validate(rt, next, old);
    if (rt.hasGeneration && !deepEqual(specOf(next), specOf(old)))
      next.metadata.generation = Number(old.metadata.generation ?? 0) + 1;
    track(next);
    next.metadata.resourceVersion = old.metadata.resourceVersion;
    const out = canonical(next);
    if (deepEqual(out, old)) return { status: 200, object: old };
    opts.admit?.(rt, out);
    if (finalized(old, out)) {
      if (opts.dryRun) return { status: 200, object: out };
      this.store.put(rt, out);
      return { status: 200, object: this.store.remove(rt, out) ?? out };
    }
    return { status: 200, object: this.persist(rt, out, opts.dryRun) };
  }

  /** Server-side apply: creates (201) or updates (200); a no-op returns the stored object unchanged. */
  apply(
    rt: ResourceType,
    ns: string | undefined,
    name: string,
    config: KubeObject,
    opts: WriteOptions & { force: boolean },
  ): WriteResult {
    const expected = apiVersionOf(rt);
    if (config.apiVersion !== expected) {
      throw badRequest(
        `Incorrect version specified in apply patch. Specified patch version: ${String(config.apiVersion ?? '')}, expected: ${expected}`,
      );
    }
    if (config.kind !== rt.kind) {
      throw badRequest(
        `Incorrect kind specified in apply patch. Specified patch kind: ${String(config.kind ?? '')}, expected: ${rt.kind}`,
      );
    }
    const cfg = clone(config);
    this.checkBodyIdentity(rt, ns, name, cfg);
    checkApplyConfiguration(rt, cfg);
    const live = this.store.get(rt, ns, name);
    const rv = cfg.metadata.resourceVersion;
    if (live && rv !== undefined && rv !== '' && rv !== live.metadata.resourceVersion) throw conflictModified(rt, name);
    const now = nowTime();
    if (!live) {
      if (opts.subresource) throw notFound(rt, name);
      this.admitNamespace(rt, ns, name);
      const { object } = serverSideApply({
        live: undefined,
        config: cfg,
        manager: opts.manager,
        force: opts.force,
        apiVersion: expected,
        now,
        defaults: (o) => {
          o.metadata = { ...cfg.metadata, ...o.metadata };
          this.finishNew(rt, o);
        },
      });
      const warnings = this.admit(rt, object);
      this.mutate(rt, object);
      this.validate(rt, object, undefined);
      opts.admit?.(rt, object);
      return { status: 201, object: this.persist(rt, canonical(object), opts.dryRun), warnings };
    }
    const { object, changed } = serverSideApply({
      live,
      config: cfg,
      manager: opts.manager,
      force: opts.force,
      apiVersion: expected,
      now,
      subresource: opts.subresource,
      defaults: (o) => applyDefaults(o, this.defaulting, false),
    });
    if (!changed) return { status: 200, object: live };
    const warnings = deepEqual(object.spec, live.spec) ? [] : workloadWarnings(this.namespaceOf(ns), object);
    return { ...this.replace(rt, live, object, opts, () => undefined), warnings };
  }

  /** DELETE of one object: Status Success, or the object itself while finalizers or grace keep it. */
  delete(rt: ResourceType, ns: string | undefined, name: string, opts: DeleteOptions): WriteResult {
    const obj = this.store.get(rt, ns, name);
    if (!obj) throw notFound(rt, name);
    if (opts.preconditionUid && opts.preconditionUid !== obj.metadata.uid) {
      throw new ApiError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${rt.plural} "${name}": Precondition failed: UID in precondition: ${opts.preconditionUid}, UID in object meta: ${String(obj.metadata.uid)}`,
        { name, kind: rt.plural },
      );
    }
    const next = clone(obj);
    const graceful = rt.kind === 'Pod' && opts.gracePeriodSeconds !== 0;
    const finalizers = [...((next.metadata.finalizers ?? []) as string[])];
    if (opts.propagationPolicy === 'Foreground' && !finalizers.includes('foregroundDeletion'))
      finalizers.push('foregroundDeletion');
    if (opts.propagationPolicy === 'Orphan' && !opts.dryRun) this.orphanDependents(obj);
    if (rt.kind === 'Namespace' || graceful || finalizers.length > 0) {
      if (!next.metadata.deletionTimestamp) {
        next.metadata.deletionTimestamp = nowTime(new Date(Date.now() + (graceful ? (opts.gracePeriodSeconds ?? 30) * 1000 : 0)));
        if (graceful || finalizers.length > 0)
          next.metadata.deletionGracePeriodSeconds = graceful ? (opts.gracePeriodSeconds ?? 30) : 0;
        if (rt.kind === 'Namespace') {
          delete next.metadata.deletionGracePeriodSeconds;
          next.status = { ...(next.status ?? {}), phase: 'Terminating' };
        }
        if (finalizers.length > 0) next.metadata.finalizers = finalizers;
        if (rt.hasGeneration) next.metadata.generation = Number(next.metadata.generation ?? 0) + 1;
        return { status: 200, object: this.persist(rt, canonical(next), opts.dryRun) };
      }
      return { status: 200, object: obj };
    }
    if (opts.dryRun) return { status: 200, object: rt.kind === 'Pod' ? obj : deleteSuccess(rt, obj) };
    const last = this.store.remove(rt, obj) ?? obj;
    return { status: 200, object: rt.kind === 'Pod' ? last : deleteSuccess(rt, obj) };
  }

  private orphanDependents(owner: KubeObject): void {
    const uid = owner.metadata.uid as string;
    for (const rt of this.allTypes()) {
      for (const o of this.store.list(rt, owner.metadata.namespace)) {
        const refs = (o.metadata.ownerReferences ?? []) as KubeObject[];
        if (!refs.some((r) => r.uid === uid)) continue;
        const next = clone(o);
        next.metadata.ownerReferences = refs.filter((r) => r.uid !== uid);
        if (next.metadata.ownerReferences.length === 0) delete next.metadata.ownerReferences;
        this.store.put(rt, next);
      }
    }
  }

  allTypes(): readonly ResourceType[] {
    return RESOURCE_TYPES;
  }

  /**
   * A controller's read-modify-write, recorded as an Update by `manager` (e.g. kube-controller-manager).
   * `mutate` gets a copy; returning false skips the write. Returns the stored object.
   */
  controllerUpdate(
    rt: ResourceType,
    ns: string | undefined,
    name: string,
    manager: string,
    subresource: string | undefined,
    mutate: (o: KubeObject) => boolean | void,
  ): KubeObject | undefined {
    const old = this.store.get(rt, ns, name);
    if (!old) return undefined;
    const next = clone(old);
    if (mutate(next) === false) return old;
    if (rt.hasGeneration && !deepEqual(specOf(next), specOf(old)))
      next.metadata.generation = Number(old.metadata.generation ?? 0) + 1;
    recordUpdate(old, next, manager, apiVersionOf(rt), subresource, nowTime());
    next.metadata.resourceVersion = old.metadata.resourceVersion;
    const out = canonical(next);
    if (deepEqual(out, old)) return old;
    if (finalized(old, out)) {
      this.store.put(rt, out);
      this.store.remove(rt, out);
      return undefined;
    }
    return this.store.put(rt, out);
  }

  /** A controller's create, through admission like any client's: the refusal, if any, is returned. */
  controllerCreate(rt: ResourceType, obj: KubeObject, manager: string): KubeObject | ApiError {
    try {
      return this.create(rt, obj.metadata?.namespace, obj, { manager }).object;
    } catch (err) {
      if (err instanceof ApiError) return err;
      throw err;
    }
  }

  private namespaceOf(ns: string | undefined): KubeObject | undefined {
    return ns ? this.store.get(this.rt('', 'namespaces'), undefined, ns) : undefined;
  }

  /** Removes an object outright (controllers: a pod's kubelet confirmed termination, a finalizer-less GC). */
  forceRemove(rt: ResourceType, obj: KubeObject): void {
    this.store.remove(rt, obj);
  }
}
