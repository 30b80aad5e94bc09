import assert from 'node:assert/strict';
import { readFile, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { activeExtension, eventually, setAnswers, usePlan, workspaceRoot } from './support.js';
import { startSilentServer, type SilentServer } from '../support/silentServer.js';

const PLAN = `# One run at a time

RPO: 1 hour. RTO: 4 hours.

### Scenario 1: Session checks

1. Look at the dashboards.
2. Restore the check:
   \`\`\`
   ./session/restore-check.sh
   \`\`\`
3. Tell the team.

### Scenario 2: Cluster check

1. Apply the namespace:
   \`\`\`
   kubectl apply -f session/namespace.yaml
   \`\`\`
`;

// Passes once session/ok exists, printing the RPO evidence a restore prints: rows up to now.
const SCRIPT = `#!/bin/sh
cd "$(dirname "$0")"
[ -e ok ] || { echo "ERROR: the backup is not there yet"; exit 3; }
echo "RPO-EVIDENCE newest_row=$(date -u +%Y-%m-%dT%H:%M:%SZ) rows=5"
echo "RESTORE-OK database=endpoint_stats previous=none"
`;

const NAMESPACE = 'apiVersion: v1\nkind: Namespace\nmetadata: {name: dr-session-test}\n';

type Outcome = { outcome: string; step?: { number: number }; reason?: string; record?: string; report?: string } | undefined;

const run = async (id: string): Promise<Outcome> =>
  vscode.commands.executeCommand<Outcome>('drRunbook.runScenario', { scenario: { id } });

describe('a run is one session: one at a time, recorded, cancellable, in the real extension host', () => {
  usePlan(
    'session-plan.md',
    { 'session-plan.md': PLAN, 'session/restore-check.sh': SCRIPT, 'session/namespace.yaml': NAMESPACE },
    ['session/restore-check.sh'],
  );
  const okFile = () => join(workspaceRoot().fsPath, 'session', 'ok');
  afterEach(async () => {
    const { runs } = (await activeExtension()).exports;
    runs.cancel();
    setAnswers(runs, undefined);
    await rm(okFile(), { force: true });
  });

  it('continues from the failed step in the same record and the same report, which warns of a backup newer than the incident', async function () {
    this.timeout(60_000);
    const { runs } = (await activeExtension()).exports;
    setAnswers(runs, {
      beforeStep: () => Promise.resolve('continue'),
      manualStep: () => Promise.resolve('done'),
      confirmDestructive: () => Promise.resolve(true),
      continueRun: () => Promise.resolve('continue'),
      incidentStart: () => Promise.resolve(new Date(Date.now() - 10 * 60_000)),
    });
    const first = await run('session-checks');
    assert.equal(first?.outcome, 'failed');
    assert.equal(first.step?.number, 2);
    await writeFile(okFile(), '');
    const second = await run('session-checks');
    assert.equal(second?.outcome, 'finished', second?.reason);
    assert.equal(second.record, first.record, 'one record');
    assert.equal(second.report, first.report, 'one report');
    const events = (await readFile(second.record!, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string });
    assert.equal(events.filter((e) => e.type === 'runStarted').length, 1);
    assert.deepEqual(
      events.filter((e) => e.type.startsWith('run')).map((e) => e.type),
      ['runStarted', 'runStopped', 'runResumed', 'runFinished'],
    );
    const report = await readFile(second.report!, 'utf8');
    // The row's time is kept to the second: ten minutes after the incident can read 9 min 59 s.
    assert.match(
      report,
      /\*\*RPO warning\*\*: the newest restored row is from .*, (9 min 5\d s|10 min( \d+ s)?) after the incident started: the restored backup was taken after the failure began and may contain the damage/,
    );
    assert.equal(runs.lastReport, second.report);
  });

  it('scenario, single step and notebook cell: one at a time', async function () {
    this.timeout(60_000);
    const { runs, plan } = (await activeExtension()).exports;
    let release!: () => void;
    const waiting = new Promise<void>((r) => (release = r));
    let reached!: () => void;
    const atManual = new Promise<void>((r) => (reached = r));
    setAnswers(runs, {
      beforeStep: () => Promise.resolve('continue'),
      continueRun: () => Promise.resolve('new'),
      manualStep: async () => {
        reached();
        await waiting;
        return 'stop';
      },
    });
    const first = run('session-checks');
    await atManual;
    assert.equal(
      await vscode.commands.executeCommand('drRunbook.runStep', { scenario: { id: 'session-checks' }, step: { number: 3 } }),
      undefined,
    );
    assert.equal(await run('cluster-check'), undefined, 'a second scenario is refused');
    const state = plan.state;
    assert.equal(state.kind, 'loaded');
    const scenario = state.runbook.scenarios[1]!;
    const cell = await runs.executeOne(scenario, scenario.steps[0]!, new AbortController().signal, () => undefined);
    assert.equal(cell.state, 'failed');
    assert.match(cell.summary, /^Another DR Runbook run is under way in this workspace \("Session checks" \(scenario\)/);
    release();
    assert.equal((await first)?.outcome, 'failed');
  });

  describe('a cluster that accepts connections and never answers', () => {
    let hung: SilentServer;
    let saved: string | undefined;
    before(async () => {
      hung = await startSilentServer();
      const original = await readFile(process.env['KUBECONFIG']!, 'utf8');
      const path = join(workspaceRoot().fsPath, 'session', 'hung-kubeconfig');
      await writeFile(path, original.replace(/server: https?:\/\/127\.0\.0\.1:\d+/, `server: ${hung.url}`));
      saved = process.env['KUBECONFIG'];
      process.env['KUBECONFIG'] = path;
    });
    after(async () => {
      process.env['KUBECONFIG'] = saved;
      await hung.close();
    });

    it('Cancel ends the preflight within 2 s, and the next run is not refused', async function () {
      this.timeout(60_000);
      const { runs } = (await activeExtension()).exports;
      setAnswers(runs, { beforeStep: () => Promise.resolve('continue') });
      const asked = hung.nextConnection();
      const running = run('cluster-check');
      await asked; // the preflight's request is in flight, and will never be answered
      assert.ok(runs.cancel());
      const ended = await Promise.race([running, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 2_000))]);
      assert.ok(ended !== 'hung', 'the run ended within 2 s of Cancel');
      assert.equal(ended?.outcome, 'failed');
      assert.match(ended.reason ?? '', /the preflight failed; nothing was changed/);
      const askedAgain = hung.nextConnection();
      const again = run('cluster-check');
      await askedAgain;
      assert.ok(runs.cancel());
      assert.ok(await again, 'the lock was let go: the second run ran');
    });
  });

  it('a disk that is full while appending stops the run with the reason', async function () {
    this.timeout(60_000);
    const { runs } = (await activeExtension()).exports;
    let full: string | undefined;
    setAnswers(runs, {
      beforeStep: () => Promise.resolve('continue'),
      continueRun: () => Promise.resolve('new'),
      manualStep: async () => {
        // While the person works on step 1, the record's disk fills up.
        const open = await eventually('the record', async () => {
          const dir = join(workspaceRoot().fsPath, '.dr-runs');
          const names = (await vscode.workspace.fs.readDirectory(vscode.Uri.file(dir))).map(([n]) => n);
          const mine = names.filter((n) => n.includes('-session-checks-') && n.endsWith('.jsonl')).sort();
          for (const n of mine.reverse()) {
            const text = await readFile(join(dir, n), 'utf8');
            if (!/"runStopped"|"runFinished"|"runCancelled"/.test(text)) return join(dir, n);
          }
          return undefined;
        });
        await unlink(open);
        await symlink('/dev/full', open);
        full = open;
        return 'done';
      },
    });
    const result = await run('session-checks').finally(() => full && unlink(full));
    assert.equal(result?.outcome, 'failed');
    assert.match(result.reason ?? '', /Cannot write the run record .*ENOSPC: no space left on device.*The run stopped/);
  });
});
