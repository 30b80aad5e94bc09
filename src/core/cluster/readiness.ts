import { sleep } from '../async.js';
import { err, ok, type Result } from '../result.js';
import { describeRef, type ClusterError, type KubeObject, type ObjectRef } from './model.js';
import type { ClusterPort } from './port.js';
import { hasReadinessRule, judgeReadiness, type Readiness } from './readinessRules.js';

export interface ReadinessEvent extends Readiness {
  readonly ref: ObjectRef;
}

export interface WaitOptions {
  /** For the whole set of objects. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** Each change of an object's state or reason. */
  readonly onProgress?: (event: ReadinessEvent) => void;
}

export type WaitError =
  | { readonly kind: 'timeout'; readonly pending: readonly ReadinessEvent[] }
  | { readonly kind: 'failed'; readonly failed: readonly ReadinessEvent[] }
  | { readonly kind: 'cancelled'; readonly pending: readonly ReadinessEvent[] }
  | { readonly kind: 'cluster'; readonly error: ClusterError };

/** "timed out after 5 min: Deployment ns/api (1 of 2 updated replicas are available)". */
export function describeWaitError(error: WaitError): string {
  const list = (events: readonly ReadinessEvent[]): string => events.map((e) => `${describeRef(e.ref)} (${e.reason})`).join(', ');
  switch (error.kind) {
    case 'timeout':
      return `Not ready in time: ${list(error.pending)}.`;
    case 'failed':
      return `Failed: ${list(error.failed)}.`;
    case 'cancelled':
      return `Cancelled while waiting for ${list(error.pending) || 'readiness'}.`;
    case 'cluster':
      return `${error.error.message} ${error.error.hint}`;
  }
}

/**
 * Waits until every object is ready by its kind's rule, with watches rather than polling: each
 * object is listed once, then watched from that list's resourceVersion; a watch the server ends
 * (or a 410 Gone) starts again from a fresh list.
 */
export async function waitForReady(
  cluster: ClusterPort,
  refs: readonly ObjectRef[],
  options: WaitOptions,
): Promise<Result<ReadinessEvent[], WaitError>> {
  const controller = new AbortController();
  const latest = new Map<ObjectRef, ReadinessEvent>();
  let outcome: WaitError | undefined;
  const stop = (why: WaitError): void => {
    outcome ??= why;
    controller.abort();
  };
  const onParentAbort = (): void => stop({ kind: 'cancelled', pending: [] });
  if (options.signal?.aborted) return err({ kind: 'cancelled', pending: [] });
  options.signal?.addEventListener('abort', onParentAbort);
  const timer = setTimeout(() => stop({ kind: 'timeout', pending: [] }), options.timeoutMs);
  const report = (event: ReadinessEvent): void => {
    const previous = latest.get(event.ref);
    latest.set(event.ref, event);
    if (!previous || previous.state !== event.state || previous.reason !== event.reason) options.onProgress?.(event);
  };
  try {
    await Promise.all(
      refs.map(async (ref) => {
        const result = await waitForOne(cluster, ref, controller.signal, report);
        if (!result.ok) stop(result.error);
      }),
    );
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onParentAbort);
  }
  const events = refs.map((ref) => latest.get(ref) ?? { ref, state: 'waiting' as const, reason: 'not seen yet' });
  if (!outcome) return ok(events);
  const pending = events.filter((e) => e.state !== 'ready');
  if (outcome.kind === 'timeout' || outcome.kind === 'cancelled') return err({ kind: outcome.kind, pending });
  return err(outcome);
}

/** Workloads whose pods the server may refuse, with no condition on the workload to say so: only FailedCreate events. */
const EVENT_ONLY_FAILURES = new Set(['StatefulSet', 'DaemonSet']);

async function waitForOne(
  cluster: ClusterPort,
  ref: ObjectRef,
  signal: AbortSignal,
  report: (event: ReadinessEvent) => void,
): Promise<Result<void, WaitError>> {
  if (!EVENT_ONLY_FAILURES.has(ref.kind)) return waitForObject(cluster, ref, signal, report);
  // Pods that cannot be created fail the wait at once, with the server's reason.
  const inner = new AbortController();
  const forward = (): void => inner.abort();
  signal.addEventListener('abort', forward);
  let refused: string | undefined;
  const events = watchFailedCreate(cluster, ref, inner.signal, (message) => {
    refused ??= message;
    inner.abort();
  });
  const result = await waitForObject(cluster, ref, inner.signal, report);
  inner.abort();
  await events;
  signal.removeEventListener('abort', forward);
  if (refused !== undefined) {
    const event: ReadinessEvent = { ref, state: 'failed', reason: `its pods cannot be created: ${refused}` };
    report(event);
    return err({ kind: 'failed', failed: [event] });
  }
  return result;
}

type EventObject = KubeObject & {
  type?: string;
  reason?: string;
  message?: string;
  involvedObject?: { kind?: string; name?: string; uid?: string };
  lastTimestamp?: string;
  eventTime?: string;
  series?: { lastObservedTime?: string };
};

/**
 * Calls `onFailed` with the message of a Warning FailedCreate event about the workload that is not
 * older than the workload's last change (server times both, so an event from before a fix does
 * not count), listed or arriving while the wait lasts.
 */
