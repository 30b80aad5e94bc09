/**
 * The run record: one JSON Lines file per run under `<workspace>/.dr-runs/`, appended to before
 * and after each step and never rewritten. A crash mid-write leaves at most a partial last line,
 * which the reader ignores and the next append drops.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { err, ok, type Result } from '../result.js';
import { lastChain, sealEvent } from './hashChain.js';
import { foldRun, stepStates, type RunEvent, type RunState, type StepState } from './runModel.js';

/** The folder of run records (and their reports), relative to the workspace folder. */
export const runsFolderName = '.dr-runs';

export type JournalErrorKind = 'unreadable' | 'unwritable' | 'corrupt';

export interface JournalError {
  readonly kind: JournalErrorKind;
  readonly path: string;
  /** 1-based line of a corrupt record. */
  readonly line?: number;
  readonly message: string;
}

/** A short random run id: 8 hex digits. */
export function newRunId(): string {
  return randomBytes(4).toString('hex');
}

/** `<yyyy-mm-dd>-<scenario-id>-<run id>.jsonl`, the date in UTC. */
export function journalFileName(startedAt: Date | string, scenarioId: string, runId: string): string {
  const day = new Date(startedAt).toISOString().slice(0, 10);
  return `${day}-${scenarioId}-${runId}.jsonl`;
}

/** `<workspace>/.dr-runs/<yyyy-mm-dd>-<scenario-id>-<run id>.jsonl` */
export function journalPath(workspaceRoot: string, startedAt: Date | string, scenarioId: string, runId: string): string {
  return join(workspaceRoot, runsFolderName, journalFileName(startedAt, scenarioId, runId));
}

/** The report beside a record: the same base name with `.md`. */
export function reportPathFor(journal: string): string {
  return journal.endsWith('.jsonl') ? journal.slice(0, -'.jsonl'.length) + '.md' : `${journal}.md`;
}

/**
 * Appends one event as a line and flushes it to disk before resolving. Creates the folder and
 * file if needed. A partial last line left by a crash is dropped first, so it cannot end up in
 * the middle of the record. Callers append one event at a time (await each).
 */
export async function appendEvent(path: string, event: RunEvent): Promise<Result<void, JournalError>> {
  const line = `${JSON.stringify(event)}\n`;
  try {
    await mkdir(join(path, '..'), { recursive: true });
    const file = await open(path, 'a+');
    try {
      const { size } = await file.stat();
      if (size > 0) {
        const last = Buffer.alloc(1);
        await file.read(last, 0, 1, size - 1);
        if (last[0] !== 0x0a) {
          const tail = await partialTail(path);
          // A whole event missing only its newline is kept (the reader counts it); anything else is dropped.
          if (tail.complete) await file.appendFile('\n', 'utf8');
          else await file.truncate(tail.keepBytes);
        }
      }
      await file.appendFile(line, 'utf8');
      await file.sync();
    } finally {
      await file.close();
    }
    return ok(undefined);
  } catch (e) {
    return err({ kind: 'unwritable', path, message: `Cannot write the run record ${path}: ${errorMessage(e)}` });
  }
}

export interface JournalWriter {
  readonly path: string;
  /** Appends once every earlier append has finished, so events keep their order; never rejects. */
  append(event: RunEvent): Promise<Result<void, JournalError>>;
}

/**
 * A writer for one record that serializes appends (callers may fire events from callbacks),
 * passes the free text of each event (summary, error, cancel reason) through `redact` first, and
 * chains each line to the one before it (hashChain.ts), continuing an existing record's chain.
 */
export function createJournalWriter(path: string, redact: (text: string) => string = (text) => text): JournalWriter {
  let queue: Promise<unknown> = Promise.resolve();
  let previous: string | undefined;
  return {
    path,
    append(event: RunEvent): Promise<Result<void, JournalError>> {
      const clean = redactEvent(event, redact);
      const done = queue.then(async () => {
        previous ??= lastChain(await readFile(path, 'utf8').catch(() => ''));
        const sealed = sealEvent(previous, clean);
        const written = await appendEvent(path, sealed);
        if (written.ok) previous = sealed.chain;
        return written;
      });
      queue = done;
      return done;
    },
  };
}

function redactEvent(event: RunEvent, redact: (text: string) => string): RunEvent {
  if (event.type === 'step') {
    return {
      ...event,
      ...(event.summary === undefined ? {} : { summary: redact(event.summary) }),
      ...(event.error === undefined ? {} : { error: redact(event.error) }),
      ...(event.evidence === undefined
        ? {}
        : {
            evidence: {
              ...event.evidence,
              ...(event.evidence.facts ? { facts: event.evidence.facts.map((f) => redact(f)) } : {}),
              ...(event.evidence.validations
                ? { validations: event.evidence.validations.map((v) => ({ ...v, detail: redact(v.detail) })) }
                : {}),
            },
          }),
    };
  }
  if ((event.type === 'runCancelled' || event.type === 'runStopped') && event.reason !== undefined)
    return { ...event, reason: redact(event.reason) };
  return event;
}

/** The line after a file's last newline: whether it is a whole event, and the length without it. */
async function partialTail(path: string): Promise<{ complete: boolean; keepBytes: number }> {
  const bytes = await readFile(path);
  const keepBytes = bytes.lastIndexOf(0x0a) + 1;
  let value: unknown;
  try {
    value = JSON.parse(bytes.subarray(keepBytes).toString('utf8'));
  } catch {
    return { complete: false, keepBytes };
  }
  return { complete: checkRunEvent(value) === undefined, keepBytes };
}

