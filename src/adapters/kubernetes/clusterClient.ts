import { AsyncLocalStorage } from 'node:async_hooks';
import { Writable } from 'node:stream';
import {
  ApiException,
  HttpMethod,
  IsomorphicFetchHttpLibrary,
  KubeConfig,
  KubernetesObjectApi,
  Log,
  Observable,
  RequestContext,
  ResponseContext,
  Watch,
} from '@kubernetes/client-node';
import type { ClusterError, KubeObject, ObjectRef } from '../../core/cluster/model.js';
import type {
  ClusterPort,
  ListQuery,
  LogQuery,
  ObjectList,
  PatchType,
  ServiceProxyAnswer,
  ServiceProxyRequest,
  WatchEvent,
} from '../../core/cluster/port.js';
import { err, ok, type Result } from '../../core/result.js';
import { toClusterError } from './errors.js';
import { loadKubeConfig, type KubeconfigOptions } from './kubeconfig.js';

export const FIELD_MANAGER = 'dr-runbook';

/** How long one request (not a watch or a log stream) may take. */
const REQUEST_TIMEOUT_MS = 30_000;

export interface ConnectOptions extends KubeconfigOptions {
  /** The namespace to work in; by default the context's, else `default`. */
  readonly namespace?: string;
  /** Aborts every request of this port in flight (a run's Cancel); watches and logs take their own. */
  readonly signal?: AbortSignal;
  /** How long one request may take before it fails as unanswered (default 30 s). */
  readonly requestTimeoutMs?: number;
}

/** The deadline of the call under way (each call of the port has its own), for the request middleware and the error. */
const callDeadline = new AsyncLocalStorage<AbortSignal>();

/** Connects to the cluster of a kubeconfig context. Nothing is sent until the first call. */
export function connectCluster(options: ConnectOptions = {}): Result<ClusterPort, ClusterError> {
  const loaded = loadKubeConfig(options);
  if (!loaded.ok) return loaded;
  return ok(
    new KubeClusterClient(loaded.value, options.namespace, {
      ...(options.signal ? { signal: options.signal } : {}),
      timeoutMs: options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
    }),
  );
}

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
};

/** The query parameters `kubectl apply --server-side` sends (batch 2, exchange 023), with our field manager. */
function applyQuery(options: { dryRun: boolean; force: boolean }): Record<string, string> {
  return {
    fieldManager: FIELD_MANAGER,
    fieldValidation: 'Strict',
    force: String(options.force),
    ...(options.dryRun ? { dryRun: 'All' } : {}),
  };
}

interface RequestOptions {
  readonly query?: Record<string, string | undefined>;
  readonly body?: unknown;
  readonly contentType?: string;
}

/** ClusterPort over @kubernetes/client-node. */
export class KubeClusterClient implements ClusterPort {
  readonly context: string;
  readonly namespace: string;
  readonly server: string;
  private readonly objects: KubernetesObjectApi;

  constructor(
    private readonly kc: KubeConfig,
    namespace?: string,
    private readonly limits: { readonly signal?: AbortSignal; readonly timeoutMs: number } = { timeoutMs: REQUEST_TIMEOUT_MS },
  ) {
    this.context = kc.getCurrentContext();
    this.namespace = namespace ?? kc.getContextObject(this.context)?.namespace ?? 'default';
    this.server = kc.getCurrentCluster()?.server ?? '';
    this.objects = KubernetesObjectApi.makeApiClient(kc);
    (this.objects as unknown as { configuration: { middleware: unknown[] } }).configuration.middleware.push(this.deadline);
    // Each call runs with a deadline of its own: its requests abort on Cancel or when it has taken too long.
    for (const name of ['apply', 'read', 'list', 'create', 'patch', 'remove'] as const) {
      const call = (this[name] as (...args: unknown[]) => Promise<unknown>).bind(this);
      const timed = (...args: unknown[]): Promise<unknown> => callDeadline.run(this.newDeadline(), () => call(...args));
      Object.defineProperty(this, name, { value: timed });
    }
  }

  private newDeadline(): AbortSignal {
    const timeout = AbortSignal.timeout(this.limits.timeoutMs);
    return this.limits.signal ? AbortSignal.any([this.limits.signal, timeout]) : timeout;
  }

  /**
   * Every request gets a signal that aborts on the port's signal (Cancel) or when the request has
   * taken too long: a server that accepts the connection and never answers cannot hang a step.
   */
  private readonly deadline = {
    pre: (request: RequestContext) => {
      request.setSignal(callDeadline.getStore() ?? this.newDeadline());
      return new Observable(Promise.resolve(request));
    },
    post: (response: ResponseContext) => new Observable(Promise.resolve(response)),
  };

