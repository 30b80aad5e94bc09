import { sleep } from '../async.js';
import { err, ok, type Result } from '../result.js';
import { LineFramer, type LogLine } from './logLines.js';
import { describeRef, type ClusterError, type KubeObject, type ObjectRef } from './model.js';
import type { ClusterPort } from './port.js';
import { selectorString } from './rollback.js';

export interface FollowOptions {
  readonly signal: AbortSignal;
  /** Receives lines in batches, in arrival order per container; awaited, so a slow consumer slows the streams. */
  readonly onLines: (lines: LogLine[]) => void | Promise<void>;
  /** Streams starting and ending, reconnects: for the user's log. */
  readonly onStatus?: (message: string) => void;
  /** Lines from before the follow started, per container (like `kubectl logs --tail`); all by default. */
  readonly tailLines?: number;
  /** Buffered lines at most before the streams wait for the consumer. */
  readonly maxBufferedLines?: number;
  /** How long to wait before reconnecting a stream the server ended while its pod lives. */
  readonly reconnectDelayMs?: number;
}

/** What to follow: the pods of a workload, or of a label selector, in a namespace. */
export type FollowTarget = { readonly namespace: string; readonly selector: string; readonly name: string };

/** Resolves `deployment/flask-api` (or a StatefulSet, DaemonSet, Job) to its pods' label selector. */
export async function followTargetFor(cluster: ClusterPort, ref: ObjectRef): Promise<Result<FollowTarget, ClusterError>> {
  const namespace = ref.namespace ?? cluster.namespace;
  const read = await cluster.read({ ...ref, namespace });
  if (!read.ok) return read;
  if (!read.value) {
    return err({
      kind: 'notFound',
      context: cluster.context,
      object: ref,
      message: `${describeRef({ ...ref, namespace })} does not exist in context "${cluster.context}".`,
      hint: 'Check the name and namespace.',
    });
  }
  return ok({ namespace, selector: selectorString(read.value), name: `${namespace}/${ref.name}` });
}

interface Stream {
  readonly controller: AbortController;
  readonly done: Promise<void>;
}

/**
 * `kubectl logs -f` for every container of every pod a selector matches, as one stream of lines:
 * new pods are picked up as they appear (a rollout), streams of deleted pods stop, and a stream
 * the server ends while its pod lives reconnects from the last timestamp seen, with no gap and no
 * repeated line. Resolves when the signal aborts (ok) or the pod watch fails for good.
 */
