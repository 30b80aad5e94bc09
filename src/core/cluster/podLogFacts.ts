/**
 * The recent log lines that explain a failure, read before anything is rolled back or restored
 * (a rollback replaces the crashing pods, and their logs with them): for a failing pod, its last
 * lines and its previous container's; for a pod that runs, only its error lines (a database that
 * logs corruption still counts as running).
 */
import { mapLimit } from '../async.js';
import type { KubeObject } from './model.js';
import { podProblem } from './diagnostics.js';
import type { ClusterPort } from './port.js';

const ERROR_LINE = /\b(?:ERROR|FATAL|PANIC|CRITICAL|Traceback|Exception|corrupt\w*)\b/i;

export interface LogFactOptions {
  readonly signal: AbortSignal;
  /** Lines read per container (default 50). */
  readonly tailLines?: number;
  /** Lines kept per container in the facts (default 10). */
  readonly keep?: number;
  /** Pods looked at, at most (default 10). */
  readonly maxPods?: number;
}

/** One line per fact: `Logs of pod/container (previous): line`. Pods whose logs cannot be read are passed over. */
export async function podLogFacts(cluster: ClusterPort, namespace: string, options: LogFactOptions): Promise<string[]> {
  const pods = await cluster.list({ apiVersion: 'v1', kind: 'Pod', namespace });
  if (!pods.ok) return [];
  const keep = options.keep ?? 10;
  const facts = await mapLimit(pods.value.items.slice(0, options.maxPods ?? 10), 4, async (pod) => {
    const failing = podProblem(pod) !== undefined;
    const lines: string[] = [];
    for (const { container, previous } of containersOf(pod)) {
      const text = await readLog(cluster, namespace, pod.metadata?.name ?? '', container, previous, options);
      const all = text.split('\n').filter((l) => l.trim() !== '');
      const shown = (failing ? all : all.filter((l) => ERROR_LINE.test(l))).slice(-keep);
      const where = `${pod.metadata?.name ?? ''}/${container}${previous ? ' (previous container)' : ''}`;
      for (const line of shown) lines.push(`Logs of ${where}: ${line}`);
    }
    return lines;
  });
  return facts.flat();
}

/** Each container, and its previous one when it restarted. */
function containersOf(pod: KubeObject): { container: string; previous: boolean }[] {
  const statuses =
    (pod['status'] as { containerStatuses?: { name: string; restartCount?: number; lastState?: { terminated?: unknown } }[] })
      ?.containerStatuses ?? [];
  return statuses.flatMap((c) => [
    ...(c.lastState?.terminated ? [{ container: c.name, previous: true }] : []),
    { container: c.name, previous: false },
  ]);
}

async function readLog(
  cluster: ClusterPort,
  namespace: string,
  pod: string,
  container: string,
  previous: boolean,
  options: LogFactOptions,
): Promise<string> {
  let text = '';
  const read = await cluster.logs(
    {
      namespace,
      pod,
      container,
      follow: false,
      timestamps: false,
      tailLines: options.tailLines ?? 50,
      ...(previous ? { previous } : {}),
    },
    (chunk) => {
      text += chunk;
    },
    options.signal,
  );
  return read.ok ? text : '';
}
