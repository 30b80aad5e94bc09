import { readdir, readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { projectPath } from '../paths.js';
import { isScalar, LineCounter, parseAllDocuments } from 'yaml';
import { KUBE_YAML_PARSE_OPTIONS, kubeJson } from './kubeYaml.js';
import type { ManifestError, ManifestFile, ManifestObject } from './model.js';

const MANIFEST_FILE = /\.(ya?ml|json)$/i;

/**
 * Parsed manifest files, kept while their size and modification time stay the same: the tree,
 * the Problems panel and a run's preflight all read the same files.
 */
export class ManifestCache {
  private readonly files = new Map<string, { readonly mtimeMs: number; readonly size: number; readonly parsed: ManifestFile }>();

  get(absolute: string, mtimeMs: number, size: number): ManifestFile | undefined {
    const hit = this.files.get(absolute);
    return hit && hit.mtimeMs === mtimeMs && hit.size === size ? hit.parsed : undefined;
  }

  set(absolute: string, mtimeMs: number, size: number, parsed: ManifestFile): void {
    this.files.set(absolute, { mtimeMs, size, parsed });
  }
}

/**
 * Loads what `kubectl apply -f PATH` would apply: the file, or every YAML/JSON file directly in
 * the folder (sorted, not recursive, as kubectl does without -R), every document of each.
 * A path that does not exist, unreadable files and broken documents come back as errors with
 * file:line:column; nothing is skipped silently.
 */
export async function loadManifests(root: string, path: string, cache?: ManifestCache): Promise<ManifestFile[]> {
  const absolute = isAbsolute(path) ? path : resolve(root, path);
  const display = projectPath(root, absolute);
  let info;
  try {
    info = await stat(absolute);
  } catch {
    return [failed(display, 'missing', `${display} does not exist.`)];
  }
  if (!info.isDirectory()) return [await loadManifestFile(root, absolute, cache)];
  const entries = (await readdir(absolute, { withFileTypes: true }))
    .filter((e) => e.isFile() && MANIFEST_FILE.test(e.name))
    .map((e) => e.name)
    .sort();
  if (entries.length === 0) return [failed(display, 'missing', `${display} holds no .yaml, .yml or .json file.`)];
  return Promise.all(entries.map((name) => loadManifestFile(root, join(absolute, name), cache)));
}

async function loadManifestFile(root: string, absolute: string, cache: ManifestCache | undefined): Promise<ManifestFile> {
  const display = projectPath(root, absolute);
  let text: string;
  let mtimeMs = 0;
  let size = 0;
  try {
    if (cache) {
      ({ mtimeMs, size } = await stat(absolute));
      const hit = cache.get(absolute, mtimeMs, size);
      if (hit) return hit;
    }
    text = await readFile(absolute, 'utf8');
  } catch (e) {
    return failed(display, 'unreadable', `${display} cannot be read: ${(e as Error).message}`);
  }
  const parsed = parseManifestText(text, display);
  cache?.set(absolute, mtimeMs, size, parsed);
  return parsed;
}

/**
 * Parses the text of one manifest file as kubectl reads it (YAML 1.1 scalars, see kubeYaml.ts).
 * `file` is the name used in errors and objects.
 */
export function parseManifestText(text: string, file: string): ManifestFile {
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter, ...KUBE_YAML_PARSE_OPTIONS });
  const objects: ManifestObject[] = [];
  const errors: ManifestError[] = [];
  const at = (offset: number): { line: number; column: number } => {
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, column: pos.col };
  };
  if (!Array.isArray(documents)) return { file, objects, errors };
  for (const doc of documents) {
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        errors.push({ kind: 'syntax', file, ...at(e.pos[0]), message: firstLine(e.message) });
      }
      continue;
    }
    // An empty document, as between two `---` or after a trailing one.
    if (doc.contents === null || (isScalar(doc.contents) && (doc.contents.value === null || doc.contents.value === ''))) continue;
    const json = kubeJson(doc, doc.contents);
    if (!json.ok) {
      errors.push({ kind: 'syntax', file, ...at(json.error.offset), message: json.error.message });
      continue;
    }
    collectObjects(json.value.value, '', json.value.offsets, file, at, objects, errors);
  }
  return { file, objects, errors };
}

type At = (offset: number) => { line: number; column: number };

function collectObjects(
  body: unknown,
  pointer: string,
  offsets: ReadonlyMap<string, number>,
  file: string,
  at: At,
  objects: ManifestObject[],
  errors: ManifestError[],
): void {
  const start = at(offsets.get(pointer) ?? 0);
  const invalid = (message: string): void => {
    errors.push({ kind: 'invalid', file, ...start, message });
  };
  if (!isRecord(body)) {
    invalid('A manifest document must be a mapping with apiVersion, kind and metadata.');
    return;
  }
  const kind = body['kind'];
  const apiVersion = body['apiVersion'];
  if (typeof kind !== 'string' || kind === '') {
    invalid('This document has no kind.');
    return;
  }
  if (kind.endsWith('List') && Array.isArray(body['items'])) {
    body['items'].forEach((item, i) => collectObjects(item, `${pointer}/items/${i}`, offsets, file, at, objects, errors));
    return;
  }
  if (typeof apiVersion !== 'string' || apiVersion === '') {
    invalid(`This ${kind} has no apiVersion.`);
    return;
  }
  const metadata = body['metadata'];
  const name = isRecord(metadata) ? metadata['name'] : undefined;
  if (typeof name !== 'string' || name === '') {
    invalid(`This ${kind} has no metadata.name.`);
    return;
  }
  const namespace = isRecord(metadata) && typeof metadata['namespace'] === 'string' ? metadata['namespace'] : undefined;
  const fieldLines = new Map<string, number>();
  for (const [p, offset] of offsets) if (p.startsWith(`${pointer}/`)) fieldLines.set(p.slice(pointer.length), at(offset).line);
  objects.push({ apiVersion, kind, name, namespace, file, ...start, body, fieldLines });
}

function failed(file: string, kind: ManifestError['kind'], message: string): ManifestFile {
  return { file, objects: [], errors: [{ kind, file, line: 1, column: 1, message }] };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}
