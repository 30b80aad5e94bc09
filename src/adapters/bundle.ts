// The adapters as one bundle (dist/adapters.cjs) that the extension loads when a run first needs
// them: @kubernetes/client-node is about 2 MB, and activation must not pay for it.
export { connectCluster, loadKubeConfig } from './kubernetes/clusterClient.js';
export { ExecaRunner } from './process/execaRunner.js';
