/** The status bar's RTO and RPO texts during a run: plain strings, so the extension only shows them. */
import { formatDuration } from '../duration.js';

/** Hours and minutes, always both, like a clock: "0 h 12 min", "27 h 5 min". Negative values read as 0. */
export function formatClock(ms: number): string {
  const minutes = Math.floor(Math.max(0, ms) / 60_000);
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** Milliseconds from `from` (ISO) to `to`; 0 when `from` is not a date. */
export function elapsedMs(from: string, to: Date): number {
  const start = Date.parse(from);
  return Number.isNaN(start) ? 0 : Math.max(0, to.getTime() - start);
}

export interface RtoStatus {
  /** "RTO 0 h 12 min / 4 h", or "Elapsed 0 h 12 min" when the plan states no RTO. */
  readonly text: string;
  readonly elapsedMs: number;
  /** True once the elapsed time is past the RTO. */
  readonly overRto: boolean;
}

/** Time since the incident started against the plan's RTO. */
export function rtoStatus(incidentStartedAt: string, now: Date, rtoMs: number | undefined): RtoStatus {
  const elapsed = elapsedMs(incidentStartedAt, now);
  if (rtoMs === undefined) return { text: `Elapsed ${formatClock(elapsed)}`, elapsedMs: elapsed, overRto: false };
  return { text: `RTO ${formatClock(elapsed)} / ${formatDuration(rtoMs)}`, elapsedMs: elapsed, overRto: elapsed > rtoMs };
}

export interface BackupAgeStatus {
  /** "Backup 0 h 35 min / RPO 1 h", "No backup", or "Backup 0 h 35 min" when the plan states no RPO. */
  readonly text: string;
  /** True when the newest backup is older than the RPO, or there is none. */
  readonly warning: boolean;
}

/** The newest backup's age (undefined: no backup found) against the plan's RPO. */
export function backupAgeStatus(ageMs: number | undefined, rpoMs: number | undefined): BackupAgeStatus {
  if (ageMs === undefined)
    return { text: rpoMs === undefined ? 'No backup' : `No backup / RPO ${formatDuration(rpoMs)}`, warning: true };
  if (rpoMs === undefined) return { text: `Backup ${formatClock(ageMs)}`, warning: false };
  return { text: `Backup ${formatClock(ageMs)} / RPO ${formatDuration(rpoMs)}`, warning: ageMs > rpoMs };
}
