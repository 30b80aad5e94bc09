// The three flows the users named, on the sandbox `npm run sandbox` starts, driven like a person:
// the command palette, the tree's step buttons, and the log output panel. Each asserts on what
// the screen shows; the database and the cluster are checked too.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator } from 'playwright-core';
import { BROKEN_IMAGE, NAMESPACE } from '../../scripts/sandbox/cluster.ts';
import { DATABASE } from '../../scripts/sandbox/history.ts';
import { startSandbox, type Sandbox } from '../../scripts/sandbox/sandbox.ts';
import { query } from '../../scripts/lib/postgres.ts';
import { k8sItems } from '../support/k8sManifests.js';
import {
  answerDialog,
  chooseFile,
  normalise,
  openWorkbench,
  panelText,
  runFromPalette,
  screenshotOnFailure,
  waitForPanelText,
  type Workbench,
} from './workbench.js';

/** The tree rows' labels and descriptions, as shown ("2. Go back ... succeeded · 1.2 s"). */
async function rowTexts(rows: Locator): Promise<string[]> {
  return (await rows.locator('.monaco-icon-label').allInnerTexts()).map((t) => normalise(t).replace(/\s+/g, ' ').trim());
}

/** Starts the sandbox with `trouble` and opens a workbench on it, for the enclosing describe(). */
function onSandbox(trouble: Sandbox['trouble']): () => { sandbox: Sandbox; workbench: Workbench } {
  let sandbox: Sandbox | undefined;
  let workbench: Workbench | undefined;
  before(async function () {
    this.timeout(300_000);
    sandbox = await startSandbox({ trouble, rows: 20_000, podReadyDelayMs: 300 });
    workbench = await openWorkbench({ env: sandbox.env, settings: sandbox.settings });
  });
  screenshotOnFailure(() => workbench);
  after(async () => {
    await workbench?.close();
    await sandbox?.stop();
  });
  return () => {
    if (!sandbox || !workbench) throw new Error('the sandbox did not start');
    return { sandbox, workbench };
  };
}

describe('flow 1: "Run DR Scenario" from the palette, "Complete cluster failure", on the sandbox with the cluster lost', () => {
  const current = onSandbox('cluster-lost');

  it('runs every step to the end, restores the real database from the offsite backup, and opens the run report', async function () {
    this.timeout(600_000);
    const { sandbox, workbench } = current();
    const { page } = workbench;
    const backup = sandbox.backups.at(-1)!;
    const rows = await runFromPalette(workbench, 'Complete cluster failure', '5 min ago');
    for (let n = 1; n <= 9; n++) {
      await answerDialog(page, 'Continue', new RegExp(`Step ${n} \\(${n} of 9\\)`));
      if (n === 1 || n === 9) await answerDialog(page, 'Mark Done', new RegExp(`Step ${n}: `));
      if (n === 5) {
        // The plan's /path/to/offsite/backup.sql: chosen with the file picker, which opens in the backup folder.
        await chooseFile(page, 'Step 5: choose /path/to/offsite/backup.sql', backup.file);
        await rows
          .filter({ hasText: '5. Load the data from the offsite backup' })
          .filter({ hasText: 'succeeded' })
          .waitFor({ timeout: 180_000 });
        await workbench.screenshot('flow1-restored.png');
      }
    }
    const report = page.locator('.notifications-toasts .monaco-button', { hasText: 'Open Report' });
    await report.waitFor({ timeout: 120_000 });
    // Every step shows as finished: "succeeded · 2 s", or "manual · 0 s" for a step done by hand.
    for (let n = 1; n <= 9; n++)
      await rows
        .filter({ hasText: new RegExp(`^${n}\\. .*(succeeded|manual) · `) })
        .waitFor({ timeout: 10_000 })
        .catch(async () => assert.fail(`step ${n} is not shown as finished: ${(await rowTexts(rows)).join(' | ')}`));
    await report.click();
    // The report opens rendered (the markdown preview); its text is the file beside the run's record.
    const tab = page.locator('.tabs-container .tab', { hasText: /^Preview .*complete-cluster-failure.*\.md/ });
    await tab.waitFor({ timeout: 30_000 });
    const runs = join(workbench.workspace, '.dr-runs');
    const reportFile = readdirSync(runs).find((n) => n.includes('-complete-cluster-failure-') && n.endsWith('.md'));
    assert.ok(reportFile, 'the report is beside the record');
    const text = readFileSync(join(runs, reportFile), 'utf8');
    assert.match(text, /DR run report: Complete cluster failure/);
    // Counted from the incident's start as answered: 5 minutes before the run; the newest backup is 10 minutes old.
    assert.match(text, /RTO met\*\*: recovered in 5 min/);
    assert.match(text, /RPO met\*\*: the newest restored row is from \S+, [4-6] min/);
    await workbench.screenshot('flow1-report.png');

    // The real database came back from the backup: every row the backup holds, none after it.
    const [counted] = await query<{ n: number }>(sandbox.postgres, DATABASE, 'SELECT count(*)::int AS n FROM requests');
    assert.equal(counted!.n, backup.rows);
    const api = sandbox.cluster.get('apps/v1', 'Deployment', NAMESPACE, 'flask-api');
    assert.equal(api?.status?.readyReplicas, api?.spec?.replicas, 'the Flask API is ready in the new cluster');

    // The recovered cluster is as secure as its manifests: every NetworkPolicy holds its rules
    // (`from` included) exactly as written.
    const policies = (await k8sItems()).filter((i) => i.ref.kind === 'NetworkPolicy');
    assert.ok(policies.length >= 2);
    for (const policy of policies) {
      const live = sandbox.cluster.get('networking.k8s.io/v1', 'NetworkPolicy', NAMESPACE, policy.ref.name);
      assert.deepEqual(live?.spec, policy.body['spec'], `NetworkPolicy ${policy.ref.name} equals its manifest`);
    }
  });
});

