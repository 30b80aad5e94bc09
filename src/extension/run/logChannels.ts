import * as vscode from 'vscode';
import { formatLogLine, type LogLine } from '../../core/cluster/logLines.js';
import { followLogs, followTargetFor, type FollowTarget } from '../../core/cluster/logs.js';
import type { ClusterError, ObjectRef } from '../../core/cluster/model.js';
import type { ClusterPort } from '../../core/cluster/port.js';
import { err, ok, type Result } from '../../core/result.js';
import type { Redactor } from '../../core/run/redact.js';

/**
 * One output channel per log stream the user follows ("Logs: endpoint-stats/flask-api"), reused
 * when followed again, revealed once, and fed in batches so a fast stream never floods the window.
 */
export class LogChannels implements vscode.Disposable {
  private readonly streams = new Map<string, { channel: vscode.OutputChannel; stop: AbortController }>();

  constructor(private readonly log: vscode.LogOutputChannel) {}

  /**
   * Follows the logs of a workload's pods (or of the pods a label selector picks); every line
   * passes through `redact` (which knows the plan's secret values).
   */
  async follow(
    cluster: ClusterPort,
    what: ObjectRef | FollowTarget,
    redact: Redactor,
    tailLines = 200,
  ): Promise<Result<string, ClusterError>> {
    const target = 'selector' in what ? ok(what) : await followTargetFor(cluster, what);
    if (!target.ok) return err(target.error);
    const name = `Logs: ${target.value.name}`;
    const existing = this.streams.get(name);
    existing?.stop.abort();
    const channel = existing?.channel ?? vscode.window.createOutputChannel(name);
    const stop = new AbortController();
    this.streams.set(name, { channel, stop });
    if (!existing) channel.show(true);
    let pending: string[] = [];
    const flush = (): void => {
      if (pending.length) channel.append(pending.join(''));
      pending = [];
    };
    const timer = setInterval(flush, 150);
    void followLogs(cluster, target.value, {
      signal: stop.signal,
      tailLines,
      onLines: (lines: LogLine[]) => {
        for (const line of lines) pending.push(`${redact(formatLogLine(line))}\n`);
        if (pending.length > 5_000) flush();
      },
      onStatus: (status) => this.log.info(`${name}: ${status}`),
    }).then((result) => {
      clearInterval(timer);
      flush();
      if (!result.ok) channel.appendLine(`[DR Runbook] ${result.error.message} ${result.error.hint}`);
    });
    return ok(`Following the logs of ${target.value.name} in the "${name}" output channel.`);
  }

  dispose(): void {
    for (const { channel, stop } of this.streams.values()) {
      stop.abort();
      channel.dispose();
    }
    this.streams.clear();
  }
}
