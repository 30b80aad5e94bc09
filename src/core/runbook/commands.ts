import type { Command, DrillAction, Scenario, ScriptArgument, ScriptCommand, Step, StepKind, Word } from './model.js';
import { parseKubectlLine } from './kubectl.js';
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

type Base = { text: string; line: number; column: number };

function classifyKubectl(words: readonly Word[], base: Base): Command {
  const line = parseKubectlLine(words);
  const other = (why: string): Command => ({ ...base, kind: 'other', kubectl: why });
  const refuse = (why: string): Command => ({ ...base, kind: 'other', refused: why });
  if (line.kind === 'unparsed') return other(line.why);
  const { verb, positional, flags, unknown, target, namespace } = line;
  const names = positional.map((w) => w.value);
  const foreign = unknown.map((w) => w.value.split('=')[0]).join(', ');
  const bool = (name: string): boolean => {
    const value = flags.get(name)?.at(-1)?.value;
    return value !== undefined && value !== 'false';
  };
  switch (verb) {
    case 'apply': {
      const paths = flags.get('--filename') ?? [];
      if (unknown.length) return other(`DR Runbook does not apply with ${foreign} itself`);
      if (paths.length === 0) return other('it names no file with -f');
      return {
        ...base,
        kind: 'apply',
        globals: target,
        paths,
        namespace,
        recursive: bool('--recursive'),
        forceConflicts: bool('--force-conflicts'),
      };
    }
    case 'rollout': {
      if (names[0] !== 'undo') return other(`DR Runbook does not do "rollout ${names[0] ?? ''}" itself`);
      const found = splitTarget(positional.slice(1));
      if (!found || positional.length > (positional[1]?.value.includes('/') ? 2 : 3))
        return other('it names no single workload to roll back');
      if (found.resource !== 'deployment')
        return other(
          `DR Runbook rolls back Deployments itself; kubectl rolls back a ${found.resource} (from its ControllerRevisions)`,
        );
      if (unknown.length) return other(`DR Runbook does not roll back with ${foreign} itself`);
      const revision = flags.get('--to-revision')?.at(-1)?.value;
      const toRevision = revision === undefined ? undefined : Number(revision);
      if (toRevision !== undefined && !(Number.isInteger(toRevision) && toRevision >= 0))
        return refuse(`--to-revision=${revision} is not a revision number.`);
      return {
        ...base,
        kind: 'rollback',
        globals: target,
        resource: 'deployment',
        name: found.name,
        namespace,
        toRevision: toRevision || undefined,
      };
    }
    case 'logs': {
      const selector = flags.get('--selector')?.at(-1)?.value;
      const found = selector ? { resource: 'selector', name: selector } : logsTarget(positional);
      if (!found) return other('it names no pod, workload or selector');
      const follow = bool('--follow');
      const tailText = flags.get('--tail')?.at(-1)?.value;
      // kubectl's default: every line, but the last 10 per container for a label selector.
      const tail = tailText === undefined ? (selector ? 10 : undefined) : Number(tailText) < 0 ? undefined : Number(tailText);
      if (tail !== undefined && !Number.isInteger(tail)) return refuse(`--tail=${tailText} is not a number of lines.`);
      const args = words.map((w) => w.value);
      const command = {
        ...base,
        kind: 'logs' as const,
        globals: target,
        ...found,
        namespace,
        container:
          flags.get('--container')?.at(-1)?.value ?? (positional[0]?.value.includes('/') ? undefined : positional[1]?.value),
        follow,
        tail,
        args,
      };
      if (!follow) return command;
      // Followed logs go to an output channel of their own and go on after the step: the engine does that
      // for the pods of a workload or a selector; anything more would block the run.
      const extra = [
        ...unknown.map((w) => w.value.split('=')[0]!),
        ...['--container', '--previous', '--since', '--since-time'].filter((f) => flags.has(f)),
      ];
      if (!FOLLOWED_KINDS.has(found.resource))
        return refuse(`kubectl logs -f of a ${found.resource} would never end the step: drop -f to print its logs once.`);
      if (extra.length)
        return refuse(
          `DR Runbook follows every container of a workload's pods, from their last lines: ${extra.join(', ')} with -f is not supported. Drop -f to print the logs once.`,
        );
      return command;
    }
    case 'create':
    case 'delete': {
      const kind = verb === 'create' ? 'namespaceCreate' : 'namespaceDelete';
      const first = names[0];
      let namespaces: string[];
      if (first === 'namespace' || first === 'ns' || first === 'namespaces') namespaces = names.slice(1);
      else if (positional.length > 0 && positional.every((w) => /^(namespaces?|ns)\//.test(w.value)))
        namespaces = names.map((n) => n.slice(n.indexOf('/') + 1));
      else return other(`DR Runbook does not do "${verb} ${names.join(' ')}" itself`);
      if (namespaces.length === 0) return other('it names no namespace');
      if (verb === 'create' && namespaces.length > 1) return refuse('kubectl create namespace takes one name.');
      if (unknown.length) return other(`DR Runbook does not ${verb} namespaces with ${foreign} itself`);
      return { ...base, kind, globals: target, namespaces };
    }
  }
  return other(`DR Runbook does not do "kubectl ${verb}" itself`);
}

/** Workloads whose pods the engine follows (by their selector). */
const FOLLOWED_KINDS = new Set(['deployment', 'statefulset', 'daemonset', 'job', 'selector']);

/** `kubectl logs TYPE/NAME` or `kubectl logs POD [CONTAINER]`. */
function logsTarget(words: readonly Word[]): { resource: string; name: string } | undefined {
  const first = words[0]?.value;
  if (!first) return undefined;
  const slash = first.indexOf('/');
  return slash > 0
    ? { resource: normaliseResource(first.slice(0, slash)), name: first.slice(slash + 1) }
    : { resource: 'pod', name: first };
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

/**
 * A script that replaces data (its name says it restores: `dr-restore.sh`, a team's own
 * `restore-db.sh`): asked for before it runs, and confirmed by name on a production context.
 */
export function replacesData(command: Command): boolean {
  return command.kind === 'script' && /restore/i.test(command.path.value);
}

/** The step's kind: what matters most among its commands (a script outranks the `cd` before it). */
export function stepKind(commands: readonly Command[]): StepKind {
  if (commands.length === 0) return 'manual';
  const rank: Exclude<StepKind, 'manual'>[] = [
    'script',
    'drill',
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

/** Whether the command runs the project's restore script (`dr-restore.sh`, wherever the plan keeps it). */
export function isRestoreCommand(command: Command): command is ScriptCommand {
  return command.kind === 'script' && /(^|\/)dr-restore\.sh$/.test(command.path.value);
}

/**
 * What a drill step written in words does, by its text (the plan's own words: "Copy the
 * production configuration into the test namespace", "Restore a recent backup into the test
 * environment", "Check that the application works there", "Write down the results").
 */
const DRILL_STEPS: readonly (readonly [DrillAction, RegExp])[] = [
  ['copyConfiguration', /\bcop(y|ies|ying)\b.*\b(configuration|config|settings|secrets)\b/i],
  ['restoreBackup', /\brestor(e|es|ing)\b.*\bbackups?\b/i],
  ['validate', /\b(check|verify|validate|confirm)\b.*\b(works?|working|healthy|health)\b/i],
  ['results', /\b(write down|record|document)\b.*\bresults?\b/i],
];

export function drillAction(text: string): DrillAction | undefined {
  return DRILL_STEPS.find(([, pattern]) => pattern.test(text))?.[0];
}

/**
 * A drill's steps as the engine runs them: a step without commands whose text names one of the
 * drill's actions (see DRILL_STEPS) runs that action in the namespace an earlier step creates for
 * the test, and the step that deletes that namespace also drops the drill's test databases.
 * Without such a namespace every step stays as written (a manual step stays manual).
 * The step keeps its id: the plan's text is unchanged. `restoreScript`: the plan's restore script.
 */
export function drillSteps(steps: readonly Step[], restoreScript: string | undefined): Step[] {
  let testNamespace: string | undefined;
  return steps.map((step) => {
    for (const c of step.commands) if (c.kind === 'namespaceCreate') testNamespace = c.namespaces[0];
    const removes = (c: Command): boolean =>
      c.kind === 'namespaceDelete' && testNamespace !== undefined && c.namespaces.includes(testNamespace);
    if (step.commands.some(removes))
      return { ...step, commands: step.commands.map((c) => (removes(c) ? { ...c, testEnvironment: true } : c)) };
    const action = step.commands.length === 0 ? drillAction(step.text) : undefined;
    if (!action || testNamespace === undefined) return step;
    const command: Command = {
      kind: 'drill',
      action,
      testNamespace,
      restoreScript,
      text: step.text,
      line: step.line,
      column: step.column,
    };
    return { ...step, commands: [command], kind: 'drill' };
  });
}

/** Whether the scenario is a drill that restores into its test environment's own database. */
export function restoresIntoTestDatabase(scenario: Scenario): boolean {
  return scenario.steps.some((s) => s.commands.some((c) => c.kind === 'drill' && c.action === 'restoreBackup'));
}
