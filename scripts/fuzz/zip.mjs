/**
 * Just enough zip to take a TorchScript archive apart and write it back with chosen faults: entries keep
 * their compressed bytes, and the writer returns where every header landed so a mutation can patch fields.
 */
import zlib from 'node:zlib';

const LOCAL_SIGNATURE = 0x04034b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const END_SIGNATURE = 0x06054b50;
const END64_SIGNATURE = 0x06064b50;
const END64_LOCATOR_SIGNATURE = 0x07064b50;
const UTF8_FLAG = 0x0800;

/** Field offsets inside the fixed part of each header, for mutations that patch them. */
export const LOCAL = { method: 8, crc: 14, compressedSize: 18, size: 22, nameLength: 26, extraLength: 28, fixed: 30 };
export const CENTRAL = { method: 10, crc: 16, compressedSize: 20, size: 24, nameLength: 28, extraLength: 30, commentLength: 32, localOffset: 42, fixed: 46 };
export const END = { diskEntries: 8, totalEntries: 10, directorySize: 12, directoryOffset: 16, commentLength: 20, fixed: 22 };

/** Entries of a plain zip as { name, method, compressed, crc, size }; throws on anything it cannot read. */
export function readZip(bytes) {
  const end = bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (end < 0) throw new Error('no end of central directory');
  const count = bytes.readUInt16LE(end + END.totalEntries);
  let at = bytes.readUInt32LE(end + END.directoryOffset);
  const entries = [];
  for (let i = 0; i < count; i++) {
    if (bytes.readUInt32LE(at) !== CENTRAL_SIGNATURE) throw new Error(`bad central header ${i}`);
    const nameLength = bytes.readUInt16LE(at + CENTRAL.nameLength);
    const local = bytes.readUInt32LE(at + CENTRAL.localOffset);
    const compressedSize = bytes.readUInt32LE(at + CENTRAL.compressedSize);
    const dataStart = local + LOCAL.fixed + bytes.readUInt16LE(local + LOCAL.nameLength) + bytes.readUInt16LE(local + LOCAL.extraLength);
    entries.push({
      name: bytes.toString('utf8', at + CENTRAL.fixed, at + CENTRAL.fixed + nameLength),
      method: bytes.readUInt16LE(at + CENTRAL.method),
      crc: bytes.readUInt32LE(at + CENTRAL.crc),
      size: bytes.readUInt32LE(at + CENTRAL.size),
      compressed: bytes.subarray(dataStart, dataStart + compressedSize),
    });
    at += CENTRAL.fixed + nameLength + bytes.readUInt16LE(at + CENTRAL.extraLength) + bytes.readUInt16LE(at + CENTRAL.commentLength);
  }
  return entries;
}

export function entryContent(entry) {
  return entry.method === 8 ? zlib.inflateRawSync(entry.compressed) : entry.compressed;
}

/** A consistent entry holding `content`, deflated when asked. */
export function makeEntry(name, content, deflate = false) {
  const data = Buffer.from(content);
  return { name, method: deflate ? 8 : 0, crc: zlib.crc32(data), size: data.length, compressed: deflate ? zlib.deflateRawSync(data) : data };
}

/**
 * Writes entries (optional `localExtra`/`centralExtra` buffers) and returns the bytes with the offset of
 * every local and central header, the directory and the end record.
 */
