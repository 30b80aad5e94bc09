import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExecaRunner } from '../../../../src/adapters/process/execaRunner.js';
import { checkBackupAge, restoresBackup } from '../../../../src/core/execution/backupPreflight.js';
import { preflightScenario, type RunUi } from '../../../../src/core/execution/scenarioRunner.js';
import type { StepContext } from '../../../../src/core/execution/stepExecutor.js';
import { parsePlan } from '../../../../src/core/runbook/parsePlan.js';
import { startPostgres, type PostgresServer } from '../../../../scripts/lib/postgres.js';
import { createSeededDatabase, runScript, scriptEnv } from '../../backup/scriptFixture.js';
import { writeBackup } from '../../../support/backups.js';

const projectRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const plan = parsePlan(readFileSync(`${projectRoot}DR-PLAN.md`, 'utf8'));
const scenario = (id: string) => plan.scenarios.find((s) => s.id === id)!;
const HOUR = 3_600_000;
const NOW = new Date('2026-03-04T12:00:00Z');
const ago = (ms: number) => new Date(NOW.getTime() - ms);

/** The preflight of "Database failure" (a restore, no cluster) with this backup folder. */
async function preflightDatabaseFailure(backupDirectory: string | undefined) {
  const ui = {} as RunUi; // the preflight asks nothing
  const ctx: StepContext = {
    root: projectRoot,
    namespace: 'endpoint-stats',
    cluster: () => Promise.reject(new Error('a restore-only scenario needs no cluster')),
    processes: new ExecaRunner(),
    ui,
    signal: new AbortController().signal,
    output: () => undefined,
    secrets: new Map(),
    production: false,
    readinessTimeoutMs: 10_000,
  };
  return preflightScenario(plan, scenario('database-failure'), 'DR-PLAN.md', ctx, {
    ...(backupDirectory === undefined ? {} : { backupDirectory }),
    now: NOW,
  });
}

