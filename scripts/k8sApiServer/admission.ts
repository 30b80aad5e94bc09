/**
 * Admission the way a v1.26 apiserver's default plugins answer: ServiceAccount (a pod's account
 * must exist) and PodSecurity (the namespace's `pod-security.kubernetes.io/enforce` and `warn`
 * levels: a Pod that violates the enforced level is refused with 403; a workload whose pod template
 * violates it is accepted with a Warning, and its controller's pod creations fail instead).
 */
import { ApiError } from './status.ts';
import type { KubeObject } from './types.ts';
import { isPlainObject } from './util.ts';

type Level = 'privileged' | 'baseline' | 'restricted';

const LEVELS: Level[] = ['privileged', 'baseline', 'restricted'];

function containersOf(spec: KubeObject): KubeObject[] {
  return [...((spec.initContainers ?? []) as KubeObject[]), ...((spec.containers ?? []) as KubeObject[])];
}

function names(kind: string, list: string[]): string {
  return `${kind}${list.length > 1 ? 's' : ''} ${list.map((n) => JSON.stringify(n)).join(', ')}`;
}

interface Check {
  id: string;
  level: Level;
  run(spec: KubeObject): string | undefined;
}

const sc = (c: KubeObject): KubeObject => (isPlainObject(c.securityContext) ? c.securityContext : {});

/** The Pod Security Standards checks the project's manifests can meet or miss, sorted by id as PodSecurity reports them. */
const CHECKS: Check[] = [
  {
    id: 'allowPrivilegeEscalation',
    level: 'restricted',
    run(spec) {
      const bad = containersOf(spec).filter((c) => sc(c).allowPrivilegeEscalation !== false);
      if (bad.length === 0) return undefined;
      return `allowPrivilegeEscalation != false (${names(
        'container',
        bad.map((c) => String(c.name)),
      )} must set securityContext.allowPrivilegeEscalation=false)`;
    },
  },
  {
    id: 'capabilities_restricted',
    level: 'restricted',
    run(spec) {
      const bad = containersOf(spec).filter((c) => !((sc(c).capabilities?.drop ?? []) as string[]).includes('ALL'));
      if (bad.length === 0) return undefined;
      return `unrestricted capabilities (${names(
        'container',
        bad.map((c) => String(c.name)),
      )} must set securityContext.capabilities.drop=["ALL"])`;
    },
  },
  {
    id: 'hostNamespaces',
    level: 'baseline',
    run(spec) {
      const set = ['hostNetwork', 'hostPID', 'hostIPC'].filter((k) => spec[k] === true);
      return set.length > 0 ? `host namespaces (${set.map((k) => `${k}=true`).join(', ')})` : undefined;
    },
  },
  {
    id: 'hostPathVolumes',
    level: 'baseline',
    run(spec) {
      const bad = ((spec.volumes ?? []) as KubeObject[]).filter((v) => v.hostPath).map((v) => String(v.name));
      return bad.length > 0 ? `hostPath volumes (${names('volume', bad)})` : undefined;
    },
  },
  {
    id: 'privileged',
    level: 'baseline',
    run(spec) {
      const bad = containersOf(spec).filter((c) => sc(c).privileged === true);
      if (bad.length === 0) return undefined;
      return `privileged (${names(
        'container',
        bad.map((c) => String(c.name)),
      )} must not set securityContext.privileged=true)`;
    },
  },
  {
    id: 'runAsNonRoot',
    level: 'restricted',
    run(spec) {
      const pod = isPlainObject(spec.securityContext) ? spec.securityContext : {};
      const bad = containersOf(spec).filter((c) => {
        const own = sc(c).runAsNonRoot as boolean | undefined;
        return own === false || (own === undefined && pod.runAsNonRoot !== true);
      });
      if (bad.length === 0) return undefined;
      return `runAsNonRoot != true (pod or ${names(
        'container',
        bad.map((c) => String(c.name)),
      )} must set securityContext.runAsNonRoot=true)`;
    },
  },
  {
    id: 'runAsUser',
    level: 'restricted',
    run(spec) {
      const bad = containersOf(spec).filter((c) => sc(c).runAsUser === 0);
      if (bad.length === 0 && spec.securityContext?.runAsUser !== 0) return undefined;
      return `runAsUser=0 (${
        bad.length > 0
          ? names(
              'container',
              bad.map((c) => String(c.name)),
            )
          : 'pod'
      } must not set runAsUser=0)`;
    },
  },
  {
    id: 'seccompProfile_restricted',
    level: 'restricted',
    run(spec) {
      const ok = (p: unknown): boolean => isPlainObject(p) && ['RuntimeDefault', 'Localhost'].includes(String(p.type));
      const podOk = ok(spec.securityContext?.seccompProfile);
      const bad = containersOf(spec).filter((c) => {
        const own = sc(c).seccompProfile as KubeObject | undefined;
        return own === undefined ? !podOk : !ok(own);
      });
      if (bad.length === 0) return undefined;
      return `seccompProfile (pod or ${names(
        'container',
        bad.map((c) => String(c.name)),
      )} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")`;
    },
  },
];

