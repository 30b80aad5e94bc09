import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  appendEvent,
  createJournalWriter,
  findUnfinishedRun,
  journalFileName,
  journalPath,
  newRunId,
  parseJournal,
  readJournal,
  reportPathFor,
} from '../../../../src/core/run/journal.js';
import { Redaction } from '../../../../src/core/secrets/redaction.js';
import type { RunEvent } from '../../../../src/core/run/runModel.js';

function runEvents(runId: string, startedAt: string, finished: boolean): RunEvent[] {
  const base = { runId, scenarioId: 'database-failure', who: 'alice' };
  const events: RunEvent[] = [
    {
      ...base,
      type: 'runStarted',
      at: startedAt,
      context: 'kind-dr',
      namespace: 'endpoint-stats',
      incidentStartedAt: startedAt,
      steps: [
        { number: 1, title: 'Identify the failure cause', kind: 'manual' },
        { number: 2, title: 'Restore the database', kind: 'script' },
      ],
    },
    { ...base, type: 'step', step: 1, state: 'manual', at: startedAt },
    { ...base, type: 'step', step: 2, state: 'running', at: startedAt },
  ];
  if (finished) {
    events.push({ ...base, type: 'step', step: 2, state: 'succeeded', at: startedAt, durationMs: 1000, summary: 'ok' });
    events.push({ ...base, type: 'runFinished', at: startedAt });
  }
  return events;
}

