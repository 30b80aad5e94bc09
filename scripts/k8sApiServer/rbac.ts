/**
 * RBAC as kube-apiserver's `--authorization-mode=RBAC` does it, for users who are not in
 * `system:masters`: the Roles and ClusterRoles their RoleBindings and ClusterRoleBindings grant,
 * read from the store at every request (so a binding applied a moment ago counts), and the
 * escalation rules of the rbac.authorization.k8s.io storage: a Role may only be written by who
 * holds every permission it grants (or `escalate`), a binding only by who holds every permission
 * of its role or `bind` on it.
 */
import type { ObjectStore } from './store.ts';
import { findResourceType } from './resources.ts';
import { ApiError } from './status.ts';
import type { KubeObject, ResourceType } from './types.ts';
import { qualifiedResource } from './types.ts';

export interface RbacUser {
  readonly name: string;
  readonly groups: readonly string[];
}

/** What a request asks to do, as the apiserver's RequestInfo has it. */
export interface Attributes {
  readonly verb: string;
  readonly group: string;
  /** The plural; `pods/log` style with a subresource is built from `subresource`. */
  readonly resource: string;
  readonly subresource?: string | undefined;
  readonly namespace?: string | undefined;
  readonly name?: string | undefined;
}

interface PolicyRule {
  readonly verbs?: readonly string[];
  readonly apiGroups?: readonly string[];
  readonly resources?: readonly string[];
  readonly resourceNames?: readonly string[];
}

interface Subject {
  readonly kind?: string;
  readonly name?: string;
  readonly namespace?: string;
}

const RBAC_GROUP = 'rbac.authorization.k8s.io';

function rt(group: string, plural: string): ResourceType {
  return findResourceType(group, 'v1', plural)!;
}

function subjectMatches(subject: Subject, user: RbacUser, bindingNamespace: string | undefined): boolean {
  switch (subject.kind) {
    case 'User':
      return subject.name === user.name;
    case 'Group':
      return subject.name !== undefined && user.groups.includes(subject.name);
    case 'ServiceAccount':
      return user.name === `system:serviceaccount:${subject.namespace ?? bindingNamespace ?? ''}:${subject.name ?? ''}`;
    default:
      return false;
  }
}

function has(list: readonly string[] | undefined, value: string): boolean {
  return (list ?? []).includes('*') || (list ?? []).includes(value);
}

function ruleAllows(rule: PolicyRule, a: Attributes): boolean {
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const resources = rule.resources ?? [];
  const resourceOk =
    resources.includes('*') ||
    resources.includes(resource) ||
    (a.subresource !== undefined && resources.includes(`*/${a.subresource}`));
  if (!has(rule.verbs, a.verb) || !has(rule.apiGroups, a.group) || !resourceOk) return false;
  // A rule that names objects never matches a request without a name (create, a plain list).
  const names = rule.resourceNames ?? [];
  return names.length === 0 || (a.name !== undefined && names.includes(a.name));
}

/** The rules a role reference grants, or undefined when the role does not exist. */
function roleRules(store: ObjectStore, roleRef: KubeObject | undefined, namespace: string | undefined): PolicyRule[] | undefined {
  if (!roleRef?.name) return undefined;
  const role =
    roleRef.kind === 'ClusterRole'
      ? store.get(rt(RBAC_GROUP, 'clusterroles'), undefined, String(roleRef.name))
      : namespace
        ? store.get(rt(RBAC_GROUP, 'roles'), namespace, String(roleRef.name))
        : undefined;
  return role ? ((role.rules as PolicyRule[] | undefined) ?? []) : undefined;
}

/** Every rule that applies to `user` in `namespace` (cluster-wide rules everywhere). */
function rulesFor(store: ObjectStore, user: RbacUser, namespace: string | undefined): PolicyRule[] {
  const rules: PolicyRule[] = [];
  for (const binding of store.list(rt(RBAC_GROUP, 'clusterrolebindings'))) {
    const subjects = (binding.subjects as Subject[] | undefined) ?? [];
    if (subjects.some((s) => subjectMatches(s, user, undefined)))
      rules.push(...(roleRules(store, binding.roleRef as KubeObject, undefined) ?? []));
  }
  if (namespace) {
    for (const binding of store.list(rt(RBAC_GROUP, 'rolebindings'), namespace)) {
      const subjects = (binding.subjects as Subject[] | undefined) ?? [];
      if (subjects.some((s) => subjectMatches(s, user, namespace)))
        rules.push(...(roleRules(store, binding.roleRef as KubeObject, namespace) ?? []));
    }
  }
  return rules;
}

