import type { Command, ScriptArgument, StepKind, Word } from './model.js';
import { shellWords } from './shellWords.js';

/**
 * Turns one command line of the plan into a typed command, following the table in PRODUCT.md:
 * kubectl apply / rollout undo / logs / create and delete namespace, scripts, `cd` to the
 * project, and anything else.
 */
export function classifyCommand(text: string, line: number, column: number): Command {
  const base = { text, line, column };
  const words = shellWords(text, column);
  const program = words[0]?.value;
  if (program === undefined) return { ...base, kind: 'other' };
  if (program === 'kubectl') return classifyKubectl(words.slice(1), base);
  if (program === 'cd') {
    const target = words[1]?.value ?? '~';
    return { ...base, kind: 'cd', target, projectRoot: isProjectRoot(target) };
  }
  const scriptWords = program === 'bash' || program === 'sh' ? words.slice(1) : words;
  const script = scriptWords[0];
  if (script && isScriptPath(script.value)) {
    return {
      ...base,
      kind: 'script',
      path: script,
      args: scriptWords.slice(1).map((w): ScriptArgument => ({ ...w, placeholder: isPlaceholder(w.value) })),
    };
  }
  return { ...base, kind: 'other' };
}

/** kubectl flags that take a value in the next word (when not written as --flag=value). */
const KUBECTL_VALUE_FLAGS = new Set([
  '-n',
  '--namespace',
  '--context',
  '--kubeconfig',
  '--cluster',
  '--user',
  '-f',
  '--filename',
  '-c',
  '--container',
  '-l',
  '--selector',
  '--to-revision',
  '--tail',
  '--since',
  '--since-time',
  '-o',
  '--output',
  '--field-manager',
]);

interface KubectlArgs {
  readonly positional: Word[];
  readonly flags: Map<string, Word[]>;
}

/** The kubectl verb: the first word that is neither a flag nor a global flag's value. */
function kubectlVerb(words: readonly Word[]): string | undefined {
  for (let i = 0; i < words.length; i++) {
    const value = words[i]!.value;
    if (!value.startsWith('-')) return value;
    if (KUBECTL_VALUE_FLAGS.has(value)) i++;
  }
  return undefined;
}

function parseKubectlArgs(words: readonly Word[], booleanFlags: ReadonlySet<string>): KubectlArgs {
  const positional: Word[] = [];
  const flags = new Map<string, Word[]>();
  const add = (name: string, value: Word): void => {
    flags.set(name, [...(flags.get(name) ?? []), value]);
  };
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    const eq = word.value.indexOf('=');
    if (word.value.startsWith('-') && eq > 0) {
      const name = word.value.slice(0, eq);
      add(name, { value: word.value.slice(eq + 1), column: word.column + eq + 1 });
    } else if (KUBECTL_VALUE_FLAGS.has(word.value) && !booleanFlags.has(word.value) && i + 1 < words.length) {
      add(word.value, words[++i]!);
    } else if (word.value.startsWith('-')) {
      add(word.value, { value: 'true', column: word.column });
    } else {
      positional.push(word);
    }
  }
  return { positional, flags };
}

function flag(args: KubectlArgs, ...names: string[]): Word | undefined {
  for (const name of names) {
    const values = args.flags.get(name);
    if (values?.length) return values[values.length - 1];
  }
  return undefined;
}

function flagValues(args: KubectlArgs, ...names: string[]): Word[] {
  return names.flatMap((name) => args.flags.get(name) ?? []);
}

type Base = { text: string; line: number; column: number };

