import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readdir, readFile, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExecaRunner } from '../../../../src/adapters/process/execaRunner.js';
import { silentLogger } from '../../../../src/core/logger.js';
import { err } from '../../../../src/core/result.js';
import { readJournal, runsFolderName } from '../../../../src/core/run/journal.js';
import type { RunEvent } from '../../../../src/core/run/runModel.js';
import { Redaction } from '../../../../src/core/secrets/redaction.js';
import { RunDesk, type ScenarioRequest, type SessionUi } from '../../../../src/core/run/runSession.js';
import { parsePlan } from '../../../../src/core/runbook/parsePlan.js';
import { agreeingPerson } from '../../../support/runUi.js';

const PLAN = `# Session plan

RPO: 1 hour. RTO: 4 hours.

### Scenario 1: Two checks

1. Look at the dashboards.
2. Run the check:
   \`\`\`
   ./check.sh
   \`\`\`
3. Tell the team.
`;

const runbook = parsePlan(PLAN);
const scenario = runbook.scenarios[0]!;

/** A person who answers yes to everything, and may do something while a manual step waits. */
function person(onManual: (step: number) => Promise<void> = () => Promise.resolve()): SessionUi {
  return {
    ...agreeingPerson({
      manualStep: async (step) => {
        await onManual(step.number);
        return 'done';
      },
    }),
    confirmRun: () => Promise.resolve(true),
    incidentStart: () => Promise.resolve(new Date(Date.now() - 60_000)),
    continueRun: () => Promise.resolve('continue'),
  };
}

