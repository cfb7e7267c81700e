/** Archive-style tensors for writer tests: storages laid out in a temporary file, like `data/<n>` records of a zip. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ArchiveEntry, DType, TensorRef } from '../../src/archive/types.js';
import type { OnnxGraph, OnnxModel, OnnxTensor } from '../../src/ir/onnx-graph.js';
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

export function temporaryFolder(): { folder: string; remove: () => void } {
  const folder = mkdtempSync(path.join(tmpdir(), 'tsonnx-onnx-'));
  return { folder, remove: () => rmSync(folder, { recursive: true, force: true }) };
}

/** An entry whose bytes sit stored (not deflated) at `start` in `file`. */
export function storedEntry(file: string, name: string, start: number, size: number): ArchiveEntry {
  return {
    name,
    size,
    fileRange: { start, end: start + size },
    read: () => readFileSync(file).subarray(start, start + size),
  };
}

/**
 * Writes each storage's bytes into one file, 64-byte aligned after a junk prefix (as torch.jit.save
 * aligns zip records), and returns entries pointing at them.
 */
export function storageFile(file: string, storages: Uint8Array[]): ArchiveEntry[] {
  const parts: Uint8Array[] = [];
  const entries: ArchiveEntry[] = [];
  let position = 0;
  const append = (bytes: Uint8Array) => {
    parts.push(bytes);
    position += bytes.byteLength;
  };
  append(new Uint8Array(37).fill(0x5a));
  storages.forEach((bytes, index) => {
    append(new Uint8Array((64 - (position % 64)) % 64));
    entries.push(storedEntry(file, `data/${index}`, position, bytes.byteLength));
    append(bytes);
  });
  writeFileSync(file, Buffer.concat(parts));
  return entries;
}

export function tensorRef(
  entry: ArchiveEntry,
  dtype: DType,
  shape: number[],
  options: { strides?: number[]; storageOffset?: number; numel?: number } = {},
): TensorRef {
  return {
    kind: 'tensor',
    dtype,
    shape,
    strides: options.strides ?? contiguousStrides(shape),
    storageOffset: options.storageOffset ?? 0,
    storage: { entry, dtype, numel: options.numel ?? entry.size / elementBytes(dtype) },
    requiresGrad: false,
  };
}

function elementBytes(dtype: DType): number {
  return { float16: 2, float32: 4, float64: 8, int64: 8, int32: 4 }[dtype as string] ?? 1;
}

export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    strides[axis] = stride;
    stride *= shape[axis]!;
  }
  return strides;
}

export function bytesOf(array: Float32Array | Uint16Array | BigInt64Array | Int32Array | Float64Array): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

export function floatTensor(name: string, dims: number[], values: number[]): OnnxTensor {
  return { name, dtype: 'float32', dims, data: { kind: 'bytes', bytes: bytesOf(Float32Array.from(values)) } };
}

export function emptyGraph(name = 'main_graph'): OnnxGraph {
  return { name, nodes: [], inputs: [], outputs: [], initializers: [], valueInfo: [] };
}

export function model(graph: OnnxGraph, opset = 17, domains: Array<[string, number]> = []): OnnxModel {
  return { graph, opset, domains: new Map(domains), producerName: 'tsonnx', producerVersion: '0.1.0' };
}

/** Values k/8 with small k: exact in float16 and float32, so convolution sums are exact in any order. */
export function eighths(count: number, seed: number): number[] {
  return Array.from({ length: count }, (_, index) => (((index * 7 + seed) % 17) - 8) / 8);
}

/** Decoded messages as plain objects (`toObject` with int64 values as strings and defaults filled in). */
export interface DecodedTensor {
  name: string;
  dataType: number;
  dims: string[];
  rawData: Uint8Array;
  dataLocation: number;
  externalData: Array<{ key: string; value: string }>;
}
export interface DecodedType {
  tensorType?: { elemType: number; shape: { dim: Array<{ dimValue?: string; dimParam?: string }> } | null };
  sequenceType?: { elemType: DecodedType };
}
export interface DecodedValueInfo { name: string; type: DecodedType }
export interface DecodedAttribute {
  name: string;
  type: number;
  i: string;
  f: number;
  s: Uint8Array;
  t: DecodedTensor | null;
  g: DecodedGraph | null;
  ints: string[];
  floats: number[];
  strings: Uint8Array[];
}
export interface DecodedNode {
  opType: string;
  domain: string;
  name: string;
  input: string[];
  output: string[];
  attribute: DecodedAttribute[];
  docString: string;
}
export interface DecodedGraph {
  name: string;
  node: DecodedNode[];
  initializer: DecodedTensor[];
  input: DecodedValueInfo[];
  output: DecodedValueInfo[];
  valueInfo: DecodedValueInfo[];
}
export interface DecodedModel {
  irVersion: string;
  producerName: string;
  producerVersion: string;
  opsetImport: Array<{ domain: string; version: string }>;
  graph: DecodedGraph;
}

export function decodeModel(file: string): DecodedModel {
  const message = onnx.ModelProto.decode(readFileSync(file));
  return onnx.ModelProto.toObject(message, { longs: String, defaults: true, arrays: true }) as DecodedModel;
}
