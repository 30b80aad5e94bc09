// The sandbox's cluster: the Kubernetes API test server staged as production in trouble, and a
// little traffic that keeps the pods' logs moving so following them shows something.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { loadManifests } from '../../src/core/manifests/loadManifests.ts';
import { fillSecretTemplate } from '../../src/core/manifests/secretTemplate.ts';
import { findByKind } from '../k8sApiServer/resources.ts';
import type { K8sApiServer } from '../k8sApiServer/server.ts';
import type { KubeObject } from '../k8sApiServer/types.ts';

export const NAMESPACE = 'endpoint-stats';

export const TROUBLES = {
  'db-corrupted': 'the application runs, but its PostgreSQL data is damaged (scenario 1, database failure)',
  'cluster-lost': 'the cluster is gone: an empty one stands in its place, and the database too is gone (scenario 2)',
  'bad-deploy': 'a broken flask-api release is rolled out and its pods crash-loop (scenario 3)',
} as const;
export type Trouble = keyof typeof TROUBLES;

export function isTrouble(value: string): value is Trouble {
  return Object.hasOwn(TROUBLES, value);
}

/** The release that breaks flask-api in the bad-deploy sandbox. */
export const BROKEN_IMAGE = 'ghcr.io/endpoint-stats/flask-api:1.5.0';

/**
 * Every object of the project's k8s/ folder, Secret templates filled from `secrets`, except the
 * kinds a 1.26 API server does not serve (the drill's admission policy needs 1.30): a cluster of
 * the test server's version would run without them, as k8s/maintenance/dr-drill-admission.yaml says.
 */
async function projectObjects(root: string, secrets: Readonly<Record<string, string>>): Promise<KubeObject[]> {
  const folders = (await readdir(join(root, 'k8s'), { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  const objects: KubeObject[] = [];
  for (const folder of folders.sort()) {
    for (const file of await loadManifests(root, `k8s/${folder}`)) {
      if (file.errors.length) throw new Error(`${file.file}: ${file.errors.map((e) => e.message).join('; ')}`);
      for (const object of file.objects) {
        if (!findByKind(object.apiVersion, object.kind)) continue;
        const filled = fillSecretTemplate(object.body, (name) => secrets[name]);
        if (!filled.ok) throw new Error(`${file.file}: no sandbox value for ${filled.error.missing.join(', ')}`);
        objects.push(filled.value);
      }
    }
  }
  return objects.sort((a, b) => Number(b.kind === 'Namespace') - Number(a.kind === 'Namespace'));
}

const readyReplicas = (o: KubeObject | undefined): boolean =>
  o !== undefined && (o.status?.readyReplicas ?? 0) >= (o.spec?.replicas ?? 1) && o.status?.observedGeneration >= 1;

/** Puts the cluster in the state `trouble` describes. */
export async function stageCluster(
  server: K8sApiServer,
  root: string,
  trouble: Trouble,
  secrets: Readonly<Record<string, string>>,
): Promise<void> {
  server.setImageBehaviour(BROKEN_IMAGE, { waitingReason: 'CrashLoopBackOff' });
  if (trouble === 'cluster-lost') return;
  // What the old cluster ran, applied as the team's kubectl did.
  for (const object of await projectObjects(root, secrets)) server.apply(object, 'kubectl');
  for (const [kind, name] of [
    ['Deployment', 'flask-api'],
    ['StatefulSet', 'postgres'],
    ['Deployment', 'redis'],
  ] as const) {
    await server.waitFor('apps/v1', kind, NAMESPACE, name, readyReplicas, 30_000);
  }
  if (trouble === 'bad-deploy') {
    const current = server.get('apps/v1', 'Deployment', NAMESPACE, 'flask-api')!;
    const containers = (current.spec.template.spec.containers as KubeObject[]).map((c) =>
      c.name === 'flask-api' ? { ...c, image: BROKEN_IMAGE } : c,
    );
    server.apply(
      {
        ...current,
        spec: { ...current.spec, template: { ...current.spec.template, spec: { ...current.spec.template.spec, containers } } },
        status: undefined,
      },
      'kubectl',
    );
    await server.waitFor(
      'apps/v1',
      'Deployment',
      NAMESPACE,
      'flask-api',
      (d) => (d?.status?.updatedReplicas ?? 0) >= 1 && d?.status?.observedGeneration === d?.metadata?.generation,
      30_000,
    );
  }
}

const ENDPOINTS = ['/api/v1/stats', '/api/v1/endpoints', '/api/v1/stats/latency', '/api/v1/events', '/api/v1/health'];

/** One second of a pod's log, as its program would write it. */
function linesFor(pod: KubeObject, databaseHealthy: boolean, tick: number): string[] {
  const app = pod.metadata?.labels?.['app.kubernetes.io/name'];
  const image = String(pod.spec?.containers?.[0]?.image ?? '');
  const time = new Date().toISOString();
  if (app === 'flask-api' && image === BROKEN_IMAGE)
    return tick % 5 === 0
      ? [
          `${time} [1] [INFO] Starting gunicorn 22.0.0`,
          `${time} [7] [ERROR] Exception in worker process: ModuleNotFoundError: No module named 'flask_caching'`,
          `${time} [1] [INFO] Shutting down: Master`,
        ]
      : [];
  if (app === 'flask-api') {
    const path = ENDPOINTS[tick % ENDPOINTS.length]!;
    if (!databaseHealthy && tick % 2 === 0)
      return [
        `${time} [8] [ERROR] GET ${path} 500: psycopg2.errors.DataCorrupted: invalid page in block 4711 of relation requests`,
      ];
    return [`${time} [8] [INFO] GET ${path} 200 ${20 + (tick % 40)}ms`];
  }
  if (app === 'postgres' && !databaseHealthy && tick % 3 === 0)
    return [`${time} [61] ERROR:  invalid page in block 4711 of relation requests`];
  return [];
}

/**
 * Writes log lines into the running pods every second, until the returned function is called.
 * `databaseHealthy` says whether the application's queries succeed (it changes after a restore).
 */
export function startTraffic(server: K8sApiServer, databaseHealthy: () => boolean): () => void {
  let tick = 0;
  const timer = setInterval(() => {
    tick += 1;
    const healthy = databaseHealthy();
    for (const pod of server.list('v1', 'Pod', NAMESPACE)) {
      if (pod.metadata?.deletionTimestamp || !pod.spec?.containers?.length) continue;
      const lines = linesFor(pod, healthy, tick);
      if (lines.length) server.emitLogs(NAMESPACE, String(pod.metadata.name), undefined, lines);
    }
  }, 1000);
  timer.unref();
  return () => clearInterval(timer);
}
