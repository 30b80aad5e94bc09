import { join } from 'node:path';
import * as vscode from 'vscode';
import { backupAgeStatus, forecastStatus, rtoStatus } from '../../core/run/clock.js';
import { newestBackup } from '../../core/run/evidence.js';
import { runsFolderName } from '../../core/run/journal.js';
import { forecastRun, readRunHistory } from '../../core/run/runHistory.js';
import type { RunState } from '../../core/run/runModel.js';
import type { Runbook } from '../../core/runbook/model.js';
import { backupFolder, readConfig } from '../config.js';

/**
 * The status bar during a run: time elapsed since the incident against the plan's RTO, the time
 * left by the medians of past runs' steps (and whether that ends within the RTO), and the newest
 * backup's age (from dr-backup.sh's metadata in the configured folder) against the RPO.
 */
export class ObjectivesStatus implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('drRunbook.objectives', vscode.StatusBarAlignment.Left, 49);
  private timer: NodeJS.Timeout | undefined;

  start(state: RunState, runbook: Runbook, root: string): void {
    this.stop();
    const { rtoMs, rpoMs } = runbook;
    const backupDir = backupFolder(root, readConfig(runbook));
    const update = async (): Promise<void> => {
      const rto = rtoStatus(state.incidentStartedAt, new Date(), rtoMs);
      const past = await readRunHistory(join(root, runsFolderName));
      const forecast = forecastStatus(forecastRun(state, past.runs, rtoMs), rtoMs);
      let text = `$(watch) ${rto.text} · ${forecast.text}`;
      let warning = rto.overRto || forecast.overRto;
      if (backupDir) {
        const newest = await newestBackup(backupDir);
        const age = backupAgeStatus(newest.ok ? newest.value.ageMs : undefined, rpoMs);
        text += ` · $(database) ${age.text}`;
        warning ||= age.warning;
      }
      this.item.text = text;
      this.item.tooltip = `DR Runbook: ${forecast.detail}.${warning ? ' Past the RTO (or forecast past it), or the newest backup is older than the RPO.' : ''}`;
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
