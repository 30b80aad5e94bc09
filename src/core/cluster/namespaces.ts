import { err, ok, type Result } from '../result.js';
import type { ClusterError, ObjectRef } from './model.js';
import type { ClusterPort } from './port.js';

export function namespaceRef(name: string): ObjectRef {
  return { apiVersion: 'v1', kind: 'Namespace', name, namespace: undefined };
}

/** `kubectl create namespace NAME`, except that an existing namespace is fine ("unchanged"). */
export async function createNamespace(
  cluster: ClusterPort,
  name: string,
  options: { readonly dryRun?: boolean } = {},
): Promise<Result<'created' | 'exists', ClusterError>> {
  const existing = await cluster.read(namespaceRef(name));
  if (!existing.ok) return existing;
  if (existing.value) {
    const phase = (existing.value['status'] as { phase?: string } | undefined)?.phase;
    if (phase === 'Terminating') {
      return err({
        kind: 'server',
        context: cluster.context,
        object: namespaceRef(name),
        message: `Namespace ${name} is still being deleted in context "${cluster.context}".`,
        hint: 'Wait until it is gone, then create it again.',
      });
    }
    return ok('exists');
  }
  const created = await cluster.create(
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
    { dryRun: options.dryRun ?? false },
  );
  return created.ok ? ok('created') : created;
}

export type DeleteNamespaceError =
  ClusterError | { readonly kind: 'timeout' | 'cancelled'; readonly message: string; readonly hint: string };

/**
 * `kubectl delete namespace NAME --wait`: deletes it, then watches until it is really gone
 * (Terminating can take a while as its contents are removed). A missing namespace is "absent".
 */
export async function deleteNamespace(
  cluster: ClusterPort,
  name: string,
  options: { readonly timeoutMs: number; readonly signal?: AbortSignal; readonly onProgress?: (phase: string) => void },
): Promise<Result<'deleted' | 'absent', DeleteNamespaceError>> {
  const removed = await cluster.remove(namespaceRef(name), { dryRun: false });
  if (!removed.ok) return removed;
  if (!removed.value) return ok('absent');
  const deadline = Date.now() + options.timeoutMs;
  const controller = new AbortController();
  const onAbort = (): void => controller.abort();
  options.signal?.addEventListener('abort', onAbort);
  const timer = setTimeout(() => controller.abort(), options.timeoutMs);
  try {
    while (!controller.signal.aborted) {
      const query = { apiVersion: 'v1', kind: 'Namespace', namespace: undefined, fieldSelector: `metadata.name=${name}` };
      const listed = await cluster.list(query);
      if (!listed.ok) return listed;
      const current = listed.value.items[0];
      if (!current) return ok('deleted');
      options.onProgress?.((current['status'] as { phase?: string } | undefined)?.phase ?? 'Terminating');
      let gone = false;
      const local = new AbortController();
      const forward = (): void => local.abort();
      controller.signal.addEventListener('abort', forward);
      await cluster.watch(
        { ...query, resourceVersion: listed.value.resourceVersion },
        (event) => {
          if (event.type === 'DELETED') {
            gone = true;
            local.abort();
          }
        },
        local.signal,
      );
      controller.signal.removeEventListener('abort', forward);
      if (gone) return ok('deleted');
    }
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
  return options.signal?.aborted || Date.now() < deadline
    ? err({
        kind: 'cancelled',
        message: `Stopped waiting for namespace ${name} to be deleted.`,
        hint: 'It may still be terminating; check it before creating it again.',
      })
    : err({
        kind: 'timeout',
        message: `Namespace ${name} was still terminating after ${Math.round(options.timeoutMs / 1000)} s.`,
        hint: 'Look for finalizers that block it (kubectl get namespace NAME -o yaml).',
      });
}
