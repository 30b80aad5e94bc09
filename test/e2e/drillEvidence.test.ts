import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { basename } from 'node:path';
import { query } from '../../scripts/lib/postgres.ts';
import { DATABASE } from '../../scripts/sandbox/history.ts';
import { startSandbox, type Sandbox } from '../../scripts/sandbox/sandbox.ts';
import { verifyEvidenceBundle } from '../../src/core/run/evidenceBundle.js';
import { createJournalWriter } from '../../src/core/run/journal.js';
import type { RunEvent } from '../../src/core/run/runModel.js';
import {
  answerDialog,
  chooseFile,
  findQuestion,
  openWorkbench,
  runFromPalette,
  screenshotOnFailure,
  statusBarText,
  waitForText,
  type Workbench,
} from './workbench.js';

const DRILL_STEPS = [
  'Book a test window outside peak hours',
  'Create a namespace for the test',
  'Copy the production configuration into the test namespace',
  'Restore a recent backup into the test environment',
  'Check that the application works there',
  'Write down the results and every problem you met',
  'Remove the test environment',
];

/** A successful drill that ended `daysAgo` days ago, recorded in `dir` as the extension records one. */
async function recordOldDrill(dir: string, daysAgo: number): Promise<void> {
  const end = Date.now() - daysAgo * 86_400_000;
  const at = new Date(end - 60_000).toISOString();
  const base = { runId: `old${daysAgo}`, scenarioId: 'quarterly-dr-drill', who: 'alice' };
  const writer = createJournalWriter(join(dir, `old-drill-${daysAgo}.jsonl`));
  const events: RunEvent[] = [
    {
      ...base,
      type: 'runStarted',
      at,
      context: 'dr-sandbox',
      namespace: 'endpoint-stats',
      incidentStartedAt: at,
      steps: DRILL_STEPS.map((title, i) => ({ number: i + 1, title })),
    },
    ...DRILL_STEPS.flatMap((_, i): RunEvent[] => [
      { ...base, type: 'step', step: i + 1, state: 'running', at },
      { ...base, type: 'step', step: i + 1, state: 'succeeded', at, durationMs: 5000 * (i + 1) },
    ]),
    { ...base, type: 'runFinished', at: new Date(end).toISOString() },
  ];
  for (const e of events) assert.ok((await writer.append(e)).ok);
}

/** The production database, as a fingerprint of its requests. */
async function fingerprint(sandbox: Sandbox): Promise<string> {
  const rows = await query(
    sandbox.postgres,
    DATABASE,
    "SELECT count(*) AS n, md5(string_agg(r::text, ',' ORDER BY r.id)) AS h FROM requests r",
  );
  return JSON.stringify(rows);
}

