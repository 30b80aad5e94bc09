/**
 * The Kubernetes API test server: an HTTP server on 127.0.0.1 that speaks the Kubernetes REST
 * protocol closely enough for @kubernetes/client-node and kubectl, with simulated controllers,
 * pod logs and fault injection. See README.md in this folder for the programmatic API.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { ControllerContext } from './controllers/context.ts';
import type { PodBehaviour } from './controllers/context.ts';
import { ControllerManager } from './controllers/manager.ts';
import { restartContainer } from './controllers/pods.ts';
import { FaultInjector } from './faults.ts';
import { handleRequest } from './http.ts';
import type { HttpContext, TokenUser } from './http.ts';
import { kubeconfigYaml } from './kubeconfig.ts';
import { createCertificateAuthority } from './tls.ts';
import type { KeyPairPem } from './tls.ts';
import type { KubeconfigOptions } from './kubeconfig.ts';
import { LogStore } from './logs.ts';
import type { LogGeneratorOptions } from './logs.ts';
import { Registry } from './registry.ts';
import { findByKind } from './resources.ts';
import { ObjectStore } from './store.ts';
import type { KubeObject, ResourceType } from './types.ts';

export type { PodBehaviour } from './controllers/context.ts';
export type { ErrorFault, LatencyFault, ConflictFault, StreamDrop, RequestMatch } from './faults.ts';
export type { KubeconfigOptions } from './kubeconfig.ts';
export type { LogGeneratorOptions } from './logs.ts';
export type { KubeObject } from './types.ts';

export interface K8sApiServerOptions {
  /** TCP port on 127.0.0.1 (default 0: a free port). */
  port?: number;
  /** Token of the admin user (default: random). */
  adminToken?: string;
  /** Token of a valid user who may do nothing but discovery: every resource request gets 403 (default: random). */
  forbiddenToken?: string;
  /** Serve requests without credentials as admin (default false: they are `system:anonymous` and get 403). */
  anonymousIsAdmin?: boolean;
  /** Delay from a pod's scheduling to Running and Ready (default 100 ms). */
  podReadyDelayMs?: number;
  /** Delay from a pod's deletion to its removal (default 50 ms). */
  podTerminationDelayMs?: number;
  /** Delay before a deleted namespace's contents are removed; the namespace stays Terminating meanwhile (default 300 ms). */
  namespaceFinalizeDelayMs?: number;
  /** How long Job pods run before they succeed (default 200 ms). */
  jobPodRunMs?: number;
  /** Create a PersistentVolume for a claim no existing volume matches (default true). */
  dynamicProvisioning?: boolean;
  /** Delay before the PV controller binds a new claim (default 30 ms). */
  pvBindDelayMs?: number;
  /** Watch events kept per resource type for replay; older resourceVersions get 410 Expired (default 1000). */
  watchHistoryLimit?: number;
  /** Interval of BOOKMARK events for watches with allowWatchBookmarks (default 1000 ms). */
  bookmarkIntervalMs?: number;
  /** Watch timeout when the client sends no timeoutSeconds (default 1800 s). */
  defaultWatchTimeoutSeconds?: number;
  /** Log lines kept per container (default 100000). */
  logBufferLines?: number;
  /** Name of the single simulated node (default `node-0`). */
  nodeName?: string;
  /**
   * Serve HTTPS with a CA made at start and authenticate client certificates (default true). With
   * false: plain HTTP, bearer tokens only.
   */
  tls?: boolean;
}

/** The TLS material of a server started with TLS: its CA and the admin's client certificate (PEM). */
export interface ServerTls {
  readonly caPem: string;
  /** CN=admin, O=system:masters: may do everything. */
  readonly admin: KeyPairPem;
  /** CN=dr-runbook-denied: a valid user who may do nothing but discovery. */
  readonly forbidden: KeyPairPem;
  /** Issues another client certificate signed by the server's CA. */
  issueClient(user: string, groups: readonly string[]): Promise<KeyPairPem>;
}

const SYSTEM_NAMESPACES = ['default', 'kube-node-lease', 'kube-public', 'kube-system'];

