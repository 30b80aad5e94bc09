import { readdir, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { projectPath, readStatedFile, statRegularFile, type FileKind, type FileText } from '../paths.js';
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

/** The largest manifest file read (its parse costs tens of times its size in memory). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const MANIFESTS: FileKind = { plural: 'manifests', maxBytes: MAX_MANIFEST_BYTES };

/**
 * Loads what `kubectl apply -f PATH` would apply: the file, or every YAML/JSON file in the folder
 * (sorted; subfolders only with `recursive`, kubectl's -R), symlinks followed as kubectl follows
 * them, every document of each. Only regular files are read: a device, FIFO or socket is refused
 * from its stat, never opened. A path that does not exist, an unreadable, oversized or empty file
 * and broken documents come back as errors with file:line:column; nothing is skipped silently.
 */
export async function loadManifests(
  root: string,
  path: string,
  cache?: ManifestCache,
  options: { readonly recursive?: boolean } = {},
): Promise<ManifestFile[]> {
  const absolute = isAbsolute(path) ? path : resolve(root, path);
  const display = projectPath(root, absolute);
  let info;
  try {
    info = await stat(absolute);
  } catch {
    return [failed(display, 'missing', `${display} does not exist.`)];
  }
  if (!info.isDirectory()) return [await loadManifestFile(root, absolute, cache)];
  const files = await manifestFilesIn(absolute, options.recursive ?? false);
  if (files.length === 0)
    return [
      failed(
        display,
        'missing',
        `${display} holds no .yaml, .yml or .json file${options.recursive ? '' : ' (subfolders are read only with -R)'}.`,
      ),
    ];
  return Promise.all(files.map((file) => loadManifestFile(root, file, cache)));
}

/** The manifest files in a folder as kubectl walks it: by name, symlinked entries followed, subfolders with -R. */
async function manifestFilesIn(folder: string, recursive: boolean): Promise<string[]> {
  const entries = (await readdir(folder, { withFileTypes: true })).sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
  const files: string[] = [];
  for (const entry of entries) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) {
      if (recursive) files.push(...(await manifestFilesIn(path, true)));
    } else if (MANIFEST_FILE.test(entry.name)) {
      // Regular files, symlinks, and anything else with a manifest's name: loadManifestFile refuses what is not a file.
      files.push(path);
    }
  }
  return files;
}

async function loadManifestFile(root: string, absolute: string, cache: ManifestCache | undefined): Promise<ManifestFile> {
  const display = projectPath(root, absolute);
  const read = await readManifest(absolute, display, cache);
  if ('parsed' in read) return read.parsed;
  if ('error' in read) return failed(display, 'unreadable', read.error);
  let parsed: ManifestFile;
  try {
    parsed = parseManifestText(read.text, display);
  } catch (e) {
    // The YAML library refuses documents whose aliases expand beyond reason (a "billion laughs").
    const alias = /(^|[\s[{,:-])\*[^\s,[\]{}]+/m.exec(read.text);
    const line = alias ? read.text.slice(0, alias.index + alias[1]!.length).split('\n').length : 1;
    parsed = {
      file: display,
      objects: [],
      errors: [
        { kind: 'syntax', file: display, line, column: 1, message: `${display} cannot be read: ${(e as Error).message}.` },
      ],
    };
  }
  if (parsed.objects.length === 0 && parsed.errors.length === 0) {
    parsed = failed(display, 'invalid', `${display} holds no objects: kubectl refuses it ("no objects passed to apply").`);
  }
  cache?.set(absolute, read.mtimeMs, read.size, parsed);
  return parsed;
}

/**
 * A manifest's text, or its parsed form from the cache while its stat is unchanged, or why it is
 * not read (paths.ts: only regular files of reasonable size, never opened otherwise).
 */
async function readManifest(
  absolute: string,
  display: string,
  cache: ManifestCache | undefined,
): Promise<FileText | { readonly parsed: ManifestFile } | { readonly error: string }> {
  const info = await statRegularFile(absolute, display, MANIFESTS);
  if (!info.ok) return { error: info.error.message };
  const hit = cache?.get(absolute, info.value.mtimeMs, info.value.size);
  if (hit) return { parsed: hit };
  const read = await readStatedFile(absolute, display, MANIFESTS);
  return read.ok ? read.value : { error: read.error.message };
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
