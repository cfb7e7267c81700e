/**
 * Zip container of TorchScript archives (docs/torchscript-format.md §2.2–2.3). The central directory
 * (with the ZIP64 records PyTorch always writes) is read here, every offset and size checked
 * against the file before it is used; entry data is then read synchronously from the archive's
 * byte source (byte-source.ts), so later stages can pull tensor bytes on demand.
 */
import { fail, TsonnxError } from '../errors.js';
import type { ByteSource } from './byte-source.js';
import { MAX_CENTRAL_DIRECTORY_BYTES, MAX_DEFLATE_RATIO, MAX_ZIP_ENTRIES, maxDeflatedSize } from './limits.js';
import type { ArchiveEntry } from './types.js';

const LOCAL_HEADER_SIGNATURE = 0x04034b50;
const LOCAL_HEADER_SIZE = 30;
const CENTRAL_HEADER_SIGNATURE = 0x02014b50;
const CENTRAL_HEADER_SIZE = 46;
const END_SIGNATURE = 0x06054b50;
const END_SIZE = 22;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_LOCATOR_SIZE = 20;
const ZIP64_END_SIGNATURE = 0x06064b50;
const ZIP64_END_SIZE = 56;
const ZIP64_EXTRA_FIELD = 0x0001;
const MAX_COMMENT_SIZE = 0xffff;
/** A 32-bit (16-bit for counts) field holding this value defers to the ZIP64 record. */
const SATURATED_32 = 0xffffffff;
const SATURATED_16 = 0xffff;
const METHOD_STORED = 0;
const METHOD_DEFLATED = 8;
const FLAG_ENCRYPTED = 0x1;
const FLAG_UTF8_NAME = 0x800;

export interface ZipArchive {
  readonly path: string;
  /** Longest common leading directory of all entries, without trailing slash ('' when none). */
  readonly root: string;
  /** Entries by name relative to the root; directory entries are left out. */
  readonly entries: ReadonlyMap<string, ArchiveEntry>;
  close(): void;
}

/** Refuses a buffer larger than this machine should allocate for one read (`limit`: the source's maxReadBytes). */
export function checkAllocation(where: string, bytes: number, what: string, limit: number): void {
  if (bytes > limit) fail('ARCHIVE_LIMIT', `${where}: ${what} needs ${bytes} bytes in memory, more than the ${limit} one read may take (half of this machine's memory)`);
}

/** The byte source behind entries, with bounds checks; reads fail cleanly once the archive is closed. */
class ZipSource {
  private bytes: ByteSource | undefined;
  readonly path: string;
  readonly fileSize: number;
  readonly memoryLimit: number;

  constructor(bytes: ByteSource) {
    this.bytes = bytes;
    this.path = bytes.name;
    this.fileSize = bytes.size;
    this.memoryLimit = bytes.maxReadBytes;
  }

  /** Whether `[position, position + length)` lies inside the file (false for NaN and negatives too). */
  contains(position: number, length: number): boolean {
    return position >= 0 && length >= 0 && position + length <= this.fileSize;
  }

  /** Exactly `length` bytes at `position`, or ARCHIVE_CORRUPT when the file is shorter. */
  read(position: number, length: number, what: string): Buffer {
    if (!this.contains(position, length)) {
      fail('ARCHIVE_CORRUPT', `${this.path}: ${what} lies outside the file (bytes ${position}..${position + length} of ${this.fileSize})`);
    }
    checkAllocation(this.path, length, what, this.memoryLimit);
    // Every byte is read below (or the read fails), so no zero fill first; not from the shared
    // pool either, so the bytes own their ArrayBuffer from offset 0.
    const buffer = Buffer.allocUnsafeSlow(length);
    this.readInto(position, buffer, what);
    return buffer;
  }

  /** Fills `target` with the bytes at `position`, or ARCHIVE_CORRUPT when the file is shorter. */
  readInto(position: number, target: Uint8Array, what: string): void {
    const bytes = this.bytes;
    if (bytes === undefined) fail('INTERNAL', `${this.path}: archive is closed, cannot read ${what}`);
    const length = target.byteLength;
    if (!this.contains(position, length)) {
      fail('ARCHIVE_CORRUPT', `${this.path}: ${what} lies outside the file (bytes ${position}..${position + length} of ${this.fileSize})`);
    }
    let done = 0;
    while (done < length) {
      const n = bytes.readAt(position + done, target.subarray(done));
      if (n === 0) fail('ARCHIVE_CORRUPT', `${this.path}: unexpected end of file while reading ${what}`);
      done += n;
    }
  }

  inflateRaw(compressed: Uint8Array, maxOutputLength: number): Uint8Array {
    return this.bytes!.inflateRaw(compressed, maxOutputLength);
  }

