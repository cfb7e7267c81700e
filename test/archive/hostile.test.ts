/**
 * Archives built to hurt: every size, offset and count they declare is checked before it costs
 * memory or time, and each failure is a TsonnxError naming what was too big and the limit.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { TsonnxError } from '../../src/errors.js';
import { openArchive, tensorBytes } from '../../src/archive/index.js';
import {
  MAX_CODE_FILE_BYTES,
  MAX_PICKLE_BYTES,
  MAX_PICKLE_DEPTH,
  MAX_PICKLE_ITEMS,
  MAX_REPEATED_VIEW_BYTES,
  MAX_TENSOR_RANK,
  MAX_ZIP_ENTRIES,
} from '../../src/archive/limits.js';
import { unpickle } from '../../src/archive/pickle.js';
import type { DType, StorageRef, TensorRef } from '../../src/archive/types.js';
import { errorOf, objectOps, pickle, pk, scriptArchive, scriptRecords, tempDir, tensorOps, writeArchiveFile, zeroBomb, zip64Bytes, type Zip64Item } from './helpers.js';

const dir = tempDir();
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const write = (bytes: Uint8Array): string => writeArchiveFile(dir, bytes);

async function openError(bytes: Uint8Array): Promise<TsonnxError> {
  try {
    (await openArchive(write(bytes))).close();
  } catch (error) {
    if (error instanceof TsonnxError) return error;
    throw error;
  }
  throw new Error('the archive opened');
}

const MiB = 2 ** 20;
const moduleWith = (...attributes: Array<[string, Buffer]>) => pickle(objectOps('__torch__.M', [['training', pk.false], ...attributes]));
const oneTensor = moduleWith(['w', tensorOps('FloatStorage', '0', 4, 0, [4], [1])]);
const validRecords = [{ name: 'data.pkl', data: oneTensor }, { name: 'data/0', data: Buffer.alloc(16) }];

function pickleError(bytes: Buffer): TsonnxError {
  return errorOf(() => unpickle(bytes, { source: 'data.pkl', loadStorage: fakeStorages }));
}

function fakeStorages(dtype: DType, key: string, numel: number): StorageRef {
  return { entry: { name: `data/${key}`, size: numel * 4, read: () => Buffer.alloc(numel * 4) }, dtype, numel };
}

describe('zip structure', () => {
  it('reads a ZIP64 archive as PyTorch writes it', async () => {
    const archive = await openArchive(write(zip64Bytes(scriptRecords('m', validRecords))));
    expect(archive.entries.get('data/0')!.size).toBe(16);
    archive.close();
  });

  it('refuses ZIP64 directory, end-record and local-header offsets past the end of the file', async () => {
    const records = scriptRecords('m', validRecords);
    const huge = 2n ** 62n;
    const cases: Array<[Buffer, RegExp]> = [
      [zip64Bytes(records, { directoryOffset: huge }), /central directory \(\d+ bytes at \d+\) lies outside the file/],
      [zip64Bytes(records, { directorySize: 2n ** 40n }), /central directory .* lies outside the file/],
      [zip64Bytes(records, { endOffset: huge }), /ZIP64 end of central directory offset \d+ lies outside the file/],
      [zip64Bytes(records, { endOffset: 2n ** 64n - 1n }), /ZIP64 end of central directory offset/],
      [zip64Bytes(records.map((r, i) => (i === 0 ? { ...r, localHeaderOffset: huge } : r))), /local header of 'm\/data.pkl' lies outside the file/],
      [zip64Bytes(records.map((r, i) => (i === 1 ? { ...r, compressedSize: 2n ** 50n, uncompressedSize: 2n ** 50n } : r))), /'m\/data\/0' \(\d+ bytes at \d+\) runs past the end of the file/],
    ];
    for (const [bytes, message] of cases) {
      const error = await openError(bytes);
      expect(error.code, String(message)).toBe('ARCHIVE_CORRUPT');
      expect(error.message).toMatch(message);
    }
  });

  it('refuses a stored entry whose two sizes differ, and a directory too small for its count', async () => {
    const records: Zip64Item[] = scriptRecords('m', validRecords).map((r, i) => (i === 1 ? { ...r, uncompressedSize: 4096n } : r));
    expect((await openError(zip64Bytes(records))).message).toContain("stored entry 'm/data/0' declares 16 bytes in the file but 4096 bytes of data");
    const error = await openError(zip64Bytes(scriptRecords('m', validRecords), { count: 100_000n }));
    expect(error.code).toBe('ARCHIVE_CORRUPT');
    expect(error.message).toMatch(/cannot hold the 100000 entries it declares/);
  });

  it(`refuses more than ${MAX_ZIP_ENTRIES} entries before reading them`, async () => {
    const error = await openError(zip64Bytes(scriptRecords('m', validRecords), { count: 2_000_000n }));
    expect(error.code).toBe('ARCHIVE_LIMIT');
    expect(error.message).toMatch(/declares 2000000 entries, more than the 1000000 tsonnx reads/);
  });

  it('opens 100,000 entries in linear time and finds each by name', { timeout: 20_000 }, async () => {
    const extra = Array.from({ length: 100_000 }, (_, i) => ({ name: `extra/${i}`, data: '' }));
    const archive = await openArchive(write(zip64Bytes(scriptRecords('m', [...validRecords, ...extra]))));
    expect(archive.entries.size).toBe(100_004);
    expect(archive.entries.get('extra/99999')!.size).toBe(0);
    archive.close();
  });

  it('refuses entry names with control characters, which would break one-line messages', async () => {
    const error = await openError(scriptArchive('m', [...validRecords, { name: 'code/evil\nname.py', data: 'x' }]));
    expect(error.code).toBe('ARCHIVE_CORRUPT');
    expect(error.message).toMatch(/zip entry \d+ has a name with control characters$/);
  });

  it('refuses two entries of one name', async () => {
    const error = await openError(scriptArchive('m', [...validRecords, { name: 'data/0', data: Buffer.alloc(16) }]));
    expect(error.code).toBe('ARCHIVE_CORRUPT');
    expect(error.message).toContain("entry 'm/data/0' appears twice");
  });
});

describe('deflate bombs', () => {
  /** Incompressible bytes: deflated, they stay about as long, so an entry can plausibly claim ~1000 times more. */
  const junk = (bytes: number) => crypto.randomBytes(bytes);
  const archiveWith = (...items: Zip64Item[]) => zip64Bytes(scriptRecords('m', [...validRecords, ...items]));

  it('refuses a size deflate cannot reach from the compressed bytes (3 GB from 1 kB)', async () => {
    const error = await openError(archiveWith({ name: 'code/__torch__.py', data: junk(1000), deflate: true, uncompressedSize: 3n * 2n ** 30n }));
    expect(error.code).toBe('ARCHIVE_CORRUPT');
    expect(error.message).toMatch(/entry 'm\/code\/__torch__.py' declares 3221225472 bytes from \d+ deflated bytes, which deflate cannot encode/);
  });

  it(`refuses a code file declaring 600 MB (over ${MAX_CODE_FILE_BYTES}) before inflating it`, async () => {
    const archive = await openArchive(write(archiveWith({ name: 'code/__torch__.py', data: junk(620 * 1024), deflate: true, uncompressedSize: 600n * BigInt(MiB) })));
    const error = errorOf(() => archive.code('code/__torch__.py'));
    archive.close();
    expect(error.code).toBe('ARCHIVE_LIMIT');
    expect(error.message).toMatch(/code file 'code\/__torch__.py' is 629145600 bytes, more than the 67108864 allowed for one code file/);
  });

  it('refuses a real bomb: 64 MiB + 1 of zeros in a code file', async () => {
    const size = MAX_CODE_FILE_BYTES + 1;
    const archive = await openArchive(write(archiveWith({ name: 'code/__torch__.py', data: zeroBomb(size), deflated: true, uncompressedSize: BigInt(size) })));
    const error = errorOf(() => archive.code('code/__torch__.py'));
    archive.close();
    expect(error.code).toBe('ARCHIVE_LIMIT');
    expect(error.message).toContain(`is ${MAX_CODE_FILE_BYTES + 1} bytes`);
  });

  it(`refuses a pickle declaring more than ${MAX_PICKLE_BYTES} bytes`, async () => {
    const records = scriptRecords('m', [{ name: 'data.pkl', data: junk(300 * 1024), deflate: true, uncompressedSize: 300n * BigInt(MiB) } as Zip64Item]);
    const error = await openError(zip64Bytes(records));
    expect(error.code).toBe('ARCHIVE_LIMIT');
    expect(error.message).toMatch(/pickle 'data.pkl' is 314572800 bytes, more than the 268435456 allowed for one pickle/);
  });

  it('stops inflating at the declared size when the stream holds more, and refuses one that holds less', async () => {
    const archive = await openArchive(write(archiveWith(
      { name: 'code/more.py', data: zeroBomb(MiB), deflated: true, uncompressedSize: 8192n },
      { name: 'code/less.py', data: 'x'.repeat(1000), deflate: true, uncompressedSize: 2000n },
    )));
    const more = errorOf(() => archive.code('code/more.py'));
    const less = errorOf(() => archive.code('code/less.py'));
    archive.close();
    expect(more.code).toBe('ARCHIVE_CORRUPT');
    expect(more.message).toContain("entry 'code/more.py' inflates to more than the 8192 bytes the directory declares");
    expect(less.code).toBe('ARCHIVE_CORRUPT');
    expect(less.message).toContain("entry 'code/less.py' inflates to 1000 bytes, the directory says 2000");
  });

  it('refuses storage records larger than their elements, stored or deflated (1 GiB for 16 bytes)', async () => {
    const stored = await openError(scriptArchive('m', [{ name: 'data.pkl', data: oneTensor }, { name: 'data/0', data: Buffer.alloc(32) }]));
    expect(stored.code).toBe('ARCHIVE_CORRUPT');
    expect(stored.message).toContain("storage 'data/0' holds 32 bytes, more than its 4 float32 elements need (16)");
    const records = scriptRecords('m', [{ name: 'data.pkl', data: oneTensor }, { name: 'data/0', data: junk(1100 * 1024), deflate: true, uncompressedSize: 2n ** 30n } as Zip64Item]);
    const deflated = await openError(zip64Bytes(records));
    expect(deflated.message).toContain("storage 'data/0' holds 1073741824 bytes, more than its 4 float32 elements need (16)");
  });
});

