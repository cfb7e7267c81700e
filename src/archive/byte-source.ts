/**
 * Where an archive's bytes come from, for every platform: a file descriptor in Node
 * (`file-source.ts`), a `File` read with `FileReaderSync` in a browser worker (web/). Reads are
 * synchronous and random-access, so the pipeline pulls entries and tensor bytes on demand and never
 * holds the whole archive.
 */
export interface ByteSource {
  /** What messages call the archive: the path given in Node, the file's name in a page. */
  readonly name: string;
  /** Bytes in the archive. */
  readonly size: number;
  /** Most bytes one read may allocate on this machine (ARCHIVE_LIMIT beyond). */
  readonly maxReadBytes: number;
  /** Reads up to `target.byteLength` bytes at `position` into `target`: how many it read, 0 at the end. */
  readAt(position: number, target: Uint8Array): number;
  /**
   * Inflates a raw deflate stream, producing at most `maxOutputLength` bytes: more throws an error
   * whose `code` is `ERR_BUFFER_TOO_LARGE` (as Node's zlib does), a damaged stream any other error.
   */
  inflateRaw(compressed: Uint8Array, maxOutputLength: number): Uint8Array;
  /** Releases the file; later reads fail. Closing twice is allowed. */
  close(): void;
}
