/**
 * The bytes of an ONNX model, for any destination: the ModelProto/GraphProto framing around the
 * initializers is written here, with lengths computed up front from the tensors' dims, so tensor
 * bytes go from the archive to the sink one chunk at a time and peak memory follows the largest
 * in-memory tensor, not the model. Everything else is encode.ts's messages encoded by proto.ts.
 * writer.ts puts this into files (Node); the page's worker into its own sinks (web/).
 */
import { contiguousFileRange } from '../archive/tensor-data.js';
import { fail } from '../errors.js';
import type { OnnxModel, OnnxTensor } from '../ir/onnx-graph.js';
import { encodeNode, encodeTensorHeader, encodeValueInfo, type EncodeOptions } from './encode.js';
import { encodeMessage } from './proto.js';
import { convertElements, elementCount, sameEncoding, streamedTensorBytes, tensorByteLength } from './tensor-bytes.js';
import { irVersionForOpset } from './versions.js';

export interface LayoutOptions extends EncodeOptions {
  /** List every initializer in graph.input too, after the real inputs (torch's keep_initializers_as_inputs). */
  keepInitializersAsInputs?: boolean;
  /**
   * 'auto' (default): external data only when the model would pass protobuf's 2 GiB limit;
   * 'always': large initializers always go to `<out>.data`; 'never': fail instead.
   */
  externalData?: 'auto' | 'always' | 'never';
}

/** Where the model's bytes go, in order. */
export interface ByteSink {
  /** Bytes written so far. */
  readonly written: number;
  write(bytes: Uint8Array): void;
  /**
   * Writes `length` bytes that `fill` puts straight into the sink's buffer: `fill(target, offset)`
   * fills all of `target` with bytes `offset..` of the run.
   */
  fill(length: number, fill: (target: Uint8Array, offset: number) => void): void;
}

/** Positional reads from the archive the model's tensors point into. */
export interface ArchiveReader {
  /** Whether the archive can be read (tensors are otherwise materialised one by one). */
  readonly available: boolean;
  /** `length` bytes at `position`, at most CHUNK_BYTES; valid until the next read. */
  read(position: number, length: number): Uint8Array;
  /** Fills `target` with the bytes at `position`. */
  readInto(position: number, target: Uint8Array): void;
}

export interface WriteReport {
  /** Absolute path of the file written (a symlink's final target), the FIFO or device, or `-` for standard output. */
  path: string;
  /** Size of the model. */
  bytes: number;
  initializers: number;
  /** Initializer data, inline and external. */
  initializerBytes: number;
  externalData?: { path: string; bytes: number; tensors: number };
}

/** protobuf (and so onnx and onnxruntime) refuse messages of 2 GiB or more. */
const PROTOBUF_LIMIT = 2 ** 31 - 1;
/** Margin below the limit so a model at the edge still loads in readers that count slightly differently. */
const PROTOBUF_HEADROOM = 2 ** 20;
/** As torch.onnx and onnx's external-data conversion: small tensors stay inline. */
const EXTERNAL_MIN_ELEMENTS = 1024;
/** Page-aligned offsets let runtimes map external tensors straight from the file. */
const EXTERNAL_ALIGNMENT = 4096;
/** A multiple of every element size, so chunks hold whole elements. */
export const CHUNK_BYTES = 1 << 23;

const WIRE_LENGTH_DELIMITED = 2;
const MODEL_GRAPH_FIELD = 7;
const GRAPH_INITIALIZER_FIELD = 5;
const TENSOR_RAW_DATA_FIELD = 9;
/** TensorProto.DataLocation.EXTERNAL. */
const TENSOR_EXTERNAL_LOCATION = 1;

export function writeReport(layout: Layout, modelBytes: number, written: string, externalData: WriteReport['externalData']): WriteReport {
  return {
    path: written,
    bytes: modelBytes,
    initializers: layout.initializers.length,
    initializerBytes: layout.initializers.reduce((total, item) => total + item.dataBytes, 0),
    externalData,
  };
}

interface InitializerLayout {
  readonly tensor: OnnxTensor;
  readonly dataBytes: number;
  /** Offset in the external data file, when the tensor goes there. */
  readonly external?: number;
  /** TensorProto fields except raw_data. */
  readonly header: Uint8Array;
}

