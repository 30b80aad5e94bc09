// The project's k8s/ manifests as the engine applies them, for tests that use them whole.
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { applyItems, type ApplyItem } from '../../src/core/cluster/apply.js';
import { loadManifests } from '../../src/core/manifests/loadManifests.js';
import { fillSecretTemplate } from '../../src/core/manifests/secretTemplate.js';
import { findByKind } from '../../scripts/k8sApiServer/resources.js';

export const REPO = resolve(import.meta.dirname, '../..');
export const K8S_NAMESPACE = 'endpoint-stats';

/** Every manifest file under k8s/, relative to the repository, sorted. */
export function k8sManifestFiles(dir = join(REPO, 'k8s')): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? k8sManifestFiles(path) : /\.ya?ml$/.test(name) ? [relative(REPO, path)] : [];
    });
}

/** The manifest a 1.26 API server (the test server, the recorded fixtures) cannot serve: it needs 1.30. */
export const NEEDS_KUBERNETES_1_30 = 'k8s/maintenance/dr-drill-admission.yaml';

/** The value a test gives each secret placeholder `${NAME}`. */
export function testSecret(name: string): string {
  return `test-${name.toLowerCase()}`;
}

/**
 * Every object of k8s/ that a 1.26 API server serves, as the engine applies it (secret
 * placeholders filled with test values). The drill's admission policy needs 1.30: its own test
 * (test/unit/k8s/drillCronJob.test.ts) checks that the test server refuses it.
 */
export async function k8sItems(): Promise<ApplyItem[]> {
  const files = (await Promise.all(k8sManifestFiles().map((f) => loadManifests(REPO, f)))).flat();
  assert.deepEqual(
    files.flatMap((f) => f.errors),
    [],
  );
  return applyItems(
    files.flatMap((f) => f.objects).filter((o) => findByKind(o.apiVersion, o.kind)),
    K8S_NAMESPACE,
  ).map((item) => {
    const filled = fillSecretTemplate(item.body, testSecret);
    assert.ok(filled.ok);
    return { ...item, body: filled.value };
  });
}
