/**
 * The ONNX writer for files: model-stream.ts's bytes, streamed from the archive file into the output.
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
import { fail, TsonnxError } from '../errors.js';
import type { OnnxModel } from '../ir/onnx-graph.js';
import {
  CHUNK_BYTES,
  encodeModelTail,
  planLayout,
  samePlan,
  writeExternalData,
  writeModelBody,
  writeReport,
  type ArchiveReader,
  type ByteSink,
  type Layout,
  type LayoutOptions,
  type WriteReport,
} from './model-stream.js';
import { outputSyscall, refuseInputAsOutput, resolveOutput, STDOUT_FD, systemReason, type OutputTarget } from './output-target.js';

export { refuseInputAsOutput, resolveOutput, STDOUT_PATH, type OutputTarget } from './output-target.js';
export type { WriteReport } from './model-stream.js';

export interface WriteOptions extends LayoutOptions {
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
class FileSink implements ByteSink {
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
class ArchiveFile implements ArchiveReader {
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
