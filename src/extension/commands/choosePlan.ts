import * as vscode from 'vscode';
import { exists } from '../files.js';
import { Commands, Settings } from '../ids.js';
import type { RedactedLog } from '../output/redactedLog.js';
import type { PlanWorkspace } from '../planWorkspace.js';
import { registerCommand } from './registerCommand.js';
import { planCore } from '../planCore.js';

const NEW_PLAN = 'DR-PLAN.md';

/**
 * "Choose DR Plan": a markdown file of the workspace becomes the plan (drRunbook.planPath), or a
 * starter DR-PLAN.md is created; the plan opens either way.
 */
export function registerChoosePlan(plan: PlanWorkspace, log: RedactedLog): vscode.Disposable[] {
  return [
    registerCommand(
      Commands.choosePlan,
      async (): Promise<string | undefined> => {
        const folder = vscode.workspace.workspaceFolders?.[0];
        if (!folder) throw new Error('Open the folder that holds your DR plan first (File > Open Folder).');
        const found = await vscode.workspace.findFiles('**/*.md', '{**/node_modules/**,**/.dr-runs/**,**/*.runbook.md}', 500);
        const files = found.map((uri) => vscode.workspace.asRelativePath(uri, false)).sort();
        type Item = vscode.QuickPickItem & { readonly path: string | undefined };
        const items: Item[] = [
          ...files.map((path) => ({ label: `$(markdown) ${path}`, path })),
          { label: '', kind: vscode.QuickPickItemKind.Separator, path: undefined },
          {
            label: `$(new-file) Create ${NEW_PLAN} from a starter plan`,
            detail: 'A plan in the shape DR Runbook reads, with placeholder names to replace',
            path: undefined,
          },
        ];
        const picked = await vscode.window.showQuickPick(items, {
          title: 'DR Runbook: Choose DR Plan',
          placeHolder: 'The markdown file that holds your disaster-recovery plan',
        });
        if (!picked) return undefined;
        let path = picked.path;
        if (path === undefined) {
          const uri = vscode.Uri.joinPath(folder.uri, NEW_PLAN);
          if (await exists(uri)) throw new Error(`${NEW_PLAN} already exists in ${folder.name}: choose it instead.`);
          await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(planCore().STARTER_PLAN));
          path = NEW_PLAN;
        }
        await vscode.workspace.getConfiguration().update(Settings.planPath, path, vscode.ConfigurationTarget.Workspace);
        log.info(`plan: ${path}`);
        await plan.reload();
        await vscode.window.showTextDocument(vscode.Uri.joinPath(folder.uri, path), { preview: false });
        return path;
      },
      log,
    ),
  ];
}
