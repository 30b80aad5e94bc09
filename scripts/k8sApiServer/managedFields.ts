/**
 * Server-side apply and managedFields bookkeeping: field ownership per manager, conflicts (409 with
 * FieldManagerConflict causes), force, removal of fields a manager stopped applying, and the
 * ownership Update operations take.
 */
import { ApiError } from './status.ts';
import type { KubeObject } from './types.ts';
import type { FieldsV1 } from './fieldSets.ts';
import {
  changedFieldSet,
  fieldSetOf,
  findItem,
  flatten,
  formatPath,
  itemKeyToken,
  listShape,
  isAtomicField,
  removeFields,
  splitMember,
  unflatten,
  valueAtTokens,
} from './fieldSets.ts';
import { clone, deepEqual, isPlainObject } from './util.ts';

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: FieldsV1;
  subresource?: string;
}

const SERVER_META = [
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'selfLink',
];

/** The part of an object whose fields are tracked: no apiVersion/kind/server metadata; status only for the status subresource. */
export function trackedPart(obj: KubeObject, subresource: string | undefined): KubeObject {
  const out: KubeObject = {};
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'apiVersion' || k === 'kind') continue;
    if ((k === 'status') !== (subresource === 'status')) continue;
    if (k === 'metadata' && isPlainObject(v)) {
      const meta: KubeObject = {};
      for (const [mk, mv] of Object.entries(v)) if (!SERVER_META.includes(mk)) meta[mk] = mv;
      if (Object.keys(meta).length > 0) out.metadata = meta;
      continue;
    }
    out[k] = v;
  }
  return out;
}

function sameEntry(e: ManagedFieldsEntry, manager: string, operation: string, subresource: string | undefined): boolean {
  return e.manager === manager && e.operation === operation && (e.subresource ?? '') === (subresource ?? '');
}

/** Orders entries as the apiserver encodes them: Apply before Update, then by time, manager, apiVersion, subresource. */
export function sortEntries(entries: ManagedFieldsEntry[]): ManagedFieldsEntry[] {
  return entries.sort((p, q) => {
    if (p.operation !== q.operation) return p.operation < q.operation ? -1 : 1;
    if (p.time !== q.time) return p.time < q.time ? -1 : 1;
    if (p.manager !== q.manager) return p.manager < q.manager ? -1 : 1;
    if (p.apiVersion !== q.apiVersion) return p.apiVersion < q.apiVersion ? -1 : 1;
    return (p.subresource ?? '') < (q.subresource ?? '') ? -1 : (p.subresource ?? '') > (q.subresource ?? '') ? 1 : 0;
  });
}

function managerText(e: ManagedFieldsEntry): string {
  return e.operation === 'Apply' ? JSON.stringify(e.manager) : `${JSON.stringify(e.manager)} using ${e.apiVersion}`;
}

