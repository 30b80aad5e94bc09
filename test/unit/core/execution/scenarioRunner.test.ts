import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExecaRunner } from '../../../../src/adapters/process/execaRunner.js';
import { followLogs, followTargetFor } from '../../../../src/core/cluster/logs.js';
import { ok } from '../../../../src/core/result.js';
import { preflightScenario, runScenario, type RunUi } from '../../../../src/core/execution/scenarioRunner.js';
import type { StepState } from '../../../../src/core/run/runModel.js';
import { executeStep, type StepContext } from '../../../../src/core/execution/stepExecutor.js';
import { parsePlan } from '../../../../src/core/runbook/parsePlan.js';
import { FLASK_API, NS, rollOut } from '../../../support/flaskApi.js';
import { useTestCluster, type TestCluster } from '../../../support/testCluster.js';
import { writeBackup } from '../../../support/backups.js';
import { keepingStepEnds } from '../../../support/runUi.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const plan = parsePlan(readFileSync(`${root}DR-PLAN.md`, 'utf8'));
const scenario = (id: string) => plan.scenarios.find((s) => s.id === id)!;

/** A person who answers every question the same way, and keeps what they were shown. */
function person(t: TestCluster, answers: Partial<RunUi> = {}) {
  const seen: string[] = [];
  const logLines: string[] = [];
  const controller = new AbortController();
  const ui: RunUi = {
    beforeStep: () => Promise.resolve('continue'),
    acceptWarnings: () => Promise.resolve(true),
    confirmDestructive: () => Promise.resolve(true),
    fillPlaceholder: () => Promise.resolve(undefined),
    confirmOther: () => Promise.resolve(false),
    confirmRollback: (d) => {
      seen.push(d);
      return Promise.resolve(true);
    },
    manualStep: (_s, facts) => {
      seen.push(...facts);
      return Promise.resolve('done');
    },
    followLogs: async (command, namespace) => {
      const target = await followTargetFor(t.cluster, {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: command.name,
        namespace,
      });
      if (!target.ok) return target;
      void followLogs(t.cluster, target.value, {
        signal: controller.signal,
        onLines: (lines) => void logLines.push(...lines.map((l) => `${l.pod} ${l.text}`)),
      });
      return ok(`Following the logs of ${target.value.name}.`);
    },
    ...answers,
  };
  return { ui, seen, logLines, stopLogs: () => controller.abort() };
}

function context(
  t: TestCluster,
  ui: RunUi,
  output: string[],
  signal = new AbortController().signal,
): StepContext & { ui: RunUi } {
  return {
    root,
    namespace: NS,
    cluster: () => Promise.resolve(ok(t.cluster)),
    processes: new ExecaRunner(),
    ui,
    signal,
    output: (text) => void output.push(text),
    secrets: new Map(
      ['POSTGRES_PASSWORD', 'APP_DB_PASSWORD', 'REDIS_PASSWORD', 'FLASK_SECRET_KEY'].map((n) => [
        n,
        `test-only-${n.toLowerCase()}`,
      ]),
    ),
    production: false,
    readinessTimeoutMs: 15_000,
  };
}

