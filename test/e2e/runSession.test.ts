// A run that never locks the editor, and one run per workspace across windows: driven like a person.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { makeTempDir, RESULTS } from '../../scripts/lib/codeServer.js';
import { startK8sApiServer, type K8sApiServer } from '../../scripts/k8sApiServer/server.js';
import { answerDialog, normalise, openWorkbench, runFromPalette, screenshotOnFailure, type Workbench } from './workbench.js';

const NS = 'endpoint-stats';

function flaskApi(image: string) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'flask-api', namespace: NS },
    spec: {
      replicas: 1,
      revisionHistoryLimit: 5,
      selector: { matchLabels: { app: 'flask-api' } },
      template: { metadata: { labels: { app: 'flask-api' } }, spec: { containers: [{ name: 'flask-api', image }] } },
    },
  };
}

/** Runs a palette command by its title. */
async function palette(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  await page.waitForSelector('.quick-input-widget input', { state: 'visible' });
  await page.keyboard.type(title);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().click();
}

describe('a run that does not lock the editor, one per workspace, like a person', () => {
  let cluster: K8sApiServer;
  let workbench: Workbench;
  before(async () => {
    cluster = await startK8sApiServer({ podReadyDelayMs: 100, anonymousIsAdmin: true });
    cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    cluster.apply(flaskApi('ghcr.io/endpoint-stats/flask-api:1.4.2'), 'kubectl');
    await cluster.waitFor('apps/v1', 'Deployment', NS, 'flask-api', (d) => d?.status?.readyReplicas === 1);
    cluster.apply(flaskApi('ghcr.io/endpoint-stats/flask-api:1.5.0-broken'), 'kubectl');
    await cluster.waitFor('apps/v1', 'Deployment', NS, 'flask-api', (d) => d?.status?.updatedReplicas === 1);
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
    const destructive = page.locator('.notification-list-item', { hasText: /Step 2 \(2 of 3\) changes or replaces what runs/ });
    await destructive.waitFor({ timeout: 60_000 });
    assert.match(normalise(await destructive.innerText()), /context "dr-sandbox", namespace endpoint-stats/);
    await workbench.screenshot('run-destructive-step.png');
    await answerDialog(page, 'Stop', /Step 2 \(2 of 3\)/);
  });
});
