/**
 * A fence's language (```sh) and the editor's language id for the cell ("shellscript") are
 * different names for the same thing. These map one to the other and back, so a cell keeps the
 * fence the file wrote while the editor highlights it.
 */

const SHELL_FENCES = new Set(['sh', 'bash', 'shell', 'zsh', 'console', 'shellscript']);
const EDITOR_IDS: Readonly<Record<string, string>> = { yml: 'yaml', py: 'python', js: 'javascript', ts: 'typescript' };

/** The editor language id for a fence language; `plaintext` for a bare fence. */
export function languageIdOfFence(fence: string | undefined): string {
  if (fence === undefined) return 'plaintext';
  const lower = fence.toLowerCase();
  if (SHELL_FENCES.has(lower)) return 'shellscript';
  return EDITOR_IDS[lower] ?? lower;
}

/**
 * The fence language to write for a cell: the one the file had while it still maps to the
 * cell's language id, else a fence name for the id (`sh` for shell script).
 */
export function fenceOfLanguageId(languageId: string, previousFence: string | undefined): string | undefined {
  if (languageIdOfFence(previousFence) === languageId) return previousFence;
  if (languageId === 'shellscript') return 'sh';
  if (languageId === 'plaintext') return undefined;
  return languageId;
}
