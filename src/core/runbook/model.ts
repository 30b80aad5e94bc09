/** The typed model of a DR plan: what the parser produces and everything else reads. */

/** A position in a file: 1-based line, 1-based column. */
export interface SourcePosition {
  readonly line: number;
  readonly column: number;
}

export interface Runbook {
  /** The plan's title (its first heading), if it has one. */
  readonly title: string | undefined;
  /** Recovery point objective in milliseconds, if the plan states one. */
  readonly rpoMs: number | undefined;
  /** Recovery time objective in milliseconds, if the plan states one. */
  readonly rtoMs: number | undefined;
  readonly scenarios: readonly Scenario[];
  /**
   * Things the parser noticed that a person should fix: warnings (no RPO, a step with no text)
   * and errors in the plan's structure (an unclosed code block, two steps that cannot be told
   * apart), which refuse the scenario they belong to at preflight.
   */
  readonly problems: readonly PlanProblem[];
}

export interface PlanProblem extends SourcePosition {
  readonly severity: 'error' | 'warning';
  readonly message: string;
  /** The scenario an error makes unrunnable; absent for the plan as a whole. */
  readonly scenarioId?: string;
}

export type ScenarioKind = 'recovery' | 'drill';

export interface Scenario {
  /** Stable, unique within the plan, derived from the title ("complete-cluster-failure"). */
  readonly id: string;
  readonly title: string;
  readonly kind: ScenarioKind;
  /** 1-based line of the scenario's heading. */
  readonly line: number;
  readonly steps: readonly Step[];
}

export interface Step {
  /**
   * What records, resume and tree actions know the step by: the scenario's id, the step's title
   * as a slug and a hash of its text and commands ("database-failure/restore-the-backup-3f2a9c1e").
   * Unique in the plan (two steps that share it are an error); see stepIdentity.ts.
   */
  readonly id: string;
  /** The number a markdown viewer shows for the step (1, 2, ...): for display only. */
  readonly number: number;
  /** The step's whole text, as one line. */
  readonly text: string;
  /** Its first sentence: what the tree shows ("Bring up the database"). */
  readonly title: string;
  /** 1-based line and column of the list item. */
  readonly line: number;
  readonly column: number;
  readonly commands: readonly Command[];
  /** What the step mainly does, for its icon and for how it runs. */
  readonly kind: StepKind;
}

export type StepKind =
  'manual' | 'apply' | 'rollback' | 'logs' | 'namespaceCreate' | 'namespaceDelete' | 'script' | 'drill' | 'other';

/** One word of a command line, with where it stands. */
export interface Word {
  readonly value: string;
  readonly column: number;
}

interface CommandBase {
  /** The command line as written. */
  readonly text: string;
  readonly line: number;
  /** 1-based column where the command starts on its line. */
  readonly column: number;
}

/** What kubectl's global flags say about where and how a command acts. */
export interface KubectlTarget {
  /** `--context`: the command's own context, instead of the run's. */
  readonly context: string | undefined;
  /** `--kubeconfig`: the command's own kubeconfig file, relative to the project root as written. */
  readonly kubeconfig: string | undefined;
  /** `--dry-run`: `client` and `server` change nothing (a bare `--dry-run` is `client`, as in kubectl). */
  readonly dryRun: 'none' | 'client' | 'server';
}

interface KubectlBase extends CommandBase {
  readonly globals: KubectlTarget;
}

export interface ApplyCommand extends KubectlBase {
  readonly kind: 'apply';
  /** Each file or folder given with -f, relative to the project root as written. */
  readonly paths: readonly Word[];
  /** `-n`: kubectl refuses objects that name another namespace. */
  readonly namespace: string | undefined;
  /** `-R`: folders with their subfolders. */
  readonly recursive: boolean;
  /** `--force-conflicts`: take over fields another manager owns. */
  readonly forceConflicts: boolean;
}

export interface RollbackCommand extends KubectlBase {
  readonly kind: 'rollback';
  /** DR Runbook rolls back Deployments itself; other kinds are run by kubectl (see OtherCommand). */
  readonly resource: 'deployment';
  readonly name: string;
  readonly namespace: string | undefined;
  readonly toRevision: number | undefined;
}

export interface LogsCommand extends KubectlBase {
  readonly kind: 'logs';
  /** `deployment`, `statefulset`, `daemonset`, `job`, `pod`, or `selector` for -l. */
  readonly resource: string;
  /** The object's name, or the label selector. */
  readonly name: string;
  readonly namespace: string | undefined;
  readonly container: string | undefined;
  readonly follow: boolean;
  /**
   * Lines from before a follow starts, per container, as kubectl counts them: `--tail`, else 10
   * for a label selector; undefined for all of them (the output channel starts at the last 200).
   */
  readonly tail: number | undefined;
  /** The words after `kubectl`, as written: a one-off read (no -f) is run by kubectl itself. */
  readonly args: readonly string[];
}

export interface NamespaceCommand extends KubectlBase {
  readonly kind: 'namespaceCreate' | 'namespaceDelete';
  /** Every namespace the command names (`kubectl delete namespace a b c`). */
  readonly namespaces: readonly string[];
  /** A drill's deletion of its test namespace: the drill's test databases go with it. */
  readonly testEnvironment?: boolean;
}

export interface ScriptArgument extends Word {
  /** A value the person must supply, such as `/path/to/offsite/backup.sql`. */
  readonly placeholder: boolean;
}

export interface ScriptCommand extends CommandBase {
  readonly kind: 'script';
  /** The script's path as written (`./scripts/backup/dr-restore.sh`). */
  readonly path: Word;
  readonly args: readonly ScriptArgument[];
}

export interface CdCommand extends CommandBase {
  readonly kind: 'cd';
  readonly target: string;
  /** True when the target stands for the project's own folder (`/path/to/project`, `.`). */
  readonly projectRoot: boolean;
}

export interface OtherCommand extends CommandBase {
  readonly kind: 'other';
  /**
   * For a kubectl line whose form DR Runbook does not carry out itself (`-k`, `--prune`, a flag it
   * does not know, `rollout undo statefulset/...`): why. Such a line is run by kubectl, after its
   * own confirmation, every time; the Problems panel says so.
   */
  readonly kubectl?: string;
  /** A form refused at preflight: why, and what to write instead. */
  readonly refused?: string;
}

/** What a drill step written in words does when the engine runs it (see drillAction in commands.ts). */
export type DrillAction = 'copyConfiguration' | 'restoreBackup' | 'validate' | 'results';

/**
 * A step of a drill that the plan writes in words ("Copy the production configuration into the
 * test namespace"), run by the engine in the test namespace an earlier step of the drill creates.
 * Its text and position are the step's own: the plan holds no command line for it.
 */
export interface DrillCommand extends CommandBase {
  readonly kind: 'drill';
  readonly action: DrillAction;
  /** The namespace the drill creates for its test environment; never the run's own namespace. */
  readonly testNamespace: string;
  /** For `restoreBackup`: the restore script the plan's recovery scenarios run, as written there. */
  readonly restoreScript: string | undefined;
}

export type Command =
  ApplyCommand | RollbackCommand | LogsCommand | NamespaceCommand | ScriptCommand | CdCommand | DrillCommand | OtherCommand;
