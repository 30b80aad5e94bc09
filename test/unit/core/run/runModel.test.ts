import assert from 'node:assert/strict';
import { applyEvent, canTransition, foldRun } from '../../../../src/core/run/runModel.js';
import { runEvents } from './runEvents.js';

const { base, started: startedEvent, step, finished } = runEvents({ runId: 'r1', scenarioId: 'database-failure', who: 'alice' });
const started = startedEvent({
  at: '2026-01-01T10:00:00Z',
  context: 'kind-dr',
  namespace: 'endpoint-stats',
  incidentStartedAt: '2026-01-01T09:50:00Z',
  steps: [
    { number: 1, title: 'Identify the failure cause', kind: 'manual' },
    { number: 2, title: 'Restore the database', kind: 'script' },
    { number: 3, title: 'Check the application', kind: 'other' },
  ],
});

describe('foldRun', () => {
  it('folds a whole run: states, durations, current step and times', () => {
    const result = foldRun([
      started,
      step(1, 'manual', '2026-01-01T10:01:00Z'),
      step(2, 'running', '2026-01-01T10:02:00Z'),
      step(2, 'succeeded', '2026-01-01T10:07:30Z', { summary: 'RESTORE-OK database=endpoint_stats' }),
      step(3, 'skipped', '2026-01-01T10:08:00Z'),
      finished('2026-01-01T10:08:00Z'),
    ]);
    assert.ok(result.ok);
    const run = result.value;
    assert.deepEqual(
      run.steps.map((s) => [s.number, s.state]),
      [
        [1, 'manual'],
        [2, 'succeeded'],
        [3, 'skipped'],
      ],
    );
    assert.equal(run.steps[1]!.durationMs, 330_000);
    assert.equal(run.steps[1]!.summary, 'RESTORE-OK database=endpoint_stats');
    assert.equal(run.status, 'finished');
    assert.equal(run.startedAt, '2026-01-01T10:00:00Z');
    assert.equal(run.finishedAt, '2026-01-01T10:08:00Z');
    assert.equal(run.currentStep, undefined);
    assert.equal(run.context, 'kind-dr');
    assert.equal(run.incidentStartedAt, '2026-01-01T09:50:00Z');
  });

  it('prefers the duration the event gives and tracks the current step', () => {
    const result = foldRun([
      started,
      step(1, 'running', '2026-01-01T10:00:00Z'),
      step(1, 'succeeded', '2026-01-01T10:00:05Z', { durationMs: 4200 }),
    ]);
    assert.ok(result.ok);
    assert.equal(result.value.steps[0]!.durationMs, 4200);
    assert.equal(result.value.currentStep, 2);
    const running = foldRun([started, step(1, 'manual', '2026-01-01T10:00:00Z'), step(2, 'running', '2026-01-01T10:01:00Z')]);
    assert.ok(running.ok);
    assert.equal(running.value.currentStep, 2);
    assert.equal(running.value.steps[1]!.state, 'running');
  });

  it('retries a failed step, and a reset lets a succeeded step run again', () => {
    const result = foldRun([
      started,
      step(1, 'running', '2026-01-01T10:00:00Z'),
      step(1, 'failed', '2026-01-01T10:00:10Z', { error: 'exit code 8' }),
      step(1, 'running', '2026-01-01T10:01:00Z'),
      step(1, 'succeeded', '2026-01-01T10:01:20Z'),
      step(1, 'pending', '2026-01-01T10:02:00Z'),
      step(1, 'running', '2026-01-01T10:02:10Z'),
    ]);
    assert.ok(result.ok);
    assert.equal(result.value.steps[0]!.state, 'running');
    assert.equal(result.value.steps[0]!.error, undefined);
  });

  it('keeps the error of a failed step and points the current step at it', () => {
    const result = foldRun([
      started,
      step(1, 'running', '2026-01-01T10:00:00Z'),
      step(1, 'failed', '2026-01-01T10:00:10Z', { error: 'boom' }),
    ]);
    assert.ok(result.ok);
    assert.equal(result.value.steps[0]!.error, 'boom');
    assert.equal(result.value.steps[0]!.durationMs, 10_000);
    assert.equal(result.value.currentStep, 1);
  });

  it('refuses succeeded → running without a reset', () => {
    const result = foldRun([
      started,
      step(1, 'running', '2026-01-01T10:00:00Z'),
      step(1, 'succeeded', '2026-01-01T10:00:01Z'),
      step(1, 'running', '2026-01-01T10:00:02Z'),
    ]);
    assert.ok(!result.ok);
    assert.equal(result.error.kind, 'transition');
    assert.equal(result.error.index, 3);
    assert.match(result.error.message, /Step 1 cannot go from succeeded to running without a reset/);
  });

  it('refuses pending → succeeded (a step must run first) and skipped → running without a reset', () => {
    const a = foldRun([started, step(2, 'succeeded', '2026-01-01T10:00:00Z')]);
    assert.ok(!a.ok);
    assert.equal(a.error.kind, 'transition');
    const b = foldRun([started, step(2, 'skipped', '2026-01-01T10:00:00Z'), step(2, 'running', '2026-01-01T10:00:01Z')]);
    assert.ok(!b.ok);
    assert.equal(b.error.kind, 'transition');
  });

  it('lets a running step end skipped (a confirmation declined) or done by hand', () => {
    const skipped = foldRun([started, step(2, 'running', '2026-01-01T10:00:00Z'), step(2, 'skipped', '2026-01-01T10:00:01Z')]);
    assert.ok(skipped.ok);
    const manual = foldRun([started, step(1, 'running', '2026-01-01T10:00:00Z'), step(1, 'manual', '2026-01-01T10:00:01Z')]);
    assert.ok(manual.ok);
  });

  it('refuses a second running step, an unknown step, and another run’s event', () => {
    const busy = foldRun([started, step(1, 'running', '2026-01-01T10:00:00Z'), step(2, 'running', '2026-01-01T10:00:01Z')]);
    assert.ok(!busy.ok);
    assert.equal(busy.error.kind, 'busy');
    const unknown = foldRun([started, step(9, 'running', '2026-01-01T10:00:00Z')]);
    assert.ok(!unknown.ok);
    assert.equal(unknown.error.kind, 'unknownStep');
    const other = foldRun([started, { ...step(1, 'running', '2026-01-01T10:00:00Z'), runId: 'r2' }]);
    assert.ok(!other.ok);
    assert.equal(other.error.kind, 'wrongRun');
  });

  it('refuses runs that do not start with runStarted, a second start, and events after the end', () => {
    assert.equal(foldRun([]).ok, false);
    const notStarted = foldRun([step(1, 'running', '2026-01-01T10:00:00Z')]);
    assert.ok(!notStarted.ok);
    assert.equal(notStarted.error.kind, 'notStarted');
    const twice = foldRun([started, started]);
    assert.ok(!twice.ok);
    assert.equal(twice.error.kind, 'alreadyStarted');
    const after = foldRun([started, finished('2026-01-01T10:00:00Z'), step(1, 'running', '2026-01-01T10:00:01Z')]);
    assert.ok(!after.ok);
    assert.equal(after.error.kind, 'ended');
  });

  it('refuses to finish while a step runs, but a cancel fails the running step', () => {
    const finish = foldRun([started, step(1, 'running', '2026-01-01T10:00:00Z'), finished('2026-01-01T10:00:01Z')]);
    assert.ok(!finish.ok);
    assert.equal(finish.error.kind, 'stepRunning');
    const cancel = foldRun([
      started,
      step(1, 'running', '2026-01-01T10:00:00Z'),
      { ...base, type: 'runCancelled', at: '2026-01-01T10:00:30Z', reason: 'Stopped by the user' },
    ]);
    assert.ok(cancel.ok);
    assert.equal(cancel.value.status, 'cancelled');
    assert.equal(cancel.value.cancelReason, 'Stopped by the user');
    assert.equal(cancel.value.steps[0]!.state, 'failed');
    assert.equal(cancel.value.steps[0]!.durationMs, 30_000);
  });
});

describe('applyEvent and canTransition', () => {
  it('lets the caller check an event before appending it', () => {
    const run = foldRun([started]);
    assert.ok(run.ok);
    assert.ok(applyEvent(run.value, step(1, 'running', '2026-01-01T10:00:00Z')).ok);
    assert.ok(!applyEvent(run.value, step(1, 'failed', '2026-01-01T10:00:00Z')).ok);
  });

  it('always allows a reset, never leaves a settled state otherwise', () => {
    for (const from of ['pending', 'running', 'succeeded', 'failed', 'skipped', 'manual'] as const)
      assert.ok(canTransition(from, 'pending'));
    for (const from of ['succeeded', 'skipped', 'manual'] as const) {
      for (const to of ['running', 'succeeded', 'failed', 'skipped', 'manual'] as const)
        assert.equal(canTransition(from, to), false);
    }
    assert.ok(canTransition('failed', 'running'));
    assert.ok(canTransition('pending', 'manual'));
  });
});
