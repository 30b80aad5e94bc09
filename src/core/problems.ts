import { isAbsolute, resolve } from 'node:path';
import { loadManifests, type ManifestCache } from './manifests/loadManifests.js';
import type { ManifestFile } from './manifests/model.js';
import { pathExists, resolveInProject } from './paths.js';
import type { Runbook, Step } from './runbook/model.js';
import { resolveScript } from './runbook/scriptPath.js';

/** Something wrong in the plan or in a manifest it names, at a place in a file. */
export interface Problem {
  /** Relative to the project root with forward slashes, or absolute when outside it. */
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** How many characters the problem covers (at least 1). */
  readonly length: number;
  readonly severity: 'error' | 'warning';
  readonly message: string;
}

/** The manifest files an apply step would apply, in the order the plan names them. */
export async function stepManifests(root: string, step: Step, cache?: ManifestCache): Promise<ManifestFile[]> {
  const files: ManifestFile[] = [];
  for (const command of step.commands) {
    if (command.kind !== 'apply') continue;
    for (const path of command.paths)
      files.push(...(await loadManifests(root, path.value, cache, { recursive: command.recursive })));
  }
  return files;
}

/**
 * Checks what the plan names against the project: every manifest path and script exists, every
 * manifest parses into objects. Problems in the plan point at the word in the plan; problems in
 * a manifest point into the manifest.
 */
export async function collectProblems(
  root: string,
  planFile: string,
  runbook: Runbook,
  cache?: ManifestCache,
): Promise<Problem[]> {
  const problems: Problem[] = runbook.problems.map((p) => ({
    file: planFile,
    line: p.line,
    column: p.column,
    length: 1,
    severity: p.severity,
    message: p.message,
  }));
  const seenManifestErrors = new Set<string>();
  for (const scenario of runbook.scenarios) {
    for (const step of scenario.steps) {
      for (const command of step.commands) {
        if (command.kind === 'apply') {
          for (const path of command.paths) {
            const outside = (shown: string, real: string): Problem => ({
              file: planFile,
              line: command.line,
              column: path.column,
              length: path.value.length,
              severity: 'warning',
              message: `Step ${step.number} of "${scenario.title}": ${shown} is outside the project (${real}): check it is the manifest you mean before running.`,
            });
            const found = await resolveInProject(root, path.value);
            if (found && !found.inside) problems.push(outside(path.value, found.real));
            const files = await loadManifests(root, path.value, cache, { recursive: command.recursive });
            // A folder inside the project may hold symlinks to files outside it: kubectl follows them, and so do we, flagged.
            for (const file of found?.inside ? files : []) {
              if (file.file === path.value) continue;
              const target = await resolveInProject(root, file.file);
              if (target && !target.inside) problems.push(outside(`${file.file} (in ${path.value})`, target.real));
            }
            for (const file of files) {
              for (const error of file.errors) {
                if (error.kind === 'missing' || error.kind === 'unreadable') {
                  problems.push({
                    file: planFile,
                    line: command.line,
                    column: path.column,
                    length: path.value.length,
                    severity: 'error',
                    message: `Step ${step.number} of "${scenario.title}": ${error.message}`,
                  });
                  continue;
                }
                const key = `${error.file}:${error.line}:${error.column}:${error.message}`;
                if (seenManifestErrors.has(key)) continue;
                seenManifestErrors.add(key);
                problems.push({ ...error, length: 1, severity: 'error' });
              }
            }
          }
        } else if (command.kind === 'other' && (command.refused || command.kubectl)) {
          problems.push({
            file: planFile,
            line: command.line,
            column: command.column,
            length: command.text.length,
            severity: command.refused ? 'error' : 'warning',
            message: command.refused
              ? `Step ${step.number} of "${scenario.title}": ${command.refused} The scenario is refused at preflight until this line changes.`
              : `Step ${step.number} of "${scenario.title}": ${command.kubectl}: kubectl runs this line itself, with its own kubeconfig and context, after you confirm it each time.`,
          });
        } else if (command.kind === 'script') {
          const script = command.path.value;
          const resolved = await resolveScript(root, script);
          if (!resolved.ok) {
            const missing = !(await pathExists(isAbsolute(script) ? script : resolve(root, script)));
            problems.push({
              file: planFile,
              line: command.line,
              column: command.path.column,
              length: script.length,
              severity: missing ? 'error' : 'warning',
              message: missing
                ? `Step ${step.number} of "${scenario.title}": the script ${script} does not exist.`
                : `Step ${step.number} of "${scenario.title}": ${resolved.error} It is not the plan's own script: the run asks before it each time.`,
            });
          }
        }
      }
    }
  }
  return problems;
}
