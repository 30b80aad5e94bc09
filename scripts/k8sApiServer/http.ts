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

/** A user a bearer token stands for. `admin` users may do everything; others only discovery. */
export interface TokenUser {
  name: string;
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

function forbiddenFor(user: string, method: string, path: string, r: Parsed['resource']): ApiError {
  if (!r) {
    return new ApiError(
      403,
      'Forbidden',
      `forbidden: User ${JSON.stringify(user)} cannot ${method.toLowerCase()} path ${JSON.stringify(path)}`,
      {},
      { headers: NOSNIFF },
    );
  }
  const verb = verbOf(method, r);
  const res = r.subresource ? `${r.rt.plural}/${r.subresource}` : r.rt.plural;
  const scope = r.namespace ? `in the namespace ${JSON.stringify(r.namespace)}` : 'at the cluster scope';
  const who = r.name
    ? `${r.rt.group === '' ? r.rt.plural : `${r.rt.plural}.${r.rt.group}`} ${JSON.stringify(r.name)} is forbidden`
    : `${r.rt.group === '' ? r.rt.plural : `${r.rt.plural}.${r.rt.group}`} is forbidden`;
  const details: Record<string, string> = {};
  if (r.name) details.name = r.name;
  if (r.rt.group !== '') details.group = r.rt.group;
  details.kind = r.rt.plural;
  return new ApiError(
    403,
    'Forbidden',
    `${who}: User ${JSON.stringify(user)} cannot ${verb} resource ${JSON.stringify(res)} in API group ${JSON.stringify(r.rt.group)} ${scope}`,
    details,
    { headers: NOSNIFF },
  );
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
    if (user) return { name: user.name, admin: user.groups.includes('system:masters') };
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
    const user = who === 'anonymous' ? { name: 'system:anonymous', admin: false } : who;
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
      if (who === 'anonymous' && !ctx.anonymousUser) throw forbiddenFor(user.name, method, path, undefined);
      const doc = path === '/openapi/v3' ? openApiV3Index() : openApiV3Doc(path.slice('/openapi/v3/'.length));
      if (!doc) throw pageNotFound();
      sendObject(res, rc, 200, doc);
      return;
    }
    if (!isApi) throw pageNotFound();
    const parsed = parsePath(path, queryWatch);
    if (who === 'anonymous' && !ctx.anonymousUser) throw forbiddenFor(user.name, method, path, parsed.resource);
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
    if (!user.admin) throw forbiddenFor(user.name, method, path, parsed.resource);
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
