// The adapters as one bundle (dist/adapters.cjs) that the extension loads when a run first needs
// them: @kubernetes/client-node is about 2 MB, and activation must not pay for it.
export { connectCluster } from './kubernetes/clusterClient.js';
export { listContexts, loadKubeConfig } from './kubernetes/kubeconfig.js';
export { ExecaRunner } from './process/execaRunner.js';
