/**
 * Zip container of TorchScript archives (torchscript-format.md §2.2–2.3). yauzl reads the central
 * directory (it handles the ZIP64 records PyTorch always writes); entry data is then read
 * synchronously from our own file descriptor, so later stages can pull tensor bytes on demand.
 */
import fs from 'node:fs';
import zlib from 'node:zlib';
import yauzl from 'yauzl';
import { fail, TsonnxError } from '../errors.js';
import type { ArchiveEntry } from './types.js';

const LOCAL_HEADER_SIGNATURE = 0x04034b50;
const LOCAL_HEADER_SIZE = 30;
const METHOD_STORED = 0;
const METHOD_DEFLATED = 8;
const FLAG_ENCRYPTED = 0x1;

export interface ZipArchive {
  readonly path: string;
  /** Longest common leading directory of all entries, without trailing slash ('' when none). */
  readonly root: string;
  /** Entries by name relative to the root; directory entries are left out. */
  readonly entries: ReadonlyMap<string, ArchiveEntry>;
  close(): void;
}

/** The open file behind entries; reads fail cleanly once the archive is closed. */
class ZipSource {
  private fd: number | undefined;

  constructor(
    readonly path: string,
    fd: number,
    readonly fileSize: number,
  ) {
    this.fd = fd;
  }

  /** Exactly `length` bytes at `position`, or ARCHIVE_CORRUPT when the file is shorter. */
  read(position: number, length: number, what: string): Buffer {
    if (this.fd === undefined) fail('INTERNAL', `${this.path}: archive is closed, cannot read ${what}`);
    if (position < 0 || length < 0 || position + length > this.fileSize) {
      fail('ARCHIVE_CORRUPT', `${this.path}: ${what} lies outside the file (bytes ${position}..${position + length} of ${this.fileSize})`);
    }
    // Every byte is read below (or the read fails), so no zero fill first; not from the shared
    // pool either, so the bytes own their ArrayBuffer from offset 0.
    const buffer = Buffer.allocUnsafeSlow(length);
    let done = 0;
    while (done < length) {
      const n = fs.readSync(this.fd, buffer, done, length - done, position + done);
      if (n === 0) fail('ARCHIVE_CORRUPT', `${this.path}: unexpected end of file while reading ${what}`);
      done += n;
    }
    return buffer;
  }

