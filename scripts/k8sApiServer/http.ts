/** The HTTP front: audit ids, fault hooks, authentication and authorization, discovery, and routing to resources. */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { FaultInjector } from './faults.ts';
import {
  apiGroupListDoc,
  apiResourceListDoc,
  apiVersionsDoc,
  findResourceType,
  isServedGroup,
  isServedGroupVersion,
  versionInfo,
} from './resources.ts';
import type { ResponseContext } from './respond.ts';
import { baseHeaders, negotiate, sendError, sendObject, toApiError, writeBody } from './respond.ts';
import type { ResourceRequest, RouteContext } from './routes.ts';
import { serveResource } from './routes.ts';
import { ApiError, methodNotAllowed, notAcceptable, pageNotFound, resourceNotFound, unauthorized } from './status.ts';
import { openApiV3Doc, openApiV3Index } from './openapi.ts';
import { certificateUser } from './tls.ts';
import { authorize, forbiddenRequest, type Attributes, type RbacUser } from './rbac.ts';

/**
 * A user a bearer token or a client certificate stands for. `admin` users (`system:masters`) may
 * do everything; others what RBAC grants them (rbac.ts), and discovery.
 */
export interface TokenUser extends RbacUser {
  admin: boolean;
}

export interface HttpContext extends RouteContext {
  faults: FaultInjector;
  tokens: Map<string, TokenUser>;
  /** Requests without credentials act as this user (undefined: `system:anonymous`, who may do nothing). */
  anonymousUser: TokenUser | undefined;
  serverAddress: () => string;
}

const NOSNIFF = { 'X-Content-Type-Options': 'nosniff' };
const PUBLIC_PATHS = new Set(['/version', '/healthz', '/livez', '/readyz']);

interface Parsed {
  groupVersion?: { group: string; version: string };
  resource?: Omit<ResourceRequest, 'method' | 'query' | 'rep' | 'userAgent' | 'path'>;
}

/** Splits an /api or /apis path; throws the apiserver's 404s for unknown groups and resources. */
function parsePath(path: string, queryWatch: boolean): Parsed {
  const seg = path.split('/').filter(Boolean);
  let group: string;
  let version: string;
  let rest: string[];
  if (seg[0] === 'api') {
    if (seg.length === 1) return {};
    group = '';
    version = seg[1]!;
    rest = seg.slice(2);
  } else {
    if (seg.length === 1) return {};
    group = seg[1]!;
    if (seg.length === 2) {
      if (!isServedGroup(group)) throw pageNotFound();
      return { groupVersion: { group, version: '' } };
    }
    version = seg[2]!;
    rest = seg.slice(3);
  }
  if (!isServedGroupVersion(group, version)) throw isServedGroup(group) ? resourceNotFound() : pageNotFound();
  if (rest.length === 0) return { groupVersion: { group, version } };
  let watch = queryWatch;
  if (rest[0] === 'watch') {
    watch = true;
    rest = rest.slice(1);
  }
  let namespace: string | undefined;
  let plural: string;
  let name: string | undefined;
  let subresource: string | undefined;
  let extra: string[];
  const nsRt = rest[0] === 'namespaces' && rest.length >= 3 ? findResourceType(group, version, rest[2]!) : undefined;
  if (nsRt?.namespaced) {
    namespace = rest[1];
    [plural, name, subresource, ...extra] = rest.slice(2) as [string, string?, string?, ...string[]];
  } else {
    [plural, name, subresource, ...extra] = rest as [string, string?, string?, ...string[]];
  }
  const rt = findResourceType(group, version, plural);
  // services/NAME/proxy/PATH: the rest of the path is the proxied one.
  if (!rt || (extra.length > 0 && subresource !== 'proxy')) throw resourceNotFound();
  if (subresource !== undefined && !rt.subresources.includes(subresource)) throw resourceNotFound();
  if (rt.namespaced && namespace === undefined && name !== undefined) throw resourceNotFound();
  const proxyPath = subresource === 'proxy' ? `/${extra.join('/')}` : undefined;
  return { resource: { rt, namespace, name, subresource, watch, ...(proxyPath ? { proxyPath } : {}) } };
}

function verbOf(method: string, r: NonNullable<Parsed['resource']>): string {
  const coll = r.name === undefined;
  switch (method) {
    case 'GET':
      return coll ? (r.watch ? 'watch' : 'list') : 'get';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return coll ? 'deletecollection' : 'delete';
    default:
      return method.toLowerCase();
  }
}

function forbiddenFor(user: RbacUser, method: string, path: string, r: Parsed['resource'], query: URLSearchParams): ApiError {
  if (!r) {
    return new ApiError(
      403,
      'Forbidden',
      `forbidden: User ${JSON.stringify(user.name)} cannot ${method.toLowerCase()} path ${JSON.stringify(path)}`,
      {},
      { headers: NOSNIFF },
    );
  }
  return forbiddenRequest(user, attributesOf(method, r, query));
}

/**
 * What RBAC is asked: the verb, the resource and its subresource, the namespace and the name (a
 * list or watch with `fieldSelector=metadata.name=X` names X, as the apiserver's RequestInfo does).
 */
