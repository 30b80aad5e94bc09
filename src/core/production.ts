/**
 * Whether a context name looks like production by the patterns (drRunbook.safety.productionContextPatterns,
 * or the command line's --production-pattern); a pattern that is no regular expression counts as a substring.
 */
export function isProductionContext(context: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => {
    try {
      return new RegExp(p, 'i').test(context);
    } catch {
      return context.toLowerCase().includes(p.toLowerCase());
    }
  });
}

/** The patterns a production context is recognised by when none are configured. */
export const DEFAULT_PRODUCTION_PATTERNS: readonly string[] = ['prod'];
