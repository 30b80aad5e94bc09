/** Resource endpoints: get, list, watch, create, update, patch, apply, delete, status/scale/log/proxy subresources. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeJson, decodeObjectBody, decodeYaml } from './decode.ts';
import type { FaultInjector } from './faults.ts';
import { serveLog } from './logEndpoint.ts';
import { serveServiceProxy } from './proxyEndpoint.ts';
import { decodeProtobuf } from './protobuf.ts';
import { decodePatched, decodeTyped, fieldValidationOf } from './schema.ts';
import type { LogStore } from './logs.ts';
import { jsonMergePatch, jsonPatch, strategicMergePatch } from './patch.ts';
import type { Registry, WriteOptions } from './registry.ts';
import type { Representation, ResponseContext } from './respond.ts';
import { baseHeaders, sendObject, warn } from './respond.ts';
import { ApiError, badRequest, methodNotAllowed, notFound, unsupportedMediaType } from './status.ts';
import type { KubeObject, ResourceType } from './types.ts';
import { apiVersionOf } from './types.ts';
import { clone, matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from './util.ts';
import type { FieldRequirement, LabelRequirement } from './util.ts';
import { serveWatch } from './watch.ts';
import { authorize, checkEscalation, forbiddenRequest, type RbacUser } from './rbac.ts';

export interface ResourceRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  rt: ResourceType;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
  /** services/NAME/proxy/PATH: the proxied path (with its leading slash). */
  proxyPath?: string;
  watch: boolean;
  rep: Representation;
  userAgent: string;
  /** Who asks, when RBAC decides (absent for `system:masters`). */
  user?: RbacUser;
}

export interface RouteContext {
  registry: Registry;
  logs: LogStore;
  faults: FaultInjector;
  bookmarkIntervalMs: number;
  defaultWatchTimeoutSeconds: number;
}

export async function readBody(req: IncomingMessage): Promise<string> {
  return (await readBodyBytes(req)).toString('utf8');
}

/** An object body by its content type: JSON, YAML, or the protobuf kubectl's typed commands send. */
async function readObjectBody(req: IncomingMessage): Promise<KubeObject> {
  const contentType = String(req.headers['content-type'] ?? 'application/json');
  const bytes = await readBodyBytes(req);
  if (contentType.split(';')[0]!.trim() === 'application/vnd.kubernetes.protobuf') return decodeProtobuf(bytes);
  return decodeObjectBody(bytes.toString('utf8'), contentType);
}

async function readBodyBytes(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > 3 * 1024 * 1024)
      throw new ApiError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728', {});
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

/** RBAC's check of the object a non-admin writes (escalation through roles and bindings). */
function admission(ctx: RouteContext, r: ResourceRequest): Pick<WriteOptions, 'admit'> {
  const user = r.user;
  return user ? { admit: (rt, obj) => checkEscalation(ctx.registry.store, user, rt, obj) } : {};
}

function managerOf(r: ResourceRequest): string {
  const fm = r.query.get('fieldManager');
  if (fm) return fm;
  const ua = r.userAgent.split('/')[0]!.trim();
  return ua === '' ? 'unknown' : ua.slice(0, 128);
}

function dryRunOf(r: ResourceRequest): boolean {
  const values = r.query.getAll('dryRun');
  for (const v of values) {
    if (v !== 'All') {
      throw new ApiError(400, 'BadRequest', `Invalid dryRun value: dryRun: Unsupported value: "${v}": supported values: "All"`);
    }
  }
  return values.length > 0;
}

interface Selectors {
  labels: LabelRequirement[];
  fields: FieldRequirement[];
}

function selectorsOf(r: ResourceRequest): Selectors {
  try {
    return {
      labels: parseLabelSelector(r.query.get('labelSelector') ?? ''),
      fields: parseFieldSelector(r.query.get('fieldSelector') ?? ''),
    };
  } catch (err) {
    throw badRequest((err as Error).message);
  }
}

function selected(obj: KubeObject, s: Selectors): boolean {
  return matchesLabels(obj.metadata.labels, s.labels) && matchesFields(obj, s.fields);
}

function listItem(obj: KubeObject): KubeObject {
  const { kind: _k, apiVersion: _a, ...rest } = obj;
  return rest;
}

function encodeContinue(rv: number, start: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start })).toString('base64url');
}

