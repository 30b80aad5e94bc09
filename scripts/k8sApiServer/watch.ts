/**
 * The watch endpoint: newline-delimited JSON events over a chunked response, resourceVersion
 * semantics (synthetic ADDED for a fresh watch, replay from the watch cache, 410 Expired as an
 * ERROR event), selectors, bookmarks and timeoutSeconds.
 */
import type { ServerResponse } from 'node:http';
import type { FaultInjector } from './faults.ts';
import { ApiError } from './status.ts';
import type { ObjectStore } from './store.ts';
import { eventLine } from './store.ts';
import type { KubeObject, ResourceType, StoreEvent } from './types.ts';
import { apiVersionOf, rtKey } from './types.ts';

export interface WatchRequest {
  rt: ResourceType;
  namespace: string | undefined;
  path: string;
  resourceVersion: string | undefined;
  timeoutSeconds: number;
  allowBookmarks: boolean;
  bookmarkIntervalMs: number;
  /** Whether an object is selected by the request's label, field and name filters. */
  filter: (obj: KubeObject) => boolean;
}

function line(type: string, object: KubeObject): string {
  return `${JSON.stringify({ type, object })}\n`;
}

/** Streams a watch into `res` (whose headers the caller has set, 200 chunked). */
export function serveWatch(store: ObjectStore, faults: FaultInjector, req: WatchRequest, res: ServerResponse): void {
  const { rt, filter } = req;
  let lastRv = 0;
  let closed = false;
  const afterItem = faults.track({ kind: 'watch', path: req.path, res, written: 0 });
  const write = (text: string): void => {
    if (closed) return;
    res.write(text);
    if (afterItem()) finish(false);
  };
  const translate = (e: StoreEvent): string | undefined => {
    if (e.rv <= lastRv) return undefined;
    const now = filter(e.object);
    if (e.type === 'MODIFIED') {
      const before = e.prev ? filter(e.prev) : now;
      if (now && before) return eventLine(e);
      if (now) return line('ADDED', e.object);
      if (before) return line('DELETED', e.object);
      return undefined;
    }
    return now ? eventLine(e) : undefined;
  };
  const pending: StoreEvent[] = [];
  let live = false;
  // The newest resourceVersion of this type the watch cache processed, whatever the filters (bookmarks carry it).
  let typeRv = 0;
  const unsubscribe = store.subscribe((e) => {
    if (rtKey(e.rt) !== rtKey(rt)) return;
    typeRv = Math.max(typeRv, e.rv);
    if (!live) {
      pending.push(e);
      return;
    }
    const text = translate(e);
    if (text !== undefined) {
      lastRv = e.rv;
      write(text);
    }
  });
  const timers: NodeJS.Timeout[] = [];
  const finish = (clean: boolean): void => {
    if (closed) return;
    closed = true;
    unsubscribe();
    for (const t of timers) clearTimeout(t);
    if (clean && !res.destroyed) res.end();
  };
  res.on('close', () => finish(false));

  const rvParam = req.resourceVersion;
  if (rvParam === undefined || rvParam === '' || rvParam === '0') {
    let chunk = '';
    for (const obj of store.list(rt, req.namespace)) if (filter(obj)) chunk += line('ADDED', obj);
    lastRv = store.currentRv();
    if (chunk) write(chunk);
  } else {
    const since = Number(rvParam);
    if (!Number.isInteger(since) || since < 0) {
      write(line('ERROR', new ApiError(400, 'BadRequest', `invalid resource version: ${rvParam}`).toStatus()));
      finish(true);
      return;
    }
    const r = store.eventsSince(rt, since);
    if (r.expired) {
      write(line('ERROR', new ApiError(410, 'Expired', `too old resource version: ${since} (${r.compactedRv})`).toStatus()));
      finish(true);
      return;
    }
    lastRv = since;
    for (const e of r.events) {
      const text = translate(e);
      lastRv = Math.max(lastRv, e.rv);
      if (text !== undefined) write(text);
      if (closed) return;
    }
  }
  live = true;
  for (const e of pending) {
    const text = translate(e);
    if (text !== undefined) {
      lastRv = e.rv;
      write(text);
    }
  }
  pending.length = 0;
  if (closed) return;
  timers.push(setTimeout(() => finish(true), req.timeoutSeconds * 1000));
  if (req.allowBookmarks) {
    // As in 1.26: a bookmark carries the newest resourceVersion of the type and goes only to watches
    // that started before it, so a watch on a quiet type gets none.
    const startRv = lastRv;
    const bookmark = (): void => {
      if (closed) return;
      timers.push(setTimeout(bookmark, req.bookmarkIntervalMs));
      if (typeRv <= startRv) return;
      lastRv = Math.max(lastRv, typeRv);
      res.write(
        line('BOOKMARK', {
          kind: rt.kind,
          apiVersion: apiVersionOf(rt),
          metadata: { resourceVersion: String(typeRv), creationTimestamp: null },
        }),
      );
    };
    timers.push(setTimeout(bookmark, req.bookmarkIntervalMs));
  }
}
