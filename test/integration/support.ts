import * as vscode from 'vscode';
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
