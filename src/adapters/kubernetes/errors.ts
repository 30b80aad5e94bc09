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
        return invalid(base, code, subject, message, causeFields(status));
      default:
        // Server-side apply reports a body it cannot type (a misspelled or unknown field, a wrong
        // type, duplicate list keys, a bad quantity or base64) as a 500 with no reason (batch 2,
        // 008-017, 076, 080, 084): the manifest is wrong, the server is fine.
        if (code === 500 && !status?.reason && MANIFEST_500.test(message)) {
          const path = /\): (\.[^:]+):/.exec(message)?.[1];
          return invalid(base, code, subject, message, path ? [path] : []);
        }
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
  const tls = tlsProblem(error);
  if (tls) {
    return {
      ...base,
      kind: 'unreachable',
      message: `The TLS connection to the API server of context "${context}" (${server}) failed: ${tls.problem} (${tls.code}).`,
      hint: tls.hint,
    };
  }
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

/** The 500 messages that mean "this body cannot be what the schema says", not "the server is in trouble". */
const MANIFEST_500 = /^failed to (create typed patch object|convert new object)/;

function invalid(
  base: { context: string; object?: ObjectRef },
  code: number,
  subject: string,
  message: string,
  fields: readonly string[],
): ClusterError {
  return {
    ...base,
    kind: 'invalid',
    status: code,
    message: `The API server refused ${subject}: ${message}`,
    hint: 'Fix the manifest at the line shown, then run the step again.',
    ...(fields.length ? { fields } : {}),
  };
}

function causeFields(status: Status | undefined): string[] {
  return (status?.details?.causes ?? []).flatMap((c) => (c.field ? [c.field] : []));
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

const UNTRUSTED =
  'Check the certificate-authority(-data) of the cluster in the kubeconfig: it must be the CA that signed the server certificate.';
const CLIENT_CERT =
  'Check the client-certificate and client-key of the user in the kubeconfig (and that the server trusts their CA), or log in again.';

/** The TLS failures Node reports, by code: what is wrong with which certificate, and what to do. */
const TLS_PROBLEMS: Record<string, { problem: string; hint: string }> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: { problem: 'the server certificate is self-signed and not trusted', hint: UNTRUSTED },
  SELF_SIGNED_CERT_IN_CHAIN: {
    problem: 'the server certificate chain ends at a CA this kubeconfig does not trust',
    hint: UNTRUSTED,
  },
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: {
    problem: 'the server certificate is not signed by a CA this kubeconfig trusts',
    hint: UNTRUSTED,
  },
  UNABLE_TO_GET_ISSUER_CERT: { problem: 'the issuer of the server certificate is unknown', hint: UNTRUSTED },
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: { problem: 'the issuer of the server certificate is not a trusted CA', hint: UNTRUSTED },
  CERT_UNTRUSTED: { problem: 'the server certificate is not trusted', hint: UNTRUSTED },
  CERT_SIGNATURE_FAILURE: { problem: 'the server certificate has a bad signature', hint: UNTRUSTED },
  CERT_HAS_EXPIRED: {
    problem: 'the server certificate has expired',
    hint: 'Renew the API server certificate, or check this machine’s clock.',
  },
  CERT_NOT_YET_VALID: {
    problem: 'the server certificate is not valid yet',
    hint: 'Check this machine’s clock, or the certificate’s start date.',
  },
  ERR_TLS_CERT_ALTNAME_INVALID: {
    problem: 'the server certificate does not name the address in the kubeconfig',
    hint: 'Use the server address the certificate names (or set tls-server-name in the kubeconfig).',
  },
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: { problem: 'the server does not trust the client certificate’s CA', hint: CLIENT_CERT },
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: { problem: 'the server refused the client certificate', hint: CLIENT_CERT },
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: {
    problem: 'the server requires a client certificate and none was sent',
    hint: CLIENT_CERT,
  },
  ERR_SSL_TLSV1_ALERT_CERTIFICATE_EXPIRED: { problem: 'the client certificate has expired', hint: CLIENT_CERT },
  ERR_SSL_WRONG_VERSION_NUMBER: {
    problem: 'the server does not speak TLS at that address',
    hint: 'Check the scheme and port of the server address in the kubeconfig (https:// against a plain-HTTP port?).',
  },
};

function tlsProblem(error: unknown): { code: string; problem: string; hint: string } | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') {
      const known = TLS_PROBLEMS[code];
      if (known) return { code, ...known };
      if (/^ERR_(SSL|OSSL|TLS)_/.test(code)) {
        return { code, problem: (e as Error).message, hint: `${UNTRUSTED} ${CLIENT_CERT}` };
      }
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
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
