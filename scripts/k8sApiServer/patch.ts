/** JSON merge patch (RFC 7386), strategic merge patch (list merge keys, `$patch` directives) and JSON patch (RFC 6902). */
import { badRequest } from './status.ts';
import type { KubeObject } from './types.ts';
import { listShape } from './fieldSets.ts';
import { clone, deepEqual, isPlainObject } from './util.ts';

export function jsonMergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return clone(patch);
  const out: KubeObject = isPlainObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = jsonMergePatch(out[k], v);
  }
  return out;
}

/** Strategic merge: like a merge patch, but lists with merge keys (containers by name, ...) merge item by item. */
export function strategicMergePatch(target: unknown, patch: unknown, path: string[], kind: string): unknown {
  if (!isPlainObject(patch)) return clone(patch);
  if (patch.$patch === 'replace') {
    const rest = { ...patch };
    delete rest.$patch;
    return clone(rest);
  }
  if (patch.$patch === 'delete') return undefined;
  const out: KubeObject = isPlainObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$setElementOrder/') || k === '$retainKeys' || k.startsWith('$deleteFromPrimitiveList/')) continue;
    const childPath = [...path, k];
    if (v === null) {
      delete out[k];
      continue;
    }
    if (Array.isArray(v)) {
      const shape = listShape(childPath, kind);
      const cur = out[k];
      if (shape.type === 'map' && Array.isArray(cur)) {
        const merged: unknown[] = cur.map((x) => clone(x));
        for (const item of v) {
          if (!isPlainObject(item)) continue;
          const idx = merged.findIndex(
            (m) =>
              isPlainObject(m) &&
              shape.keys.every((key) => (key === 'protocol' ? (m[key] ?? 'TCP') === (item[key] ?? 'TCP') : m[key] === item[key])),
          );
          if (item.$patch === 'delete') {
            if (idx >= 0) merged.splice(idx, 1);
          } else if (idx >= 0) merged[idx] = strategicMergePatch(merged[idx], item, childPath, kind);
          else merged.push(strategicMergePatch(undefined, item, childPath, kind));
        }
        out[k] = merged;
      } else if (shape.type === 'set' && Array.isArray(cur)) {
        const merged = [...cur];
        for (const x of v) if (!merged.some((m) => deepEqual(m, x))) merged.push(x);
        out[k] = merged;
      } else {
        out[k] = clone(v);
      }
      continue;
    }
    const merged = strategicMergePatch(out[k], v, childPath, kind);
    if (merged === undefined) delete out[k];
    else out[k] = merged;
  }
  return out;
}

function decodePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw badRequest(`JSON pointer must be empty or start with a "/"`);
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: unknown, tokens: string[], op: string): { parent: KubeObject | unknown[]; key: string } {
  let cur: unknown = doc;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[Number(t)];
    else if (isPlainObject(cur)) cur = cur[t];
    else cur = undefined;
    if (cur === undefined) throw jsonPatchMissing(op, tokens);
  }
  if (!Array.isArray(cur) && !isPlainObject(cur)) throw jsonPatchMissing(op, tokens);
  return { parent: cur, key: tokens[tokens.length - 1]! };
}

function jsonPatchMissing(op: string, tokens: string[]): Error {
  return badRequest(`jsonpatch ${op} operation does not apply: doc is missing path: "/${tokens.join('/')}": missing value`);
}

/** Applies an RFC 6902 JSON patch; errors become 400 like the apiserver's (via thrown ApiError) or 422 for failed tests. */
export function jsonPatch(doc: KubeObject, ops: unknown): KubeObject {
  if (!Array.isArray(ops)) throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  let out: unknown = clone(doc);
  for (const raw of ops) {
    if (!isPlainObject(raw)) throw badRequest('invalid JSON patch operation');
    const op = String(raw.op);
    const tokens = decodePointer(String(raw.path ?? ''));
    const get = (t: string[]): unknown => {
      let cur: unknown = out;
      for (const k of t) cur = Array.isArray(cur) ? cur[Number(k)] : isPlainObject(cur) ? cur[k] : undefined;
      return cur;
    };
    const set = (t: string[], value: unknown, insert: boolean): void => {
      if (t.length === 0) {
        out = value;
        return;
      }
      const { parent, key } = parentOf(out, t, op);
      if (Array.isArray(parent)) {
        const idx = key === '-' ? parent.length : Number(key);
        if (insert) parent.splice(idx, 0, value);
        else parent[idx] = value;
      } else parent[key] = value;
    };
    const remove = (t: string[]): unknown => {
      const { parent, key } = parentOf(out, t, op);
      if (Array.isArray(parent)) return parent.splice(Number(key), 1)[0];
      if (!(key in parent)) throw jsonPatchMissing(op, t);
      const v = parent[key];
      delete parent[key];
      return v;
    };
    switch (op) {
      case 'add':
        set(tokens, clone(raw.value), true);
        break;
      case 'replace':
        if (tokens.length > 0 && get(tokens) === undefined) throw jsonPatchMissing(op, tokens);
        set(tokens, clone(raw.value), false);
        break;
      case 'remove':
        remove(tokens);
        break;
      case 'move': {
        const v = remove(decodePointer(String(raw.from ?? '')));
        set(tokens, v, true);
        break;
      }
      case 'copy':
        set(tokens, clone(get(decodePointer(String(raw.from ?? '')))), true);
        break;
      case 'test':
        if (!deepEqual(get(tokens), raw.value)) throw badRequest(`testing value /${tokens.join('/')} failed: test failed`);
        break;
      default:
        throw badRequest(`Unexpected kind: ${op}`);
    }
  }
  return out as KubeObject;
}
