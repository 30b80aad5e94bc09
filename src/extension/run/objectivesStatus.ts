import * as vscode from 'vscode';
import { backupAgeStatus, formatClock, rtoStatus } from '../../core/run/clock.js';
import { newestBackup } from '../../core/run/evidence.js';
import { rtoForecast } from '../../core/run/runHistory.js';
import type { RunState } from '../../core/run/runModel.js';
import type { Runbook } from '../../core/runbook/model.js';

/**
 * The status bar during a run: time elapsed since the incident against the plan's RTO, the time
 * still to come by past runs' medians (a forecast), and the newest backup's age (from
 * dr-backup.sh's metadata in the configured folder) against the RPO.
 */
export class ObjectivesStatus implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('drRunbook.objectives', vscode.StatusBarAlignment.Left, 49);
  private timer: NodeJS.Timeout | undefined;

  /** Shows `run`'s clock (and keeps it going) against the plan's objectives; `pastRuns` for the forecast. */
  start(run: RunState, plan: Runbook, backupDir: string | undefined, pastRuns: () => readonly RunState[]): void {
    this.stop();
    const { rtoMs, rpoMs } = plan;
    const scenario = plan.scenarios.find((s) => s.id === run.scenarioId);
    const update = async (): Promise<void> => {
      const rto = rtoStatus(run.incidentStartedAt, new Date(), rtoMs);
      const ahead = scenario && rtoForecast(scenario, run, pastRuns(), rto.elapsedMs, rtoMs);
      let text = `$(watch) ${rto.text}${ahead?.remainingMs !== undefined ? ` (~${formatClock(ahead.remainingMs)} left)` : ''}`;
      let warning = rto.overRto || (ahead?.overRto ?? false);
      if (backupDir) {
        const newest = await newestBackup(backupDir);
        const age = backupAgeStatus(newest.ok ? newest.value.ageMs : undefined, rpoMs);
        text += ` · $(database) ${age.text}`;
        warning ||= age.warning;
      }
      this.item.text = text;
      this.item.tooltip = `${
        warning
          ? 'DR Runbook: past the RTO (or forecast to be), or the newest backup is older than the RPO'
          : 'DR Runbook: RTO and RPO'
      }${ahead ? `\nForecast: ${ahead.text}.` : ''}`;
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
