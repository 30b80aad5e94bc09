/* eslint-disable @typescript-eslint/no-explicit-any -- objects of every Kubernetes kind are handled as untyped JSON here, as the apiserver handles them */
/** Shared types of the Kubernetes API test server. */

/** A Kubernetes object as JSON (apiVersion, kind, metadata, spec, status, ...). */

export type KubeObject = Record<string, any>;

/** One served resource type (a row of an APIResourceList), plus what the server needs to route it. */
export interface ResourceType {
  /** API group, '' for the core group. */
  readonly group: string;
  readonly version: string;
  /** Plural resource name as in URLs, e.g. `deployments`. */
  readonly plural: string;
  readonly kind: string;
  readonly namespaced: boolean;
  readonly verbs: readonly string[];
  readonly shortNames?: readonly string[];
  readonly categories?: readonly string[];
  readonly storageVersionHash?: string;
  /** Subresources served, e.g. `status`, `log`, `scale`. */
  readonly subresources: readonly string[];
  /** Whether spec changes increase metadata.generation. */
  readonly hasGeneration: boolean;
  /** The deprecation Warning of every request through this version. */
  readonly warning?: string;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One change recorded by the store, kept in the bounded watch history of its resource type. */
export interface StoreEvent {
  readonly type: WatchEventType;
  readonly rt: ResourceType;
  readonly object: KubeObject;
  readonly rv: number;
  /** For MODIFIED: the state before the change (watch filters use it to turn changes into ADDED/DELETED). */
  readonly prev?: KubeObject;
  /** The JSON line `{"type":..,"object":..}\n`, serialized once and shared by all watchers. */
  line?: string;
}

/** apiVersion as written in objects: `v1` or `group/version`. */
export function apiVersionOf(rt: ResourceType): string {
  return rt.group === '' ? rt.version : `${rt.group}/${rt.version}`;
}

/** Key of a resource type in maps: `group/plural` (core: `/pods`). */
export function rtKey(rt: ResourceType): string {
  return `${rt.group}/${rt.plural}`;
}

/** `deployments.apps` or `configmaps`: the qualified resource used in error messages. */
export function qualifiedResource(rt: ResourceType): string {
  return rt.group === '' ? rt.plural : `${rt.plural}.${rt.group}`;
}

/** `Deployment.apps` or `ConfigMap`: the qualified kind used in Invalid messages. */
export function qualifiedKind(rt: ResourceType): string {
  return rt.group === '' ? rt.kind : `${rt.kind}.${rt.group}`;
}
