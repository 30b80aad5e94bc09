// RBAC in the test server, as kube-apiserver's RBAC authorizer and the rbac.authorization.k8s.io
// storage decide it, for a ServiceAccount's token: what its bindings grant, where, by name, and
// the escalation rules of writing roles and bindings. Reached through the real client (the
// engine's ClusterPort), as the drill reaches a cluster.
import assert from 'node:assert/strict';
import type { ClusterPort } from '../../../src/core/cluster/port.js';
import type { KubeObject } from '../../../src/core/cluster/model.js';
import { formatClusterError } from '../../../src/core/cluster/model.js';
import { useTestCluster } from '../../support/testCluster.js';

const RBAC = 'rbac.authorization.k8s.io/v1';
const USER = 'system:serviceaccount:apps:robot';

function clusterRole(name: string, rules: object[]): KubeObject {
  return { apiVersion: RBAC, kind: 'ClusterRole', metadata: { name }, rules };
}
function binding(namespace: string, name: string, roleKind: 'Role' | 'ClusterRole', role: string): KubeObject {
  return {
    apiVersion: RBAC,
    kind: 'RoleBinding',
    metadata: { name, namespace },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: roleKind, name: role },
    subjects: [{ kind: 'ServiceAccount', name: 'robot', namespace: 'apps' }],
  };
}
const configMap = (namespace: string, name: string) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace },
  data: { a: 'b' },
});

describe('the test server’s RBAC for ServiceAccount tokens', function () {
  this.timeout(30_000);
  const t = useTestCluster();
  let robot: ClusterPort;

  beforeEach(() => {
    const { server } = t();
    for (const ns of ['apps', 'sandbox', 'other']) server.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    server.apply({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'robot', namespace: 'apps' } });
    robot = t().connect({ token: server.serviceAccountToken('apps', 'robot'), namespace: 'apps' });
  });

  it('refuses what no binding grants, with the apiserver’s message naming the user, verb, resource and scope', async () => {
    const listed = await robot.list({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'sandbox' });
    assert.ok(!listed.ok);
    assert.equal(listed.error.kind, 'forbidden');
    assert.match(
      formatClusterError(listed.error),
      new RegExp(
        `configmaps is forbidden: User "${USER}" cannot list resource "configmaps" in API group "" in the namespace "sandbox"`,
      ),
    );
  });

  it('grants a ClusterRole bound by a RoleBinding in that namespace only, at once', async () => {
    const { server } = t();
    server.apply(
      clusterRole('cm-writer', [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'create', 'patch'] }]),
    );
    server.apply(binding('sandbox', 'cm-writer', 'ClusterRole', 'cm-writer'));
    const created = await robot.apply(configMap('sandbox', 'c'), { dryRun: false, force: false });
    assert.ok(created.ok, created.ok ? '' : formatClusterError(created.error));
    const elsewhere = await robot.apply(configMap('other', 'c'), { dryRun: false, force: false });
    assert.ok(!elsewhere.ok);
    assert.match(elsewhere.error.message, /cannot patch resource "configmaps" in API group "" in the namespace "other"/);
  });

  it('needs create as well as patch for an apply that creates the object', async () => {
    const { server } = t();
    server.apply(clusterRole('cm-patcher', [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'patch'] }]));
    server.apply(binding('sandbox', 'cm-patcher', 'ClusterRole', 'cm-patcher'));
    const refused = await robot.apply(configMap('sandbox', 'new'), { dryRun: true, force: false });
    assert.ok(!refused.ok);
    assert.match(
      refused.error.message,
      /configmaps "new" is forbidden: User "system:serviceaccount:apps:robot" cannot create resource "configmaps"/,
    );
    server.apply(configMap('sandbox', 'old'));
    const patched = await robot.apply({ ...configMap('sandbox', 'old'), data: { a: 'c' } }, { dryRun: false, force: true });
    assert.ok(patched.ok, patched.ok ? '' : formatClusterError(patched.error));
  });

  it('matches resourceNames only on requests that name the object: a get, or a list or watch by metadata.name', async () => {
    const { server } = t();
    server.apply(
      clusterRole('one-ns', [{ apiGroups: [''], resources: ['namespaces'], resourceNames: ['sandbox'], verbs: ['get', 'list'] }]),
    );
    server.apply({
      apiVersion: RBAC,
      kind: 'ClusterRoleBinding',
      metadata: { name: 'one-ns' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'one-ns' },
      subjects: [{ kind: 'ServiceAccount', name: 'robot', namespace: 'apps' }],
    });
    const ns = { apiVersion: 'v1', kind: 'Namespace', namespace: undefined };
    assert.ok((await robot.read({ ...ns, name: 'sandbox' })).ok);
    assert.ok((await robot.list({ ...ns, fieldSelector: 'metadata.name=sandbox' })).ok);
    const all = await robot.list(ns);
    assert.ok(!all.ok);
    assert.match(all.error.message, /cannot list resource "namespaces" in API group "" at the cluster scope/);
    assert.ok(!(await robot.read({ ...ns, name: 'other' })).ok);
  });

  it('refuses a Role or a binding that grants more than its writer holds, dry runs included, unless it holds bind on that role', async () => {
    const { server } = t();
    server.apply(clusterRole('admin-ish', [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list'] }]));
    server.apply(
      clusterRole('rbac-writer', [
        { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles', 'rolebindings'], verbs: ['create', 'patch', 'get'] },
      ]),
    );
    server.apply(binding('sandbox', 'rbac-writer', 'ClusterRole', 'rbac-writer'));
    const role = {
      apiVersion: RBAC,
      kind: 'Role',
      metadata: { name: 'reader', namespace: 'sandbox' },
      rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }],
    };
    for (const dryRun of [true, false]) {
      const refused = await robot.apply(role, { dryRun, force: false });
      assert.ok(!refused.ok);
      assert.match(
        refused.error.message,
        /roles\.rbac\.authorization\.k8s\.io "reader" is forbidden: user "system:serviceaccount:apps:robot" \(groups=\[.*\]\) is attempting to grant RBAC permissions not currently held:\n\{APIGroups:\[""\], Resources:\["secrets"\], Verbs:\["get"\]\}/,
      );
    }
    const bind = await robot.create(binding('sandbox', 'b', 'ClusterRole', 'admin-ish'), { dryRun: false });
    assert.ok(!bind.ok);
    assert.match(bind.error.message, /is attempting to grant RBAC permissions not currently held/);

    // bind on that ClusterRole, by name, is enough; on another name it is not.
    server.apply(
      clusterRole('binder', [
        { apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], resourceNames: ['admin-ish'], verbs: ['bind'] },
      ]),
    );
    server.apply(binding('sandbox', 'binder', 'ClusterRole', 'binder'));
    const allowed = await robot.create(binding('sandbox', 'b', 'ClusterRole', 'admin-ish'), { dryRun: false });
    assert.ok(allowed.ok, allowed.ok ? '' : formatClusterError(allowed.error));
    server.apply(clusterRole('pod-deleter', [{ apiGroups: [''], resources: ['pods'], verbs: ['delete'] }]));
    assert.ok(!(await robot.create(binding('sandbox', 'c', 'ClusterRole', 'pod-deleter'), { dryRun: false })).ok);
    // Holding secrets get through that binding, the Role is no escalation any more.
    const now = await robot.apply(role, { dryRun: false, force: false });
    assert.ok(now.ok, now.ok ? '' : formatClusterError(now.error));
  });
});
