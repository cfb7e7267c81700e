/** Builders for hand-made test inputs: zips and pickles, written byte by byte. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { TsonnxError } from '../../src/errors.js';

export interface ZipItem {
  name: string;
  data: Uint8Array | string;
  deflate?: boolean;
}

/**
 * A plain (non-ZIP64) zip. CRCs are written as zero, as 2.x writers may do with
 * `compute_crc32=false`: the reader must not depend on them.
 */
export function zipBytes(items: ZipItem[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const item of items) {
    const raw = Buffer.from(item.data);
    const data = item.deflate ? zlib.deflateRawSync(raw) : raw;
    const name = Buffer.from(item.name, 'utf8');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(item.deflate ? 8 : 0, 8);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(raw.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(item.deflate ? 8 : 0, 10);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(raw.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, data);
    centrals.push(central, name);
    offset += local.length + name.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(items.length, 8);
  end.writeUInt16LE(items.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** A ZIP64 entry; the optional fields replace what the central directory declares. */
export interface Zip64Item extends ZipItem {
  /** `data` is deflate data already: written as is, with the deflated method. */
  deflated?: boolean;
  uncompressedSize?: bigint;
  compressedSize?: bigint;
  localHeaderOffset?: bigint;
}

/** Replacements for the ZIP64 end of central directory and its locator. */
export interface Zip64End {
  count?: bigint;
  directorySize?: bigint;
  directoryOffset?: bigint;
  /** Where the locator says the ZIP64 end record is. */
  endOffset?: bigint;
}

/**
 * A zip as PyTorch writes it: every size and offset in the ZIP64 extra field and the ZIP64 end
 * records, so tests can declare values past 4 GB.
 */
export function zip64Bytes(items: Zip64Item[], end: Zip64End = {}): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const item of items) {
    const raw = Buffer.from(item.data);
    const data = item.deflate ? zlib.deflateRawSync(raw) : raw;
    const method = item.deflate || item.deflated ? 8 : 0;
    const name = Buffer.from(item.name, 'utf8');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(45, 4);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46 + name.length + 28);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(45, 4);
    central.writeUInt16LE(45, 6);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(0xffffffff, 20);
    central.writeUInt32LE(0xffffffff, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt16LE(28, 30);
    central.writeUInt32LE(0xffffffff, 42);
    name.copy(central, 46);
    const extra = 46 + name.length;
    central.writeUInt16LE(1, extra);
    central.writeUInt16LE(24, extra + 2);
    central.writeBigUInt64LE(item.uncompressedSize ?? BigInt(raw.length), extra + 4);
    central.writeBigUInt64LE(item.compressedSize ?? BigInt(data.length), extra + 12);
    central.writeBigUInt64LE(item.localHeaderOffset ?? BigInt(offset), extra + 20);
    locals.push(local, name, data);
    centrals.push(central);
    offset += local.length + name.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const zip64End = Buffer.alloc(56);
  zip64End.writeUInt32LE(0x06064b50, 0);
  zip64End.writeBigUInt64LE(44n, 4);
  zip64End.writeUInt16LE(45, 12);
  zip64End.writeUInt16LE(45, 14);
  zip64End.writeBigUInt64LE(end.count ?? BigInt(items.length), 24);
  zip64End.writeBigUInt64LE(end.count ?? BigInt(items.length), 32);
  zip64End.writeBigUInt64LE(end.directorySize ?? BigInt(directory.length), 40);
  zip64End.writeBigUInt64LE(end.directoryOffset ?? BigInt(offset), 48);
  const locator = Buffer.alloc(20);
  locator.writeUInt32LE(0x07064b50, 0);
  locator.writeBigUInt64LE(end.endOffset ?? BigInt(offset + directory.length), 8);
  locator.writeUInt32LE(1, 16);
  const endRecord = Buffer.alloc(22);
  endRecord.writeUInt32LE(0x06054b50, 0);
  endRecord.writeUInt16LE(0xffff, 8);
  endRecord.writeUInt16LE(0xffff, 10);
  endRecord.writeUInt32LE(0xffffffff, 12);
  endRecord.writeUInt32LE(0xffffffff, 16);
  return Buffer.concat([...locals, directory, zip64End, locator, endRecord]);
}

/** Fixed-Huffman length symbols: base lengths of symbols 257..284 and their extra bits (symbol 285 is 258). */
const LENGTH_BASES = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227];
const LENGTH_EXTRA_BITS = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5];

/**
 * Raw deflate data that inflates to `size` zero bytes, written directly (one fixed-Huffman block
 * of a literal and 258-byte matches at distance 1), so tests get a bomb without deflating megabytes.
 */
export function zeroBomb(size: number): Buffer {
  const bytes: number[] = [];
  let current = 0;
  let used = 0;
  /** Header fields and extra bits: least significant bit first. */
  const bits = (value: number, count: number): void => {
    for (let i = 0; i < count; i++) {
      current |= ((value >> i) & 1) << used;
      if (++used === 8) {
        bytes.push(current);
        current = 0;
        used = 0;
      }
    }
  };
  /** Huffman codes: most significant bit first. */
  const code = (value: number, length: number): void => {
    for (let i = length - 1; i >= 0; i--) bits((value >> i) & 1, 1);
  };
  const literalZero = (): void => code(0x30, 8);
  bits(1, 1); // final block
  bits(1, 2); // fixed Huffman
  let left = size;
  if (left > 0) {
    literalZero();
    left--;
  }
  while (left > 0) {
    if (left < 3) {
      literalZero();
      left--;
      continue;
    }
    const length = Math.min(left, 258);
    if (length === 258) {
      code(0xc5, 8); // symbol 285
    } else {
      let index = LENGTH_BASES.length - 1;
      while (LENGTH_BASES[index] > length) index--;
      const symbol = 257 + index;
      if (symbol <= 279) code(symbol - 256, 7);
      else code(0xc0 + symbol - 280, 8);
      bits(length - LENGTH_BASES[index], LENGTH_EXTRA_BITS[index]);
    }
    code(0, 5); // distance 1
    left -= length;
  }
  code(0, 7); // end of block
  if (used > 0) bytes.push(current);
  return Buffer.from(bytes);
}

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'tsonnx-archive-'));
}

