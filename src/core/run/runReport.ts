import { parseRestoreEvidence } from './evidence.js';
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
}

/**
 * Writes the markdown report beside the run record at `journal`: each step with its outcome and
 * duration, the RTO achieved and the RPO evidence. Returns the report's path, or why it was not written.
 */
export async function writeRunReport(journal: string, input: RunReportInput): Promise<Result<string, string>> {
  const events = await readJournal(journal);
  if (!events.ok) return err(`the run record ${journal} cannot be read back: ${events.error.message}`);
  const folded = foldRun(events.value);
  if (!folded.ok) return err(`the run record ${journal} is inconsistent: ${folded.error.message}`);
  const evidence = parseRestoreEvidence(input.transcript).rpo;
  const markdown = renderReport(folded.value, {
    scenarioTitle: input.scenarioTitle,
    rpoMs: input.rpoMs,
    rtoMs: input.rtoMs,
    redact: input.redact,
    ...(evidence ? { rpoEvidence: evidence } : {}),
  });
  const written = await writeReport(journal, markdown);
  return written.ok ? ok(written.value) : err(`the run report cannot be written: ${written.error.message}`);
}
