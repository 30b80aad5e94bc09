// A small flask-api Deployment in endpoint-stats, rolled out with the engine and waited for:
// what the rollback and log tests build their history from.
import assert from 'node:assert/strict';
import { applyItems, applyObjects } from '../../src/core/cluster/apply.js';
import { waitForReady } from '../../src/core/cluster/readiness.js';
import { parseManifestText } from '../../src/core/manifests/loadManifests.js';
import type { TestCluster } from './testCluster.js';

export const NS = 'endpoint-stats';
export const FLASK_API = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'flask-api', namespace: NS };

export interface RolloutOptions {
  /** LOG_LEVEL in the container's environment (default info). */
  readonly logLevel?: string;
  /** Adds a second container, `proxy`. */
  readonly sidecar?: boolean;
}

/** The Namespace and the flask-api Deployment with `image`, as apply items. */
export function flaskApiManifests(image: string, options: RolloutOptions = {}) {
  const text = `apiVersion: v1
kind: Namespace
metadata: {name: ${NS}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: flask-api}
spec:
  replicas: 2
  revisionHistoryLimit: 5
  selector: {matchLabels: {app: flask-api}}
  template:
    metadata: {labels: {app: flask-api}}
    spec:
      containers:
      - name: flask-api
        image: ${image}
        env: [{name: LOG_LEVEL, value: ${options.logLevel ?? 'info'}}]
${options.sidecar ? '      - {name: proxy, image: envoy:1.30}\n' : ''}`;
  return applyItems(parseManifestText(text, 'k8s/core/flask-api.yaml').objects, NS);
}

/** Applies flask-api with `image` (taking over fields as needed) and waits for the rollout; returns the new pods. */
export async function rollOut(t: TestCluster, image: string, options: RolloutOptions = {}): Promise<string[]> {
  const applied = await applyObjects(t.cluster, flaskApiManifests(image, options), { force: true });
  assert.ok(applied.ok, applied.ok ? '' : JSON.stringify(applied.error));
  assert.ok((await waitForReady(t.cluster, [FLASK_API], { timeoutMs: 10_000 })).ok);
  return t.server
    .list('v1', 'Pod', NS)
    .filter((p) => p.spec.containers[0].image === image && !p.metadata.deletionTimestamp)
    .map((p) => p.metadata.name as string);
}
