/** The cluster as core sees it: plain JSON objects, references to them, and typed failures. */

/** A Kubernetes object as JSON. */
export type KubeObject = {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [field: string]: unknown;
};

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }[];
  [field: string]: unknown;
}

/** Which object: enough to read, patch or delete it. */
export interface ObjectRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  /** Undefined for cluster-scoped kinds. */
  readonly namespace: string | undefined;
}

export function refOf(object: KubeObject, fallbackNamespace?: string): ObjectRef {
  return {
    apiVersion: object.apiVersion ?? '',
    kind: object.kind ?? '',
    name: object.metadata?.name ?? '',
    namespace: object.metadata?.namespace ?? fallbackNamespace,
  };
}

/** `Deployment endpoint-stats/flask-api`, as people say it. */
export function describeRef(ref: ObjectRef): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}

export type ClusterErrorKind =
  /** The API server did not answer (connection refused, DNS, TLS, timeout). */
  | 'unreachable'
  /** 401: the credentials were refused or have expired. */
  | 'unauthorized'
  /** 403: the user may not do this. */
  | 'forbidden'
  /** The server does not serve this apiVersion/kind. */
  | 'unknownKind'
  | 'notFound'
  /** 409 from server-side apply: another field manager owns a field we set. */
  | 'conflict'
  /** 422 and 400: the object was refused as written. */
  | 'invalid'
  /** A wait ran out of time. */
  | 'timeout'
  /** The user (or an AbortSignal) stopped the work. */
  | 'cancelled'
  /** Anything else the server answered (5xx, unexpected). */
  | 'server';

/** A field another manager owns, from a 409 conflict. */
export interface FieldConflict {
  readonly field: string;
  readonly manager: string;
}

export interface ClusterError {
  readonly kind: ClusterErrorKind;
  /** What failed, in a sentence that names the context. */
  readonly message: string;
  /** What to do next. */
  readonly hint: string;
  readonly context: string;
  readonly status?: number;
  readonly object?: ObjectRef;
  readonly conflicts?: readonly FieldConflict[];
  /**
   * For invalid: the fields the server named, as it writes them (`.spec.replicass`,
   * `spec.template.spec.volumes[0].configMap.defaultMode`).
   */
  readonly fields?: readonly string[];
  /** For notFound: what the server could not find (`namespaces`/`endpoint-stats`). */
  readonly missing?: { readonly kind: string; readonly name: string };
}

export function formatClusterError(error: ClusterError): string {
  return `${error.message} ${error.hint}`.trim();
}
