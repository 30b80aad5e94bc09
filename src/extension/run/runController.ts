import * as vscode from 'vscode';
import type { ClusterError, ObjectRef } from '../../core/cluster/model.js';
import type { StepOutcome } from '../../core/execution/stepExecutor.js';
import type { StepStates } from '../../core/execution/stepStates.js';
import { redactedRunUi } from '../../core/execution/redactedRunUi.js';
import { err, ok, type Result } from '../../core/result.js';
import type { RedactingStream } from '../../core/secrets/redaction.js';
import type { RunState } from '../../core/run/runModel.js';
import { RunDesk, type ScenarioOutcome, type ScenarioRequest, type SessionUi } from '../../core/run/runSession.js';
import type { KubectlTarget, Scenario, Step } from '../../core/runbook/model.js';
import type { FollowTarget } from '../../core/cluster/logs.js';
import { backupFolder, readConfig } from '../config.js';
import { osUser } from '../../core/osUser.js';
import { Commands, ContextKeys } from '../ids.js';
import type { RedactedLog } from '../output/redactedLog.js';
import type { PlanWorkspace } from '../planWorkspace.js';
import type { SecretSource } from '../secretSource.js';
import { trustedAdapters } from '../trust.js';
import { ClusterContext } from './clusterContext.js';
import { LogChannels } from './logChannels.js';
import { ObjectivesStatus } from './objectivesStatus.js';
import { followedRef, runRequest, type Following } from './runRequest.js';
import { pickScenario, vscodeRunUi, WaitingQuestion } from './vscodeRunUi.js';

/** Makes the questions of a run from VS Code's own (`base`): an API caller answers some or all of them. */
export type RunUiFactory = (signal: AbortSignal, base: SessionUi) => SessionUi;

/**
 * The face of runs in VS Code: it turns a command into a request to the workspace's RunDesk
 * (which owns the lock, the record, cancellation and the report), asks through notifications, and
 * shows the run's output, the step states in the tree and the context and RTO in the status bar.
 */
export class RunController implements vscode.Disposable {
  readonly question = new WaitingQuestion();
  private readonly logChannels: LogChannels;
  private readonly channels = new Map<string, vscode.OutputChannel>();
  private readonly context = new ClusterContext();
  private readonly objectives = new ObjectivesStatus();
  private readonly desks = new Map<string, RunDesk>();
  private channel: vscode.OutputChannel | undefined;
  private following: Following | undefined;
  private uiFactory: RunUiFactory | undefined;
  /** What runs print, redacted as streams (a secret split across writes is still masked); flushed when the work ends. */
  private readonly printing = new Set<RedactingStream>();

  constructor(
    private readonly plan: PlanWorkspace,
    private readonly secrets: SecretSource,
    private readonly log: RedactedLog,
    /** The steps' live states, which the tree shows (it is built before any run needs this controller). */
    readonly states: StepStates,
    /** The runs recorded in .dr-runs/, for the RTO forecast. */
    private readonly pastRuns: () => readonly RunState[],
  ) {
    this.logChannels = new LogChannels(log);
  }

  /** Answers the runs' questions with `factory` instead of notifications (an extension's API, an automated drill). */
  useUi(factory: RunUiFactory): vscode.Disposable {
    this.uiFactory = factory;
    return { dispose: () => (this.uiFactory === factory ? (this.uiFactory = undefined) : undefined) };
  }

  /** "Run DR Scenario" (and "Run Up to Here"): a new run, or the stopped one continued. */
  async run(scenarioId?: string, endAt?: number, continueOnly = false): Promise<ScenarioOutcome | undefined> {
    const loaded = this.loaded();
    const scenario = scenarioId ? this.find(scenarioId).scenario : await pickScenario(loaded.runbook.scenarios);
    if (!scenario) return undefined;
    const request = await this.request(scenario, continueOnly ? { continueOnly } : endAt !== undefined ? { endAt } : {});
    if (!request.ok) return this.refused(request.error);
    const result = await this.underWay(() => this.desk().runScenario(request.value));
    if (!result.ok) return this.refused(result.error);
    const outcome = result.value;
    if (!outcome) return undefined;
    const text = `DR Runbook: "${scenario.title}" ${outcome.outcome}${outcome.step ? ` at step ${outcome.step.number}` : ''}${outcome.reason ? `: ${outcome.reason}` : ''}.`;
    const open = (choice: string | undefined) =>
      choice === 'Open Report' ? this.openLastReport() : choice === 'Show Output' ? this.channel?.show(true) : undefined;
    if (outcome.outcome === 'finished') void this.log.showMessage('info', text, {}, 'Open Report').then(open);
    else void this.log.showMessage('warning', text, {}, 'Show Output', 'Open Report').then(open);
    return outcome;
  }

