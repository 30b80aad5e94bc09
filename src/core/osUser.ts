import { userInfo } from 'node:os';

/** Who is running: the OS user, for a notebook's header and its cells' run records. */
export function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env['USER'] ?? 'unknown';
  }
}
