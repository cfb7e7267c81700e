/**
 * Where the page's worker writes a model: a file in the origin-private file system through a
 * synchronous access handle (on disk, so memory stays bounded whatever the model's size), or, where
 * that is missing, Blob parts. Either way the bytes come back as a Blob the page offers for download.
 */
import { fail } from '../src/errors.js';
import { BufferedSink, MemorySink, type ModelSink } from './buffered-sink.js';

class OpfsSink extends BufferedSink {
  readonly storage = 'disk';
  private position = 0;

  constructor(private readonly handle: FileSystemFileHandle, private readonly access: FileSystemSyncAccessHandle) {
    super();
  }

  protected store(bytes: Uint8Array): void {
    for (let done = 0; done < bytes.byteLength;) {
      const written = this.storageStep(() => this.access.write(bytes.subarray(done), { at: this.position + done }));
      if (written <= 0) fail('OUTPUT_UNWRITABLE', `cannot write ${this.handle.name}: the browser's storage took no more bytes at ${this.position + done} (out of storage?)`);
      done += written;
    }
    this.position += bytes.byteLength;
  }

  protected async close(): Promise<Blob> {
    this.storageStep(() => this.access.flush());
    this.access.close();
    return this.handle.getFile();
  }

  /** The storage's refusals (a full quota) are OUTPUT_UNWRITABLE with the browser's reason. */
  private storageStep<T>(step: () => T): T {
    try {
      return step();
    } catch (error) {
      return fail('OUTPUT_UNWRITABLE', `cannot write ${this.handle.name}: ${(error as Error).message}`);
    }
  }
}

/**
 * The files one conversion writes, named in the origin-private folder `tsonnx/`; files of the
 * previous conversion there are removed first, so the folder holds at most one model.
 */
export class SinkFolder {
  private constructor(private readonly folder: FileSystemDirectoryHandle | undefined) {}

  static async open(): Promise<SinkFolder> {
    try {
      const root = await navigator.storage.getDirectory();
      await root.removeEntry('tsonnx', { recursive: true }).catch(() => undefined);
      return new SinkFolder(await root.getDirectoryHandle('tsonnx', { create: true }));
    } catch {
      return new SinkFolder(undefined);
    }
  }

  async sink(name: string): Promise<ModelSink> {
    if (this.folder) {
      try {
        const handle = await this.folder.getFileHandle(name, { create: true });
        return new OpfsSink(handle, await handle.createSyncAccessHandle());
      } catch {
        // No synchronous access here (an old browser): keep the bytes in memory instead.
      }
    }
    return new MemorySink();
  }
}