  /** One discovery request per apiVersion, however many objects ask at once. */
  private readonly discovery = new Map<string, Promise<unknown>>();

  private discover(apiVersion: string, kind: string): Promise<unknown> {
    let pending = this.discovery.get(apiVersion);
    if (!pending) {
      pending = (this.objects as unknown as { resource(a: string, k: string): Promise<unknown> })
        .resource(apiVersion, kind)
        .catch((e: unknown) => {
          this.discovery.delete(apiVersion);
          throw e;
        });
      this.discovery.set(apiVersion, pending);
    }
    return pending;
  }

  private fail(error: unknown, action: string, object?: ObjectRef): { ok: false; error: ClusterError } {
    return err(this.clusterError(error, action, object));
  }

  /** Cancel and an unanswered request first: they are not the server's answers. */
  private clusterError(error: unknown, action: string, object?: ObjectRef): ClusterError {
    const name = (error as { name?: string } | null)?.name;
    const base = { context: this.context, ...(object ? { object } : {}) };
    if (this.limits.signal?.aborted) {
      return { ...base, kind: 'cancelled', message: `Cancelled: ${action} on context "${this.context}" was stopped.`, hint: '' };
    }
    // client-node rewraps some errors (an aborted fetch becomes a TypeError): the deadline is what tells.
    if (callDeadline.getStore()?.aborted || name === 'TimeoutError') {
      return {
        ...base,
        kind: 'unreachable',
        message: `The API server of context "${this.context}" (${this.server}) did not answer ${action} within ${this.limits.timeoutMs / 1000} s.`,
        hint: 'The server accepts connections but does not answer: check its health (or the proxy or VPN in between), then run the step again.',
      };
    }
    return toClusterError(error, { context: this.context, server: this.server, action, ...(object ? { object } : {}) });
  }

  /** `/apis/apps/v1/namespaces/NS/deployments[/NAME]` for an object or a collection, through discovery. */
  private async resourcePath(ref: ObjectRef, withName: boolean): Promise<string> {
    await this.discover(ref.apiVersion, ref.kind);
    const resource = await (
      this.objects as unknown as { resource(a: string, k: string): Promise<{ name: string; namespaced: boolean } | undefined> }
    ).resource(ref.apiVersion, ref.kind);
    if (!resource) throw new Error('Unrecognized API version and kind');
    const prefix = ref.apiVersion.includes('/') ? `/apis/${ref.apiVersion}` : `/api/${ref.apiVersion}`;
    const ns = resource.namespaced && ref.namespace ? `/namespaces/${encodeURIComponent(ref.namespace)}` : '';
    return `${prefix}${ns}/${resource.name}${withName ? `/${encodeURIComponent(ref.name)}` : ''}`;
  }

  /**
   * One request with the kubeconfig's credentials over the cluster's connection pool. Bodies go as
   * the JSON they are, never through client-node's typed models (which rename `from` to `_from`
   * and drop fields they do not know); answers come back as the server's JSON. A refusal throws
   * the ApiException client-node would, so every failure maps through toClusterError.
   */
  private async send(method: HttpMethod, path: string, options: RequestOptions = {}): Promise<KubeObject> {
    const context = new RequestContext(`${this.server.replace(/\/+$/, '')}${path}`, method);
    for (const [name, value] of Object.entries(options.query ?? {})) if (value !== undefined) context.setQueryParam(name, value);
    await this.kc.applySecurityAuthentication(context);
    context.setHeaderParam('Accept', 'application/json');
    if (options.body !== undefined) {
      context.setHeaderParam('Content-Type', options.contentType ?? 'application/json');
      context.setBody(JSON.stringify(options.body));
    }
    context.setSignal(callDeadline.getStore() ?? this.newDeadline());
    const response = await this.http.send(context).toPromise();
    const text = await response.body.text();
    if (response.httpStatusCode < 200 || response.httpStatusCode > 299) {
      throw new ApiException(response.httpStatusCode, `HTTP ${response.httpStatusCode}`, text, response.headers);
    }
    return (text ? JSON.parse(text) : {}) as KubeObject;
  }

  private readonly http = new IsomorphicFetchHttpLibrary();

  async apply(object: KubeObject, options: { dryRun: boolean; force: boolean }): Promise<Result<KubeObject, ClusterError>> {
    const ref = refOf(object);
    try {
      // The content type kubectl uses; a JSON body is valid YAML.
      const applied = await this.send(HttpMethod.PATCH, await this.resourcePath(ref, true), {
        query: applyQuery(options),
        body: object,
        contentType: 'application/apply-patch+yaml',
      });
      return ok(applied);
    } catch (e) {
      return this.fail(e, options.dryRun ? 'dry-run apply' : 'apply', ref);
    }
  }

