import assert from 'node:assert/strict';
import { parsePlan } from '../../../../src/core/runbook/parsePlan.js';
import { matchRecordedStep } from '../../../../src/core/runbook/stepIdentity.js';

const before = parsePlan(
  [
    '## Outage',
    '1. Look at the pods',
    '2. Apply the stack',
    '   ```',
    '   kubectl apply -f k8s/',
    '   ```',
    '3. Call the team',
  ].join('\n'),
).scenarios[0]!;

describe('step identity', () => {
  it('survives renumbering and a step inserted before it', () => {
    const after = parsePlan(
      [
        '## Outage',
        '1. Declare the incident',
        '1. Look at the pods',
        '1. Apply the stack',
        '   ```',
        '   kubectl apply -f k8s/',
        '   ```',
        '1. Call the team',
      ].join('\n'),
    ).scenarios[0]!;
    const recorded = before.steps[1]!;
    const match = matchRecordedStep(after, recorded);
    assert.deepEqual(match.kind === 'same' && [match.step.number, match.step.id], [3, recorded.id]);
  });

  it('says the plan changed, and which step would run instead, when the step’s command changed', () => {
    const after = parsePlan(
      ['## Outage', '1. Look at the pods', '2. Apply the stack', '   ```', '   kubectl apply -f k8s/core/', '   ```'].join('\n'),
    ).scenarios[0]!;
    const match = matchRecordedStep(after, before.steps[1]!);
    assert.equal(match.kind, 'changed');
    assert.ok(match.kind === 'changed' && match.step.number === 2 && /was edited since the run started/.test(match.reason));
  });

  it('offers the step now at the recorded number when the recorded one is gone, and says when nothing is left', () => {
    const after = parsePlan(['## Outage', '1. Look at the pods', '2. Page the database team'].join('\n')).scenarios[0]!;
    const changed = matchRecordedStep(after, before.steps[1]!);
    assert.ok(changed.kind === 'changed' && changed.step.text === 'Page the database team');
    assert.match(
      changed.kind === 'changed' ? changed.reason : '',
      /no longer has step 2 "Apply the stack"; step 2 is now "Page the database team"/,
    );
    assert.equal(matchRecordedStep(after, before.steps[2]!).kind, 'gone');
  });

  it('matches a record written before identities by its title', () => {
    const match = matchRecordedStep(before, { number: 9, title: 'Call the team' });
    assert.ok(match.kind === 'same' && match.step.number === 3);
  });
});
