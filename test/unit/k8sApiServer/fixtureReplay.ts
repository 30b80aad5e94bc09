/* eslint-disable @typescript-eslint/no-explicit-any -- objects of every Kubernetes kind are handled as untyped JSON here, as the apiserver handles them */
/** Loading the recorded kube-apiserver exchanges and replaying them against the test server, with shape normalization. */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import type { K8sApiServer } from '../../../scripts/k8sApiServer/server.ts';

export type Json = any;

export interface Fixture {
  file: string;
  title: string;
  request: {
    method: string;
    path: string;
    query: Record<string, string>;
    headers: { 'content-type': string | null; accept: string | null };
    body: Json;
    url: string;
  };
  response: {
    status: number;
    headers: Record<string, string | null>;
    headers_all: [string, string][];
    body: Json;
    stream_ended_by?: string;
  };
  notes?: string;
}

/** Where the fixtures are: $K8S_API_FIXTURES, else ../shared/k8s-api-fixtures beside the repository. */
export function fixturesDir(): string {
  const env = process.env.K8S_API_FIXTURES;
  if (env) return env;
  return resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../../shared/k8s-api-fixtures');
}

export function fixturesAvailable(batch = ''): boolean {
  return existsSync(resolve(fixturesDir(), batch, 'README.md'));
}

/** The fixtures of a batch: the first batch by default, or a sub-folder such as `real-1.26.5`. */
export function loadFixtures(batch = ''): Map<string, Fixture> {
  const dir = resolve(fixturesDir(), batch);
  const out = new Map<string, Fixture>();
  for (const f of readdirSync(dir)
    .filter((n) => n.endsWith('.json'))
    .sort()) {
    out.set(f.slice(0, 3), { file: f, ...(JSON.parse(readFileSync(resolve(dir, f), 'utf8')) as Omit<Fixture, 'file'>) });
  }
  return out;
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  body: Json;
  /** Body pieces in arrival order (for streams). */
  pieces: string[];
  endedCleanly: boolean;
}

export interface SendOptions {
  baseUrl: string;
  method: string;
  /** Path plus query. */
  path: string;
  accept?: string | null;
  contentType?: string | null;
  body?: string | Buffer;
  /** Bearer token; null sends no Authorization header. */
  token: string | null;
  /** For https: the CA to trust and, optionally, a client certificate and key (PEM). */
  tls?: { ca: string; cert?: string; key?: string };
  userAgent?: string;
  /** Abort after this many ms (streams). */
  timeoutMs?: number;
  onPiece?: (piece: string) => void;
}

/** Sends one request with node:http (so framing headers are visible) and collects the reply. */
export function send(o: SendOptions): Promise<Reply> {
  return new Promise((resolvePromise, reject) => {
    const url = new URL(o.path, o.baseUrl);
    const headers: Record<string, string> = {};
    if (o.accept) headers.accept = o.accept;
    if (o.contentType) headers['content-type'] = o.contentType;
    if (o.token !== null) headers.authorization = `Bearer ${o.token}`;
    headers['user-agent'] = o.userAgent ?? 'curl/7.88.1';
    const options = { method: o.method, headers, ...(url.protocol === 'https:' ? { ...o.tls, agent: false as const } : {}) };
    const req = (url.protocol === 'https:' ? httpsRequest : request)(url, options, (res) => {
      const pieces: string[] = [];
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        pieces.push(d);
        o.onPiece?.(d);
      });
      const finish = (clean: boolean): void => {
        const text = pieces.join('');
        let body: Json = text;
        if (String(res.headers['content-type'] ?? '').startsWith('application/json') && !text.includes('\n{')) {
          try {
            body = JSON.parse(text);
          } catch {
            body = text;
          }
        }
        resolvePromise({ status: res.statusCode ?? 0, headers: res.headers, text, body, pieces, endedCleanly: clean });
      };
      res.on('end', () => finish(true));
      res.on('aborted', () => finish(false));
      res.on('error', () => finish(false));
    });
    req.on('error', reject);
    if (o.timeoutMs) req.setTimeout(o.timeoutMs, () => req.destroy());
    if (o.body !== undefined) req.write(o.body);
    req.end();
  });
}

export type Target = Pick<SendOptions, 'baseUrl' | 'token' | 'tls'>;

/**
 * Where and as whom to send a request to `server`: over TLS the admin's client certificate, as the
 * recordings were made; with `token`, that bearer token (or none for null) and no certificate.
 */
