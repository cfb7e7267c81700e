/**
 * OnnxGraph plain objects → onnx-proto messages (its interfaces only: proto.ts encodes them, so no
 * conversion loads onnx-proto's generated code). Everything here is held in memory; the writer
 * streams top-level initializer data itself and uses these messages for the rest.
 */
import type { onnx as proto } from 'onnx-proto';
import { fail } from '../errors.js';
import { ONNX_DTYPE, type OnnxAttr, type OnnxGraph, type OnnxNode, type OnnxTensor, type OnnxValueInfo } from '../ir/onnx-graph.js';
import { tensorDataBytes } from './tensor-bytes.js';

/** AttributeProto.AttributeType's values (onnx.proto). */
const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

export interface EncodeOptions {
  /** Keep node doc strings (the TorchScript source of each node); off unless asked, like `verbose=False`. */
  docStrings?: boolean;
}

/** An int64 field value protobufjs encodes exactly: low/high halves of the two's complement. */
export interface Int64Bits {
  low: number;
  high: number;
  unsigned: boolean;
}

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

/**
 * A number as an exact int64. Values beyond the int64 range (INT64_MAX arrives as 2^63 once it is a
 * JS number, Infinity for "to the end") are clamped, as PyTorch does for slice bounds.
 */
export function int64(value: number): number | Int64Bits {
  if (Number.isSafeInteger(value)) return value;
  if (Number.isNaN(value) || (Number.isFinite(value) && !Number.isInteger(value))) {
    fail('INTERNAL', `${value} is not an integer and cannot be an int64 value`);
  }
  let big = value >= 2 ** 63 ? INT64_MAX : value < -(2 ** 63) ? INT64_MIN : BigInt(value);
  big = BigInt.asUintN(64, big);
  return { low: Number(big & 0xffffffffn) | 0, high: Number(big >> 32n) | 0, unsigned: false };
}

const utf8 = new TextEncoder();

export function encodeAttribute(name: string, attr: OnnxAttr, options: EncodeOptions): proto.IAttributeProto {
  if (typeof attr === 'number') return { name, type: AttributeType.INT, i: int64(attr) };
  if (typeof attr === 'string') return { name, type: AttributeType.STRING, s: utf8.encode(attr) };
  if (isNumberList(attr)) return { name, type: AttributeType.INTS, ints: attr.map(int64) };
  if ('f' in attr) return { name, type: AttributeType.FLOAT, f: attr.f };
  if ('floats' in attr) return { name, type: AttributeType.FLOATS, floats: [...attr.floats] };
  if ('strings' in attr) return { name, type: AttributeType.STRINGS, strings: attr.strings.map((s) => utf8.encode(s)) };
  if ('t' in attr) return { name, type: AttributeType.TENSOR, t: encodeTensor(attr.t) };
  return { name, type: AttributeType.GRAPH, g: encodeGraph(attr.g, options) };
}

function isNumberList(attr: OnnxAttr): attr is readonly number[] {
  return Array.isArray(attr);
}

export function encodeNode(node: OnnxNode, options: EncodeOptions): proto.INodeProto {
  const message: proto.INodeProto = {
    input: node.inputs,
    output: node.outputs,
    name: node.name,
    opType: node.opType,
    domain: node.domain,
    attribute: Object.entries(node.attrs).map(([name, attr]) => encodeAttribute(name, attr, options)),
  };
  if (options.docStrings && node.docString) message.docString = node.docString;
  return message;
}

export function encodeValueInfo(value: OnnxValueInfo): proto.IValueInfoProto {
  const tensorType: proto.TypeProto.ITensor = { elemType: ONNX_DTYPE[value.dtype] };
  if (value.shape) {
    tensorType.shape = {
      dim: value.shape.map((dim) => (typeof dim === 'number' ? { dimValue: int64(dim) } : { dimParam: dim })),
    };
  }
  const type: proto.ITypeProto = value.sequence
    ? { sequenceType: { elemType: { tensorType } } }
    : { tensorType };
  return { name: value.name, type };
}

/** A TensorProto's fields other than its data. */
export function encodeTensorHeader(tensor: OnnxTensor): proto.ITensorProto {
  return {
    dims: tensor.dims.map(int64),
    dataType: ONNX_DTYPE[tensor.dtype],
    name: tensor.name,
  };
}

/** A whole TensorProto, data as `raw_data` (little-endian), as PyTorch writes it. */
export function encodeTensor(tensor: OnnxTensor): proto.ITensorProto {
  return { ...encodeTensorHeader(tensor), rawData: tensorDataBytes(tensor) };
}

/** A whole graph in memory: for sub-graphs (If/Loop bodies), whose tensors are small. */
export function encodeGraph(graph: OnnxGraph, options: EncodeOptions): proto.IGraphProto {
  return {
    node: graph.nodes.map((node) => encodeNode(node, options)),
    name: graph.name,
    initializer: graph.initializers.map(encodeTensor),
    input: graph.inputs.map(encodeValueInfo),
    output: graph.outputs.map(encodeValueInfo),
    valueInfo: graph.valueInfo.map(encodeValueInfo),
  };
}