/** A running test server. Create it with startK8sApiServer(). */
export class K8sApiServer {
  readonly adminToken: string;
  readonly forbiddenToken: string;
  readonly faults = new FaultInjector();
  readonly store: ObjectStore;
  readonly registry: Registry;
  readonly logs: LogStore;
  private readonly controllers: ControllerManager;
  private readonly ctx: ControllerContext;
  private http: Server | undefined;
  private tlsMaterial: ServerTls | undefined;
  private readonly httpCtx: HttpContext;
  private readonly sockets = new Set<Socket>();
  private readonly behaviours: { pattern: string | RegExp; behaviour: PodBehaviour }[] = [];
  private port = 0;
  private requestsReceived = 0;
  private readonly latestRequests: string[] = [];

  constructor(private readonly options: K8sApiServerOptions = {}) {
    this.adminToken = options.adminToken ?? randomBytes(16).toString('hex');
    this.forbiddenToken = options.forbiddenToken ?? randomBytes(16).toString('hex');
    this.store = new ObjectStore({ historyLimit: options.watchHistoryLimit ?? 1000 });
    this.registry = new Registry(this.store);
    this.logs = new LogStore(options.logBufferLines ?? 100_000);
    this.ctx = new ControllerContext(this.registry, this.logs, {
      podReadyDelayMs: options.podReadyDelayMs ?? 100,
      podTerminationDelayMs: options.podTerminationDelayMs ?? 50,
      namespaceFinalizeDelayMs: options.namespaceFinalizeDelayMs ?? 300,
      jobPodRunMs: options.jobPodRunMs ?? 200,
      dynamicProvisioning: options.dynamicProvisioning ?? true,
      pvBindDelayMs: options.pvBindDelayMs ?? 30,
      nodeName: options.nodeName ?? 'node-0',
    });
    this.ctx.behaviourFor = (pod) => this.behaviourFor(pod);
    this.controllers = new ControllerManager(this.ctx);
    const tokens = new Map<string, TokenUser>([
      [this.adminToken, { name: 'admin', groups: ['system:masters', 'system:authenticated'], admin: true }],
      [this.forbiddenToken, { name: 'dr-runbook-denied', groups: ['system:authenticated'], admin: false }],
    ]);
    this.httpCtx = {
      registry: this.registry,
      logs: this.logs,
      faults: this.faults,
      tokens,
      anonymousUser: options.anonymousIsAdmin
        ? { name: 'system:anonymous', groups: ['system:unauthenticated'], admin: true }
        : undefined,
      serverAddress: () => `127.0.0.1:${this.port}`,
      bookmarkIntervalMs: options.bookmarkIntervalMs ?? 1000,
      defaultWatchTimeoutSeconds: options.defaultWatchTimeoutSeconds ?? 1800,
    };
  }