describe('runScenario', () => {
  const cluster = useTestCluster();

  it('runs the application-deployment-failure scenario: facts shown, rollback landed, logs followed', async () => {
    const t = cluster();
    await rollOut(t, 'flask-api:1.0');
    const broken = await rollOut(t, 'flask-api:1.1-broken');
    assert.equal(broken.length, 2);
    const p = person(t);
    const output: string[] = [];
    const states: [number, StepState][] = [];
    const result = await runScenario(scenario('application-deployment-failure'), context(t, p.ui, output), {
      onStep: (step, state) => Promise.resolve(states.push([step.number, state]) > 0),
      targets: () => [],
    });
    assert.deepEqual(result, { outcome: 'finished' });
    assert.deepEqual(states, [
      [1, 'running'],
      [1, 'manual'],
      [2, 'running'],
      [2, 'succeeded'],
      [3, 'running'],
      [3, 'succeeded'],
    ]);
    assert.ok(
      p.seen.some((s) => /revision 2 → 1: flask-api image flask-api:1.1-broken → flask-api:1.0/.test(s)),
      p.seen.join('\n'),
    );
    assert.equal(t.server.get('apps/v1', 'Deployment', NS, 'flask-api')?.spec.template.spec.containers[0].image, 'flask-api:1.0');
    const fresh = t.server
      .list('v1', 'Pod', NS)
      .filter((pod) => pod.spec.containers[0].image === 'flask-api:1.0' && !pod.metadata.deletionTimestamp);
    for (const pod of fresh) t.server.emitLogs(NS, pod.metadata.name as string, 'flask-api', ['GET /healthz 200']);
    const deadline = Date.now() + 10_000;
    while (p.logLines.length < fresh.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    p.stopLogs();
    assert.equal(p.logLines.filter((l) => l.endsWith('GET /healthz 200')).length, fresh.length);
    assert.ok(FLASK_API.name === 'flask-api');
  });

  it('stops at a failing step and says why', async () => {
    const t = cluster();
    const p = person(t);
    const output: string[] = [];
    const { ends, hooks } = keepingStepEnds();
    const result = await runScenario(scenario('application-deployment-failure'), context(t, p.ui, output), hooks);
    assert.equal(result.outcome, 'failed');
    assert.equal(result.step?.number, 2);
    assert.match(ends[1]!, /^2 failed: Deployment endpoint-stats\/flask-api does not exist/);
  });

  it('preflights the complete-cluster-failure scenario on an empty cluster without changing anything', async () => {
    const t = cluster();
    const p = person(t);
    const report = await preflightScenario(plan, scenario('complete-cluster-failure'), 'DR-PLAN.md', context(t, p.ui, []));
    assert.ok(report.ok, report.lines.join('\n'));
    assert.ok(report.lines.some((l) => /server-side dry run of \d+ object\(s\) passed/.test(l)));
    assert.ok(
      report.lines.some((l) =>
        /^ℹ namespace endpoint-stats does not exist yet \(a step creates it\): its \d+ object\(s\) were dry-run as new objects of the same shape in "default".*StatefulSet postgres/.test(
          l,
        ),
      ),
      report.lines.join('\n'),
    );
    assert.equal(t.server.get('v1', 'Namespace', undefined, 'endpoint-stats'), undefined);
  });

  it('refuses in the preflight when a secret value is missing', async () => {
    const t = cluster();
    const p = person(t);
    const report = await preflightScenario(plan, scenario('complete-cluster-failure'), 'DR-PLAN.md', {
      ...context(t, p.ui, []),
      secrets: new Map(['POSTGRES_PASSWORD', 'APP_DB_PASSWORD', 'FLASK_SECRET_KEY'].map((n) => [n, 'x'])),
    });
    assert.equal(report.ok, false);
    assert.ok(report.lines.some((l) => l.includes('secret values not set: REDIS_PASSWORD')));
  });

  it('warns in the preflight of a restore when the newest backup is older than the RPO, and still passes the rest', async () => {
    const t = cluster();
    const p = person(t);
    const backups = await mkdtemp(join(tmpdir(), 'dr-backups-'));
    try {
      await writeBackup(backups, new Date(Date.now() - 2 * 3_600_000 - 60_000));
      const report = await preflightScenario(plan, scenario('complete-cluster-failure'), 'DR-PLAN.md', context(t, p.ui, []), {
        backupDirectory: backups,
      });
      assert.ok(report.ok, report.lines.join('\n'));
      assert.equal(report.warnings.length, 1);
      assert.match(report.warnings[0]!, /endpoint_stats_\d{8}T\d{6}Z\.dump, is 2 h [12] min old: older than the RPO of 1 h/);
      const marks = report.lines.map((l) => l.slice(0, 1));
      assert.deepEqual(marks, ['✔', '⚠', '✔', '✔', 'ℹ'], report.lines.join('\n'));
      assert.match(report.lines.at(-2)!, /server-side dry run of \d+ object\(s\) passed/);
    } finally {
      await rm(backups, { recursive: true, force: true });
    }
  });

  it('asks again before a destructive step even after "run the rest"', async () => {
    const t = cluster();
    await rollOut(t, 'flask-api:1.0');
    await rollOut(t, 'flask-api:1.1');
    const asked: number[] = [];
    const p = person(t, {
      beforeStep: (step) => {
        asked.push(step.number);
        return Promise.resolve(step.number === 2 ? 'stop' : 'rest');
      },
    });
    const result = await runScenario(scenario('application-deployment-failure'), context(t, p.ui, []), {
      onStep: () => Promise.resolve(true),
      targets: () => [],
    });
    assert.deepEqual(asked, [1, 2]);
    assert.equal(result.outcome, 'stopped');
    assert.equal(t.server.get('apps/v1', 'Deployment', NS, 'flask-api')?.spec.template.spec.containers[0].image, 'flask-api:1.1');
  });

  it('applies a step of several files as one: all objects, one preflight, one readiness wait', async () => {
    const t = cluster();
    const p = person(t);
    const output: string[] = [];
    const steps = scenario('complete-cluster-failure').steps;
    const ctx = { ...context(t, p.ui, output), expectedNamespaces: [NS] };
    for (const step of [steps[1]!, steps[2]!, steps[3]!]) {
      const outcome = await executeStep(step, ctx);
      assert.equal(outcome.state, 'succeeded', `${step.number}: ${outcome.summary}`);
    }
    const step4 = output.join('').split('$ kubectl apply -f k8s/security/secrets.yaml')[1]!;
    assert.equal(step4.match(/waiting for \d+ object\(s\) to be ready/g)?.length, 1, 'one wait for the whole step');
    assert.ok(t.server.get('batch/v1', 'CronJob', NS, 'postgres-backup'), 'the last file of the step was applied too');
  });
});
