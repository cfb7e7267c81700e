/** The page's sinks' common part, and the one that keeps bytes as Blob parts. */
import { fail } from '../src/errors.js';
import { CHUNK_BYTES, type ByteSink } from '../src/onnx/model-stream.js';

/** Buffered sequential writes, so the many small protobuf pieces do not each cost a call. */
export abstract class BufferedSink implements ByteSink {
  /** 'disk': a file of the origin-private file system; 'memory': Blob parts. */
  abstract readonly storage: 'disk' | 'memory';
  written = 0;
  private readonly buffer = new Uint8Array(CHUNK_BYTES);
  private buffered = 0;

  write(bytes: Uint8Array): void {
    if (this.buffered + bytes.byteLength > this.buffer.byteLength) this.flush();
    if (bytes.byteLength >= this.buffer.byteLength) this.store(bytes);
    else {
      this.buffer.set(bytes, this.buffered);
      this.buffered += bytes.byteLength;
    }
    this.written += bytes.byteLength;
  }

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

  /** Everything written, as a Blob; OUTPUT_UNWRITABLE when the browser kept fewer bytes. */
  async finish(name: string): Promise<Blob> {
    this.flush();
    const blob = await this.close();
    if (blob.size !== this.written) {
      fail('OUTPUT_UNWRITABLE', `cannot write ${name}: the browser kept ${blob.size} of its ${this.written} bytes (out of storage?)`);
    }
    return blob;
  }

  private flush(): void {
    if (this.buffered === 0) return;
    this.store(this.buffer.subarray(0, this.buffered));
    this.buffered = 0;
  }

  /** Keeps `bytes`, which the caller reuses afterwards. */
  protected abstract store(bytes: Uint8Array): void;
  protected abstract close(): Promise<Blob>;
}

/** Blob parts: where the origin-private file system is missing (and in Node, for tests). */
export class MemorySink extends BufferedSink {
  readonly storage = 'memory';
  private readonly parts: Blob[] = [];

  protected store(bytes: Uint8Array): void {
    this.parts.push(new Blob([bytes.slice()]));
  }

  protected async close(): Promise<Blob> {
    return new Blob(this.parts, { type: 'application/octet-stream' });
  }
}

export type ModelSink = BufferedSink;