describe('journal', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'dr-journal-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('names records by UTC day, scenario and run id, with the report beside them', () => {
    assert.equal(
      journalFileName('2026-03-04T23:59:00-02:00', 'database-failure', 'ab12cd34'),
      '2026-03-05-database-failure-ab12cd34.jsonl',
    );
    const path = journalPath('/ws', new Date('2026-03-04T10:00:00Z'), 'database-failure', 'ab12cd34');
    assert.equal(path, join('/ws', '.dr-runs', '2026-03-04-database-failure-ab12cd34.jsonl'));
    assert.equal(reportPathFor(path), join('/ws', '.dr-runs', '2026-03-04-database-failure-ab12cd34.md'));
    assert.match(newRunId(), /^[0-9a-f]{8}$/);
    assert.notEqual(newRunId(), newRunId());
  });

  it('round-trips events through the file, one JSON line each, creating the folder', async () => {
    const path = journalPath(root, '2026-03-04T10:00:00Z', 'database-failure', 'r1');
    const events = runEvents('r1', '2026-03-04T10:00:00Z', true);
    for (const event of events) assert.ok((await appendEvent(path, event)).ok);
    const text = await readFile(path, 'utf8');
    assert.equal(text.split('\n').length, events.length + 1);
    const read = await readJournal(path);
    assert.ok(read.ok);
    assert.deepEqual(read.value, events);
  });

  it('ignores a truncated last line, and the next append drops it', async () => {
    const path = join(root, 'run.jsonl');
    const [first, second, third] = runEvents('r1', '2026-03-04T10:00:00Z', false);
    await appendEvent(path, first!);
    await appendEvent(path, second!);
    const cut = JSON.stringify(third).slice(0, 25);
    await appendFile(path, cut);
    const read = await readJournal(path);
    assert.ok(read.ok);
    assert.equal(read.value.length, 2);
    await appendEvent(path, third!);
    const again = await readJournal(path);
    assert.ok(again.ok);
    assert.deepEqual(again.value, [first, second, third]);
    assert.ok(!(await readFile(path, 'utf8')).includes(cut + '{'));
  });

  it('keeps a whole last event that only lacks its newline', async () => {
    const path = join(root, 'run.jsonl');
    const [first, second, third] = runEvents('r1', '2026-03-04T10:00:00Z', false);
    await writeFile(path, `${JSON.stringify(first)}\n${JSON.stringify(second)}`);
    const read = await readJournal(path);
    assert.ok(read.ok);
    assert.equal(read.value.length, 2);
    await appendEvent(path, third!);
    const again = await readJournal(path);
    assert.ok(again.ok);
    assert.deepEqual(again.value, [first, second, third]);
  });

  it('reports corruption before the last line, with its line number', () => {
    const [first, second] = runEvents('r1', '2026-03-04T10:00:00Z', false);
    const bad = parseJournal(`${JSON.stringify(first)}\n{"runId": "r1", "sce\n${JSON.stringify(second)}\n`, 'x.jsonl');
    assert.ok(!bad.ok);
    assert.equal(bad.error.kind, 'corrupt');
    assert.equal(bad.error.line, 2);
    const wrongShape = parseJournal(
      `${JSON.stringify(first)}\n{"type":"step","runId":"r1","scenarioId":"s","who":"a","at":"2026-01-01T00:00:00Z","step":1,"state":"done"}\n`,
    );
    assert.ok(!wrongShape.ok);
    assert.match(wrongShape.error.message, /unknown step state "done"/);
    const badEvidence = parseJournal(
      `${JSON.stringify(first)}\n${JSON.stringify({ ...second, type: 'step', step: 1, state: 'manual', evidence: { newestRow: 'soon' } })}\n`,
    );
    assert.ok(!badEvidence.ok);
    assert.match(badEvidence.error.message, /evidence\.newestRow/);
    const badId = parseJournal(`${JSON.stringify({ ...first, steps: [{ id: 7, number: 1, title: 'One' }] })}\n`);
    assert.ok(!badId.ok);
    assert.match(badId.error.message, /a step's "id" must be a string/);
    const completeButBad = parseJournal(`${JSON.stringify(first)}\n[1,2]\n`);
    assert.ok(!completeButBad.ok);
    assert.ok(parseJournal('').ok);
  });

  it('says when a record cannot be read', async () => {
    const read = await readJournal(join(root, 'missing.jsonl'));
    assert.ok(!read.ok);
    assert.equal(read.error.kind, 'unreadable');
  });

  it('finds the newest unfinished run, skipping finished ones and reporting broken ones', async () => {
    const dir = join(root, '.dr-runs');
    assert.deepEqual(await findUnfinishedRun(dir), { run: undefined, problems: [] });
    const write = async (name: string, events: RunEvent[]) => {
      for (const e of events) await appendEvent(join(dir, name), e);
    };
    await write('2026-03-01-database-failure-old.jsonl', runEvents('old', '2026-03-01T10:00:00Z', false));
    await write('2026-03-02-database-failure-new.jsonl', runEvents('new', '2026-03-02T10:00:00Z', false));
    await write('2026-03-03-database-failure-done.jsonl', runEvents('done', '2026-03-03T10:00:00Z', true));
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, '2026-03-04-database-failure-bad.jsonl'), 'not json\n{}\n');
    await writeFile(join(dir, 'notes.txt'), 'ignored');
    const found = await findUnfinishedRun(dir);
    assert.equal(found.run?.state.runId, 'new');
    assert.equal(found.run?.path, join(dir, '2026-03-02-database-failure-new.jsonl'));
    assert.equal(found.run?.state.currentStep, 2);
    assert.equal(found.run?.state.steps[0]!.state, 'manual');
    assert.equal(found.problems.length, 1);
    assert.match(found.problems[0]!.message, /bad\.jsonl:1: not a JSON record/);
  });

  it('reports a record whose events are impossible', async () => {
    const dir = join(root, '.dr-runs');
    const [first] = runEvents('r1', '2026-03-04T10:00:00Z', false);
    await appendEvent(join(dir, 'r1.jsonl'), first!);
    await appendEvent(join(dir, 'r1.jsonl'), {
      runId: 'r1',
      scenarioId: 'database-failure',
      who: 'alice',
      at: '2026-03-04T10:00:01Z',
      type: 'step',
      step: 1,
      state: 'succeeded',
    });
    const found = await findUnfinishedRun(dir);
    assert.equal(found.run, undefined);
    assert.match(found.problems[0]!.message, /event 2: Step 1 cannot go from pending to succeeded/);
  });
});

describe('journal writer', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'dr-writer-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('keeps the order of events fired without waiting, and redacts their free text', async () => {
    const writer = createJournalWriter(join(root, '.dr-runs', 'r1.jsonl'), new Redaction(['hunter22']).text);
    const base = { runId: 'r1', scenarioId: 'database-failure', who: 'alice', at: '2026-03-04T10:00:00Z' };
    const events = runEvents('r1', '2026-03-04T10:00:00Z', false);
    const failed: RunEvent = {
      ...base,
      type: 'step',
      step: 2,
      state: 'failed',
      error: 'psql: password=hunter22 rejected',
      summary: 'PGPASSWORD=hunter22',
    };
    const cancelled: RunEvent = { ...base, type: 'runCancelled', reason: 'hunter22 leaked' };
    const results = await Promise.all([...events, failed, cancelled].map((e) => writer.append(e)));
    assert.ok(results.every((r) => r.ok));
    const read = await readJournal(writer.path);
    assert.ok(read.ok);
    assert.deepEqual(
      read.value.map((e) => (e.type === 'step' ? `${e.step}:${e.state}` : e.type)),
      ['runStarted', '1:manual', '2:running', '2:failed', 'runCancelled'],
    );
    const text = await readFile(writer.path, 'utf8');
    assert.ok(!text.includes('hunter22'));
    assert.match(text, /password=\*\*\* rejected/);
  });
});
