/**
 * The schema checks a v1.26 apiserver makes before validation, with its wording:
 * - server-side apply builds a typed patch (structured-merge-diff): an undeclared field, a value of
 *   the wrong type or a duplicated list-map key is a 500 "failed to create typed patch object";
 * - converting to the typed object fails on bad base64 (`format: byte`) and bad quantities (500);
 * - other writes decode with `fieldValidation` (unknown fields: Strict refuses, Warn warns, Ignore drops).
 *
 * The field lists and types come from @kubernetes/client-node's generated models (the Kubernetes
 * OpenAPI schema, one class per definition, with the wire names): a maintained copy of the real
 * schema rather than one written here. They describe a newer release than 1.26, so a field added
 * since is accepted here where a 1.26 server would refuse it.
 */
import * as k8s from '@kubernetes/client-node';
import { ApiError, badRequest } from './status.ts';
import type { KubeObject, ResourceType } from './types.ts';
import { listShape } from './fieldSets.ts';
import { isPlainObject } from './util.ts';

type Attribute = { baseName: string; type: string; format: string };
type Model = { getAttributeTypeMap(): Attribute[] };

const models = new Map<string, Map<string, Attribute> | undefined>();

function model(type: string): Map<string, Attribute> | undefined {
  if (models.has(type)) return models.get(type);
  const candidate = (k8s as unknown as Record<string, unknown>)[type];
  const fields =
    typeof candidate === 'function' && 'getAttributeTypeMap' in candidate
      ? new Map((candidate as unknown as Model).getAttributeTypeMap().map((a) => [a.baseName, a] as const))
      : undefined;
  models.set(type, fields);
  return fields;
}

/** The model of a served kind (`V1Deployment`, ...), if the schema knows it. */
function rootType(rt: ResourceType): string | undefined {
  const type = `${rt.version.charAt(0).toUpperCase()}${rt.version.slice(1)}${rt.kind}`;
  return model(type) ? type : undefined;
}

const QUANTITY = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;
const QUANTITY_SUFFIX = /^(|[eE][-+]?[0-9]+|Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)$/;
/** Fields whose values are resource.Quantity (a string or a number on the wire). */
const QUANTITY_MAPS = new Set(['limits', 'requests', 'capacity', 'allocatable', 'hard', 'used']);
const QUANTITY_FIELDS = new Set(['sizeLimit', 'storage']);

function isQuantityPath(path: readonly string[]): boolean {
  const last = path[path.length - 1]!;
  const parent = path[path.length - 2];
  return QUANTITY_FIELDS.has(last) || (parent !== undefined && QUANTITY_MAPS.has(parent));
}