export function targetOf(server: K8sApiServer, token?: string | null): Target {
  const tls = server.tls;
  if (token !== undefined) return { baseUrl: server.url, token, ...(tls ? { tls: { ca: tls.caPem } } : {}) };
  if (!tls) return { baseUrl: server.url, token: server.adminToken };
  return { baseUrl: server.url, token: null, tls: { ca: tls.caPem, ...tls.admin } };
}

/** The request of a fixture as SendOptions (body re-serialized when it is JSON). */
export function fixtureRequest(fx: Fixture, target: Target, replace: (s: string) => string = (s) => s): SendOptions {
  const u = new URL(fx.request.url);
  const raw = fx.request.body;
  // Binary bodies (kubectl's protobuf) are stored as base64; JSON bodies are re-serialized.
  const binary = raw !== null && typeof raw === 'object' && typeof raw.base64 === 'string';
  const text = raw === null || binary ? undefined : typeof raw === 'string' ? raw : JSON.stringify(raw);
  const body = binary ? Buffer.from(String(raw.base64), 'base64') : text === undefined ? undefined : replace(text);
  return {
    ...target,
    method: fx.request.method,
    path: replace(u.pathname + u.search),
    accept: fx.request.headers.accept,
    contentType: fx.request.headers['content-type'],
    ...(body !== undefined ? { body } : {}),
  };
}

const VOLATILE = new Set([
  'uid',
  'resourceVersion',
  'creationTimestamp',
  'deletionTimestamp',
  'time',
  'lastTransitionTime',
  'lastUpdateTime',
  'startTime',
  'startedAt',
  'finishedAt',
  'eventTime',
  'firstTimestamp',
  'lastTimestamp',
  'clusterIP',
  'podIP',
  'hostIP',
  'continue',
  'ip',
  'serverAddress',
  'completionTime',
  'lastProbeTime',
]);
const VOLATILE_LISTS = new Set(['clusterIPs', 'podIPs']);
const CONTROLLER_MANAGERS = new Set([
  'kube-controller-manager',
  'kube-scheduler',
  'kubelet',
  'kwok',
  'persistentvolume-controller',
  'realk8s-nodesim',
]);

export function normalizeString(s: string): string {
  return s
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>')
    .replace(/kube-api-access-[a-z0-9]{5}/g, 'kube-api-access-<rand>')
    .replace(/-[bcdfghjklmnpqrstvwxz2456789]{8,10}-[bcdfghjklmnpqrstvwxz2456789]{5}\b/g, '-<hash>-<rand>')
    .replace(/-[bcdfghjklmnpqrstvwxz2456789]{8,10}\b/g, '-<hash>');
}

/** Replaces values that legitimately differ between servers (ids, times, IPs, hashes) and drops controllers' managedFields. */
export function normalize(v: Json, key = ''): Json {
  if (Array.isArray(v)) {
    if (VOLATILE_LISTS.has(key)) return '<set>';
    let items = v;
    if (key === 'managedFields') {
      // Entries are ordered by time (seconds), which ties differently on a fast test server: compare them as a set.
      const rank = (e: Json): string => `${e.operation}/${e.manager}/${e.subresource ?? ''}`;
      items = v
        .filter((e: Json) => !CONTROLLER_MANAGERS.has(e?.manager))
        .sort((a: Json, b: Json) => (rank(a) < rank(b) ? -1 : 1));
    }
    // The order of status conditions follows the order of their last transitions, a timing artifact: compare by type.
    if (key === 'conditions') items = [...v].sort((a: Json, b: Json) => (String(a?.type) < String(b?.type) ? -1 : 1));
    return items.map((x) => normalize(x, key === 'managedFields' ? 'managedFieldsEntry' : ''));
  }
  if (v !== null && typeof v === 'object') {
    const out: Json = {};
    for (const [k, val] of Object.entries(v)) {
      if (VOLATILE.has(k) && val !== null && val !== undefined) out[k] = '<set>';
      else if (k === 'pod-template-hash' && typeof val === 'string') out[k] = '<hash>';
      else out[normalizeString(k)] = normalize(val, k);
    }
    return out;
  }
  if (typeof v === 'string') return normalizeString(v);
  return v;
}

/** Deletes dotted paths (e.g. `status`, `metadata.annotations`) from a copy. */
export function without(v: Json, ...paths: string[]): Json {
  const copy = structuredClone(v);
  for (const p of paths) {
    const parts = p.split('.');
    let cur = copy;
    for (const part of parts.slice(0, -1)) cur = cur?.[part];
    if (cur && typeof cur === 'object') delete cur[parts[parts.length - 1]!];
  }
  return copy;
}

/** Parses newline-delimited watch events out of a stream body. */
export function watchEvents(text: string): Json[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l));
}
