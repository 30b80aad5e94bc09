import assert from 'node:assert/strict';
import { normalise, openWorkbench, screenshotOnFailure, type Workbench } from './workbench.js';

describe('the DR Runbook view, like a person uses it', () => {
  let workbench: Workbench;
  before(async () => {
    workbench = await openWorkbench();
  });
  screenshotOnFailure(() => workbench);
  after(async () => {
    await workbench?.close();
  });

  it('opens from the activity bar, lists the four scenarios and expands one into its steps', async () => {
    const { page } = workbench;
    const entry = page.locator('.activitybar [aria-label^="DR Runbook"]').first();
    await entry.waitFor({ timeout: 120_000 });
    await entry.click();
    await workbench.widenSideBar(560);
    const rows = page.locator('.pane-body .monaco-list-row');
    await rows.filter({ hasText: 'Quarterly DR drill' }).waitFor({ timeout: 60_000 });
    const labels = async (): Promise<string[]> =>
      (await rows.locator('.label-name').allInnerTexts()).map((t) => normalise(t).replace(/\s+/g, ' ').trim());
    const scenarios = await labels();
    assert.deepEqual(scenarios, [
      'Database failure',
      'Complete cluster failure',
      'Application deployment failure',
      'Quarterly DR drill',
    ]);

    await rows.filter({ hasText: 'Complete cluster failure' }).first().click();
    await rows.filter({ hasText: '9. Change the DNS records' }).waitFor({ timeout: 30_000 });
    const texts = await labels();
    for (const step of [
      '1. Stand up a new Kubernetes cluster',
      '4. Bring up the database and its hourly backup',
      '5. Load the data from the offsite backup',
    ]) {
      assert.ok(
        texts.some((t) => t.startsWith(step)),
        `no row starts with "${step}": ${texts.join(' | ')}`,
      );
    }
    await workbench.screenshot('plan-view.png');

    // An apply step opens onto its manifest files, and a file onto its Kubernetes objects.
    await rows.filter({ hasText: '4. Bring up the database' }).locator('.monaco-tl-twistie').click();
    await rows.filter({ hasText: 'k8s/database/postgres.yaml' }).waitFor({ timeout: 30_000 });
    await rows.filter({ hasText: 'k8s/database/postgres.yaml' }).locator('.monaco-tl-twistie').click();
    await rows.filter({ hasText: 'StatefulSet postgres' }).waitFor({ timeout: 30_000 });
    const shown = await labels();
    for (const label of ['k8s/security/secrets.yaml', 'k8s/maintenance/backup-cronjob.yaml', 'StatefulSet postgres']) {
      assert.ok(shown.includes(label), `"${label}" is not shown: ${shown.join(' | ')}`);
    }
    await workbench.screenshot('plan-view-objects.png');
  });

  it('offers "Run DR Scenario" in the command palette', async () => {
    const { page } = workbench;
    await page.keyboard.press('F1');
    await page.waitForSelector('.quick-input-widget input', { state: 'visible' });
    await page.keyboard.type('Run DR Scenario');
    const entry = page.locator('.quick-input-list .monaco-list-row', { hasText: 'DR Runbook: Run DR Scenario' }).first();
    await entry.waitFor({ timeout: 30_000 });
    await workbench.screenshot('command-palette.png');
    await page.keyboard.press('Escape');
  });
});
