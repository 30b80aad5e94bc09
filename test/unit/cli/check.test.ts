// `dr-runbook check` and `dr-runbook verify` as a person or CI runs them: a real process, on the
// sandbox (the Kubernetes API test server staged as production, a real PostgreSQL, backups made
// by dr-backup.sh).
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { execa } from 'execa';
import { ROOT, startSandbox, type Sandbox } from '../../../scripts/sandbox/sandbox.ts';
import { createJournalWriter } from '../../../src/core/run/journal.js';
import { Redaction } from '../../../src/core/secrets/redaction.js';
import { writeRunReport } from '../../../src/core/run/runReport.js';
import { evidenceContext, runEvents } from '../core/run/runEvents.js';

const CLI = join(ROOT, 'src/cli/cli.ts');

function cli(args: readonly string[], env: NodeJS.ProcessEnv = {}, cwd = ROOT) {
  return execa(process.execPath, ['--import', 'tsx', CLI, ...args], { reject: false, cwd, env, extendEnv: true });
}

describe('dr-runbook check, on the sandbox', function () {
  this.timeout(180_000);
  let sandbox: Sandbox;
  let dir: string;
  before(async () => {
    sandbox = await startSandbox({ trouble: 'db-corrupted', rows: 300, podReadyDelayMs: 30 });
    dir = mkdtempSync(join(tmpdir(), 'dr-cli-check-'));
  });
  after(async () => {
    await sandbox?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('passes: every file, namespace and workload the plan names exists, and the newest backup is within the RPO', async () => {
    const run = await cli(['check', `--backup-dir=${sandbox.backupDir}`], { KUBECONFIG: sandbox.kubeconfigPath });
    assert.equal(run.exitCode, 0, `${run.stdout}\n${run.stderr}`);
    const lines = run.stdout.split('\n');
    assert.match(
      lines[0]!,
      /^dr-runbook check: DR-PLAN\.md in .*, context "dr-runbook-sandbox" \(https?:\/\/127\.0\.0\.1:\d+\)$/,
    );
    assert.ok(lines.includes('✔ DR-PLAN.md: every manifest and script it names exists and parses'), run.stdout);
    assert.ok(
      lines.some((l) =>
        /^✔ context "dr-runbook-sandbox": what the plan names exists: .*Deployment endpoint-stats\/flask-api/.test(l),
      ),
      run.stdout,
    );
    assert.ok(
      lines.some((l) => /^✔ the newest backup, .*\.dump, is 10 min( \d+ s)? old: within the RPO of 1 h$/.test(l)),
      run.stdout,
    );
    assert.equal(lines.filter((l) => l.startsWith('✘')).length, 0);
    assert.match(run.stdout, /The plan matches the project and the cluster\.$/);
  });

  it('fails with a clear list on a plan with a missing manifest and a stale backup, and names a leftover drill namespace', async () => {
    const workspace = join(dir, 'rotted');
    for (const part of ['DR-PLAN.md', 'k8s', 'scripts/backup'])
      cpSync(join(ROOT, part), join(workspace, part), { recursive: true });
    rmSync(join(workspace, 'k8s/cache/redis.yaml'));
    // Only the oldest of the sandbox's backups: hours old.
    const stale = join(dir, 'stale-backups');
    mkdirSync(stale);
    const oldest = sandbox.backups[0]!.file;
    for (const f of [oldest, `${oldest}.sha256`, oldest.replace(/\.dump$/, '.json')]) cpSync(f, join(stale, basename(f)));
    sandbox.cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'endpoint-stats-dr-test' } });
    try {
      const run = await cli(['check', '--workspace', workspace], { KUBECONFIG: sandbox.kubeconfigPath, DR_BACKUP_DIR: stale });
      assert.equal(run.exitCode, 1, `${run.stdout}\n${run.stderr}`);
      const failures = run.stdout.split('\n').filter((l) => l.startsWith('✘'));
      assert.equal(failures.length, 2, run.stdout);
      assert.match(
        failures[0]!,
        /^✘ DR-PLAN\.md:\d+: Step 6 of "Complete cluster failure": k8s\/cache\/redis\.yaml does not exist\.$/,
      );
      assert.match(
        failures[1]!,
        /^✘ the newest backup in .*stale-backups, .*\.dump, is [34] h( \d+ min)? old: older than the RPO of 1 h \(is the backup CronJob running\?\)$/,
      );
      assert.match(run.stdout, /^⚠ the drill's test namespace endpoint-stats-dr-test exists: an earlier drill left it behind/m);
      assert.match(run.stdout, /The plan has drifted: 2 problems, 1 warning\.$/);
    } finally {
      sandbox.cluster.delete('v1', 'Namespace', undefined, 'endpoint-stats-dr-test');
    }
  });

  it('fails when the cluster cannot be reached, and says so', async () => {
    const kubeconfig = join(dir, 'kubeconfig-closed');
    writeFileSync(
      kubeconfig,
      sandbox.cluster.kubeconfig({ context: 'gone', namespace: 'endpoint-stats' }).replace(/127\.0\.0\.1:\d+/, '127.0.0.1:1'),
    );
    const run = await cli(['check', `--kubeconfig=${kubeconfig}`, `--backup-dir=${sandbox.backupDir}`]);
    assert.equal(run.exitCode, 1, run.stdout);
    assert.match(run.stdout, /^✘ .*could not be read: .*127\.0\.0\.1:1/m);
  });

  for (const [name, args, message] of [
    ['no command', [], /^dr-runbook: no command given\. See dr-runbook --help\.$/],
    ['an unknown command', ['drill-all'], /^dr-runbook: unknown command "drill-all"/],
    ['an unknown option', ['check', '--bogus'], /^dr-runbook: Unknown option '--bogus'/],
    [
      'a missing plan',
      ['check', '--plan', 'NO-PLAN.md'],
      /^dr-runbook: the plan .*NO-PLAN\.md cannot be read: it does not exist\. Give --workspace or --plan\. See dr-runbook --help\.$/,
    ],
    ['verify without a path', ['verify'], /^dr-runbook: verify needs the path of a bundle/],
    ['verify of a folder with no bundle', ['verify', 'k8s'], /holds no evidence bundle/],
    ['a malformed --expect', ['verify', 'x.json', '--expect', 'abc'], /--expect takes a SHA-256/],
  ] as const) {
    it(`refuses ${name} with exit code 2 and the reason`, async () => {
      const run = await cli(args);
      assert.equal(run.exitCode, 2, run.stdout);
      assert.match(run.stderr, message);
    });
  }

  it('prints its usage with --help', async () => {
    const run = await cli(['--help']);
    assert.equal(run.exitCode, 0);
    assert.match(run.stdout, /^Usage: dr-runbook <command>/);
  });
});

