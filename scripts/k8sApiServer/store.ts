/**
 * In-memory object storage with one global resourceVersion counter (like etcd's revision), a
 * bounded per-type history of changes (the watch cache) and subscribers for watches and controllers.
 */
import type { KubeObject, ResourceType, StoreEvent, WatchEventType } from './types.ts';
import { rtKey } from './types.ts';

export type StoreListener = (event: StoreEvent) => void;

interface History {
  events: StoreEvent[];
  /** Index of the oldest retained event in `events`. */
  head: number;
  /** resourceVersion of the newest event that was dropped from the history (0: none dropped). */
  compactedRv: number;
}

export interface ObjectStoreOptions {
  /** Events kept per resource type for watch replay; older resourceVersions get 410 Expired. */
  historyLimit: number;
}

function objectKey(ns: string | undefined, name: string): string {
  return ns ? `${ns}/${name}` : name;
}

export class ObjectStore {
  private rv = 100;
  private readonly data = new Map<string, Map<string, KubeObject>>();
  private readonly history = new Map<string, History>();
  private readonly listeners = new Set<StoreListener>();
  private readonly historyLimit: number;

  constructor(options: ObjectStoreOptions) {
    this.historyLimit = Math.max(1, options.historyLimit);
  }

  currentRv(): number {
    return this.rv;
  }

  get(rt: ResourceType, ns: string | undefined, name: string): KubeObject | undefined {
    return this.data.get(rtKey(rt))?.get(objectKey(rt.namespaced ? ns : undefined, name));
  }

  /** Objects of a type, sorted by namespace then name (etcd key order); `ns` limits to one namespace. */
  list(rt: ResourceType, ns?: string): KubeObject[] {
    const m = this.data.get(rtKey(rt));
    if (!m) return [];
    const out: KubeObject[] = [];
    for (const [key, obj] of m) {
      if (ns !== undefined && rt.namespaced && !key.startsWith(`${ns}/`)) continue;
      out.push(obj);
    }
    out.sort((a, b) => {
      const ka = objectKey(a.metadata.namespace, a.metadata.name);
      const kb = objectKey(b.metadata.namespace, b.metadata.name);
      return ka < kb ? -1 : ka > kb ? 1 : 0;
    });
    return out;
  }

  /** Stores a new or changed object under a new resourceVersion and notifies subscribers. */
  put(rt: ResourceType, obj: KubeObject): KubeObject {
    const key = objectKey(rt.namespaced ? obj.metadata.namespace : undefined, obj.metadata.name);
    let m = this.data.get(rtKey(rt));
    if (!m) this.data.set(rtKey(rt), (m = new Map()));
    const prev = m.get(key);
    const type: WatchEventType = prev ? 'MODIFIED' : 'ADDED';
    const rv = ++this.rv;
    obj.metadata.resourceVersion = String(rv);
    m.set(key, obj);
    this.record(prev ? { type, rt, object: obj, rv, prev } : { type, rt, object: obj, rv });
    return obj;
  }

  /** Removes an object; its DELETED event carries the last state with a new resourceVersion. */
  remove(rt: ResourceType, obj: KubeObject): KubeObject | undefined {
    const key = objectKey(rt.namespaced ? obj.metadata.namespace : undefined, obj.metadata.name);
    const m = this.data.get(rtKey(rt));
    const current = m?.get(key);
    if (!m || !current) return undefined;
    m.delete(key);
    const rv = ++this.rv;
    const last = { ...current, metadata: { ...current.metadata, resourceVersion: String(rv) } };
    this.record({ type: 'DELETED', rt, object: last, rv });
    return last;
  }

  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Events of a type newer than `sinceRv`, oldest first; `expired` when `sinceRv` is older than the
   * retained history (the caller answers 410 Expired with `compactedRv` as the oldest known version).
   */
  eventsSince(
    rt: ResourceType,
    sinceRv: number,
  ): { expired: false; events: StoreEvent[] } | { expired: true; compactedRv: number } {
    const h = this.history.get(rtKey(rt));
    if (!h) return { expired: false, events: [] };
    if (h.compactedRv > 0 && sinceRv < h.compactedRv) return { expired: true, compactedRv: h.compactedRv };
    const out: StoreEvent[] = [];
    for (let i = h.head; i < h.events.length; i++) {
      const e = h.events[i]!;
      if (e.rv > sinceRv) out.push(e);
    }
    return { expired: false, events: out };
  }

  private record(event: StoreEvent): void {
    const k = rtKey(event.rt);
    let h = this.history.get(k);
    if (!h) this.history.set(k, (h = { events: [], head: 0, compactedRv: 0 }));
    h.events.push(event);
    while (h.events.length - h.head > this.historyLimit) {
      h.compactedRv = h.events[h.head]!.rv;
      h.events[h.head] = undefined as unknown as StoreEvent;
      h.head++;
    }
    if (h.head > 1024 && h.head * 2 > h.events.length) {
      h.events = h.events.slice(h.head);
      h.head = 0;
    }
    for (const l of [...this.listeners]) l(event);
  }
}

/** The watch line of an event, serialized once. */
export function eventLine(event: StoreEvent): string {
  if (event.line === undefined) event.line = `${JSON.stringify({ type: event.type, object: event.object })}\n`;
  return event.line;
}