describe('flows 2 and 3: the tree and the log panel, on the sandbox with a bad deployment', () => {
  const current = onSandbox('bad-deploy');

  it('flow 2: runs scenario 3’s rollback from its step in the tree, and the step’s icon turns to succeeded', async function () {
    this.timeout(300_000);
    const { sandbox, workbench } = current();
    const { page } = workbench;
    await page.locator('.activitybar [aria-label^="DR Runbook"]').first().click();
    await workbench.widenSideBar(560);
    const rows = page.locator('.pane-body .monaco-list-row');
    await rows.filter({ hasText: 'Application deployment failure' }).first().click();
    const step = rows.filter({ hasText: '2. Go back to the last revision that worked' });
    await step.hover();
    await step.locator('.action-label[aria-label="Run This Step"]').click();
    await answerDialog(page, 'Roll Back', /Roll back\?/);
    await step.filter({ hasText: 'succeeded' }).waitFor({ timeout: 120_000 });
    assert.equal(await step.locator('.codicon-pass-filled').count(), 1, 'the succeeded icon shows');
    await workbench.screenshot('flow2-tree-rollback.png');
    const api = sandbox.cluster.get('apps/v1', 'Deployment', NAMESPACE, 'flask-api');
    assert.notEqual(api?.spec.template.spec.containers[0].image, BROKEN_IMAGE, 'the broken release is rolled back');
  });

  it('flow 3: follows the flask-api logs and shows lines from the new pods after the rollback', async function () {
    this.timeout(300_000);
    const { sandbox, workbench } = current();
    const { page } = workbench;
    const rows = page.locator('.pane-body .monaco-list-row');
    const step = rows.filter({ hasText: '3. Read the logs to find the root cause' });
    await step.hover();
    await step.locator('.action-label[aria-label="Run This Step"]').click();
    await step.filter({ hasText: 'succeeded' }).waitFor({ timeout: 60_000 });
    const newPods = sandbox.cluster
      .list('v1', 'Pod', NAMESPACE)
      .filter((p) => p.metadata.labels?.['app.kubernetes.io/name'] === 'flask-api' && !p.metadata.deletionTimestamp)
      .filter((p) => p.spec.containers[0].image !== BROKEN_IMAGE)
      .map((p) => p.metadata.name as string);
    assert.ok(newPods.length >= 1);
    // The sandbox's pods write a request line a second: wait until each new pod's show in the panel.
    const served = newPods.map((pod) => new RegExp(`\\[${pod}/flask-api\\] .*GET /api/v1/\\S* 200`));
    const text = await waitForPanelText(page, (t) => served.every((line) => line.test(t)));
    for (const line of served) assert.match(text, line);
    const tabs = normalise(await page.locator('.part.panel').innerText());
    assert.match(tabs, /Logs: endpoint-stats\/flask-api/);
    await workbench.screenshot('flow3-logs-panel.png');
  });
});

describe('the default sandbox, damaged data: "Database failure" from the palette', () => {
  const current = onSandbox('db-corrupted');

  it('restores the newest backup from the backup folder and keeps the damaged database under another name', async function () {
    this.timeout(300_000);
    const { sandbox, workbench } = current();
    const { page } = workbench;
    const rows = await runFromPalette(workbench, 'Database failure');
    await answerDialog(page, 'Continue', /Step 1 \(1 of 3\)/);
    await answerDialog(page, 'Mark Done', /Step 1: /);
    await answerDialog(page, 'Continue', /Step 2 \(2 of 3\)/);
    await answerDialog(page, 'Skip', /Step 2: /); // the data is damaged: no point waiting for a reschedule
    await answerDialog(page, 'Continue', /Step 3 \(3 of 3\)/);
    await rows.filter({ hasText: /^3\. .*succeeded · / }).waitFor({ timeout: 180_000 });
    const channel = await panelText(page);
    assert.match(channel, /RESTORE-OK database=endpoint_stats previous=endpoint_stats_pre_restore_\d{8}T\d{6}Z/);
    await workbench.screenshot('flow-db-restored.png');

    const names = (await query<{ datname: string }>(sandbox.postgres, 'postgres', 'SELECT datname FROM pg_database')).map(
      (r) => r.datname,
    );
    assert.ok(
      names.some((n) => n.startsWith(`${DATABASE}_pre_restore_`)),
      `the damaged database is kept: ${names.join(', ')}`,
    );
    const [restored] = await query<{ n: number }>(sandbox.postgres, DATABASE, 'SELECT count(*)::int AS n FROM requests');
    assert.equal(restored!.n, sandbox.backups.at(-1)!.rows, 'the newest backup, every row of it');
  });
});
