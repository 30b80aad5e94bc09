import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { err, ok, type Result } from '../result.js';

/**
 * Whether a command's program is one of the plan's own scripts: a regular file inside the project
 * once every symlink and `..` is resolved. Anything else (`./../../bin/sh`, a link out of the
 * project, a folder, a device) is an unknown command, confirmed each time it runs.
 */
export async function resolveScript(root: string, path: string): Promise<Result<string, string>> {
  const absolute = isAbsolute(path) ? path : resolve(root, path);
  let real: string;
  let realRoot: string;
  try {
    [real, realRoot] = await Promise.all([realpath(absolute), realpath(root)]);
  } catch {
    return err(`${path} does not exist.`);
  }
  const rel = relative(realRoot, real);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return err(`${path} is outside the project (${real}).`);
  const info = await stat(real).catch(() => undefined);
  if (!info?.isFile()) return err(`${path} is not a regular file.`);
  return ok(real);
}
