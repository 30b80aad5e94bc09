import { isAbsolute, relative, sep } from 'node:path';

/** `absolute` as the plan writes paths: relative to the project root, with forward slashes; absolute when outside it. */
export function projectPath(root: string, absolute: string): string {
  const rel = relative(root, absolute);
  return rel.startsWith('..') || isAbsolute(rel) ? absolute : rel.split(sep).join('/');
}
