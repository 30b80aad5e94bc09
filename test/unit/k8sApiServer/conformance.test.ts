/**
 * Conformance: every recorded kube-apiserver exchange in ../shared/k8s-api-fixtures is replayed, in
 * file-number order, against one test server, and the status, content type, framing, Status shape
 * and the essential body are compared (uids, times, resourceVersions, IPs and hashes normalized).
 */
import { startK8sApiServer } from '../../../scripts/k8sApiServer/server.ts';
import { registerApplyFixtures } from './conformanceApply.ts';
import { Harness } from './conformanceHarness.ts';
import { registerLaterFixtures } from './conformanceLater.ts';
import { fixturesAvailable, loadFixtures } from './fixtureReplay.ts';

const available = fixturesAvailable();

(available ? describe : describe.skip)('k8sApiServer conformance with the recorded v1.26 fixtures', function () {
  this.timeout(60_000);
  const h = new Harness(available ? loadFixtures() : new Map());
  before(async () => {
    h.server = await startK8sApiServer({
      nodeName: 'kwok-node-0',
      podReadyDelayMs: 20,
      podTerminationDelayMs: 20,
      namespaceFinalizeDelayMs: 300,
      watchHistoryLimit: 120,
      jobPodRunMs: 50,
    });
  });
  after(async () => {
    await h.server?.stop();
  });
  registerApplyFixtures(h);
  registerLaterFixtures(h);
});
