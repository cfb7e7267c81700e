/**
 * Protobuf encoding of the ONNX messages `encode.ts` builds, written here instead of by protobufjs:
 * a conversion then never loads protobufjs and onnx-proto's generated code (about 35 ms of CPU at
 * start-up), and a 100,000-node graph encodes in a quarter of the time. The bytes are protobufjs's exactly: fields in field-number
 * order, a singular field whenever it is set (even to its default), repeated fields only when
 * non-empty, repeated numbers packed. A property no schema here knows fails as INTERNAL rather than
 * being dropped.
 */
import { fail } from '../errors.js';
import type { Int64Bits } from './encode.js';

type Kind = 'string' | 'bytes' | 'int64' | 'int32' | 'float' | 'double' | 'message';

interface Field {
  readonly name: string;
  readonly id: number;
  readonly kind: Kind;
  /** Repeated: numbers packed into one field, strings, bytes and messages one field each. */
  readonly repeated?: boolean;
  readonly schema?: () => Schema;
}

interface Schema {
  readonly message: string;
  readonly fields: readonly Field[];
  readonly byName: ReadonlyMap<string, Field>;
}

function schema(message: string, fields: Field[]): Schema {
  const sorted = [...fields].sort((a, b) => a.id - b.id);
  return { message, fields: sorted, byName: new Map(sorted.map((f) => [f.name, f])) };
}

const one = (name: string, id: number, kind: Kind, of?: () => Schema): Field => ({ name, id, kind, schema: of });
const many = (name: string, id: number, kind: Kind, of?: () => Schema): Field => ({ name, id, kind, repeated: true, schema: of });

const STRING_STRING_ENTRY = schema('StringStringEntryProto', [one('key', 1, 'string'), one('value', 2, 'string')]);
const OPERATOR_SET_ID = schema('OperatorSetIdProto', [one('domain', 1, 'string'), one('version', 2, 'int64')]);
const DIMENSION = schema('TensorShapeProto.Dimension', [one('dimValue', 1, 'int64'), one('dimParam', 2, 'string'), one('denotation', 3, 'string')]);
const TENSOR_SHAPE = schema('TensorShapeProto', [many('dim', 1, 'message', () => DIMENSION)]);
const TYPE_TENSOR = schema('TypeProto.Tensor', [one('elemType', 1, 'int32'), one('shape', 2, 'message', () => TENSOR_SHAPE)]);
const TYPE_SEQUENCE = schema('TypeProto.Sequence', [one('elemType', 1, 'message', () => TYPE)]);
const TYPE_OPTIONAL = schema('TypeProto.Optional', [one('elemType', 1, 'message', () => TYPE)]);
const TYPE: Schema = schema('TypeProto', [
  one('tensorType', 1, 'message', () => TYPE_TENSOR),
  one('sequenceType', 4, 'message', () => TYPE_SEQUENCE),
  one('denotation', 6, 'string'),
  one('optionalType', 9, 'message', () => TYPE_OPTIONAL),
]);
const VALUE_INFO = schema('ValueInfoProto', [one('name', 1, 'string'), one('type', 2, 'message', () => TYPE), one('docString', 3, 'string')]);
const TENSOR = schema('TensorProto', [
  many('dims', 1, 'int64'),
  one('dataType', 2, 'int32'),
  many('floatData', 4, 'float'),
  many('int32Data', 5, 'int32'),
  many('stringData', 6, 'bytes'),
  many('int64Data', 7, 'int64'),
  one('name', 8, 'string'),
  one('rawData', 9, 'bytes'),
  many('doubleData', 10, 'double'),
  one('docString', 12, 'string'),
  many('externalData', 13, 'message', () => STRING_STRING_ENTRY),
  one('dataLocation', 14, 'int32'),
]);
const ATTRIBUTE: Schema = schema('AttributeProto', [
  one('name', 1, 'string'),
  one('f', 2, 'float'),
  one('i', 3, 'int64'),
  one('s', 4, 'bytes'),
  one('t', 5, 'message', () => TENSOR),
  one('g', 6, 'message', () => GRAPH),
  many('floats', 7, 'float'),
  many('ints', 8, 'int64'),
  many('strings', 9, 'bytes'),
  many('tensors', 10, 'message', () => TENSOR),
  many('graphs', 11, 'message', () => GRAPH),
  one('docString', 13, 'string'),
  one('tp', 14, 'message', () => TYPE),
  many('typeProtos', 15, 'message', () => TYPE),
  one('type', 20, 'int32'),
  one('refAttrName', 21, 'string'),
]);
const NODE = schema('NodeProto', [
  many('input', 1, 'string'),
  many('output', 2, 'string'),
  one('name', 3, 'string'),
  one('opType', 4, 'string'),
  many('attribute', 5, 'message', () => ATTRIBUTE),
  one('docString', 6, 'string'),
  one('domain', 7, 'string'),
]);
const GRAPH: Schema = schema('GraphProto', [
  many('node', 1, 'message', () => NODE),
  one('name', 2, 'string'),
  many('initializer', 5, 'message', () => TENSOR),
  one('docString', 10, 'string'),
  many('input', 11, 'message', () => VALUE_INFO),
  many('output', 12, 'message', () => VALUE_INFO),
  many('valueInfo', 13, 'message', () => VALUE_INFO),
]);
const MODEL = schema('ModelProto', [
  one('irVersion', 1, 'int64'),
  one('producerName', 2, 'string'),
  one('producerVersion', 3, 'string'),
  one('domain', 4, 'string'),
  one('modelVersion', 5, 'int64'),
  one('docString', 6, 'string'),
  one('graph', 7, 'message', () => GRAPH),
  many('opsetImport', 8, 'message', () => OPERATOR_SET_ID),
  many('metadataProps', 14, 'message', () => STRING_STRING_ENTRY),
]);

