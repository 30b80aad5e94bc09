import assert from 'node:assert/strict';
import { parseIncidentStart } from '../../../../src/core/run/incidentStart.js';

const NOW = new Date('2026-11-25T03:10:00Z');
const at = (text: string, offset = 0): string => {
  const r = parseIncidentStart(text, NOW, offset);
  assert.ok(r.ok, r.ok ? '' : r.error);
  return r.value.toISOString();
};
const refused = (text: string): string => {
  const r = parseIncidentStart(text, NOW, 0);
  assert.ok(!r.ok, `accepted ${text}`);
  return r.error;
};

describe('parseIncidentStart: when the incident started, as typed at 3 a.m.', () => {
  it('reads an empty answer and "now" as now', () => {
    assert.equal(at(''), NOW.toISOString());
    assert.equal(at('  NOW '), NOW.toISOString());
  });

  it('reads "N min ago" and "N h ago"', () => {
    assert.equal(at('25 min ago'), '2026-11-25T02:45:00.000Z');
    assert.equal(at('1.5 h ago'), '2026-11-25T01:40:00.000Z');
    assert.equal(at('2 hours ago'), '2026-11-25T01:10:00.000Z');
  });

  it('reads a clock time in the local zone, yesterday when it is still to come today', () => {
    assert.equal(at('02:40'), '2026-11-25T02:40:00.000Z');
    assert.equal(at('02:40', -60), '2026-11-25T01:40:00.000Z'); // UTC+1: 02:40 local is 01:40 UTC
    assert.equal(at('23:50'), '2026-11-24T23:50:00.000Z');
  });

  it('reads an ISO 8601 time with its zone', () => {
    assert.equal(at('2026-11-25T02:40Z'), '2026-11-25T02:40:00.000Z');
    assert.equal(at('2026-11-25 03:40:30+01:00'), '2026-11-25T02:40:30.000Z');
  });

  it('refuses what it cannot read, a time to come, and a time more than a week back, saying why', () => {
    assert.match(refused('yesterday-ish'), /is not a time DR Runbook reads: Enter for now/);
    assert.match(refused('25:00'), /is not a time/);
    assert.match(refused('2026-11-25T02:40'), /is not a time/); // no zone: ambiguous
    assert.match(refused('2026-11-25T04:00Z'), /is in the future/);
    assert.match(refused('200 h ago'), /more than a week ago/);
  });
});