/**
 * The events of a record. A last line without its newline that does not parse is a write cut
 * short by a crash and is ignored; a bad line anywhere else is corruption.
 */
export async function readJournal(path: string): Promise<Result<RunEvent[], JournalError>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    return err({ kind: 'unreadable', path, message: `Cannot read the run record ${path}: ${errorMessage(e)}` });
  }
  return parseJournal(text, path);
}

/** readJournal on text already read. */
export function parseJournal(text: string, path = '<journal>'): Result<RunEvent[], JournalError> {
  const lines = text.split('\n');
  const complete = text.endsWith('\n') || text === '';
  const events: RunEvent[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const isTail = i === lines.length - 1;
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      if (isTail && !complete) break;
      return err({ kind: 'corrupt', path, line: i + 1, message: `${path}:${i + 1}: not a JSON record.` });
    }
    const problem = checkRunEvent(value);
    if (problem !== undefined) {
      if (isTail && !complete) break;
      return err({ kind: 'corrupt', path, line: i + 1, message: `${path}:${i + 1}: ${problem}` });
    }
    events.push(value as RunEvent);
  }
  return ok(events);
}

/** Why `value` is not a RunEvent, or undefined when it is one. */
export function checkRunEvent(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'a record must be a JSON object.';
  const v = value as Record<string, unknown>;
  for (const key of ['runId', 'scenarioId', 'who', 'at'] as const) {
    if (typeof v[key] !== 'string') return `"${key}" must be a string.`;
  }
  if (Number.isNaN(Date.parse(v.at as string))) return `"at" is not a date: ${String(v.at)}.`;
  switch (v.type) {
    case 'runStarted':
      for (const key of ['context', 'namespace', 'incidentStartedAt'] as const) {
        if (typeof v[key] !== 'string') return `"${key}" must be a string.`;
      }
      if (!Array.isArray(v.steps)) return '"steps" must be a list.';
      for (const s of v.steps as unknown[]) {
        const step = s as Record<string, unknown> | null;
        if (typeof step?.number !== 'number' || typeof step.title !== 'string') return 'each step needs a number and a title.';
        if (step.id !== undefined && typeof step.id !== 'string') return 'a step\'s "id" must be a string.';
      }
      return undefined;
    case 'step':
      if (typeof v.step !== 'number') return '"step" must be a number.';
      if (!stepStates.includes(v.state as StepState)) return `unknown step state ${JSON.stringify(v.state)}.`;
      if (v.durationMs !== undefined && typeof v.durationMs !== 'number') return '"durationMs" must be a number.';
      for (const key of ['summary', 'error'] as const) {
        if (v[key] !== undefined && typeof v[key] !== 'string') return `"${key}" must be a string.`;
      }
      return v.evidence === undefined ? undefined : checkEvidence(v.evidence);
    case 'runStopped':
      return typeof v.reason === 'string' ? undefined : '"reason" must be a string.';
    case 'runFinished':
    case 'runCancelled':
    case 'runResumed':
      return undefined;
    default:
      return `unknown event type ${JSON.stringify(v.type)}.`;
  }
}

function checkEvidence(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return '"evidence" must be an object.';
  const e = value as Record<string, unknown>;
  const newest = e.newestRow;
  if (newest !== undefined && newest !== null && (typeof newest !== 'string' || Number.isNaN(Date.parse(newest)))) {
    return '"evidence.newestRow" must be a time or null.';
  }
  if (e.rows !== undefined && typeof e.rows !== 'number') return '"evidence.rows" must be a number.';
  if (e.facts !== undefined && !(Array.isArray(e.facts) && e.facts.every((f) => typeof f === 'string')))
    return '"evidence.facts" must be a list of lines.';
  if (
    e.validations !== undefined &&
    !(
      Array.isArray(e.validations) &&
      e.validations.every(
        (v: Record<string, unknown>) =>
          typeof v.name === 'string' && typeof v.passed === 'boolean' && typeof v.detail === 'string',
      )
    )
  )
    return '"evidence.validations" must be a list of checks (name, passed, detail).';
  return undefined;
}

export interface UnfinishedRun {
  readonly path: string;
  readonly events: readonly RunEvent[];
  readonly state: RunState;
}

export interface JournalProblem {
  readonly path: string;
  readonly message: string;
}

export interface UnfinishedRunSearch {
  /** The newest run (by its start time) with neither a finished nor a cancelled event. */
  readonly run: UnfinishedRun | undefined;
  /** Records that could not be read or folded; they are left alone and reported. */
  readonly problems: readonly JournalProblem[];
}

/** For "resume after reload": the newest unfinished run in a `.dr-runs` folder (a missing folder has none). */
export async function findUnfinishedRun(dir: string): Promise<UnfinishedRunSearch> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.jsonl')).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { run: undefined, problems: [] };
    return { run: undefined, problems: [{ path: dir, message: `Cannot list the run records in ${dir}: ${errorMessage(e)}` }] };
  }
  const problems: JournalProblem[] = [];
  let newest: UnfinishedRun | undefined;
  for (const name of names) {
    const path = join(dir, name);
    const events = await readJournal(path);
    if (!events.ok) {
      problems.push({ path, message: events.error.message });
      continue;
    }
    const state = foldRun(events.value);
    if (!state.ok) {
      problems.push({ path, message: `${basename(path)}: event ${state.error.index + 1}: ${state.error.message}` });
      continue;
    }
    if (state.value.status !== 'running') continue;
    if (!newest || Date.parse(state.value.startedAt) >= Date.parse(newest.state.startedAt)) {
      newest = { path, events: events.value, state: state.value };
    }
  }
  return { run: newest, problems };
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
