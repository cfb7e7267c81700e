/**
 * The page's converter, in a Web Worker so the page stays responsive: the same pipeline as the
 * command line (src/pipeline.ts), reading the dropped file through a BlobSource and writing the
 * model through write-model.ts into the origin-private file system (sinks.ts).
 */
import { openArchiveSource } from '../src/archive/open.js';
import { TsonnxError } from '../src/errors.js';
import { formatInspectReport, inspectArchive } from '../src/inspect-archive.js';
import { buildModel, conversionReport, describeModel, planConversion, StageClock } from '../src/pipeline.js';
import { BlobSource } from './blob-source.js';
import type { PageRequest, WorkerConvertOptions, WorkerReply } from './protocol.js';
import { SinkFolder } from './sinks.js';
import { SourceReader, writeModelFiles } from './write-model.js';

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
    const sha256 = await bytes.sha256();
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
