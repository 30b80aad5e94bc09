import type { Redactor } from '../secrets/redaction.js';
import type { RunUi } from './scenarioRunner.js';

/**
 * The questions of a run with what they show from the cluster passed through the redaction
 * pipeline first: a manual step's facts (Kubernetes events quote what containers print), the
 * preflight's warnings and a rollback's description (a pod template may carry a password). The
 * plan's own text (step and command lines) is shown as written. The same for VS Code's dialogs
 * and for any other RunUi.
 */
export function redactedRunUi<T extends RunUi>(ui: T, redact: Redactor): T {
  return {
    ...ui,
    acceptWarnings: (warnings) => ui.acceptWarnings(warnings.map(redact)),
    confirmRollback: (description, undoesRollback) => ui.confirmRollback(redact(description), undoesRollback),
    manualStep: (step, facts) => ui.manualStep(step, facts.map(redact)),
  };
}
