import * as vscode from 'vscode';
import type { ClusterPort } from '../../core/cluster/port.js';
import { formatDuration } from '../../core/duration.js';
import { preflightScenario, runScenario, type RunResult, type RunUi } from '../../core/execution/scenarioRunner.js';
import { executeStep, type StepContext, type StepOutcome } from '../../core/execution/stepExecutor.js';
import { StepStates } from '../../core/execution/stepStates.js';
import { createRedactor } from '../../core/run/redact.js';
import { createJournalWriter, findUnfinishedRun, journalPath, newRunId, runsFolderName } from '../../core/run/journal.js';
import { summarizeOutput } from '../../core/run/report.js';
import type { RunEvent } from '../../core/run/runModel.js';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { err, ok, type Result } from '../../core/result.js';
import type { KubectlTarget, LogsCommand, Scenario, Step } from '../../core/runbook/model.js';
import { matchRecordedStep } from '../../core/runbook/stepIdentity.js';
import type { ClusterError, ObjectRef } from '../../core/cluster/model.js';
import type { FollowTarget } from '../../core/cluster/logs.js';
import { backupFolder, isProductionContext, readConfig, type Config } from '../config.js';
import { Commands, ContextKeys } from '../ids.js';
import type { PlanWorkspace } from '../planWorkspace.js';
import { adapters } from './lazyAdapters.js';
import { loadSecretValues } from '../commands/secretCommands.js';
import { LogChannels } from './logChannels.js';
import { ObjectivesStatus } from './objectivesStatus.js';
import { writeRunReport } from '../../core/run/runReport.js';
import { askIncidentStart, scriptedRunUi, vscodeRunUi } from './vscodeRunUi.js';

/** Where a run picks up again after a reload: its record, and the step to start at. */
export interface ResumePoint {
  readonly path: string;
  readonly runId: string;
  readonly startAt: number;
  /** The step that was running when the window went away. */
  readonly interrupted?: number;
  /** As the run's record has it: the RTO clock goes on from there. */
  readonly incidentStartedAt?: string;
}

/**
 * Runs scenarios from VS Code: picks one, shows where it will act, runs the preflight, then the
 * steps, with progress and Cancel in a notification, every step's output in the run's output
 * channel, and each step's state in the tree.
 */
export class RunController implements vscode.Disposable {
  readonly states = new StepStates();
  private readonly logChannels: LogChannels;
  private readonly channels = new Map<string, vscode.OutputChannel>();
  private readonly status = vscode.window.createStatusBarItem('drRunbook.run', vscode.StatusBarAlignment.Left, 50);
  private running = false;
  /** The runs and single steps under way: "Cancel Run" aborts them as their notification's Cancel does. */
  private readonly underWay = new Set<AbortController>();
  private readonly objectives = new ObjectivesStatus();
  /** In-host tests answer the run's questions through this instead of clicking dialogs. */
  testAnswers: Partial<RunUi> | undefined;

  constructor(
    private readonly plan: PlanWorkspace,
    private readonly secrets: vscode.SecretStorage,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.logChannels = new LogChannels(log);
    this.status.command = Commands.pickContext;
  }