/** Writes `bytes` to a new file `model.pt` in a fresh folder under `dir`; returns its path. */
export function writeArchiveFile(dir: string, bytes: Uint8Array): string {
  const file = path.join(fs.mkdtempSync(path.join(dir, 'case-')), 'model.pt');
  fs.writeFileSync(file, bytes);
  return file;
}

/** Pickle opcodes as the C++ pickler writes them (protocol 2). */
export const pk = {
  proto: (): Buffer => Buffer.from([0x80, 0x02]),
  stop: (): Buffer => Buffer.from('.'),
  global: (module: string, name: string): Buffer => Buffer.from(`c${module}\n${name}\n`, 'utf8'),
  str(text: string): Buffer {
    const bytes = Buffer.from(text, 'utf8');
    const header = Buffer.alloc(5);
    header[0] = 0x58;
    header.writeUInt32LE(bytes.length, 1);
    return Buffer.concat([header, bytes]);
  },
  int1: (n: number): Buffer => Buffer.from([0x4b, n]),
  int2: (n: number): Buffer => Buffer.from([0x4d, n & 0xff, n >> 8]),
  int4(n: number): Buffer {
    const b = Buffer.alloc(5);
    b[0] = 0x4a;
    b.writeInt32LE(n, 1);
    return b;
  },
  /** BININT for 32-bit values, LONG1 beyond. */
  int(n: number): Buffer {
    return n >= -(2 ** 31) && n < 2 ** 31 ? pk.int4(n) : pk.long1(BigInt(n));
  },
  long1(n: bigint): Buffer {
    const b = Buffer.alloc(10);
    b[0] = 0x8a;
    b[1] = 8;
    b.writeBigInt64LE(n, 2);
    return b;
  },
  float(x: number): Buffer {
    const b = Buffer.alloc(9);
    b[0] = 0x47;
    b.writeDoubleBE(x, 1);
    return b;
  },
  put: (slot: number): Buffer => Buffer.from([0x71, slot]),
  get: (slot: number): Buffer => Buffer.from([0x68, slot]),
  none: Buffer.from('N'),
  true: Buffer.from([0x88]),
  false: Buffer.from([0x89]),
  mark: Buffer.from('('),
  tuple: Buffer.from('t'),
  tuple1: Buffer.from([0x85]),
  tuple2: Buffer.from([0x86]),
  tuple3: Buffer.from([0x87]),
  emptyTuple: Buffer.from(')'),
  emptyList: Buffer.from(']'),
  appends: Buffer.from('e'),
  emptyDict: Buffer.from('}'),
  setitem: Buffer.from('s'),
  setitems: Buffer.from('u'),
  newobj: Buffer.from([0x81]),
  build: Buffer.from('b'),
  reduce: Buffer.from('R'),
  persid: Buffer.from('Q'),
};