  private onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    this.requestsReceived++;
    this.latestRequests.push(`${req.method} ${req.url}`);
    if (this.latestRequests.length > 100) this.latestRequests.shift();
    void handleRequest(this.httpCtx, req, res);
  };

  private async listen(): Promise<Server> {
    let server: Server;
    if (this.options.tls === false) server = createServer(this.onRequest);
    else {
      const ca = await createCertificateAuthority();
      this.tlsMaterial = {
        caPem: ca.caPem,
        admin: await ca.issueClient('admin', ['system:masters']),
        forbidden: await ca.issueClient('dr-runbook-denied', []),
        issueClient: (user, groups) => ca.issueClient(user, groups),
      };
      // Client certificates are asked for, not required: a request without one is anonymous or uses a token.
      server = createHttpsServer({ ...ca.server, ca: [ca.caPem], requestCert: true, rejectUnauthorized: false }, this.onRequest);
    }
    server.keepAliveTimeout = 60_000;
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port ?? 0, '127.0.0.1', () => resolve());
    });
    return server;
  }

  /** Listens on 127.0.0.1 and starts the controllers and the system namespaces and node. */
  async start(): Promise<void> {
    this.controllers.start();
    for (const ns of SYSTEM_NAMESPACES) this.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    this.create({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: this.ctx.options.nodeName,
        labels: { 'kubernetes.io/hostname': this.ctx.options.nodeName, 'kubernetes.io/os': 'linux', type: 'kwok' },
      },
      status: {},
    });
    const node = this.get('v1', 'Node', undefined, this.ctx.options.nodeName)!;
    this.registry.controllerUpdate(this.ctx.rt('Node'), undefined, node.metadata.name, 'kubelet', 'status', (o) => {
      o.status = {
        capacity: { cpu: '32', memory: '256Gi', pods: '110' },
        allocatable: { cpu: '32', memory: '256Gi', pods: '110' },
        conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }],
        addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
        nodeInfo: { kubeletVersion: 'v1.26.0', architecture: 'amd64', operatingSystem: 'linux' },
      };
    });
    this.http = await this.listen();
    this.port = (this.http.address() as AddressInfo).port;
  }

  /** Stops listening, cuts every open connection and stops controllers and log generators. */
  async stop(): Promise<void> {
    this.controllers.stop();
    this.logs.stop();
    for (const s of this.sockets) s.destroy();
    const http = this.http;
    if (http) await new Promise<void>((resolve) => http.close(() => resolve()));
  }

  /** `https://127.0.0.1:<port>` (`http://` when started with `tls: false`). */
  get url(): string {
    return `${this.options.tls === false ? 'http' : 'https'}://127.0.0.1:${this.port}`;
  }

  /** The CA and client certificates of a TLS server (undefined with `tls: false`). */
  get tls(): ServerTls | undefined {
    return this.tlsMaterial;
  }

  /** How many HTTP requests the server has received since it started, answered or refused, on any path. */
  get requestCount(): number {
    return this.requestsReceived;
  }

  /** Method and path of the latest requests received (at most 100), oldest first. */
  recentRequests(): string[] {
    return [...this.latestRequests];
  }

  /**
   * A bearer token for the ServiceAccount NAMESPACE/NAME (as the TokenRequest API issues one for a
   * pod): user `system:serviceaccount:NAMESPACE:NAME` in the groups `system:serviceaccounts`,
   * `system:serviceaccounts:NAMESPACE` and `system:authenticated`, allowed what RBAC binds to it.
   * The account must exist.
   */
  serviceAccountToken(namespace: string, name: string): string {
    if (!this.get('v1', 'ServiceAccount', namespace, name))
      throw new Error(`serviceaccounts "${name}" not found in namespace ${namespace}`);
    const token = randomBytes(16).toString('hex');
    this.httpCtx.tokens.set(token, {
      name: `system:serviceaccount:${namespace}:${name}`,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
      admin: false,
    });
    return token;
  }

  /**
   * A kubeconfig (YAML) for this server, context `dr-runbook-test` by default: the CA and the admin's
   * client certificate over TLS, the admin token over plain HTTP; `token` uses that token instead.
   */
  kubeconfig(options: KubeconfigOptions = {}): string {
    const tls = this.tlsMaterial;
    if (!tls) return kubeconfigYaml(this.url, { token: this.adminToken, ...options });
    return kubeconfigYaml(this.url, {
      caPem: tls.caPem,
      ...(options.token ? {} : { client: tls.admin }),
      ...options,
    });
  }

  /** Writes kubeconfig() to a file and returns its path. */
  async writeKubeconfig(path: string, options: KubeconfigOptions = {}): Promise<string> {
    await writeFile(path, this.kubeconfig(options), { mode: 0o600 });
    return path;
  }

  private typeOf(apiVersion: string, kind: string): ResourceType {
    const rt = findByKind(apiVersion, kind);
    if (!rt) throw new Error(`the test server does not serve ${apiVersion} ${kind}`);
    return rt;
  }

  /** Creates an object directly (manager `dr-runbook-test-seed`); throws the ApiError an HTTP create would get. */
  create(obj: KubeObject): KubeObject {
    const rt = this.typeOf(String(obj.apiVersion), String(obj.kind));
    return this.registry.create(rt, obj.metadata?.namespace ?? (rt.namespaced ? 'default' : undefined), obj, {
      manager: 'dr-runbook-test-seed',
    }).object;
  }

  /** Server-side applies an object (default manager `dr-runbook-test-seed`, forced). */
  apply(obj: KubeObject, manager = 'dr-runbook-test-seed'): KubeObject {
    const rt = this.typeOf(String(obj.apiVersion), String(obj.kind));
    const ns = rt.namespaced ? (obj.metadata?.namespace ?? 'default') : undefined;
    return this.registry.apply(rt, ns, String(obj.metadata?.name), obj, { manager, force: true }).object;
  }

  get(apiVersion: string, kind: string, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.store.get(this.typeOf(apiVersion, kind), namespace, name);
  }

  list(apiVersion: string, kind: string, namespace?: string): KubeObject[] {
    return this.store.list(this.typeOf(apiVersion, kind), namespace);
  }

  /** Deletes like an HTTP DELETE (namespaces terminate, pods shut down gracefully). */
  delete(apiVersion: string, kind: string, namespace: string | undefined, name: string): void {
    this.registry.delete(this.typeOf(apiVersion, kind), namespace, name, {});
  }

  /** Resolves when `predicate` holds for the object (polled every 10 ms), or rejects after `timeoutMs`. */
  async waitFor(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
    predicate: (o: KubeObject | undefined) => boolean,
    timeoutMs = 10_000,
  ): Promise<KubeObject | undefined> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const o = this.get(apiVersion, kind, namespace, name);
      if (predicate(o)) return o;
      if (Date.now() > end) throw new Error(`timed out waiting for ${kind} ${namespace ?? ''}/${name}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /**
   * Installs a mutating admission webhook for objects of `kind`: `mutate` changes each one written
   * (created, applied, updated), after defaulting and before validation, as a cluster's webhooks do.
   */
  addMutatingWebhook(kind: string, mutate: (object: KubeObject) => void): void {
    this.registry.webhooks.push({ kind, mutate });
  }

  /** Pods whose containers use an image matching `pattern` (substring or RegExp) behave as told. */
  setImageBehaviour(pattern: string | RegExp, behaviour: PodBehaviour): void {
    this.behaviours.unshift({ pattern, behaviour });
  }

  private behaviourFor(pod: KubeObject): PodBehaviour {
    const images = ((pod.spec?.containers ?? []) as KubeObject[]).map((c) => String(c.image));
    for (const b of this.behaviours) {
      if (images.some((i) => (b.pattern instanceof RegExp ? b.pattern.test(i) : i.includes(b.pattern)))) return b.behaviour;
    }
    return {};
  }

  /** Appends lines to a container's log (container defaults to the pod's first container). */
  emitLogs(namespace: string, pod: string, container: string | undefined, lines: readonly string[]): void {
    this.logs.emit(namespace, pod, container ?? this.firstContainer(namespace, pod), lines);
  }

  /** Emits generated lines at `linesPerSecond` until the returned function is called. */
  startLogGenerator(
    namespace: string,
    pod: string,
    container: string | undefined,
    options: LogGeneratorOptions = {},
  ): () => void {
    return this.logs.startGenerator(namespace, pod, container ?? this.firstContainer(namespace, pod), options);
  }

  /**
   * The kubelet drops the log connections of a pod's followers: each follow response ends as a
   * complete response (as the apiserver ends it), while the container keeps running and logging.
   */
  kubeletDropsLogStreams(namespace: string, pod: string): void {
    this.logs.dropFollowers(namespace, pod);
  }

  /** Restarts a container: its log so far becomes `previous`, restartCount increases. */
  restartContainer(namespace: string, pod: string, container?: string, exitCode = 1): void {
    const p = this.get('v1', 'Pod', namespace, pod);
    if (!p) throw new Error(`no pod ${namespace}/${pod}`);
    restartContainer(this.ctx, p, container ?? this.firstContainer(namespace, pod), exitCode);
  }

  private firstContainer(namespace: string, pod: string): string {
    const p = this.get('v1', 'Pod', namespace, pod);
    const c = (p?.spec?.containers?.[0]?.name ?? undefined) as string | undefined;
    if (!c) throw new Error(`no pod ${namespace}/${pod}`);
    return c;
  }

  /** Current resourceVersion of the store. */
  resourceVersion(): number {
    return this.store.currentRv();
  }
}

/** Creates and starts a test server. */
export async function startK8sApiServer(options: K8sApiServerOptions = {}): Promise<K8sApiServer> {
  const server = new K8sApiServer(options);
  await server.start();
  return server;
}
