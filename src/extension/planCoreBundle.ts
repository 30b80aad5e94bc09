// The plan's core as one bundle (dist/plan.cjs): the CommonMark plan reader, the Problems scan
// and the manifests it reads, the tree's rows and the run history. Activation loads only the
// shells of the tree and the commands; src/extension/planCore.ts loads this when the plan is
// first read, right after activation.
export { ManifestCache } from '../core/manifests/loadManifests.js';
export { collectProblems, stepManifests } from '../core/problems.js';
export { runsFolderName } from '../core/run/journal.js';
export { drillAge, readRunHistory, stepDurations } from '../core/run/runHistory.js';
export { parsePlan } from '../core/runbook/parsePlan.js';
export { childNodes, parentNode, planNodeId, planRow, scenarioNodes } from '../core/runbook/planTree.js';
export { STARTER_PLAN } from '../core/runbook/starterPlan.js';
