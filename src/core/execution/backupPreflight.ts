/**
 * The preflight's backup check, for scenarios that restore: how old the newest backup written by
 * dr-backup.sh is against the plan's RPO. A stale or missing backup is a warning, not a refusal:
 * in the middle of the night an old backup is still better than none, but the person must know.
 */
import { resolve } from 'node:path';
import { formatDuration } from '../duration.js';
import { projectPath } from '../paths.js';
import { formatClock } from '../run/clock.js';
import { newestBackup } from '../run/evidence.js';
import { isRestoreCommand, restoresIntoTestDatabase } from '../runbook/commands.js';
import type { Scenario, ScriptArgument, Step } from '../runbook/model.js';

export interface BackupCheck {
  /** `ok`: within the RPO; `warning`: the person must see it before the first step; `info`: not checked, and why. */
  readonly level: 'ok' | 'warning' | 'info';
  readonly text: string;
}

export interface BackupCheckOptions {
  /** The project root: a relative backup directory is relative to it. */
  readonly root: string;
  /** The setting drRunbook.backup.directory; empty or undefined when none is set. */
  readonly backupDirectory: string | undefined;
  readonly rpoMs: number | undefined;
  readonly now?: Date;
}

const SETTING = 'drRunbook.backup.directory';
const TAKE_ONE = 'take one with scripts/backup/dr-backup.sh if the database can still be read';

/** Whether a placeholder of the step is the backup a restore uses (the drill's restore, or dr-restore.sh's argument). */
export function isBackupArgument(argument: ScriptArgument, step: Step): boolean {
  return step.commands.some(
    (c) =>
      (c.kind === 'drill' && c.action === 'restoreBackup') ||
      (isRestoreCommand(c) && c.args.some((a) => a.value === argument.value)),
  );
}

/** Whether a step of the scenario runs dr-restore.sh (a drill's restore step does too). */
export function restoresBackup(scenario: Scenario): boolean {
  return restoresIntoTestDatabase(scenario) || scenario.steps.some((s) => s.commands.some(isRestoreCommand));
}

/** The newest backup's age against the RPO, for a scenario that restores one; nothing for any other. */
export async function checkBackupAge(scenario: Scenario, options: BackupCheckOptions): Promise<BackupCheck | undefined> {
  if (!restoresBackup(scenario)) return undefined;
  const rpo = options.rpoMs === undefined ? undefined : formatDuration(options.rpoMs);
  const against = rpo === undefined ? '' : ` against the RPO of ${rpo}`;
  const setting = options.backupDirectory?.trim();
  if (!setting) {
    return {
      level: 'info',
      text: `the newest backup's age is not checked${against}: no backup directory is set (${SETTING}, the folder dr-backup.sh writes to)`,
    };
  }
  const dir = resolve(options.root, setting);
  const shown = projectPath(options.root, dir);
  const found = await newestBackup(dir, options.now ? { now: options.now } : {});
  if (!found.ok) {
    const e = found.error;
    switch (e.kind) {
      case 'noDirectory':
        return {
          level: 'warning',
          text: `no backup found${against}: the backup directory ${shown} does not exist. Check the setting ${SETTING}, or fetch the offsite backup into that folder before the restore step.`,
        };
      case 'noBackups':
        return {
          level: 'warning',
          text: `no backup found${against}: ${shown} holds no complete backup (a dr-backup.sh .json with its .dump beside it). Before the restore step, ${TAKE_ONE}, or fetch the offsite backup into ${shown}.`,
        };
      case 'unreadable':
      case 'badMetadata':
        return {
          level: 'warning',
          text: `no usable backup found${against}: ${e.message.replaceAll(e.path, projectPath(options.root, e.path))} Check ${e.path === dir ? 'that folder' : 'that file (dr-backup.sh writes one beside each .dump)'}, or ${TAKE_ONE}.`,
        };
    }
  }
  const { file, ageMs, skipped } = found.value;
  const name = projectPath(options.root, file);
  const age = formatClock(ageMs);
  const passedOver = skipped.length
    ? ` ${skipped.length} metadata file(s) in ${shown} could not be read and were passed over (${projectPath(options.root, skipped[0]!.path)}): one may be a newer backup; check it.`
    : '';
  if (options.rpoMs === undefined) {
    return {
      level: skipped.length ? 'warning' : 'info',
      text: `the newest backup, ${name}, is ${age} old; the plan states no RPO to check it against.${passedOver}`,
    };
  }
  if (ageMs > options.rpoMs) {
    return {
      level: 'warning',
      text: `the newest backup, ${name}, is ${age} old: older than the RPO of ${rpo}, so a restore of it loses up to ${age} of data. Before the restore step, ${TAKE_ONE}, or look for a newer offsite copy; if there is none, go on with this one.${passedOver}`,
    };
  }
  return {
    level: skipped.length ? 'warning' : 'ok',
    text: `the newest backup, ${name}, is ${age} old, within the RPO of ${rpo}.${passedOver}`,
  };
}