export function writeZip(entries) {
  const parts = [];
  const locals = [];
  const centrals = [];
  let offset = 0;
  const push = (buffer) => {
    parts.push(buffer);
    offset += buffer.length;
  };
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const extra = entry.localExtra ?? Buffer.alloc(0);
    const header = Buffer.alloc(LOCAL.fixed);
    header.writeUInt32LE(LOCAL_SIGNATURE, 0);
    header.writeUInt16LE(entry.method === 8 ? 20 : 10, 4);
    header.writeUInt16LE(UTF8_FLAG, 6);
    header.writeUInt16LE(entry.method, LOCAL.method);
    header.writeUInt32LE(entry.crc, LOCAL.crc);
    header.writeUInt32LE(Math.min(entry.compressed.length, 0xffffffff), LOCAL.compressedSize);
    header.writeUInt32LE(Math.min(entry.size, 0xffffffff), LOCAL.size);
    header.writeUInt16LE(name.length, LOCAL.nameLength);
    header.writeUInt16LE(extra.length, LOCAL.extraLength);
    locals.push(offset);
    push(header);
    push(name);
    push(extra);
    push(entry.compressed);
  }
  const directoryOffset = offset;
  entries.forEach((entry, i) => {
    const name = Buffer.from(entry.name, 'utf8');
    const extra = entry.centralExtra ?? Buffer.alloc(0);
    const header = Buffer.alloc(CENTRAL.fixed);
    header.writeUInt32LE(CENTRAL_SIGNATURE, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt16LE(entry.method === 8 ? 20 : 10, 6);
    header.writeUInt16LE(UTF8_FLAG, 8);
    header.writeUInt16LE(entry.method, CENTRAL.method);
    header.writeUInt32LE(entry.crc, CENTRAL.crc);
    header.writeUInt32LE(Math.min(entry.compressed.length, 0xffffffff), CENTRAL.compressedSize);
    header.writeUInt32LE(Math.min(entry.size, 0xffffffff), CENTRAL.size);
    header.writeUInt16LE(name.length, CENTRAL.nameLength);
    header.writeUInt16LE(extra.length, CENTRAL.extraLength);
    header.writeUInt32LE(Math.min(locals[i], 0xffffffff), CENTRAL.localOffset);
    centrals.push(offset);
    push(header);
    push(name);
    push(extra);
  });
  const directorySize = offset - directoryOffset;
  const endOffset = offset;
  push(endRecord(entries.length, directorySize, directoryOffset));
  return { bytes: Buffer.concat(parts), locals, centrals, directoryOffset, directorySize, endOffset };
}

function endRecord(count, directorySize, directoryOffset) {
  const end = Buffer.alloc(END.fixed);
  end.writeUInt32LE(END_SIGNATURE, 0);
  end.writeUInt16LE(Math.min(count, 0xffff), END.diskEntries);
  end.writeUInt16LE(Math.min(count, 0xffff), END.totalEntries);
  end.writeUInt32LE(directorySize, END.directorySize);
  end.writeUInt32LE(directoryOffset, END.directoryOffset);
  return end;
}

/** A ZIP64 extended-information extra field (id 1) holding the given 64-bit values in order. */
export function zip64Extra(values) {
  const field = Buffer.alloc(4 + 8 * values.length);
  field.writeUInt16LE(1, 0);
  field.writeUInt16LE(8 * values.length, 2);
  values.forEach((v, i) => field.writeBigUInt64LE(BigInt(v), 4 + 8 * i));
  return field;
}

/**
 * The archive's end rewritten as ZIP64: an EOCD64 record claiming `count` entries (placed at `recordOffset`
 * when given, else where it really is), its locator, and a plain end record with every field saturated.
 */
export function withZip64End(written, { count, recordOffset, directoryOffset = written.directoryOffset }) {
  const body = written.bytes.subarray(0, written.endOffset);
  const record = Buffer.alloc(56);
  record.writeUInt32LE(END64_SIGNATURE, 0);
  record.writeBigUInt64LE(44n, 4);
  record.writeUInt16LE(45, 12);
  record.writeUInt16LE(45, 14);
  record.writeBigUInt64LE(BigInt(count), 24);
  record.writeBigUInt64LE(BigInt(count), 32);
  record.writeBigUInt64LE(BigInt(written.directorySize), 40);
  record.writeBigUInt64LE(BigInt(directoryOffset), 48);
  const locator = Buffer.alloc(20);
  locator.writeUInt32LE(END64_LOCATOR_SIGNATURE, 0);
  locator.writeBigUInt64LE(BigInt(recordOffset ?? body.length), 8);
  locator.writeUInt32LE(1, 16);
  const end = endRecord(0xffff, 0xffffffff, 0xffffffff);
  return Buffer.concat([body, record, locator, end]);
}