describe('the preflight’s backup age against the RPO', () => {
  let root: string;
  let backups: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'dr-preflight-'));
    backups = join(root, 'backups');
    await mkdir(backups);
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const check = (backupDirectory: string | undefined, rpoMs = plan.rpoMs) =>
    checkBackupAge(scenario('database-failure'), { root, backupDirectory, rpoMs, now: NOW });

  it('is made for the scenarios that run dr-restore.sh (the drill restores into its test database), and no other', async () => {
    assert.equal(plan.rpoMs, HOUR, 'the plan promises an RPO of 1 hour');
    assert.deepEqual(
      plan.scenarios.filter(restoresBackup).map((s) => s.id),
      ['database-failure', 'complete-cluster-failure', 'quarterly-dr-drill'],
    );
    for (const id of ['application-deployment-failure']) {
      assert.equal(await checkBackupAge(scenario(id), { root, backupDirectory: 'backups', rpoMs: HOUR, now: NOW }), undefined);
    }
  });

  it('says so, for information, when no backup directory is set', async () => {
    for (const unset of [undefined, '', '  ']) {
      const c = await check(unset);
      assert.equal(c?.level, 'info');
      assert.match(c.text, /not checked against the RPO of 1 h: no backup directory is set \(drRunbook\.backup\.directory/);
    }
    const report = await preflightDatabaseFailure(undefined);
    assert.ok(report.ok, report.lines.join('\n'));
    assert.deepEqual(report.warnings, []);
    assert.ok(report.lines.some((l) => l.startsWith('ℹ ') && l.includes('drRunbook.backup.directory')));
  });

  it('passes a backup younger than the RPO, naming it and its age', async () => {
    await writeBackup(backups, ago(5 * HOUR));
    await writeBackup(backups, ago(35 * 60_000));
    const c = await check('backups');
    assert.deepEqual(c, {
      level: 'ok',
      text: 'the newest backup, backups/endpoint_stats_20260304T112500Z.dump, is 0 h 35 min old, within the RPO of 1 h.',
    });
  });

  it('warns when the newest backup is older than the RPO: the file, its age, the RPO and what to do', async () => {
    await writeBackup(backups, ago(26 * HOUR));
    await writeBackup(backups, ago(3 * HOUR + 5 * 60_000));
    // Newer, but its archive is not there: a backup still being written, or one that died.
    await writeBackup(backups, ago(10 * 60_000), { withDump: false });
    const c = await check('backups');
    assert.equal(c?.level, 'warning');
    assert.match(
      c.text,
      /^the newest backup, backups\/endpoint_stats_20260304T085500Z\.dump, is 3 h 5 min old: older than the RPO of 1 h/,
    );
    assert.match(c.text, /loses up to 3 h 5 min of data/);
    assert.match(c.text, /take one with scripts\/backup\/dr-backup\.sh if the database can still be read/);
    assert.match(c.text, /if there is none, go on with this one/);
  });

  it('warns, and does not refuse, in the preflight of a restore with a stale backup', async () => {
    await writeBackup(backups, ago(3 * HOUR));
    const report = await preflightDatabaseFailure(backups);
    assert.equal(report.ok, true, 'an old backup is better than none: the run may go on');
    assert.equal(report.warnings.length, 1);
    assert.match(report.warnings[0]!, /is 3 h 0 min old: older than the RPO of 1 h/);
    assert.ok(report.lines.includes(`⚠ ${report.warnings[0]!}`), report.lines.join('\n'));
    // Outside the project, the folder is named by its absolute path.
    assert.ok(report.warnings[0]!.includes(join(backups, 'endpoint_stats_20260304T090000Z.dump')));
  });

  it('warns when there is no backup: an empty folder, a folder that is not there', async () => {
    const empty = await check('backups');
    assert.equal(empty?.level, 'warning');
    assert.match(empty.text, /^no backup found against the RPO of 1 h: backups holds no complete backup/);
    assert.match(empty.text, /fetch the offsite backup into backups/);
    const missing = await check('nowhere');
    assert.equal(missing?.level, 'warning');
    assert.match(missing.text, /the backup directory nowhere does not exist\. Check the setting drRunbook\.backup\.directory/);
    await writeBackup(backups, ago(HOUR / 2), { withDump: false });
    assert.match((await check('backups'))!.text, /holds no complete backup/, 'metadata without its archive is no backup');
  });

  it('warns about metadata that cannot be read, naming the file', async () => {
    await writeFile(join(backups, 'endpoint_stats_20260304T113000Z.json'), '{"database": "endpoint_stats"');
    const only = await check('backups');
    assert.equal(only?.level, 'warning');
    assert.match(
      only.text,
      /^no usable backup found against the RPO of 1 h: backups\/endpoint_stats_20260304T113000Z\.json is not backup metadata: not JSON\. Check that file/,
    );
    // Beside a good backup it is still named: it may be the newest one.
    await writeBackup(backups, ago(20 * 60_000));
    const beside = await check('backups');
    assert.equal(beside?.level, 'warning');
    assert.match(beside.text, /is 0 h 20 min old, within the RPO of 1 h\. 1 metadata file\(s\) in backups could not be read/);
    assert.match(beside.text, /\(backups\/endpoint_stats_20260304T113000Z\.json\): one may be a newer backup/);
  });

  it('only tells the age when the plan states no RPO', async () => {
    await writeBackup(backups, ago(7 * HOUR));
    const noRpo = await checkBackupAge(scenario('database-failure'), {
      root,
      backupDirectory: 'backups',
      rpoMs: undefined,
      now: NOW,
    });
    assert.deepEqual(noRpo, {
      level: 'info',
      text: 'the newest backup, backups/endpoint_stats_20260304T050000Z.dump, is 7 h 0 min old; the plan states no RPO to check it against.',
    });
  });
});

describe('the preflight’s backup check reads what dr-backup.sh writes', function () {
  this.timeout(120_000);
  let server: PostgresServer;
  let root: string;
  before(async () => {
    server = await startPostgres();
    await createSeededDatabase(server, 'endpoint_stats', 200);
    root = await mkdtemp(join(tmpdir(), 'dr-preflight-real-'));
  });
  after(async () => {
    await server?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('passes a backup just taken, and warns about the same backup two hours later', async () => {
    const r = await runScript('dr-backup.sh', ['--dir', join(root, 'backups')], scriptEnv(server, 'endpoint_stats'));
    assert.equal(r.exitCode, 0, r.all);
    const options = { root, backupDirectory: 'backups', rpoMs: plan.rpoMs };
    const now = await checkBackupAge(scenario('complete-cluster-failure'), options);
    assert.equal(now?.level, 'ok', now?.text);
    assert.match(
      now.text,
      /^the newest backup, backups\/endpoint_stats_\d{8}T\d{6}Z\.dump, is 0 h [01] min old, within the RPO of 1 h\.$/,
    );
    const later = await checkBackupAge(scenario('complete-cluster-failure'), {
      ...options,
      now: new Date(Date.now() + 2 * HOUR),
    });
    assert.equal(later?.level, 'warning');
    assert.match(later.text, /is 2 h [01] min old: older than the RPO of 1 h/);
  });
});
