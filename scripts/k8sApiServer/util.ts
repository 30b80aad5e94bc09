/** Small helpers: cloning, equality, time stamps, ids, label and field selectors. */
import { randomUUID } from 'node:crypto';
import type { KubeObject } from './types.ts';

/** Deep copy of JSON-like data: a plain recursive copy, several times faster than structuredClone here. */
export function clone<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(clone) as T;
  const copy: Record<string, unknown> = {};
  for (const key in value) copy[key] = clone((value as Record<string, unknown>)[key]);
  return copy as T;
}

export function isPlainObject(value: unknown): value is KubeObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    if (ka.length !== kb.length) return false;
    for (const k of ka) if (!deepEqual(a[k], b[k])) return false;
    return true;
  }
  return false;
}

/** RFC 3339 with seconds, as Kubernetes writes metav1.Time: `2026-11-24T21:52:13Z`. */
export function nowTime(date: Date = new Date()): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z');
}

/** RFC 3339 with microseconds, as metav1.MicroTime (events' eventTime). */
export function microTime(date: Date = new Date()): string {
  return date.toISOString().replace(/Z$/, '000Z');
}

let lastNanos = 0n;
/** Monotonic wall-clock nanoseconds since the epoch (distinct for every call). */
export function nowNanos(): bigint {
  const ms = BigInt(Date.now());
  const sub = process.hrtime.bigint() % 1_000_000n;
  let n = ms * 1_000_000n + sub;
  if (n <= lastNanos) n = lastNanos + 1n;
  lastNanos = n;
  return n;
}

/** Go's RFC3339Nano: fractional seconds with trailing zeros removed. */
export function formatNanos(nanos: bigint): string {
  const ms = Number(nanos / 1_000_000n);
  const base = new Date(ms).toISOString().slice(0, 19);
  const frac = (nanos % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return frac === '' ? `${base}Z` : `${base}.${frac}Z`;
}

export function newUid(): string {
  return randomUUID();
}

const SAFE_CHARS = 'bcdfghjklmnpqrstvwxz2456789';
/** Random suffix as the apiserver's generateName uses (5 chars from the safe alphabet). */
export function randomSuffix(length = 5): string {
  let out = '';
  for (let i = 0; i < length; i++) out += SAFE_CHARS[Math.floor(Math.random() * SAFE_CHARS.length)];
  return out;
}

/** FNV-1a 32-bit hash of a string, encoded with the safe alphabet (like pod-template-hash). */
export function safeHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  let out = '';
  const digits = h.toString(10);
  for (const d of digits) out += SAFE_CHARS[(Number(d) * 7 + out.length) % SAFE_CHARS.length];
  return out;
}

/** One requirement of a label selector. */
export interface LabelRequirement {
  key: string;
  op: 'in' | 'notin' | 'exists' | '!' | '=' | '!=';
  values: string[];
}

/** Parses a label selector string (`a=b,c!=d,e in (x,y),!f,g`); throws Error with the apiserver's text when malformed. */
export function parseLabelSelector(text: string): LabelRequirement[] {
  const reqs: LabelRequirement[] = [];
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur.trim() !== '') parts.push(cur);
  for (const raw of parts) {
    const p = raw.trim();
    if (p === '') continue;
    let m: RegExpMatchArray | null;
    if ((m = p.match(/^([^\s!=()]+)\s+(in|notin)\s+\(([^)]*)\)$/))) {
      reqs.push({
        key: m[1]!,
        op: m[2] as 'in' | 'notin',
        values: m[3]!
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      });
    } else if ((m = p.match(/^([^\s!=()]+)\s*(==|=|!=)\s*([^\s!=()]*)$/))) {
      reqs.push({ key: m[1]!, op: m[2] === '!=' ? '!=' : '=', values: [m[3]!] });
    } else if ((m = p.match(/^!\s*([^\s!=()]+)$/))) {
      reqs.push({ key: m[1]!, op: '!', values: [] });
    } else if ((m = p.match(/^([^\s!=()]+)$/))) {
      reqs.push({ key: m[1]!, op: 'exists', values: [] });
    } else {
      throw new Error(`unable to parse requirement: found '${p}', expected: identifier`);
    }
  }
  return reqs;
}

export function matchesLabels(labels: Record<string, string> | undefined, reqs: LabelRequirement[]): boolean {
  const l = labels ?? {};
  return reqs.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    const v = l[r.key];
    switch (r.op) {
      case '=':
        return has && v === r.values[0];
      case '!=':
        return !has || v !== r.values[0];
      case 'in':
        return has && r.values.includes(v!);
      case 'notin':
        return !has || !r.values.includes(v!);
      case 'exists':
        return has;
      case '!':
        return !has;
    }
  });
}

/** Matches a metav1.LabelSelector object (matchLabels + matchExpressions). */
export function matchesSelectorObject(labels: Record<string, string> | undefined, selector: KubeObject | undefined): boolean {
  if (!selector) return false;
  const reqs: LabelRequirement[] = [];
  for (const [k, v] of Object.entries((selector.matchLabels ?? {}) as Record<string, string>))
    reqs.push({ key: k, op: '=', values: [v] });
  for (const e of (selector.matchExpressions ?? []) as KubeObject[]) {
    const op = String(e.operator);
    reqs.push({
      key: String(e.key),
      op: op === 'In' ? 'in' : op === 'NotIn' ? 'notin' : op === 'Exists' ? 'exists' : '!',
      values: (e.values ?? []) as string[],
    });
  }
  if (reqs.length === 0) return true;
  return matchesLabels(labels, reqs);
}

/** A field selector term: `path=value` or `path!=value`. */
export interface FieldRequirement {
  path: string;
  value: string;
  negate: boolean;
}

export function parseFieldSelector(text: string): FieldRequirement[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((term) => {
      const m = term.match(/^([^!=]+?)\s*(==|=|!=)\s*(.*)$/);
      if (!m) throw new Error(`invalid selector: '${term}'; can't understand '${term}'`);
      return { path: m[1]!, value: m[3]!, negate: m[2] === '!=' };
    });
}

export function valueAtDotted(obj: KubeObject, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (!isPlainObject(cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}

export function matchesFields(obj: KubeObject, reqs: FieldRequirement[]): boolean {
  return reqs.every((r) => {
    const v = valueAtDotted(obj, r.path);
    const s = typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
    return r.negate ? s !== r.value : s === r.value;
  });
}

/** Parses a Kubernetes quantity (`5Gi`, `500Mi`, `1G`, `100m`) into a number of base units. */
export function parseQuantity(q: unknown): number {
  const s = typeof q === 'string' || typeof q === 'number' ? String(q) : '0';
  const m = s.match(/^([0-9.]+)([a-zA-Z]*)$/);
  if (!m) return 0;
  const n = Number(m[1]);
  const mult: Record<string, number> = {
    '': 1,
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    P: 1e15,
    Ki: 1024,
    Mi: 1024 ** 2,
    Gi: 1024 ** 3,
    Ti: 1024 ** 4,
    Pi: 1024 ** 5,
  };
  return n * (mult[m[2]!] ?? 1);
}
