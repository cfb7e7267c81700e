/**
 * The streaming ONNX writer. Everything but top-level initializer data is encode.ts's messages
 * encoded by proto.ts; the ModelProto/GraphProto framing around the initializers is written here,
 * with lengths computed up front from the tensors' dims, so tensor bytes go from the archive to the
 * file one chunk at a time and peak memory follows the largest in-memory tensor, not the model.
 *
 * A regular file (or a new one) appears atomically: temporary files beside it, then rename; a
 * symlink is followed to its final target, which is replaced the same way. FIFOs and character
 * devices (and `-`, standard output) cannot be replaced, so they are written directly, streaming.
 * File I/O inside is synchronous: for large sequential copies it is measurably faster than the
 * thread pool.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, openSync, readSync, writeSync } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { contiguousFileRange } from '../archive/tensor-data.js';
import { fail, TsonnxError } from '../errors.js';
import type { OnnxModel, OnnxTensor } from '../ir/onnx-graph.js';
import { encodeNode, encodeTensorHeader, encodeValueInfo, type EncodeOptions } from './encode.js';
import { encodeMessage } from './proto.js';
import { convertElements, elementCount, sameEncoding, streamedTensorBytes, tensorByteLength } from './tensor-bytes.js';
import { outputSyscall, refuseInputAsOutput, resolveOutput, STDOUT_FD, systemReason, type OutputTarget } from './output-target.js';
import { irVersionForOpset } from './versions.js';

export { refuseInputAsOutput, resolveOutput, STDOUT_PATH, type OutputTarget } from './output-target.js';

export interface WriteOptions extends EncodeOptions {
  /** List every initializer in graph.input too, after the real inputs (torch's keep_initializers_as_inputs). */
  keepInitializersAsInputs?: boolean;
  /**
   * 'auto' (default): external data only when the model would pass protobuf's 2 GiB limit;
   * 'always': large initializers always go to `<out>.data`; 'never': fail instead.
   */
  externalData?: 'auto' | 'always' | 'never';
  /**
   * The archive the model was read from. It is never overwritten, and archive tensors stored
   * contiguously are streamed straight from this file (their entries' byte ranges point into it).
   */
  archivePath?: string;
  /**
   * Awaited once everything before ModelProto's closing fields is written; it may still set the
   * model's `docString` and `metadataProps`, so what takes long to learn (the archive's digest)
   * overlaps the writing. Should the closing fields then change whether initializers go to
   * external data, the files are written again.
   */
  beforeTail?: () => Promise<void>;
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
const CHUNK_BYTES = 1 << 23;

const WIRE_LENGTH_DELIMITED = 2;
const MODEL_GRAPH_FIELD = 7;
const GRAPH_INITIALIZER_FIELD = 5;
const TENSOR_RAW_DATA_FIELD = 9;
/** TensorProto.DataLocation.EXTERNAL. */
const TENSOR_EXTERNAL_LOCATION = 1;

export async function writeModel(model: OnnxModel, outPath: string, options: WriteOptions = {}): Promise<WriteReport> {
  const archivePath = options.archivePath === undefined ? undefined : path.resolve(options.archivePath);
  await refuseInputAsOutput(outPath, archivePath);
  const output = resolveOutput(outPath);
  // What was streamed cannot be written again, so a stream waits for the closing fields.
  if (output.kind !== 'file') await options.beforeTail?.();
  const dataPath = `${output.path}.data`;
  const layout = planLayout(model, options, path.basename(dataPath));
  const archive = new ArchiveFile(archivePath);
  try {
    if (output.kind !== 'file') return streamModel(layout, encodeModelTail(model), output, archive);
    if (layout.externalBytes > 0) await refuseInputAsOutput(dataPath, archivePath);
    const report = await replaceFile(layout, model, options.beforeTail, output.path, dataPath, archive);
    if (report) return report;
  } finally {
    archive.close();
  }
  return writeModel(model, outPath, { ...options, beforeTail: undefined });
}

/** The closing fields changed the plan; the temporary files are gone and the model is written again. */
class PlanChanged extends Error {}

/**
 * Writes the model (and its external data) to temporary files, then renames them into place;
 * undefined when the closing fields `beforeTail` settles change the plan.
 */