export interface Layout {
  /** ModelProto fields before the graph, the graph's fields before and after the initializers. */
  readonly modelHead: Uint8Array;
  readonly graphHead: Uint8Array;
  readonly initializers: InitializerLayout[];
  readonly graphTail: Uint8Array;
  readonly graphBytes: number;
  /** The model without its closing fields (encodeModelTail): the head and the graph. */
  readonly bodyBytes: number;
  readonly externalBytes: number;
  readonly useExternal: boolean;
  /** `bodyBytes` of the all-inline plan, which decides the plan with the closing fields' size; unset when external data was asked for. */
  readonly inlineBodyBytes?: number;
}

/** ModelProto's fields after the graph: opset imports, doc string, metadata. */
export function encodeModelTail(model: OnnxModel): Uint8Array {
  const customDomains = [...model.domains].filter(([domain]) => domain !== '' && domain !== 'ai.onnx');
  customDomains.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return encodeMessage('model', {
    opsetImport: [{ domain: '', version: model.opset }, ...customDomains.map(([domain, version]) => ({ domain, version }))],
    docString: model.docString,
    metadataProps: model.metadataProps?.map(({ key, value }) => ({ key, value })),
  });
}

const MODEL_LIMIT = PROTOBUF_LIMIT - PROTOBUF_HEADROOM;

/** Whether planLayout would choose `layout` again with closing fields of `tailBytes`. */
export function samePlan(layout: Layout, tailBytes: number): boolean {
  if (layout.inlineBodyBytes === undefined) return true;
  const inlineFits = layout.inlineBodyBytes + tailBytes <= MODEL_LIMIT;
  return layout.useExternal ? !inlineFits && layout.bodyBytes + tailBytes <= MODEL_LIMIT : inlineFits;
}

export function planLayout(model: OnnxModel, options: LayoutOptions, dataLocation: string): Layout {
  const { graph } = model;
  const modelHead = encodeMessage('model', {
    irVersion: irVersionForOpset(model.opset),
    producerName: model.producerName,
    producerVersion: model.producerVersion,
  });
  const tailBytes = encodeModelTail(model).byteLength;
  const graphHead = encodeMessage('graph', {
    node: graph.nodes.map((node) => encodeNode(node, options)),
    name: graph.name,
  });
  const initializerInputs = options.keepInitializersAsInputs
    ? graph.initializers.map((tensor) => encodeValueInfo({ name: tensor.name, dtype: tensor.dtype, shape: tensor.dims }))
    : [];
  const graphTail = encodeMessage('graph', {
    input: [...graph.inputs.map(encodeValueInfo), ...initializerInputs],
    output: graph.outputs.map(encodeValueInfo),
    valueInfo: graph.valueInfo.map(encodeValueInfo),
  });

  const layout = (useExternal: boolean): Layout => {
    let externalBytes = 0;
    const initializers = graph.initializers.map((tensor): InitializerLayout => {
      const dataBytes = tensorByteLength(tensor);
      if (!useExternal || elementCount(tensor.dims) <= EXTERNAL_MIN_ELEMENTS) {
        return { tensor, dataBytes, header: encodeMessage('tensor', encodeTensorHeader(tensor)) };
      }
      const offset = alignUp(externalBytes, EXTERNAL_ALIGNMENT);
      externalBytes = offset + dataBytes;
      const header = encodeMessage('tensor', {
        ...encodeTensorHeader(tensor),
        externalData: [
          { key: 'location', value: dataLocation },
          { key: 'offset', value: String(offset) },
          { key: 'length', value: String(dataBytes) },
        ],
        dataLocation: TENSOR_EXTERNAL_LOCATION,
      });
      return { tensor, dataBytes, external: offset, header };
    });
    const graphBytes = graphHead.byteLength + graphTail.byteLength
      + initializers.reduce((total, item) => total + delimitedFieldBytes(GRAPH_INITIALIZER_FIELD, tensorMessageBytes(item)), 0);
    const bodyBytes = modelHead.byteLength + delimitedFieldBytes(MODEL_GRAPH_FIELD, graphBytes);
    return { modelHead, graphHead, initializers, graphTail, graphBytes, bodyBytes, externalBytes, useExternal };
  };

  const mode = options.externalData ?? 'auto';
  if (mode === 'always') return layout(true);
  const inline = layout(false);
  if (inline.bodyBytes + tailBytes <= MODEL_LIMIT) return { ...inline, inlineBodyBytes: inline.bodyBytes };
  if (mode === 'never') {
    fail('OPTION_INVALID', `the model is ${inline.bodyBytes + tailBytes} bytes, over protobuf's 2 GiB limit: it needs external data (externalData 'never' was asked)`);
  }
  const external = layout(true);
  if (external.bodyBytes + tailBytes > MODEL_LIMIT) {
    fail('OPTION_INVALID', `the model is ${external.bodyBytes + tailBytes} bytes even with its large initializers as external data, over protobuf's 2 GiB limit`);
  }
  return { ...external, inlineBodyBytes: inline.bodyBytes };
}

