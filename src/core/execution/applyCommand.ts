import { applyItems, type ApplyItem } from '../cluster/apply.js';
import { isClusterScoped } from '../cluster/applyOrder.js';
import type { ManifestCache } from '../manifests/loadManifests.js';
import type { ManifestError } from '../manifests/model.js';
import { stepManifests } from '../problems.js';
import { err, ok, type Result } from '../result.js';
import type { ApplyCommand, Step } from '../runbook/model.js';

/**
 * What `kubectl apply` sends for these commands of a step: every object of their files, in the
 * namespace the command names with -n (else the run's). Like kubectl, an object that names
 * another namespace than -n is refused, and then nothing is sent.
 */
export async function applyCommandItems(
  root: string,
  step: Step,
  commands: readonly ApplyCommand[],
  defaultNamespace: string,
  cache: ManifestCache | undefined,
): Promise<Result<ApplyItem[], readonly string[]>> {
  const items: ApplyItem[] = [];
  const problems: string[] = [];
  for (const command of commands) {
    const files = await stepManifests(root, { ...step, commands: [command] }, cache);
    problems.push(...files.flatMap((f) => f.errors.map((e: ManifestError) => `${e.file}:${e.line}:${e.column}: ${e.message}`)));
    const objects = files.flatMap((f) => f.objects);
    if (command.namespace) {
      for (const o of objects) {
        if (o.namespace && o.namespace !== command.namespace && !isClusterScoped(o.kind))
          problems.push(
            `${o.file}:${o.line}: the namespace from the provided object "${o.namespace}" does not match the namespace "${command.namespace}" (-n). kubectl refuses this too: pass --namespace=${o.namespace} or remove the object's namespace.`,
          );
      }
    }
    items.push(...applyItems(objects, command.namespace ?? defaultNamespace));
  }
  return problems.length ? err(problems) : ok(items);
}
