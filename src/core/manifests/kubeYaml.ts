import { isAlias, isMap, isScalar, isSeq, type Document, type Node, type Pair } from 'yaml';

/**
 * YAML read the way kubectl reads it. kubectl (and the API server) turn YAML into JSON with
 * sigs.k8s.io/yaml over go-yaml v2, a YAML 1.1 reader: `0555` is octal, `yes`/`on`/`y` are
 * booleans, `0o17` and `1_000` are numbers, `1:20` and `2001-12-14` stay strings, a key `on`
 * becomes "true", a later duplicate of a key wins and `.inf` is refused. The `yaml` package's own
 * 'yaml-1.1' schema differs from go-yaml on several of these (sexagesimal, `0o`, timestamps), so
 * plain scalars are parsed as strings (the failsafe schema) and resolved here with go-yaml v2's
 * rules. `test/unit/core/manifests/kubeYaml.test.ts` holds this against kubectl itself.
 */

/** The document as JSON, where each field was written, or why kubectl would refuse it. */
export interface KubeJson {
  readonly value: unknown;
  /** JSON pointer (`/spec/template/spec/volumes/0`) → the offset in the text where it is written. */
  readonly offsets: ReadonlyMap<string, number>;
}

export interface KubeYamlError {
  readonly offset: number;
  readonly message: string;
}

/** The options to parse with: every scalar a string, resolved afterwards by `kubeJson`. */
export const KUBE_YAML_PARSE_OPTIONS = { schema: 'failsafe', uniqueKeys: true, prettyErrors: false } as const;

class Refused extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

/** Converts a parsed document (parsed with KUBE_YAML_PARSE_OPTIONS) to JSON as kubectl does. */
export function kubeJson(doc: Document.Parsed, node: Node): { ok: true; value: KubeJson } | { ok: false; error: KubeYamlError } {
  const offsets = new Map<string, number>();
  budget = { decoded: 0, aliased: 0, firstAlias: -1 };
  try {
    const value = convert(doc, node, '', offsets, 0);
    return { ok: true, value: { value, offsets } };
  } catch (e) {
    if (e instanceof Refused) return { ok: false, error: { offset: e.offset, message: e.message } };
    throw e;
  }
}

const MAX_ALIAS_DEPTH = 64;
/**
 * go-yaml v2's guard against alias bombs, node for node: a document decoding to more than 1,000
 * nodes of which more than 100 come from alias expansion is refused when the aliased share
 * exceeds 99% (scaling down to 10% between 400,000 and 4,000,000 nodes).
 */
function allowedAliasRatio(decoded: number): number {
  if (decoded <= 400_000) return 0.99;
  if (decoded >= 4_000_000) return 0.1;
  return 0.99 - 0.89 * ((decoded - 400_000) / 3_600_000);
}

let budget = { decoded: 0, aliased: 0, firstAlias: -1 };