  async run(scenarioId?: string, resume?: ResumePoint, endAt?: number): Promise<RunResult | undefined> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showErrorMessage(
        'DR Runbook applies nothing and runs no script in an untrusted workspace. Trust the workspace to run the plan.',
      );
      return undefined;
    }
    if (this.running) {
      void vscode.window.showWarningMessage('A DR scenario is already running: finish or cancel it first.');
      return undefined;
    }
    const state = this.plan.state;
    if (state.kind !== 'loaded') throw new Error(state.kind === 'missing' ? state.message : 'The DR plan is still loading.');
    const scenario = scenarioId
      ? state.runbook.scenarios.find((s) => s.id === scenarioId)
      : await this.pickScenario(state.runbook.scenarios);
    if (!scenario) {
      if (scenarioId) throw new Error(`The plan has no scenario "${scenarioId}".`);
      return undefined;
    }
    const { config, cluster, contextName, production } = this.connect();
    const answers = this.testAnswers;
    if (!answers && !resume) {
      const go = await vscode.window.showWarningMessage(
        `Run "${scenario.title}"?`,
        {
          modal: true,
          detail: `Context: ${contextName}${production ? ' (PRODUCTION)' : ''}${cluster.ok ? '' : `\n✖ ${cluster.error.message}`}\nNamespace: ${config.namespace}\nSteps: ${scenario.steps.length}${ownContexts(scenario, config.productionPatterns)}`,
        },
        'Run',
      );
      if (go !== 'Run') return undefined;
    }
    // The RTO clock and the RPO evidence count from the incident's start: asked, now by default.
    const recorded = resume?.incidentStartedAt ? new Date(resume.incidentStartedAt) : undefined;
    const incidentStartedAt =
      recorded && !Number.isNaN(recorded.getTime()) ? recorded : answers || resume ? new Date() : await askIncidentStart();
    if (!incidentStartedAt) return undefined;
    const secretValues = await this.loadSecrets(state.root, scenario.steps, `"${scenario.title}"`);
    const redact = createRedactor([...secretValues.values()]);
    const channel = this.channel(scenario);
    // Everything the run prints, redacted, for the record's summaries and the RPO evidence (bounded).
    let transcript = '';
    let stepOutput = '';
    const out = (text: string): void => {
      const clean = redact(text);
      channel.append(clean);
      transcript = (transcript + clean).slice(-1_000_000);
      stepOutput = (stepOutput + clean).slice(-100_000);
    };
    // The record of the run: written before and after each step, under .dr-runs/ in the workspace.
    const runId = resume?.runId ?? newRunId();
    const startedAt = new Date();
    const record = createJournalWriter(resume?.path ?? journalPath(state.root, startedAt, scenario.id, runId), redact);
    const who = safeUser();
    const event = <T extends Omit<RunEvent, 'runId' | 'scenarioId' | 'who' | 'at'>>(e: T) =>
      ({ runId, scenarioId: scenario.id, who, at: new Date().toISOString(), ...e }) as unknown as RunEvent;
    if (resume) {
      // The step the reload interrupted ends as failed in the record, then runs again.
      if (resume.interrupted !== undefined) {
        await record.append(
          event({ type: 'step', step: resume.interrupted, state: 'failed', error: 'Interrupted by a reload of the window.' }),
        );
      }
    } else {
      await record.append(
        event({
          type: 'runStarted',
          context: contextName,
          namespace: config.namespace,
          incidentStartedAt: incidentStartedAt.toISOString(),
          steps: scenario.steps.map((st) => ({ number: st.number, title: st.title, kind: st.kind })),
          scenarioTitle: scenario.title,
        }),
      );
    }
    this.objectives.start(
      incidentStartedAt.toISOString(),
      state.runbook.rtoMs,
      state.runbook.rpoMs,
      backupFolder(state.root, config),
    );
    out(`\n=== ${scenario.title}: ${new Date().toISOString()} on context "${contextName}", namespace ${config.namespace} ===\n`);
    this.running = true;
    const abort = this.underWayStarted();
    try {
      return await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `DR Runbook: ${scenario.title}`, cancellable: true },
        async (progress, token) => {
          token.onCancellationRequested(() => abort.abort());
          const ctx = this.stepContext(state.root, config, cluster, production, secretValues, abort.signal, out);
          progress.report({ message: 'preflight: dry run of every manifest...' });
          const preflight = await preflightScenario(state.runbook, scenario, projectRelative(state.root, state.planFile), ctx, {
            backupDirectory: config.backupDirectory,
          });
          for (const line of preflight.lines) out(`${line}\n`);
          if (!preflight.ok) {
            await record.append(event({ type: 'runCancelled', reason: 'the preflight failed; nothing was changed' }));
            channel.show(true);
            void vscode.window.showErrorMessage(
              `DR Runbook: the preflight of "${scenario.title}" failed; nothing was changed. See the output.`,
            );
            return { outcome: 'failed' as const };
          }
          // A warning (a backup older than the RPO, or none) does not stop the run, but the person sees it first.
          if (preflight.warnings.length && !(await ctx.ui.acceptWarnings(preflight.warnings))) {
            out('=== stopped at the preflight warnings; nothing was changed ===\n');
            await record.append(
              event({ type: 'runCancelled', reason: 'stopped at the preflight warnings; nothing was changed' }),
            );
            return { outcome: 'stopped' as const };
          }
          if (!resume) this.states.reset(scenario.id);
          const started = Date.now();
          const result = await runScenario(
            scenario,
            ctx,
            {
              onStep: (step, stepState, outcome, durationMs) => {
                if (stepState === 'running') stepOutput = '';
                void record.append(
                  event({
                    type: 'step',
                    step: step.number,
                    state: stepState,
                    ...(durationMs !== undefined ? { durationMs } : {}),
                    ...(outcome
                      ? {
                          summary:
                            outcome.state === 'failed' ? outcome.summary : summarizeOutput(`${outcome.summary}\n${stepOutput}`),
                        }
                      : {}),
                  }),
                );
                this.states.set(scenario.id, step.number, {
                  state: stepState,
                  ...(durationMs !== undefined ? { durationMs } : {}),
                  ...(outcome ? { summary: outcome.summary } : {}),
                });
                if (stepState === 'running') {
                  progress.report({ message: `step ${step.number}: ${step.title}` });
                  out(`\n--- step ${step.number}: ${step.text} ---\n`);
                } else if (outcome) {
                  out(`step ${step.number} ${stepState} in ${formatDuration(durationMs ?? 0)}: ${outcome.summary}\n`);
                }
              },
            },
            { ...(resume ? { startAt: resume.startAt } : {}), ...(endAt !== undefined ? { endAt } : {}) },
          );
          const took = formatDuration(Date.now() - started);
          out(`=== ${result.outcome} after ${took} ===\n`);
          await record.append(
            result.outcome === 'finished'
              ? event({ type: 'runFinished' })
              : event({
                  type: 'runCancelled',
                  reason: `${result.outcome}${result.step ? ` at step ${result.step.number}` : ''}`,
                }),
          );
          const report = await writeRunReport(record.path, {
            scenarioTitle: scenario.title,
            rpoMs: state.runbook.rpoMs,
            rtoMs: state.runbook.rtoMs,
            transcript,
            redact,
          });
          if (report.ok) {
            this.lastReport = report.value;
            this.log.info(`run report: ${report.value}`);
          } else {
            this.log.error(report.error);
          }
          const message = `DR Runbook: "${scenario.title}" ${result.outcome}${result.step ? ` at step ${result.step.number}` : ''} after ${took}.`;
          const openReport = (choice: string | undefined): void => {
            if (choice === 'Show Output') channel.show(true);
            if (choice === 'Open Report' && this.lastReport)
              void vscode.window.showTextDocument(vscode.Uri.file(this.lastReport));
          };
          if (result.outcome === 'finished') void vscode.window.showInformationMessage(message, 'Open Report').then(openReport);
          else void vscode.window.showWarningMessage(message, 'Show Output', 'Open Report').then(openReport);
          return result;
        },
      );
    } finally {
      this.running = false;
      this.underWayEnded(abort);
      this.objectives.stop();
    }
  }

  /** "Cancel Run": aborts what is under way, as the Cancel of its notification does. False when nothing runs. */
  cancel(): boolean {
    const running = [...this.underWay];
    for (const abort of running) abort.abort();
    return running.length > 0;
  }

  /** A run or step begins: it can be cancelled, and the palette offers "Cancel Run". */
  private underWayStarted(): AbortController {
    const abort = new AbortController();
    this.underWay.add(abort);
    void vscode.commands.executeCommand('setContext', ContextKeys.running, true);
    return abort;
  }

  private underWayEnded(abort: AbortController): void {
    this.underWay.delete(abort);
    if (this.underWay.size === 0) void vscode.commands.executeCommand('setContext', ContextKeys.running, false);
  }

  /** The cluster of the configured context (not contacted yet), and whether it counts as production. */
  private connect(): { config: Config; cluster: Result<ClusterPort, ClusterError>; contextName: string; production: boolean } {
    const state = this.plan.state;
    const config = readConfig(state.kind === 'loaded' ? state.runbook : undefined);
    const connected = adapters().connectCluster({
      ...(config.context ? { context: config.context } : {}),
      namespace: config.namespace,
    });
    const cluster: Result<ClusterPort, ClusterError> = connected.ok ? ok(connected.value) : err(connected.error);
    const contextName = cluster.ok ? cluster.value.context : config.context || '(no context)';
    const production = isProductionContext(contextName, config.productionPatterns);
    this.showContext(contextName, production);
    return { config, cluster, contextName, production };
  }

  /** What a step runs with: the engine on this cluster, execa, and the person through VS Code (or a test's answers). */
  private stepContext(
    root: string,
    config: Config,
    cluster: Result<ClusterPort, ClusterError>,
    production: boolean,
    secretValues: ReadonlyMap<string, string>,
    signal: AbortSignal,
    output: (text: string) => void,
  ): StepContext & { ui: RunUi } {
    // A command's own --context / --kubeconfig: its own cluster, connected when the command needs it.
    const clusterFor = (target?: KubectlTarget): Result<ClusterPort, ClusterError> => {
      if (!target || (target.context === undefined && target.kubeconfig === undefined)) return cluster;
      const own = adapters().connectCluster({
        ...(target.context !== undefined ? { context: target.context } : config.context ? { context: config.context } : {}),
        ...(target.kubeconfig !== undefined ? { kubeconfigPath: resolve(root, target.kubeconfig) } : {}),
        namespace: config.namespace,
      });
      return own.ok ? ok(own.value) : err(own.error);
    };
    const base = vscodeRunUi(
      backupFolder(root, config) ?? root,
      (command, namespace) => {
        const own = clusterFor(command.globals);
        return own.ok
          ? this.logChannels.follow(
              own.value,
              followedRef(command, namespace),
              createRedactor([...secretValues.values()]),
              ...(command.tail !== undefined ? [command.tail] : []),
            )
          : Promise.resolve(own);
      },
      (step) => {
        const state = this.plan.state;
        const scenario = state.kind === 'loaded' ? state.runbook.scenarios.find((s) => s.steps.includes(step)) : undefined;
        return vscode.commands.executeCommand(Commands.previewStep, { scenario, step });
      },
    );
    return {
      root,
      namespace: config.namespace,
      cluster: (target) => Promise.resolve(clusterFor(target)),
      isProduction: (context) => isProductionContext(context, config.productionPatterns),
      processes: new (adapters().ExecaRunner)(),
      ui: this.testAnswers ? scriptedRunUi(base, this.testAnswers) : base,
      signal,
      output,
      secret: (name) => process.env[name] ?? secretValues.get(name),
      production,
      readinessTimeoutMs: config.readinessTimeoutMs,
      manifests: this.plan.manifests,
    };
  }

  /**
   * Runs one step on its own (a notebook cell, "Run This Step"), through the same engine as a
   * scenario run; its state shows in the tree.
   */
  async executeOne(scenario: Scenario, step: Step, signal: AbortSignal, output: (text: string) => void): Promise<StepOutcome> {
    if (!vscode.workspace.isTrusted)
      return { state: 'failed', summary: 'This workspace is not trusted: DR Runbook runs nothing here.' };
    const state = this.plan.state;
    if (state.kind !== 'loaded') return { state: 'failed', summary: 'The DR plan is not loaded.' };
    const { config, cluster, production } = this.connect();
    const secretValues = await this.loadSecrets(state.root, scenario.steps, `"${scenario.title}"`);
    const redact = createRedactor([...secretValues.values()]);
    const ctx = this.stepContext(state.root, config, cluster, production, secretValues, signal, (text) => output(redact(text)));
    this.states.set(scenario.id, step.number, { state: 'running' });
    const started = Date.now();
    const outcome = await executeStep(step, ctx);
    this.states.set(scenario.id, step.number, {
      state: outcome.state,
      durationMs: Date.now() - started,
      summary: redact(outcome.summary),
    });
    return outcome;
  }

  /**
   * After a reload: the newest run under .dr-runs/ that never finished is offered for resuming at
   * the step it was on; its finished steps show as finished in the tree meanwhile.
   */
  async offerResume(): Promise<'resumed' | 'discarded' | 'none'> {
    const state = this.plan.state;
    if (state.kind !== 'loaded') return 'none';
    const found = await findUnfinishedRun(join(state.root, runsFolderName));
    for (const p of found.problems) this.log.warn(`run record ${p.path}: ${p.message}`);
    if (!found.run) return 'none';
    const { path, state: run } = found.run;
    const scenario = state.runbook.scenarios.find((s) => s.id === run.scenarioId);
    if (!scenario) return 'none';
    for (const step of run.steps) {
      if (step.state === 'pending') continue;
      this.states.set(scenario.id, step.number, {
        state: step.state === 'running' ? 'failed' : step.state,
        ...(step.durationMs !== undefined ? { durationMs: step.durationMs } : {}),
        ...(step.summary ? { summary: step.summary } : {}),
      });
    }
    const interrupted = run.steps.find((s) => s.state === 'running')?.number;
    const recorded = run.steps.find((s) => s.number === (interrupted ?? run.currentStep));
    if (!recorded) return 'none';
    // The plan may have changed since: resume at the same step, or say what changed and show the step that would run.
    const match = matchRecordedStep(scenario, recorded);
    if (match.kind === 'gone') {
      void vscode.window.showWarningMessage(
        `DR Runbook: "${scenario.title}" stopped at step ${recorded.number} when the window was reloaded, but ${match.reason} Start the scenario again.`,
      );
      return 'none';
    }
    const startAt = match.step.number;
    const question =
      match.kind === 'same'
        ? `DR Runbook: "${scenario.title}" stopped at step ${startAt} when the window was reloaded. Resume it there?`
        : `DR Runbook: "${scenario.title}" stopped at step ${recorded.number} when the window was reloaded, and the plan changed since: ${match.reason} Resume at step ${startAt}: "${match.step.text}"?`;
    const choice = this.testResumeAnswer ?? (await vscode.window.showInformationMessage(question, 'Resume', 'Discard'));
    if (choice === 'Resume') {
      void this.run(scenario.id, {
        path,
        runId: run.runId,
        startAt,
        incidentStartedAt: run.incidentStartedAt,
        ...(interrupted !== undefined ? { interrupted } : {}),
      });
      return 'resumed';
    }
    if (choice === 'Discard') {
      await createJournalWriter(path).append({
        type: 'runCancelled',
        runId: run.runId,
        scenarioId: run.scenarioId,
        who: safeUser(),
        at: new Date().toISOString(),
        reason: 'discarded after a reload',
      });
      this.states.reset(scenario.id);
      return 'discarded';
    }
    return 'none';
  }

  /** In-host tests answer the resume question through this. */
  testResumeAnswer: 'Resume' | 'Discard' | undefined;

  /** The newest run report written (for "Open Report" and the tests). */
  lastReport: string | undefined;

  /** "Run This Step": one step, with progress and Cancel, its output in the scenario's channel. */
  async runStep(scenarioId: string, stepNumber: number): Promise<StepOutcome | undefined> {
    const found = this.find(scenarioId, stepNumber);
    const channel = this.channel(found.scenario);
    const abort = this.underWayStarted();
    try {
      return await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `DR Runbook: step ${stepNumber}`, cancellable: true },
        async (_progress, token) => {
          token.onCancellationRequested(() => abort.abort());
          channel.append(`\n--- step ${stepNumber}: ${found.step.text} ---\n`);
          const outcome = await this.executeOne(found.scenario, found.step, abort.signal, (t) => channel.append(t));
          channel.append(`step ${stepNumber} ${outcome.state}: ${outcome.summary}\n`);
          return outcome;
        },
      );
    } finally {
      this.underWayEnded(abort);
    }
  }

  /** Marks a step skipped, or done by hand, without running it. */
  mark(scenarioId: string, stepNumber: number, state: 'skipped' | 'manual'): void {
    this.find(scenarioId, stepNumber);
    this.states.set(scenarioId, stepNumber, { state, summary: state === 'manual' ? 'Marked done by hand.' : 'Skipped by hand.' });
  }

  showOutput(scenarioId: string): void {
    const state = this.plan.state;
    const scenario = state.kind === 'loaded' ? state.runbook.scenarios.find((s) => s.id === scenarioId) : undefined;
    if (scenario) this.channel(scenario).show(true);
  }

  /** "Follow Logs" on a Deployment or StatefulSet of the tree. */
  async followWorkload(kind: string, name: string, namespace: string | undefined): Promise<void> {
    const { cluster, config } = this.connect();
    if (!cluster.ok) throw new Error(`${cluster.error.message} ${cluster.error.hint}`);
    // Pods may log any of the plan's secret values: the channel masks all of them.
    const state = this.plan.state;
    const secretValues =
      state.kind === 'loaded'
        ? await this.loadSecrets(
            state.root,
            state.runbook.scenarios.flatMap((s) => s.steps),
            'the plan',
          )
        : new Map<string, string>();
    const apiVersion = 'apps/v1';
    const followed = await this.logChannels.follow(
      cluster.value,
      { apiVersion, kind, name, namespace: namespace ?? config.namespace },
      createRedactor([...secretValues.values()]),
    );
    if (!followed.ok) throw new Error(`${followed.error.message} ${followed.error.hint}`);
  }

  private find(scenarioId: string, stepNumber: number): { scenario: Scenario; step: Step } {
    const state = this.plan.state;
    const scenario = state.kind === 'loaded' ? state.runbook.scenarios.find((s) => s.id === scenarioId) : undefined;
    const step = scenario?.steps.find((s) => s.number === stepNumber);
    if (!scenario || !step)
      throw new Error(`The plan has no step ${stepNumber} in scenario "${scenarioId}" (was it edited?). Refresh the view.`);
    return { scenario, step };
  }

  reset(scenarioId: string): void {
    this.states.reset(scenarioId);
  }

  private async pickScenario(scenarios: readonly Scenario[]): Promise<Scenario | undefined> {
    const picked = await vscode.window.showQuickPick(
      scenarios.map((s) => ({
        label: s.title,
        description: `${s.steps.length} steps${s.kind === 'drill' ? ' · drill' : ''}`,
        scenario: s,
      })),
      { title: 'Run DR Scenario', placeHolder: 'Which scenario?' },
    );
    return picked?.scenario;
  }

  private channel(scenario: Scenario): vscode.OutputChannel {
    let channel = this.channels.get(scenario.id);
    if (!channel) {
      channel = vscode.window.createOutputChannel(`DR Runbook: ${scenario.title}`);
      this.channels.set(scenario.id, channel);
    }
    channel.show(true);
    return channel;
  }

  private showContext(context: string, production: boolean): void {
    this.status.text = `$(server-environment) ${context}`;
    this.status.tooltip = `${production ? `DR Runbook acts on ${context}: a PRODUCTION context` : `DR Runbook acts on ${context}`}. Click to pick another context.`;
    this.status.backgroundColor = production ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    this.status.show();
  }

  /**
   * The values of the `${NAME}` placeholders the Secret templates of these steps need, from the
   * environment or the secret storage; `what` names the steps in the extension's log.
   */
  private loadSecrets(root: string, steps: readonly Step[], what: string): Promise<Map<string, string>> {
    return loadSecretValues(this.secrets, root, steps, this.plan.manifests, this.log, what);
  }

  dispose(): void {
    this.logChannels.dispose();
    for (const c of this.channels.values()) c.dispose();
    this.status.dispose();
    this.objectives.dispose();
  }
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env['USER'] ?? 'unknown';
  }
}

