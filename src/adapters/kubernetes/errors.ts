import { ApiException } from '@kubernetes/client-node';
import type { ClusterError, FieldConflict, ObjectRef } from '../../core/cluster/model.js';
import { describeRef } from '../../core/cluster/model.js';

/** The Status body the API server sends with an error. */
interface Status {
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; kind?: string; causes?: { reason?: string; message?: string; field?: string }[] };
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'ECONNRESET',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
]);

export interface ErrorContext {
  readonly context: string;
  readonly server: string;
  readonly object?: ObjectRef;
  /** What we were doing: "apply", "read", "watch", ... */
  readonly action: string;
}

/** Turns anything client-node throws into a ClusterError that names the context and says what to do. */
export function toClusterError(error: unknown, where: ErrorContext): ClusterError {
  const { context, server, object } = where;
  const subject = object ? describeRef(object) : 'the cluster';
  const base = { context, ...(object ? { object } : {}) };
  if (error instanceof ApiException) {
    const status = parseStatus((error as ApiException<unknown>).body);
    const code = error.code;
    const message = status?.message ?? error.message;
    if (/Failed to fetch resource metadata/.test(error.message) && code === 404) {
      return unknownKind(where);
    }
    switch (code) {
      case 401:
        return {
          ...base,
          kind: 'unauthorized',
          status: code,
          message: `The API server of context "${context}" (${server}) refused the credentials (401 Unauthorized).`,
          hint: 'The token or certificate is wrong or has expired: log in again (refresh your kubeconfig) and retry.',
        };
      case 403:
        return {
          ...base,
          kind: 'forbidden',
          status: code,
          message: `Context "${context}" may not ${where.action} ${subject}: ${message}`,
          hint: 'Ask for the RBAC permission this needs, or switch to a context that has it.',
        };
      case 404:
        return {
          ...base,
          kind: 'notFound',
          status: code,
          message: `${capitalise(subject)} was not found in context "${context}": ${message}`,
          hint: notFoundHint(status),
          ...notFoundDetails(status),
        };
      case 409: {
        const conflicts = conflictsOf(status);
        if (conflicts.length) {
          return {
            ...base,
            kind: 'conflict',
            status: code,
            conflicts,
            message: `Applying ${subject} conflicts with other field managers: ${conflicts.map((c) => `${c.field} (owned by "${c.manager}")`).join(', ')}.`,
            hint: 'Another tool changed these fields. Check why, then apply again with force to take them over.',
          };
        }
        return {
          ...base,
          kind: 'server',
          status: code,
          message: `Context "${context}": ${message}`,
          hint: 'Retry; the object changed while we worked on it.',
        };
      }
      case 400:
      case 422:
        return {
          ...base,
          kind: 'invalid',
          status: code,
          message: `The API server refused ${subject}: ${message}`,
          hint: 'Fix the manifest at the line shown, then run the step again.',
        };
      default:
        return {
          ...base,
          kind: 'server',
          status: code,
          message: `The API server of context "${context}" answered ${code} to ${where.action} ${subject}: ${message}`,
          hint: code >= 500 ? 'The API server is in trouble: wait a moment and retry.' : 'Check the request and retry.',
        };
    }
  }
  if (error instanceof Error && /Unrecognized API version and kind/.test(error.message)) return unknownKind(where);
  const networkCode = networkErrorCode(error);
  if (networkCode) {
    return {
      ...base,
      kind: 'unreachable',
      message: `The API server of context "${context}" (${server}) cannot be reached (${networkCode}).`,
      hint: 'Check that the cluster is up, that this machine can reach it (VPN, firewall), and that the kubeconfig points at the right address.',
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return {
    ...base,
    kind: 'server',
    message: `Context "${context}": ${where.action} ${subject} failed: ${message}`,
    hint: 'See the DR Runbook log for details.',
  };
}

function unknownKind(where: ErrorContext): ClusterError {
  const ref = where.object;
  const what = ref ? `${ref.apiVersion} ${ref.kind}` : 'this kind';
  return {
    context: where.context,
    ...(ref ? { object: ref } : {}),
    kind: 'unknownKind',
    message: `The cluster of context "${where.context}" does not serve ${what}.`,
    hint: 'Check apiVersion and kind for a typo, or install the CRD or API that provides it first.',
  };
}

function parseStatus(body: unknown): Status | undefined {
  if (typeof body === 'string') {
    try {
      return JSON.parse(body) as Status;
    } catch {
      return { message: body };
    }
  }
  return typeof body === 'object' && body !== null ? body : undefined;
}

function conflictsOf(status: Status | undefined): FieldConflict[] {
  return (status?.details?.causes ?? [])
    .filter((c) => c.reason === 'FieldManagerConflict' && c.field)
    .map((c) => ({ field: c.field!, manager: /"([^"]+)"/.exec(c.message ?? '')?.[1] ?? c.message ?? 'unknown' }));
}

function notFoundDetails(status: Status | undefined): { missing?: { kind: string; name: string } } {
  const d = status?.details;
  return d?.kind && d.name ? { missing: { kind: d.kind, name: d.name } } : {};
}

function notFoundHint(status: Status | undefined): string {
  if (status?.details?.kind === 'namespaces')
    return `Create the namespace "${status.details.name}" first (an earlier step of the plan does).`;
  return 'Check the name and namespace.';
}

function networkErrorCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
    if (
      e instanceof Error &&
      /fetch failed|socket hang up|other side closed/i.test(e.message) &&
      !(e as { cause?: unknown }).cause
    )
      return 'connection failed';
    e = (e as { cause?: unknown }).cause;
  }
  if (error instanceof Error && /fetch failed/.test(error.message)) return 'connection failed';
  return undefined;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
