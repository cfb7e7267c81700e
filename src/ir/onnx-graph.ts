/**
 * OnnxGraph: the lower stage's output, an ONNX graph in plain objects. The onnx stage optimises
 * and serialises it. Tensor data is either bytes in memory (small constants, folded weights) or
 * a reference into the archive that the writer streams.
 */
import type { DType, TensorRef } from '../archive/types.js';
import type { Dim } from './torch-graph.js';

/** Plain number → INT, number[] → INTS, string → STRING; floats must be spelled `{ f }` / `{ floats }`. */
export type OnnxAttr =
  | number
  | readonly number[]
  | string
  | { readonly f: number }
  | { readonly floats: readonly number[] }
  | { readonly strings: readonly string[] }
  | { readonly t: OnnxTensor }
  | { readonly g: OnnxGraph };

export type OnnxAttrs = Record<string, OnnxAttr>;

export interface OnnxNode {
  readonly opType: string;
  /** '' for ai.onnx. */
  readonly domain: string;
  /** Input value names; '' marks an omitted optional input. */
  readonly inputs: string[];
  readonly outputs: string[];
  readonly attrs: OnnxAttrs;
  name: string;
  /** TorchScript (and Python) location of the node's source, for `verbose`. */
  docString?: string;
}

export type TensorData =
  /** Little-endian bytes in ONNX layout (contiguous, C order). */
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array }
  /** A (possibly strided) tensor in the archive, converted to `dtype` when written. */
  | { readonly kind: 'archive'; readonly ref: TensorRef }
  /**
   * Bytes computed when the writer reaches the tensor (folded weights), so they are not all held at
   * once; they may be in a buffer the next computed tensor reuses, so use them before computing another.
   */
  | { readonly kind: 'computed'; readonly compute: () => Uint8Array };

export interface OnnxTensor {
  name: string;
  readonly dtype: DType;
  readonly dims: readonly number[];
  readonly data: TensorData;
}

export interface OnnxValueInfo {
  name: string;
  readonly dtype: DType;
  /** Undefined for an unknown rank. */
  readonly shape?: readonly Dim[];
  /** A sequence of tensors of this dtype and shape. */
  readonly sequence?: boolean;
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  initializers: OnnxTensor[];
  valueInfo: OnnxValueInfo[];
}

export interface OnnxModel {
  graph: OnnxGraph;
  opset: number;
  /** Non-default domains used by nodes, with their versions. */
  domains: Map<string, number>;
  producerName: string;
  producerVersion: string;
  /** ModelProto.doc_string: what made the model. */
  docString?: string;
  /** ModelProto.metadata_props, written in this order. */
  metadataProps?: ReadonlyArray<{ key: string; value: string }>;
}

/** ONNX TensorProto.DataType codes. */
export const ONNX_DTYPE: Record<DType, number> = {
  float32: 1,
  uint8: 2,
  int8: 3,
  int16: 5,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  float64: 11,
  complex64: 14,
  complex128: 15,
  bfloat16: 16,
  qint8: 3,
  quint8: 2,
  qint32: 6,
};

export const DTYPE_BYTES: Record<DType, number> = {
  uint8: 1, int8: 1, int16: 2, int32: 4, int64: 8,
  float16: 2, float32: 4, float64: 8, bfloat16: 2,
  bool: 1, complex64: 8, complex128: 16,
  qint8: 1, quint8: 1, qint32: 4,
};