async function replaceFile(
  layout: Layout,
  model: OnnxModel,
  beforeTail: (() => Promise<void>) | undefined,
  target: string,
  dataPath: string,
  archive: ArchiveFile,
): Promise<WriteReport | undefined> {
  const temporaries: string[] = [];
  try {
    let externalData: WriteReport['externalData'];
    let dataTemporary: string | undefined;
    if (layout.externalBytes > 0) {
      dataTemporary = temporaryName(dataPath);
      temporaries.push(dataTemporary);
      await writeCheckedFile(dataTemporary, dataPath, (sink) => {
        writeExternalData(layout, sink, archive);
        return layout.externalBytes;
      });
      externalData = { path: dataPath, bytes: layout.externalBytes, tensors: layout.initializers.filter((item) => item.external !== undefined).length };
    }
    const modelTemporary = temporaryName(target);
    temporaries.push(modelTemporary);
    let modelBytes = 0;
    await writeCheckedFile(modelTemporary, target, async (sink) => {
      writeModelBody(layout, sink, archive);
      await beforeTail?.();
      const tail = encodeModelTail(model);
      if (!samePlan(layout, tail.byteLength)) throw new PlanChanged();
      sink.write(tail);
      modelBytes = layout.bodyBytes + tail.byteLength;
      return modelBytes;
    });
    if (dataTemporary) await outputStep(dataPath, () => rename(dataTemporary, dataPath));
    await outputStep(target, () => rename(modelTemporary, target));
    return writeReport(layout, modelBytes, target, externalData);
  } catch (error) {
    await Promise.all(temporaries.map((file) => unlink(file).catch(() => undefined)));
    if (error instanceof PlanChanged) return undefined;
    throw error;
  }
}

/**
 * Writes the model straight into a FIFO, character device or standard output: there is nothing to
 * rename over. External data needs a real folder beside a real file, so it is refused up front.
 */
function streamModel(layout: Layout, tail: Uint8Array, output: Exclude<OutputTarget, { kind: 'file' }>, archive: ArchiveFile): WriteReport {
  const name = output.kind === 'stdout' ? 'standard output' : `${output.path} (${output.what})`;
  if (layout.externalBytes > 0) {
    fail('OUTPUT_UNWRITABLE', `cannot write ${name}: the model needs external data (${layout.externalBytes} bytes in a .data file beside the model), which needs a regular file in a folder`);
  }
  const fd = output.kind === 'stdout'
    ? STDOUT_FD
    // O_NOCTTY: a terminal named as the output must not become this process's controlling terminal.
    : outputSyscall(output.path, () => openSync(output.path, constants.O_WRONLY | constants.O_NOCTTY));
  try {
    const sink = new FileSink(fd, name);
    writeModelBody(layout, sink, archive);
    sink.write(tail);
    finishChecked(sink, name, layout.bodyBytes + tail.byteLength);
  } finally {
    if (fd !== STDOUT_FD) closeSync(fd);
  }
  return writeReport(layout, layout.bodyBytes + tail.byteLength, output.path, undefined);
}

