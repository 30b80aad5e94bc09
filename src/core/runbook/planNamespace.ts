import type { Runbook } from './model.js';

/**
 * The namespace the plan's commands name most (`-n NAME` on applies, rollbacks and log commands),
 * the first named on a tie; undefined when no command names one. It is where the plan's objects
 * go when neither the setting nor the command says otherwise.
 */
export function planNamespace(runbook: Runbook): string | undefined {
  const counts = new Map<string, number>();
  for (const scenario of runbook.scenarios)
    for (const step of scenario.steps)
      for (const command of step.commands)
        if ((command.kind === 'apply' || command.kind === 'rollback' || command.kind === 'logs') && command.namespace)
          counts.set(command.namespace, (counts.get(command.namespace) ?? 0) + 1);
  let best: string | undefined;
  for (const [name, count] of counts) if (best === undefined || count > (counts.get(best) ?? 0)) best = name;
  return best;
}
