/**
 * The patterns of the redaction pipeline (src/core/secrets/redaction.ts): text that looks like a
 * secret whatever its value, for secrets DR Runbook was never told about. Compiled once.
 *
 * What it removes, replaced with `***`:
 * - `password=...`, `PGPASSWORD=...`, `client_secret=...`, `api-key=...` (key=value, env and libpq style);
 * - `"password": "..."` (JSON) and `token: ...`, `client-key-data: ...` (YAML, kubeconfig);
 * - `Authorization: Bearer x` / `Basic x`, and a `Bearer <token>` anywhere;
 * - the password of a connection string, `postgres://user:pass@host`;
 * - env entries `name: PGPASSWORD` + `value: ...` (pod specs, YAML and JSON);
 * - PEM private key blocks;
 * - in text that shows a `kind: Secret` (YAML or JSON, also the escaped last-applied-configuration
 *   annotation): every value under `data:` and `stringData:`.
 * The Secret rule needs the whole dump in one call (kubectl prints `data` before `kind`); for
 * output streamed line by line the known values are what protects.
 */

export const redactedMark = '***';

// A key that names a secret: it ends with one of these words (DB_PASSWORD, client_secret, id-token, x-api-key).
const SECRET_KEY =
  '[A-Za-z0-9_.-]*?(?:password|passwd|passphrase|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|key[_-]data)';
const NOT_A_VALUE = '(?!(?:true|false|null|~|\\*\\*\\*)(?![^\\s,}\'"]))';

const KEY_EQUALS = new RegExp(`(?<![\\w.-])(${SECRET_KEY})=(?:"[^"\\n]*"|'[^'\\n]*'|[^\\s&;,'"]+)`, 'gi');
const JSON_KEY = new RegExp(`("${SECRET_KEY}"\\s*:\\s*)"(?:[^"\\\\\\n]|\\\\.)*"`, 'gi');
const YAML_KEY = new RegExp(
  `(^|[\\s{,])(${SECRET_KEY})([ \\t]*:[ \\t]+)${NOT_A_VALUE}(?:"[^"\\n]*"|'[^'\\n]*'|[^\\s,}]+)`,
  'gim',
);
const AUTHORIZATION = /(\bAuthorization["']?\s*[:=]\s*["']?)(?:(Bearer|Basic|Token|Digest|Negotiate)\s+)?[^\s"',;]+/gi;
const BEARER = /\b(Bearer)\s+(?=[A-Za-z0-9\-._~+/]*\d)[A-Za-z0-9\-._~+/]{8,}=*/gi;
const CONNECTION_STRING = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/?#@]*:)[^\s@/]+@/gi;
const ENV_YAML = new RegExp(`(\\bname:[ \\t]*["']?${SECRET_KEY}["']?[ \\t]*\\r?\\n[ \\t]*value:[ \\t]+)\\S[^\\n\\r]*`, 'gi');
const ENV_JSON = new RegExp(`("name"\\s*:\\s*"${SECRET_KEY}"\\s*,\\s*"value"\\s*:\\s*)"(?:[^"\\\\\\n]|\\\\.)*"`, 'gi');
const PRIVATE_KEY = /(-----BEGIN [A-Z ]*PRIVATE KEY-----)[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----)/g;

const SHOWS_SECRET_KIND = /\bkind\\?["']?\s*:\s*\\?["']?Secret\b/;
const JSON_DATA_BLOCK = /(\\?"(?:data|stringData)\\?"\s*:\s*\{)([^{}]*)\}/g;
const JSON_DATA_PAIR = /(\\?"[^"\\\n]+\\?"\s*:\s*)(\\?")(.*?)\2/g;
const YAML_FLOW_DATA = /^([ \t]*(?:data|stringData):[ \t]*)\{[^\n]*\}/gm;
const YAML_DATA_BLOCK = /^([ \t]*)((?:data|stringData):[ \t]*\r?\n)((?:\1[ \t]+\S[^\n]*(?:\n|$))+)/gm;

/** The built-in patterns: what looks like a secret, whoever's it is (known values are redaction.ts's). */
export function redactPatterns(text: string): string {
  if (text === '') return text;
  let out = text;
  if (out.includes('PRIVATE KEY-----')) out = out.replace(PRIVATE_KEY, `$1\n${redactedMark}\n$2`);
  if (out.includes('://')) out = out.replace(CONNECTION_STRING, `$1${redactedMark}@`);
  out = out.replace(
    AUTHORIZATION,
    (_m, lead: string, scheme: string | undefined) => `${lead}${scheme ? `${scheme} ` : ''}${redactedMark}`,
  );
  out = out.replace(BEARER, `$1 ${redactedMark}`);
  out = out.replace(ENV_YAML, `$1${redactedMark}`);
  out = out.replace(ENV_JSON, `$1"${redactedMark}"`);
  out = out.replace(KEY_EQUALS, `$1=${redactedMark}`);
  out = out.replace(JSON_KEY, `$1"${redactedMark}"`);
  out = out.replace(YAML_KEY, `$1$2$3${redactedMark}`);
  if (SHOWS_SECRET_KIND.test(out)) out = redactSecretData(out);
  return out;
}

function redactSecretData(text: string): string {
  return text
    .replace(
      JSON_DATA_BLOCK,
      (_m, open: string, body: string) => `${open}${body.replace(JSON_DATA_PAIR, `$1$2${redactedMark}$2`)}}`,
    )
    .replace(YAML_FLOW_DATA, `$1{${redactedMark}}`)
    .replace(YAML_DATA_BLOCK, (_m, indent: string, key: string, block: string) => `${indent}${key}${redactYamlBlock(block)}`);
}

/** Each entry of an indented YAML block keeps its key and loses its value; continuation lines are blanked. */
function redactYamlBlock(block: string): string {
  const lines = block.split('\n');
  const keyIndent = /^[ \t]*/.exec(lines[0] ?? '')?.[0].length ?? 0;
  return lines
    .map((line) => {
      if (line.trim() === '') return line;
      const indent = /^[ \t]*/.exec(line)?.[0] ?? '';
      if (indent.length > keyIndent) return `${indent}${redactedMark}`;
      const entry = /^([ \t]*[^:\s][^:]*:)([ \t]*)(.*?)(\r?)$/.exec(line);
      if (!entry) return line;
      const value = entry[3] ?? '';
      if (value === '' || /^[|>][-+0-9]*$/.test(value)) return line;
      return `${entry[1]}${entry[2] || ' '}${redactedMark}${entry[4]}`;
    })
    .join('\n');
}
