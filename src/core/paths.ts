import { access, realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';

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

/**
 * Where `path` (relative to the project root as the plan writes it) really is, every symlink and
 * `..` resolved, and whether that is inside the project; undefined when nothing is there.
 */
export async function resolveInProject(root: string, path: string): Promise<{ real: string; inside: boolean } | undefined> {
  try {
    const [real, realRoot] = await Promise.all([realpath(isAbsolute(path) ? path : resolve(root, path)), realpath(root)]);
    const rel = relative(realRoot, real);
    return { real, inside: rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) };
  } catch {
    return undefined;
  }
}
