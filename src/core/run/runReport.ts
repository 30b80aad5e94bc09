import { parseBackupUsed, parseRestoreEvidence } from './evidence.js';
import { controlsFor, renderEvidenceSection, writeEvidenceBundle, type EvidenceContext } from './evidenceBundle.js';
import { readJournal } from './journal.js';
import { renderReport, writeReport } from './report.js';
import { foldRun } from './runModel.js';
import { err, ok, type Result } from '../result.js';

export interface RunReportInput {
  readonly scenarioTitle: string;
  readonly rpoMs: number | undefined;
  readonly rtoMs: number | undefined;
  /** Everything the run printed, already redacted: the restore's RPO evidence is read from it. */
  readonly transcript: string;
  readonly redact: (text: string) => string;
  /** What the evidence bundle needs beyond the record and the transcript. */
  readonly evidence: Omit<
    EvidenceContext,
    'rtoMs' | 'rpoMs' | 'backup' | 'rpoEvidence' | 'transcript' | 'redact' | 'validations'
  >;
}

export interface RunReportFiles {
  readonly report: string;
  /** The evidence bundle, or why it could not be written (the report stands without it). */
  readonly bundle: Result<{ readonly path: string; readonly sha256: string }, string>;
}

/**
 * Writes the markdown report beside the run record at `journal` (each step with its outcome and
 * duration, the RTO achieved, the RPO evidence, the controls it is evidence for), then the
 * evidence bundle beside both. Returns their paths, or why they were not written (a bundle that
 * cannot be written leaves the report standing, and says why).
 */
export async function writeRunReport(journal: string, input: RunReportInput): Promise<Result<RunReportFiles, string>> {
  const events = await readJournal(journal);
  if (!events.ok) return err(`the run record ${journal} cannot be read back: ${events.error.message}`);
  const folded = foldRun(events.value);
  if (!folded.ok) return err(`the run record ${journal} is inconsistent: ${folded.error.message}`);
  const evidence = parseRestoreEvidence(input.transcript).rpo;
  const backup = parseBackupUsed(input.transcript);
  const markdown = renderReport(folded.value, {
    scenarioTitle: input.scenarioTitle,
    rpoMs: input.rpoMs,
    rtoMs: input.rtoMs,
    redact: input.redact,
    ...(evidence ? { rpoEvidence: evidence } : {}),
  });
  const controls = controlsFor(input.evidence.kind, backup !== undefined);
  // A drill's checks of its test environment, as its validation step recorded them.
  const validations = folded.value.steps.flatMap((s) => s.evidence?.validations ?? []);
  const written = await writeReport(
    journal,
    `${markdown}\n${renderEvidenceSection(
      journal,
      controls,
      validations.map((v) => ({ ...v, detail: input.redact(v.detail) })),
    )}`,
  );
  if (!written.ok) return err(`the run report cannot be written: ${written.error.message}`);
  const bundle = await writeEvidenceBundle(journal, written.value, {
    ...input.evidence,
    validations,
    rtoMs: input.rtoMs,
    rpoMs: input.rpoMs,
    backup,
    rpoEvidence: evidence,
    transcript: input.transcript,
    redact: input.redact,
  });
  return ok({ report: written.value, bundle });
}
