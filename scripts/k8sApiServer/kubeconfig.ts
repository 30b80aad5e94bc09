/** kubeconfig files that point kubectl and @kubernetes/client-node at a test server. */
import { stringify } from 'yaml';
import type { KeyPairPem } from './tls.ts';

export interface KubeconfigOptions {
  /** Bearer token (default over TLS: the admin's client certificate; over plain HTTP: the admin token). */
  token?: string;
  /** A client certificate and key to authenticate with. */
  client?: KeyPairPem;
  /** The CA to trust (PEM); the server's own CA by default. */
  caPem?: string;
  /** Context, cluster and user name (default `dr-runbook-test`). */
  context?: string;
  /** Default namespace of the context. */
  namespace?: string;
}

const b64 = (pem: string): string => Buffer.from(pem).toString('base64');

export function kubeconfigYaml(server: string, options: KubeconfigOptions): string {
  const name = options.context ?? 'dr-runbook-test';
  const cluster = server.startsWith('http://')
    ? // client-node 2.x refuses plain http unless TLS verification is declared off (there is no TLS).
      { server, 'insecure-skip-tls-verify': true }
    : { server, ...(options.caPem ? { 'certificate-authority-data': b64(options.caPem) } : {}) };
  const user = options.token
    ? { token: options.token }
    : options.client
      ? { 'client-certificate-data': b64(options.client.cert), 'client-key-data': b64(options.client.key) }
      : {};
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster }],
    users: [{ name, user }],
    contexts: [{ name, context: { cluster: name, user: name, ...(options.namespace ? { namespace: options.namespace } : {}) } }],
    'current-context': name,
    preferences: {},
  });
}
