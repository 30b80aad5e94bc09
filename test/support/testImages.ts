// Container images the Kubernetes API test server gives a behaviour (setImageBehaviour), shared by
// the harness that starts the server and the suites that apply them.

/** Pods of this image run but never become ready (a readiness probe that never passes). */
export const NEVER_READY_IMAGE = 'dr-runbook-test/never-ready';
