import { err, ok, type Result } from '../result.js';

const PLACEHOLDER = /\$\{([A-Z][A-Z0-9_]*)\}/g;

/** The `${NAME}` placeholders of a Secret's stringData values, in order of first use. */
export function secretPlaceholders(body: Record<string, unknown>): string[] {
  if (body['kind'] !== 'Secret') return [];
  const names = new Set<string>();
  for (const value of Object.values(stringData(body))) {
    if (typeof value === 'string') for (const m of value.matchAll(PLACEHOLDER)) names.add(m[1]!);
  }
  return [...names];
}

/**
 * Fills a Secret template: every `${NAME}` in stringData takes the value `lookup` gives (from the
 * environment or the editor's secret storage). Refuses, listing every missing name, when any is
 * unset or empty, so a Secret with a placeholder password is never created. Other objects pass
 * through untouched (a script's `${VAR}` in a CronJob is not ours to fill).
 */
export function fillSecretTemplate(
  body: Record<string, unknown>,
  lookup: (name: string) => string | undefined,
): Result<Record<string, unknown>, { readonly missing: readonly string[] }> {
  const names = secretPlaceholders(body);
  if (names.length === 0) return ok(body);
  const missing = names.filter((name) => !lookup(name));
  if (missing.length) return err({ missing });
  const filled: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(stringData(body))) {
    filled[key] = typeof value === 'string' ? value.replace(PLACEHOLDER, (_, name: string) => lookup(name) ?? '') : value;
  }
  return ok({ ...body, stringData: filled });
}

function stringData(body: Record<string, unknown>): Record<string, unknown> {
  const data = body['stringData'];
  return typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {};
}