export async function followLogs(
  cluster: ClusterPort,
  target: FollowTarget,
  options: FollowOptions,
): Promise<Result<void, ClusterError>> {
  const { signal } = options;
  const maxBuffered = options.maxBufferedLines ?? 10_000;
  const reconnectDelay = options.reconnectDelayMs ?? 500;
  const streams = new Map<string, Stream>();
  const pods = new Map<string, KubeObject>();
  let queue: LogLine[] = [];
  let flushing: Promise<void> | undefined;
  let drained: { promise: Promise<void>; resolve: () => void } | undefined;

  const flush = (): Promise<void> => {
    flushing ??= (async () => {
      while (queue.length) {
        const batch = queue;
        queue = [];
        await options.onLines(batch);
      }
      flushing = undefined;
      drained?.resolve();
      drained = undefined;
    })();
    return flushing;
  };
  const deliver = async (lines: LogLine[]): Promise<void> => {
    if (!lines.length) return;
    for (const line of lines) queue.push(line);
    void flush();
    // Back-pressure: hold this stream until the consumer has caught up.
    while (queue.length > maxBuffered && !signal.aborted) {
      drained ??= (() => {
        let resolve!: () => void;
        const promise = new Promise<void>((r) => (resolve = r));
        return { promise, resolve };
      })();
      await drained.promise;
    }
  };

  const startStream = (pod: string, container: string): void => {
    const key = `${pod}/${container}`;
    if (streams.has(key)) return;
    const controller = new AbortController();
    const onAbort = (): void => controller.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    const framer = new LineFramer(pod, container);
    const done = (async () => {
      let first = true;
      while (!controller.signal.aborted) {
        const since = framer.resumeFrom;
        if (!first) framer.reconnected();
        options.onStatus?.(first ? `following ${key}` : `reconnecting ${key}${since ? ` from ${since}` : ''}`);
        const result = await cluster.logs(
          {
            namespace: target.namespace,
            pod,
            container,
            follow: true,
            timestamps: true,
            ...(since ? { sinceTime: since } : {}),
            ...(first && options.tailLines !== undefined ? { tailLines: options.tailLines } : {}),
          },
          (text) => {
            const lines: LogLine[] = [];
            framer.push(text, lines);
            return deliver(lines);
          },
          controller.signal,
        );
        const rest: LogLine[] = [];
        framer.flush(rest);
        await deliver(rest);
        first = false;
        if (controller.signal.aborted) break;
        const live = pods.get(pod);
        const phase = (live?.['status'] as { phase?: string } | undefined)?.phase;
        if (!live || phase === 'Succeeded' || phase === 'Failed') break;
        if (!result.ok) options.onStatus?.(`${key}: ${result.error.message}`);
        await sleep(reconnectDelay, controller.signal);
      }
      signal.removeEventListener('abort', onAbort);
      if (streams.get(key)?.controller === controller) streams.delete(key);
      options.onStatus?.(`stopped following ${key}`);
    })();
    streams.set(key, { controller, done });
  };

  const stopping = new Set<Promise<void>>();
  const stopPod = (pod: string): void => {
    for (const [key, stream] of streams) {
      if (!key.startsWith(`${pod}/`)) continue;
      // Forget it now: a pod recreated with the same name (a StatefulSet's) gets a fresh stream.
      streams.delete(key);
      stream.controller.abort();
      stopping.add(stream.done);
      void stream.done.then(() => stopping.delete(stream.done));
    }
  };

  const consider = (pod: KubeObject): void => {
    const name = pod.metadata?.name;
    if (!name) return;
    pods.set(name, pod);
    for (const container of startedContainers(pod)) startStream(name, container);
  };

  const query = { apiVersion: 'v1', kind: 'Pod', namespace: target.namespace, labelSelector: target.selector };
  let failures = 0;
  while (!signal.aborted) {
    const listed = await cluster.list(query);
    if (!listed.ok) {
      if (signal.aborted) break;
      if (++failures > 3 || listed.error.kind === 'forbidden' || listed.error.kind === 'unauthorized') {
        await stopAll(streams);
        return listed;
      }
      await sleep(500 * failures, signal);
      continue;
    }
    failures = 0;
    const present = new Set(listed.value.items.map((p) => p.metadata?.name));
    for (const name of [...pods.keys()]) {
      if (!present.has(name)) {
        pods.delete(name);
        stopPod(name);
      }
    }
    for (const pod of listed.value.items) consider(pod);
    await cluster.watch(
      { ...query, resourceVersion: listed.value.resourceVersion },
      (event) => {
        const name = event.object.metadata?.name;
        if (!name || event.type === 'BOOKMARK') return;
        if (event.type === 'DELETED') {
          pods.delete(name);
          stopPod(name);
        } else {
          consider(event.object);
        }
      },
      signal,
    );
  }
  await stopAll(streams);
  await Promise.all(stopping);
  await flush();
  return ok(undefined);
}

async function stopAll(streams: Map<string, Stream>): Promise<void> {
  const all = [...streams.values()];
  for (const s of all) s.controller.abort();
  await Promise.all(all.map((s) => s.done));
}

/** Containers (init containers too) that have started, so that their logs exist. */
function startedContainers(pod: KubeObject): string[] {
  type Status = { name: string; state?: { running?: unknown; terminated?: unknown } };
  const status = pod['status'] as { initContainerStatuses?: Status[]; containerStatuses?: Status[] } | undefined;
  return [...(status?.initContainerStatuses ?? []), ...(status?.containerStatuses ?? [])]
    .filter((s) => s.state?.running !== undefined || s.state?.terminated !== undefined)
    .map((s) => s.name);
}