/** Go's %v of a decoded JSON value. */
function goValue(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(goValue).join(' ')}]`;
  if (isPlainObject(v))
    return `map[${Object.keys(v)
      .sort()
      .map((k) => `${k}:${goValue(v[k])}`)
      .join(' ')}]`;
  return String(v);
}

function goType(v: unknown): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  if (Array.isArray(v)) return '[]interface {}';
  return 'map[string]interface {}';
}

function keyText(item: KubeObject, keys: readonly string[]): string {
  return keys
    .filter((k) => item[k] !== undefined)
    .sort()
    .map((k) => `${k}=${JSON.stringify(item[k])}`)
    .join(',');
}

interface Walk {
  kind: string;
  /** Field names from the root, list items adding nothing (the form listShape takes). */
  names: string[];
  /** structured-merge-diff's path text: `.spec.template.spec.containers[name="web"]`. */
  smd: string;
  /** The decoder's path text: `spec.template.spec.containers[0]`. */
  dotted: string;
}

interface Findings {
  typed: string[];
  unknown: string[];
  conversion: string[];
}

function child(w: Walk, name: string): Walk {
  return {
    kind: w.kind,
    names: [...w.names, name],
    smd: `${w.smd}.${name}`,
    dotted: w.dotted === '' ? name : `${w.dotted}.${name}`,
  };
}

function checkScalar(value: unknown, attr: Attribute, w: Walk, out: Findings): void {
  const { type, format } = attr;
  if (type === 'number') {
    if (typeof value !== 'number') out.typed.push(`${w.smd}: expected numeric (int or float), got ${goType(value)}`);
    return;
  }
  if (type === 'boolean') {
    if (typeof value !== 'boolean') out.typed.push(`${w.smd}: expected boolean, got &{${goValue(value)}}`);
    return;
  }
  if (type === 'IntOrString') {
    if (typeof value !== 'number' && typeof value !== 'string')
      out.typed.push(`${w.smd}: expected string or numeric, got &{${goValue(value)}}`);
    return;
  }
  if (type === 'string' || type === 'Date') {
    const quantity = isQuantityPath(w.names);
    if (typeof value !== 'string' && !(quantity && typeof value === 'number')) {
      out.typed.push(`${w.smd}: expected string, got &value.valueUnstructured{Value:${goValue(value)}}`);
      return;
    }
    if (quantity) {
      const m = QUANTITY.exec(String(value));
      if (!m) out.conversion.push(`quantities must match the regular expression '${QUANTITY.source}'`);
      else if (!QUANTITY_SUFFIX.test(m[2]!)) out.conversion.push("unable to parse quantity's suffix");
    } else if (format === 'byte') {
      const bad = base64Error(String(value));
      if (bad !== undefined) out.conversion.push(`error decoding from json: illegal base64 data at input byte ${bad}`);
    }
  }
}

/** Where Go's base64.StdEncoding gives up on `text`, or undefined when it decodes. */
function base64Error(text: string): number | undefined {
  const bad = /[^A-Za-z0-9+/=]/.exec(text);
  if (bad) return bad.index;
  const pad = text.indexOf('=');
  if (pad >= 0 && !/^={1,2}$/.test(text.slice(pad))) return pad;
  if (text.length % 4 !== 0) return text.length - (text.length % 4);
  return undefined;
}

function walkValue(value: unknown, type: string, format: string, w: Walk, out: Findings): void {
  if (value === null || value === undefined || type === 'any' || type === 'object') return;
  const list = /^Array<(.+)>$/.exec(type);
  if (list) {
    if (!Array.isArray(value)) {
      out.typed.push(`${w.smd}: expected list, got &{${goValue(value)}}`);
      return;
    }
    const shape = listShape(w.names, w.kind);
    const seen = new Set<string>();
    value.forEach((item, i) => {
      let smd = `${w.smd}[${i}]`;
      if (shape.type === 'map' && isPlainObject(item)) {
        const key = keyText(item, shape.keys);
        if (seen.has(key)) out.typed.push(`${w.smd}: duplicate entries for key [${key}]`);
        seen.add(key);
        smd = `${w.smd}[${key}]`;
      }
      walkValue(item, list[1]!, format, { ...w, smd, dotted: `${w.dotted}[${i}]` }, out);
    });
    return;
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    if (!isPlainObject(value)) {
      out.typed.push(`${w.smd}: expected map, got &{${goValue(value)}}`);
      return;
    }
    for (const [k, v] of Object.entries(value)) walkValue(v, map[1]!, format, child(w, k), out);
    return;
  }
  const fields = model(type);
  if (!fields) {
    checkScalar(value, { baseName: '', type, format }, w, out);
    return;
  }
  if (!isPlainObject(value)) {
    out.typed.push(`${w.smd}: expected map, got &{${goValue(value)}}`);
    return;
  }
  for (const [k, v] of Object.entries(value)) {
    const attr = fields.get(k);
    const next = child(w, k);
    if (!attr) {
      out.typed.push(`${next.smd}: field not declared in schema`);
      out.unknown.push(next.dotted);
      continue;
    }
    walkValue(v, attr.type, attr.format, next, out);
  }
}

function inspect(rt: ResourceType, obj: KubeObject): Findings {
  const out: Findings = { typed: [], unknown: [], conversion: [] };
  const type = rootType(rt);
  if (type) walkValue(obj, type, '', { kind: rt.kind, names: [], smd: '', dotted: '' }, out);
  return out;
}

function gvkText(rt: ResourceType): string {
  return `${rt.group}/${rt.version}, Kind=${rt.kind}`;
}

function objectText(rt: ResourceType, obj: KubeObject): string {
  return `${String(obj.metadata?.namespace ?? '')}/${String(obj.metadata?.name ?? '')}; ${gvkText(rt)}`;
}

/** structured-merge-diff's joined error text. */
function joined(errors: string[]): string {
  return errors.length === 1 ? errors[0]! : ['errors:', ...errors.map((e) => `  ${e}`)].join('\n');
}

/** The 500s of server-side apply: the typed patch, then the conversion to the typed object. */
export function checkApplyConfiguration(rt: ResourceType, config: KubeObject): void {
  const found = inspect(rt, config);
  if (found.typed.length > 0) {
    throw new ApiError(500, '', `failed to create typed patch object (${objectText(rt, config)}): ${joined(found.typed)}`);
  }
  throwConversion(rt, config, found);
}

function throwConversion(rt: ResourceType, obj: KubeObject, found: Findings): void {
  if (found.conversion.length === 0) return;
  throw new ApiError(
    500,
    '',
    `failed to convert new object (${objectText(rt, obj)}) to proper version: unable to convert unstructured object to ${gvkText(rt)}: ${found.conversion[0]!}`,
  );
}

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/** The `fieldValidation` query parameter (default Warn, as on a 1.26 server). */
export function fieldValidationOf(query: URLSearchParams): FieldValidation {
  const v = query.get('fieldValidation') ?? '';
  if (v === '' || v === 'Warn') return 'Warn';
  if (v === 'Strict' || v === 'Ignore') return v;
  throw badRequest(`fieldValidation parameter unsupported: ${v}`);
}

/** Removes the fields the schema does not declare (as decoding into the typed object does). */
function prune(value: unknown, type: string): void {
  if (value === null || value === undefined) return;
  const list = /^Array<(.+)>$/.exec(type);
  if (list) {
    if (Array.isArray(value)) for (const item of value) prune(item, list[1]!);
    return;
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    if (isPlainObject(value)) for (const v of Object.values(value)) prune(v, map[1]!);
    return;
  }
  const fields = model(type);
  if (!fields || !isPlainObject(value)) return;
  for (const [k, v] of Object.entries(value)) {
    const attr = fields.get(k);
    if (attr) prune(v, attr.type);
    else delete value[k];
  }
}

/**
 * Decodes a create or update body the way the apiserver does: unknown fields refused (Strict, 400)
 * or dropped (Warn adds a warning per field, Ignore drops them silently), type and conversion errors
 * refused. Mutates `obj` and returns the warnings.
 */
export function decodeTyped(rt: ResourceType, obj: KubeObject, mode: FieldValidation): string[] {
  const found = inspect(rt, obj);
  const typeErrors = found.typed.filter((e) => !e.endsWith(': field not declared in schema'));
  if (typeErrors.length > 0) {
    throw badRequest(
      `${rt.kind} in version "${rt.version}" cannot be handled as a ${rt.kind}: ${typeErrors[0]!.replace(/^\./, '')}`,
    );
  }
  throwConversion(rt, obj, found);
  if (found.unknown.length > 0 && mode === 'Strict') {
    const list = found.unknown.map((f) => `unknown field ${JSON.stringify(f)}`).join(', ');
    throw badRequest(`${rt.kind} in version "${rt.version}" cannot be handled as a ${rt.kind}: strict decoding error: ${list}`);
  }
  const type = rootType(rt);
  if (type) prune(obj, type);
  return mode === 'Warn' ? found.unknown.map((f) => `unknown field ${JSON.stringify(f)}`) : [];
}

/**
 * A non-apply patch: the patched object is decoded like a body, but a Strict refusal is a 422 that
 * quotes the whole patched object, as the apiserver words it.
 */
export function decodePatched(rt: ResourceType, patched: KubeObject, mode: FieldValidation): string[] {
  const found = inspect(rt, patched);
  if (found.unknown.length > 0 && mode === 'Strict') {
    const detail = `strict decoding error: ${found.unknown.map((f) => `unknown field ${JSON.stringify(f)}`).join(', ')}`;
    const message = `Invalid value: ${JSON.stringify(JSON.stringify(patched))}: ${detail}`;
    throw new ApiError(422, 'Invalid', ` "" is invalid: patch: ${message}`, {
      causes: [{ reason: 'FieldValueInvalid', message, field: 'patch' }],
    });
  }
  return decodeTyped(rt, patched, mode === 'Strict' ? 'Ignore' : mode);
}