  close(): void {
    if (this.bytes === undefined) return;
    this.bytes.close();
    this.bytes = undefined;
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
    checkAllocation(source.path, this.size, `entry '${this.name}'`, source.memoryLimit);
    const raw = source.read(dataStart, compressedSize, `entry '${this.name}'`);
    if (method === METHOD_STORED) return raw;
    let inflated: Uint8Array;
    try {
      // The declared size bounds the output: a stream that wants to produce more stops here.
      inflated = source.inflateRaw(raw, Math.max(this.size, 1));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        fail('ARCHIVE_CORRUPT', `${source.path}: entry '${this.name}' inflates to more than the ${this.size} bytes the directory declares`);
      }
      fail('ARCHIVE_CORRUPT', `${source.path}: entry '${this.name}' does not inflate (${(error as Error).message})`);
    }
    if (inflated.length !== this.size) {
      fail('ARCHIVE_CORRUPT', `${source.path}: entry '${this.name}' inflates to ${inflated.length} bytes, the directory says ${this.size}`);
    }
    return Buffer.from(inflated.buffer, inflated.byteOffset, inflated.byteLength);
  }
}

/**
 * Most bytes one read of `entry` may allocate: its archive source's limit. Entries not read from a zip
 * (the empty records of skipped storages) hold no bytes, and reading past them fails anyway.
 */
export function entryReadLimit(entry: ArchiveEntry): number {
  return entry instanceof ZipEntry ? entry.location.source.memoryLimit : Number.POSITIVE_INFINITY;
}

/**
 * Bytes `[start, start + length)` of an entry's data, reading only that range when the entry is
 * stored. Used to fetch one tensor out of a storage shared by many.
 */
export function readEntryRange(entry: ArchiveEntry, start: number, length: number): Buffer {
  if (!(start >= 0 && length >= 0 && start + length <= entry.size)) {
    fail('ARCHIVE_CORRUPT', `entry '${entry.name}' holds ${entry.size} bytes, cannot read bytes ${start}..${start + length}`);
  }
  if (entry instanceof ZipEntry && entry.location.method === METHOD_STORED) {
    const { source, dataStart } = entry.location;
    return source.read(dataStart + start, length, `entry '${entry.name}'`);
  }
  return entry.read().subarray(start, start + length);
}

/**
 * Bytes `[start, start + target.byteLength)` of an entry's data, into `target`: a caller that reads
 * many tensors one after another reuses one buffer instead of touching fresh memory for each.
 */
export function readEntryRangeInto(entry: ArchiveEntry, start: number, target: Uint8Array): void {
  const length = target.byteLength;
  if (!(start >= 0 && start + length <= entry.size)) {
    fail('ARCHIVE_CORRUPT', `entry '${entry.name}' holds ${entry.size} bytes, cannot read bytes ${start}..${start + length}`);
  }
  if (entry instanceof ZipEntry && entry.location.method === METHOD_STORED) {
    const { source, dataStart } = entry.location;
    source.readInto(dataStart + start, target, `entry '${entry.name}'`);
    return;
  }
  target.set(entry.read().subarray(start, start + length));
}

/** One central directory record, its 64-bit fields already merged in. */
interface DirectoryRecord {
  readonly name: string;
  readonly flags: number;
  readonly method: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  readonly localHeaderOffset: number;
}

interface DirectoryExtent {
  readonly count: number;
  readonly offset: number;
  readonly size: number;
}

/** A ZIP64 value as a number; beyond 2^53 it is inexact, which only matters once it passed the bounds checks it cannot pass. */
function uint64(buffer: Buffer, at: number): number {
  return Number(buffer.readBigUInt64LE(at));
}

/**
 * Where the central directory is and how many records it holds, from the (ZIP64) end record;
 * undefined when there is no end record at all.
 */