/** The 409 an apply with conflicts gets, worded like the apiserver's. */
export function conflictError(conflicts: { manager: string; path: string }[]): ApiError {
  const n = conflicts.length;
  let text: string;
  if (n === 1) text = `conflict with ${conflicts[0]!.manager}: ${conflicts[0]!.path}`;
  else {
    const byManager = new Map<string, string[]>();
    for (const c of conflicts) byManager.set(c.manager, [...(byManager.get(c.manager) ?? []), c.path]);
    text = 'conflicts with';
    if (byManager.size === 1) {
      for (const [m, paths] of byManager) text += ` ${m}${paths.map((p) => `\n- ${p}`).join('')}`;
    } else {
      for (const [m, paths] of byManager) text += `\n${m}:${paths.map((p) => `\n- ${p}`).join('')}`;
    }
  }
  const message = `Apply failed with ${n} conflict${n === 1 ? '' : 's'}: ${text}`;
  return new ApiError(409, 'Conflict', message, {
    causes: conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${c.manager}`, field: c.path })),
  });
}

/** Merges an apply configuration into an object, following associative-list keys and atomic fields. */
export function mergeApplied(target: KubeObject, config: KubeObject, path: string[], kind: string): void {
  for (const [key, value] of Object.entries(config)) {
    const childPath = [...path, key];
    if (value === null || value === undefined) continue;
    if (Array.isArray(value)) {
      const shape = listShape(childPath, kind);
      const cur = target[key];
      if (shape.type === 'atomic' || !Array.isArray(cur)) {
        target[key] = clone(value);
      } else if (shape.type === 'set') {
        for (const v of value) if (!cur.some((c) => deepEqual(c, v))) cur.push(clone(v));
      } else {
        for (const item of value) {
          if (!isPlainObject(item)) continue;
          const hit = findItem(cur, itemKeyToken(item, shape.keys));
          if (hit) mergeApplied(hit.item, item, childPath, kind);
          else cur.push(clone(item));
        }
      }
    } else if (isPlainObject(value) && !isAtomicField(childPath)) {
      if (!isPlainObject(target[key])) target[key] = {};
      mergeApplied(target[key] as KubeObject, value, childPath, kind);
    } else {
      target[key] = clone(value);
    }
  }
}

export interface ApplyInput {
  live: KubeObject | undefined;
  /** The decoded apply configuration (apiVersion, kind, metadata, spec...). */
  config: KubeObject;
  manager: string;
  force: boolean;
  apiVersion: string;
  subresource?: string;
  now: string;
  /** Fills server defaults into the merged object (called before managedFields are attached). */
  defaults: (obj: KubeObject) => void;
}

/**
 * Computes the object an apply produces. Returns `changed: false` (and the live object) for a no-op.
 * Throws ApiError 409 on conflicts unless `force`.
 */
export function serverSideApply(input: ApplyInput): { object: KubeObject; changed: boolean } {
  const { live, config, manager, subresource, now } = input;
  const kind = String(config.kind ?? live?.kind ?? '');
  const configPart = trackedPart(config, subresource);
  const configSet = flatten(fieldSetOf(configPart, [], kind, false));
  const entries: ManagedFieldsEntry[] = clone((live?.metadata?.managedFields ?? []) as ManagedFieldsEntry[]);
  const mine = entries.find((e) => sameEntry(e, manager, 'Apply', subresource));
  const others = entries.filter((e) => e !== mine);

  const conflicts: { manager: string; path: string; entry: ManagedFieldsEntry; member: string }[] = [];
  if (live) {
    for (const e of others) {
      const owned = flatten(e.fieldsV1);
      for (const member of configSet) {
        if (!owned.has(member)) continue;
        const tokens = splitMember(member);
        const last = tokens[tokens.length - 1]!;
        if (last.startsWith('k:') || last.startsWith('v:')) continue;
        if (!deepEqual(valueAtTokens(live, tokens), valueAtTokens(configPart, tokens))) {
          conflicts.push({ manager: managerText(e), path: formatPath(tokens), entry: e, member });
        }
      }
    }
  }
  if (conflicts.length > 0 && !input.force) throw conflictError(conflicts);

  const next: KubeObject = live ? clone(live) : { apiVersion: config.apiVersion, kind: config.kind, metadata: {} };
  if (mine && live) {
    const ownedByOthers = new Set<string>();
    for (const e of others) for (const m of flatten(e.fieldsV1)) ownedByOthers.add(m);
    const removed = new Set<string>();
    for (const m of flatten(mine.fieldsV1)) if (!configSet.has(m) && !ownedByOthers.has(m)) removed.add(m);
    removeFields(next, removed);
  }
  mergeApplied(next, configPart, [], kind);
  input.defaults(next);

  let newEntries = others;
  if (conflicts.length > 0) {
    const taken = new Map<ManagedFieldsEntry, Set<string>>();
    for (const c of conflicts) taken.set(c.entry, (taken.get(c.entry) ?? new Set()).add(c.member));
    newEntries = [];
    for (const e of others) {
      const drop = taken.get(e);
      if (!drop) {
        newEntries.push(e);
        continue;
      }
      const left = [...flatten(e.fieldsV1)].filter((m) => !drop.has(m));
      if (left.length > 0) newEntries.push({ ...e, fieldsV1: unflatten(left) });
    }
  }
  // Same members, same set: compare the flat member sets rather than rebuilding both trees.
  const mineSet = mine ? flatten(mine.fieldsV1) : undefined;
  const sameSet = mineSet !== undefined && mineSet.size === configSet.size && [...configSet].every((m) => mineSet.has(m));
  if (live && sameSet && conflicts.length === 0 && deepEqual(withoutMeta(next), withoutMeta(live))) {
    return { object: live, changed: false };
  }
  // An apply that sets no field (a Namespace with only its name) leaves no entry behind.
  if (configSet.size === 0) {
    if (newEntries.length > 0) next.metadata.managedFields = sortEntries(newEntries);
    else delete next.metadata.managedFields;
    return { object: next, changed: true };
  }
  const entry: ManagedFieldsEntry = {
    manager,
    operation: 'Apply',
    apiVersion: input.apiVersion,
    time: now,
    fieldsType: 'FieldsV1',
    fieldsV1: unflatten(configSet),
  };
  if (subresource) entry.subresource = subresource;
  next.metadata.managedFields = sortEntries([...newEntries, entry]);
  return { object: next, changed: true };
}

function withoutMeta(obj: KubeObject): KubeObject {
  const m = { ...obj.metadata };
  delete m.managedFields;
  delete m.resourceVersion;
  return { ...obj, metadata: m };
}

/**
 * Records an Update (create, replace, merge/JSON patch, controller write): `manager` takes the
 * fields that changed between `prev` and `next`; other managers lose them. Mutates `next.metadata`.
 */
export function recordUpdate(
  prev: KubeObject | undefined,
  next: KubeObject,
  manager: string,
  apiVersion: string,
  subresource: string | undefined,
  now: string,
): void {
  const kind = String(next.kind ?? '');
  const before = prev ? trackedPart(prev, subresource) : undefined;
  const after = trackedPart(next, subresource);
  const changed = flatten(changedFieldSet(before, after, [], kind));
  let entries = clone((prev?.metadata?.managedFields ?? next.metadata.managedFields ?? []) as ManagedFieldsEntry[]);
  if (changed.size === 0) {
    if (entries.length > 0) next.metadata.managedFields = entries;
    return;
  }
  let mine = entries.find((e) => sameEntry(e, manager, 'Update', subresource));
  entries = entries.flatMap((e) => {
    if (e === mine) return [e];
    const members = [...flatten(e.fieldsV1)];
    const left = members.filter((m) => !changed.has(m) && valueAtTokens(next, splitMember(m)) !== undefined);
    // Rebuild the set only when the entry lost a field (rebuilding is the costly part).
    if (left.length === members.length) return [e];
    return left.length > 0 ? [{ ...e, fieldsV1: unflatten(left) }] : [];
  });
  const owned = flatten(mine?.fieldsV1);
  const grows = !mine || [...changed].some((m) => !owned.has(m));
  if (!mine) {
    mine = { manager, operation: 'Update', apiVersion, time: now, fieldsType: 'FieldsV1', fieldsV1: {} };
    if (subresource) mine.subresource = subresource;
    entries.push(mine);
  }
  // A controller writing the same fields again (status updates) leaves its set as it is.
  if (grows) mine.fieldsV1 = unflatten(new Set([...owned, ...changed]));
  mine.time = now;
  next.metadata.managedFields = sortEntries(entries);
}
