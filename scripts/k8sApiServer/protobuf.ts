/**
 * Request bodies in Kubernetes protobuf (`application/vnd.kubernetes.protobuf`), which kubectl's
 * typed commands send (`kubectl create namespace|configmap|secret`): the `k8s\0` magic, then a
 * runtime.Unknown {typeMeta, raw} whose raw bytes are the object. Only the kinds kubectl creates
 * this way are known here, with the fields of their generated.proto; other kinds are refused with
 * 415. The wire format is read by hand: a few dozen lines, where a protobuf library would still
 * need these schemas written out.
 */
import { ApiError } from './status.ts';
import type { KubeObject } from './types.ts';

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

type Field = {
  name: string;
  type: 'string' | 'bytes' | 'bool' | 'varint' | 'message' | 'map' | 'mapBytes';
  repeated?: boolean;
  of?: Schema;
};
type Schema = Record<number, Field>;

const TYPE_META: Schema = { 1: { name: 'apiVersion', type: 'string' }, 2: { name: 'kind', type: 'string' } };
const OBJECT_META: Schema = {
  1: { name: 'name', type: 'string' },
  2: { name: 'generateName', type: 'string' },
  3: { name: 'namespace', type: 'string' },
  11: { name: 'labels', type: 'map' },
  12: { name: 'annotations', type: 'map' },
  14: { name: 'finalizers', type: 'string', repeated: true },
};
const KINDS: Record<string, Schema> = {
  Namespace: {
    1: { name: 'metadata', type: 'message', of: OBJECT_META },
    2: { name: 'spec', type: 'message', of: { 1: { name: 'finalizers', type: 'string', repeated: true } } },
  },
  ConfigMap: {
    1: { name: 'metadata', type: 'message', of: OBJECT_META },
    2: { name: 'data', type: 'map' },
    3: { name: 'binaryData', type: 'mapBytes' },
    4: { name: 'immutable', type: 'bool' },
  },
  Secret: {
    1: { name: 'metadata', type: 'message', of: OBJECT_META },
    2: { name: 'data', type: 'mapBytes' },
    3: { name: 'type', type: 'string' },
    4: { name: 'stringData', type: 'map' },
    5: { name: 'immutable', type: 'bool' },
  },
};
const UNKNOWN: Schema = {
  1: { name: 'typeMeta', type: 'message', of: TYPE_META },
  2: { name: 'raw', type: 'bytes' },
};

function malformed(): ApiError {
  return new ApiError(400, 'BadRequest', 'the body is not a valid Kubernetes protobuf object');
}

class Reader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}
  get done(): boolean {
    return this.pos >= this.buf.length;
  }
  varint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= this.buf.length || shift > 63) throw malformed();
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
    }
  }
  bytes(): Buffer {
    const n = this.varint();
    if (this.pos + n > this.buf.length) throw malformed();
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 2) this.bytes();
    else if (wire === 1) this.pos += 8;
    else if (wire === 5) this.pos += 4;
    else throw malformed();
  }
}

/** Decodes one message; empty strings and false are left out, as Go's omitempty JSON would. */
function decodeMessage(buf: Buffer, schema: Schema): KubeObject {
  const out: KubeObject = {};
  const r = new Reader(buf);
  while (!r.done) {
    const key = r.varint();
    const field = schema[Math.floor(key / 8)];
    const wire = key % 8;
    if (!field) {
      r.skip(wire);
      continue;
    }
    let value: unknown;
    if (field.type === 'varint' || field.type === 'bool') {
      const n = r.varint();
      value = field.type === 'bool' ? n !== 0 : n;
    } else {
      const raw = r.bytes();
      if (field.type === 'string') value = raw.toString('utf8');
      else if (field.type === 'bytes') value = raw;
      else if (field.type === 'message') value = decodeMessage(raw, field.of ?? {});
      else {
        const entry = decodeMessage(raw, { 1: { name: 'k', type: 'string' }, 2: { name: 'v', type: 'bytes' } });
        const v = (entry.v as Buffer | undefined) ?? Buffer.alloc(0);
        const map = (out[field.name] ??= {}) as KubeObject;
        map[String(entry.k ?? '')] = field.type === 'map' ? v.toString('utf8') : v.toString('base64');
        continue;
      }
    }
    if (field.repeated) ((out[field.name] ??= []) as unknown[]).push(value);
    else if (value !== '' && value !== false) out[field.name] = value;
  }
  return out;
}

/** Decodes a protobuf request body into the JSON object the apiserver would have decoded. */
export function decodeProtobuf(body: Buffer): KubeObject {
  if (body.length < MAGIC.length || !body.subarray(0, MAGIC.length).equals(MAGIC)) throw malformed();
  const unknown = decodeMessage(body.subarray(MAGIC.length), UNKNOWN);
  const typeMeta = (unknown.typeMeta ?? {}) as KubeObject;
  const kind = String(typeMeta.kind ?? '');
  const schema = KINDS[kind];
  if (!schema) {
    throw new ApiError(
      415,
      'UnsupportedMediaType',
      `the test server reads protobuf bodies of ${Object.keys(KINDS).join(', ')} only, not ${kind || 'this object'}: send JSON`,
      {},
    );
  }
  const obj = decodeMessage((unknown.raw as Buffer | undefined) ?? Buffer.alloc(0), schema);
  return { apiVersion: typeMeta.apiVersion, kind, ...obj };
}
