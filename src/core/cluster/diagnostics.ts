import { ok, type Result } from '../result.js';
import type { ClusterError, KubeObject } from './model.js';
import type { ClusterPort } from './port.js';

export interface PodEvent {
  readonly type: string;
  readonly reason: string;
  readonly message: string;
  readonly count: number;
  readonly lastSeen: string;
}

export interface PodDiagnosis {
  readonly pod: string;
  readonly phase: string;
  /** Why it counts as failing ("CrashLoopBackOff in container api", "not ready"). */
  readonly problem: string;
  readonly restarts: number;
  readonly lastTermination?: {
    readonly container: string;
    readonly reason: string;
    readonly exitCode: number;
    readonly finishedAt: string;
  };
  readonly events: readonly PodEvent[];
}

type ContainerStatus = {
  name: string;
  ready?: boolean;
  restartCount?: number;
  state?: { waiting?: { reason?: string; message?: string }; terminated?: { reason?: string; exitCode?: number } };
  lastState?: { terminated?: { reason?: string; exitCode?: number; finishedAt?: string } };
};

/** The fields of a core/v1 Event that a diagnosis shows. */
type EventObject = KubeObject & {
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  involvedObject?: { name?: string };
  lastTimestamp?: string | Date;
  eventTime?: string | Date;
};

/** Timestamps arrive as strings (watch, raw JSON) or Dates (client-node's typed models). */
function timestamp(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  return typeof value === 'string' ? value : '';
}

/** Why a pod is failing, or undefined when it is healthy. */
export function podProblem(pod: KubeObject): string | undefined {
  const status = (pod['status'] ?? {}) as {
    phase?: string;
    reason?: string;
    containerStatuses?: ContainerStatus[];
    conditions?: { type: string; status: string }[];
  };
  const phase = status.phase ?? 'Pending';
  if (phase === 'Succeeded') return undefined;
  if (phase === 'Failed') return `Failed${status.reason ? `: ${status.reason}` : ''}`;
  for (const c of status.containerStatuses ?? []) {
    const waiting = c.state?.waiting?.reason;
    if (waiting && waiting !== 'ContainerCreating' && waiting !== 'PodInitializing') return `${waiting} in container ${c.name}`;
    if (c.state?.terminated)
      return `container ${c.name} terminated (${c.state.terminated.reason ?? 'exit'} ${c.state.terminated.exitCode ?? ''})`.trim();
  }
  const readyCondition = status.conditions?.find((x) => x.type === 'Ready');
  if (phase === 'Pending') return 'Pending: not scheduled or not started';
  if (readyCondition && readyCondition.status !== 'True') return 'not ready';
  return undefined;
}

/** "Identify the failure cause": the failing pods of a namespace, their last crash and recent events. */
export async function diagnoseNamespace(
  cluster: ClusterPort,
  namespace: string,
  eventsPerPod = 5,
): Promise<Result<PodDiagnosis[], ClusterError>> {
  const pods = await cluster.list({ apiVersion: 'v1', kind: 'Pod', namespace });
  if (!pods.ok) return pods;
  const events = await cluster.list({ apiVersion: 'v1', kind: 'Event', namespace, fieldSelector: 'involvedObject.kind=Pod' });
  if (!events.ok) return events;
  const diagnoses: PodDiagnosis[] = [];
  for (const pod of pods.value.items) {
    const problem = podProblem(pod);
    if (!problem) continue;
    const name = pod.metadata?.name ?? '';
    const statuses = (pod['status'] as { containerStatuses?: ContainerStatus[] } | undefined)?.containerStatuses ?? [];
    const crashed = statuses.find((c) => c.lastState?.terminated);
    const podEvents = (events.value.items as EventObject[])
      .filter((e) => e.involvedObject?.name === name)
      .map((e) => ({
        type: e.type ?? '',
        reason: e.reason ?? '',
        message: e.message ?? '',
        count: e.count ?? 1,
        lastSeen: timestamp(e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp),
      }))
      .sort((a, b) => b.lastSeen.localeCompare(a.lastSeen))
      .slice(0, eventsPerPod);
    diagnoses.push({
      pod: name,
      phase: String((pod['status'] as { phase?: string } | undefined)?.phase ?? 'Unknown'),
      problem,
      restarts: statuses.reduce((n, c) => n + (c.restartCount ?? 0), 0),
      ...(crashed?.lastState?.terminated
        ? {
            lastTermination: {
              container: crashed.name,
              reason: crashed.lastState.terminated.reason ?? 'Unknown',
              exitCode: crashed.lastState.terminated.exitCode ?? -1,
              finishedAt: timestamp(crashed.lastState.terminated.finishedAt),
            },
          }
        : {}),
      events: podEvents,
    });
  }
  return ok(diagnoses);
}

export interface IngressAddress {
  readonly ingress: string;
  readonly hosts: readonly string[];
  /** IPs or host names of the load balancer: what DNS should point at. Empty until one is assigned. */
  readonly addresses: readonly string[];
}

/** "Update DNS records": each ingress of the namespace with its hosts and load-balancer address. */
export async function ingressAddresses(cluster: ClusterPort, namespace: string): Promise<Result<IngressAddress[], ClusterError>> {
  const listed = await cluster.list({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace });
  if (!listed.ok) return listed;
  return ok(
    listed.value.items.map((ingress) => {
      const spec = (ingress['spec'] ?? {}) as { rules?: { host?: string }[] };
      const status = (ingress['status'] ?? {}) as { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } };
      return {
        ingress: ingress.metadata?.name ?? '',
        hosts: (spec.rules ?? []).flatMap((r) => (r.host ? [r.host] : [])),
        addresses: (status.loadBalancer?.ingress ?? []).flatMap((a) => [a.ip, a.hostname].filter((x): x is string => !!x)),
      };
    }),
  );
}