  close(): void {
    if (this.fd === undefined) return;
    fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

interface EntryLocation {
  readonly source: ZipSource;
  readonly dataStart: number;
  readonly compressedSize: number;
  readonly method: number;
}

class ZipEntry implements ArchiveEntry {
  readonly fileRange?: { start: number; end: number };

  constructor(
    readonly name: string,
    readonly size: number,
    /** Where the data sits, for ranged reads of stored entries (readEntryRange). */
    readonly location: EntryLocation,
  ) {
    if (location.method === METHOD_STORED) {
      this.fileRange = { start: location.dataStart, end: location.dataStart + size };
    }
  }

  read(): Buffer {
    const { source, dataStart, compressedSize, method } = this.location;
    const raw = source.read(dataStart, compressedSize, `entry '${this.name}'`);
    if (method === METHOD_STORED) return raw;
    let inflated: Buffer;
    try {
      inflated = zlib.inflateRawSync(raw, { maxOutputLength: Math.max(this.size, 1) });
    } catch (error) {
      fail('ARCHIVE_CORRUPT', `${source.path}: entry '${this.name}' does not inflate (${(error as Error).message})`);
    }
    if (inflated.length !== this.size) {
      fail('ARCHIVE_CORRUPT', `${source.path}: entry '${this.name}' inflates to ${inflated.length} bytes, the directory says ${this.size}`);
    }
    return inflated;
  }
}

/**
 * Bytes `[start, start + length)` of an entry's data, reading only that range when the entry is
 * stored. Used to fetch one tensor out of a storage shared by many.
 */
export function readEntryRange(entry: ArchiveEntry, start: number, length: number): Buffer {
  if (start < 0 || length < 0 || start + length > entry.size) {
    fail('ARCHIVE_CORRUPT', `entry '${entry.name}' holds ${entry.size} bytes, cannot read bytes ${start}..${start + length}`);
  }
  if (entry instanceof ZipEntry && entry.location.method === METHOD_STORED) {
    const { source, dataStart } = entry.location;
    return source.read(dataStart + start, length, `entry '${entry.name}'`);
  }
  return entry.read().subarray(start, start + length);
}

/** Reads the central directory with yauzl; data reads go through `fd` afterwards. */
function readCentralDirectory(fd: number): Promise<yauzl.Entry[]> {
  return new Promise((resolve, reject) => {
    yauzl.fromFd(fd, { lazyEntries: true, autoClose: false, decodeStrings: true, validateEntrySizes: true }, (error, zip) => {
      if (error || !zip) return reject(error ?? new Error('no zip file'));
      const entries: yauzl.Entry[] = [];
      zip.on('entry', (entry: yauzl.Entry) => {
        entries.push(entry);
        zip.readEntry();
      });
      zip.on('end', () => resolve(entries));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

/** Netron's rule: strip the directories every entry shares, so re-zipped archives still open. */
function commonRoot(names: string[]): string {
  if (names.length === 0) return '';
  let parts = names[0].split('/').slice(0, -1);
  for (const name of names.slice(1)) {
    const dirs = name.split('/').slice(0, -1);
    let shared = 0;
    while (shared < parts.length && shared < dirs.length && parts[shared] === dirs[shared]) shared++;
    parts = parts.slice(0, shared);
    if (parts.length === 0) break;
  }
  return parts.join('/');
}

function locateData(source: ZipSource, entry: yauzl.Entry): EntryLocation {
  const name = entry.fileName;
  if (entry.generalPurposeBitFlag & FLAG_ENCRYPTED) fail('ARCHIVE_UNSUPPORTED', `${source.path}: entry '${name}' is encrypted`);
  if (entry.compressionMethod !== METHOD_STORED && entry.compressionMethod !== METHOD_DEFLATED) {
    fail('ARCHIVE_UNSUPPORTED', `${source.path}: entry '${name}' uses zip compression method ${entry.compressionMethod} (only stored and deflated are supported)`);
  }
  // Local sizes and CRC are zero in PyTorch's zips; only the name and extra lengths matter here.
  const header = source.read(entry.relativeOffsetOfLocalHeader, LOCAL_HEADER_SIZE, `local header of '${name}'`);
  if (header.readUInt32LE(0) !== LOCAL_HEADER_SIGNATURE) {
    fail('ARCHIVE_CORRUPT', `${source.path}: bad local header signature for entry '${name}' at byte ${entry.relativeOffsetOfLocalHeader}`);
  }
  const dataStart = entry.relativeOffsetOfLocalHeader + LOCAL_HEADER_SIZE + header.readUInt16LE(26) + header.readUInt16LE(28);
  if (dataStart + entry.compressedSize > source.fileSize) {
    fail('ARCHIVE_CORRUPT', `${source.path}: entry '${name}' (${entry.compressedSize} bytes at ${dataStart}) runs past the end of the file (${source.fileSize} bytes); the archive is truncated`);
  }
  return { source, dataStart, compressedSize: entry.compressedSize, method: entry.compressionMethod };
}

function describeOpenError(path: string, error: Error, startsLikeZip: boolean): TsonnxError {
  const message = error.message;
  if (/end of central directory record signature not found/i.test(message)) {
    return startsLikeZip
      ? new TsonnxError('ARCHIVE_CORRUPT', `${path}: zip end-of-central-directory record not found; the archive is truncated or damaged`)
      : new TsonnxError('ARCHIVE_NOT_ZIP', `${path}: not a zip file (a TorchScript archive from torch.jit.save is a zip)`);
  }
  return new TsonnxError('ARCHIVE_CORRUPT', `${path}: damaged zip central directory (${message})`);
}

/** First bytes of a file (fewer when it is shorter). */
export function readFileStart(path: string, length: number): Buffer {
  const fd = fs.openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const n = fs.readSync(fd, buffer, 0, length, 0);
    return buffer.subarray(0, n);
  } finally {
    fs.closeSync(fd);
  }
}

/** Opens a zip read-only. The caller owns the result and must `close()` it. */
export async function openZip(path: string): Promise<ZipArchive> {
  const fd = fs.openSync(path, 'r');
  const source = new ZipSource(path, fd, fs.fstatSync(fd).size);
  try {
    let rawEntries: yauzl.Entry[];
    try {
      rawEntries = await readCentralDirectory(fd);
    } catch (error) {
      const start = source.read(0, Math.min(4, source.fileSize), 'file signature');
      const startsLikeZip = start.length === 4 && start.readUInt32LE(0) === LOCAL_HEADER_SIGNATURE;
      throw describeOpenError(path, error as Error, startsLikeZip);
    }
    const files = rawEntries.filter((entry) => !entry.fileName.endsWith('/'));
    const root = commonRoot(files.map((entry) => entry.fileName));
    const prefix = root === '' ? 0 : root.length + 1;
    const entries = new Map<string, ArchiveEntry>();
    for (const raw of files) {
      const location = locateData(source, raw);
      const entry = new ZipEntry(raw.fileName.slice(prefix), raw.uncompressedSize, location);
      entries.set(entry.name, entry);
    }
    return { path, root, entries, close: () => source.close() };
  } catch (error) {
    source.close();
    throw error;
  }
}