  /** After a reload: a run that was under way is offered for continuing (when no other window runs it). */
  async offerResume(): Promise<void> {
    const state = this.plan.state;
    if (state.kind !== 'loaded') return;
    for (const scenario of state.runbook.scenarios) {
      const open = await this.desk().openRun(scenario.id);
      if (!open) continue;
      this.show(open.state);
      if (open.state.status === 'running') await this.run(scenario.id, undefined, true);
    }
  }

  /** "Run This Step", "Skip", "Mark Done": one step, recorded in the scenario's open run. */
  async runStep(scenarioId: string, stepNumber: number, mark?: 'skipped' | 'manual'): Promise<StepOutcome | undefined> {
    const { scenario, step } = this.find(scenarioId, stepNumber);
    const request = await this.request(scenario, {});
    if (!request.ok) return this.refusedStep(request.error);
    this.output(`\n--- step ${stepNumber}: ${step.text} ---\n`);
    const result = await this.underWay(() => this.desk().runStep(request.value, step, mark));
    if (!result.ok) return this.refused(result.error);
    this.output(`step ${stepNumber} ${result.value.state}: ${result.value.summary}\n`);
    return result.value;
  }

  /** A notebook cell: through the same engine, one at a time with every run; its notebook is its record. */
  async executeOne(scenario: Scenario, step: Step, signal: AbortSignal, output: (text: string) => void): Promise<StepOutcome> {
    const built = await this.request(scenario, {}, output);
    if (!built.ok) return this.refusedStep(built.error);
    const request = built.value;
    const result = await this.underWay(() =>
      this.desk().runCell(`a notebook cell (step ${step.number})`, step, request.env, (t) => output(request.redact(t)), signal),
    );
    const outcome = result.ok ? result.value : { state: 'failed' as const, summary: result.error };
    this.states.set(scenario.id, step.number, { state: outcome.state, summary: request.redact(outcome.summary) });
    return outcome;
  }

  /** "Cancel Run": aborts what is under way, requests in flight included. False when nothing runs. */
  cancel(): boolean {
    return [...this.desks.values()].map((d) => d.cancel()).some(Boolean);
  }

  /** "Open Last Run Report": the newest report, rendered. */
  async openLastReport(): Promise<void> {
    const report = this.desk().lastReport ?? (await this.desk().newestReport());
    if (!report) {
      void this.log.showMessage('info', 'DR Runbook: no run report yet. Run a scenario first ("DR Runbook: Run DR Scenario").');
      return;
    }
    await vscode.commands.executeCommand('markdown.showPreview', vscode.Uri.file(report));
  }

  get lastReport(): string | undefined {
    return this.desk().lastReport;
  }

  showOutput(scenarioId: string): void {
    this.outputChannel(this.find(scenarioId).scenario).show(true);
  }

  reset(scenarioId: string): void {
    this.states.reset(scenarioId);
  }

  /** "Follow Logs" on a Deployment or StatefulSet of the tree (its channel masks every secret value of the plan). */
  async followWorkload(kind: string, name: string, namespace: string | undefined): Promise<void> {
    const steps = this.loaded().runbook.scenarios.flatMap((s) => s.steps);
    const request = await this.request({ id: 'plan', title: 'the plan', kind: 'recovery', line: 1, steps }, {}, () => undefined);
    if (!request.ok) throw new Error(request.error);
    const where = namespace ?? request.value.env.namespace;
    const followed = await this.follow({ apiVersion: 'apps/v1', kind, name, namespace: where });
    if (!followed.ok) throw new Error(`${followed.error.message} ${followed.error.hint}`);
  }

  /** Opens a log channel on the last run's cluster (or a command's own); the channel writes through the pipeline. */
  private follow(what: ObjectRef | FollowTarget, tail?: number, own?: KubectlTarget): Promise<Result<string, ClusterError>> {
    const { cluster, connect } = this.following ?? { cluster: err(noCluster), connect: undefined };
    const port = own && connect && (own.context !== undefined || own.kubeconfig !== undefined) ? connect(own) : cluster;
    if (!port.ok) return Promise.resolve(port);
    return this.logChannels.follow(port.value, what, ...(tail !== undefined ? [tail] : []));
  }

  private desk(): RunDesk {
    const root = this.loaded().root;
    let desk = this.desks.get(root);
    if (!desk) {
      desk = new RunDesk(root, (signal) => this.ui(signal), osUser(), this.log);
      this.desks.set(root, desk);
    }
    return desk;
  }

