/**
 * A dropped or picked `File` as the pipeline's `ByteSource`, in a Web Worker: `FileReaderSync` reads
 * a `slice` of it synchronously, so only the ranges the pipeline asks for are ever in memory.
 * Deflated entries (torch writes stored ones; re-zipped archives deflate) inflate in inflate.ts.
 */
import type { ByteSource } from '../src/archive/byte-source.js';
import { inflateRawWithin } from './inflate.js';
import { Sha256 } from './sha256.js';

/** One read at most: what a browser's ArrayBuffer reliably holds. */
const BROWSER_MAX_READ = 2 ** 31 - 1;

export class BlobSource implements ByteSource {
  private readonly reader = new FileReaderSync();
  private closed = false;
  readonly name: string;
  readonly size: number;
  readonly maxReadBytes = BROWSER_MAX_READ;

  constructor(private readonly file: File) {
    this.name = file.name;
    this.size = file.size;
  }

  readAt(position: number, target: Uint8Array): number {
    if (this.closed) throw new Error(`${this.name} is closed`);
    const end = Math.min(this.size, position + target.byteLength);
    if (position >= end) return 0;
    const bytes = new Uint8Array(this.reader.readAsArrayBuffer(this.file.slice(position, end)));
    target.set(bytes);
    return bytes.byteLength;
  }

  inflateRaw(compressed: Uint8Array, maxOutputLength: number): Uint8Array {
    return inflateRawWithin(compressed, maxOutputLength);
  }

  /** SHA-256 of the whole file, streamed: the browser hands over small chunks, none kept. */
  async sha256(): Promise<string> {
    const hash = new Sha256();
    const reader = this.file.stream().getReader();
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) hash.update(chunk.value);
    return hash.hex();
  }

  close(): void {
    this.closed = true;
  }
}
