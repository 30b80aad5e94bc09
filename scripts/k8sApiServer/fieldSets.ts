/**
 * Field sets in the FieldsV1 format of managedFields (`f:name`, `k:{"name":"x"}`, `v:"x"`, `.`),
 * the schema facts that shape them (associative list keys, atomic fields), and set algebra.
 */
import type { KubeObject } from './types.ts';
import { deepEqual, isPlainObject } from './util.ts';

export type FieldsV1 = { [token: string]: FieldsV1 };

type ListShape = { type: 'map'; keys: string[] } | { type: 'set' } | { type: 'atomic' };

const ASSOC_KEYS: Record<string, string[]> = {
  containers: ['name'],
  initContainers: ['name'],
  ephemeralContainers: ['name'],
  env: ['name'],
  volumeMounts: ['mountPath'],
  volumeDevices: ['devicePath'],
  volumes: ['name'],
  imagePullSecrets: ['name'],
  ownerReferences: ['uid'],
  conditions: ['type'],
  hostAliases: ['ip'],
  podIPs: ['ip'],
  topologySpreadConstraints: ['topologyKey', 'whenUnsatisfiable'],
};

// metav1.LabelSelector is an atomic struct wherever it appears.
const ATOMIC_FIELDS = new Set([
  'selector',
  'podSelector',
  'namespaceSelector',
  'labelSelector',
  'secretKeyRef',
  'configMapKeyRef',
  'fieldRef',
  'resourceFieldRef',
]);
const VALUE_STRUCTS = new Set(['spec', 'template', 'metadata', 'status']);
const KEY_DEFAULTS: Record<string, unknown> = { protocol: 'TCP' };

/** The shape of the list at `path` (field names from the root; list items add no element). */
export function listShape(path: readonly string[], kind: string): ListShape {
  const name = path[path.length - 1]!;
  if (name === 'finalizers' && path.length === 2 && path[0] === 'metadata') return { type: 'set' };
  if (name === 'ports') {
    if (path.includes('containers') || path.includes('initContainers'))
      return { type: 'map', keys: ['containerPort', 'protocol'] };
    if (kind === 'Service' && path.length === 2 && path[0] === 'spec') return { type: 'map', keys: ['port', 'protocol'] };
    return { type: 'atomic' };
  }
  const keys = ASSOC_KEYS[name];
  return keys ? { type: 'map', keys } : { type: 'atomic' };
}

export function isAtomicField(path: readonly string[]): boolean {
  return ATOMIC_FIELDS.has(path[path.length - 1]!);
}

/** The `k:{...}` token of an associative list item (missing key fields take their defaults). */
export function itemKeyToken(item: KubeObject, keys: string[]): string {
  const k: KubeObject = {};
  for (const key of [...keys].sort()) {
    const v = item[key] ?? KEY_DEFAULTS[key];
    if (v !== undefined) k[key] = v;
  }
  return `k:${JSON.stringify(k)}`;
}

export function findItem(list: unknown[], token: string): { index: number; item: KubeObject } | undefined {
  const want = JSON.parse(token.slice(2)) as KubeObject;
  for (let i = 0; i < list.length; i++) {
    const it = list[i];
    if (!isPlainObject(it)) continue;
    if (Object.entries(want).every(([k, v]) => (it[k] ?? KEY_DEFAULTS[k]) === v)) return { index: i, item: it };
  }
  return undefined;
}

/**
 * The fields an object sets. `dots` marks containers with `.` the way Update entries do for maps,
 * lists and pointer structs that the write created.
 */
export function fieldSetOf(obj: KubeObject, path: string[], kind: string, dots: boolean): FieldsV1 {
  const out: FieldsV1 = {};
  for (const [key, value] of Object.entries(obj)) {
    if (value === undefined || value === null) continue;
    out[`f:${key}`] = valueSet(value, [...path, key], kind, dots);
  }
  return out;
}

function valueSet(value: unknown, path: string[], kind: string, dots: boolean): FieldsV1 {
  const name = path[path.length - 1]!;
  if (Array.isArray(value)) {
    const shape = listShape(path, kind);
    if (shape.type === 'atomic' || value.length === 0) return {};
    const out: FieldsV1 = dots ? { '.': {} } : {};
    if (shape.type === 'set') {
      for (const v of value) out[`v:${JSON.stringify(v)}`] = {};
      return out;
    }
    for (const item of value) {
      if (!isPlainObject(item)) continue;
      out[itemKeyToken(item, shape.keys)] = { '.': {}, ...fieldSetOf(item, path, kind, dots) };
    }
    return out;
  }
  if (isPlainObject(value)) {
    if (isAtomicField(path) || Object.keys(value).length === 0) return {};
    const inner = fieldSetOf(value, path, kind, dots);
    return dots && !VALUE_STRUCTS.has(name) ? { '.': {}, ...inner } : inner;
  }
  return {};
}

