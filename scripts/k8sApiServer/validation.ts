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

function validateContainers(spec: KubeObject | undefined, prefix: string, causes: StatusCause[]): void {
  const containers = spec?.containers;
  if (!Array.isArray(containers) || containers.length === 0) {
    causes.push(required(`${prefix}.containers`));
    return;
  }
  containers.forEach((c: KubeObject, i: number) => {
    if (!c.name) causes.push(required(`${prefix}.containers[${i}].name`));
    if (!c.image) causes.push(required(`${prefix}.containers[${i}].image`));
  });
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
  validateContainers(spec.template?.spec, 'spec.template.spec', causes);
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
