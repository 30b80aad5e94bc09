/** GET pods/<name>/log: parameter decoding and validation with the apiserver's errors, then the log stream. */
import type { ServerResponse } from 'node:http';
import type { LogQuery } from './logs.ts';
import type { ResponseContext } from './respond.ts';
import { baseHeaders } from './respond.ts';
import type { ResourceRequest, RouteContext } from './routes.ts';
import { ApiError, badRequest, notFound } from './status.ts';
import type { KubeObject } from './types.ts';

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Go's time.Parse(RFC3339) error for text that is not a time. */
function parseTimeError(text: string): ApiError {
  const layout = '2006-01-02T15:04:05Z07:00';
  const m = text.match(/^\d{4}/);
  const rest = m ? text.slice(4) : text;
  const elem = m ? '-' : '2006';
  return badRequest(
    `parsing time ${JSON.stringify(text)} as ${JSON.stringify(layout)}: cannot parse ${JSON.stringify(rest)} as ${JSON.stringify(elem)}`,
  );
}

function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  if (!/^-?\d+$/.test(v)) throw badRequest(`strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
  return Number(v);
}

function boolParam(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  if (v === null) return false;
  if (['true', '1', 't', 'T', 'TRUE', 'True'].includes(v)) return true;
  if (['false', '0', 'f', 'F', 'FALSE', 'False', ''].includes(v)) return false;
  throw badRequest(`strconv.ParseBool: parsing ${JSON.stringify(v)}: invalid syntax`);
}

function invalidLogOptions(pod: string, field: string, reason: string, message: string): ApiError {
  return new ApiError(422, 'Invalid', `PodLogOptions ${JSON.stringify(pod)} is invalid: ${field}: ${message}`, {
    name: pod,
    kind: 'PodLogOptions',
    causes: [{ reason, message, field }],
  });
}

function containerNames(pod: KubeObject): string[] {
  return [...((pod.spec?.initContainers ?? []) as KubeObject[]), ...((pod.spec?.containers ?? []) as KubeObject[])].map((c) =>
    String(c.name),
  );
}

/** Serves a pod log request. */
export function serveLog(ctx: RouteContext, r: ResourceRequest, res: ServerResponse, rc: ResponseContext): void {
  rc.pf = false;
  const q = r.query;
  const podName = r.name!;
  const sinceTimeText = q.get('sinceTime');
  let sinceNanos: bigint | undefined;
  if (sinceTimeText !== null) {
    const m = sinceTimeText.match(RFC3339);
    if (!m) throw parseTimeError(sinceTimeText);
    const ms = Date.parse(sinceTimeText);
    if (Number.isNaN(ms)) throw parseTimeError(sinceTimeText);
    sinceNanos = BigInt(Math.floor(ms / 1000)) * 1_000_000_000n;
  }
  const sinceSeconds = intParam(q, 'sinceSeconds');
  const tailLines = intParam(q, 'tailLines');
  const limitBytes = intParam(q, 'limitBytes');
  const follow = boolParam(q, 'follow');
  const timestamps = boolParam(q, 'timestamps');
  const previous = boolParam(q, 'previous');
  if (sinceSeconds !== undefined && sinceTimeText !== null) {
    throw invalidLogOptions(
      podName,
      '[]',
      'FieldValueForbidden',
      'Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified',
    );
  }
  if (sinceSeconds !== undefined && sinceSeconds < 1) {
    throw invalidLogOptions(
      podName,
      'sinceSeconds',
      'FieldValueInvalid',
      `Invalid value: ${sinceSeconds}: must be greater than 0`,
    );
  }
  if (tailLines !== undefined && tailLines < 0) {
    throw invalidLogOptions(
      podName,
      'tailLines',
      'FieldValueInvalid',
      `Invalid value: ${tailLines}: must be greater than or equal to 0`,
    );
  }
  if (limitBytes !== undefined && limitBytes < 1) {
    throw invalidLogOptions(podName, 'limitBytes', 'FieldValueInvalid', `Invalid value: ${limitBytes}: must be greater than 0`);
  }
  if (sinceSeconds !== undefined) sinceNanos = BigInt(Date.now() - sinceSeconds * 1000) * 1_000_000n;
  const pod = ctx.registry.store.get(r.rt, r.namespace, podName);
  if (!pod) throw notFound(r.rt, podName);
  const names = containerNames(pod);
  let container = q.get('container') ?? '';
  if (container === '') {
    const main = ((pod.spec?.containers ?? []) as KubeObject[]).map((c) => String(c.name));
    if (main.length === 1) container = main[0]!;
    else
      throw badRequest(
        `a container name must be specified for pod ${podName}, choose one of: [${main.join(' ')}]${names.length > main.length ? ` or one of the init containers: [${names.slice(0, names.length - main.length).join(' ')}]` : ''}`,
      );
  }
  if (!names.includes(container)) throw badRequest(`container ${container} is not valid for pod ${podName}`);
  const statuses = [
    ...((pod.status?.initContainerStatuses ?? []) as KubeObject[]),
    ...((pod.status?.containerStatuses ?? []) as KubeObject[]),
  ];
  const st = statuses.find((s) => s.name === container);
  if (previous && !ctx.logs.hasPrevious(r.namespace!, podName, container)) {
    throw badRequest(`previous terminated container ${JSON.stringify(container)} in pod ${JSON.stringify(podName)} not found`);
  }
  if (!previous && (!st || (!st.state?.running && !st.state?.terminated))) {
    const reason = st?.state?.waiting?.reason ?? 'ContainerCreating';
    throw badRequest(`container ${JSON.stringify(container)} in pod ${JSON.stringify(podName)} is waiting to start: ${reason}`);
  }
  const query: LogQuery = {
    follow,
    timestamps,
    previous,
    ...(tailLines !== undefined ? { tailLines } : {}),
    ...(sinceNanos !== undefined ? { sinceNanos } : {}),
    ...(limitBytes !== undefined ? { limitBytes } : {}),
  };
  rc.pf = false;
  baseHeaders(res, rc, 'text/plain');
  res.statusCode = 200;
  res.flushHeaders();
  const afterItems = ctx.faults.track({ kind: 'log', path: r.path, res, written: 0 });
  ctx.logs.serve(r.namespace!, podName, container, query, res, (n) => {
    let cut = false;
    for (let i = 0; i < n && !cut; i++) cut = afterItems();
    return cut;
  });
}