function tensorMessageBytes(item: InitializerLayout): number {
  if (item.external !== undefined) return item.header.byteLength;
  return item.header.byteLength + delimitedFieldBytes(TENSOR_RAW_DATA_FIELD, item.dataBytes);
}

function delimitedFieldBytes(field: number, length: number): number {
  return varintBytes(fieldTag(field)) + varintBytes(length) + length;
}

function fieldTag(field: number): number {
  return field * 8 + WIRE_LENGTH_DELIMITED;
}

function varintBytes(value: number): number {
  let count = 1;
  while (value >= 128) {
    value = Math.floor(value / 128);
    count++;
  }
  return count;
}

/** The tag and length of a length-delimited field, ahead of its content. */
function fieldPrefix(field: number, length: number): Uint8Array {
  const bytes: number[] = [];
  for (let value of [fieldTag(field), length]) {
    while (value >= 128) {
      bytes.push((value % 128) | 128);
      value = Math.floor(value / 128);
    }
    bytes.push(value);
  }
  return Uint8Array.from(bytes);
}

function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

/** The model up to its closing fields. */
export function writeModelBody(layout: Layout, sink: ByteSink, archive: ArchiveReader): void {
  sink.write(layout.modelHead);
  sink.write(fieldPrefix(MODEL_GRAPH_FIELD, layout.graphBytes));
  sink.write(layout.graphHead);
  for (const item of layout.initializers) {
    sink.write(fieldPrefix(GRAPH_INITIALIZER_FIELD, tensorMessageBytes(item)));
    sink.write(item.header);
    if (item.external !== undefined) continue;
    sink.write(fieldPrefix(TENSOR_RAW_DATA_FIELD, item.dataBytes));
    writeTensorData(item, sink, archive);
  }
  sink.write(layout.graphTail);
}

export function writeExternalData(layout: Layout, sink: ByteSink, archive: ArchiveReader): void {
  for (const item of layout.initializers) {
    if (item.external === undefined) continue;
    writeZeros(sink, item.external - sink.written);
    writeTensorData(item, sink, archive);
  }
}

function writeTensorData(item: InitializerLayout, sink: ByteSink, archive: ArchiveReader): void {
  const { tensor } = item;
  const start = sink.written;
  const range = tensor.data.kind === 'archive' && archive.available ? contiguousFileRange(tensor.data.ref) : undefined;
  if (tensor.data.kind === 'archive' && range) {
    const from = tensor.data.ref.dtype;
    if (sameEncoding(from, tensor.dtype)) {
      // Straight from the archive into the output buffer: no per-tensor memory, one copy in and one out.
      sink.fill(range.end - range.start, (target, offset) => archive.readInto(range.start + offset, target));
    } else {
      for (let position = range.start; position < range.end; position += CHUNK_BYTES) {
        const chunk = archive.read(position, Math.min(CHUNK_BYTES, range.end - position));
        sink.write(convertElements(chunk, from, tensor.dtype));
      }
    }
  } else {
    sink.write(streamedTensorBytes(tensor));
  }
  const written = sink.written - start;
  if (written !== item.dataBytes) {
    fail('INTERNAL', `tensor ${tensor.name} has ${written} bytes of data, its dims [${tensor.dims.join(', ')}] need ${item.dataBytes}`);
  }
}

function writeZeros(sink: ByteSink, count: number): void {
  for (let left = count; left > 0; left -= CHUNK_BYTES) sink.write(new Uint8Array(Math.min(left, CHUNK_BYTES)));
}