function convert(doc: Document.Parsed, node: Node | null, pointer: string, offsets: Map<string, number>, depth: number): unknown {
  if (node === null) return null;
  if (node.range) offsets.set(pointer, node.range[0]);
  budget.decoded++;
  if (depth > 0) budget.aliased++;
  if (budget.aliased > 100 && budget.decoded > 1000 && budget.aliased / budget.decoded > allowedAliasRatio(budget.decoded))
    throw new Refused(budget.firstAlias, 'The document contains excessive aliasing (a YAML alias bomb): kubectl refuses it too.');
  if (isAlias(node)) {
    if (budget.firstAlias < 0) budget.firstAlias = node.range?.[0] ?? 0;
    if (depth > MAX_ALIAS_DEPTH) throw new Refused(node.range?.[0] ?? 0, 'Aliases nest too deeply.');
    return convert(doc, node.resolve(doc) ?? null, pointer, offsets, depth + 1);
  }
  if (isScalar(node)) return scalarValue(node.value, node.type === 'PLAIN', node.tag, node.range?.[0] ?? 0);
  if (isSeq(node)) return node.items.map((item, i) => convert(doc, item as Node | null, `${pointer}/${i}`, offsets, depth));
  if (isMap(node)) {
    const out: Record<string, unknown> = {};
    for (const pair of node.items as Pair<Node | null, Node | null>[]) {
      if (isMergeKey(pair.key)) {
        mergeInto(doc, out, pair.value, pointer, offsets, depth);
        continue;
      }
      const key = keyString(doc, pair.key, depth);
      const child = `${pointer}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
      out[key] = convert(doc, pair.value, child, offsets, depth);
      // A field is where its key is written.
      if (pair.key?.range) offsets.set(child, pair.key.range[0]);
    }
    return out;
  }
  throw new Refused((node as { range?: [number] }).range?.[0] ?? 0, 'Unsupported YAML node.');
}

/** `<<: *base` or `<<: [*a, *b]`: go-yaml v2 sets the merged keys in place, earlier maps of a list winning. */
function mergeInto(
  doc: Document.Parsed,
  out: Record<string, unknown>,
  value: Node | null,
  pointer: string,
  offsets: Map<string, number>,
  depth: number,
): void {
  const target = (value && isAlias(value) ? value.resolve(doc) : value) ?? null;
  const sources = target && isSeq(target) ? [...(target.items as Node[])].reverse() : [target];
  for (const source of sources) {
    const merged = convert(doc, source, pointer, offsets, depth + 1);
    if (typeof merged !== 'object' || merged === null || Array.isArray(merged)) {
      throw new Refused(value?.range?.[0] ?? 0, 'A merge key (<<) needs a mapping or a list of mappings.');
    }
    Object.assign(out, merged);
  }
}

function isMergeKey(key: Node | null): boolean {
  return key !== null && isScalar(key) && key.type === 'PLAIN' && key.value === '<<' && !key.tag;
}

/** sigs.k8s.io/yaml's key conversion: numbers and booleans become their text, null and collections are refused. */
function keyString(doc: Document.Parsed, key: Node | null, depth: number): string {
  const offset = key?.range?.[0] ?? 0;
  const value = key === null ? null : convert(doc, key, '', new Map(), depth);
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : goFloatKey(value);
  throw new Refused(
    offset,
    `Unsupported map key ${JSON.stringify(value)}: kubectl accepts only strings, numbers and booleans as keys.`,
  );
}

/** Go's strconv.FormatFloat(f, 'g', -1, 32), as sigs.k8s.io/yaml writes a float key. */
function goFloatKey(value: number): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? '.nan' : value > 0 ? '.inf' : '-.inf';
  const f32 = Math.fround(value);
  let digits = 1;
  while (digits < 9 && Math.fround(Number(f32.toPrecision(digits))) !== f32) digits++;
  const text = Number(f32.toPrecision(digits));
  const exp = Math.floor(Math.log10(Math.abs(text)));
  if (exp < -4 || exp >= 21) return text.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
  return String(text);
}

const TRUE = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON']);
const FALSE = new Set(['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF']);
const NULL = new Set(['', '~', 'null', 'Null', 'NULL']);
const SPECIAL_FLOATS = new Set([
  '.inf',
  '.Inf',
  '.INF',
  '+.inf',
  '+.Inf',
  '+.INF',
  '-.inf',
  '-.Inf',
  '-.INF',
  '.nan',
  '.NaN',
  '.NAN',
]);
const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const STR_TAG = 'tag:yaml.org,2002:str';
const BINARY_TAG = 'tag:yaml.org,2002:binary';

/**
 * One scalar as go-yaml v2 resolves it (resolve.go), then as JSON takes it. Quoted and block
 * scalars are strings; `!!str` forces a string (other tags are read as plain); a plain scalar is null, a boolean, an integer in
 * any of Go's notations (`0x1F`, `0o17`, `0b101`, `0555`, with `_` ignored), a float, or a string.
 */
function scalarValue(text: unknown, plain: boolean, tag: string | undefined, offset: number): unknown {
  const source = typeof text === 'string' ? text : String(text);
  if (tag === STR_TAG) return source;
  if (tag === BINARY_TAG) return Buffer.from(source, 'base64').toString('latin1');
  if (!plain && !tag) return source;
  const resolved = resolvePlain(source);
  if (typeof resolved === 'number' && !Number.isFinite(resolved)) {
    const what = Number.isNaN(resolved) ? 'not a number' : 'infinite';
    throw new Refused(offset, `"${source}" is ${what}, which JSON cannot hold (kubectl refuses it too).`);
  }
  return resolved;
}

function resolvePlain(source: string): unknown {
  if (NULL.has(source)) return null;
  if (TRUE.has(source)) return true;
  if (FALSE.has(source)) return false;
  if (SPECIAL_FLOATS.has(source)) {
    if (/nan/i.test(source)) return NaN;
    return source.startsWith('-') ? -Infinity : Infinity;
  }
  const first = source[0]!;
  if (first === '.') {
    return /^\.[0-9]+([eE][-+]?[0-9]+)?$/.test(source) ? Number(source) : source;
  }
  if (!/[-+0-9]/.test(first)) return source;
  const plainText = source.replaceAll('_', '');
  const integer = goParseInt(plainText);
  if (integer !== undefined) return integer;
  if (YAML_STYLE_FLOAT.test(plainText)) return Number(plainText);
  return source;
}

/** Go's strconv.ParseInt(s, 0, 64), falling back to ParseUint: sign, then 0x/0o/0b or a leading 0 (octal). */
function goParseInt(text: string): number | undefined {
  const match = /^([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(text);
  if (!match) return undefined;
  const [, sign, digits] = match as unknown as [string, string, string];
  let value: bigint;
  if (/^0[xXoObB]/.test(digits)) value = BigInt(digits.toLowerCase());
  else if (digits.startsWith('0') && digits.length > 1) value = BigInt(`0o${digits.slice(1)}`);
  else value = BigInt(digits);
  if (sign === '-') value = -value;
  const limit = sign === '' ? 2n ** 64n - 1n : 2n ** 63n - 1n;
  if (value > limit || value < -(2n ** 63n)) return undefined;
  return Number(value);
}