function decodeContinue(token: string): { rv: number; start: string } {
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { v: string; rv: number; start: string };
    if (v.v !== 'meta.k8s.io/v1') throw new Error('bad version');
    return { rv: v.rv, start: v.start };
  } catch {
    throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
}

function list(ctx: RouteContext, r: ResourceRequest, res: ServerResponse, rc: ResponseContext): void {
  const sel = selectorsOf(r);
  const keyOf = (o: KubeObject): string =>
    r.namespace || !r.rt.namespaced ? o.metadata.name : `${o.metadata.namespace}/${o.metadata.name}`;
  let items = ctx.registry.store.list(r.rt, r.namespace).filter((o) => selected(o, sel));
  let rv = ctx.registry.store.currentRv();
  const cont = r.query.get('continue');
  if (cont) {
    const c = decodeContinue(cont);
    rv = c.rv;
    items = items.filter((o) => keyOf(o) >= c.start);
  }
  const limit = Number(r.query.get('limit') ?? '0');
  const metadata: KubeObject = { resourceVersion: String(rv) };
  if (limit > 0 && items.length > limit) {
    const last = items[limit - 1]!;
    metadata.continue = encodeContinue(rv, `${keyOf(last)}\u0000`);
    metadata.remainingItemCount = items.length - limit;
    items = items.slice(0, limit);
  }
  sendObject(
    res,
    rc,
    200,
    { kind: `${r.rt.kind}List`, apiVersion: apiVersionOf(r.rt), metadata, items: items.map(listItem) },
    r.rep,
  );
}

function scaleOf(_rt: ResourceType, obj: KubeObject): KubeObject {
  const ml = (obj.spec?.selector?.matchLabels ?? {}) as Record<string, string>;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: obj.metadata.name,
      namespace: obj.metadata.namespace,
      uid: obj.metadata.uid,
      resourceVersion: obj.metadata.resourceVersion,
      creationTimestamp: obj.metadata.creationTimestamp,
    },
    spec: { replicas: obj.spec?.replicas ?? 0 },
    status: {
      replicas: obj.status?.replicas ?? 0,
      selector: Object.entries(ml)
        .map(([k, v]) => `${k}=${v}`)
        .join(','),
    },
  };
}

function patchTypeOf(contentType: string): 'apply' | 'merge' | 'strategic' | 'json' | undefined {
  const ct = contentType.split(';')[0]!.trim();
  if (ct === 'application/apply-patch+yaml' || ct === 'application/apply-patch+json') return 'apply';
  if (ct === 'application/merge-patch+json') return 'merge';
  if (ct === 'application/strategic-merge-patch+json') return 'strategic';
  if (ct === 'application/json-patch+json') return 'json';
  return undefined;
}

