/**
 * The page's model files: model-stream.ts's bytes into sinks, laid out as writer.ts lays out a file,
 * with the tensors read from the archive's byte source.
 */
import type { ByteSource } from '../src/archive/byte-source.js';
import { fail } from '../src/errors.js';
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
import type { OutputFile } from './protocol.js';
import type { ModelSink } from './buffered-sink.js';

/** Makes the sink for each output file. */
export interface SinkMaker {
  sink(name: string): Promise<ModelSink>;
}

/**
 * The model (and its external data, beside it as `<name>.data`, when the model would pass protobuf's
 * 2 GiB limit, or always with `externalData: 'always'`): the provenance is already known here, so
 * the plan is final from the start.
 */
export async function writeModelFiles(
  model: OnnxModel,
  name: string,
  folder: SinkMaker,
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
    data = { name: dataName, blob: await sink.finish(dataName) };
    externalData = { path: dataName, bytes: layout.externalBytes, tensors: layout.initializers.filter((item) => item.external !== undefined).length };
  }
  const sink = await folder.sink(name);
  sinks.push(sink);
  writeModelBody(layout, sink, archive);
  const tail = encodeModelTail(model);
  sink.write(tail);
  checkWritten(sink, name, layout.bodyBytes + tail.byteLength);
  const modelFile = { name, blob: await sink.finish(name) };
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
export class SourceReader implements ArchiveReader {
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
