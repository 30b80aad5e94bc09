import * as vscode from 'vscode';
import { Commands } from '../ids.js';
import type { RedactedLog } from '../output/redactedLog.js';
import type { RunController } from '../run/runController.js';
import { registerCommand } from './registerCommand.js';

/** A tree node as the commands receive it (core PlanNode, read loosely). */
interface NodeArg {
  readonly scenario?: { readonly id: string };
  readonly step?: { readonly number: number };
  readonly object?: { readonly kind: string; readonly name: string; readonly namespace: string | undefined };
}

function stepOf(node: NodeArg | undefined): { scenarioId: string; step: number } {
  if (!node?.scenario || !node.step) throw new Error('Choose a step in the DR Runbook view.');
  return { scenarioId: node.scenario.id, step: node.step.number };
}

/** The inline actions of the tree: on a step, on a scenario, on a workload. */
export function registerStepCommands(runs: RunController, log: RedactedLog): vscode.Disposable[] {
  return [
    registerCommand(
      Commands.runStep,
      (node?: NodeArg) => {
        const { scenarioId, step } = stepOf(node);
        return runs.runStep(scenarioId, step);
      },
      log,
    ),
    registerCommand(
      Commands.runUpToHere,
      (node?: NodeArg) => {
        const { scenarioId, step } = stepOf(node);
        return runs.run(scenarioId, step);
      },
      log,
    ),
    registerCommand(
      Commands.skipStep,
      (node?: NodeArg) => {
        const { scenarioId, step } = stepOf(node);
        return runs.runStep(scenarioId, step, 'skipped');
      },
      log,
    ),
    registerCommand(
      Commands.markStepDone,
      (node?: NodeArg) => {
        const { scenarioId, step } = stepOf(node);
        return runs.runStep(scenarioId, step, 'manual');
      },
      log,
    ),
    registerCommand(Commands.showStepOutput, (node?: NodeArg) => runs.showOutput(stepOf(node).scenarioId), log),
    registerCommand(
      Commands.followLogs,
      (node?: NodeArg) => {
        if (!node?.object) throw new Error('Choose a Deployment or StatefulSet in the DR Runbook view.');
        return runs.followWorkload(node.object.kind, node.object.name, node.object.namespace);
      },
      log,
    ),
  ];
}
