/**
 * The page's converter, in a Web Worker so the page stays responsive: the same pipeline as the
 * command line (src/pipeline.ts), reading the dropped file through a BlobSource and writing the
 * model through model-stream.ts into a sink (sinks.ts).
 */
import { openArchiveSource } from '../src/archive/open.js';
import type { ByteSource } from '../src/archive/byte-source.js';
import { fail, TsonnxError } from '../src/errors.js';
import { formatInspectReport, inspectArchive } from '../src/inspect-archive.js';
import type { OnnxModel } from '../src/ir/onnx-graph.js';
import {
  CHUNK_BYTES,
  encodeModelTail,
  planLayout,
  writeExternalData,
  writeModelBody,
  writeReport,
  type ArchiveReader,
  type LayoutOptions,
  type WriteReport,
} from '../src/onnx/model-stream.js';
import { buildModel, conversionReport, describeModel, planConversion, StageClock } from '../src/pipeline.js';
import { BlobSource } from './blob-source.js';
import type { OutputFile, PageRequest, WorkerConvertOptions, WorkerReply } from './protocol.js';
import { SinkFolder, type ModelSink } from './sinks.js';

declare const __TSONNX_VERSION__: string;
const VERSION = __TSONNX_VERSION__;

const post = (reply: WorkerReply): void => self.postMessage(reply);

self.onmessage = async (event: MessageEvent<PageRequest>) => {
  const request = event.data;
  try {
    if (request.type === 'inspect') await inspectFile(request.file, request.opset);
    else await convertFile(request.file, request.options);
  } catch (error) {
    post(failure(error));
  }
};

/** The error as the command line prints it: `tsonnx: CODE: message`, one line. */
function failure(error: unknown): WorkerReply {
  if (error instanceof TsonnxError) return { type: 'failed', code: error.code, line: `tsonnx: ${error.format()}` };
  const message = error instanceof Error ? error.message : String(error);
  return { type: 'failed', code: 'INTERNAL', line: `tsonnx: internal error: ${message.split('\n')[0]}` };
}

async function inspectFile(file: File, opset: number | undefined): Promise<void> {
  const archive = await openArchiveSource(new BlobSource(file));
  try {
    const report = inspectArchive(archive, { opset });
    post({ type: 'inspected', report, text: formatInspectReport(report) });
  } finally {
    archive.close();
  }
}

/** `model.pt` → `model.onnx`, as `tsonnx inspect` suggests. */
function outputName(archiveName: string): string {
  return `${archiveName.replace(/\.[^.]*$/, '')}.onnx`;
}

async function convertFile(file: File, options: WorkerConvertOptions): Promise<void> {
  const plan = planConversion(options);
  const clock: StageClock = new StageClock((stage) => post({ type: 'stage', stage, seconds: { ...clock.seconds } }));
  clock.start('archive');
  const archive = await openArchiveSource(new BlobSource(file));
  try {
    clock.lap('archive', 'trace');
    const { model, warnings } = buildModel(archive, options, plan, clock, VERSION);
    const bytes = new BlobSource(file);
    const sha256 = bytes.sha256();
    describeModel(model, { name: file.name, sha256 }, options, plan.resolved, VERSION);
    const folder = await SinkFolder.open();
    const { write, model: modelFile, data, storage } = await writeModelFiles(model, outputName(file.name), folder, new SourceReader(bytes), {
      docStrings: options.verbose,
      keepInitializersAsInputs: plan.resolved.keepInitializersAsInputs,
    });
    clock.lap('write');
    const report = conversionReport(model, plan, write, { path: file.name, sha256 }, warnings, clock.seconds, options.verbose);
    post({ type: 'converted', report, model: modelFile, data, storage });
  } catch (error) {
    throw error instanceof TsonnxError ? error.settled() : error;
  } finally {
    archive.close();
  }
}

/**
 * The model (and its external data, beside it as `<name>.data`, when the model would pass protobuf's
 * 2 GiB limit), laid out as writer.ts lays out a file: the provenance is already known here, so the
 * plan is final from the start.
 */
async function writeModelFiles(
  model: OnnxModel,
  name: string,
  folder: SinkFolder,
  archive: ArchiveReader,
  options: LayoutOptions,
): Promise<{ write: WriteReport; model: OutputFile; data?: OutputFile; storage: 'disk' | 'memory' }> {
  const dataName = `${name}.data`;
  const layout = planLayout(model, options, dataName);
  const sinks: ModelSink[] = [];
  let data: OutputFile | undefined;
  let externalData: WriteReport['externalData'];
  if (layout.externalBytes > 0) {
    const sink = await folder.sink(dataName);
    sinks.push(sink);
    writeExternalData(layout, sink, archive);
    checkWritten(sink, dataName, layout.externalBytes);
    data = { name: dataName, blob: await sink.finish() };
    externalData = { path: dataName, bytes: layout.externalBytes, tensors: layout.initializers.filter((item) => item.external !== undefined).length };
  }
  const sink = await folder.sink(name);
  sinks.push(sink);
  writeModelBody(layout, sink, archive);
  const tail = encodeModelTail(model);
  sink.write(tail);
  checkWritten(sink, name, layout.bodyBytes + tail.byteLength);
  const modelFile = { name, blob: await sink.finish() };
  return {
    write: writeReport(layout, sink.written, name, externalData),
    model: modelFile,
    data,
    storage: sinks.every((s) => s.storage === 'disk') ? 'disk' : 'memory',
  };
}

function checkWritten(sink: ModelSink, name: string, planned: number): void {
  if (sink.written !== planned) fail('INTERNAL', `wrote ${sink.written} bytes to ${name}, the layout planned ${planned}`);
}

/** Tensor bytes read from the archive's source, one reused chunk for conversions. */
class SourceReader implements ArchiveReader {
  readonly available = true;
  private readonly chunk = new Uint8Array(CHUNK_BYTES);

  constructor(private readonly source: ByteSource) {}

  read(position: number, length: number): Uint8Array {
    const bytes = this.chunk.subarray(0, length);
    this.readInto(position, bytes);
    return bytes;
  }

  readInto(position: number, target: Uint8Array): void {
    for (let filled = 0; filled < target.byteLength;) {
      const n = this.source.readAt(position + filled, target.subarray(filled));
      if (n === 0) fail('INPUT_UNREADABLE', `${this.source.name} ended at byte ${position + filled} inside a tensor`);
      filled += n;
    }
  }
}
