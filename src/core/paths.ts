import { access } from 'node:fs/promises';
import { isAbsolute, relative, sep } from 'node:path';

/** `absolute` as the plan writes paths: relative to the project root, with forward slashes; absolute when outside it. */
export function projectPath(root: string, absolute: string): string {
  const rel = relative(root, absolute);
  return rel.startsWith('..') || isAbsolute(rel) ? absolute : rel.split(sep).join('/');
}

/** Whether something exists at `path` (any error reading it counts as no). */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
