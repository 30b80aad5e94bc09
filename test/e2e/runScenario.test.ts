import assert from 'node:assert/strict';
import { join } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { makeTempDir, RESULTS } from '../../scripts/lib/codeServer.js';
import { startK8sApiServer, type K8sApiServer } from '../../scripts/k8sApiServer/server.js';
import {
  answerDialog,
  findQuestion,
  normalise,
  openWorkbench,
  palette,
  runFromPalette,
  screenshotOnFailure,
  statusBarText,
  waitForPanelText,
  type Workbench,
} from './workbench.js';

const NS = 'endpoint-stats';

function flaskApi(image: string) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'flask-api', namespace: NS },
    spec: {
      replicas: 2,
      revisionHistoryLimit: 5,
      selector: { matchLabels: { app: 'flask-api' } },
      template: { metadata: { labels: { app: 'flask-api' } }, spec: { containers: [{ name: 'flask-api', image }] } },
    },
  };
}

describe('running a scenario, like a person', () => {
  let cluster: K8sApiServer;
  let workbench: Workbench;
  before(async () => {
    cluster = await startK8sApiServer({ podReadyDelayMs: 100 });
    cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    cluster.apply(flaskApi('ghcr.io/endpoint-stats/flask-api:1.4.2'), 'kubectl');
    await cluster.waitFor('apps/v1', 'Deployment', NS, 'flask-api', (d) => d?.status?.readyReplicas === 2);
    cluster.apply(flaskApi('ghcr.io/endpoint-stats/flask-api:1.5.0-broken'), 'kubectl');
    await cluster.waitFor(
      'apps/v1',
      'Deployment',
      NS,
      'flask-api',
      (d) => d?.status?.updatedReplicas === 2 && d.status.replicas === 2,
    );
    const kubeconfig = await cluster.writeKubeconfig(join(makeTempDir('kube-'), 'kubeconfig'), {
      context: 'dr-sandbox',
      namespace: NS,
    });
    workbench = await openWorkbench({ env: { KUBECONFIG: kubeconfig } });
  });
  screenshotOnFailure(() => workbench);
  after(async () => {
    await workbench?.close();
    await cluster?.stop();
  });

  it('runs "Application deployment failure" from the command palette: the rollback lands, the tree shows each step, the logs channel shows the new pods', async () => {
    const { page } = workbench;
    const rows = await runFromPalette(workbench, 'Application deployment failure');
    await answerDialog(page, 'Continue', /Step 1 \(1 of 3\)/);
    await answerDialog(page, 'Mark Done', /Step 1: Find the deployment/); // the manual step, with its facts
    await answerDialog(page, 'Continue', /Step 2 \(2 of 3\)/);
    await answerDialog(page, 'Roll Back', /Roll back\?/); // shown before it is applied
    await rows.filter({ hasText: 'succeeded' }).first().waitFor({ timeout: 60_000 });
    await workbench.screenshot('run-tree-mid-run.png');
    await answerDialog(page, 'Continue', /Step 3 \(3 of 3\)/); // the logs
    await rows
      .filter({ hasText: '3. Read the logs to find the root cause' })
      .filter({ hasText: 'succeeded' })
      .waitFor({ timeout: 60_000 });

    const deployment = cluster.get('apps/v1', 'Deployment', NS, 'flask-api');
    assert.equal(deployment?.spec.template.spec.containers[0].image, 'ghcr.io/endpoint-stats/flask-api:1.4.2');
    const pods = cluster
      .list('v1', 'Pod', NS)
      .filter((p) => p.spec.containers[0].image.endsWith(':1.4.2') && !p.metadata.deletionTimestamp);
    for (const pod of pods)
      cluster.emitLogs(NS, pod.metadata.name as string, 'flask-api', [`GET /api/v1/stats 200 served by ${pod.metadata.name}`]);
    const panel = await waitForPanelText(page, (text) => pods.every((p) => text.includes(`served by ${p.metadata.name}`)));
    assert.ok(
      pods.every((p) => panel.includes(`[${p.metadata.name}/flask-api] GET /api/v1/stats 200 served by ${p.metadata.name}`)),
      panel,
    );
    await workbench.screenshot('run-logs-panel.png');
    const labels = (await rows.locator('.monaco-icon-label').allInnerTexts()).map((t) => normalise(t).replace(/\s+/g, ' '));
    assert.ok(
      labels.some((l) => /^1\. .*manual/.test(l)),
      labels.join(' | '),
    );
    assert.ok(
      labels.some((l) => /^2\. Go back.*succeeded/.test(l)),
      labels.join(' | '),
    );
  });

  it('while a manual step waits, the terminal takes a command and the palette runs one; a second window cannot start another run', async () => {
    const { page } = workbench;
    await runFromPalette(workbench, 'Application deployment failure');
    await answerDialog(page, 'Continue', /Step 1 \(1 of 3\)/);
    const manual = page.locator('.notification-list-item', { hasText: /Step 1: Find the deployment/ });
    await manual.waitFor({ timeout: 60_000 });

    // The terminal: opened from the palette, a command typed into it runs.
    const marker = join(workbench.workspace, 'typed-during-the-step.txt');
    await palette(page, 'Terminal: Create New Terminal');
    await page.locator('.terminal-wrapper.active .xterm').waitFor({ timeout: 60_000 });
    await page.waitForTimeout(1_000); // the shell's prompt
    await page.keyboard.type(`echo typed-while-step-1-waits > ${marker}`);
    await page.keyboard.press('Enter');
    const deadline = Date.now() + 20_000;
    while (!existsSync(marker) && Date.now() < deadline) await page.waitForTimeout(200);
    assert.equal(readFileSync(marker, 'utf8').trim(), 'typed-while-step-1-waits', 'the terminal ran the command');

    // The palette: a command runs, and Enter goes to the palette, not to the run's question.
    await palette(page, 'DR Runbook: Show Log');
    await page.locator('.part.panel').filter({ hasText: 'DR Runbook' }).first().waitFor({ timeout: 30_000 });
    // The question still waits, unanswered: in its notification, or (once the toast has gone) in the status bar.
    const waiting = page.locator('.statusbar-item', { hasText: 'DR Runbook: Step 1: Find the deployment' });
    assert.ok((await manual.isVisible()) || (await waiting.first().isVisible()), 'the question still waits');
    await workbench.screenshot('run-manual-step-terminal.png');

    // A second window on the same workspace: its own extension host; it may not start a run.
    const second = await page.context().newPage();
    await second.goto(page.url());
    await second.waitForSelector('.monaco-workbench .part.activitybar', { timeout: 120_000 });
    await palette(second, 'DR Runbook: Run DR Scenario');
    await second.locator('.quick-input-list .monaco-list-row', { hasText: 'Quarterly DR drill' }).first().click();
    const refused = second
      .locator('.notification-list-item', { hasText: /Another DR Runbook run is under way in this workspace/ })
      .first();
    await refused.waitFor({ timeout: 60_000 });
    assert.match(normalise(await refused.innerText()), /"Application deployment failure" \(scenario\), process \d+ on /);
    assert.equal(await second.locator('.notification-list-item', { hasText: /Run "Quarterly DR drill"/ }).count(), 0);
    await second.screenshot({ path: join(RESULTS, 'e2e', 'second-window-refused.png') });
    await second.close();
    await page.bringToFront();

    await answerDialog(page, 'Mark Done', /Step 1: Find the deployment/);
    // The rollback: a warning that names its targets, with no default button.
    const destructive = await findQuestion(page, /Step 2 \(2 of 3\) changes or replaces what runs/);
    assert.match(normalise(await destructive.innerText()), /worked\. It acts on: context "dr-sandbox", namespace endpoint-stats/);
    await workbench.screenshot('run-destructive-step.png');
    await answerDialog(page, 'Stop', /Step 2 \(2 of 3\)/);
  });
});