  async read(ref: ObjectRef): Promise<Result<KubeObject | undefined, ClusterError>> {
    try {
      return ok(await this.send(HttpMethod.GET, await this.resourcePath(ref, true)));
    } catch (e) {
      const error = this.clusterError(e, 'read', ref);
      return error.kind === 'notFound' ? ok(undefined) : err(error);
    }
  }

  async list(query: ListQuery): Promise<Result<ObjectList, ClusterError>> {
    const collection: ObjectRef = { apiVersion: query.apiVersion, kind: query.kind, name: '', namespace: query.namespace };
    try {
      const path = await this.resourcePath(collection, false);
      const items: KubeObject[] = [];
      let token: string | undefined;
      let resourceVersion = '';
      do {
        const page = (await this.send(HttpMethod.GET, path, {
          query: { fieldSelector: query.fieldSelector, labelSelector: query.labelSelector, limit: '500', continue: token },
        })) as { items?: KubeObject[]; metadata?: { continue?: string; resourceVersion?: string } };
        // List items come without apiVersion and kind; give them theirs, as kubectl does.
        for (const item of page.items ?? []) items.push({ ...item, apiVersion: query.apiVersion, kind: query.kind });
        token = page.metadata?.continue || undefined;
        resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
      } while (token);
      return ok({ items, resourceVersion });
    } catch (e) {
      return this.fail(e, 'list', collection);
    }
  }

  async create(object: KubeObject, options: { dryRun: boolean }): Promise<Result<KubeObject, ClusterError>> {
    const ref = refOf(object);
    try {
      return ok(
        await this.send(HttpMethod.POST, await this.resourcePath(ref, false), {
          query: { fieldManager: FIELD_MANAGER, fieldValidation: 'Strict', dryRun: options.dryRun ? 'All' : undefined },
          body: object,
        }),
      );
    } catch (e) {
      return this.fail(e, 'create', ref);
    }
  }

  async patch(ref: ObjectRef, patch: unknown, type: PatchType): Promise<Result<KubeObject, ClusterError>> {
    try {
      const patched = await this.send(HttpMethod.PATCH, await this.resourcePath(ref, true), {
        query: { fieldManager: FIELD_MANAGER },
        body: patch,
        contentType: PATCH_CONTENT_TYPES[type],
      });
      return ok({ ...patched, apiVersion: ref.apiVersion, kind: ref.kind });
    } catch (e) {
      return this.fail(e, 'patch', ref);
    }
  }

  async remove(ref: ObjectRef, options: { dryRun: boolean }): Promise<Result<boolean, ClusterError>> {
    try {
      await this.send(HttpMethod.DELETE, await this.resourcePath(ref, true), {
        query: { propagationPolicy: 'Background', dryRun: options.dryRun ? 'All' : undefined },
      });
      return ok(true);
    } catch (e) {
      const error = this.clusterError(e, 'delete', ref);
      return error.kind === 'notFound' ? ok(false) : err(error);
    }
  }

  async watch(
    query: ListQuery & { resourceVersion: string },
    onEvent: (event: WatchEvent) => void,
    signal: AbortSignal,
  ): Promise<Result<void, ClusterError>> {
    const path = await this.collectionPath(query);
    if (!path.ok) return path;
    const collection: ObjectRef = { apiVersion: query.apiVersion, kind: query.kind, name: '', namespace: query.namespace };
    const params: Record<string, string | boolean> = { allowWatchBookmarks: true, resourceVersion: query.resourceVersion };
    if (query.labelSelector) params['labelSelector'] = query.labelSelector;
    if (query.fieldSelector) params['fieldSelector'] = query.fieldSelector;
    return untilStreamEnds(
      signal,
      (finish) =>
        new Watch(this.kc).watch(
          path.value,
          params,
          (type, object) => {
            if (type !== 'ERROR') return onEvent({ type: type as WatchEvent['type'], object: object as KubeObject });
            const status = object as { code?: number; message?: string };
            finish(
              err({
                kind: status.code === 410 ? 'notFound' : 'server',
                status: status.code ?? 500,
                context: this.context,
                message: `The watch of ${query.kind} ended: ${status.message ?? 'error'}`,
                hint: 'It is restarted from a fresh list.',
              }),
            );
          },
          (error: unknown) => {
            // An aborted watch, or client-node's inactivity timeout: the watch simply ended.
            const name = (error as { name?: string } | null)?.name;
            const ended = !error || signal.aborted || name === 'AbortError' || name === 'TimeoutError';
            finish(ended ? ok(undefined) : this.fail(error, 'watch', collection));
          },
        ),
      (error) => this.fail(error, 'watch', collection),
    );
  }

