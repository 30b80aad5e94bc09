import assert from 'node:assert/strict';
import { LineFramer, formatLogLine, type LogLine } from '../../../../src/core/cluster/logLines.js';
import { followLogs, followTargetFor } from '../../../../src/core/cluster/logs.js';
import { FLASK_API, NS, rollOut } from '../../../support/flaskApi.js';
import { useTestCluster } from '../../../support/testCluster.js';
import { until } from '../../../support/until.js';

const REF = FLASK_API;

describe('LineFramer', () => {
  it('splits chunks into lines, keeping partial lines, and parses timestamps', () => {
    const framer = new LineFramer('p', 'c');
    const out: LogLine[] = [];
    framer.push('2026-11-24T21:52:13.000000001Z hel', out);
    framer.push('lo\n2026-11-24T21:52:13.5Z world\nno stamp', out);
    framer.flush(out);
    assert.deepEqual(
      out.map((l) => [l.timestamp, l.text]),
      [
        ['2026-11-24T21:52:13.000000001Z', 'hello'],
        ['2026-11-24T21:52:13.5Z', 'world'],
        ['', 'no stamp'],
      ],
    );
    assert.equal(formatLogLine(out[0]!), '[p/c] hello');
  });

  it('after a reconnect, drops what was already delivered and keeps what is new, even at the same instant', () => {
    const framer = new LineFramer('p', 'c');
    const out: LogLine[] = [];
    framer.push('2026-11-24T10:00:00.1Z a\n2026-11-24T10:00:00.2Z b\n2026-11-24T10:00:00.2Z b\n', out);
    assert.equal(framer.resumeFrom, '2026-11-24T10:00:00.2Z');
    framer.reconnected();
    // The server repeats from the second the reconnect asked for.
    framer.push(
      '2026-11-24T10:00:00.1Z a\n2026-11-24T10:00:00.2Z b\n2026-11-24T10:00:00.2Z b\n2026-11-24T10:00:00.2Z b\n2026-11-24T10:00:00.3Z c\n',
      out,
    );
    assert.deepEqual(
      out.map((l) => l.text),
      ['a', 'b', 'b', 'b', 'c'],
    );
  });
});

describe('followLogs (pod logs through client-node)', () => {
  const cluster = useTestCluster();

  it('follows every container of every pod, across dropped streams, with no gap and no duplicate', async () => {
    const t = cluster();
    const pods = await rollOut(t, 'flask-api:1.0', { sidecar: true });
    assert.equal(pods.length, 2);
    const target = await followTargetFor(t.cluster, REF);
    assert.ok(target.ok);
    assert.equal(target.value.selector, 'app=flask-api');
    const received: LogLine[] = [];
    const status: string[] = [];
    const controller = new AbortController();
    const following = followLogs(t.cluster, target.value, {
      signal: controller.signal,
      onLines: (lines) => void received.push(...lines),
      onStatus: (s) => status.push(s),
      reconnectDelayMs: 20,
    });
    const expected: string[] = [];
    for (let round = 0; round < 4; round++) {
      if (round === 1) {
        // Cut every open stream now, and the next four streams after three lines each.
        t.server.faults.dropStreams({ kind: 'log', after: 3, times: 4 });
        t.server.faults.dropStreams({ kind: 'log' });
      }
      for (const pod of pods) {
        const lines = Array.from({ length: 10 }, (_, i) => `round ${round} line ${i} of ${pod}`);
        t.server.emitLogs(NS, pod, 'flask-api', lines);
        expected.push(...lines.map((l) => `${pod}/flask-api ${l}`));
        t.server.emitLogs(NS, pod, 'proxy', [`proxy ${round} of ${pod}`]);
        expected.push(`${pod}/proxy proxy ${round} of ${pod}`);
      }
      await until(`round ${round}`, () => received.length >= expected.length);
    }
    await new Promise((r) => setTimeout(r, 200));
    controller.abort();
    assert.ok((await following).ok);
    const got = received.map((l) => `${l.pod}/${l.container} ${l.text}`);
    assert.ok(
      status.filter((s) => s.startsWith('reconnecting')).length >= 4,
      `the streams were cut and reconnected: ${status.join('; ')}`,
    );
    assert.deepEqual([...got].sort(), [...expected].sort(), 'every line exactly once');
    for (const pod of pods) {
      const mine = got.filter((g) => g.startsWith(`${pod}/flask-api `));
      assert.deepEqual(
        mine,
        expected.filter((e) => e.startsWith(`${pod}/flask-api `)),
        'in order per container',
      );
    }
  });

  it('picks up the new pods of a rollout and stops following the old ones', async () => {
    const t = cluster();
    const oldPods = await rollOut(t, 'flask-api:1.0', { sidecar: true });
    const target = await followTargetFor(t.cluster, REF);
    assert.ok(target.ok);
    const received: LogLine[] = [];
    const status: string[] = [];
    const controller = new AbortController();
    const following = followLogs(t.cluster, target.value, {
      signal: controller.signal,
      onLines: (lines) => void received.push(...lines),
      onStatus: (s) => status.push(s),
    });
    await until('the old pods to be followed', () => oldPods.every((p) => status.includes(`following ${p}/flask-api`)));
    const newPods = await rollOut(t, 'flask-api:2.0', { sidecar: true });
    assert.equal(newPods.length, 2);
    await until('the new pods to be followed', () => newPods.every((p) => status.includes(`following ${p}/flask-api`)));
    for (const pod of newPods) t.server.emitLogs(NS, pod, 'flask-api', [`hello from ${pod}`]);
    await until('lines of the new pods', () => newPods.every((p) => received.some((l) => l.text === `hello from ${p}`)));
    await until('the old pods to be dropped', () => oldPods.every((p) => status.includes(`stopped following ${p}/flask-api`)));
    controller.abort();
    assert.ok((await following).ok);
  });

  it('slows the streams down for a slow consumer instead of buffering without bound', async () => {
    const t = cluster();
    const [pod] = await rollOut(t, 'flask-api:1.0', { sidecar: true });
    const target = await followTargetFor(t.cluster, REF);
    assert.ok(target.ok);
    let delivered = 0;
    let largestBatch = 0;
    const controller = new AbortController();
    const following = followLogs(t.cluster, target.value, {
      signal: controller.signal,
      maxBufferedLines: 100,
      onLines: async (lines) => {
        delivered += lines.length;
        largestBatch = Math.max(largestBatch, lines.length);
        await new Promise((r) => setTimeout(r, 20));
      },
    });
    t.server.emitLogs(
      NS,
      pod!,
      'flask-api',
      Array.from({ length: 5_000 }, (_, i) => `line ${i}`),
    );
    await until('all lines', () => delivered >= 5_000, 30_000);
    controller.abort();
    await following;
    assert.ok(largestBatch < 5_000, `batches stay bounded (largest ${largestBatch})`);
  });
});
