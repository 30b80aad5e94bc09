/** Writing responses the way the apiserver (Go net/http) frames them: headers, Content-Length vs chunked, JSON or YAML. */
import type { ServerResponse } from 'node:http';
import { stringify } from 'yaml';
import { ApiError } from './status.ts';
import type { KubeObject } from './types.ts';

export type Representation = 'json' | 'yaml';

/** Go flushes without Content-Length once a handler writes more than this many bytes. */
const CHUNK_THRESHOLD = 2048;

export const FLOWSCHEMA_UID = 'd0350b33-c706-420a-a1bb-fa0b713c1c37';
export const PRIORITYLEVEL_UID = '97e8469b-a0d6-456a-9b6e-18249decc879';

export interface ResponseContext {
  auditId: string;
  /** API Priority and Fairness headers (authenticated, non-long-running requests). */
  pf: boolean;
  /** `Warning: 299 - "..."` headers (unknown fields, deprecated versions, admission). */
  warnings?: string[];
}

export function warn(ctx: ResponseContext, warnings: readonly string[]): void {
  if (warnings.length > 0) ctx.warnings = [...(ctx.warnings ?? []), ...warnings];
}

export function baseHeaders(res: ServerResponse, ctx: ResponseContext, contentType: string): void {
  res.setHeader('Audit-Id', ctx.auditId);
  res.setHeader('Cache-Control', 'no-cache, private');
  res.setHeader('Content-Type', contentType);
  if (ctx.pf) {
    res.setHeader('X-Kubernetes-Pf-Flowschema-Uid', FLOWSCHEMA_UID);
    res.setHeader('X-Kubernetes-Pf-Prioritylevel-Uid', PRIORITYLEVEL_UID);
  }
  if (ctx.warnings && ctx.warnings.length > 0)
    res.setHeader(
      'Warning',
      ctx.warnings.map((w) => `299 - ${JSON.stringify(w)}`),
    );
}

/** Writes a complete body: Content-Length when small, chunked otherwise. */
export function writeBody(res: ServerResponse, status: number, body: string): void {
  res.statusCode = status;
  const buf = Buffer.from(body);
  if (buf.length <= CHUNK_THRESHOLD) {
    res.setHeader('Content-Length', String(buf.length));
    res.end(buf);
  } else {
    res.write(buf);
    res.end();
  }
}

export function sendObject(
  res: ServerResponse,
  ctx: ResponseContext,
  status: number,
  obj: KubeObject,
  rep: Representation = 'json',
): void {
  if (rep === 'yaml') {
    baseHeaders(res, ctx, 'application/yaml');
    writeBody(res, status, stringify(obj, { version: '1.1', sortMapEntries: true, lineWidth: 0, indentSeq: false }));
    return;
  }
  baseHeaders(res, ctx, 'application/json');
  writeBody(res, status, JSON.stringify(obj));
}

export function sendError(res: ServerResponse, ctx: ResponseContext, err: ApiError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  for (const [k, v] of Object.entries(err.headers)) res.setHeader(k, v);
  if (err.plainText) {
    baseHeaders(res, ctx, 'text/plain; charset=utf-8');
    writeBody(res, err.code, err.message);
    return;
  }
  sendObject(res, ctx, err.code, err.toStatus());
}

/**
 * Content negotiation: JSON (also for `*\/*` and protobuf-first lists that include JSON), YAML, or
 * undefined for 406. Aggregated-discovery and Table media types are not offered (as on 1.26 for
 * discovery), so their entries are skipped and the fallback entry wins.
 */
export function negotiate(accept: string | undefined): Representation | undefined {
  if (!accept || accept.trim() === '') return 'json';
  for (const range of accept.split(',')) {
    const [type, ...params] = range.split(';').map((s) => s.trim());
    if (params.some((p) => p.startsWith('as='))) continue;
    if (type === 'application/json' || type === '*/*' || type === 'application/*') return 'json';
    if (type === 'application/yaml') return 'yaml';
  }
  return undefined;
}

export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ApiError(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });
}