function attributesOf(method: string, r: NonNullable<Parsed['resource']>, query: URLSearchParams): Attributes {
  const verb = verbOf(method, r);
  const byField = /(?:^|,)metadata\.name==?([^,]+)(?:,|$)/.exec(query.get('fieldSelector') ?? '')?.[1];
  const name = r.name ?? (verb === 'list' || verb === 'watch' ? byField : undefined);
  return { verb, group: r.rt.group, resource: r.rt.plural, subresource: r.subresource, namespace: r.namespace, name };
}

/**
 * Who sends a request: a client certificate signed by the server's CA (CN is the user, O the groups;
 * `system:masters` may do everything), else a bearer token. A certificate the CA did not sign or an
 * unknown token is 401; no credentials at all is `system:anonymous`.
 */
function authenticate(ctx: HttpContext, req: IncomingMessage): TokenUser | undefined | 'anonymous' {
  const socket = req.socket as Partial<TLSSocket>;
  const peer = socket.getPeerCertificate?.();
  const presented = peer !== undefined && Object.keys(peer).length > 0;
  if (presented && socket.authorized) {
    const user = certificateUser(peer);
    if (user)
      return { name: user.name, groups: [...user.groups, 'system:authenticated'], admin: user.groups.includes('system:masters') };
  }
  const auth = req.headers.authorization;
  if (auth) {
    const m = auth.match(/^Bearer\s+(.+)$/i);
    return m ? ctx.tokens.get(m[1]!.trim()) : undefined;
  }
  if (presented) return undefined;
  return ctx.anonymousUser ?? 'anonymous';
}

/** Handles one HTTP request. */
export async function handleRequest(ctx: HttpContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const rc: ResponseContext = { auditId: randomUUID(), pf: true };
  try {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    const method = (req.method ?? 'GET').toUpperCase();
    const queryWatch = ['1', 'true'].includes(url.searchParams.get('watch') ?? '');
    const delay = ctx.faults.latencyFor(method, path, queryWatch);
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    const who = authenticate(ctx, req);
    if (who === undefined) {
      rc.pf = false;
      throw unauthorized();
    }
    const injected = ctx.faults.errorFor(method, path, queryWatch);
    if (injected) throw injected;
    const user: TokenUser =
      who === 'anonymous' ? { name: 'system:anonymous', groups: ['system:unauthenticated'], admin: false } : who;
    if (PUBLIC_PATHS.has(path)) {
      if (path === '/version') sendObject(res, rc, 200, versionInfo());
      else {
        baseHeaders(res, rc, 'text/plain; charset=utf-8');
        res.setHeader('X-Content-Type-Options', 'nosniff');
        writeBody(res, 200, 'ok');
      }
      return;
    }
    const isApi = path === '/api' || path.startsWith('/api/') || path === '/apis' || path.startsWith('/apis/');
    if (path.startsWith('/openapi/v3')) {
      if (who === 'anonymous' && !ctx.anonymousUser) throw forbiddenFor(user, method, path, undefined, url.searchParams);
      const doc = path === '/openapi/v3' ? openApiV3Index() : openApiV3Doc(path.slice('/openapi/v3/'.length));
      if (!doc) throw pageNotFound();
      sendObject(res, rc, 200, doc);
      return;
    }
    if (!isApi) throw pageNotFound();
    const parsed = parsePath(path, queryWatch);
    if (who === 'anonymous' && !ctx.anonymousUser) throw forbiddenFor(user, method, path, parsed.resource, url.searchParams);
    if (!parsed.resource) {
      if (method !== 'GET') throw methodNotAllowed();
      const rep = negotiate(req.headers.accept);
      if (!rep) throw notAcceptable();
      if (path === '/api') sendObject(res, rc, 200, apiVersionsDoc(ctx.serverAddress()), rep);
      else if (path === '/apis') sendObject(res, rc, 200, apiGroupListDoc(), rep);
      else if (parsed.groupVersion && parsed.groupVersion.version === '') {
        const g = apiGroupListDoc().groups.find((x: { name: string }) => x.name === parsed.groupVersion!.group);
        sendObject(res, rc, 200, { kind: 'APIGroup', apiVersion: 'v1', ...g }, rep);
      } else sendObject(res, rc, 200, apiResourceListDoc(parsed.groupVersion!.group, parsed.groupVersion!.version), rep);
      return;
    }
    if (!user.admin && !authorize(ctx.registry.store, user, attributesOf(method, parsed.resource, url.searchParams)))
      throw forbiddenFor(user, method, path, parsed.resource, url.searchParams);
    if (parsed.resource.rt.warning) rc.warnings = [parsed.resource.rt.warning];
    const rep = ['log', 'proxy'].includes(parsed.resource.subresource ?? '') ? 'json' : negotiate(req.headers.accept);
    if (!rep) throw notAcceptable();
    await serveResource(
      ctx,
      {
        ...parsed.resource,
        method,
        path,
        query: url.searchParams,
        rep,
        userAgent: String(req.headers['user-agent'] ?? ''),
        ...(user.admin ? {} : { user }),
      },
      req,
      res,
      rc,
    );
  } catch (err) {
    const e = toApiError(err);
    if (e.code === 401) rc.pf = false;
    sendError(res, rc, e);
  }
}