/** The messages the writer encodes; each takes the plain objects `encode.ts` builds. */
export const MESSAGES = { model: MODEL, graph: GRAPH, node: NODE, tensor: TENSOR, valueInfo: VALUE_INFO, attribute: ATTRIBUTE } as const;
export type MessageName = keyof typeof MESSAGES;

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_DELIMITED = 2;
const WIRE_FIXED32 = 5;
const TWO_32 = 4294967296;

type Message = Readonly<Record<string, unknown>>;

/** A growing byte buffer with protobuf's primitive encodings. */
class ProtoBuffer {
  bytes = new Uint8Array(256);
  length = 0;
  private view = new DataView(this.bytes.buffer);

  reserve(count: number): void {
    if (this.length + count <= this.bytes.byteLength) return;
    const grown = new Uint8Array(Math.max(this.bytes.byteLength * 2, this.length + count));
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
    this.view = new DataView(grown.buffer);
  }

  varint(value: number): void {
    this.reserve(5);
    while (value > 127) {
      this.bytes[this.length++] = (value & 127) | 128;
      value >>>= 7;
    }
    this.bytes[this.length++] = value;
  }

  /** A 64-bit varint from its two's complement halves. */
  varint64(low: number, high: number): void {
    this.reserve(10);
    while (high) {
      this.bytes[this.length++] = (low & 127) | 128;
      low = ((low >>> 7) | (high << 25)) >>> 0;
      high >>>= 7;
    }
    while (low > 127) {
      this.bytes[this.length++] = (low & 127) | 128;
      low >>>= 7;
    }
    this.bytes[this.length++] = low;
  }

  int64(value: unknown): void {
    if (typeof value === 'number') {
      const negative = value < 0;
      const magnitude = negative ? -value : value;
      let low = magnitude >>> 0;
      let high = ((magnitude - low) / TWO_32) >>> 0;
      if (negative) {
        high = ~high >>> 0;
        low = ~low >>> 0;
        if (++low > 0xffffffff) {
          low = 0;
          if (++high > 0xffffffff) high = 0;
        }
      }
      this.varint64(low, high);
    } else {
      const bits = value as Int64Bits;
      this.varint64(bits.low >>> 0, bits.high >>> 0);
    }
  }

  int32(value: number): void {
    if (value < 0) this.int64(value);
    else this.varint(value);
  }

