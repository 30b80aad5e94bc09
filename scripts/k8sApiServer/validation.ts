/** Validation (422 Invalid) for the fields the engine's manifests exercise. */
import type { StatusCause } from './status.ts';
import type { KubeObject } from './types.ts';
import { isPlainObject, matchesSelectorObject } from './util.ts';

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function required(field: string): StatusCause {
  return { reason: 'FieldValueRequired', message: 'Required value', field };
}

function invalidValue(field: string, value: string, detail: string): StatusCause {
  return { reason: 'FieldValueInvalid', message: `Invalid value: ${value}: ${detail}`, field };
}

/** Go's %#v of a map[string]string, as validation messages print label maps. */
export function goStringMap(m: Record<string, string>): string {
  const entries = Object.keys(m)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${JSON.stringify(m[k])}`);
  return `map[string]string{${entries.join(', ')}}`;
}

function validateName(obj: KubeObject, causes: StatusCause[], labelOnly: boolean): void {
  const name = String(obj.metadata?.name ?? '');
  if (name === '') {
    if (!obj.metadata?.generateName)
      causes.push({
        reason: 'FieldValueRequired',
        message: 'Required value: name or generateName is required',
        field: 'metadata.name',
      });
    return;
  }
  const re = labelOnly ? DNS1123_LABEL : DNS1123_SUBDOMAIN;
  if (!re.test(name) || name.length > (labelOnly ? 63 : 253)) {
    const detail = labelOnly
      ? "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
      : "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
    causes.push(invalidValue('metadata.name', JSON.stringify(name), detail));
  }
}

const MODE_VOLUMES = ['configMap', 'secret', 'projected', 'downwardAPI'];
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];

function checkMode(mode: unknown, field: string, causes: StatusCause[]): void {
  if (typeof mode === 'number' && (mode < 0 || mode > 0o777)) {
    causes.push(invalidValue(field, String(mode), 'must be a number between 0 and 0777 (octal), both inclusive'));
  }
}

/** Volumes first (a refused volume no longer counts as a name mounts may use), as ValidatePodSpec orders them. */
function validateVolumes(spec: KubeObject, prefix: string, causes: StatusCause[]): Set<string> {
  const names = new Set<string>();
  ((spec.volumes ?? []) as KubeObject[]).forEach((v, i) => {
    const before = causes.length;
    for (const type of MODE_VOLUMES) {
      const src = v[type] as KubeObject | undefined;
      if (!isPlainObject(src)) continue;
      const at = `${prefix}.volumes[${i}].${type}`;
      checkMode(src.defaultMode, `${at}.defaultMode`, causes);
      ((src.items ?? []) as KubeObject[]).forEach((item, j) => checkMode(item.mode, `${at}.items[${j}].mode`, causes));
    }
    if (causes.length === before && typeof v.name === 'string') names.add(v.name);
  });
  return names;
}

function validateContainers(
  spec: KubeObject | undefined,
  prefix: string,
  causes: StatusCause[],
  claimTemplates: readonly string[] = [],
): void {
  const containers = spec?.containers;
  const volumes = validateVolumes(spec ?? {}, prefix, causes);
  for (const name of claimTemplates) volumes.add(name);
  if (!Array.isArray(containers) || containers.length === 0) {
    causes.push(required(`${prefix}.containers`));
    return;
  }
  containers.forEach((c: KubeObject, i: number) => {
    const at = `${prefix}.containers[${i}]`;
    if (!c.name) causes.push(required(`${at}.name`));
    if (!c.image) causes.push(required(`${at}.image`));
    ((c.ports ?? []) as KubeObject[]).forEach((p, j) => {
      if (typeof p.containerPort === 'number' && (p.containerPort < 1 || p.containerPort > 65535)) {
        causes.push(
          invalidValue(`${at}.ports[${j}].containerPort`, String(p.containerPort), 'must be between 1 and 65535, inclusive'),
        );
      }
    });
    ((c.volumeMounts ?? []) as KubeObject[]).forEach((m, j) => {
      if (typeof m.name === 'string' && !volumes.has(m.name)) {
        causes.push({
          reason: 'FieldValueNotFound',
          message: `Not found: ${JSON.stringify(m.name)}`,
          field: `${at}.volumeMounts[${j}].name`,
        });
      }
    });
    if (c.imagePullPolicy !== undefined && !PULL_POLICIES.includes(String(c.imagePullPolicy))) {
      causes.push({
        reason: 'FieldValueNotSupported',
        message: `Unsupported value: ${JSON.stringify(c.imagePullPolicy)}: supported values: ${PULL_POLICIES.map((p) => JSON.stringify(p)).join(', ')}`,
        field: `${at}.imagePullPolicy`,
      });
    }
  });
}

/** A Service's cluster IP is allocated once: changing it (to None among others) is refused. */
function validateClusterIp(spec: KubeObject, old: KubeObject | undefined, causes: StatusCause[]): void {
  const before = old?.spec?.clusterIP as string | undefined;
  if (!before || spec.clusterIP === undefined || spec.clusterIP === before) return;
  const ips = [String(spec.clusterIP)];
  causes.push(
    invalidValue('spec.clusterIPs[0]', `[]string{${ips.map((ip) => JSON.stringify(ip)).join(', ')}}`, 'may not change once set'),
  );
}

function validateTemplated(obj: KubeObject, causes: StatusCause[], needSelector: boolean): void {
  const spec = (obj.spec ?? {}) as KubeObject;
  const labels = (spec.template?.metadata?.labels ?? {}) as Record<string, string>;
  if (needSelector && !isPlainObject(spec.selector)) {
    causes.push(required('spec.selector'));
    causes.push(
      invalidValue('spec.template.metadata.labels', goStringMap(labels), '`selector` does not match template `labels`'),
    );
  } else if (isPlainObject(spec.selector)) {
    const sel = spec.selector;
    if (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0) {
      causes.push({
        reason: 'FieldValueInvalid',
        message:
          'Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment',
        field: 'spec.selector',
      });
    } else if (!matchesSelectorObject(labels, sel)) {
      causes.push(
        invalidValue('spec.template.metadata.labels', goStringMap(labels), '`selector` does not match template `labels`'),
      );
    }
  }
  if (typeof spec.replicas === 'number' && spec.replicas < 0) {
    causes.push(invalidValue('spec.replicas', String(spec.replicas), 'must be greater than or equal to 0'));
  }
  const claims = ((spec.volumeClaimTemplates ?? []) as KubeObject[]).map((t) => String(t.metadata?.name ?? ''));
  validateContainers(spec.template?.spec, 'spec.template.spec', causes, claims);
}

/** Returns the validation failures of an object about to be stored (empty when valid). */
export function validateObject(obj: KubeObject, old: KubeObject | undefined): StatusCause[] {
  const causes: StatusCause[] = [];
  const kind = String(obj.kind);
  validateName(obj, causes, kind === 'Namespace' || kind === 'Service');
  const spec = (obj.spec ?? {}) as KubeObject;
  switch (kind) {
    case 'Deployment':
    case 'ReplicaSet':
    case 'StatefulSet':
    case 'DaemonSet':
      validateTemplated(obj, causes, true);
      if (old && isPlainObject(old.spec?.selector) && JSON.stringify(old.spec.selector) !== JSON.stringify(spec.selector)) {
        causes.push({
          reason: 'FieldValueInvalid',
          message: 'Invalid value: ' + describeSelector(spec.selector) + ': field is immutable',
          field: 'spec.selector',
        });
      }
      break;
    case 'Job':
      validateContainers(spec.template?.spec, 'spec.template.spec', causes);
      if (spec.template?.spec?.restartPolicy === 'Always' || spec.template?.spec?.restartPolicy === undefined) {
        causes.push({
          reason: 'FieldValueNotSupported',
          message: 'Unsupported value: "Always": supported values: "OnFailure", "Never"',
          field: 'spec.template.spec.restartPolicy',
        });
      }
      break;
    case 'CronJob':
      if (!spec.schedule) causes.push(required('spec.schedule'));
      validateContainers(spec.jobTemplate?.spec?.template?.spec, 'spec.jobTemplate.spec.template.spec', causes);
      break;
    case 'Pod':
      validateContainers(spec, 'spec', causes);
      break;
    case 'Service':
      validateClusterIp(spec, old, causes);
      if (spec.type !== 'ExternalName' && spec.clusterIP !== 'None' && (!Array.isArray(spec.ports) || spec.ports.length === 0)) {
        causes.push(required('spec.ports'));
      }
      break;
    case 'PersistentVolumeClaim':
      if (!Array.isArray(spec.accessModes) || spec.accessModes.length === 0) {
        causes.push({
          reason: 'FieldValueRequired',
          message: 'Required value: at least 1 access mode is required',
          field: 'spec.accessModes',
        });
      }
      if (!spec.resources?.requests?.storage) causes.push(required('spec.resources[storage]'));
      break;
    case 'PersistentVolume':
      if (!Array.isArray(spec.accessModes) || spec.accessModes.length === 0) {
        causes.push({
          reason: 'FieldValueRequired',
          message: 'Required value: must specify at least 1 access mode',
          field: 'spec.accessModes',
        });
      }
      if (!spec.capacity?.storage) causes.push(required('spec.capacity'));
      break;
    case 'Ingress':
      for (const [i, rule] of ((spec.rules ?? []) as KubeObject[]).entries()) {
        for (const [j, p] of ((rule.http?.paths ?? []) as KubeObject[]).entries()) {
          if (!p.pathType) causes.push(required(`spec.rules[${i}].http.paths[${j}].pathType`));
        }
      }
      break;
    case 'ConfigMap':
    case 'Secret':
      for (const key of [...Object.keys(obj.data ?? {}), ...Object.keys(obj.binaryData ?? {})]) {
        if (!/^[-._a-zA-Z0-9]+$/.test(key)) {
          causes.push(
            invalidValue(
              `data[${key}]`,
              JSON.stringify(key),
              "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
            ),
          );
        }
      }
      break;
    default:
      break;
  }
  return causes;
}

function describeSelector(sel: KubeObject | undefined): string {
  const ml = sel?.matchLabels ? goStringMap(sel.matchLabels as Record<string, string>) : 'map[string]string(nil)';
  return `v1.LabelSelector{MatchLabels:${ml}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}`;
}
