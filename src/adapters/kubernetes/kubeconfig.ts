import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { findHomeDir, KubeConfig } from '@kubernetes/client-node';
import type { ClusterError } from '../../core/cluster/model.js';
import { err, ok, type Result } from '../../core/result.js';

export interface KubeconfigOptions {
  /** A kubeconfig file; by default the one kubectl uses ($KUBECONFIG, then ~/.kube/config). */
  readonly kubeconfigPath?: string;
  /** A context of the kubeconfig; by default its current context. */
  readonly context?: string;
}

/** The contexts of a kubeconfig, for a picker. */
export interface KubeconfigContexts {
  /** Where the kubeconfig was found, as a person would say it. */
  readonly where: string;
  /** The kubeconfig's current context ('' when it names none). */
  readonly current: string;
  readonly contexts: readonly { readonly name: string; readonly cluster: string; readonly namespace: string | undefined }[];
}

/** Where a pod's service account token sits: client-node falls back to it when there is no kubeconfig. */
const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/**
 * The files kubectl would read, and how to name them in a message. client-node, given none,
 * quietly invents a "loaded-context" on http://localhost:8080; we say instead that there is none
 * and where we looked.
 */
function locate(options: KubeconfigOptions): Result<{ where: string; files: string[] }, ClusterError> {
  if (options.kubeconfigPath) return ok({ where: options.kubeconfigPath, files: [options.kubeconfigPath] });
  const fromEnv = (process.env['KUBECONFIG'] ?? '').split(delimiter).filter((f) => f !== '');
  if (fromEnv.length) {
    const where = `$KUBECONFIG (${fromEnv.join(delimiter)})`;
    if (!fromEnv.some((f) => existsSync(f)))
      return err(
        configError(`No kubeconfig found: KUBECONFIG names ${fromEnv.join(', ')}, and none of them exists.`, options.context),
      );
    return ok({ where, files: fromEnv.filter((f) => existsSync(f)) });
  }
  const home = findHomeDir();
  const file = home ? join(home, '.kube', 'config') : undefined;
  if (file && existsSync(file)) return ok({ where: `~/.kube/config (${file})`, files: [file] });
  if (existsSync(SERVICE_ACCOUNT_TOKEN)) return ok({ where: 'the pod service account', files: [] });
  return err(
    configError(
      `No kubeconfig found: KUBECONFIG is not set and ${file ?? '~/.kube/config'} does not exist.`,
      options.context,
      'Set KUBECONFIG to your cluster’s kubeconfig (or create ~/.kube/config), then pick a context with "DR Runbook: Pick Cluster Context".',
    ),
  );
}

/**
 * Reads the kubeconfig the way kubectl finds it. A file that cannot be read is named, never
 * quoted: a kubeconfig holds tokens and keys, and a parser's message may echo its lines.
 */
function read(options: KubeconfigOptions): Result<{ kc: KubeConfig; where: string }, ClusterError> {
  const found = locate(options);
  if (!found.ok) return found;
  const { where, files } = found.value;
  const kc = new KubeConfig();
  try {
    if (files.length === 0) kc.loadFromCluster();
    for (const [i, file] of files.entries()) {
      if (i === 0) kc.loadFromFile(file);
      else {
        const more = new KubeConfig();
        more.loadFromFile(file);
        kc.mergeConfig(more);
      }
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code
      ? `the file cannot be opened (${code})`
      : 'it is not a valid kubeconfig (YAML with clusters, users and contexts)';
    return err(
      configError(
        `The kubeconfig ${where} cannot be read: ${why}. Its content is not shown: it may hold credentials.`,
        options.context,
        'Fix the file (kubectl config view shows what kubectl makes of it), or point KUBECONFIG at another one.',
      ),
    );
  }
  return ok({ kc, where });
}

/** Loads the kubeconfig the way kubectl finds it and picks the context. */
export function loadKubeConfig(options: KubeconfigOptions = {}): Result<KubeConfig, ClusterError> {
  const loaded = read(options);
  if (!loaded.ok) return loaded;
  const { kc, where } = loaded.value;
  if (options.context) {
    if (!kc.getContextObject(options.context)) {
      const known = kc.getContexts().map((c) => c.name);
      return err(
        configError(
          `The kubeconfig ${where} has no context "${options.context}" (it has: ${known.join(', ') || 'none'}).`,
          options.context,
        ),
      );
    }
    kc.setCurrentContext(options.context);
  }
  if (!kc.getCurrentContext())
    return err(
      configError(`The kubeconfig ${where} has no current context.`, '', 'Pick one with "DR Runbook: Pick Cluster Context".'),
    );
  if (!kc.getCurrentCluster()) {
    return err(
      configError(`The kubeconfig ${where} names no cluster for context "${kc.getCurrentContext()}".`, kc.getCurrentContext()),
    );
  }
  return ok(kc);
}

/** Every context of the kubeconfig kubectl would use, and its current one. Contacts no cluster. */
export function listContexts(options: Omit<KubeconfigOptions, 'context'> = {}): Result<KubeconfigContexts, ClusterError> {
  const loaded = read(options);
  if (!loaded.ok) return loaded;
  const { kc, where } = loaded.value;
  return ok({
    where,
    current: kc.getCurrentContext() ?? '',
    contexts: kc.getContexts().map((c) => ({ name: c.name, cluster: c.cluster, namespace: c.namespace })),
  });
}

function configError(
  message: string,
  context: string | undefined,
  hint = 'Point KUBECONFIG at the kubeconfig of the cluster to recover, or choose another context.',
): ClusterError {
  return { kind: 'unreachable', context: context ?? '', message, hint };
}
