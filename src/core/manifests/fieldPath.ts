/**
 * Field paths as the API server writes them in errors, resolved against a manifest's object to the
 * line where the field is written: `.spec.replicass` (server-side apply), `spec.template.spec.
 * volumes[0].configMap.defaultMode` (validation), `.spec.template.spec.containers[name="web"].env`
 * (a list keyed by name).
 */

type Segment = string | number | Readonly<Record<string, string>>;

function parseFieldPath(path: string): Segment[] {
  const segments: Segment[] = [];
  const pattern = /\.?([^.[\]]+)|\[(\d+)\]|\[([^\]]*=[^\]]*)\]/g;
  for (const m of path.matchAll(pattern)) {
    if (m[1] !== undefined) segments.push(m[1]);
    else if (m[2] !== undefined) segments.push(Number(m[2]));
    else if (m[3] !== undefined) {
      const keys: Record<string, string> = {};
      for (const part of m[3].split(',')) {
        const [key, value] = part.split('=') as [string, string | undefined];
        keys[key.trim()] = (value ?? '').trim().replace(/^"(.*)"$/, '$1');
      }
      segments.push(keys);
    }
  }
  return segments;
}

/** The JSON pointer of the deepest part of `path` that the object holds, and whether all of it was found. */
export function fieldPointer(body: unknown, path: string): { pointer: string; complete: boolean } {
  let pointer = '';
  let value: unknown = body;
  for (const segment of parseFieldPath(path)) {
    let next: string | number | undefined;
    if (typeof segment === 'number') next = Array.isArray(value) && segment < value.length ? segment : undefined;
    else if (typeof segment === 'string')
      next = typeof value === 'object' && value !== null && !Array.isArray(value) && segment in value ? segment : undefined;
    else if (Array.isArray(value)) {
      const index = value.findIndex(
        (item) =>
          typeof item === 'object' &&
          item !== null &&
          Object.entries(segment).every(([k, v]) => String((item as Record<string, unknown>)[k]) === v),
      );
      next = index >= 0 ? index : undefined;
    }
    if (next === undefined) return { pointer, complete: false };
    pointer += `/${String(next).replaceAll('~', '~0').replaceAll('/', '~1')}`;
    value = (value as Record<string | number, unknown>)[next];
  }
  return { pointer, complete: true };
}

/** The line where the field (or its nearest written parent) is, in a manifest whose field lines are known. */
export function fieldLine(body: unknown, fieldLines: ReadonlyMap<string, number>, path: string): number | undefined {
  let { pointer } = fieldPointer(body, path);
  while (pointer) {
    const line = fieldLines.get(pointer);
    if (line !== undefined) return line;
    pointer = pointer.slice(0, pointer.lastIndexOf('/'));
  }
  return undefined;
}