function classifyKubectl(words: readonly Word[], base: Base): Command {
  // In `kubectl logs`, -f means --follow and takes no value.
  const args = parseKubectlArgs(words, kubectlVerb(words) === 'logs' ? new Set(['-f']) : new Set());
  const verbs = args.positional.map((w) => w.value);
  const namespace = flag(args, '-n', '--namespace')?.value;
  switch (verbs[0]) {
    case 'apply': {
      const paths = flagValues(args, '-f', '--filename');
      return paths.length ? { ...base, kind: 'apply', paths, namespace } : { ...base, kind: 'other' };
    }
    case 'rollout': {
      if (verbs[1] !== 'undo' || !verbs[2]) break;
      const target = splitTarget(args.positional.slice(2));
      if (!target) break;
      const revision = flag(args, '--to-revision')?.value;
      const toRevision = revision === undefined ? undefined : Number(revision);
      return {
        ...base,
        kind: 'rollback',
        resource: target.resource,
        name: target.name,
        namespace,
        toRevision: toRevision !== undefined && Number.isInteger(toRevision) && toRevision > 0 ? toRevision : undefined,
      };
    }
    case 'logs': {
      const selector = flag(args, '-l', '--selector')?.value;
      const target = selector ? { resource: 'selector', name: selector } : splitTarget(args.positional.slice(1));
      if (!target) break;
      return {
        ...base,
        kind: 'logs',
        ...target,
        namespace,
        container: flag(args, '-c', '--container')?.value,
        follow: flag(args, '-f', '--follow') !== undefined,
      };
    }
    case 'create':
    case 'delete': {
      if ((verbs[1] === 'namespace' || verbs[1] === 'ns') && verbs[2]) {
        return { ...base, kind: verbs[0] === 'create' ? 'namespaceCreate' : 'namespaceDelete', namespace: verbs[2] };
      }
      const target = splitTarget(args.positional.slice(1));
      if (target && (target.resource === 'namespace' || target.resource === 'ns')) {
        return { ...base, kind: verbs[0] === 'create' ? 'namespaceCreate' : 'namespaceDelete', namespace: target.name };
      }
      break;
    }
  }
  return { ...base, kind: 'other' };
}

/** `deployment/flask-api`, or `deployment flask-api`, or a bare pod name. */
function splitTarget(words: readonly Word[]): { resource: string; name: string } | undefined {
  const first = words[0]?.value;
  if (!first) return undefined;
  const slash = first.indexOf('/');
  if (slash > 0) return { resource: normaliseResource(first.slice(0, slash)), name: first.slice(slash + 1) };
  const second = words[1]?.value;
  if (second) return { resource: normaliseResource(first), name: second };
  return { resource: 'pod', name: first };
}

const RESOURCE_ALIASES: Record<string, string> = {
  deploy: 'deployment',
  deployments: 'deployment',
  sts: 'statefulset',
  statefulsets: 'statefulset',
  po: 'pod',
  pods: 'pod',
  ns: 'namespace',
  namespaces: 'namespace',
  ds: 'daemonset',
  daemonsets: 'daemonset',
  jobs: 'job',
};

function normaliseResource(resource: string): string {
  const lower = resource.toLowerCase();
  const kind = lower.split('.')[0]!;
  return RESOURCE_ALIASES[kind] ?? kind;
}

function isScriptPath(value: string): boolean {
  return /\.(sh|bash)$/.test(value) || value.startsWith('./') || value.startsWith('scripts/');
}

/** `/path/to/...`, `<backup-file>`, `${BACKUP}`, `YOUR_...`: a value the person must choose. */
export function isPlaceholder(value: string): boolean {
  return (
    /(^|\/)path\/to\//.test(value) ||
    /^<[^>]+>$/.test(value) ||
    /^\$\{?[A-Z_][A-Z0-9_]*\}?$/.test(value) ||
    /^(YOUR|CHANGE)_?[A-Z_]*$/.test(value)
  );
}

function isProjectRoot(target: string): boolean {
  return target === '.' || /(^|\/)path\/to\/(the-)?project\/?$/.test(target) || /^\$\{?PROJECT/.test(target);
}

/** The step's kind: what matters most among its commands (a script outranks the `cd` before it). */
export function stepKind(commands: readonly Command[]): StepKind {
  if (commands.length === 0) return 'manual';
  const rank: Exclude<StepKind, 'manual'>[] = [
    'script',
    'rollback',
    'namespaceDelete',
    'namespaceCreate',
    'apply',
    'logs',
    'other',
  ];
  const kinds = new Set(commands.map((c) => c.kind));
  for (const kind of rank) if (kinds.has(kind)) return kind;
  return 'other';
}