async function patch(
  ctx: RouteContext,
  r: ResourceRequest,
  req: IncomingMessage,
  res: ServerResponse,
  rc: ResponseContext,
): Promise<void> {
  const type = patchTypeOf(String(req.headers['content-type'] ?? ''));
  if (!type) throw unsupportedMediaType();
  const name = r.name!;
  const force = r.query.get('force') === 'true';
  const fieldManager = r.query.get('fieldManager');
  if (type === 'apply' && !fieldManager) {
    throw new ApiError(
      422,
      'Invalid',
      'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
      {
        group: 'meta.k8s.io',
        kind: 'PatchOptions',
        causes: [{ reason: 'FieldValueRequired', message: 'Required value: is required for apply patch', field: 'fieldManager' }],
      },
    );
  }
  if (type !== 'apply' && r.query.has('force')) {
    throw new ApiError(
      422,
      'Invalid',
      'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch',
      {
        group: 'meta.k8s.io',
        kind: 'PatchOptions',
        causes: [
          { reason: 'FieldValueForbidden', message: 'Forbidden: may not be specified for non-apply patch', field: 'force' },
        ],
      },
    );
  }
  const dryRun = dryRunOf(r);
  const validation = fieldValidationOf(r.query);
  const body = await readBody(req);
  const injected = ctx.faults.conflictFor(r.method, r.path, type === 'apply', r.rt.plural, name);
  if (injected) throw injected;
  const manager = managerOf(r);
  const sub = r.subresource === 'status' ? 'status' : undefined;
  if (type === 'apply') {
    const config = decodeYaml(body);
    // An apply that creates the object needs `create` as well as `patch`.
    const creates = !ctx.registry.store.get(r.rt, r.namespace, name);
    const asCreate = { verb: 'create', group: r.rt.group, resource: r.rt.plural, namespace: r.namespace, name };
    if (r.user && creates && !authorize(ctx.registry.store, r.user, asCreate)) throw forbiddenRequest(r.user, asCreate);
    const out = ctx.registry.apply(r.rt, r.namespace, name, config, {
      ...admission(ctx, r),
      manager,
      force,
      dryRun,
      ...(sub ? { subresource: sub } : {}),
    });
    warn(rc, out.warnings ?? []);
    sendObject(res, rc, out.status, out.object, r.rep);
    return;
  }
  const live = ctx.registry.store.get(r.rt, r.namespace, name);
  if (!live) throw notFound(r.rt, name);
  const patchBody = decodeJson(body);
  let next: KubeObject;
  if (r.subresource === 'scale') {
    const scale = scaleOf(r.rt, live);
    const patched = (type === 'json' ? jsonPatch(scale, patchBody) : jsonMergePatch(scale, patchBody)) as KubeObject;
    next = clone(live);
    next.spec.replicas = patched.spec?.replicas;
  } else if (type === 'json') next = jsonPatch(live, patchBody);
  else if (type === 'merge') next = jsonMergePatch(live, patchBody) as KubeObject;
  else next = strategicMergePatch(live, patchBody, [], r.rt.kind) as KubeObject;
  if (!next.metadata) next.metadata = {};
  if (r.subresource !== 'scale') warn(rc, decodePatched(r.rt, next, validation));
  next.metadata.resourceVersion = (patchBody as KubeObject)?.metadata?.resourceVersion ?? live.metadata.resourceVersion;
  const out = ctx.registry.update(r.rt, r.namespace, name, next, {
    ...admission(ctx, r),
    manager,
    dryRun,
    ...(sub ? { subresource: sub } : {}),
  });
  sendObject(res, rc, out.status, r.subresource === 'scale' ? scaleOf(r.rt, out.object) : out.object, r.rep);
}

async function deleteOptions(
  req: IncomingMessage,
  r: ResourceRequest,
): Promise<{
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  preconditionUid?: string;
  /** DeleteOptions.dryRun in the body (kubectl sends it there), as well as the dryRun query parameter. */
  dryRun: boolean;
}> {
  const body = await readBody(req);
  const opts = body.trim() ? (decodeJson(body) as KubeObject) : {};
  const grace = r.query.get('gracePeriodSeconds') ?? opts.gracePeriodSeconds;
  const policy =
    r.query.get('propagationPolicy') ??
    opts.propagationPolicy ??
    (r.query.get('orphanDependents') === 'true' || opts.orphanDependents === true ? 'Orphan' : undefined);
  return {
    ...(grace !== undefined && grace !== null ? { gracePeriodSeconds: Number(grace) } : {}),
    ...(policy ? { propagationPolicy: policy as 'Orphan' | 'Background' | 'Foreground' } : {}),
    ...(opts.preconditions?.uid ? { preconditionUid: String(opts.preconditions.uid) } : {}),
    dryRun: dryRunOf(r) || (Array.isArray(opts.dryRun) && (opts.dryRun as unknown[]).includes('All')),
  };
}

