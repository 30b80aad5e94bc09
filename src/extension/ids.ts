/** Every id the extension contributes. A unit test checks these against package.json both ways. */
export const Commands = {
  refresh: 'drRunbook.refresh',
  openPlan: 'drRunbook.openPlan',
  revealStep: 'drRunbook.revealStep',
  openManifest: 'drRunbook.openManifest',
  showLog: 'drRunbook.showLog',
  runScenario: 'drRunbook.runScenario',
  setSecret: 'drRunbook.setSecret',
  resetScenario: 'drRunbook.resetScenario',
  runStep: 'drRunbook.runStep',
  runUpToHere: 'drRunbook.runUpToHere',
  skipStep: 'drRunbook.skipStep',
  markStepDone: 'drRunbook.markStepDone',
  showStepOutput: 'drRunbook.showStepOutput',
  followLogs: 'drRunbook.followLogs',
  openScenarioNotebook: 'drRunbook.openScenarioNotebook',
  startDrill: 'drRunbook.startDrill',
  cancelRun: 'drRunbook.cancelRun',
  openLastReport: 'drRunbook.openLastReport',
  showRunQuestion: 'drRunbook.showRunQuestion',
  choosePlan: 'drRunbook.choosePlan',
  pickContext: 'drRunbook.pickContext',
  previewStep: 'drRunbook.previewStep',
  toggleStepDone: 'drRunbook.toggleStepDone',
} as const;

/**
 * The commands the runs bundle (src/extension/runs/runsBundle.ts) registers when it loads: until
 * then activation stands in for them (src/extension/runs/lazyRuns.ts).
 */
export const RunsCommands: readonly string[] = [
  Commands.runScenario,
  Commands.cancelRun,
  Commands.openLastReport,
  Commands.showRunQuestion,
  Commands.resetScenario,
  Commands.runStep,
  Commands.runUpToHere,
  Commands.skipStep,
  Commands.markStepDone,
  Commands.showStepOutput,
  Commands.followLogs,
  Commands.openScenarioNotebook,
  Commands.startDrill,
  Commands.toggleStepDone,
  Commands.previewStep,
];

/** The Getting Started walkthrough (contributes.walkthroughs). */
export const Walkthroughs = {
  gettingStarted: 'drRunbook.gettingStarted',
} as const;

/** Context keys the extension sets, for `when` clauses. */
export const ContextKeys = {
  planLoaded: 'drRunbook.planLoaded',
  /** A scenario run or a single step is under way. */
  running: 'drRunbook.running',
} as const;

export const Views = {
  container: 'drRunbook',
  plan: 'drRunbook.plan',
} as const;

export const NotebookTypes = {
  runbook: 'drRunbook.runbook',
} as const;

/** Notebook controllers are registered in code only; nothing in package.json names them. */
export const NotebookControllers = {
  runbook: 'drRunbook.runbookController',
} as const;

export const Settings = {
  section: 'drRunbook',
  planPath: 'drRunbook.planPath',
  context: 'drRunbook.cluster.context',
  namespace: 'drRunbook.cluster.namespace',
  productionPatterns: 'drRunbook.safety.productionContextPatterns',
  readinessTimeout: 'drRunbook.run.readinessTimeoutSeconds',
  backupDirectory: 'drRunbook.backup.directory',
} as const;

export const DIAGNOSTIC_SOURCE = 'DR Runbook';
