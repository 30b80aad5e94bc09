import type { KubectlTarget, Word } from './model.js';

/**
 * What a kubectl command line says, as kubectl reads it: its verb, its positional words, the
 * flags DR Runbook knows (by their long names), the flags it does not, and the global flags that
 * say where and how it acts. The one place that knows kubectl's flags.
 */
export type KubectlLine =
  | {
      readonly kind: 'parsed';
      readonly verb: string;
      /** The words after the verb that are not flags or flag values. */
      readonly positional: readonly Word[];
      /** Known flags by long name, each value as written (`true` for a flag without one). */
      readonly flags: ReadonlyMap<string, readonly Word[]>;
      /** Flags DR Runbook does not know, as written. */
      readonly unknown: readonly Word[];
      readonly target: KubectlTarget;
      /** `-n` / `--namespace`. */
      readonly namespace: string | undefined;
    }
  | { readonly kind: 'unparsed'; readonly why: string };

/** Flags every verb takes, and whether they take a value. */
const GLOBAL_FLAGS: Record<string, 'value' | 'bool'> = {
  '--context': 'value',
  '--kubeconfig': 'value',
  '--namespace': 'value',
  '--dry-run': 'bool',
};

/** The flags of each verb DR Runbook carries out itself. */
const VERB_FLAGS: Record<string, Record<string, 'value' | 'bool'>> = {
  apply: { '--filename': 'value', '--recursive': 'bool', '--server-side': 'bool', '--force-conflicts': 'bool' },
  rollout: { '--to-revision': 'value' },
  logs: {
    '--container': 'value',
    '--selector': 'value',
    '--since': 'value',
    '--since-time': 'value',
    '--tail': 'value',
    '--follow': 'bool',
    '--previous': 'bool',
    '--timestamps': 'bool',
    '--all-containers': 'bool',
    '--prefix': 'bool',
  },
  create: {},
  delete: { '--wait': 'bool' },
};

/** Short flags by verb (`-f` is --filename to apply, --follow to logs). */
const SHORT_FLAGS: Record<string, Record<string, string>> = {
  apply: { '-f': '--filename', '-R': '--recursive' },
  logs: { '-f': '--follow', '-c': '--container', '-l': '--selector', '-p': '--previous' },
};

/** Flags of kubectl that take a value, for finding the verb past them (`kubectl --context x apply`). */
const VALUE_FLAGS_BEFORE_VERB = new Set([
  '-n',
  '--namespace',
  '--context',
  '--kubeconfig',
  '--cluster',
  '--user',
  '-s',
  '--server',
  '--token',
  '--as',
]);

export function parseKubectlLine(words: readonly Word[]): KubectlLine {
  let verbAt = -1;
  for (let i = 0; i < words.length; i++) {
    const value = words[i]!.value;
    if (!value.startsWith('-')) {
      verbAt = i;
      break;
    }
    if (VALUE_FLAGS_BEFORE_VERB.has(value)) i++;
  }
  if (verbAt < 0) return { kind: 'unparsed', why: 'it has no verb' };
  const verb = words[verbAt]!.value;
  const known: Record<string, 'value' | 'bool'> = { ...GLOBAL_FLAGS, ...(VERB_FLAGS[verb] ?? {}) };
  const short: Record<string, string> = { '-n': '--namespace', ...(SHORT_FLAGS[verb] ?? {}) };
  const flags = new Map<string, Word[]>();
  const unknown: Word[] = [];
  const positional: Word[] = [];
  for (let i = 0; i < words.length; i++) {
    if (i === verbAt) continue;
    const word = words[i]!;
    if (!word.value.startsWith('-') || word.value === '-') {
      positional.push(word);
      continue;
    }
    const eq = word.value.indexOf('=');
    const written = eq > 0 ? word.value.slice(0, eq) : word.value;
    const name = short[written] ?? written;
    const kind = known[name];
    if (kind === undefined) {
      unknown.push(word);
      // An unknown flag's value cannot be told from a positional word: the whole line goes to kubectl anyway.
      continue;
    }
    let value: Word;
    if (eq > 0) value = { value: word.value.slice(eq + 1), column: word.column + eq + 1 };
    else if (kind === 'value') {
      const next = words[i + 1];
      if (!next) return { kind: 'unparsed', why: `${written} needs a value` };
      value = next;
      i++;
    } else value = { value: name === '--dry-run' ? 'client' : 'true', column: word.column };
    flags.set(name, [...(flags.get(name) ?? []), value]);
  }
  const last = (name: string): string | undefined => flags.get(name)?.at(-1)?.value;
  const dryRun = last('--dry-run') ?? 'none';
  if (dryRun !== 'none' && dryRun !== 'client' && dryRun !== 'server')
    return { kind: 'unparsed', why: `--dry-run=${dryRun} is not one of none, client, server` };
  return {
    kind: 'parsed',
    verb,
    positional,
    flags,
    unknown,
    target: { context: last('--context'), kubeconfig: last('--kubeconfig'), dryRun },
    namespace: last('--namespace'),
  };
}
