/**
 * The evidence bundle of a run: one JSON file beside its record and report
 * (`<record>.evidence.json`) holding what an auditor of disaster recovery asks for: the plan's
 * hash, the scenario, who ran it and where, each step's times, the RTO and RPO measured against
 * the targets and how, the backup used and its checksum, the validation results, the redacted
 * command log, the gaps, and the controls it is evidence for. It pins the record (its SHA-256
 * and hash-chain head) and the report (SHA-256), and its own content (`bundleSha256`), so that
 * `verifyEvidenceBundle` notices a later change of any of them.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { readPlanFile } from '../paths.js';
import { err, ok, type Result } from '../result.js';
import { parseBackupMetadata, type BackupUsed } from './evidence.js';
import { canonicalJson, sha256Hex, verifyChain } from './hashChain.js';
import { parseJournal } from './journal.js';
import { assessRpo, assessRto } from './report.js';
import type { Redactor } from '../secrets/redaction.js';
import type { RpoEvidence } from './evidence.js';
import { foldRun, type RunEvent, type RunState } from './runModel.js';

export const BUNDLE_FORMAT = 'dr-runbook evidence bundle, v1';

/** A framework control the bundle is evidence for, and why. */
export interface Control {
  readonly framework: string;
  readonly id: string;
  readonly title: string;
  readonly evidence: string;
}

/** One check of the restored environment (workloads ready, row counts, health check, ...). */
export interface Validation {
  readonly name: string;
  readonly passed: boolean;
  readonly detail: string;
}

/** What the run knew that its record does not hold. */
export interface EvidenceContext {
  /** The plan file (absolute), hashed as it is when the bundle is written. */
  readonly planPath: string;
  /** The plan file as the report names it (relative to the workspace). */
  readonly planFile: string;
  readonly rtoMs: number | undefined;
  readonly rpoMs: number | undefined;
  /** The API server's address. */
  readonly cluster: string;
  /** The database the run's scripts acted on (host, port and name; never a password). */
  readonly database: string | undefined;
  readonly kind: 'drill' | 'recovery';
  /** The folder the run's scripts ran in: a relative backup path is relative to it. */
  readonly root: string;
  readonly backup: BackupUsed | undefined;
  readonly rpoEvidence: RpoEvidence | undefined;
  readonly validations: readonly Validation[];
  /** Everything the run printed. */
  readonly transcript: string;
  readonly redact: Redactor;
  /** The tool and its version, as the bundle names its maker. */
  readonly producer: string;
}

export interface EvidenceBundle {
  readonly format: string;
  readonly createdAt: string;
  readonly producer: string;
  readonly run: {
    readonly runId: string;
    readonly scenarioId: string;
    readonly scenarioTitle: string;
    readonly kind: 'drill' | 'recovery';
    readonly status: RunState['status'];
    readonly incidentStartedAt: string;
    readonly startedAt: string;
    readonly finishedAt: string | null;
    readonly startedBy: string;
    readonly participants: readonly string[];
  };
  readonly plan: { readonly file: string; readonly sha256: string };
  readonly where: {
    readonly context: string;
    readonly cluster: string;
    readonly namespace: string;
    readonly database: string | null;
  };
  readonly steps: readonly {
    readonly number: number;
    readonly title: string;
    readonly state: string;
    readonly startedAt: string | null;
    readonly finishedAt: string | null;
    readonly durationMs: number | null;
    readonly who: string | null;
  }[];
  readonly objectives: {
    readonly rto: {
      readonly targetMs: number | null;
      readonly measuredMs: number;
      readonly outcome: string;
      readonly how: string;
    };
    readonly rpo: {
      readonly targetMs: number | null;
      readonly measuredMs: number | null;
      readonly newestRow: string | null;
      readonly outcome: string;
      readonly how: string;
    };
  };
  readonly backup: {
    readonly file: string;
    readonly format: string;
    readonly sizeBytes: number;
    readonly sha256: string | null;
    readonly checksumVerified: boolean;
    readonly takenAt: string | null;
  } | null;
  readonly validations: readonly Validation[];
  readonly gaps: readonly { readonly step: number; readonly title: string; readonly state: string; readonly why: string }[];
  readonly controls: readonly Control[];
  readonly commandLog: readonly string[];
  readonly record: { readonly file: string; readonly sha256: string; readonly lines: number; readonly chainHead: string };
  readonly report: { readonly file: string; readonly sha256: string };
  /** SHA-256 of the canonical JSON of everything above. */
  readonly bundleSha256: string;
}