describe('run session', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'dr-runbook-session-'));
    // The check passes once the file `ok` exists.
    await writeFile(
      join(root, 'check.sh'),
      '#!/bin/sh\nif [ -e ok ]; then echo checked; else echo "ERROR: not yet"; exit 3; fi\n',
    );
    await chmod(join(root, 'check.sh'), 0o755);
  });
  afterEach(async () => rm(root, { recursive: true, force: true }));

  const request = (output: string[] = [], plan = runbook): ScenarioRequest => ({
    runbook: plan,
    scenario: plan.scenarios[0]!,
    planFile: 'plan.md',
    targets: { context: 'test', namespace: 'endpoint-stats', production: false, database: { host: 'localhost:5432', name: 'x' } },
    env: {
      root,
      namespace: 'endpoint-stats',
      cluster: () => err({ kind: 'unreachable', context: 'test', message: 'No cluster here.', hint: '' }),
      processes: new ExecaRunner(),
      secrets: new Map(),
      production: false,
      readinessTimeoutMs: 10_000,
    },
    output: (t) => output.push(t),
    redact: new Redaction().text,
  });
  const records = async (ext: string) => (await readdir(join(root, runsFolderName))).filter((n) => n.endsWith(ext));
  /** The events of a run record, read as the extension reads them. */
  const recorded = async (path: string): Promise<RunEvent[]> => {
    const read = await readJournal(path);
    assert.ok(read.ok, read.ok ? '' : read.error.message);
    return read.value;
  };
  const timeline = (events: readonly RunEvent[]) => events.map((e) => (e.type === 'step' ? `${e.step}:${e.state}` : e.type));

  // `1.` `1.` `1.` is valid markdown numbering (shown as 1, 2, 3): the same run, record and report as `1.` `2.` `3.`.
  const sameNumbers = parsePlan(
    PLAN.replace('2. Run the check', '1. Run the check').replace('3. Tell the team', '1. Tell the team'),
  );
  for (const [numbering, plan] of [
    ['1. 2. 3.', runbook],
    ['1. 1. 1.', sameNumbers],
  ] as const) {
    it(`continuing from a failed step goes on at the same step in the same record and report (steps written ${numbering})`, async () => {
      const steps = plan.scenarios[0]!.steps;
      assert.deepEqual(
        steps.map((s) => [s.number, s.title]),
        [
          [1, 'Look at the dashboards'],
          [2, 'Run the check'],
          [3, 'Tell the team'],
        ],
      );
      const desk = new RunDesk(root, () => person(), 'alice', silentLogger);
      const first = await desk.runScenario(request([], plan));
      assert.ok(first.ok && first.value);
      assert.equal(first.value.outcome, 'failed');
      assert.equal(first.value.step?.id, steps[1]!.id);
      assert.equal(first.value.state?.status, 'stopped');
      await writeFile(join(root, 'ok'), '');
      const output: string[] = [];
      const second = await desk.runScenario(request(output, plan));
      assert.ok(second.ok && second.value);
      assert.equal(second.value.outcome, 'finished');
      assert.equal(second.value.record, first.value.record);
      assert.doesNotMatch(output.join(''), /plan changed/);
      assert.deepEqual(await records('.jsonl'), [first.value.record!.split('/').pop()]);
      assert.equal((await records('.md')).length, 1);
      const events = await recorded(first.value.record!);
      // The record knows each step by its identity, which is what continuing matches on.
      assert.deepEqual(
        events[0]?.type === 'runStarted' && events[0].steps.map((s) => [s.number, s.id]),
        steps.map((s) => [s.number, s.id]),
      );
      assert.deepEqual(timeline(events), [
        'runStarted',
        '1:running',
        '1:manual',
        '2:running',
        '2:failed',
        'runStopped',
        'runResumed',
        '2:running',
        '2:succeeded',
        '3:running',
        '3:manual',
        'runFinished',
      ]);
      const report = await readFile(second.value.report!, 'utf8');
      assert.match(report, /\| Outcome \| Recovered: every step done \|/);
      assert.deepEqual(
        report.split('\n').flatMap((l) => /^\| (\d) \| ([^|]+) \|/.exec(l)?.slice(1, 3).join(' ') ?? []),
        ['1 Look at the dashboards', '2 Run the check', '3 Tell the team'],
      );
    });
  }

  it('does not continue a stopped run at a step whose command was edited under the same title: it says the plan changed', async () => {
    const desk = new RunDesk(root, () => person(), 'alice', silentLogger);
    const first = await desk.runScenario(request());
    assert.ok(first.ok && first.value?.outcome === 'failed');
    const edited = parsePlan(PLAN.replace('./check.sh', './check.sh --quick'));
    assert.equal(edited.scenarios[0]!.steps[1]!.title, scenario.steps[1]!.title);
    const output: string[] = [];
    const second = await desk.runScenario(request(output, edited));
    assert.ok(second.ok && second.value);
    assert.notEqual(second.value.record, first.value.record);
    assert.match(
      output.join(''),
      /The run stopped at step 2 is closed: the plan changed since \(step 2 "Run the check" was edited since the run started \(its text or commands differ\)\.\)/,
    );
    const closed = (await readFile(first.value.record!, 'utf8')).trim().split('\n').at(-1)!;
    assert.match(closed, /"type":"runCancelled"/);
  });

  it('one at a time: a second run is refused at once while one runs, and the lock goes with the run', async () => {
    let release: () => void = () => undefined;
    const waiting = new Promise<void>((r) => (release = r));
    let asked!: () => void;
    const atManual = new Promise<void>((r) => (asked = r));
    const desk = new RunDesk(root, () => person(async () => (asked(), waiting)), 'alice', silentLogger);
    const running = desk.runScenario(request());
    await atManual;
    const other = new RunDesk(root, () => person(), 'bob', silentLogger);
    const refused = await other.runScenario(request());
    assert.ok(!refused.ok);
    assert.match(
      refused.error,
      new RegExp(
        `Another DR Runbook run is under way in this workspace \\("Two checks" \\(scenario\\), process ${process.pid} on `,
      ),
    );
    const cell = await other.runCell('a cell', scenario.steps[1]!, request().env, () => undefined, new AbortController().signal);
    assert.ok(!cell.ok, 'a notebook cell waits its turn too');
    release();
    assert.ok((await running).ok);
    assert.ok(!existsSync(join(root, runsFolderName, 'run.lock')), 'the lock is gone with the run');
  });

  it('across processes: a live process holding the lock refuses the run; once it is gone, its stale lock is taken over', async () => {
    const holder = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        `import('${fileURLToPath(new URL('../../../../src/core/run/runLock.ts', import.meta.url))}').then(async (m) => { const l = await m.acquireRunLock(${JSON.stringify(join(root, runsFolderName))}, 'another window'); console.log(l.ok ? 'held' : l.error.message); setInterval(() => {}, 1000); })`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.on('data', (d: Buffer) => (String(d).includes('held') ? resolve() : reject(new Error(String(d)))));
      });
      const desk = new RunDesk(root, () => person(), 'alice', silentLogger);
      const refused = await desk.runScenario(request());
      assert.ok(!refused.ok);
      assert.match(refused.error, new RegExp(`another window, process ${holder.pid} on `));
      holder.kill('SIGKILL');
      await new Promise((r) => holder.once('exit', r));
      await writeFile(join(root, 'ok'), '');
      const after = await desk.runScenario(request());
      assert.ok(after.ok && after.value?.outcome === 'finished', "the dead holder's lock is stale");
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('a disk that is full while appending stops the run with the reason, and runs nothing more', async () => {
    const output: string[] = [];
    const desk = new RunDesk(
      root,
      () =>
        person(async (step) => {
          if (step !== 1) return;
          // The record's disk fills up while the person works on step 1.
          const [name] = await records('.jsonl');
          const path = join(root, runsFolderName, name!);
          await unlink(path);
          await symlink('/dev/full', path);
        }),
      'alice',
      silentLogger,
    );
    const result = await desk.runScenario(request(output));
    assert.ok(result.ok && result.value);
    assert.equal(result.value.outcome, 'failed');
    assert.match(result.value.reason ?? '', /Cannot write the run record .*: ENOSPC: no space left on device.*The run stopped/);
    assert.ok(!output.join('').includes('--- step 2'), 'step 2 never started');
  });

  it('refuses a step of a scenario the plan breaks (an unclosed fence), runs nothing and writes no record', async () => {
    const broken = parsePlan(`# Broken plan

### Scenario 1: Unclosed

1. Run the check:
   \`\`\`
   ./check.sh
2. Roll back:
   \`\`\`
   kubectl rollout undo deployment/flask-api
`);
    const desk = new RunDesk(root, () => person(), 'alice', silentLogger);
    const scenario = broken.scenarios[0]!;
    const result = await desk.runStep({ ...request(), runbook: broken, scenario }, scenario.steps[0]!);
    assert.ok(result.ok);
    assert.equal(result.value.state, 'failed');
    assert.match(result.value.summary, /^Not run: the plan breaks "Unclosed" at line \d+: This code block is never closed/);
    assert.deepEqual(await records('.jsonl'), [], 'no record was written');
  });
});
