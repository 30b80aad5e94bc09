import { constants, type Stats } from 'node:fs';
import { access, open, realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { err, ok, type Result } from './result.js';

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

/** What a file is read as, in messages ("manifests", "plans"), and the most of it that is read. */
export interface FileKind {
  readonly plural: string;
  readonly maxBytes: number;
}

/** Why a file was not read: nothing there, not a regular file of reasonable size, or an error reading it. */
export interface FileError {
  readonly kind: 'missing' | 'refused' | 'unreadable';
  readonly message: string;
}

/** The text of a regular file, with what a cache keys it by. */
export interface FileText {
  readonly text: string;
  readonly mtimeMs: number;
  readonly size: number;
}

/**
 * The stat of a regular file of at most `kind.maxBytes`, or why it is not read: a device, FIFO
 * or socket (whose reads could block forever) is refused from its stat, never opened.
 */
export async function statRegularFile(absolute: string, display: string, kind: FileKind): Promise<Result<Stats, FileError>> {
  let info;
  try {
    info = await stat(absolute);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      return err({ kind: 'missing', message: `${display} cannot be read: it does not exist.` });
    return err({ kind: 'unreadable', message: `${display} cannot be read: ${(e as Error).message}` });
  }
  const refused = notRegularFile(info, display, kind);
  return refused ? err({ kind: 'refused', message: refused }) : ok(info);
}

/**
 * The text of a regular file of reasonable size. The stat comes first, so a device, FIFO or
 * socket is never opened; the file is then opened without blocking and checked again, in case
 * it was replaced in between.
 */
export async function readRegularFile(absolute: string, display: string, kind: FileKind): Promise<Result<FileText, FileError>> {
  const checked = await statRegularFile(absolute, display, kind);
  return checked.ok ? readStatedFile(absolute, display, kind) : checked;
}

/**
 * The second half of readRegularFile, for a caller that has its statRegularFile already (to look
 * in a cache first): opens the file without blocking and checks it again, in case it was
 * replaced since that stat.
 */
export async function readStatedFile(absolute: string, display: string, kind: FileKind): Promise<Result<FileText, FileError>> {
  let handle;
  try {
    handle = await open(absolute, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    return err({ kind: 'unreadable', message: `${display} cannot be read: ${(e as Error).message}` });
  }
  try {
    const opened = await handle.stat();
    const changed = notRegularFile(opened, display, kind);
    if (changed) return err({ kind: 'refused', message: changed });
    return ok({ text: await handle.readFile('utf8'), mtimeMs: opened.mtimeMs, size: opened.size });
  } catch (e) {
    return err({ kind: 'unreadable', message: `${display} cannot be read: ${(e as Error).message}` });
  } finally {
    await handle.close();
  }
}

/** Why a file is not read, or undefined when it is a regular file of reasonable size. */
function notRegularFile(info: Stats, display: string, kind: FileKind): string | undefined {
  if (!info.isFile()) {
    const what = info.isFIFO()
      ? 'a named pipe (FIFO)'
      : info.isSocket()
        ? 'a socket'
        : info.isCharacterDevice() || info.isBlockDevice()
          ? 'a device'
          : 'not a regular file';
    return `${display} is ${what}: DR Runbook reads only regular files as ${kind.plural}.`;
  }
  if (info.size > kind.maxBytes) {
    const mb = (n: number): string => `${Math.round((n / 1024 / 1024) * 10) / 10} MB`;
    return `${display} is ${mb(info.size)}: DR Runbook reads ${kind.plural} up to ${mb(kind.maxBytes)}. Split it into smaller files.`;
  }
  return undefined;
}

/** A plan is read whole and parsed at activation: 4 MB is thousands of pages of markdown. */
const PLANS: FileKind = { plural: 'plans', maxBytes: 4 * 1024 * 1024 };

/**
 * The plan's text, read as manifests are: only a regular file, never opened when it is a device,
 * FIFO or socket (reading one would block the extension host, or the command line, forever).
 */
export async function readPlanFile(absolute: string, display: string): Promise<Result<string, FileError>> {
  const read = await readRegularFile(absolute, display, PLANS);
  return read.ok ? ok(read.value.text) : read;
}
