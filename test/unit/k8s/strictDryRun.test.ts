/**
 * Every manifest of k8s/, read by the engine's loader, passes a server-side dry run with strict
 * field validation against the test API server (which validates as a v1.26 apiserver does, batch 2
 * of the fixtures). The same check refuses the mistakes a real server refused.
 */
import assert from 'node:assert/strict';
import { applyItems, describeFailures, preflightObjects } from '../../../src/core/cluster/apply.js';
import { parseManifestText } from '../../../src/core/manifests/loadManifests.js';
import { K8S_NAMESPACE as NAMESPACE, k8sItems } from '../../support/k8sManifests.js';
import { useTestCluster } from '../../support/testCluster.js';

describe('k8s/ manifests: server-side dry run with strict field validation', function () {
  this.timeout(60_000);
  const cluster = useTestCluster();

  it('passes for every object of every file', async () => {
    const t = cluster();
    const items = await k8sItems();
    assert.ok(items.length > 30, `${items.length} objects`);
    t.server.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } });
    const checked = await preflightObjects(t.cluster, items);
    assert.ok(checked.ok, checked.ok ? '' : describeFailures('failures' in checked.error ? checked.error.failures : []).join('\n'));
    assert.equal(checked.value.plans.size, items.length);
  });

  it('refuses a defaultMode written as decimal 555 (more than 0777), naming the file, line and field', async () => {
    const t = cluster();
    t.server.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } });
    const text = `apiVersion: apps/v1
kind: Deployment
metadata: {name: modes}
spec:
  selector: {matchLabels: {app: modes}}
  template:
    metadata: {labels: {app: modes}}
    spec:
      containers: [{name: c, image: nginx, volumeMounts: [{name: config, mountPath: /c}]}]
      volumes:
      - name: config
        configMap:
          name: cfg
          defaultMode: 555
`;
    const parsed = parseManifestText(text, 'k8s/modes.yaml');
    const checked = await preflightObjects(t.cluster, applyItems(parsed.objects, NAMESPACE));
    assert.ok(!checked.ok && checked.error.stage === 'preflight');
    const [line] = describeFailures(checked.error.failures);
    assert.match(line!, /^k8s\/modes\.yaml:14 Deployment endpoint-stats\/modes field spec\.template\.spec\.volumes\[0\]\.configMap\.defaultMode: /);
    assert.match(line!, /0777/);
  });
});
