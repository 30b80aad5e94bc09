/** What every simulated controller gets: typed access to the registry, events, timers and the work queue. */
import type { LogStore } from '../logs.ts';
import type { Registry } from '../registry.ts';
import { RESOURCE_TYPES } from '../resources.ts';
import { ApiError } from '../status.ts';
import type { KubeObject, ResourceType } from '../types.ts';
import { microTime, nowTime } from '../util.ts';
import { randomBytes } from 'node:crypto';

/** How simulated pods behave, chosen per pod by image (see K8sApiServer.setImageBehaviour). */
export interface PodBehaviour {
  /** Time from scheduling to Running and Ready (default: the server's podReadyDelayMs). */
  readyDelayMs?: number;
  /** Never becomes Ready: stays Running with Ready=False (a failing readiness probe). */
  neverReady?: boolean;
  /** Stays Pending with this container waiting reason (ImagePullBackOff, CrashLoopBackOff, ...). */
  waitingReason?: string;
  /** For Job pods: the exit code after running (default 0: Succeeded). */
  exitCode?: number;
}

export interface ControllerOptions {
  podReadyDelayMs: number;
  podTerminationDelayMs: number;
  namespaceFinalizeDelayMs: number;
  jobPodRunMs: number;
  dynamicProvisioning: boolean;
  pvBindDelayMs: number;
  nodeName: string;
}

export const KCM = 'kube-controller-manager';

export class ControllerContext {
  private nextPodIp = 2;
  readonly timers = new Set<NodeJS.Timeout>();
  enqueue: (kind: string, ns: string | undefined, name: string) => void = () => undefined;
  behaviourFor: (pod: KubeObject) => PodBehaviour = () => ({});

  constructor(
    readonly registry: Registry,
    readonly logs: LogStore,
    readonly options: ControllerOptions,
  ) {}

  rt(kind: string): ResourceType {
    const rt = RESOURCE_TYPES.find((r) => r.kind === kind);
    if (!rt) throw new Error(`no resource type for kind ${kind}`);
    return rt;
  }

  get(kind: string, ns: string | undefined, name: string): KubeObject | undefined {
    return this.registry.store.get(this.rt(kind), ns, name);
  }

  list(kind: string, ns?: string): KubeObject[] {
    return this.registry.store.list(this.rt(kind), ns);
  }

  /** Objects of `kind` whose controller ownerReference points at `owner`. */
  owned(kind: string, owner: KubeObject): KubeObject[] {
    return this.list(kind, owner.metadata.namespace).filter((o) =>
      ((o.metadata.ownerReferences ?? []) as KubeObject[]).some((r) => r.uid === owner.metadata.uid && r.controller),
    );
  }

  update(
    kind: string,
    obj: KubeObject,
    mutate: (o: KubeObject) => boolean | void,
    subresource?: string,
    manager = KCM,
  ): KubeObject | undefined {
    return this.registry.controllerUpdate(this.rt(kind), obj.metadata.namespace, obj.metadata.name, manager, subresource, mutate);
  }

  create(kind: string, obj: KubeObject, manager = KCM): KubeObject | undefined {
    const out = this.tryCreate(kind, obj, manager);
    return out instanceof ApiError ? undefined : out;
  }

  /** A create whose refusal (admission, validation) the controller reports. */
  tryCreate(kind: string, obj: KubeObject, manager = KCM): KubeObject | ApiError {
    return this.registry.controllerCreate(this.rt(kind), obj, manager);
  }

  delete(kind: string, obj: KubeObject, gracePeriodSeconds?: number): void {
    try {
      this.registry.delete(
        this.rt(kind),
        obj.metadata.namespace,
        obj.metadata.name,
        gracePeriodSeconds === undefined ? {} : { gracePeriodSeconds },
      );
    } catch {
      // already gone
    }
  }

  remove(kind: string, obj: KubeObject): void {
    this.registry.forceRemove(this.rt(kind), obj);
  }

  after(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  allocatePodIp(): string {
    const n = this.nextPodIp++;
    return `10.244.${Math.floor(n / 250) % 250}.${(n % 250) + 1}`;
  }

  ownerRef(owner: KubeObject): KubeObject {
    return {
      apiVersion: owner.apiVersion,
      kind: owner.kind,
      name: owner.metadata.name,
      uid: owner.metadata.uid,
      controller: true,
      blockOwnerDeletion: true,
    };
  }

  /** Records a core/v1 Event as the controllers do (source.component, count, first/last timestamps). */
  event(involved: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string, component: string): void {
    const ns = involved.metadata.namespace ?? 'default';
    const now = nowTime();
    const ev: KubeObject = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${involved.metadata.name}.${randomBytes(8).toString('hex')}`, namespace: ns },
      involvedObject: {
        kind: involved.kind,
        namespace: involved.metadata.namespace,
        name: involved.metadata.name,
        uid: involved.metadata.uid,
        apiVersion: involved.apiVersion,
        resourceVersion: involved.metadata.resourceVersion,
      },
      reason,
      message,
      type,
    };
    if (component === 'default-scheduler') {
      Object.assign(ev, {
        source: {},
        firstTimestamp: null,
        lastTimestamp: null,
        eventTime: microTime(),
        action: reason === 'Scheduled' ? 'Binding' : 'Scheduling',
        reportingComponent: component,
        reportingInstance: `${component}-${this.options.nodeName}`,
      });
    } else {
      Object.assign(ev, {
        source: { component },
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
        eventTime: null,
        reportingComponent: '',
        reportingInstance: '',
      });
    }
    this.create('Event', ev, component === 'default-scheduler' ? 'kube-scheduler' : KCM);
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
