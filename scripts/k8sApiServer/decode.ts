/** Decoding request bodies (JSON, YAML) with the apiserver's error texts. */
import { parseDocument } from 'yaml';
import { badRequest } from './status.ts';
import type { KubeObject } from './types.ts';
import { isPlainObject } from './util.ts';

function goYamlMessage(code: string, message: string): string {
  if (/Flow sequence|flow sequence/.test(message)) return "did not find expected ',' or ']'";
  if (/Flow map|flow map|flow mapping/.test(message)) return "did not find expected ',' or '}'";
  if (code === 'TAB_AS_INDENT' || /tab/i.test(message)) return 'found character that cannot start any token';
  if (code === 'MULTILINE_IMPLICIT_KEY' || code === 'BLOCK_AS_IMPLICIT_KEY')
    return 'mapping values are not allowed in this context';
  return 'did not find expected key';
}

/** Parses a YAML (or JSON) body the way the apiserver decodes apply patches. */
export function decodeYaml(text: string): KubeObject {
  // Most clients (client-node among them) send JSON, which is YAML too: take the fast path.
  if (text.trimStart().startsWith('{')) {
    try {
      const value: unknown = JSON.parse(text);
      if (isPlainObject(value)) return value;
    } catch {
      // Not JSON after all (YAML flow mapping): parse it as YAML below.
    }
  }
  // sigs.k8s.io/yaml reads YAML 1.1: 0555 is octal, yes/no/on/off are booleans.
  const doc = parseDocument(text, { uniqueKeys: false, version: '1.1' });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    let line = e.linePos?.[0]?.line ?? 1;
    const msg = goYamlMessage(e.code, e.message);
    if (msg.startsWith("did not find expected ','")) {
      const lines = text.split('\n');
      const open = msg.endsWith("']'") ? '[' : '{';
      for (let i = Math.min(line, lines.length) - 1; i >= 0; i--) {
        if (lines[i]!.includes(open)) {
          line = i + 1;
          break;
        }
      }
    }
    throw badRequest(`error decoding YAML: error converting YAML to JSON: yaml: line ${line}: ${msg}`);
  }
  const value: unknown = jsonOf(doc.toJS({ maxAliasCount: 100 }));
  if (!isPlainObject(value)) {
    throw badRequest(
      'couldn\'t get version/kind; json parse error: json: cannot unmarshal string into Go value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }',
    );
  }
  return value;
}

/** What converting YAML to JSON makes of values JSON lacks: timestamps become RFC 3339 strings. */
function jsonOf(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString().replace(/\.000Z$/, 'Z');
  if (Array.isArray(v)) return v.map(jsonOf);
  if (isPlainObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonOf(x)]));
  return v;
}

export function decodeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw badRequest(`couldn't get version/kind; json parse error: ${(err as Error).message}`);
  }
}

/** Decodes an object body by its content type (JSON unless YAML is named). */
export function decodeObjectBody(text: string, contentType: string): KubeObject {
  const v = /yaml/.test(contentType) ? decodeYaml(text) : decodeJson(text);
  if (!isPlainObject(v)) throw badRequest("Object 'Kind' is missing in 'null'");
  return v;
}