  private ui(signal: AbortSignal): SessionUi {
    const root = this.loaded().root;
    const base = vscodeRunUi(
      this.question,
      signal,
      backupFolder(root, readConfig(this.loaded().runbook)) ?? root,
      (t) => this.output(t),
      (command, namespace) => this.follow(followedRef(command, namespace), command.tail, command.globals),
      (step) => {
        const scenario = this.loaded().runbook.scenarios.find((s) => s.steps.includes(step));
        return vscode.commands.executeCommand(Commands.previewStep, { scenario, step });
      },
    );
    // What the questions show from the cluster passes the pipeline, also when an API caller answers.
    return redactedRunUi(this.uiFactory ? this.uiFactory(signal, base) : base, this.log.redaction.text);
  }

  /**
   * Everything a run of `scenario` needs from VS Code; its output goes to `output`, else to the
   * scenario's channel. In an untrusted workspace, the gate's reason instead: the trust gate hands
   * out no cluster and no process runner there, and the caller says so in its own way.
   */
  private async request(
    scenario: Scenario,
    more: Pick<ScenarioRequest, 'endAt' | 'continueOnly'>,
    output?: (text: string) => void,
  ): Promise<Result<ScenarioRequest, string>> {
    const gate = trustedAdapters();
    if (!gate.ok) return gate;
    const channel = output ? undefined : this.outputChannel(scenario);
    this.channel = channel ?? this.channel;
    const printed = this.log.redaction.stream(output ?? ((text) => channel?.append(text)));
    this.printing.add(printed);
    const built = await runRequest(this.loaded(), scenario, this.context, {
      adapters: gate.value,
      secrets: this.secrets,
      log: this.log,
      manifests: this.plan.manifests,
      output: (text) => printed.write(text),
      onState: (state) => this.show(state),
    });
    this.following = built.follow;
    return ok({ ...built.request, ...more });
  }

  /** Runs `work` with the palette's "Cancel Run", a Cancel in a progress notification, and the RTO clock. */
  private async underWay<T>(work: () => Promise<T>): Promise<T> {
    await vscode.commands.executeCommand('setContext', ContextKeys.running, true);
    try {
      return await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'DR Runbook: running' }, () =>
        work(),
      );
    } finally {
      for (const printed of this.printing) printed.flush();
      this.printing.clear();
      this.objectives.stop();
      await vscode.commands.executeCommand('setContext', ContextKeys.running, false);
    }
  }

  /** A run's state in the tree and the status bar. */
  private show(state: RunState): void {
    for (const step of state.steps) {
      this.states.set(state.scenarioId, step.number, {
        state: state.status !== 'running' && step.state === 'running' ? 'failed' : step.state,
        ...(step.durationMs !== undefined ? { durationMs: step.durationMs } : {}),
        ...(step.summary || step.error ? { summary: this.log.redaction.text(step.error ?? step.summary ?? '') } : {}),
      });
    }
    if (state.status !== 'running') return this.objectives.stop();
    const { root, runbook } = this.loaded();
    this.objectives.start(state, runbook, backupFolder(root, readConfig(runbook)), this.pastRuns);
  }

  /** A step refused before anything ran (an untrusted workspace): said, and its outcome says why. */
  private refusedStep(message: string): StepOutcome {
    void this.log.showMessage('warning', `DR Runbook: ${message}`);
    return { state: 'failed', summary: message };
  }

  private refused(message: string): undefined {
    void this.log.showMessage('warning', `DR Runbook: ${message}`);
    return undefined;
  }

  private output(text: string): void {
    this.channel?.append(text);
  }

  private loaded() {
    const state = this.plan.state;
    if (state.kind !== 'loaded') throw new Error(state.kind === 'missing' ? state.message : 'The DR plan is still loading.');
    return state;
  }

  private find(scenarioId: string, stepNumber?: number): { scenario: Scenario; step: Step } {
    const scenario = this.loaded().runbook.scenarios.find((s) => s.id === scenarioId);
    const step = stepNumber === undefined ? scenario?.steps[0] : scenario?.steps.find((s) => s.number === stepNumber);
    if (!scenario || !step)
      throw new Error(`The plan has no step ${stepNumber ?? 1} in scenario "${scenarioId}" (was it edited?). Refresh the view.`);
    return { scenario, step };
  }

  private outputChannel(scenario: Scenario): vscode.OutputChannel {
    let channel = this.channels.get(scenario.id);
    if (!channel) {
      channel = this.log.createOutputChannel(`DR Runbook: ${scenario.title}`);
      this.channels.set(scenario.id, channel);
    }
    channel.show(true);
    return channel;
  }

  async dispose(): Promise<void> {
    await Promise.all([...this.desks.values()].map((d) => d.dispose()));
    for (const d of [this.logChannels, ...this.channels.values(), this.context, this.objectives, this.question]) d.dispose();
  }
}

const noCluster: ClusterError = {
  kind: 'unreachable',
  context: '',
  message: 'No cluster is connected yet.',
  hint: 'Check the kubeconfig and the drRunbook.cluster.context setting.',
};
