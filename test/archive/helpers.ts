/** Builders for hand-made test inputs: zips and pickles, written byte by byte. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';

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

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'tsonnx-archive-'));
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
    pk.int4(offset),
    pk.mark, ...shape.map((d) => pk.int4(d)), pk.tuple,
    pk.mark, ...strides.map((s) => pk.int4(s)), pk.tuple,
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
  const names = new Set(records.map((r) => r.name));
  const defaults: ZipItem[] = [
    { name: 'constants.pkl', data: pickle(pk.emptyTuple) },
    { name: 'version', data: '3\n' },
  ].filter((r) => !names.has(r.name));
  return zipBytes([...records, ...defaults].map((r) => ({ ...r, name: `${root}/${r.name}` })));
}
