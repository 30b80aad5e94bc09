/**
 * Runs the Kubernetes API test server from the command line (the sandbox):
 *
 *   npx tsx scripts/k8sApiServer/main.ts [--port 6443] [--state objects.yaml] [--kubeconfig ./sandbox.kubeconfig] [--plain-http]
 *
 * `--state` is a multi-document YAML file of Kubernetes objects applied at start (namespaces first).
 * It serves HTTPS with a CA made at start; the kubeconfig (the CA and the admin's client certificate)
 * is written and its path printed. `--plain-http` serves HTTP instead, where kubectl sends no
 * credentials: tokenless requests are then served as admin unless `--require-token` is given.
 * Ctrl-C stops the server.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { startK8sApiServer } from './server.ts';
import type { KubeObject } from './types.ts';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      state: { type: 'string' },
      kubeconfig: { type: 'string', default: 'dr-runbook-sandbox.kubeconfig' },
      namespace: { type: 'string' },
      'pod-ready-delay-ms': { type: 'string', default: '500' },
      'require-token': { type: 'boolean', default: false },
      'plain-http': { type: 'boolean', default: false },
    },
  });
  const server = await startK8sApiServer({
    port: Number(values.port),
    podReadyDelayMs: Number(values['pod-ready-delay-ms']),
    namespaceFinalizeDelayMs: 2000,
    tls: !values['plain-http'],
    anonymousIsAdmin: values['plain-http'] && !values['require-token'],
  });
  if (values.state) {
    const docs = parseAllDocuments(await readFile(values.state, 'utf8'))
      .map((d) => d.toJS() as KubeObject | null)
      .filter((d): d is KubeObject => d !== null && typeof d === 'object');
    docs.sort((a, b) => Number(b.kind === 'Namespace') - Number(a.kind === 'Namespace'));
    for (const obj of docs) server.apply(obj, 'sandbox-state');
    console.log(`applied ${docs.length} object(s) from ${values.state}`);
  }
  const path = resolve(values.kubeconfig);
  await server.writeKubeconfig(path, values.namespace ? { namespace: values.namespace } : {});
  console.log(`Kubernetes API test server listening on ${server.url}`);
  console.log(`kubeconfig written to ${path}`);
  console.log(`try: kubectl --kubeconfig ${path} get namespaces`);
  const stop = (): void => {
    void server.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

void main();
