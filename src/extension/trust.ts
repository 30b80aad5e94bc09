import { join } from 'node:path';
import * as vscode from 'vscode';
import type * as Adapters from '../adapters/bundle.js';
import { err, ok, type Result } from '../core/result.js';

/** What the person reads when an untrusted workspace asks for a cluster or a process. */
export const UNTRUSTED_WORKSPACE =
  'This workspace is not trusted, so DR Runbook reaches no cluster and runs no process here: it reads no kubeconfig credentials, applies nothing and runs no script. If you trust this repository, trust the workspace ("Workspaces: Manage Workspace Trust") and try again.';

let loaded: typeof Adapters | undefined;

/**
 * The one gate to clusters and processes. The adapters (the Kubernetes client that reads a
 * kubeconfig and may run its exec credential plugin, and the process runner) are only handed out
 * here, and only in a trusted workspace; lint keeps every other module from reading trust or
 * loading them. The bundle is loaded on first use, never at activation.
 */
export function trustedAdapters(): Result<typeof Adapters, string> {
  if (!vscode.workspace.isTrusted) return err(UNTRUSTED_WORKSPACE);
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazily loaded sibling bundle
  loaded ??= require(join(__dirname, 'adapters.cjs')) as typeof Adapters;
  return ok(loaded);
}
