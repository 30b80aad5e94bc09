/**
 * The scheduler and a simulated kubelet: pods wait for their claims to be Bound, get scheduled on
 * the one node, then become Running and Ready after a delay (or fail as their image's behaviour
 * says); deleted pods go away after a short grace; Job pods run to completion.
 */
import type { KubeObject } from '../types.ts';
import { nowTime } from '../util.ts';
import type { ControllerContext } from './context.ts';

const unschedulableSeen = new Set<string>();
const pendingTimers = new Set<string>();

function podKey(p: KubeObject): string {
  return `${p.metadata.namespace}/${p.metadata.name}/${p.metadata.uid}`;
}

function claimsBound(ctx: ControllerContext, pod: KubeObject): { ok: boolean; missing: string[] } {
  const missing: string[] = [];
  for (const v of (pod.spec?.volumes ?? []) as KubeObject[]) {
    const claim = v.persistentVolumeClaim?.claimName;
    if (!claim) continue;
    const pvc = ctx.get('PersistentVolumeClaim', pod.metadata.namespace, claim);
    if (!pvc || pvc.status?.phase !== 'Bound') missing.push(claim);
  }
  return { ok: missing.length === 0, missing };
}

function cond(type: string, status: string, now: string, extra: KubeObject = {}): KubeObject {
  return { type, status, lastProbeTime: null, lastTransitionTime: now, ...extra };
}

export function reconcilePod(ctx: ControllerContext, pod: KubeObject): void {
  const key = podKey(pod);
  if (pod.metadata.deletionTimestamp) {
    if (pendingTimers.has(`del:${key}`)) return;
    pendingTimers.add(`del:${key}`);
    ctx.after(ctx.options.podTerminationDelayMs, () => {
      pendingTimers.delete(`del:${key}`);
      const cur = ctx.get('Pod', pod.metadata.namespace, pod.metadata.name);
      if (cur && cur.metadata.uid === pod.metadata.uid) {
        for (const c of (cur.spec?.containers ?? []) as KubeObject[])
          ctx.logs.endContainer(cur.metadata.namespace, cur.metadata.name, c.name);
        ctx.remove('Pod', cur);
      }
    });
    return;
  }
  if (!pod.spec?.nodeName) {
    const { ok, missing } = claimsBound(ctx, pod);
    if (!ok) {
      // The scheduler's volume binder: a claim waiting for its first consumer binds now.
      for (const c of missing) ctx.enqueue('PersistentVolumeClaim', pod.metadata.namespace, c);
      if (!unschedulableSeen.has(String(pod.metadata.uid))) {
        unschedulableSeen.add(String(pod.metadata.uid));
        const reason = missing.some((c) => !ctx.get('PersistentVolumeClaim', pod.metadata.namespace, c))
          ? `persistentvolumeclaim "${missing[0]}" not found`
          : 'pod has unbound immediate PersistentVolumeClaims';
        ctx.event(
          pod,
          'Warning',
          'FailedScheduling',
          `0/1 nodes are available: ${reason}. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod..`,
          'default-scheduler',
        );
        ctx.update(
          'Pod',
          pod,
          (o) => {
            o.status = {
              ...o.status,
              phase: 'Pending',
              conditions: [
                cond('PodScheduled', 'False', nowTime(), {
                  reason: 'Unschedulable',
                  message: `0/1 nodes are available: ${reason}.`,
                }),
              ],
            };
          },
          'status',
          'kube-scheduler',
        );
      }
      return;
    }
    const node = ctx.options.nodeName;
    const bound = ctx.update(
      'Pod',
      pod,
      (o) => {
        o.spec.nodeName = node;
      },
      undefined,
      'kube-scheduler',
    );
    if (!bound) return;
    ctx.update(
      'Pod',
      bound,
      (o) => {
        o.status = { ...o.status, phase: 'Pending', conditions: [cond('PodScheduled', 'True', nowTime())] };
      },
      'status',
      'kube-scheduler',
    );
    ctx.event(
      bound,
      'Normal',
      'Scheduled',
      `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${node}`,
      'default-scheduler',
    );
    return;
  }
  if (pod.status?.startTime || pendingTimers.has(`run:${key}`)) return;
  const b = ctx.behaviourFor(pod);
  pendingTimers.add(`run:${key}`);
  ctx.after(b.readyDelayMs ?? ctx.options.podReadyDelayMs, () => {
    pendingTimers.delete(`run:${key}`);
    const cur = ctx.get('Pod', pod.metadata.namespace, pod.metadata.name);
    if (!cur || cur.metadata.uid !== pod.metadata.uid || cur.metadata.deletionTimestamp) return;
    startPod(ctx, cur);
  });
}

