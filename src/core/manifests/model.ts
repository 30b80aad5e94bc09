/** A Kubernetes object as written in a manifest file, with where it was written. */
export interface ManifestObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  /** As written in the file; undefined when the file leaves it to the apply. */
  readonly namespace: string | undefined;
  /** The file, relative to the project root with forward slashes ("k8s/core/flask-api.yaml"). */
  readonly file: string;
  /** 1-based line and column where the document's object starts. */
  readonly line: number;
  readonly column: number;
  /** The whole object, as parsed. */
  readonly body: Record<string, unknown>;
  /** The line of each field the manifest sets, by JSON pointer (`/spec/replicas` → 12). */
  readonly fieldLines: ReadonlyMap<string, number>;
}

/** Why a manifest could not be read, at file:line:column. */
export interface ManifestError {
  readonly kind: 'missing' | 'unreadable' | 'syntax' | 'invalid';
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

/** One file of an apply step: its objects, or what is wrong with it. */
export interface ManifestFile {
  readonly file: string;
  readonly objects: readonly ManifestObject[];
  readonly errors: readonly ManifestError[];
}

export function formatManifestError(error: ManifestError): string {
  return `${error.file}:${error.line}:${error.column}: ${error.message}`;
}
