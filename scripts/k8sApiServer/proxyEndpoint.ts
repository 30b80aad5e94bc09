/**
 * GET services/<[scheme:]name[:port]>/proxy/<path>: a simulation of the API server's service proxy.
 * There is no application behind the test server's pods, so the answer is the one a healthy
 * application gives when the Service has a ready endpoint on that port (200, a small JSON body that
 * says it is this simulation), and the API server's own 503 when it has none, as a real API server
 * answers for a Service without ready endpoints.
 */
import type { ServerResponse } from 'node:http';
import type { ResponseContext } from './respond.ts';
import { baseHeaders, writeBody } from './respond.ts';
import type { ResourceRequest, RouteContext } from './routes.ts';
import { ApiError, notFound } from './status.ts';
import type { KubeObject } from './types.ts';
import { findByKind } from './resources.ts';

function isReady(pod: KubeObject): boolean {
  return (
    !pod.metadata?.deletionTimestamp &&
    ((pod.status?.conditions ?? []) as KubeObject[]).some((c) => c.type === 'Ready' && c.status === 'True')
  );
}

/** Serves one service proxy request. */
export function serveServiceProxy(ctx: RouteContext, r: ResourceRequest, res: ServerResponse, rc: ResponseContext): void {
  if (r.rt.kind !== 'Service') throw notFound(r.rt, r.name ?? '');
  const parts = decodeURIComponent(r.name ?? '').split(':');
  const [name, port] = parts.length === 3 ? [parts[1]!, parts[2]] : [parts[0]!, parts[1]];
  const service = ctx.registry.store.get(r.rt, r.namespace, name);
  if (!service) throw notFound(r.rt, name);
  const ports = (service.spec?.ports ?? []) as KubeObject[];
  const servicePort = port ? ports.find((p) => p.name === port || String(p.port) === port) : ports[0];
  const selector = (service.spec?.selector ?? {}) as Record<string, string>;
  const podType = findByKind('v1', 'Pod')!;
  const endpoints = ctx.registry.store
    .list(podType, r.namespace)
    .filter((p) => Object.entries(selector).every(([k, v]) => p.metadata?.labels?.[k] === v) && isReady(p));
  if (!servicePort || Object.keys(selector).length === 0 || endpoints.length === 0)
    throw new ApiError(503, 'ServiceUnavailable', `no endpoints available for service "${r.name ?? ''}"`);
  rc.pf = false;
  baseHeaders(res, rc, 'application/json');
  writeBody(
    res,
    200,
    JSON.stringify({
      status: 'ok',
      path: r.proxyPath ?? '/',
      answeredBy: `the Kubernetes API test server's simulated service proxy (${endpoints.length} ready endpoint(s))`,
    }),
  );
}
