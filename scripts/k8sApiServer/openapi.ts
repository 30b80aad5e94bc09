/**
 * A minimal OpenAPI v3 surface: enough for kubectl to see that PATCH and POST accept
 * `fieldValidation`, so it leaves validation to the server instead of downloading schemas.
 */
import { GROUP_VERSIONS, RESOURCE_TYPES } from './resources.ts';
import type { KubeObject } from './types.ts';

function gvPath(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

const HASH =
  'DRRUNBOOK0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001';

export function openApiV3Index(): KubeObject {
  const paths: KubeObject = {};
  for (const gv of GROUP_VERSIONS) {
    const p = gvPath(gv.group, gv.version);
    paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${HASH}` };
  }
  return { paths };
}

const PARAMS = ['dryRun', 'fieldManager', 'fieldValidation', 'force'].map((name) => ({
  name,
  in: 'query',
  schema: { type: name === 'force' ? 'boolean' : 'string', uniqueItems: true },
}));

export function openApiV3Doc(path: string): KubeObject | undefined {
  const gv = GROUP_VERSIONS.find((g) => gvPath(g.group, g.version) === path);
  if (!gv) return undefined;
  const paths: KubeObject = {};
  for (const rt of RESOURCE_TYPES.filter((r) => r.group === gv.group && r.version === gv.version)) {
    const base = `/${path}${rt.namespaced ? '/namespaces/{namespace}' : ''}/${rt.plural}`;
    const gvk = { 'x-kubernetes-group-version-kind': { group: rt.group, version: rt.version, kind: rt.kind } };
    paths[base] = { post: { ...gvk, operationId: `create${rt.kind}`, parameters: PARAMS, responses: {} } };
    paths[`${base}/{name}`] = {
      patch: { ...gvk, operationId: `patch${rt.kind}`, parameters: PARAMS, responses: {} },
      put: { ...gvk, operationId: `replace${rt.kind}`, parameters: PARAMS, responses: {} },
    };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.26.0' }, paths, components: { schemas: {} } };
}