  async logs(
    query: LogQuery,
    onText: (text: string) => void | Promise<void>,
    signal: AbortSignal,
  ): Promise<Result<void, ClusterError>> {
    const ref: ObjectRef = { apiVersion: 'v1', kind: 'Pod', name: query.pod, namespace: query.namespace };
    return untilStreamEnds(
      signal,
      (finish) => {
        const decoder = new TextDecoder();
        // A Writable whose callback waits for the consumer: a slow consumer slows the stream down
        // (TCP back-pressure) instead of growing a buffer.
        const sink = new Writable({
          highWaterMark: 64 * 1024,
          write(chunk: Buffer, _encoding, callback) {
            const text = decoder.decode(chunk, { stream: true });
            Promise.resolve(text ? onText(text) : undefined).then(() => callback(), callback);
          },
          final(callback) {
            callback();
            finish(ok(undefined));
          },
        });
        sink.on('error', (e) => finish(this.fail(e, 'read the logs of', ref)));
        sink.on('close', () => finish(ok(undefined)));
        // client-node pipes the response into the sink without listening for the response's
        // errors: an aborted or cut stream would be an uncaught exception. Listen for it here.
        sink.on('pipe', (source: NodeJS.ReadableStream) => {
          source.on('error', (e: Error) => {
            sink.end();
            finish(signal.aborted || e.name === 'AbortError' ? ok(undefined) : this.fail(e, 'read the logs of', ref));
          });
        });
        return new Log(this.kc).log(query.namespace, query.pod, query.container, sink, {
          follow: query.follow,
          timestamps: query.timestamps,
          ...(query.sinceTime ? { sinceTime: query.sinceTime } : {}),
          ...(query.tailLines !== undefined ? { tailLines: query.tailLines } : {}),
          ...(query.previous ? { previous: true } : {}),
        });
      },
      (error) => (signal.aborted ? ok(undefined) : this.fail(error, 'read the logs of', ref)),
    );
  }

  async serviceProxy(request: ServiceProxyRequest): Promise<Result<ServiceProxyAnswer, ClusterError>> {
    const ref: ObjectRef = { apiVersion: 'v1', kind: 'Service', name: request.service, namespace: request.namespace };
    const target = `${encodeURIComponent(request.service)}:${encodeURIComponent(request.port)}`;
    const path = `/api/v1/namespaces/${encodeURIComponent(request.namespace)}/services/${target}/proxy${encodeURI(request.path)}`;
    try {
      const context = new RequestContext(`${this.server.replace(/\/+$/, '')}${path}`, HttpMethod.GET);
      await this.kc.applySecurityAuthentication(context);
      context.setSignal(callDeadline.getStore() ?? this.newDeadline());
      const response = await this.http.send(context).toPromise();
      return ok({ status: response.httpStatusCode, body: (await response.body.text()).slice(0, 2000) });
    } catch (e) {
      return this.fail(e, 'reach the service proxy of', ref);
    }
  }

  /** `/api/v1/namespaces/NS/pods` for a list query, through the same discovery client-node uses. */
  private async collectionPath(query: ListQuery): Promise<Result<string, ClusterError>> {
    const ref: ObjectRef = { apiVersion: query.apiVersion, kind: query.kind, name: '', namespace: query.namespace };
    try {
      return ok(await this.resourcePath(ref, false));
    } catch (e) {
      return this.fail(e, 'watch', ref);
    }
  }
}

/**
 * Runs one client-node stream (a watch or a log) until it ends, fails, or `signal` aborts, and
 * aborts the stream's request whichever comes first. `start` opens it and may call `finish`.
 */
function untilStreamEnds(
  signal: AbortSignal,
  start: (finish: (result: Result<void, ClusterError>) => void) => Promise<AbortController>,
  failedToStart: (error: unknown) => Result<void, ClusterError>,
): Promise<Result<void, ClusterError>> {
  if (signal.aborted) return Promise.resolve(ok(undefined));
  return new Promise((resolve) => {
    let controller: AbortController | undefined;
    let settled = false;
    const finish = (result: Result<void, ClusterError>): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      controller?.abort();
      resolve(result);
    };
    const onAbort = (): void => finish(ok(undefined));
    signal.addEventListener('abort', onAbort);
    start(finish).then(
      (c) => {
        controller = c;
        if (settled) c.abort();
      },
      (error: unknown) => finish(failedToStart(error)),
    );
  });
}

function refOf(object: KubeObject): ObjectRef {
  return {
    apiVersion: object.apiVersion ?? '',
    kind: object.kind ?? '',
    name: object.metadata?.name ?? '',
    namespace: object.metadata?.namespace,
  };
}
