import * as vscode from 'vscode';
import { backupAgeStatus, rtoStatus } from '../../core/run/clock.js';
import { newestBackup } from '../../core/run/evidence.js';

/**
 * The status bar during a run: time elapsed since the incident against the plan's RTO, and the
 * newest backup's age (from dr-backup.sh's metadata in the configured folder) against the RPO.
 */
export class ObjectivesStatus implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('drRunbook.objectives', vscode.StatusBarAlignment.Left, 49);
  private timer: NodeJS.Timeout | undefined;

  start(incidentStartedAt: string, rtoMs: number | undefined, rpoMs: number | undefined, backupDir: string | undefined): void {
    this.stop();
    const update = async (): Promise<void> => {
      const rto = rtoStatus(incidentStartedAt, new Date(), rtoMs);
      let text = `$(watch) ${rto.text}`;
      let warning = rto.overRto;
      if (backupDir) {
        const newest = await newestBackup(backupDir);
        const age = backupAgeStatus(newest.ok ? newest.value.ageMs : undefined, rpoMs);
        text += ` · $(database) ${age.text}`;
        warning ||= age.warning;
      }
      this.item.text = text;
      this.item.tooltip = warning
        ? 'DR Runbook: past the RTO, or the newest backup is older than the RPO'
        : 'DR Runbook: RTO and RPO';
      this.item.backgroundColor = warning ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
      this.item.show();
    };
    void update();
    this.timer = setInterval(() => void update(), 30_000);
  }

  /** The run ended: the clock stops and leaves the status bar. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.item.hide();
  }

  dispose(): void {
    this.stop();
    this.item.dispose();
  }
}