describe('pickle lengths, integers and budgets', () => {
  const long4 = (payload: number) => {
    const header = Buffer.alloc(5);
    header[0] = 0x8b;
    header.writeUInt32LE(payload, 1);
    return Buffer.concat([header, Buffer.alloc(payload, 0x7f)]);
  };

  it('refuses LONG4 and LONG1 integers wider than int64 at once, whatever their length', () => {
    for (const payload of [9, 200_000, 400_000, MiB]) {
      const error = pickleError(pickle(long4(payload)));
      expect(error.code).toBe('PICKLE_CORRUPT');
      expect(error.message).toContain(`a ${payload}-byte integer is wider than TorchScript's int64`);
    }
    expect(pickleError(pickle(Buffer.from([0x8a, 9]), Buffer.alloc(9, 1))).message).toContain('9-byte integer');
  });

  it('refuses text integers beyond int64 without parsing megabytes of digits', () => {
    const error = pickleError(Buffer.concat([Buffer.from('I'), Buffer.alloc(MiB, '9'), Buffer.from('\n.')]));
    expect(error.code).toBe('PICKLE_CORRUPT');
    expect(error.message).toMatch(/^data.pkl: integer literal '9{60}…' is outside TorchScript's int64/);
    expect(pickleError(Buffer.from('L9223372036854775808L\n.')).message).toContain('outside TorchScript');
  });

  it('checks every length against the bytes left before slicing', () => {
    const binunicode = Buffer.from([0x58, 0xff, 0xff, 0xff, 0xff, 0x61]);
    const binunicode8 = Buffer.from([0x8d, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    const frame = Buffer.from([0x95, 0, 0, 0, 0, 1, 0, 0, 0]);
    const truncatedLong = Buffer.from([0x8a, 200, 1, 2]);
    for (const ops of [binunicode, binunicode8, truncatedLong]) {
      expect(pickleError(pickle(ops)).message).toContain('unexpected end of pickle');
    }
    expect(pickleError(pickle(frame, pk.none)).message).toContain('frame of 4294967296 bytes runs past the end of the pickle');
  });

  it('refuses huge memo indexes cleanly', () => {
    expect(pickleError(pickle(Buffer.from([0x6a, 0xff, 0xff, 0xff, 0xff]))).message).toContain('memo slot 4294967295 is empty');
    expect(pickleError(Buffer.from('Np99999999999999999999999\n.')).message).toContain('outside TorchScript');
  });

  it(`refuses nesting deeper than ${MAX_PICKLE_DEPTH}: 100,000 nested tuples and lists`, () => {
    const tuples = pickle(pk.none, Buffer.alloc(100_000, 0x85));
    const lists = pickle(Buffer.alloc(100_000, 0x5d), Buffer.alloc(99_999, 0x61));
    for (const bytes of [tuples, lists]) {
      const error = pickleError(bytes);
      expect(error.code).toBe('ARCHIVE_LIMIT');
      expect(error.message).toMatch(/^data.pkl: values nest deeper than 1000 levels \(at byte \d+\)$/);
    }
    const deepest = pickle(pk.none, Buffer.alloc(MAX_PICKLE_DEPTH, 0x85));
    expect(unpickle(deepest, { source: 'data.pkl' })).toMatchObject({ kind: 'tuple' });
  });

  it('describes nested stack-only tuples without recursing', () => {
    const nested = pickle(pk.emptyList, pk.global('torch', 'FloatStorage'), Buffer.alloc(500, 0x85), Buffer.from('a'));
    const error = pickleError(nested);
    expect(error.code).toBe('PICKLE_CORRUPT');
    expect(error.message).toContain('tuple holding a tuple used as a list item');
  });

  it('refuses a list that contains itself or is changed after being placed in another', () => {
    expect(pickleError(pickle(pk.emptyList, Buffer.from([0x32]), Buffer.from('a'))).message).toContain('a list contains itself');
    const reentered = pickle(pk.emptyList, pk.put(0), pk.emptyList, pk.get(0), Buffer.from('a'), Buffer.from('a'));
    expect(pickleError(reentered).message).toContain('APPENDS on a list already inside another value');
  });

  it(`counts values, marks and memo entries against a budget (${MAX_PICKLE_ITEMS} by default)`, () => {
    const budget = 1000;
    const options = { source: 'data.pkl', maxItems: budget };
    const opsOf = (op: number) => pickle(pk.none, Buffer.alloc(budget, op));
    for (const op of [0x28, 0x32, 0x94, 0x29]) { // MARK, DUP, MEMOIZE, EMPTY_TUPLE
      const error = errorOf(() => unpickle(opsOf(op), options));
      expect(error.code).toBe('ARCHIVE_LIMIT');
      expect(error.message).toBe(`data.pkl: pickle creates more than ${budget} values, marks and memo entries (at byte ${budget + 3})`);
    }
    expect(unpickle(pickle(pk.none, Buffer.alloc(budget - 1, 0x32)), options)).toBeNull();
  });
});

describe('tensor views against their storage', () => {
  const tensorError = (shape: number[], strides: number[], offset = 0, numel = 4) =>
    pickleError(pickle(tensorOps('FloatStorage', '0', numel, offset, shape, strides)));

  it('refuses a view repeating its storage into 10^12 elements before allocating', () => {
    const error = tensorError([1e6, 1e6], [0, 0]);
    expect(error.code).toBe('ARCHIVE_LIMIT');
    expect(error.message).toBe(`data.pkl: tensor [1000000, 1000000] of storage 'data/0' repeats its storage's 4 elements into 1000000000000 (4000000000000 bytes), more than the ${MAX_REPEATED_VIEW_BYTES} bytes a view may expand to`);
  });

  it('refuses more than 64 dims before reading them, and keeps 64', () => {
    const error = tensorError(Array(100_000).fill(1), Array(100_000).fill(1));
    expect(error.code).toBe('ARCHIVE_LIMIT');
    expect(error.message).toBe(`data.pkl: tensor of storage 'data/0' has 100000 dims, more than the ${MAX_TENSOR_RANK} PyTorch supports`);
    const rank64 = pickle(tensorOps('FloatStorage', '0', 4, 0, Array(64).fill(1), Array(64).fill(1)));
    expect((unpickle(rank64, { source: 'data.pkl', loadStorage: fakeStorages }) as TensorRef).shape).toHaveLength(64);
  });

  it('keeps small repeating views (expand) and materialises them', async () => {
    const archive = await openArchive(write(scriptArchive('m', [
      { name: 'data.pkl', data: moduleWith(['w', tensorOps('FloatStorage', '0', 4, 0, [3, 4], [0, 1])]) },
      { name: 'data/0', data: Buffer.from(new Float32Array([1, 2, 3, 4]).buffer) },
    ])));
    expect(Array.from(new Float32Array(tensorBytes(archive.module.attributes.get('w') as TensorRef).buffer))).toEqual([1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4]);
    archive.close();
  });

  it('refuses extents past the storage, computed exactly where doubles overflow', () => {
    const overflow = tensorError([2 ** 40, 2 ** 40], [2 ** 40, 1]);
    expect(overflow.code).toBe('ARCHIVE_CORRUPT');
    expect(overflow.message).toContain("tensor [1099511627776, 1099511627776] of storage 'data/0' with strides [1099511627776, 1] at offset 0 reaches element 1208925819614629174706175, past the storage's 4 elements");
    expect(tensorError([4], [1], 2 ** 52).message).toContain('past the storage');
  });

  it('refuses negative sizes, strides and offsets, and sizes beyond 2^53', () => {
    const cases: Array<[TsonnxError, string]> = [
      [tensorError([-3], [1]), "tensor of storage 'data/0' has size -3"],
      [tensorError([2], [-1]), "tensor of storage 'data/0' has stride -1"],
      [tensorError([2], [1], -1), "tensor of storage 'data/0' has storage offset -1"],
    ];
    for (const [error, message] of cases) {
      expect(error.code).toBe('ARCHIVE_CORRUPT');
      expect(error.message).toContain(message);
    }
    const beyond = pickleError(pickle(
      pk.global('torch._utils', '_rebuild_tensor_v2'), pk.mark,
      pk.mark, pk.str('storage'), pk.global('torch', 'FloatStorage'), pk.str('0'), pk.str('cpu'), pk.int4(4), pk.tuple, pk.persid,
      pk.int4(0), pk.mark, pk.long1(2n ** 60n), pk.tuple, pk.mark, pk.int4(1), pk.tuple, pk.false,
      pk.global('collections', 'OrderedDict'), pk.emptyTuple, pk.reduce, pk.tuple, pk.reduce,
    ));
    expect(beyond.code).toBe('ARCHIVE_CORRUPT');
    expect(beyond.message).toContain("tensor of storage 'data/0' has size 1152921504606846976");
  });

  it('refuses storage keys that are not record names', () => {
    const error = pickleError(pickle(tensorOps('FloatStorage', '../x\ny', 4, 0, [4], [1])));
    expect(error.code).toBe('PICKLE_CORRUPT');
    expect(error.message).toContain("storage key '../x\\ny' is not a record name");
    expect(error.message).not.toContain('\n');
  });
});
