import { stat } from 'node:fs/promises';
import { resolveInProject } from '../paths.js';
import { err, ok, type Result } from '../result.js';

/**
 * Whether a command's program is one of the plan's own scripts: a regular file inside the project
 * once every symlink and `..` is resolved. Anything else (`./../../bin/sh`, a link out of the
 * project, a folder, a device) is an unknown command, confirmed each time it runs.
 */
export async function resolveScript(root: string, path: string): Promise<Result<string, string>> {
  const found = await resolveInProject(root, path);
  if (!found) return err(`${path} does not exist.`);
  if (!found.inside) return err(`${path} is outside the project (${found.real}).`);
  const info = await stat(found.real).catch(() => undefined);
  if (!info?.isFile()) return err(`${path} is not a regular file.`);
  return ok(found.real);
}