function writeReport(layout: Layout, modelBytes: number, written: string, externalData: WriteReport['externalData']): WriteReport {
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

interface Layout {
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
function encodeModelTail(model: OnnxModel): Uint8Array {
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
function samePlan(layout: Layout, tailBytes: number): boolean {
  if (layout.inlineBodyBytes === undefined) return true;
  const inlineFits = layout.inlineBodyBytes + tailBytes <= MODEL_LIMIT;
  return layout.useExternal ? !inlineFits && layout.bodyBytes + tailBytes <= MODEL_LIMIT : inlineFits;
}

function planLayout(model: OnnxModel, options: WriteOptions, dataLocation: string): Layout {
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
function writeModelBody(layout: Layout, sink: FileSink, archive: ArchiveFile): void {
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

function writeExternalData(layout: Layout, sink: FileSink, archive: ArchiveFile): void {
  for (const item of layout.initializers) {
    if (item.external === undefined) continue;
    sink.zeros(item.external - sink.written);
    writeTensorData(item, sink, archive);
  }
}

function writeTensorData(item: InitializerLayout, sink: FileSink, archive: ArchiveFile): void {
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

function temporaryName(file: string): string {
  return `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/**
 * Writes `file` through `fill` and checks it got exactly the bytes `fill` says were planned. No
 * fsync: the rename that follows already keeps readers from ever seeing a partial file, and forcing
 * hundreds of MB to disk would dominate the conversion time (a plain copy does not do it either).
 */
async function writeCheckedFile(file: string, reportedPath: string, fill: (sink: FileSink) => number | Promise<number>): Promise<void> {
  const fd = await outputStep(reportedPath, async () => openSync(file, 'wx'));
  try {
    const sink = new FileSink(fd, reportedPath);
    finishChecked(sink, reportedPath, await fill(sink));
  } finally {
    closeSync(fd);
  }
}

function finishChecked(sink: FileSink, reportedPath: string, expectedBytes: number): void {
  sink.flush();
  if (sink.written !== expectedBytes) {
    fail('INTERNAL', `wrote ${sink.written} bytes to ${reportedPath}, the layout planned ${expectedBytes}`);
  }
}

/** Output failures become OUTPUT_UNWRITABLE with the OS reason; pipeline errors pass through. */
async function outputStep<T>(reportedPath: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof TsonnxError) throw error;
    return fail('OUTPUT_UNWRITABLE', `cannot write ${reportedPath}: ${systemReason(error)}`);
  }
}

/** Buffered sequential writes, so the many small protobuf pieces do not each cost a system call. */
class FileSink {
  /** How long to wait for a non-blocking reader (standard output as a pipe) to make room. */
  private static readonly FULL_PIPE_WAIT_MS = 2;
  written = 0;
  private readonly buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  private buffered = 0;
  private readonly pause = new Int32Array(new SharedArrayBuffer(4));

  constructor(private readonly fd: number, private readonly reportedPath: string) {}

  write(bytes: Uint8Array): void {
    if (this.buffered + bytes.byteLength > this.buffer.byteLength) this.flush();
    if (bytes.byteLength >= this.buffer.byteLength) {
      this.writeThrough(bytes);
    } else {
      this.buffer.set(bytes, this.buffered);
      this.buffered += bytes.byteLength;
    }
    this.written += bytes.byteLength;
  }

  /**
   * Writes `length` bytes that `fill` puts straight into the buffer, a buffer's worth at a time:
   * `fill(target, offset)` fills all of `target` with bytes `offset..` of the run.
   */
  fill(length: number, fill: (target: Uint8Array, offset: number) => void): void {
    for (let done = 0; done < length;) {
      if (this.buffered === this.buffer.byteLength) this.flush();
      const count = Math.min(length - done, this.buffer.byteLength - this.buffered);
      fill(this.buffer.subarray(this.buffered, this.buffered + count), done);
      this.buffered += count;
      this.written += count;
      done += count;
    }
  }

  zeros(count: number): void {
    for (let left = count; left > 0; left -= CHUNK_BYTES) this.write(new Uint8Array(Math.min(left, CHUNK_BYTES)));
  }

  flush(): void {
    if (this.buffered === 0) return;
    this.writeThrough(this.buffer.subarray(0, this.buffered));
    this.buffered = 0;
  }

  private writeThrough(bytes: Uint8Array): void {
    for (let offset = 0; offset < bytes.byteLength;) {
      try {
        offset += writeSync(this.fd, bytes, offset, bytes.byteLength - offset);
      } catch (error) {
        // Node makes a pipe on standard output non-blocking: a full pipe is a wait, not a failure.
        if ((error as NodeJS.ErrnoException).code === 'EAGAIN') Atomics.wait(this.pause, 0, 0, FileSink.FULL_PIPE_WAIT_MS);
        else fail('OUTPUT_UNWRITABLE', `cannot write ${this.reportedPath}: ${systemReason(error)}`);
      }
    }
  }
}

/** Positional reads from the archive file, into one reused chunk buffer. */
class ArchiveFile {
  private fd?: number;
  private readonly chunk = Buffer.allocUnsafe(CHUNK_BYTES);

  constructor(private readonly file: string | undefined) {}

  get available(): boolean {
    return this.file !== undefined;
  }

  /** `length` bytes at `position`; valid until the next read. */
  read(position: number, length: number): Uint8Array {
    const bytes = this.chunk.subarray(0, length);
    this.readInto(position, bytes);
    return bytes;
  }

  /** Fills `target` with the bytes at `position`. */
  readInto(position: number, target: Uint8Array): void {
    const file = this.file!;
    try {
      this.fd ??= openSync(file, 'r');
      for (let filled = 0; filled < target.byteLength;) {
        const bytesRead = readSync(this.fd, target, filled, target.byteLength - filled, position + filled);
        if (bytesRead === 0) fail('INPUT_UNREADABLE', `${file} ended at byte ${position + filled} inside a tensor`);
        filled += bytesRead;
      }
    } catch (error) {
      if (error instanceof TsonnxError) throw error;
      fail('INPUT_UNREADABLE', `cannot read ${file}: ${systemReason(error)}`);
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
  }
}