/** Serves one resource request (authentication, authorization and faults were handled by the caller). */
export async function serveResource(
  ctx: RouteContext,
  r: ResourceRequest,
  req: IncomingMessage,
  res: ServerResponse,
  rc: ResponseContext,
): Promise<void> {
  const { registry } = ctx;
  const collection = r.name === undefined;
  if (r.subresource === 'log') {
    if (r.method !== 'GET') throw methodNotAllowed();
    serveLog(ctx, r, res, rc);
    return;
  }
  if (r.subresource === 'proxy') {
    if (r.method !== 'GET') throw methodNotAllowed();
    serveServiceProxy(ctx, r, res, rc);
    return;
  }
  switch (r.method) {
    case 'GET': {
      if (collection && r.watch) {
        const sel = selectorsOf(r);
        const ts = Number(r.query.get('timeoutSeconds') ?? ctx.defaultWatchTimeoutSeconds);
        rc.pf = true;
        baseHeaders(res, rc, 'application/json');
        res.statusCode = 200;
        res.flushHeaders();
        serveWatch(
          registry.store,
          ctx.faults,
          {
            rt: r.rt,
            namespace: r.namespace,
            path: r.path,
            resourceVersion: r.query.get('resourceVersion') ?? undefined,
            timeoutSeconds: ts > 0 ? ts : ctx.defaultWatchTimeoutSeconds,
            allowBookmarks: r.query.get('allowWatchBookmarks') === 'true',
            bookmarkIntervalMs: ctx.bookmarkIntervalMs,
            filter: (o) => (r.namespace === undefined || o.metadata.namespace === r.namespace) && selected(o, sel),
          },
          res,
        );
        return;
      }
      if (collection) {
        list(ctx, r, res, rc);
        return;
      }
      const obj = registry.store.get(r.rt, r.namespace, r.name!);
      if (!obj) throw notFound(r.rt, r.name!);
      sendObject(res, rc, 200, r.subresource === 'scale' ? scaleOf(r.rt, obj) : obj, r.rep);
      return;
    }
    case 'POST': {
      if (!collection) throw methodNotAllowed();
      const dryRun = dryRunOf(r);
      const body = await readObjectBody(req);
      warn(rc, decodeTyped(r.rt, body, fieldValidationOf(r.query)));
      const out = registry.create(r.rt, r.namespace, body, { ...admission(ctx, r), manager: managerOf(r), dryRun });
      warn(rc, out.warnings ?? []);
      sendObject(res, rc, out.status, out.object, r.rep);
      return;
    }
    case 'PUT': {
      if (collection) throw methodNotAllowed();
      const dryRun = dryRunOf(r);
      const body = await readObjectBody(req);
      if (r.subresource !== 'scale') warn(rc, decodeTyped(r.rt, body, fieldValidationOf(r.query)));
      const injected = ctx.faults.conflictFor(r.method, r.path, false, r.rt.plural, r.name!);
      if (injected) throw injected;
      let next = body;
      if (r.subresource === 'scale') {
        const live = registry.store.get(r.rt, r.namespace, r.name!);
        if (!live) throw notFound(r.rt, r.name!);
        next = { ...clone(live), spec: { ...live.spec, replicas: body.spec?.replicas } };
        next.metadata.resourceVersion = body.metadata?.resourceVersion ?? live.metadata.resourceVersion;
      }
      const sub = r.subresource === 'status' ? 'status' : undefined;
      const out = registry.update(r.rt, r.namespace, r.name!, next, {
        ...admission(ctx, r),
        manager: managerOf(r),
        dryRun,
        ...(sub ? { subresource: sub } : {}),
      });
      sendObject(res, rc, out.status, r.subresource === 'scale' ? scaleOf(r.rt, out.object) : out.object, r.rep);
      return;
    }
    case 'PATCH':
      if (collection) throw methodNotAllowed();
      await patch(ctx, r, req, res, rc);
      return;
    case 'DELETE': {
      const { dryRun, ...opts } = await deleteOptions(req, r);
      if (!collection) {
        const injected = ctx.faults.conflictFor(r.method, r.path, false, r.rt.plural, r.name!);
        if (injected) throw injected;
        const out = registry.delete(r.rt, r.namespace, r.name!, { ...opts, dryRun });
        sendObject(res, rc, out.status, out.object, r.rep);
        return;
      }
      if (!r.rt.verbs.includes('deletecollection')) throw methodNotAllowed();
      const sel = selectorsOf(r);
      const deleted: KubeObject[] = [];
      for (const o of registry.store.list(r.rt, r.namespace).filter((x) => selected(x, sel))) {
        const out = registry.delete(r.rt, o.metadata.namespace, o.metadata.name, { ...opts, dryRun });
        deleted.push(out.object.kind === 'Status' ? o : out.object);
      }
      sendObject(
        res,
        rc,
        200,
        {
          kind: `${r.rt.kind}List`,
          apiVersion: apiVersionOf(r.rt),
          metadata: { resourceVersion: String(registry.store.currentRv()) },
          items: deleted.map(listItem),
        },
        r.rep,
      );
      return;
    }
    default:
      throw methodNotAllowed();
  }
}