  float(value: number): void {
    this.reserve(4);
    this.view.setFloat32(this.length, value, true);
    this.length += 4;
  }

  double(value: number): void {
    this.reserve(8);
    this.view.setFloat64(this.length, value, true);
    this.length += 8;
  }

  string(value: string): void {
    const byteLength = Buffer.byteLength(value, 'utf8');
    this.varint(byteLength);
    this.reserve(byteLength);
    if (byteLength === value.length) {
      for (let i = 0; i < byteLength; i++) this.bytes[this.length + i] = value.charCodeAt(i);
    } else {
      Buffer.from(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength).write(value, this.length, byteLength, 'utf8');
    }
    this.length += byteLength;
  }

  bytesField(value: Uint8Array): void {
    this.varint(value.byteLength);
    this.reserve(value.byteLength);
    this.bytes.set(value, this.length);
    this.length += value.byteLength;
  }

  /**
   * A length-delimited field whose content `write` appends: one byte is kept for the length, and
   * the content moves up in the rare case the length needs more.
   */
  delimited(write: () => void): void {
    this.reserve(1);
    const lengthAt = this.length++;
    write();
    const contentLength = this.length - lengthAt - 1;
    const lengthBytes = varintSize(contentLength);
    if (lengthBytes > 1) {
      this.reserve(lengthBytes - 1);
      this.bytes.copyWithin(lengthAt + lengthBytes, lengthAt + 1, this.length);
      this.length += lengthBytes - 1;
    }
    let value = contentLength;
    let at = lengthAt;
    while (value > 127) {
      this.bytes[at++] = (value & 127) | 128;
      value >>>= 7;
    }
    this.bytes[at] = value;
  }
}

function varintSize(value: number): number {
  let count = 1;
  while (value > 127) {
    value >>>= 7;
    count++;
  }
  return count;
}

function wireType(kind: Kind): number {
  switch (kind) {
    case 'int64': case 'int32': return WIRE_VARINT;
    case 'float': return WIRE_FIXED32;
    case 'double': return WIRE_FIXED64;
    default: return WIRE_DELIMITED;
  }
}

function writeScalar(out: ProtoBuffer, field: Field, value: unknown): void {
  switch (field.kind) {
    case 'string': return out.string(value as string);
    case 'bytes': return out.bytesField(value as Uint8Array);
    case 'int64': return out.int64(value);
    case 'int32': return out.int32(value as number);
    case 'float': return out.float(value as number);
    case 'double': return out.double(value as number);
    case 'message': return out.delimited(() => writeMessage(out, field.schema!(), value as Message));
  }
}

function writeMessage(out: ProtoBuffer, type: Schema, message: Message): void {
  for (const key of Object.keys(message)) {
    const value = message[key];
    const empty = value == null || (Array.isArray(value) && value.length === 0);
    if (!empty && !type.byName.has(key)) fail('INTERNAL', `the ONNX writer cannot encode ${type.message}.${key}`);
  }
  for (const field of type.fields) {
    // Own properties only, as protobufjs: decoded messages carry defaults on their prototypes.
    const value = Object.hasOwn(message, field.name) ? message[field.name] : undefined;
    if (value == null) continue;
    if (!field.repeated) {
      out.varint(field.id * 8 + wireType(field.kind));
      writeScalar(out, field, value);
      continue;
    }
    const items = value as ArrayLike<unknown>;
    if (items.length === 0) continue;
    if (field.kind === 'string' || field.kind === 'bytes' || field.kind === 'message') {
      for (let i = 0; i < items.length; i++) {
        out.varint(field.id * 8 + WIRE_DELIMITED);
        writeScalar(out, field, items[i]);
      }
    } else {
      out.varint(field.id * 8 + WIRE_DELIMITED);
      out.delimited(() => {
        for (let i = 0; i < items.length; i++) writeScalar(out, field, items[i]);
      });
    }
  }
}

/** The protobuf bytes of one message (`encode.ts`'s plain object) of the named type. */
export function encodeMessage(name: MessageName, message: object): Uint8Array {
  const out = new ProtoBuffer();
  writeMessage(out, MESSAGES[name], message as Message);
  return out.bytes.slice(0, out.length);
}