export function authorize(store: ObjectStore, user: RbacUser, a: Attributes): boolean {
  return rulesFor(store, user, a.namespace).some((rule) => ruleAllows(rule, a));
}

/** The Forbidden Status of a request RBAC refused, worded as kube-apiserver words it. */
export function forbiddenRequest(user: RbacUser, a: Attributes): ApiError {
  const resourceType = findResourceType(a.group, 'v1', a.resource);
  const qualified = resourceType ? qualifiedResource(resourceType) : a.resource;
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const scope = a.namespace ? `in the namespace ${JSON.stringify(a.namespace)}` : 'at the cluster scope';
  const details: Record<string, string> = {};
  if (a.name) details['name'] = a.name;
  if (a.group !== '') details['group'] = a.group;
  details['kind'] = a.resource;
  return new ApiError(
    403,
    'Forbidden',
    `${qualified}${a.name ? ` ${JSON.stringify(a.name)}` : ''} is forbidden: User ${JSON.stringify(user.name)} cannot ${a.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(a.group)} ${scope}`,
    details,
    { headers: { 'X-Content-Type-Options': 'nosniff' } },
  );
}

/** Each single permission a rule grants (`*` stays `*`: only a `*` the writer holds covers it). */
function expand(rule: PolicyRule, namespace: string | undefined): Attributes[] {
  const out: Attributes[] = [];
  const names = rule.resourceNames?.length ? rule.resourceNames : [undefined];
  for (const group of rule.apiGroups ?? [])
    for (const resource of rule.resources ?? [])
      for (const verb of rule.verbs ?? [])
        for (const name of names) {
          const [plural, subresource] = resource.split('/');
          out.push({ verb, group, resource: plural!, subresource, namespace, name });
        }
  return out;
}

function describeRule(a: Attributes): string {
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  return `{APIGroups:[${JSON.stringify(a.group)}], Resources:[${JSON.stringify(resource)}],${a.name ? ` ResourceNames:[${JSON.stringify(a.name)}],` : ''} Verbs:[${JSON.stringify(a.verb)}]}`;
}

function escalation(rtype: ResourceType, name: string, user: RbacUser, missing: Attributes[]): ApiError {
  return new ApiError(
    403,
    'Forbidden',
    `${qualifiedResource(rtype)} ${JSON.stringify(name)} is forbidden: user ${JSON.stringify(user.name)} (groups=${JSON.stringify(user.groups)}) is attempting to grant RBAC permissions not currently held:\n${missing.map(describeRule).join('\n')}`,
    { name, group: RBAC_GROUP, kind: rtype.plural },
  );
}

/**
 * The escalation check of a Role, ClusterRole, RoleBinding or ClusterRoleBinding about to be
 * written (created, replaced, patched or applied, dry runs too): throws the apiserver's 403 or
 * 404 when `user` may not grant what it grants.
 */
export function checkEscalation(store: ObjectStore, user: RbacUser, rtype: ResourceType, object: KubeObject): void {
  if (rtype.group !== RBAC_GROUP) return;
  const namespace = rtype.namespaced ? (object.metadata?.namespace as string | undefined) : undefined;
  const name = String(object.metadata?.name ?? '');
  const heldRules = rulesFor(store, user, namespace);
  const holds = (a: Attributes): boolean => heldRules.some((rule) => ruleAllows(rule, a));
  const self = { group: RBAC_GROUP, namespace };
  let granted: PolicyRule[];
  if (rtype.kind === 'Role' || rtype.kind === 'ClusterRole') {
    if (holds({ ...self, verb: 'escalate', resource: rtype.plural, name })) return;
    granted = (object.rules as PolicyRule[] | undefined) ?? [];
  } else {
    const roleRef = object.roleRef as KubeObject | undefined;
    const roleResource = roleRef?.kind === 'ClusterRole' ? 'clusterroles' : 'roles';
    if (holds({ ...self, verb: 'bind', resource: roleResource, name: String(roleRef?.name ?? '') })) return;
    const rules = roleRules(store, roleRef, namespace);
    if (!rules)
      throw new ApiError(
        404,
        'NotFound',
        `${roleResource}.${RBAC_GROUP} ${JSON.stringify(String(roleRef?.name ?? ''))} not found`,
        { name: String(roleRef?.name ?? ''), group: RBAC_GROUP, kind: roleResource },
      );
    granted = rules;
  }
  const missing = granted.flatMap((rule) => expand(rule, namespace)).filter((a) => !holds(a));
  if (missing.length) throw escalation(rtype, name, user, missing);
}