async function watchFailedCreate(
  cluster: ClusterPort,
  ref: ObjectRef,
  signal: AbortSignal,
  onFailed: (message: string) => void,
): Promise<void> {
  const workload = await cluster.read(ref);
  if (!workload.ok || !workload.value || signal.aborted) return;
  const changedAt = Math.max(
    0,
    ...((workload.value.metadata?.managedFields as { time?: string }[] | undefined)?.map((f) => Date.parse(f.time ?? '') || 0) ??
      []),
    Date.parse(workload.value.metadata?.creationTimestamp ?? '') || 0,
  );
  const check = (event: EventObject): void => {
    const when = Date.parse(event.series?.lastObservedTime ?? event.lastTimestamp ?? event.eventTime ?? '') || 0;
    if (
      event.type === 'Warning' &&
      event.reason === 'FailedCreate' &&
      event.involvedObject?.kind === ref.kind &&
      event.involvedObject.name === ref.name &&
      when >= changedAt
    )
      onFailed(event.message ?? 'FailedCreate');
  };
  const query = { apiVersion: 'v1', kind: 'Event', namespace: ref.namespace, fieldSelector: `involvedObject.name=${ref.name}` };
  while (!signal.aborted) {
    const listed = await cluster.list(query);
    if (!listed.ok || signal.aborted) return;
    for (const event of listed.value.items) check(event);
    const watched = await cluster.watch(
      { ...query, resourceVersion: listed.value.resourceVersion },
      (e) => {
        if (e.type === 'ADDED' || e.type === 'MODIFIED') check(e.object);
      },
      signal,
    );
    if (!watched.ok && watched.error.status !== 410) return;
  }
}

/** Fetches the StorageClass a claim binds through (its own, or the cluster's default), or undefined. */
async function storageClassOf(cluster: ClusterPort, claim: KubeObject): Promise<KubeObject | undefined> {
  const name = (claim['spec'] as { storageClassName?: string } | undefined)?.storageClassName;
  if (name === '') return undefined;
  if (name) {
    const read = await cluster.read({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', name, namespace: undefined });
    return read.ok ? read.value : undefined;
  }
  const listed = await cluster.list({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', namespace: undefined });
  if (!listed.ok) return undefined;
  return listed.value.items.find((c) => c.metadata?.annotations?.['storageclass.kubernetes.io/is-default-class'] === 'true');
}

async function waitForObject(
  cluster: ClusterPort,
  ref: ObjectRef,
  signal: AbortSignal,
  report: (event: ReadinessEvent) => void,
): Promise<Result<void, WaitError>> {
  if (!hasReadinessRule(ref.kind)) {
    report({ ref, state: 'ready', reason: 'exists' });
    return ok(undefined);
  }
  let service: KubeObject | undefined;
  if (ref.kind === 'Service') {
    const read = await cluster.read(ref);
    if (!read.ok) return signal.aborted ? ok(undefined) : err({ kind: 'cluster', error: read.error });
    service = read.value;
    if (!service) return err({ kind: 'failed', failed: [{ ref, state: 'failed', reason: 'it does not exist' }] });
    const verdict = judgeReadiness(service);
    if (verdict.state === 'ready') {
      report({ ref, ...verdict });
      return ok(undefined);
    }
  }
  // A Service is judged by its Endpoints, everything else by itself.
  const watched: ObjectRef = service ? { apiVersion: 'v1', kind: 'Endpoints', name: ref.name, namespace: ref.namespace } : ref;
  // A claim is judged with its StorageClass, read once when first seen Pending.
  let storageClass: { value: KubeObject | undefined } | undefined;
  const judge = (object: KubeObject | undefined): Readiness =>
    service
      ? judgeReadiness(service, object)
      : object
        ? judgeReadiness(object, storageClass?.value)
        : { state: 'waiting', reason: 'not created yet' };
  let failures = 0;
  while (!signal.aborted) {
    const query = {
      apiVersion: watched.apiVersion,
      kind: watched.kind,
      namespace: watched.namespace,
      fieldSelector: `metadata.name=${watched.name}`,
    };
    const listed = await cluster.list(query);
    if (signal.aborted) break;
    if (!listed.ok) {
      if (++failures > 3 || listed.error.kind === 'forbidden' || listed.error.kind === 'unauthorized')
        return err({ kind: 'cluster', error: listed.error });
      await sleep(250 * failures, signal);
      continue;
    }
    failures = 0;
    const claim = listed.value.items[0];
    if (ref.kind === 'PersistentVolumeClaim' && claim && !storageClass)
      storageClass = { value: await storageClassOf(cluster, claim) };
    // Held in an object: the watch callback below replaces it.
    const seen: { verdict: Readiness } = { verdict: judge(listed.value.items[0]) };
    report({ ref, ...seen.verdict });
    if (seen.verdict.state === 'ready') return ok(undefined);
    if (seen.verdict.state === 'failed') return err({ kind: 'failed', failed: [{ ref, ...seen.verdict }] });
    const local = new AbortController();
    const forward = (): void => local.abort();
    signal.addEventListener('abort', forward);
    const watch = await cluster.watch(
      { ...query, resourceVersion: listed.value.resourceVersion },
      (event) => {
        if (event.type === 'BOOKMARK') return;
        seen.verdict = judge(event.type === 'DELETED' ? undefined : event.object);
        report({ ref, ...seen.verdict });
        if (seen.verdict.state !== 'waiting') local.abort();
      },
      local.signal,
    );
    signal.removeEventListener('abort', forward);
    const { verdict } = seen;
    if (verdict.state === 'ready') return ok(undefined);
    if (verdict.state === 'failed') return err({ kind: 'failed', failed: [{ ref, ...verdict }] });
    // The watch ended (server timeout, 410 Gone, dropped stream): list again and carry on.
    if (!watch.ok && watch.error.status !== 410 && !signal.aborted) {
      if (watch.error.kind === 'forbidden' || watch.error.kind === 'unauthorized' || ++failures > 3)
        return err({ kind: 'cluster', error: watch.error });
      await sleep(250 * failures, signal);
    }
  }
  return ok(undefined);
}
