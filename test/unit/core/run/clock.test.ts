import assert from 'node:assert/strict';
import { backupAgeStatus, elapsedMs, formatClock, rtoStatus } from '../../../../src/core/run/clock.js';

const hour = 3_600_000;

describe('clock', () => {
  it('formats hours and minutes like a clock', () => {
    assert.equal(formatClock(12 * 60_000 + 59_000), '0 h 12 min');
    assert.equal(formatClock(27 * hour + 5 * 60_000), '27 h 5 min');
    assert.equal(formatClock(-5), '0 h 0 min');
    assert.equal(elapsedMs('nonsense', new Date()), 0);
  });

  it('shows the elapsed time against the RTO', () => {
    const now = new Date('2026-03-04T10:12:00Z');
    assert.deepEqual(rtoStatus('2026-03-04T10:00:00Z', now, 4 * hour), {
      text: 'RTO 0 h 12 min / 4 h',
      elapsedMs: 720_000,
      overRto: false,
    });
    const late = rtoStatus('2026-03-04T05:00:00Z', now, 4 * hour);
    assert.equal(late.text, 'RTO 5 h 12 min / 4 h');
    assert.equal(late.overRto, true);
    assert.equal(rtoStatus('2026-03-04T10:00:00Z', now, undefined).text, 'Elapsed 0 h 12 min');
  });

  it('shows the backup age against the RPO and warns when it is older', () => {
    assert.deepEqual(backupAgeStatus(35 * 60_000, hour), { text: 'Backup 0 h 35 min / RPO 1 h', warning: false });
    assert.deepEqual(backupAgeStatus(95 * 60_000, hour), { text: 'Backup 1 h 35 min / RPO 1 h', warning: true });
    assert.deepEqual(backupAgeStatus(undefined, hour), { text: 'No backup / RPO 1 h', warning: true });
    assert.deepEqual(backupAgeStatus(35 * 60_000, undefined), { text: 'Backup 0 h 35 min', warning: false });
  });
});
