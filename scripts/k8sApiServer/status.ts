/** metav1.Status errors, with the exact messages, reasons and details a v1.26 apiserver writes. */
import type { KubeObject, ResourceType } from './types.ts';
import { qualifiedKind, qualifiedResource } from './types.ts';

export interface StatusCause {
  reason: string;
  message: string;
  field: string;
}

/** An API failure answered as a Status object (or, with `plainText`, as text/plain). */
export class ApiError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly details: KubeObject | undefined;
  readonly plainText: boolean;
  readonly headers: Record<string, string>;

  constructor(
    code: number,
    reason: string,
    message: string,
    details?: KubeObject,
    opts?: { plainText?: boolean; headers?: Record<string, string> },
  ) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.details = details;
    this.plainText = opts?.plainText ?? false;
    this.headers = opts?.headers ?? {};
  }

  toStatus(): KubeObject {
    const s: KubeObject = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
    };
    // Errors the apiserver does not classify (a 500 from the field manager) carry no reason.
    if (this.reason !== '') s.reason = this.reason;
    if (this.details !== undefined) s.details = this.details;
    s.code = this.code;
    return s;
  }
}

function gk(rt: ResourceType, name: string): KubeObject {
  return rt.group === '' ? { name, kind: rt.plural } : { name, group: rt.group, kind: rt.plural };
}

export function notFound(rt: ResourceType, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${qualifiedResource(rt)} "${name}" not found`, gk(rt, name));
}

export function resourceNotFound(): ApiError {
  return new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
}

export function pageNotFound(): ApiError {
  return new ApiError(404, 'NotFound', '404 page not found\n', undefined, {
    plainText: true,
    headers: { 'x-content-type-options': 'nosniff' },
  });
}

export function alreadyExists(rt: ResourceType, name: string): ApiError {
  return new ApiError(409, 'AlreadyExists', `${qualifiedResource(rt)} "${name}" already exists`, gk(rt, name));
}

export function conflictModified(rt: ResourceType, name: string): ApiError {
  return new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(rt)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    gk(rt, name),
  );
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}

export function invalid(rt: ResourceType | { group: string; kind: string }, name: string, causes: StatusCause[]): ApiError {
  const kindText = 'plural' in rt ? qualifiedKind(rt) : rt.group === '' ? rt.kind : `${rt.kind}.${rt.group}`;
  const texts = causes.map((c) => `${c.field}: ${c.message}`);
  const list = texts.length === 1 ? texts[0] : `[${texts.join(', ')}]`;
  const details: KubeObject = { name };
  if (rt.group !== '') details.group = rt.group;
  details.kind = rt.kind;
  details.causes = causes;
  return new ApiError(422, 'Invalid', `${kindText} "${name}" is invalid: ${list}`, details);
}

export function forbidden(rt: ResourceType, name: string, message: string, causes?: StatusCause[]): ApiError {
  const details: KubeObject = name ? gk(rt, name) : { kind: rt.plural };
  if (rt.group !== '' && !name) details.group = rt.group;
  if (causes) details.causes = causes;
  const prefix = name ? `${qualifiedResource(rt)} "${name}" is forbidden` : `${qualifiedResource(rt)} is forbidden`;
  return new ApiError(403, 'Forbidden', `${prefix}: ${message}`, details);
}

export function unauthorized(): ApiError {
  return new ApiError(401, 'Unauthorized', 'Unauthorized');
}

export function methodNotAllowed(): ApiError {
  return new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {});
}

export function unsupportedMediaType(): ApiError {
  return new ApiError(415, 'UnsupportedMediaType', '415: Unsupported Media Type', {});
}

export function notAcceptable(): ApiError {
  return new ApiError(
    406,
    'NotAcceptable',
    '406: Not Acceptable\n\nAvailable representations: application/json, application/yaml, application/vnd.kubernetes.protobuf',
    {},
  );
}

export function gone(message: string): ApiError {
  return new ApiError(410, 'Expired', message);
}

export function internalError(message: string): ApiError {
  return new ApiError(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });
}

/** The Status a successful DELETE of an object without finalizers returns. */
export function deleteSuccess(rt: ResourceType, obj: KubeObject): KubeObject {
  const details: KubeObject = { name: obj.metadata.name };
  if (rt.group !== '') details.group = rt.group;
  details.kind = rt.plural;
  details.uid = obj.metadata.uid;
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details };
}
