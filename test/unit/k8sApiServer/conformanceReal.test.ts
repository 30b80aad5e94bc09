/**
 * Conformance with the second batch of recordings (../shared/k8s-api-fixtures/real-1.26.5, a real
 * kube-apiserver v1.26.5): every exchange is replayed in file-number order against one test server
 * and compared as the first batch's are (status, content type, framing, Warning headers, Status
 * shape and messages, the essential body).
 */
import { startK8sApiServer } from '../../../scripts/k8sApiServer/server.ts';
import { Harness } from './conformanceHarness.ts';
import { registerRealClusterFixtures } from './conformanceRealCluster.ts';
import { registerRealWriteFixtures } from './conformanceRealWrites.ts';
import { fixturesAvailable, loadFixtures } from './fixtureReplay.ts';

const BATCH = 'real-1.26.5';
const available = fixturesAvailable(BATCH);

(available ? describe : describe.skip)('k8sApiServer conformance with the recorded v1.26.5 fixtures (batch 2)', function () {
  this.timeout(60_000);
  const h = new Harness(available ? loadFixtures(BATCH) : new Map());
  before(async () => {
    h.server = await startK8sApiServer({
      nodeName: 'sim-node-0',
      podReadyDelayMs: 20,
      // As the recording's node simulator: a deleted pod goes 300 ms later.
      podTerminationDelayMs: 300,
      namespaceFinalizeDelayMs: 300,
      bookmarkIntervalMs: 300,
      jobPodRunMs: 50,
    });
    // The recorded cluster's add-ons (applied by its harness before recording).
    for (const [name, mode] of [
      ['standard', 'Immediate'],
      ['wait-for-consumer', 'WaitForFirstConsumer'],
    ] as const) {
      h.server.apply(
        {
          apiVersion: 'storage.k8s.io/v1',
          kind: 'StorageClass',
          metadata: {
            name,
            ...(name === 'standard' ? { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } } : {}),
          },
          provisioner: 'sim.local/hostpath',
          reclaimPolicy: 'Delete',
          volumeBindingMode: mode,
        },
        'realk8s-harness',
      );
    }
  });
  after(async () => {
    await h.server?.stop();
  });
  registerRealWriteFixtures(h);
  registerRealClusterFixtures(h);
});
