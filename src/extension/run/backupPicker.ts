import * as vscode from 'vscode';
import {
  checkBackupChecksum,
  describeBackupFile,
  listBackupFiles,
  type BackupFile,
  type ChecksumState,
} from '../../core/run/backupFiles.js';

interface BackupItem extends vscode.QuickPickItem {
  readonly file?: BackupFile;
}

const BROWSE: BackupItem = { label: '$(folder-opened) Browse…', description: 'pick another file', alwaysShow: true };

function item(file: BackupFile, checksum: ChecksumState | 'pending'): BackupItem {
  const { label, description, detail, failed } = describeBackupFile(file, checksum);
  return { label: `$(${failed ? 'warning' : 'archive'}) ${label}`, description, detail, file };
}

async function browse(title: string, folder: string): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({
    title,
    defaultUri: vscode.Uri.file(folder),
    canSelectMany: false,
    openLabel: 'Use This File',
    filters: { 'Backups (.dump, .sql, .sql.gz)': ['dump', 'sql', 'gz'], 'All files': ['*'] },
  });
  return picked?.[0]?.fsPath;
}

/**
 * The restore's file picker: the backups in `folder` (archives and SQL files only), newest
 * first, with their time and size; their checksums are checked while the list is open and a
 * failing one is marked. "Browse…" opens the file dialog; so does a folder with no backup.
 */
export async function pickBackup(title: string, folder: string): Promise<string | undefined> {
  const listed = await listBackupFiles(folder);
  if (!listed.ok || listed.value.files.length === 0) return browse(title, folder);
  const { files, refused } = listed.value;
  const states: (ChecksumState | 'pending')[] = files.map(() => 'pending');
  const picker = vscode.window.createQuickPick<BackupItem>();
  picker.title = title;
  picker.placeholder =
    refused.length === 0
      ? `Backups in ${folder}, newest first`
      : `Backups in ${folder}, newest first (${refused.length} not offered: their names hold control characters; rename them)`;
  picker.matchOnDescription = true;
  const show = (): void => {
    const active = picker.activeItems[0]?.file;
    picker.items = [...files.map((f, i) => item(f, states[i]!)), BROWSE];
    const again = picker.items.find((i) => i.file !== undefined && i.file === active);
    if (again) picker.activeItems = [again];
  };
  show();
  picker.busy = true;
  const checks = new AbortController();
  const checked = (async () => {
    for (const [i, file] of files.entries()) {
      states[i] = await checkBackupChecksum(file, checks.signal);
      show();
    }
    picker.busy = false;
  })().catch(() => undefined); // cancelled when the picker closes
  const chosen = await new Promise<BackupItem | undefined>((resolve) => {
    picker.onDidAccept(() => resolve(picker.selectedItems[0]));
    picker.onDidHide(() => resolve(undefined));
    picker.show();
  });
  checks.abort();
  picker.dispose();
  await checked;
  if (chosen === BROWSE) return browse(title, folder);
  return chosen?.file?.path;
}
