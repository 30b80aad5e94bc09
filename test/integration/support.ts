import { chmod } from 'node:fs/promises';
import * as vscode from 'vscode';
import type { SessionUi } from '../../src/core/run/runSession.js';
import type { DrRunbookApi } from '../../src/extension/extension.js';

export const EXTENSION_ID = 'dr-runbook.dr-runbook';

export async function activeExtension(): Promise<vscode.Extension<DrRunbookApi>> {
  const extension = vscode.extensions.getExtension<DrRunbookApi>(EXTENSION_ID);
  if (!extension) throw new Error(`${EXTENSION_ID} is not installed in this host`);
  await extension.activate();
  return extension;
}

export function workspaceRoot(): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('the tests need a workspace folder');
  return folder.uri;
}

/** Polls `probe` until it returns a value, or fails after `timeoutMs` with `what`. */
export async function eventually<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A channel's name as VS Code writes it into its file name: without \ / : * ? " < > |. */
export function channelFileName(name: string): string {
  return name.replace(/[\\/:*?"<>|]/g, '');
}

/**
 * The text of every output channel of this extension host, read from the files VS Code writes
 * them to (what the Output panel shows): `output_logging_<time>/<n>-<name>.log` for output
 * channels and `<extension id>/<name>.log` for log channels, in the host's log folder, the parent
 * of the extension's `context.logUri`. Keyed by channelFileName(name).
 */
export async function outputChannelTexts(): Promise<Map<string, string>> {
  const { logUri } = (await activeExtension()).exports;
  const hostLogs = vscode.Uri.joinPath(logUri, '..');
  const texts = new Map<string, string>();
  const read = async (uri: vscode.Uri): Promise<string> => new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
  const list = (uri: vscode.Uri): Thenable<[string, vscode.FileType][]> =>
    vscode.workspace.fs.readDirectory(uri).then(undefined, () => []);
  for (const [folder, type] of await list(hostLogs)) {
    if (type !== vscode.FileType.Directory || !folder.startsWith('output_logging_')) continue;
    for (const [file] of await list(vscode.Uri.joinPath(hostLogs, folder))) {
      const name = /^\d+-(.*)\.log$/.exec(file)?.[1];
      if (name !== undefined)
        texts.set(name, (texts.get(name) ?? '') + (await read(vscode.Uri.joinPath(hostLogs, folder, file))));
    }
  }
  for (const [file] of await list(logUri)) {
    if (file.endsWith('.log')) texts.set(file.slice(0, -'.log'.length), await read(vscode.Uri.joinPath(logUri, file)));
  }
  return texts;
}

/** Waits until the output channel `name` holds text matching `pattern` (channels reach their files asynchronously). */
export async function channelText(name: string, pattern: RegExp, timeoutMs = 15_000): Promise<string> {
  return eventually(
    `the output channel "${name}" to show ${String(pattern)}`,
    async () => {
      const text = (await outputChannelTexts()).get(channelFileName(name));
      return text !== undefined && pattern.test(text) ? text : undefined;
    },
    timeoutMs,
  );
}

/**
 * For the suite it is called in: writes a plan of the test's own (and the files it names) into
 * the workspace, points drRunbook.planPath at it, and puts DR-PLAN.md back afterwards.
 */
export function usePlan(plan: string, files: Readonly<Record<string, string>>, executables: readonly string[] = []): void {
  const settings = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('drRunbook');
  const loaded = (file: string) => async () => {
    const { plan: workspacePlan } = (await activeExtension()).exports;
    const state = workspacePlan.state;
    return state.kind === 'loaded' && state.planFile.endsWith(`/${file}`) ? state.runbook : undefined;
  };
  before(async function () {
    this.timeout(30_000);
    const root = workspaceRoot();
    for (const [path, text] of Object.entries(files)) {
      await vscode.workspace.fs.writeFile(vscode.Uri.joinPath(root, path), new TextEncoder().encode(text));
    }
    for (const path of executables) await chmod(vscode.Uri.joinPath(root, path).fsPath, 0o755);
    await settings().update('planPath', plan, vscode.ConfigurationTarget.Workspace);
    await eventually(`the plan ${plan} to load`, loaded(plan));
  });
  after(async function () {
    this.timeout(30_000);
    await settings().update('planPath', undefined, vscode.ConfigurationTarget.Workspace);
    await eventually('DR-PLAN.md to load again', loaded('DR-PLAN.md'));
  });
}

/** Shows `notebook` with DR Runbook's controller as its kernel, so the controller's execute() may run its cells. */
export async function selectRunbookKernel(notebook: vscode.NotebookDocument): Promise<void> {
  await vscode.window.showNotebookDocument(notebook);
  await vscode.commands.executeCommand('notebook.selectKernel', {
    id: 'drRunbook.runbookController',
    extension: EXTENSION_ID,
  });
}

type Runs = DrRunbookApi['runs'];
const answering = new WeakMap<Runs, vscode.Disposable>();

/**
 * The test answers the run's questions (through the API's useUi, as any extension may): the
 * answers given here, else a run is confirmed, the incident starts now and a stopped run is not
 * continued; what is left (following logs, typed confirmations, ...) goes to VS Code's own UI.
 * `undefined` gives the questions back to VS Code.
 */
export function setAnswers(runs: Runs, answers: Partial<SessionUi> | undefined): void {
  answering.get(runs)?.dispose();
  answering.delete(runs);
  if (!answers) return;
  answering.set(
    runs,
    runs.useUi((_signal, base) => ({
      ...base,
      confirmRun: () => Promise.resolve(true),
      incidentStart: () => Promise.resolve(new Date()),
      continueRun: () => Promise.resolve('new' as const),
      ...answers,
    })),
  );
}