describe('a production context, like a person meets it', () => {
  let cluster: K8sApiServer;
  let workbench: Workbench;
  before(async () => {
    cluster = await startK8sApiServer({ podReadyDelayMs: 100, namespaceFinalizeDelayMs: 200 });
    const kubeconfig = await cluster.writeKubeconfig(join(makeTempDir('kube-'), 'kubeconfig'), {
      context: 'prod-eu-1',
      namespace: NS,
    });
    workbench = await openWorkbench({
      env: { KUBECONFIG: kubeconfig },
      settings: { 'drRunbook.safety.productionContextPatterns': ['^prod'] },
    });
  });
  screenshotOnFailure(() => workbench);
  after(async () => {
    await workbench?.close();
    await cluster?.stop();
  });

  it('asks for the namespace name before deleting it, refuses a wrong one, and deletes nothing', async () => {
    const { page } = workbench;
    const rows = await runFromPalette(workbench, 'Quarterly DR drill');
    for (const n of [1, 2, 3, 4, 5, 6]) {
      // Steps 3 to 6 copy, restore and check a test environment: skipped here, where the deletion is the point.
      await answerDialog(page, n <= 2 ? 'Continue' : 'Skip', new RegExp(`Step ${n} \\(${n} of 7\\)`));
      if (n === 1) await answerDialog(page, 'Mark Done', new RegExp(`Step ${n}: `));
    }
    await answerDialog(page, 'Continue', /Step 7 \(7 of 7\)/);
    const input = page.locator('.quick-input-widget input');
    await page
      .locator('.quick-input-widget', { hasText: 'Type the namespace name "endpoint-stats-dr-test" to confirm.' })
      .waitFor({ timeout: 30_000 });
    await input.fill('endpoint-stats');
    await page.locator('.quick-input-widget', { hasText: 'That is not "endpoint-stats-dr-test".' }).waitFor({ timeout: 10_000 });
    await page.keyboard.press('Enter'); // refused: the wrong name cannot be accepted
    await workbench.screenshot('production-confirmation.png');
    // Given up: the field cleared and Enter (an empty answer confirms nothing).
    await input.fill('');
    await page.keyboard.press('Enter');
    await rows.filter({ hasText: '7. Remove the test environment' }).filter({ hasText: 'skipped' }).waitFor({ timeout: 30_000 });
    assert.ok(cluster.get('v1', 'Namespace', undefined, 'endpoint-stats-dr-test'), 'the namespace was not deleted');
    assert.match(await statusBarText(page), /prod-eu-1/);
  });
});
