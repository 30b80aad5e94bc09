import * as vscode from 'vscode';
import { Settings } from './ids.js';

/** The settings the extension reads, as one typed snapshot. */
export interface Config {
  /** The plan file, relative to the workspace folder or absolute. */
  readonly planPath: string;
}

export function readConfig(): Config {
  const section = vscode.workspace.getConfiguration(Settings.section);
  const planPath = section.get<string>('planPath', 'DR-PLAN.md').trim();
  return { planPath: planPath === '' ? 'DR-PLAN.md' : planPath };
}
