import type { Result } from '../result.js';
import type { ClusterError, KubeObject, ObjectRef } from './model.js';

export interface ListQuery {
  readonly apiVersion: string;
  readonly kind: string;
  /** Undefined: all namespaces (or a cluster-scoped kind). */
  readonly namespace: string | undefined;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
}

export interface ObjectList {
  /** Each with its apiVersion and kind set. */
  readonly items: KubeObject[];
  /** The list's resourceVersion: where a watch picks up. */
  readonly resourceVersion: string;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

export interface WatchEvent {
  readonly type: WatchEventType;
  readonly object: KubeObject;
}

export interface LogQuery {
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  readonly follow: boolean;
  readonly timestamps: boolean;
  /** RFC 3339: only lines at or after this time. */
  readonly sinceTime?: string;
  readonly tailLines?: number;
  /** The previous (crashed) container's log. */
  readonly previous?: boolean;
}

export type PatchType = 'merge' | 'strategic' | 'json';

/** A GET through the API server's service proxy: `services/NAME:PORT/proxy/PATH`. */
export interface ServiceProxyRequest {
  readonly namespace: string;
  readonly service: string;
  /** The Service's port, by name or number. */
  readonly port: string;
  /** The path on the application, with its leading slash (`/readyz`). */
  readonly path: string;
}

/** What came back: the application's answer, or the API server's own (503 when the Service has no ready endpoint). */
export interface ServiceProxyAnswer {
  readonly status: number;
  /** The start of the body (at most 2,000 characters). */
  readonly body: string;
}

/**
 * What core needs from a Kubernetes API server. The adapter over @kubernetes/client-node
 * implements it; every failure is a ClusterError value, never a thrown error.
 */
export interface ClusterPort {
  /** The kubeconfig context this port talks to. */
  readonly context: string;
  /** The namespace of the context (or `default`). */
  readonly namespace: string;
  /** The API server's address, for messages. */
  readonly server: string;

  /** Server-side apply with our field manager; `dryRun` persists nothing. */
  apply(
    object: KubeObject,
    options: { readonly dryRun: boolean; readonly force: boolean },
  ): Promise<Result<KubeObject, ClusterError>>;
  /** The object, or undefined when it does not exist. */
  read(ref: ObjectRef): Promise<Result<KubeObject | undefined, ClusterError>>;
  list(query: ListQuery): Promise<Result<ObjectList, ClusterError>>;
  create(object: KubeObject, options: { readonly dryRun: boolean }): Promise<Result<KubeObject, ClusterError>>;
  patch(ref: ObjectRef, patch: unknown, type: PatchType): Promise<Result<KubeObject, ClusterError>>;
  /** Deletes the object; a missing object is not an error (the result says whether it existed). */
  remove(ref: ObjectRef, options: { readonly dryRun: boolean }): Promise<Result<boolean, ClusterError>>;
  /**
   * Watches from `resourceVersion`, calling `onEvent` for each event, until the server ends the
   * stream (resolves ok), the signal aborts (resolves ok), or the watch fails (410 Gone included).
   */
  watch(
    query: ListQuery & { readonly resourceVersion: string },
    onEvent: (event: WatchEvent) => void,
    signal: AbortSignal,
  ): Promise<Result<void, ClusterError>>;
  /**
   * Streams a container's log; resolves when the stream ends or the signal aborts. The stream
   * waits for a promise `onText` returns: a slow consumer slows the stream, nothing piles up.
   */
  logs(query: LogQuery, onText: (text: string) => void | Promise<void>, signal: AbortSignal): Promise<Result<void, ClusterError>>;
  /** A GET through the service proxy; any HTTP status is an answer (only an unreachable server is an error). */
  serviceProxy(request: ServiceProxyRequest): Promise<Result<ServiceProxyAnswer, ClusterError>>;
}
