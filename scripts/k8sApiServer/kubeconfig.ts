/** kubeconfig files that point kubectl and @kubernetes/client-node at a test server. */
import { stringify } from 'yaml';

export interface KubeconfigOptions {
  /** Bearer token (default: the server's admin token). */
  token?: string;
  /** Context, cluster and user name (default `dr-runbook-test`). */
  context?: string;
  /** Default namespace of the context. */
  namespace?: string;
}

export function kubeconfigYaml(server: string, options: KubeconfigOptions): string {
  const name = options.context ?? 'dr-runbook-test';
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    // client-node 2.x refuses plain http unless TLS verification is declared off (there is no TLS).
    clusters: [{ name, cluster: { server, ...(server.startsWith('http://') ? { 'insecure-skip-tls-verify': true } : {}) } }],
    users: [{ name, user: { token: options.token } }],
    contexts: [{ name, context: { cluster: name, user: name, ...(options.namespace ? { namespace: options.namespace } : {}) } }],
    'current-context': name,
    preferences: {},
  });
}