/** A whole pickle: PROTO 2, the given ops, STOP. */
export function pickle(...ops: Buffer[]): Buffer {
  return Buffer.concat([pk.proto(), ...ops, pk.stop()]);
}

/** `_rebuild_tensor_v2(('storage', torch.<type>, key, 'cpu', numel), offset, shape, strides, False, OrderedDict())`. */
export function tensorOps(storageType: string, key: string, numel: number, offset: number, shape: number[], strides: number[]): Buffer {
  return Buffer.concat([
    pk.global('torch._utils', '_rebuild_tensor_v2'),
    pk.mark,
    pk.mark, pk.str('storage'), pk.global('torch', storageType), pk.str(key), pk.str('cpu'), pk.int4(numel), pk.tuple, pk.persid,
    pk.int(offset),
    pk.mark, ...shape.map((d) => pk.int(d)), pk.tuple,
    pk.mark, ...strides.map((s) => pk.int(s)), pk.tuple,
    pk.false,
    pk.global('collections', 'OrderedDict'), pk.emptyTuple, pk.reduce,
    pk.tuple,
    pk.reduce,
  ]);
}

/** `__torch__.<className>` object (form (a)) whose attributes are the given ops. */
export function objectOps(className: string, attributes: Array<[string, Buffer]>): Buffer {
  const dot = className.lastIndexOf('.');
  return Buffer.concat([
    pk.global(className.slice(0, dot), className.slice(dot + 1)),
    pk.emptyTuple, pk.newobj, pk.emptyDict, pk.mark,
    ...attributes.flatMap(([name, value]) => [pk.str(name), value]),
    pk.setitems, pk.build,
  ]);
}

/** A TorchScript archive made of the given records under `root/`, plus empty constants and version 3. */
export function scriptArchive(root: string, records: ZipItem[]): Buffer {
  return zipBytes(scriptRecords(root, records));
}

/** The records of `scriptArchive`, for other zip writers. */
export function scriptRecords<T extends ZipItem>(root: string, records: T[]): Array<T | ZipItem> {
  const names = new Set(records.map((r) => r.name));
  const defaults: ZipItem[] = [
    { name: 'constants.pkl', data: pickle(pk.emptyTuple) },
    { name: 'version', data: '3\n' },
  ].filter((r) => !names.has(r.name));
  return [...records, ...defaults].map((r) => ({ ...r, name: `${root}/${r.name}` }));
}

/**
 * A scripted-looking archive on disk, `model.pt` in a fresh folder: one module `__torch__.M` whose class
 * has `__parameters__`, `__buffers__`, `training` and the given `forward` lines (indented by the caller
 * for the method body). Returns its path.
 */
export function moduleArchive(signature: string, body: readonly string[]): string {
  const file = path.join(tempDir(), 'model.pt');
  const code = ['class M(Module):', '  __parameters__ = []', '  __buffers__ = []', '  training : bool', `  def forward(self: __torch__.M, ${signature}:`, ...body.map((l) => `    ${l}`), ''].join('\n');
  fs.writeFileSync(file, scriptArchive('m', [
    { name: 'data.pkl', data: pickle(objectOps('__torch__.M', [['training', pk.false]])) },
    { name: 'code/__torch__.py', data: code },
  ]));
  return file;
}

/** The TsonnxError `run` throws; fails the test if it throws nothing or something else. */
export function errorOf(run: () => unknown): TsonnxError {
  try {
    run();
  } catch (error) {
    if (error instanceof TsonnxError) return error;
    throw error;
  }
  throw new Error('expected a TsonnxError');
}