/**
 * The database the run's scripts act on, as libpq finds it from the environment (host, port and
 * name; the password is never part of it).
 */
export function describeDatabase(env: Readonly<Record<string, string | undefined>>): string {
  const host = env['PGHOST'] || 'localhost';
  const port = env['PGPORT'] || '5432';
  return `${host}:${port}/${env['PGDATABASE'] || 'endpoint_stats'}`;
}

/** `<record>.evidence.json` beside the record `<record>.jsonl`. */
export function bundlePathFor(journal: string): string {
  return `${journal.endsWith('.jsonl') ? journal.slice(0, -'.jsonl'.length) : journal}.evidence.json`;
}

/** The controls a run is evidence for: a drill tests the plan; a restore proves the backups. */
export function controlsFor(kind: 'drill' | 'recovery', restored: boolean): Control[] {
  const controls: Control[] = [];
  if (kind === 'drill') {
    controls.push({
      framework: 'SOC 2',
      id: 'A1.3',
      title: 'Recovery plan testing',
      evidence: 'the recovery procedure of the plan was carried out and its results recorded',
    });
  }
  controls.push({
    framework: 'ISO/IEC 27001:2022',
    id: 'A.5.30',
    title: 'ICT readiness for business continuity',
    evidence: 'the time to recover and the data lost were measured against the plan’s RTO and RPO',
  });
  if (restored) {
    controls.push({
      framework: 'ISO/IEC 27001:2022',
      id: 'A.8.13',
      title: 'Information backup',
      evidence: 'a backup, named with its checksum, was restored and the restored data checked',
    });
  }
  controls.push({
    framework: 'DORA (Regulation (EU) 2022/2554)',
    id: 'Art. 11',
    title: 'Response and recovery',
    evidence: 'the continuity procedure was exercised step by step, with its gaps listed',
  });
  if (restored) {
    controls.push({
      framework: 'DORA (Regulation (EU) 2022/2554)',
      id: 'Art. 12',
      title: 'Backup policies, restoration and recovery',
      evidence: 'data was restored from a backup and verified',
    });
  }
  return controls;
}

/** The report's section on evidence: the bundle's file and the controls. */
export function renderEvidenceSection(
  journal: string,
  controls: readonly Control[],
  validations: readonly Validation[] = [],
): string {
  return [
    ...(validations.length
      ? [
          '## Checks of the restored environment',
          '',
          ...validations.map((v) => `- ${v.passed ? '✔' : '✖'} ${v.name}: ${v.detail}`),
          '',
        ]
      : []),
    '## Evidence',
    '',
    `The evidence bundle is \`${basename(bundlePathFor(journal))}\` beside this report; check it with \`dr-runbook verify\`. This run is evidence for:`,
    '',
    ...controls.map((c) => `- ${c.framework} ${c.id} (${c.title}): ${c.evidence}.`),
    '',
  ].join('\n');
}

const UNFINISHED = new Set(['pending', 'running', 'failed', 'skipped']);

/**
 * Builds the bundle of the run recorded at `journal`, whose report was written at `reportPath`.
 * Reads the record, the report, the plan and the backup's checksum file.
 */
