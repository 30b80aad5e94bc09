import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { connectCluster } from '../../src/adapters/kubernetes/clusterClient.js';
import { deploymentManifest, NEVER_READY_IMAGE } from '../support/testImages.js';
import { deleteNamespace } from '../../src/core/cluster/namespaces.js';
import { activeExtension, channelFileName, channelText, eventually, outputChannelTexts, usePlan, setAnswers } from './support.js';

const NS = 'dr-cancel-test';
const SCENARIO = 'rollout-that-never-becomes-ready';
const CHANNEL = 'DR Runbook: Rollout that never becomes ready';

const PLAN = `# Cancelling a run

RPO: 1 hour. RTO: 4 hours.

### Scenario 1: Rollout that never becomes ready

1. Roll out a deployment whose pods never pass their readiness probe:
   \`\`\`
   kubectl apply -f cancel/never-ready.yaml
   \`\`\`
2. Apply what comes after it:
   \`\`\`
   kubectl apply -f cancel/after.yaml
   \`\`\`
`;

const NEVER_READY = `apiVersion: v1
kind: Namespace
metadata: {name: ${NS}}
---
${deploymentManifest('never-ready', NS, `${NEVER_READY_IMAGE}:1`)}`;

const AFTER = `apiVersion: v1
kind: ConfigMap
metadata: {name: applied-after-cancel, namespace: ${NS}}
data: {step: "2"}
`;

async function live(kind: string, apiVersion: string, name: string): Promise<Record<string, unknown> | undefined> {
  const connected = connectCluster();
  assert.ok(connected.ok, connected.ok ? '' : connected.error.message);
  const read = await connected.value.read({ apiVersion, kind, name, namespace: NS });
  assert.ok(read.ok, read.ok ? '' : read.error.message);
  return read.value ?? undefined;
}

describe('cancelling a run while a step waits for readiness, in the real extension host', () => {
  usePlan('cancel-plan.md', { 'cancel-plan.md': PLAN, 'cancel/never-ready.yaml': NEVER_READY, 'cancel/after.yaml': AFTER });

  afterEach(async () => {
    const { runs } = (await activeExtension()).exports;
    runs.cancel(); // never leave a run behind for the next suite
    setAnswers(runs, undefined);
  });
  after(async function () {
    this.timeout(30_000);
    const connected = connectCluster();
    if (connected.ok) await deleteNamespace(connected.value, NS, { timeoutMs: 20_000 });
  });

  it('"DR Runbook: Cancel Run" stops the wait at once: the step fails as cancelled, the record says cancelled, nothing after it is applied', async function () {
    this.timeout(120_000);
    const { runs, tree } = (await activeExtension()).exports;
    const asked: number[] = [];
    setAnswers(runs, {
      beforeStep: (step) => {
        asked.push(step.number);
        return Promise.resolve('continue');
      },
    });
    const running = vscode.commands.executeCommand<{ outcome: string; step?: { number: number } } | undefined>(
      'drRunbook.runScenario',
      { scenario: { id: SCENARIO } },
    );
    // The deployment is applied and its pod runs, never ready: the step is waiting.
    await eventually(
      'the never-ready pod to be waited for',
      async () => {
        const text = (await outputChannelTexts()).get(channelFileName(CHANNEL));
        return text && /Deployment dr-cancel-test\/never-ready: waiting/.test(text) ? true : undefined;
      },
      60_000,
    );
    const deployment = await live('Deployment', 'apps/v1', 'never-ready');
    assert.ok(deployment, 'step 1 applied its deployment');
    await new Promise((r) => setTimeout(r, 1_000)); // still waiting a second later
    const [scenario] = await tree.getChildren();
    assert.match(String(tree.getTreeItem((await tree.getChildren(scenario))[0]!).description), /^running/);

    const cancelledAt = Date.now();
    await vscode.commands.executeCommand('drRunbook.cancelRun');
    const result = await running;
    const took = Date.now() - cancelledAt;
    assert.equal(result?.outcome, 'cancelled');
    assert.equal(result.step?.number, 1);
    assert.ok(took < 10_000, `the wait stopped ${took} ms after Cancel (the readiness timeout is 600 s)`);
    assert.deepEqual(asked, [1], 'step 2 was never offered');

    // The tree: step 1 failed as cancelled, step 2 never ran.
    const steps = await tree.getChildren(scenario);
    const first = tree.getTreeItem(steps[0]!);
    assert.match(String(first.description), /^failed · /);
    const tooltip = typeof first.tooltip === 'string' ? first.tooltip : (first.tooltip?.value ?? '');
    assert.match(tooltip, /Cancelled while waiting for Deployment dr-cancel-test\/never-ready/);
    assert.doesNotMatch(String(tree.getTreeItem(steps[1]!).description), /^(running|succeeded|failed)/);

    // The run record: step 1 failed, the run cancelled at it.
    const report = await eventually('the run report', () => runs.lastReport);
    const record = new TextDecoder().decode(
      await vscode.workspace.fs.readFile(vscode.Uri.file(report.replace(/\.md$/, '.jsonl'))),
    );
    const events = record
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; step?: number; state?: string; reason?: string; summary?: string });
    assert.equal(events[0]?.type, 'runStarted');
    assert.deepEqual(
      events.filter((e) => e.type === 'step').map((e) => `${e.step}:${e.state}`),
      ['1:running', '1:failed'],
    );
    assert.match(events.find((e) => e.state === 'failed')?.summary ?? '', /^Cancelled while waiting/);
    assert.equal(events.at(-1)?.type, 'runStopped', 'stopped, so it can be continued');
    assert.equal(events.at(-1)?.reason, 'cancelled at step 1');

    // The output says so, and nothing of step 2 reached the cluster, even a while later.
    await channelText(CHANNEL, /=== cancelled at step 1 after /);
    await new Promise((r) => setTimeout(r, 2_000));
    assert.equal(await live('ConfigMap', 'v1', 'applied-after-cancel'), undefined, 'step 2 applied nothing');

    // With nothing under way, Cancel Run says so and changes nothing.
    await vscode.commands.executeCommand('drRunbook.cancelRun');
  });
});
