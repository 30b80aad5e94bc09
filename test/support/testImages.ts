// Container images the Kubernetes API test server gives a behaviour, shared by the harness that
// starts the server and the suites that apply them.
import type { K8sApiServer } from '../../scripts/k8sApiServer/server.js';

/** Pods of this image run but never become ready (a readiness probe that never passes). */
export const NEVER_READY_IMAGE = 'dr-runbook-test/never-ready';

/** Pods of this image log LEAKED_PASSWORD once they run, as careless software does. */
export const LEAKY_LOGGER_IMAGE = 'dr-runbook-test/leaky-logger';

/** The password those pods log (the secrets test sets it as a secret value; it guards nothing). */
export const LEAKED_PASSWORD = 'leaked-in-a-log-line-7d41c9';

/** A Secret whose apply an admission webhook refuses with a 422 that echoes the object, password and all. */
export const WEBHOOK_ECHO_SECRET = 'webhook-echo';

/** The refusal the harness makes the test cluster send for WEBHOOK_ECHO_SECRET. */
export const WEBHOOK_ECHO_MESSAGE = `admission webhook "policy.example.com" denied the request: in {"stringData":{"auth":"${LEAKED_PASSWORD}"}}`;

/** A manifest of one Deployment `name` in `namespace`: one pod of `image`, labelled app=`name`. */
export function deploymentManifest(name: string, namespace: string, image: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  replicas: 1
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      # Meets the restricted Pod Security level that k8s/core/namespace.yaml enforces.
      securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
      containers:
      - name: app
        image: "${image}"
        securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
`;
}

/** Makes every running pod of LEAKY_LOGGER_IMAGE log its password, once; returns a stop function. */
export function leakPasswordsInLogs(cluster: K8sApiServer): () => void {
  const logged = new Set<string>();
  const timer = setInterval(() => {
    for (const pod of cluster.list('v1', 'Pod')) {
      const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
      const containers = (pod.spec?.containers ?? []) as { image?: string }[];
      if (logged.has(key) || pod.status?.phase !== 'Running') continue;
      if (!containers.some((c) => c.image?.startsWith(LEAKY_LOGGER_IMAGE))) continue;
      logged.add(key);
      cluster.emitLogs(pod.metadata.namespace as string, pod.metadata.name as string, undefined, [
        `redis AUTH ${LEAKED_PASSWORD} accepted`,
        'leaky-logger: ready',
      ]);
    }
  }, 200);
  return () => clearInterval(timer);
}
