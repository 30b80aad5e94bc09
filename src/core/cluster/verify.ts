import type { KubeObject } from './model.js';

/**
 * The fields a manifest sets that the live object does not hold with the same value: the check
 * after an apply that a field arrived (a client library that drops a field it does not know, a
 * webhook that strips one). Allows what the server does to values: defaults (only the manifest's
 * fields are checked), quantities in another notation (`1Gi` and `1073741824`, `0.5` and `500m`),
 * int-or-string written either way, and omitted empty maps and lists. Returns field paths
 * (`spec.ingress[0].from`), as the server writes them in errors.
 */
export function missingFields(manifest: KubeObject, live: KubeObject): string[] {
  const missing: string[] = [];
  const applied = withoutServerFields(manifest);
  const expected = applied.kind === 'Secret' && applied['stringData'] !== undefined ? secretAsStored(applied) : applied;
  compare(expected, live, '', missing);
  return missing;
}

/** Metadata the server writes itself, whatever an apply sends (a manifest saved with `kubectl get -o yaml` holds them). */
const SERVER_METADATA = [
  'creationTimestamp',
  'uid',
  'resourceVersion',
  'generation',
  'managedFields',
  'selfLink',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
];

/**
 * The manifest less what an apply never sets: the status (the server keeps its own; it is written
 * through the status subresource) and the metadata the server writes.
 */
function withoutServerFields(manifest: KubeObject): KubeObject {
  const { status: _status, ...rest } = manifest as KubeObject & { status?: unknown };
  if (!isRecord(rest.metadata)) return rest;
  const metadata = Object.fromEntries(Object.entries(rest.metadata).filter(([key]) => !SERVER_METADATA.includes(key)));
  return { ...rest, metadata };
}

/** A Secret's stringData is write-only: the server stores it base64-encoded in data. */
function secretAsStored(manifest: KubeObject): KubeObject {
  const { stringData, ...rest } = manifest as KubeObject & {
    stringData: Record<string, unknown>;
    data?: Record<string, unknown>;
  };
  const data = { ...rest.data };
  for (const [key, value] of Object.entries(stringData ?? {})) {
    if (typeof value === 'string') data[key] = Buffer.from(value, 'utf8').toString('base64');
  }
  return { ...rest, data };
}

function compare(want: unknown, have: unknown, path: string, missing: string[]): void {
  if (want === null || want === undefined) return;
  if (Array.isArray(want)) {
    if (want.length === 0) return;
    if (!Array.isArray(have)) {
      missing.push(path);
      return;
    }
    // Lists keyed by name (containers, env, ports, volumes) may hold other managers' items too.
    const byName = want.every((w) => isRecord(w) && typeof w['name'] === 'string');
    const items: readonly unknown[] = have;
    want.forEach((w: unknown, i) => {
      const match = byName ? items.find((h) => isRecord(h) && isRecord(w) && h['name'] === w['name']) : items[i];
      compare(w, match, `${path}[${i}]`, missing);
    });
    return;
  }
  if (isRecord(want)) {
    if (Object.keys(want).length === 0) return;
    if (!isRecord(have)) {
      missing.push(path);
      return;
    }
    for (const [key, value] of Object.entries(want)) compare(value, have[key], path ? `${path}.${key}` : key, missing);
    return;
  }
  if (!sameScalar(want, have)) missing.push(path);
}

function sameScalar(want: unknown, have: unknown): boolean {
  if (want === have) return true;
  if ((typeof want !== 'string' && typeof want !== 'number') || (typeof have !== 'string' && typeof have !== 'number'))
    return false;
  if (String(want) === String(have)) return true;
  const a = quantity(want);
  const b = quantity(have);
  return a !== undefined && b !== undefined && Math.abs(a - b) <= Math.abs(a) * 1e-9;
}

const SUFFIXES: Record<string, number> = {
  '': 1,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** A Kubernetes quantity's value (`1Gi`, `500m`, `1e3`), or undefined when it is not one. */
function quantity(value: string | number): number | undefined {
  if (typeof value === 'number') return value;
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/.exec(value);
  if (!m) return undefined;
  const base = Number(m[1]!);
  if (m[2]) return base * 10 ** Number(m[2].slice(1));
  return base * SUFFIXES[m[3] ?? '']!;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