describe('the quarterly drill’s age in the tree, and its report and evidence, like a person sees them', () => {
  let sandbox: Sandbox;
  let workbench: Workbench;
  before(async function () {
    this.timeout(300_000);
    sandbox = await startSandbox({ trouble: 'db-corrupted', rows: 300, podReadyDelayMs: 100 });
    workbench = await openWorkbench({ env: sandbox.env, settings: sandbox.settings });
  });
  screenshotOnFailure(() => workbench);
  after(async () => {
    await workbench?.close();
    await sandbox?.stop();
  });

  it('warns that the last drill is overdue, runs the drill from the palette, opens its report naming the controls, and the warning goes', async function () {
    this.timeout(300_000);
    const { page } = workbench;
    const runs = join(workbench.workspace, '.dr-runs');
    await recordOldDrill(runs, 100);
    await page.locator('.activitybar [aria-label^="DR Runbook"]').first().click();
    await workbench.widenSideBar(620);
    const rows = page.locator('.pane-body .monaco-list-row');
    const drillRow = rows.filter({ hasText: 'Quarterly DR drill' }).first();
    await drillRow.filter({ hasText: 'last drill 100 d ago: overdue (due every 92 d)' }).waitFor({ timeout: 60_000 });
    await drillRow.click(); // expand: each step with its median and p90
    await rows.filter({ hasText: /2\. Create a namespace for the test.*median 10 s · p90 10 s/ }).waitFor({ timeout: 30_000 });
    assert.equal(await drillRow.locator('.codicon-warning').count(), 1, 'the drill row shows a warning icon');
    await workbench.screenshot('drill-age-overdue.png');

    await page.locator('.activitybar [aria-label^="Explorer"]').first().click(); // runFromPalette opens the view again
    const before = await fingerprint(sandbox);
    const newest = sandbox.backups.at(-1)!;
    await runFromPalette(workbench, 'Quarterly DR drill');
    for (let n = 1; n <= 7; n++) {
      if (n === 4) {
        // The status bar forecasts the time left from the earlier drill's step times, against the RTO.
        await findQuestion(page, /Step 4 \(4 of 7\)/);
        // The clock's item can be drawn a moment after the question (a loaded CI run read the
        // status bar before it): look for it for a while.
        const forecast = /RTO 0 h \d+ min \/ 4 h \(~0 h \d+ min left\)/;
        assert.match(
          await waitForText(
            page,
            () => statusBarText(page),
            (t) => forecast.test(t),
            15_000,
          ),
          forecast,
        );
        await workbench.screenshot('drill-forecast.png');
      }
      await answerDialog(page, 'Continue', new RegExp(`Step ${n} \\(${n} of 7\\)`));
      if (n === 1) await answerDialog(page, 'Mark Done', new RegExp(`Step ${n}: `));
      if (n === 4) {
        // The drill's restore asks for the backup with the restore's picker, opened on the backup folder.
        await chooseFile(page, 'Step 4: choose /path/to/backup.dump', newest.file);
      }
    }
    const open = page.locator('.notifications-toasts .monaco-button', { hasText: 'Open Report' });
    await open.waitFor({ timeout: 120_000 });
    await page.setViewportSize({ width: 1400, height: 1300 }); // tall enough for the whole report
    await open.click();
    // The report opens rendered (the markdown preview); its text is the file beside the run's record.
    await page.locator('.tabs-container .tab', { hasText: /^Preview .*quarterly-dr-drill.*\.md/ }).waitFor({ timeout: 30_000 });
    const reportFile = readdirSync(runs).find((n) => n.includes('-quarterly-dr-drill-') && n.endsWith('.md'));
    assert.ok(reportFile, `the report is beside the record: ${readdirSync(runs).join(', ')}`);
    const text = readFileSync(join(runs, reportFile), 'utf8');
    assert.match(text, /DR run report: Quarterly DR drill/);
    assert.match(text, /## Evidence/);
    assert.match(text, /SOC 2 A1\.3 \(Recovery plan testing\)/);
    assert.match(text, new RegExp(`Restored \\S*${basename(newest.file)} into the test database ${DATABASE}_drill`));
    assert.match(text, /## Checks of the restored environment/);
    assert.match(text, /✔ health check of flask-api: GET \/readyz through the API server's service proxy: HTTP 200/);
    // The screenshot shows the rendered checks, once the preview has drawn them.
    const checks = page
      .locator('iframe.webview')
      .first()
      .contentFrame()
      .frameLocator('#active-frame')
      .getByText('Checks of the restored environment');
    await checks.waitFor({ timeout: 30_000 });
    await workbench.screenshot('drill-report.png');
    await checks.scrollIntoViewIfNeeded();
    await workbench.screenshot('drill-report-checks.png');

    await drillRow.filter({ hasText: /last drill just now/ }).waitFor({ timeout: 30_000 });
    assert.equal(await drillRow.locator('.codicon-warning').count(), 0, 'no warning after a successful drill');
    await workbench.screenshot('drill-age-fresh.png');

    const bundles = readdirSync(runs).filter((f) => f.endsWith('.evidence.json'));
    assert.equal(bundles.length, 1, readdirSync(runs).join(', '));
    assert.deepEqual((await verifyEvidenceBundle(join(runs, bundles[0]!))).problems, []);
    // Steps 3 to 6 were run by the engine, not ticked by hand.
    const evidence = JSON.parse(readFileSync(join(runs, bundles[0]!), 'utf8')) as { steps: { number: number; state: string }[] };
    assert.deepEqual(
      evidence.steps.map((s) => `${s.number} ${s.state}`),
      ['1 manual', '2 succeeded', '3 succeeded', '4 succeeded', '5 succeeded', '6 succeeded', '7 succeeded'],
    );
    assert.equal(
      sandbox.cluster.get('v1', 'Namespace', undefined, 'endpoint-stats-dr-test'),
      undefined,
      'the test namespace is gone',
    );
    assert.equal(await fingerprint(sandbox), before, 'the production database is untouched');
    // The checks counted the restored rows; the clean-up dropped the test database after them.
    assert.match(text, new RegExp(`public\\.requests ${newest.rows}\\b`));
    assert.match(text, new RegExp(`Dropped the test database ${DATABASE}_drill on `));
    const left = await query<{ datname: string }>(
      sandbox.postgres,
      'postgres',
      `SELECT datname FROM pg_database WHERE datname LIKE '${DATABASE}_drill%'`,
    );
    assert.deepEqual(left, [], 'no test database is left');
  });
});