function levelOf(ns: KubeObject | undefined, mode: 'enforce' | 'warn'): { level: Level; version: string } | undefined {
  const labels = (ns?.metadata?.labels ?? {}) as Record<string, string>;
  const level = labels[`pod-security.kubernetes.io/${mode}`] as Level | undefined;
  if (!level || !LEVELS.includes(level) || level === 'privileged') return undefined;
  return { level, version: labels[`pod-security.kubernetes.io/${mode}-version`] ?? 'latest' };
}

/** `restricted:latest": allowPrivilegeEscalation != false (...), ...` or undefined when the spec meets the level. */
function violations(spec: KubeObject, level: Level, version: string): string | undefined {
  const allowed = LEVELS.slice(1, LEVELS.indexOf(level) + 1);
  const found = CHECKS.filter((c) => allowed.includes(c.level))
    .map((c) => c.run(spec))
    .filter((v): v is string => v !== undefined);
  return found.length > 0 ? `PodSecurity ${JSON.stringify(`${level}:${version}`)}: ${found.join(', ')}` : undefined;
}

/** The pod template of a workload kind (Deployment, StatefulSet, CronJob, ...), if it has one. */
function templateSpec(obj: KubeObject): KubeObject | undefined {
  const spec = obj.kind === 'CronJob' ? obj.spec?.jobTemplate?.spec : obj.spec;
  const t = spec?.template?.spec;
  return obj.kind !== 'Pod' && isPlainObject(t) ? t : undefined;
}

/** Warnings for a workload whose pod template would be refused or warned about in `ns`. */
export function workloadWarnings(ns: KubeObject | undefined, obj: KubeObject): string[] {
  const spec = templateSpec(obj);
  if (!spec) return [];
  const out = new Set<string>();
  for (const mode of ['enforce', 'warn'] as const) {
    const l = levelOf(ns, mode);
    const v = l && violations(spec, l.level, l.version);
    if (v) out.add(`would violate ${v}`);
  }
  return [...out];
}

/**
 * A Pod's admission: its ServiceAccount must exist (403 otherwise), and it must meet the enforced
 * Pod Security level (403); the warn level adds a Warning.
 */
export function admitPod(pod: KubeObject, ns: KubeObject | undefined, serviceAccountExists: (name: string) => boolean): string[] {
  const name = String(pod.metadata?.name ?? '');
  const namespace = String(pod.metadata?.namespace ?? '');
  const sa = String(pod.spec?.serviceAccountName ?? pod.spec?.serviceAccount ?? 'default');
  if (!serviceAccountExists(sa)) {
    throw new ApiError(
      403,
      'Forbidden',
      `pods ${JSON.stringify(name)} is forbidden: error looking up service account ${namespace}/${sa}: serviceaccount ${JSON.stringify(sa)} not found`,
      { name, kind: 'pods' },
    );
  }
  const enforce = levelOf(ns, 'enforce');
  const refused = enforce && violations(pod.spec ?? {}, enforce.level, enforce.version);
  if (refused) {
    throw new ApiError(403, 'Forbidden', `pods ${JSON.stringify(name)} is forbidden: violates ${refused}`, {
      name,
      kind: 'pods',
    });
  }
  const warn = levelOf(ns, 'warn');
  const warned = warn && violations(pod.spec ?? {}, warn.level, warn.version);
  return warned ? [`would violate ${warned}`] : [];
}
