import * as vscode from 'vscode';
import { formatClusterError } from '../../core/cluster/model.js';
import { describeCounts, previewStep, previewTexts, type StepPreview } from '../../core/execution/stepPreview.js';
import { createRedactor } from '../../core/run/redact.js';
import { registerCommand } from '../commands/registerCommand.js';
import { loadSecretValues } from '../commands/secretCommands.js';
import { readConfig } from '../config.js';
import { Commands } from '../ids.js';
import type { PlanWorkspace } from '../planWorkspace.js';
import { adapters } from '../run/lazyAdapters.js';

/** The read-only documents of the diff editor: `drrunbook-preview:/<n>/<side>/<title>.yaml`. */
const SCHEME = 'drrunbook-preview';

/**
 * "Preview Step Changes": opens VS Code's diff editor on an apply step, the live objects on the
 * left and the server-side dry run of the step on the right, with the counts of objects it would
 * create, change and leave unchanged in the title. Sends no write.
 */
export class StepPreviewer implements vscode.Disposable {
  private readonly documents = new Map<string, string>();
  private readonly registration: vscode.Disposable;
  private opened = 0;

  constructor(
    private readonly plan: PlanWorkspace,
    private readonly secrets: vscode.SecretStorage,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.registration = vscode.workspace.registerTextDocumentContentProvider(SCHEME, {
      provideTextDocumentContent: (uri) => this.documents.get(uri.path) ?? '',
    });
  }

  /** Previews a step of a scenario; undefined when it was refused or cancelled (the person was told why). */
  async preview(scenarioId: string, stepNumber: number): Promise<StepPreview | undefined> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showErrorMessage(
        'DR Runbook contacts no cluster from an untrusted workspace. Trust the workspace to preview a step.',
      );
      return undefined;
    }
    const state = this.plan.state;
    if (state.kind !== 'loaded') throw new Error(state.kind === 'missing' ? state.message : 'The DR plan is still loading.');
    const scenario = state.runbook.scenarios.find((s) => s.id === scenarioId);
    const step = scenario?.steps.find((s) => s.number === stepNumber);
    if (!scenario || !step)
      throw new Error(`The plan has no step ${stepNumber} in scenario "${scenarioId}" (was it edited?). Refresh the view.`);
    if (!step.commands.some((c) => c.kind === 'apply'))
      throw new Error(`Step ${step.number} applies no manifest (only "kubectl apply -f" steps have a preview).`);
    const config = readConfig(state.runbook);
    const connected = adapters().connectCluster({
      ...(config.context ? { context: config.context } : {}),
      namespace: config.namespace,
    });
    if (!connected.ok) throw new Error(formatClusterError(connected.error));
    const cluster = connected.value;
    const values = await loadSecretValues(this.secrets, state.root, [step], this.plan.manifests, this.log, `step ${step.number}`);
    const redact = createRedactor([...values.values()]);
    const result = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `DR Runbook: server-side dry run of step ${step.number} on "${cluster.context}"`,
        cancellable: true,
      },
      (_progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        return previewStep(cluster, step, {
          root: state.root,
          namespace: config.namespace,
          secret: (name) => process.env[name] ?? values.get(name),
          manifests: this.plan.manifests,
          signal: abort.signal,
        });
      },
    );
    if (!result.ok) throw new Error(`Step ${step.number} cannot be previewed: ${redact(result.error)}`);
    const texts = previewTexts(result.value);
    const n = ++this.opened;
    const name = `step-${step.number}.yaml`;
    const left = vscode.Uri.from({ scheme: SCHEME, path: `/${n}/live/${name}` });
    const right = vscode.Uri.from({ scheme: SCHEME, path: `/${n}/dry-run/${name}` });
    this.documents.set(left.path, redact(texts.live));
    this.documents.set(right.path, redact(texts.dryRun));
    // The ten newest previews stay readable; older ones are dropped.
    for (const path of this.documents.keys()) if (Number(path.split('/')[1]) <= n - 10) this.documents.delete(path);
    const counts = describeCounts(result.value.counts);
    this.log.info(`preview of ${scenario.title} step ${step.number} on ${cluster.context}: ${counts}`);
    await vscode.commands.executeCommand('vscode.diff', left, right, `Step ${step.number}: live ↔ dry run (${counts})`, {
      preview: false,
    } satisfies vscode.TextDocumentShowOptions);
    return result.value;
  }

  dispose(): void {
    this.registration.dispose();
    this.documents.clear();
  }
}

/**
 * "Preview Step Changes": on an apply step of the tree, or from the palette with a pick of the
 * plan's apply steps.
 */
export function registerPreviewCommand(
  previewer: StepPreviewer,
  plan: PlanWorkspace,
  log: vscode.LogOutputChannel,
): vscode.Disposable {
  return registerCommand(
    Commands.previewStep,
    async (node?: { scenario?: { id: string }; step?: { number: number } }) => {
      if (node?.scenario && node.step) return previewer.preview(node.scenario.id, node.step.number);
      const state = plan.state;
      if (state.kind !== 'loaded') throw new Error(state.kind === 'missing' ? state.message : 'The DR plan is still loading.');
      const steps = state.runbook.scenarios.flatMap((scenario) =>
        scenario.steps
          .filter((s) => s.commands.some((c) => c.kind === 'apply'))
          .map((step) => ({ label: `${step.number}. ${step.title}`, description: scenario.title, scenario, step })),
      );
      if (steps.length === 0) throw new Error('The plan has no step that applies manifests ("kubectl apply -f").');
      const picked = await vscode.window.showQuickPick(steps, {
        title: 'DR Runbook: Preview Step Changes',
        placeHolder: 'Which apply step?',
        matchOnDescription: true,
      });
      return picked ? previewer.preview(picked.scenario.id, picked.step.number) : undefined;
    },
    log,
  );
}
