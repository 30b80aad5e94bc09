// `dr-runbook drill` and `dr-runbook run` as CI or the in-cluster CronJob runs them: a real
// process, on the sandbox (the Kubernetes API test server staged as production, a real PostgreSQL
// with its history of backups made by dr-backup.sh).
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { execa } from 'execa';
import { DATABASE } from '../../../scripts/sandbox/history.ts';
import { query } from '../../../scripts/lib/postgres.ts';
import { ROOT, startSandbox, type Sandbox } from '../../../scripts/sandbox/sandbox.ts';

const CLI = join(ROOT, 'src/cli/cli.ts');
const TEST_NAMESPACE = 'endpoint-stats-dr-test';
const TEST_DATABASE = `${DATABASE}_drill`;

function cli(args: readonly string[], env: NodeJS.ProcessEnv) {
  return execa(process.execPath, ['--import', 'tsx', CLI, ...args], { reject: false, cwd: ROOT, env, extendEnv: true });
}

describe('dr-runbook drill and run, on the sandbox', function () {
  this.timeout(300_000);
  let sandbox: Sandbox;
  let records: string;
  /** The production database, as a fingerprint of every row of every table. */
  const fingerprint = async (): Promise<string> => {
    const rows = await query<{ t: string; n: string; h: string }>(
      sandbox.postgres,
      DATABASE,
      `SELECT 'requests' AS t, count(*)::text AS n, md5(coalesce(string_agg(r::text, ',' ORDER BY r.id), '')) AS h FROM requests r
       UNION ALL SELECT 'endpoints', count(*)::text, md5(coalesce(string_agg(e::text, ',' ORDER BY e.id), '')) FROM endpoints e
       UNION ALL SELECT 'endpoint_stats_hourly', count(*)::text, md5(coalesce(string_agg(s::text, ',' ORDER BY s::text), '')) FROM endpoint_stats_hourly s`,
    );
    return JSON.stringify(rows);
  };
  const databases = async (): Promise<string[]> =>
    (await query<{ datname: string }>(sandbox.postgres, 'postgres', 'SELECT datname FROM pg_database ORDER BY 1')).map(
      (r) => r.datname,
    );
  const drill = (...extra: string[]) =>
    cli(
      [
        'drill',
        '--non-interactive',
        `--records=${records}`,
        `--backup-dir=${sandbox.backupDir}`,
        '--manual=skip',
        '--readiness-timeout=60',
        ...extra,
      ],
      sandbox.env,
    );
  /** The production database and the list of databases, to compare after a refusal. */
  const snapshot = async (): Promise<string> => JSON.stringify([await fingerprint(), await databases()]);
  const nothingChanged = async (before: string): Promise<void> => {
    assert.equal(await snapshot(), before, 'the production database is untouched, and no database was added');
    assert.equal(sandbox.cluster.get('v1', 'Namespace', undefined, TEST_NAMESPACE), undefined, 'no test namespace');
    assert.deepEqual(readdirSync(records), [], 'no run record');
  };

  beforeEach(() => {
    records = mkdtempSync(join(tmpdir(), 'dr-cli-drill-'));
  });
  afterEach(() => rmSync(records, { recursive: true, force: true }));
  before(async () => {
    sandbox = await startSandbox({ trouble: 'db-corrupted', rows: 300, podReadyDelayMs: 30 });
  });
  after(() => sandbox?.stop());

  it('runs the drill end to end: configuration copied, the backup restored into the test database only, the application checked, the namespace gone, and a bundle that verifies', async () => {
    const before = await fingerprint();
    const newest = sandbox.backups.at(-1)!;
    const run = await drill('--backup=newest', `--confirm-delete=${TEST_NAMESPACE}`);
    assert.equal(run.exitCode, 0, `${run.stdout}\n${run.stderr}`);
    // Progress on the terminal, step by step, saying what was checked and how.
    assert.match(run.stdout, /▶ step 3 \(3 of 7\): Copy the production configuration into the test namespace/);
    assert.match(run.stdout, /Ingress endpoint-stats-dr-test\/\S+ \(host \S+ → endpoint-stats-dr-test\.\S+\)/);
    assert.match(
      run.stdout,
      new RegExp(`Restoring ${newest.file} into the test database ${TEST_DATABASE} on 127\\.0\\.0\\.1:\\d+`),
    );
    assert.match(run.stdout, /✔ every workload in endpoint-stats-dr-test ready: \d+ ready/);
    assert.match(
      run.stdout,
      new RegExp(
        `✔ restored rows in the test database ${TEST_DATABASE}: .*public\\.requests ${newest.rows}\\b.*; newest row \\S+ \\(public\\.requests\\.requested_at\\)`,
      ),
    );
    assert.match(
      run.stdout,
      /✔ health check of flask-api: GET \/readyz through the API server's service proxy: HTTP 200 .*simulated service proxy/,
    );
    assert.match(run.stdout, /Gaps: step 1 skipped\./);
    assert.match(run.stdout, /✔ Quarterly DR drill: finished/);

    assert.match(run.stdout, /CronJob postgres-backup: not copied \(a schedule of production's/);
    assert.match(
      run.stdout,
      new RegExp(
        `Dropped the test database ${TEST_DATABASE} on 127\\.0\\.0\\.1:\\d+; the run's database ${DATABASE} was not touched`,
      ),
    );

    assert.equal(await fingerprint(), before, 'the production database is untouched');
    assert.deepEqual(
      (await databases()).filter((d) => d.startsWith(TEST_DATABASE)),
      [],
      'the clean-up dropped the test database (the checks above counted its rows)',
    );
    assert.equal(sandbox.cluster.get('v1', 'Namespace', undefined, TEST_NAMESPACE), undefined, 'the test namespace is gone');

    const runs = records;
    const bundle = readdirSync(runs).find((f) => f.endsWith('.evidence.json'));
    assert.ok(bundle, readdirSync(runs).join(', '));
    const evidence = JSON.parse(readFileSync(join(runs, bundle), 'utf8')) as {
      where: { database: string };
      validations: { name: string; passed: boolean }[];
      backup: { file: string; checksumVerified: boolean };
    };
    assert.match(evidence.where.database, new RegExp(`^127\\.0\\.0\\.1:\\d+/${TEST_DATABASE}$`));
    const names = evidence.validations.map((v) => v.name);
    assert.ok(names.includes(`every workload in ${TEST_NAMESPACE} ready`), names.join('; '));
    assert.ok(names.includes(`restored rows in the test database ${TEST_DATABASE}`), names.join('; '));
    assert.ok(names.includes("health check of flask-api: GET /readyz through the API server's service proxy"), names.join('; '));
    assert.ok(
      evidence.validations.every((v) => v.passed),
      JSON.stringify(evidence.validations),
    );
    assert.equal(basename(evidence.backup.file), basename(newest.file));
    assert.equal(evidence.backup.checksumVerified, true);
    const report = readFileSync(join(runs, bundle.replace('.evidence.json', '.md')), 'utf8');
    assert.match(report, /## Checks of the restored environment/);
    const verified = await cli(['verify', runs], {});
    assert.equal(verified.exitCode, 0, verified.stdout);
    assert.doesNotMatch(run.stdout + readFileSync(join(runs, bundle), 'utf8'), new RegExp(sandbox.postgres.password));
  });

  it('refuses a drill with no backup to restore: a clear error, nothing changed', async () => {
    const before = await snapshot();
    const empty = mkdtempSync(join(tmpdir(), 'dr-cli-nobackup-'));
    try {
      const run = await cli(
        [
          'drill',
          '--non-interactive',
          `--records=${records}`,
          `--backup-dir=${empty}`,
          '--backup=newest',
          '--manual=skip',
          `--confirm-delete=${TEST_NAMESPACE}`,
        ],
        sandbox.env,
      );
      assert.equal(run.exitCode, 2, `${run.stdout}\n${run.stderr}`);
      assert.match(
        run.stderr,
        new RegExp(`there is no backup in ${empty}: take one with scripts/backup/dr-backup\\.sh; nothing was changed`),
      );
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
    await nothingChanged(before);
  });

  it('refuses a backup that does not match its checksum before anything runs, and a restore that fails stops the drill with the production database untouched', async () => {
    const before = await snapshot();
    const folder = mkdtempSync(join(tmpdir(), 'dr-cli-badbackup-'));
    try {
      const newest = sandbox.backups.at(-1)!;
      const damaged = join(folder, basename(newest.file));
      copyFileSync(newest.file, damaged);
      copyFileSync(`${newest.file}.sha256`, `${damaged}.sha256`);
      writeFileSync(damaged, Buffer.concat([readFileSync(damaged).subarray(0, 200), Buffer.from('garbage')]));
      const refused = await drill(`--backup=${damaged}`, `--confirm-delete=${TEST_NAMESPACE}`);
      assert.equal(refused.exitCode, 2, `${refused.stdout}\n${refused.stderr}`);
      assert.match(refused.stderr, /does not match its checksum file .*: choose another backup; nothing was changed/);
      await nothingChanged(before);

      // Without a checksum file, only the restore finds out: the drill stops at that step.
      rmSync(`${damaged}.sha256`);
      const failed = await drill(`--backup=${damaged}`, `--confirm-delete=${TEST_NAMESPACE}`);
      assert.equal(failed.exitCode, 1, `${failed.stdout}\n${failed.stderr}`);
      assert.match(
        failed.stdout,
        /exited with code 7: the backup was not restored into endpoint_stats_drill .*the run's database endpoint_stats was not touched/,
      );
      assert.equal(await snapshot(), before, 'the production database is untouched; the half-restored database is gone');
    } finally {
      rmSync(folder, { recursive: true, force: true });
      sandbox.cluster.delete('v1', 'Namespace', undefined, TEST_NAMESPACE);
      await sandbox.cluster.waitFor('v1', 'Namespace', undefined, TEST_NAMESPACE, (o) => o === undefined, 60_000);
    }
  });

  it('refuses a non-interactive drill whose namespace deletion is not confirmed by name, before anything runs', async () => {
    const before = await snapshot();
    const run = await drill('--backup=newest');
    assert.equal(run.exitCode, 2, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stderr, /cannot run without a person: these questions have no answer\. Nothing was changed\./);
    assert.match(
      run.stderr,
      /step 7 \("Remove the test environment"\) deletes namespace endpoint-stats-dr-test: --confirm-delete=endpoint-stats-dr-test/,
    );
    await nothingChanged(before);
  });

  it('refuses an unknown scenario, naming the plan’s scenarios', async () => {
    const before = await snapshot();
    const run = await cli(['run', 'no-such-scenario', '--non-interactive', `--records=${records}`], sandbox.env);
    assert.equal(run.exitCode, 2);
    assert.match(
      run.stderr,
      /the plan has no scenario "no-such-scenario": name one of .*quarterly-dr-drill \("Quarterly DR drill"\)/,
    );
    await nothingChanged(before);
  });

  it('refuses a non-interactive run whose destructive step lacks --allow-destructive, then runs it with the flag (last: it restores production)', async () => {
    const before = await snapshot();
    const args = [
      'run',
      'database-failure',
      '--non-interactive',
      `--records=${records}`,
      '--manual=done',
      '--incident-start=now',
    ];
    const refused = await cli(args, sandbox.env);
    assert.equal(refused.exitCode, 2, `${refused.stdout}\n${refused.stderr}`);
    assert.match(
      refused.stderr,
      /step 3 \("When the data itself is damaged, restore the newest backup"\) is destructive \(script\): --allow-destructive/,
    );
    await nothingChanged(before);

    const run = await cli([...args, '--allow-destructive'], sandbox.env);
    assert.equal(run.exitCode, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /RESTORE-OK database=endpoint_stats previous=endpoint_stats_pre_restore_/);
    const restored = await query<{ n: string }>(sandbox.postgres, DATABASE, 'SELECT count(*)::text AS n FROM requests');
    assert.equal(Number(restored[0]?.n), sandbox.backups.at(-1)!.rows, 'the production database is the newest backup now');
    assert.ok(readdirSync(records).some((f) => f.endsWith('.evidence.json')));
  });
});
