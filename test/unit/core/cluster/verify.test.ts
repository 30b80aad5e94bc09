/**
 * The check after an apply, against what a real v1.26 apiserver answered (batch 2 of the recorded
 * fixtures): the manifest sent and the live object returned.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject } from '../../../../src/core/cluster/model.js';
import { missingFields } from '../../../../src/core/cluster/verify.js';
import { parseManifestText } from '../../../../src/core/manifests/loadManifests.js';
import { fixturesAvailable, fixturesDir } from '../../k8sApiServer/fixtureReplay.js';

function exchange(name: string): { sent: KubeObject; live: KubeObject } {
  const recorded = JSON.parse(readFileSync(join(fixturesDir(), 'real-1.26.5', name), 'utf8')) as {
    request: { body: string };
    response: { body: KubeObject };
  };
  const [object] = parseManifestText(recorded.request.body, name).objects;
  return { sent: object!.body, live: recorded.response.body };
}

(fixturesAvailable('real-1.26.5') ? describe : describe.skip)(
  'missingFields: every field a manifest sets is on the live object',
  () => {
    it('finds nothing missing in what a real server answered (NetworkPolicy, Deployment with defaults, headless Service)', () => {
      for (const name of [
        '054-ssa-create-networkpolicy.json',
        '005-ssa-defaultmode-0555-yaml-octal.json',
        '051-ssa-create-headless-service.json',
      ]) {
        const { sent, live } = exchange(name);
        assert.deepEqual(missingFields(sent, live), [], name);
      }
    });

    it('names the NetworkPolicy `from` rules when they did not arrive', () => {
      const { sent, live } = exchange('054-ssa-create-networkpolicy.json');
      const dropped = structuredClone(live) as KubeObject & { spec: { ingress: Record<string, unknown>[] } };
      delete dropped.spec.ingress[0]!['from'];
      assert.deepEqual(missingFields(sent, dropped), ['spec.ingress[0].from']);
    });

    it('names a field whose value differs, and allows quantities, int-or-string and Secret stringData', () => {
      const manifest: KubeObject = {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 's' },
        stringData: { password: 'hunter2' },
        spec: { cpu: '0.5', memory: '1Gi', port: 8080, replicas: 2, empty: {}, list: [] },
      };
      const live: KubeObject = {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 's', uid: 'x' },
        data: { password: Buffer.from('hunter2').toString('base64') },
        spec: { cpu: '500m', memory: '1073741824', port: '8080', replicas: 3 },
      };
      assert.deepEqual(missingFields(manifest, live), ['spec.replicas']);
    });
  },
);