function findDirectory(source: ZipSource): DirectoryExtent | undefined {
  const { path, fileSize } = source;
  const tailLength = Math.min(fileSize, ZIP64_LOCATOR_SIZE + END_SIZE + MAX_COMMENT_SIZE);
  const tailStart = fileSize - tailLength;
  const tail = source.read(tailStart, tailLength, 'end of central directory');
  let end = -1;
  for (let at = tail.length - END_SIZE; at >= 0; at--) {
    // A signature inside the comment is not the record unless its comment length fits.
    if (tail.readUInt32LE(at) === END_SIGNATURE && at + END_SIZE + tail.readUInt16LE(at + 20) <= tail.length) {
      end = at;
      break;
    }
  }
  if (end < 0) return undefined;
  let disk = tail.readUInt16LE(end + 4);
  let count = tail.readUInt16LE(end + 10);
  let size = tail.readUInt32LE(end + 12);
  let offset = tail.readUInt32LE(end + 16);
  const locator = end - ZIP64_LOCATOR_SIZE;
  if (locator >= 0 && tail.readUInt32LE(locator) === ZIP64_LOCATOR_SIGNATURE) {
    const zip64Offset = uint64(tail, locator + 8);
    if (zip64Offset + ZIP64_END_SIZE > tailStart + locator) {
      fail('ARCHIVE_CORRUPT', `${path}: ZIP64 end of central directory offset ${zip64Offset} lies outside the file (${fileSize} bytes); the archive is truncated or damaged`);
    }
    const record = source.read(zip64Offset, ZIP64_END_SIZE, 'ZIP64 end of central directory');
    if (record.readUInt32LE(0) !== ZIP64_END_SIGNATURE) {
      fail('ARCHIVE_CORRUPT', `${path}: bad ZIP64 end of central directory signature at byte ${zip64Offset}`);
    }
    disk = record.readUInt32LE(16);
    count = uint64(record, 32);
    size = uint64(record, 40);
    offset = uint64(record, 48);
  } else if (count === SATURATED_16 || size === SATURATED_32 || offset === SATURATED_32) {
    fail('ARCHIVE_CORRUPT', `${path}: end of central directory defers to a ZIP64 record that is missing`);
  }
  if (disk !== 0) fail('ARCHIVE_UNSUPPORTED', `${path}: multi-disk zip archives are not supported`);
  if (count > MAX_ZIP_ENTRIES) {
    fail('ARCHIVE_LIMIT', `${path}: zip declares ${count} entries, more than the ${MAX_ZIP_ENTRIES} tsonnx reads`);
  }
  if (!source.contains(offset, size)) {
    fail('ARCHIVE_CORRUPT', `${path}: central directory (${size} bytes at ${offset}) lies outside the file (${fileSize} bytes); the archive is truncated or damaged`);
  }
  if (size > MAX_CENTRAL_DIRECTORY_BYTES) {
    fail('ARCHIVE_LIMIT', `${path}: zip central directory is ${size} bytes, more than the ${MAX_CENTRAL_DIRECTORY_BYTES} tsonnx reads`);
  }
  if (count * CENTRAL_HEADER_SIZE > size) {
    fail('ARCHIVE_CORRUPT', `${path}: central directory of ${size} bytes cannot hold the ${count} entries it declares`);
  }
  return { count, offset, size };
}

/** The 64-bit values a record's ZIP64 extra field holds for its saturated 32-bit fields, in order. */
function applyZip64(path: string, extra: Buffer, name: string, fields: { uncompressedSize: number; compressedSize: number; localHeaderOffset: number }): void {
  for (let at = 0; at + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(at);
    const length = extra.readUInt16LE(at + 2);
    const end = at + 4 + length;
    if (end > extra.length) fail('ARCHIVE_CORRUPT', `${path}: extra field of entry '${name}' runs past its record`);
    if (id === ZIP64_EXTRA_FIELD) {
      let field = at + 4;
      for (const key of ['uncompressedSize', 'compressedSize', 'localHeaderOffset'] as const) {
        if (fields[key] !== SATURATED_32) continue;
        if (field + 8 > end) fail('ARCHIVE_CORRUPT', `${path}: ZIP64 extra field of entry '${name}' lacks its ${key}`);
        fields[key] = uint64(extra, field);
        field += 8;
      }
    }
    at = end;
  }
}

/** All records of the central directory (one read of its checked extent, parsed in one pass); undefined without an end record. */
function readDirectory(source: ZipSource): DirectoryRecord[] | undefined {
  const path = source.path;
  const extent = findDirectory(source);
  if (!extent) return undefined;
  const { count, offset, size } = extent;
  const directory = source.read(offset, size, 'central directory');
  const records: DirectoryRecord[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + CENTRAL_HEADER_SIZE > directory.length || directory.readUInt32LE(at) !== CENTRAL_HEADER_SIGNATURE) {
      fail('ARCHIVE_CORRUPT', `${path}: damaged zip central directory (record ${i} of ${count} at byte ${offset + at})`);
    }
    const flags = directory.readUInt16LE(at + 8);
    const nameLength = directory.readUInt16LE(at + 28);
    const extraLength = directory.readUInt16LE(at + 30);
    const commentLength = directory.readUInt16LE(at + 32);
    const nameStart = at + CENTRAL_HEADER_SIZE;
    const extraStart = nameStart + nameLength;
    const next = extraStart + extraLength + commentLength;
    if (next > directory.length) fail('ARCHIVE_CORRUPT', `${path}: damaged zip central directory (record ${i} runs past its end)`);
    // Names not flagged UTF-8 are CP437; TorchScript names are ASCII, which both spell alike.
    const name = directory.toString(flags & FLAG_UTF8_NAME ? 'utf8' : 'latin1', nameStart, extraStart);
    // Names appear in messages, which are one line; TorchScript never writes control characters.
    if (/[\x00-\x1f\x7f]/.test(name)) fail('ARCHIVE_CORRUPT', `${path}: zip entry ${i} has a name with control characters`);
    const fields = {
      compressedSize: directory.readUInt32LE(at + 20),
      uncompressedSize: directory.readUInt32LE(at + 24),
      localHeaderOffset: directory.readUInt32LE(at + 42),
    };
    applyZip64(path, directory.subarray(extraStart, extraStart + extraLength), name, fields);
    records.push({ name, flags, method: directory.readUInt16LE(at + 10), ...fields });
    at = next;
  }
  return records;
}