function startPod(ctx: ControllerContext, pod: KubeObject): void {
  const b = ctx.behaviourFor(pod);
  const now = nowTime();
  const containers = (pod.spec?.containers ?? []) as KubeObject[];
  const isJob = ((pod.metadata.ownerReferences ?? []) as KubeObject[]).some((r) => r.kind === 'Job');
  const ip = ctx.allocatePodIp();
  // A waiting container (image pull, crash loop) leaves the pod Pending; otherwise it runs, ready
  // unless its behaviour says it never is.
  const waiting = b.waitingReason;
  const ready = !waiting && !b.neverReady;
  const r = ready ? 'True' : 'False';
  const notReady = ready
    ? {}
    : { reason: 'ContainersNotReady', message: `containers with unready status: [${containers.map((c) => c.name).join(' ')}]` };
  ctx.update(
    'Pod',
    pod,
    (o) => {
      o.status = {
        phase: waiting ? 'Pending' : 'Running',
        conditions: [
          cond('Initialized', 'True', now),
          cond('Ready', r, now, notReady),
          cond('ContainersReady', r, now, notReady),
          cond('PodScheduled', 'True', now),
        ],
        hostIP: '127.0.0.1',
        podIP: ip,
        podIPs: [{ ip }],
        startTime: now,
        containerStatuses: containers.map((c) => ({
          name: c.name,
          state: waiting
            ? { waiting: { reason: waiting, message: `Back-off pulling image "${String(c.image)}"` } }
            : { running: { startedAt: now } },
          lastState: {},
          ready,
          restartCount: 0,
          image: c.image,
          imageID: '',
        })),
        qosClass: 'BestEffort',
      };
    },
    'status',
    'kubelet',
  );
  if (waiting) {
    ctx.event(
      pod,
      'Warning',
      waiting === 'CrashLoopBackOff' ? 'BackOff' : 'Failed',
      waiting === 'CrashLoopBackOff' ? 'Back-off restarting failed container' : `Error: ${waiting}`,
      'kubelet',
    );
    return;
  }
  for (const c of containers) {
    ctx.event(pod, 'Normal', 'Started', `Started container ${String(c.name)}`, 'kubelet');
  }
  if (isJob) {
    ctx.after(ctx.options.jobPodRunMs, () => {
      const cur = ctx.get('Pod', pod.metadata.namespace, pod.metadata.name);
      if (!cur || cur.metadata.uid !== pod.metadata.uid) return;
      const code = b.exitCode ?? 0;
      const end = nowTime();
      ctx.update(
        'Pod',
        cur,
        (o) => {
          o.status.phase = code === 0 ? 'Succeeded' : 'Failed';
          o.status.conditions = [
            cond('Initialized', 'True', now, { reason: 'PodCompleted' }),
            cond('Ready', 'False', end, { reason: 'PodCompleted' }),
            cond('ContainersReady', 'False', end, { reason: 'PodCompleted' }),
            cond('PodScheduled', 'True', now),
          ];
          o.status.containerStatuses = containers.map((c) => ({
            name: c.name,
            state: {
              terminated: { exitCode: code, reason: code === 0 ? 'Completed' : 'Error', startedAt: now, finishedAt: end },
            },
            lastState: {},
            ready: false,
            restartCount: 0,
            image: c.image,
            imageID: '',
          }));
        },
        'status',
        'kubelet',
      );
      for (const c of containers) ctx.logs.endContainer(cur.metadata.namespace, cur.metadata.name, c.name);
    });
  }
}

/** Restarts a container: its log becomes `previous`, restartCount goes up, lastState records the exit. */
export function restartContainer(ctx: ControllerContext, pod: KubeObject, container: string, exitCode: number): void {
  ctx.logs.restart(pod.metadata.namespace, pod.metadata.name, container);
  const now = nowTime();
  ctx.update(
    'Pod',
    pod,
    (o) => {
      for (const s of (o.status?.containerStatuses ?? []) as KubeObject[]) {
        if (s.name !== container) continue;
        s.lastState = {
          terminated: {
            exitCode,
            reason: exitCode === 0 ? 'Completed' : 'Error',
            startedAt: s.state?.running?.startedAt ?? now,
            finishedAt: now,
          },
        };
        s.state = { running: { startedAt: now } };
        s.restartCount = Number(s.restartCount ?? 0) + 1;
      }
    },
    'status',
    'kubelet',
  );
}