/** Fields an Update changed: present in `next` and absent or different in `prev`. */
export function changedFieldSet(prev: unknown, next: KubeObject, path: string[], kind: string): FieldsV1 {
  const out: FieldsV1 = {};
  const p = isPlainObject(prev) ? prev : {};
  for (const [key, value] of Object.entries(next)) {
    if (value === undefined || value === null) continue;
    const old = p[key];
    if (deepEqual(old, value)) continue;
    const childPath = [...path, key];
    if (old === undefined || old === null) {
      out[`f:${key}`] = valueSet(value, childPath, kind, true);
      continue;
    }
    if (Array.isArray(value) && Array.isArray(old)) {
      const shape = listShape(childPath, kind);
      if (shape.type !== 'map') {
        out[`f:${key}`] = {};
        continue;
      }
      const sub: FieldsV1 = {};
      for (const item of value) {
        if (!isPlainObject(item)) continue;
        const token = itemKeyToken(item, shape.keys);
        const match = findItem(old, token);
        if (!match) sub[token] = { '.': {}, ...fieldSetOf(item, childPath, kind, true) };
        else if (!deepEqual(match.item, item)) sub[token] = changedFieldSet(match.item, item, childPath, kind);
      }
      if (Object.keys(sub).length > 0) out[`f:${key}`] = sub;
      continue;
    }
    if (isPlainObject(value) && isPlainObject(old) && !isAtomicField(childPath)) {
      const sub = changedFieldSet(old, value, childPath, kind);
      if (Object.keys(sub).length > 0) out[`f:${key}`] = sub;
      continue;
    }
    out[`f:${key}`] = {};
  }
  return out;
}

const SEP = '\u0001';

/** Flattens a field set into its member paths (tokens joined by a separator). */
export function flatten(set: FieldsV1 | undefined): Set<string> {
  const out = new Set<string>();
  const walk = (node: FieldsV1, prefix: string): void => {
    const keys = Object.keys(node);
    if (keys.length === 0) {
      if (prefix) out.add(prefix);
      return;
    }
    for (const k of keys) {
      if (k === '.') out.add(prefix);
      else walk(node[k]!, prefix ? `${prefix}${SEP}${k}` : k);
    }
  };
  if (set) walk(set, '');
  return out;
}

/** Rebuilds a field set from member paths, keys sorted as the apiserver serializes them. */
export function unflatten(members: Iterable<string>): FieldsV1 {
  const root: FieldsV1 = {};
  const paths = [...members];
  for (const m of paths) {
    let node = root;
    for (const t of m.split(SEP)) node = node[t] ??= {};
  }
  for (const m of paths) {
    let node = root;
    for (const t of m.split(SEP)) node = node[t]!;
    if (Object.keys(node).length > 0) node['.'] = {};
  }
  return sortSet(root);
}

function sortSet(node: FieldsV1): FieldsV1 {
  const out: FieldsV1 = {};
  for (const k of Object.keys(node).sort()) out[k] = sortSet(node[k]!);
  return out;
}

export function splitMember(member: string): string[] {
  return member.split(SEP);
}

/** The value at a member path of an object (undefined when absent). */
export function valueAtTokens(obj: unknown, tokens: string[]): unknown {
  let cur: unknown = obj;
  for (const t of tokens) {
    if (t.startsWith('f:')) {
      if (!isPlainObject(cur)) return undefined;
      cur = cur[t.slice(2)];
    } else if (t.startsWith('k:')) {
      if (!Array.isArray(cur)) return undefined;
      cur = findItem(cur, t)?.item;
    } else if (t.startsWith('v:')) {
      if (!Array.isArray(cur)) return undefined;
      const want = JSON.parse(t.slice(2)) as unknown;
      cur = cur.some((v) => deepEqual(v, want)) ? want : undefined;
    }
    if (cur === undefined) return undefined;
  }
  return cur;
}

/** `.spec.template.spec.containers[name="flask-api"].image`, as conflict messages print paths. */
export function formatPath(tokens: string[]): string {
  let out = '';
  for (const t of tokens) {
    if (t.startsWith('f:')) out += `.${t.slice(2)}`;
    else if (t.startsWith('k:')) {
      const k = JSON.parse(t.slice(2)) as KubeObject;
      out += `[${Object.entries(k)
        .map(([n, v]) => `${n}=${typeof v === 'string' ? JSON.stringify(v) : String(v)}`)
        .join(',')}]`;
    } else if (t.startsWith('v:')) out += `[=${t.slice(2)}]`;
  }
  return out;
}

/** Deletes the fields of a set from an object (list items only when their `.` member is in the set). */
export function removeFields(obj: KubeObject, members: Set<string>): void {
  const sorted = [...members].sort((a, b) => b.length - a.length);
  for (const m of sorted) {
    const tokens = splitMember(m);
    const parent = valueAtTokens(obj, tokens.slice(0, -1));
    const last = tokens[tokens.length - 1]!;
    if (last.startsWith('f:') && isPlainObject(parent)) delete parent[last.slice(2)];
    else if (last.startsWith('k:') && Array.isArray(parent)) {
      const hit = findItem(parent, last);
      if (hit) parent.splice(hit.index, 1);
    } else if (last.startsWith('v:') && Array.isArray(parent)) {
      const want = JSON.parse(last.slice(2)) as unknown;
      const i = parent.findIndex((v) => deepEqual(v, want));
      if (i >= 0) parent.splice(i, 1);
    }
  }
}
