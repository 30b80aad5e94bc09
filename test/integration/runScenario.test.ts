import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { connectCluster } from '../../src/adapters/kubernetes/clusterClient.js';
import { applyObjects } from '../../src/core/cluster/apply.js';
import { waitForReady } from '../../src/core/cluster/readiness.js';
import { FLASK_API, flaskApiManifests, NS } from '../support/flaskApi.js';
import { activeExtension, eventually, workspaceRoot, setAnswers } from './support.js';

/** Rolls flask-api out with an image, through the engine, against the cluster KUBECONFIG names. */
async function rollOut(image: string): Promise<void> {
  const connected = connectCluster();
  assert.ok(connected.ok, connected.ok ? '' : connected.error.message);
  const applied = await applyObjects(connected.value, flaskApiManifests(image), { force: true });
  assert.ok(applied.ok);
  assert.ok((await waitForReady(connected.value, [FLASK_API], { timeoutMs: 20_000 })).ok);
}

describe('Run DR Scenario, in the real extension host', () => {
  afterEach(async () => {
    setAnswers((await activeExtension()).exports.runs, undefined);
  });

  it('runs the application-deployment-failure scenario: the rollback lands and the tree shows every step’s state', async function () {
    this.timeout(120_000);
    await rollOut('flask-api:1.0');
    await rollOut('flask-api:1.1-broken');
    const { runs, tree } = (await activeExtension()).exports;
    const shown: string[] = [];
    setAnswers(runs, {
      beforeStep: () => Promise.resolve('continue'),
      manualStep: (_step, facts) => {
        shown.push(...facts);
        return Promise.resolve('done');
      },
      confirmRollback: (description) => {
        shown.push(description);
        return Promise.resolve(true);
      },
    });
    const result = await vscode.commands.executeCommand<{ outcome: string; step?: { number: number } }>('drRunbook.runScenario', {
      scenario: { id: 'application-deployment-failure' },
    });
    assert.equal(result.outcome, 'finished');
    assert.ok(
      shown.some((s) => /revision 2 → 1: flask-api image flask-api:1\.1-broken → flask-api:1\.0/.test(s)),
      shown.join('\n'),
    );
    const connected = connectCluster();
    assert.ok(connected.ok);
    const live = await connected.value.read(FLASK_API);
    assert.ok(live.ok);
    const spec = live.value?.['spec'] as { template: { spec: { containers: { image: string }[] } } };
    assert.equal(spec.template.spec.containers[0]?.image, 'flask-api:1.0');

    const [, , app] = await tree.getChildren();
    const steps = await tree.getChildren(app);
    const descriptions = steps.map((s) => String(tree.getTreeItem(s).description));
    assert.match(descriptions[0]!, /^manual · /);
    assert.match(descriptions[1]!, /^succeeded · /);
    assert.match(descriptions[2]!, /^succeeded · /);

    // The record of the run and its report, beside each other under .dr-runs/.
    const report = await eventually('the run report', () => runs.lastReport);
    assert.match(report, /\.dr-runs\/\d{4}-\d\d-\d\d-application-deployment-failure-[0-9a-f]+\.md$/);
    const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.file(report)));
    assert.match(text, /^# DR run report: Application deployment failure/);
    assert.match(text, /\| 2 \| Go back to the last revision that worked \| succeeded \|/);
    const record = new TextDecoder().decode(
      await vscode.workspace.fs.readFile(vscode.Uri.file(report.replace(/\.md$/, '.jsonl'))),
    );
    const events = record
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; state?: string });
    assert.equal(events[0]?.type, 'runStarted');
    assert.equal(events.at(-1)?.type, 'runFinished');
    assert.equal(events.filter((e) => e.type === 'step').length, 6, 'each step recorded before and after');
  });

  it('runs the quarterly drill: the test namespace is created, then deleted and waited for', async function () {
    this.timeout(60_000);
    const { runs, tree } = (await activeExtension()).exports;
    setAnswers(runs, {
      // The steps that copy, restore and check a test environment need the sandbox's database and
      // backups: the CLI test and the e2e drill run them; here they are skipped.
      beforeStep: (step) => Promise.resolve(step.kind === 'drill' ? 'skip' : 'continue'),
      manualStep: () => Promise.resolve('done'),
    });
    const result = await vscode.commands.executeCommand<{ outcome: string; step?: { number: number } }>('drRunbook.runScenario', {
      scenario: { id: 'quarterly-dr-drill' },
    });
    // Step 7 would ask for the namespace name typed on a production context; this one is not.
    assert.equal(result.outcome, 'finished');
    const [, , , drill] = await tree.getChildren();
    const items = (await tree.getChildren(drill)).map((s) => tree.getTreeItem(s));
    assert.match(String(items[1]!.description), /^succeeded/);
    assert.match(String(items[6]!.description), /^succeeded/);
    await eventually('the drill namespace to be gone', async () => {
      const connected = connectCluster();
      if (!connected.ok) return undefined;
      const ns = await connected.value.read({
        apiVersion: 'v1',
        kind: 'Namespace',
        name: 'endpoint-stats-dr-test',
        namespace: undefined,
      });
      return ns.ok && !ns.value ? true : undefined;
    });
  });

  it('stops at a failing step and shows why', async function () {
    this.timeout(60_000);
    const { runs, tree } = (await activeExtension()).exports;
    setAnswers(runs, {
      beforeStep: () => Promise.resolve('continue'),
      manualStep: () => Promise.resolve('done'),
    });
    // No PostgreSQL answers on the port the restore is pointed at: the script fails, the run stops there.
    process.env['PGHOST'] = '127.0.0.1';
    process.env['PGPORT'] = '1';
    try {
      const result = await vscode.commands.executeCommand<{ outcome: string; step?: { number: number } }>(
        'drRunbook.runScenario',
        {
          scenario: { id: 'database-failure' },
        },
      );
      assert.equal(result.outcome, 'failed');
      assert.equal(result.step?.number, 3);
    } finally {
      delete process.env['PGHOST'];
      delete process.env['PGPORT'];
    }
    const [database] = await tree.getChildren();
    const item = tree.getTreeItem((await tree.getChildren(database))[2]!);
    assert.match(String(item.description), /^failed · /);
    assert.match(
      typeof item.tooltip === 'string' ? item.tooltip : (item.tooltip?.value ?? ''),
      /dr-restore\.sh exited with code \d+/,
    );
  });

  it('offers to resume a run a reload interrupted, at the step it was on, with finished steps shown as finished', async function () {
    this.timeout(120_000);
    await rollOut('flask-api:2.0');
    await rollOut('flask-api:2.1-broken');
    const { runs, tree } = (await activeExtension()).exports;
    const root = workspaceRoot();
    const runId = 'feedf00d';
    const record = vscode.Uri.joinPath(root, '.dr-runs', `2026-11-24-application-deployment-failure-${runId}.jsonl`);
    const base = { runId, scenarioId: 'application-deployment-failure', who: 'alice' };
    const lines = [
      {
        ...base,
        type: 'runStarted',
        at: '2026-11-24T10:00:00.000Z',
        context: 'dr-runbook-test',
        namespace: NS,
        incidentStartedAt: '2026-11-24T09:55:00.000Z',
        steps: [
          'Find the deployment that is failing and the revision that broke it',
          'Go back to the last revision that worked',
          'Read the logs to find the root cause',
        ].map((title, i) => ({ number: i + 1, title })),
      },
      { ...base, type: 'step', step: 1, state: 'running', at: '2026-11-24T10:00:01.000Z' },
      {
        ...base,
        type: 'step',
        step: 1,
        state: 'manual',
        at: '2026-11-24T10:00:05.000Z',
        durationMs: 4000,
        summary: 'Done by hand.',
      },
      { ...base, type: 'step', step: 2, state: 'running', at: '2026-11-24T10:00:06.000Z' },
    ];
    await vscode.workspace.fs.writeFile(record, new TextEncoder().encode(lines.map((l) => JSON.stringify(l)).join('\n') + '\n'));
    setAnswers(runs, {
      continueRun: () => Promise.resolve('continue'),
      beforeStep: () => Promise.resolve('continue'),
      confirmRollback: () => Promise.resolve(true),
      manualStep: () => Promise.resolve('done'),
    });
    try {
      await runs.offerResume();
      const [, , app] = await tree.getChildren();
      const first = tree.getTreeItem((await tree.getChildren(app))[0]!);
      assert.match(String(first.description), /^manual · 4 s/);
      const text = await eventually(
        'the resumed run to finish',
        async () => {
          const t = new TextDecoder().decode(await vscode.workspace.fs.readFile(record));
          return t.includes('"runFinished"') ? t : undefined;
        },
        60_000,
      );
      const events = text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { type: string; step?: number; state?: string });
      assert.deepEqual(
        events.filter((e) => e.type === 'step').map((e) => `${e.step}:${e.state}`),
        ['1:running', '1:manual', '2:running', '2:failed', '2:running', '2:succeeded', '3:running', '3:succeeded'],
      );
      const connected = connectCluster();
      assert.ok(connected.ok);
      const live = await connected.value.read(FLASK_API);
      const spec = (live.ok ? live.value?.['spec'] : undefined) as { template: { spec: { containers: { image: string }[] } } };
      assert.equal(spec.template.spec.containers[0]?.image, 'flask-api:2.0');
    } finally {
      setAnswers(runs, undefined);
    }
  });

  it('runs, skips and marks single steps from the tree', async function () {
    this.timeout(60_000);
    const { runs, tree } = (await activeExtension()).exports;
    setAnswers(runs, { manualStep: () => Promise.resolve('done') });
    await vscode.commands.executeCommand('drRunbook.resetScenario', { scenario: { id: 'quarterly-dr-drill' } });
    const [, , , drill] = await tree.getChildren();
    const steps = await tree.getChildren(drill);
    await vscode.commands.executeCommand('drRunbook.markStepDone', steps[0]);
    await vscode.commands.executeCommand('drRunbook.runStep', steps[1]);
    await vscode.commands.executeCommand('drRunbook.skipStep', steps[2]);
    await vscode.commands.executeCommand('drRunbook.runStep', steps[6]);
    const described = (await tree.getChildren(drill)).map((s) => String(tree.getTreeItem(s).description));
    assert.match(described[0]!, /^manual/);
    assert.match(described[1]!, /^succeeded · /);
    assert.match(described[2]!, /^skipped/);
    assert.match(described[3]!, /^drill step, run by DR Runbook/, 'untouched steps keep their kind');
    assert.match(described[6]!, /^succeeded · /);
  });
});
