/**
 * When the incident started, as the person on call types it: the RTO clock and the RPO evidence
 * count from it. Accepts an empty answer (now), "25 min ago" / "2 h ago", a clock time "02:40"
 * (today in the given time zone offset, or yesterday when that is still to come), or an ISO 8601
 * time. Refuses a time in the future or more than a week back, with a message that says why.
 */
import { err, ok, type Result } from '../result.js';

const WEEK_MS = 7 * 24 * 3_600_000;
/** Clocks differ a little: a time up to this far ahead counts as now. */
const SKEW_MS = 60_000;

export const INCIDENT_START_HINT = 'Enter for now, or e.g. "25 min ago", "02:40", "2026-11-25T02:40Z"';

/**
 * `offsetMinutes` is the local zone's offset as Date#getTimezoneOffset gives it (UTC minus local
 * time, in minutes), for clock times; tests pass it so they do not depend on the machine's zone.
 */
export function parseIncidentStart(text: string, now: Date, offsetMinutes = now.getTimezoneOffset()): Result<Date, string> {
  const input = text.trim();
  if (input === '' || /^now$/i.test(input)) return ok(now);
  let at: Date | undefined;
  const ago = /^(\d+(?:\.\d+)?)\s*(m|min|mins|minutes?|h|hours?)\s+ago$/i.exec(input);
  const clock = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(input);
  if (ago) {
    const hours = /^h/i.test(ago[2]!);
    at = new Date(now.getTime() - Number(ago[1]) * (hours ? 3_600_000 : 60_000));
  } else if (clock) {
    // The wall clock of the local zone: shift now into it, set the time, shift back.
    const local = new Date(now.getTime() - offsetMinutes * 60_000);
    local.setUTCHours(Number(clock[1]), Number(clock[2]), 0, 0);
    at = new Date(local.getTime() + offsetMinutes * 60_000);
    if (at.getTime() > now.getTime() + SKEW_MS) at = new Date(at.getTime() - 24 * 3_600_000);
  } else if (/^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)$/i.test(input)) {
    const parsed = Date.parse(input.replace(' ', 'T'));
    if (!Number.isNaN(parsed)) at = new Date(parsed);
  }
  if (!at) return err(`"${input}" is not a time DR Runbook reads: ${INCIDENT_START_HINT}.`);
  if (at.getTime() > now.getTime() + SKEW_MS) return err(`${at.toISOString()} is in the future.`);
  if (now.getTime() - at.getTime() > WEEK_MS) return err(`${at.toISOString()} is more than a week ago.`);
  return ok(at.getTime() > now.getTime() ? now : at);
}