function projectRelative(root: string, file: string): string {
  return file.startsWith(`${root}/`) ? file.slice(root.length + 1) : file;
}

/** The contexts steps name themselves (`--context staging`), each judged as production by its own name. */
function ownContexts(scenario: Scenario, patterns: readonly string[]): string {
  const lines = scenario.steps.flatMap((step) =>
    step.commands.flatMap((c) =>
      'globals' in c && (c.globals.context !== undefined || c.globals.kubeconfig !== undefined)
        ? [
            `Step ${step.number} acts on ${c.globals.context !== undefined ? `context ${c.globals.context}${isProductionContext(c.globals.context, patterns) ? ' (PRODUCTION)' : ''}` : 'the current context'}${c.globals.kubeconfig !== undefined ? ` of ${c.globals.kubeconfig}` : ''}: ${c.text}`,
          ]
        : [],
    ),
  );
  return lines.length ? `\n\n${lines.join('\n')}` : '';
}

/** The workload (or pod selector) a followed `kubectl logs -f` names. */
function followedRef(command: LogsCommand, namespace: string): ObjectRef | FollowTarget {
  if (command.resource === 'selector') return { namespace, selector: command.name, name: `${namespace}/${command.name}` };
  const kinds: Record<string, { apiVersion: string; kind: string }> = {
    deployment: { apiVersion: 'apps/v1', kind: 'Deployment' },
    statefulset: { apiVersion: 'apps/v1', kind: 'StatefulSet' },
    daemonset: { apiVersion: 'apps/v1', kind: 'DaemonSet' },
    job: { apiVersion: 'batch/v1', kind: 'Job' },
  };
  return { ...(kinds[command.resource] ?? kinds['deployment']!), name: command.name, namespace };
}