/** Netron's rule: strip the directories every entry shares, so re-zipped archives still open. */
function commonRoot(names: string[]): string {
  if (names.length === 0) return '';
  let parts = names[0].split('/').slice(0, -1);
  for (const name of names) {
    if (parts.length === 0) break;
    const dirs = name.split('/');
    let shared = 0;
    while (shared < parts.length && shared < dirs.length - 1 && parts[shared] === dirs[shared]) shared++;
    parts = parts.slice(0, shared);
  }
  return parts.join('/');
}

function locateData(source: ZipSource, record: DirectoryRecord): EntryLocation {
  const { name, compressedSize, uncompressedSize, localHeaderOffset } = record;
  const path = source.path;
  if (record.flags & FLAG_ENCRYPTED) fail('ARCHIVE_UNSUPPORTED', `${path}: entry '${name}' is encrypted`);
  if (record.method !== METHOD_STORED && record.method !== METHOD_DEFLATED) {
    fail('ARCHIVE_UNSUPPORTED', `${path}: entry '${name}' uses zip compression method ${record.method} (only stored and deflated are supported)`);
  }
  if (record.method === METHOD_STORED && compressedSize !== uncompressedSize) {
    fail('ARCHIVE_CORRUPT', `${path}: stored entry '${name}' declares ${compressedSize} bytes in the file but ${uncompressedSize} bytes of data`);
  }
  if (record.method === METHOD_DEFLATED &&
    (uncompressedSize > compressedSize * MAX_DEFLATE_RATIO + 1024 || compressedSize > maxDeflatedSize(uncompressedSize))) {
    fail('ARCHIVE_CORRUPT', `${path}: entry '${name}' declares ${uncompressedSize} bytes from ${compressedSize} deflated bytes, which deflate cannot encode`);
  }
  // Local sizes and CRC are zero in PyTorch's zips; only the name and extra lengths matter here.
  const header = source.read(localHeaderOffset, LOCAL_HEADER_SIZE, `local header of '${name}'`);
  if (header.readUInt32LE(0) !== LOCAL_HEADER_SIGNATURE) {
    fail('ARCHIVE_CORRUPT', `${path}: bad local header signature for entry '${name}' at byte ${localHeaderOffset}`);
  }
  const dataStart = localHeaderOffset + LOCAL_HEADER_SIZE + header.readUInt16LE(26) + header.readUInt16LE(28);
  if (!source.contains(dataStart, compressedSize)) {
    fail('ARCHIVE_CORRUPT', `${path}: entry '${name}' (${compressedSize} bytes at ${dataStart}) runs past the end of the file (${source.fileSize} bytes); the archive is truncated`);
  }
  return { source, dataStart, compressedSize, method: record.method };
}

function missingEndRecordError(source: ZipSource): TsonnxError {
  const start = source.read(0, Math.min(4, source.fileSize), 'file signature');
  return start.length === 4 && start.readUInt32LE(0) === LOCAL_HEADER_SIGNATURE
    ? new TsonnxError('ARCHIVE_CORRUPT', `${source.path}: zip end-of-central-directory record not found; the archive is truncated or damaged`)
    : new TsonnxError('ARCHIVE_NOT_ZIP', `${source.path}: not a zip file (a TorchScript archive from torch.jit.save is a zip)`);
}

/** Reads a zip's directory from `bytes`. The result owns the source (closed with it, or here on failure). */
export async function openZip(bytes: ByteSource): Promise<ZipArchive> {
  const source = new ZipSource(bytes);
  const path = source.path;
  try {
    const records = readDirectory(source);
    if (!records) throw missingEndRecordError(source);
    const files = records.filter((record) => !record.name.endsWith('/'));
    const root = commonRoot(files.map((record) => record.name));
    const prefix = root === '' ? 0 : root.length + 1;
    const entries = new Map<string, ArchiveEntry>();
    for (const record of files) {
      const name = record.name.slice(prefix);
      // Two records of one name would let different readers see different archives.
      if (entries.has(name)) fail('ARCHIVE_CORRUPT', `${path}: entry '${record.name}' appears twice in the zip directory`);
      entries.set(name, new ZipEntry(name, record.uncompressedSize, locateData(source, record)));
    }
    return { path, root, entries, close: () => source.close() };
  } catch (error) {
    source.close();
    throw error;
  }
}
