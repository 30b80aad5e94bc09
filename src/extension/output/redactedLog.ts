import * as vscode from 'vscode';
import type { Redaction } from '../../core/secrets/redaction.js';

/**
 * The extension's own log, and its way to every other text the person sees: output channels and
 * messages (dialogs included). Everything written through it passes the one redaction pipeline,
 * so no caller can forget to mask a secret.
 */
export interface RedactedLog extends vscode.LogOutputChannel {
  /** The pipeline: it knows every secret value the extension has loaded. */
  readonly redaction: Redaction;
  /** An output channel whose every write is redacted. Streams go through redaction.stream() first. */
  createOutputChannel(name: string): vscode.OutputChannel;
  /** vscode.window.show*Message, with the message and a modal's detail redacted. */
  showMessage(
    severity: 'error' | 'warning' | 'info',
    message: string,
    options?: vscode.MessageOptions,
    ...items: string[]
  ): Thenable<string | undefined>;
}

/** The extension's log channel ("DR Runbook") writing through `redaction`. */
export function createRedactedLog(redaction: Redaction): RedactedLog {
  const channel = vscode.window.createOutputChannel('DR Runbook', { log: true });
  const clean = redaction.text;
  const args = (values: unknown[]): string[] => values.map((v) => clean(v instanceof Error ? (v.stack ?? v.message) : String(v)));
  const show = {
    error: vscode.window.showErrorMessage,
    warning: vscode.window.showWarningMessage,
    info: vscode.window.showInformationMessage,
  };
  return {
    ...redactedChannel(channel, clean),
    get logLevel() {
      return channel.logLevel;
    },
    onDidChangeLogLevel: channel.onDidChangeLogLevel,
    trace: (message, ...rest: unknown[]) => channel.trace(clean(message), ...args(rest)),
    debug: (message, ...rest: unknown[]) => channel.debug(clean(message), ...args(rest)),
    info: (message, ...rest: unknown[]) => channel.info(clean(message), ...args(rest)),
    warn: (message, ...rest: unknown[]) => channel.warn(clean(message), ...args(rest)),
    error: (error, ...rest: unknown[]) =>
      channel.error(clean(typeof error === 'string' ? error : (error.stack ?? error.message)), ...args(rest)),
    redaction,
    createOutputChannel: (name) => redactedChannel(vscode.window.createOutputChannel(name), clean),
    showMessage: (severity, message, options = {}, ...items) =>
      show[severity](clean(message), { ...options, ...(options.detail ? { detail: clean(options.detail) } : {}) }, ...items),
  };
}

function redactedChannel(channel: vscode.OutputChannel, clean: (text: string) => string): vscode.OutputChannel {
  return {
    name: channel.name,
    append: (value) => channel.append(clean(value)),
    appendLine: (value) => channel.appendLine(clean(value)),
    replace: (value) => channel.replace(clean(value)),
    clear: () => channel.clear(),
    show: (columnOrFocus?: vscode.ViewColumn | boolean, preserveFocus?: boolean) =>
      typeof columnOrFocus === 'boolean' || columnOrFocus === undefined
        ? channel.show(columnOrFocus)
        : channel.show(columnOrFocus, preserveFocus),
    hide: () => channel.hide(),
    dispose: () => channel.dispose(),
  };
}