export async function buildEvidenceBundle(
  journal: string,
  reportPath: string,
  context: EvidenceContext,
  now: Date = new Date(),
): Promise<Result<EvidenceBundle, string>> {
  const read = async (path: string, what: string): Promise<Result<string, string>> => {
    try {
      return ok(await readFile(path, 'utf8'));
    } catch (e) {
      return err(`${what} ${path} cannot be read: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  const recordText = await read(journal, 'the run record');
  if (!recordText.ok) return recordText;
  const events = parseJournal(recordText.value, journal);
  if (!events.ok) return err(events.error.message);
  const folded = foldRun(events.value);
  if (!folded.ok) return err(`the run record ${journal} is inconsistent: ${folded.error.message}`);
  const chain = verifyChain(recordText.value);
  if (!chain.ok) return err(`the run record ${journal} is not intact: ${chain.error.message}`);
  const reportText = await read(reportPath, 'the run report');
  if (!reportText.ok) return reportText;
  const planText = await readPlanFile(context.planPath, context.planPath);
  if (!planText.ok) return err(`the plan ${planText.error.message}`);

  const state = folded.value;
  const clean = context.redact;
  const rto = assessRto(state, context.rtoMs, now);
  const rpo = assessRpo(state, context.rpoMs, context.rpoEvidence);
  const backup = context.backup
    ? { ...context.backup, ...(await backupChecksum(resolve(context.root, context.backup.file))) }
    : undefined;
  const content: Omit<EvidenceBundle, 'bundleSha256'> = {
    format: BUNDLE_FORMAT,
    createdAt: now.toISOString(),
    producer: context.producer,
    run: {
      runId: state.runId,
      scenarioId: state.scenarioId,
      scenarioTitle: state.scenarioTitle ?? state.scenarioId,
      kind: context.kind,
      status: state.status,
      incidentStartedAt: state.incidentStartedAt,
      startedAt: state.startedAt,
      finishedAt: state.finishedAt ?? null,
      startedBy: state.startedBy,
      participants: participants(events.value),
    },
    plan: { file: context.planFile, sha256: sha256Hex(planText.value) },
    where: { context: state.context, cluster: context.cluster, namespace: state.namespace, database: context.database ?? null },
    steps: state.steps.map((s) => ({
      number: s.number,
      title: s.title,
      state: s.state,
      startedAt: s.startedAt ?? null,
      finishedAt: s.finishedAt ?? null,
      durationMs: s.durationMs ?? null,
      who: s.who ?? null,
    })),
    objectives: {
      rto: {
        targetMs: context.rtoMs ?? null,
        measuredMs: rto.elapsedMs,
        outcome: rto.outcome,
        how: `from the incident start (${state.incidentStartedAt}) to the end of the run (${state.finishedAt ?? 'not ended'}), as the run record holds them`,
      },
      rpo: {
        targetMs: context.rpoMs ?? null,
        measuredMs: rpo.lossWindowMs ?? null,
        newestRow: rpo.newestRow ?? null,
        outcome: rpo.outcome,
        how:
          rpo.newestRow === undefined
            ? (rpo.reason ?? 'no evidence')
            : 'the newest row of the RPO column in the restored database (dr-restore.sh RPO-EVIDENCE) against the incident start',
      },
    },
    backup: backup
      ? {
          file: backup.file,
          format: backup.format,
          sizeBytes: backup.sizeBytes,
          sha256: backup.sha256,
          checksumVerified: backup.checksumVerified,
          takenAt: backup.takenAt,
        }
      : null,
    validations: context.validations.map((v) => ({ name: v.name, passed: v.passed, detail: clean(v.detail) })),
    gaps: state.steps
      .filter((s) => UNFINISHED.has(s.state))
      .map((s) => ({
        step: s.number,
        title: s.title,
        state: s.state === 'pending' ? 'not run' : s.state === 'running' ? 'interrupted' : s.state,
        why: clean(s.error ?? (s.state === 'skipped' ? `skipped${s.who ? ` by ${s.who}` : ''}` : (s.summary ?? ''))),
      })),
    controls: controlsFor(context.kind, backup !== undefined),
    commandLog: clean(context.transcript).split(/\r?\n/),
    record: {
      file: basename(journal),
      sha256: sha256Hex(recordText.value),
      lines: chain.value.lines,
      chainHead: chain.value.head,
    },
    report: { file: basename(reportPath), sha256: sha256Hex(reportText.value) },
  };
  return ok({ ...content, bundleSha256: sha256Hex(canonicalJson(content)) });
}

/** Builds and writes the bundle beside the record; its path and hash. */
export async function writeEvidenceBundle(
  journal: string,
  reportPath: string,
  context: EvidenceContext,
): Promise<Result<{ path: string; sha256: string }, string>> {
  const bundle = await buildEvidenceBundle(journal, reportPath, context);
  if (!bundle.ok) return bundle;
  const path = bundlePathFor(journal);
  try {
    await writeFile(path, `${JSON.stringify(bundle.value, null, 2)}\n`, 'utf8');
  } catch (e) {
    return err(`the evidence bundle ${path} cannot be written: ${e instanceof Error ? e.message : String(e)}`);
  }
  return ok({ path, sha256: bundle.value.bundleSha256 });
}

export interface BundleVerification {
  /** What was checked and held. */
  readonly checked: readonly string[];
  /** What did not hold: empty when the bundle verifies. */
  readonly problems: readonly string[];
  readonly bundleSha256: string | undefined;
}

/**
 * Checks a bundle: its own hash, then the record and the report beside it against the hashes
 * it holds, and the record's chain. `expectedSha256` is the bundle hash published elsewhere (a CI
 * log, a ticket): without it, a forger who rewrites everything consistently is not caught.
 */
export async function verifyEvidenceBundle(path: string, expectedSha256?: string): Promise<BundleVerification> {
  const checked: string[] = [];
  const problems: string[] = [];
  let value: unknown;
  try {
    value = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    return {
      checked,
      problems: [`${path} is not a readable evidence bundle: ${e instanceof Error ? e.message : String(e)}`],
      bundleSha256: undefined,
    };
  }
  const bundle = value as Partial<EvidenceBundle> | null;
  if (typeof bundle !== 'object' || bundle === null || bundle.format !== BUNDLE_FORMAT) {
    return { checked, problems: [`${path} is not a ${BUNDLE_FORMAT}.`], bundleSha256: undefined };
  }
  const { bundleSha256, ...content } = bundle;
  const actual = sha256Hex(canonicalJson(content));
  if (actual !== bundleSha256)
    problems.push(
      `the bundle was changed after it was written (its content hashes to ${actual}, it says ${String(bundleSha256)})`,
    );
  else checked.push(`bundle content matches its hash ${actual}`);
  if (expectedSha256 !== undefined) {
    if (expectedSha256.toLowerCase() !== bundleSha256)
      problems.push(`the bundle is not the one published: its hash is ${String(bundleSha256)}, expected ${expectedSha256}`);
    else checked.push('bundle hash matches the published one');
  }
  const dir = dirname(path);
  const record = bundle.record;
  if (record) {
    const text = await readFile(join(dir, basename(record.file)), 'utf8').catch(() => undefined);
    if (text === undefined) problems.push(`the run record ${record.file} is not beside the bundle`);
    else {
      const chain = verifyChain(text);
      if (!chain.ok) problems.push(`the run record ${record.file} was tampered with: ${chain.error.message}`);
      else if (chain.value.head !== record.chainHead || chain.value.lines !== record.lines) {
        problems.push(
          `the run record ${record.file} is not the one the bundle pins: ${chain.value.lines} lines (bundle: ${record.lines}), chain head ${chain.value.head}`,
        );
      } else checked.push(`run record ${record.file}: ${record.lines} lines, hash chain intact, head matches`);
      if (chain.ok && sha256Hex(text) !== record.sha256)
        problems.push(`the run record ${record.file} does not match its SHA-256 in the bundle`);
    }
  } else problems.push('the bundle pins no run record');
  const report = bundle.report;
  if (report) {
    const text = await readFile(join(dir, basename(report.file)), 'utf8').catch(() => undefined);
    if (text === undefined) problems.push(`the report ${report.file} is not beside the bundle`);
    else if (sha256Hex(text) !== report.sha256)
      problems.push(`the report ${report.file} was changed after the bundle was written`);
    else checked.push(`report ${report.file} matches`);
  } else problems.push('the bundle pins no report');
  return { checked, problems, bundleSha256: typeof bundleSha256 === 'string' ? bundleSha256 : undefined };
}

function participants(events: readonly RunEvent[]): string[] {
  return [...new Set(events.map((e) => e.who))];
}

/** The backup's SHA-256 (from its `.sha256` file, else its metadata) and when it was taken. */
async function backupChecksum(file: string): Promise<{ sha256: string | null; takenAt: string | null }> {
  const fromFile = await readFile(`${file}.sha256`, 'utf8').then(
    (t) => /^([0-9a-f]{64})\b/i.exec(t.trim())?.[1]?.toLowerCase(),
    () => undefined,
  );
  const metaPath = file.replace(/\.dump$/, '.json');
  const meta =
    metaPath === file
      ? undefined
      : await readFile(metaPath, 'utf8').then(
          (t) => parseBackupMetadata(t),
          () => undefined,
        );
  const metadata = meta?.ok ? meta.value : undefined;
  return { sha256: fromFile ?? metadata?.sha256 ?? null, takenAt: metadata?.startedAt ?? null };
}
