import type { ManifestObject } from '../manifests/model.js';
import { err, ok, type Result } from '../result.js';
import { applyTiers, isClusterScoped } from './applyOrder.js';
import { describeRef, refOf, type ClusterError, type KubeObject, type ObjectRef } from './model.js';
import type { ClusterPort } from './port.js';

/** One object to apply, with where it was written. */
export interface ApplyItem {
  readonly body: KubeObject;
  readonly ref: ObjectRef;
  readonly file: string;
  readonly line: number;
}

export interface ApplyFailure {
  readonly item: ApplyItem;
  readonly error: ClusterError;
}

export type ApplyAction = 'created' | 'configured' | 'unchanged';

export interface AppliedObject {
  readonly item: ApplyItem;
  readonly action: ApplyAction;
  readonly object: KubeObject;
}

export type ApplyProgress =
  | { readonly phase: 'preflight'; readonly item: ApplyItem; readonly ok: boolean }
  | { readonly phase: 'apply'; readonly item: ApplyItem; readonly action: ApplyAction };

export interface ApplyOptions {
  /** Take over fields other managers own (a separate, explicit choice). */
  readonly force?: boolean;
  /** Namespaces earlier steps will create: a dry run in one of them is checked in `default` instead. */
  readonly expectedNamespaces?: readonly string[];
  readonly signal?: AbortSignal;
  readonly onProgress?: (event: ApplyProgress) => void;
  /** Requests in flight at once. */
  readonly concurrency?: number;
}

export type ApplyError =
  /** The preflight refused objects: nothing was applied. */
  | { readonly stage: 'preflight'; readonly failures: readonly ApplyFailure[] }
  /** Applying failed part way: `applied` went in, `failures` did not, the rest was not tried. */
  | { readonly stage: 'apply'; readonly failures: readonly ApplyFailure[]; readonly applied: readonly AppliedObject[] }
  | { readonly stage: 'cancelled'; readonly applied: readonly AppliedObject[] };

/** Turns loaded manifests into apply items, giving namespaced objects the step's namespace. */
export function applyItems(objects: readonly ManifestObject[], namespace: string): ApplyItem[] {
  return objects.map((o) => {
    const scoped = isClusterScoped(o.kind);
    const metadata = { ...(o.body['metadata'] as Record<string, unknown>) };
    if (!scoped && !metadata['namespace']) metadata['namespace'] = namespace;
    const body = { ...o.body, metadata } as KubeObject;
    return { body, ref: refOf(body), file: o.file, line: o.line };
  });
}

/**
 * Applies a step's objects like `kubectl apply --server-side`, safely: first a server-side dry
 * run of every object (if any fails, nothing is applied and every failure is returned), then the
 * real apply in dependency order, one tier at a time, the objects of a tier in parallel.
 */
export async function applyObjects(cluster: ClusterPort, items: readonly ApplyItem[], options: ApplyOptions = {}): Promise<Result<AppliedObject[], ApplyError>> {
  const force = options.force ?? false;
  const limit = options.concurrency ?? 8;
  const creating = new Set([
    ...(options.expectedNamespaces ?? []),
    ...items.filter((i) => i.ref.kind === 'Namespace').map((i) => i.ref.name),
  ]);

  // Preflight: every object, in parallel; a namespace this batch creates is not a failure.
  const preflight = await mapLimit(items, limit, async (item) => {
    let result = await cluster.apply(item.body, { dryRun: true, force });
    const ns = item.ref.namespace;
    if (!result.ok && ns && creating.has(ns) && isMissingNamespace(result.error, ns)) {
      // The namespace does not exist yet: check the object's schema in `default` instead.
      result = await cluster.apply({ ...item.body, metadata: { ...item.body.metadata, namespace: 'default' } }, { dryRun: true, force });
      if (!result.ok && isMissingNamespace(result.error, 'default')) result = ok({});
    }
    options.onProgress?.({ phase: 'preflight', item, ok: result.ok });
    return { item, result };
  });
  if (options.signal?.aborted) return err({ stage: 'cancelled', applied: [] });
  const refused = preflight.flatMap(({ item, result }) => (result.ok ? [] : [{ item, error: result.error }]));
  if (refused.length) return err({ stage: 'preflight', failures: refused });

  const applied: AppliedObject[] = [];
  for (const tier of applyTiers(items.map((item) => ({ kind: item.ref.kind, item })))) {
    if (options.signal?.aborted) return err({ stage: 'cancelled', applied });
    const results = await mapLimit(tier, limit, async ({ item }): Promise<AppliedObject | ApplyFailure> => {
      const before = await cluster.read(item.ref);
      const result = await cluster.apply(item.body, { dryRun: false, force });
      if (!result.ok) return { item, error: result.error };
      const previous = before.ok ? before.value : undefined;
      const action: ApplyAction = !previous ? 'created' : sameDesiredState(previous, result.value) ? 'unchanged' : 'configured';
      options.onProgress?.({ phase: 'apply', item, action });
      return { item, action, object: result.value };
    });
    const failures: ApplyFailure[] = [];
    for (const r of results) {
      if ('error' in r) failures.push(r);
      else applied.push(r);
    }
    if (failures.length) return err({ stage: 'apply', failures, applied });
  }
  return ok(applied);
}

/**
 * Whether an apply left the object as it was. The resourceVersion alone cannot say: a controller
 * may write the status between our read and our apply. Everything but status and the
 * bookkeeping metadata is compared.
 */
function sameDesiredState(before: KubeObject, after: KubeObject): boolean {
  const strip = (o: KubeObject): string => {
    const { status: _status, metadata, ...rest } = o;
    const { resourceVersion: _rv, managedFields: _mf, ...meta } = metadata ?? {};
    return JSON.stringify({ ...rest, metadata: meta });
  };
  return before.metadata?.resourceVersion === after.metadata?.resourceVersion || strip(before) === strip(after);
}

function isMissingNamespace(error: ClusterError, namespace: string): boolean {
  return error.kind === 'notFound' && error.missing?.kind === 'namespaces' && error.missing.name === namespace;
}

/** `file:line Kind ns/name: message. hint` for each failure. */
export function describeFailures(failures: readonly ApplyFailure[]): string[] {
  return failures.map((f) => `${f.item.file}:${f.item.line} ${describeRef(f.item.ref)}: ${f.error.message} ${f.error.hint}`.trim());
}

/** Runs `fn` over `items` with at most `limit` in flight, keeping the order of results. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