describe('dr-runbook verify', function () {
  this.timeout(60_000);
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dr-cli-verify-'));
    const journal = join(dir, '2026-12-03-quarterly-dr-drill-0badf00d.jsonl');
    const { started, step, finished } = runEvents({ runId: '0badf00d', scenarioId: 'quarterly-dr-drill', who: 'ci' });
    const writer = createJournalWriter(journal);
    for (const e of [
      started({
        at: '2026-12-03T03:30:00Z',
        context: 'in-cluster',
        namespace: 'endpoint-stats-dr-test',
        incidentStartedAt: '2026-12-03T03:30:00Z',
        steps: [{ number: 1, title: 'Create a namespace' }],
      }),
      step(1, 'running', '2026-12-03T03:30:01Z'),
      step(1, 'succeeded', '2026-12-03T03:30:02Z', { durationMs: 1000 }),
      finished('2026-12-03T03:30:03Z'),
    ]) {
      assert.ok((await writer.append(e)).ok);
    }
    const written = await writeRunReport(journal, {
      scenarioTitle: 'Quarterly DR drill',
      rpoMs: undefined,
      rtoMs: undefined,
      transcript: '',
      redact: new Redaction([]).text,
      evidence: await evidenceContext(dir, 'drill'),
    });
    assert.ok(written.ok);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('verifies every bundle of a folder (exit 0), and fails a tampered record with the line (exit 1)', async () => {
    const ok = await cli(['verify', dir]);
    assert.equal(ok.exitCode, 0, ok.stdout);
    assert.match(ok.stdout, /^✔ .*2026-12-03-quarterly-dr-drill-0badf00d\.evidence\.json: verified \(sha256 [0-9a-f]{64}\)$/m);
    assert.match(ok.stdout, /run record .*: 4 lines, hash chain intact, head matches/);
    const journal = join(dir, '2026-12-03-quarterly-dr-drill-0badf00d.jsonl');
    writeFileSync(journal, readFileSync(journal, 'utf8').replace('"durationMs":1000', '"durationMs":10'));
    const bad = await cli(['verify', join(dir, '2026-12-03-quarterly-dr-drill-0badf00d.evidence.json')]);
    assert.equal(bad.exitCode, 1, bad.stdout);
    assert.match(bad.stdout, /^✘ .*: NOT verified$/m);
    assert.match(bad.stdout, /was tampered with: line 3 was changed/);
  });
});
