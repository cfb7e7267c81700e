/** Bad and odd inputs, made at run time: every failure is a TsonnxError with a stable code. */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TsonnxError } from '../../src/errors.js';
import { openArchive } from '../../src/archive/index.js';
import type { ScriptObject } from '../../src/archive/types.js';
import { objectOps, pickle, pk, scriptArchive, tempDir, tensorOps, writeArchiveFile, zipBytes } from './helpers.js';

const FIXTURES = path.resolve('test/fixtures/archive/1.13');
const CNN = path.join(FIXTURES, 'cnn_traced.pt');
const dir = tempDir();
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const write = (bytes: Uint8Array): string => writeArchiveFile(dir, bytes);

async function openError(file: string): Promise<TsonnxError> {
  try {
    const archive = await openArchive(file);
    archive.close();
  } catch (error) {
    if (error instanceof TsonnxError) return error;
    throw error;
  }
  throw new Error(`${file} opened`);
}

const oneTensorModule = pickle(objectOps('__torch__.M', [['training', pk.false], ['w', tensorOps('FloatStorage', '0', 4, 0, [4], [1])]]));

describe('inputs that are not TorchScript archives', () => {
  it('reports a missing file', async () => {
    expect((await openError(path.join(dir, 'nope.pt'))).code).toBe('INPUT_NOT_FOUND');
  });

  it('reports a folder as unreadable', async () => {
    expect((await openError(dir)).code).toBe('INPUT_UNREADABLE');
  });

  it('reports a file that is not a zip', async () => {
    const error = await openError(write(Buffer.from('just some text, not an archive\n')));
    expect(error.code).toBe('ARCHIVE_NOT_ZIP');
    expect(error.message).toContain('not a zip file');
    expect((await openError(write(Buffer.alloc(0)))).code).toBe('ARCHIVE_NOT_ZIP');
  });

  it('reports torch.save checkpoints, zip and legacy, with advice', async () => {
    for (const name of ['1.13/checkpoint_zip.pth', '1.13/checkpoint_legacy.pth', '2.6/checkpoint_zip.pth', '2.6/checkpoint_legacy.pth']) {
      const error = await openError(path.join(FIXTURES, '..', name));
      expect(error.code, name).toBe('ARCHIVE_TORCH_SAVE');
      expect(error.message, name).toMatch(/torch\.save checkpoint, not a TorchScript archive/);
      expect(error.message, name).toMatch(/torch\.jit\.trace .*torch\.jit\.save/);
    }
  });

  it('reports a zip without data.pkl', async () => {
    const error = await openError(write(zipBytes([{ name: 'stuff/readme.txt', data: 'hello' }])));
    expect(error.code).toBe('ARCHIVE_NOT_TORCHSCRIPT');
  });

  it('reports legacy model.json archives as unsupported', async () => {
    const error = await openError(write(zipBytes([{ name: 'm/model.json', data: '{}' }, { name: 'm/attributes.pkl', data: pickle(pk.emptyTuple) }])));
    expect(error.code).toBe('ARCHIVE_UNSUPPORTED');
    expect(error.message).toContain('model.json');
  });
});

describe('damaged archives', () => {
  const original = fs.readFileSync(CNN);

  it('reports a truncated archive', async () => {
    for (const length of [Math.floor(original.length / 2), original.length - 10]) {
      const error = await openError(write(original.subarray(0, length)));
      expect(error.code, `${length} bytes`).toBe('ARCHIVE_CORRUPT');
      expect(error.message, `${length} bytes`).toMatch(/truncated/);
      expect(error.message).not.toContain('\n');
    }
  });

  it('reports a damaged central directory', async () => {
    const damaged = Buffer.from(original);
    const at = damaged.indexOf(Buffer.from('PK\x01\x02', 'latin1'));
    damaged.write('XXXX', at, 'latin1');
    const error = await openError(write(damaged));
    expect(error.code).toBe('ARCHIVE_CORRUPT');
    expect(error.message).toMatch(/central directory/);
  });

  it('reports a directory entry that points outside the file', async () => {
    const damaged = Buffer.from(original);
    const at = damaged.lastIndexOf(Buffer.from('PK\x01\x02', 'latin1'));
    damaged.writeUInt32LE(0x7ffffff0, at + 42);
    const error = await openError(write(damaged));
    expect(error.code).toBe('ARCHIVE_CORRUPT');
  });

  it('reports a forbidden pickle global by name', async () => {
    const evil = pickle(pk.global('os', 'system'), pk.str('echo pwned'), pk.tuple1, pk.reduce);
    const error = await openError(write(scriptArchive('m', [{ name: 'data.pkl', data: evil }])));
    expect(error.code).toBe('PICKLE_FORBIDDEN_GLOBAL');
    expect(error.message).toBe("data.pkl: pickle global 'os.system' is not allowed in a TorchScript archive");
  });

  it('reports missing and short storage records', async () => {
    const missing = await openError(write(scriptArchive('m', [{ name: 'data.pkl', data: oneTensorModule }])));
    expect(missing.code).toBe('ARCHIVE_CORRUPT');
    expect(missing.message).toContain("storage record 'data/0' is missing");
    const short = await openError(write(scriptArchive('m', [{ name: 'data.pkl', data: oneTensorModule }, { name: 'data/0', data: Buffer.alloc(12) }])));
    expect(short.code).toBe('ARCHIVE_CORRUPT');
    expect(short.message).toContain("storage 'data/0' holds 12 bytes");
  });

  it('reports a missing or bad version record and a data.pkl that is not an object', async () => {
    const noVersion = zipBytes([{ name: 'm/data.pkl', data: oneTensorModule }, { name: 'm/constants.pkl', data: pickle(pk.emptyTuple) }]);
    expect((await openError(write(noVersion))).message).toContain('no version record');
    const badVersion = scriptArchive('m', [{ name: 'data.pkl', data: oneTensorModule }, { name: 'version', data: 'three' }]);
    expect((await openError(write(badVersion))).code).toBe('ARCHIVE_CORRUPT');
    const notObject = scriptArchive('m', [{ name: 'data.pkl', data: pickle(pk.int1(3)) }]);
    expect((await openError(write(notObject))).message).toContain('does not hold a module object');
  });
});

describe('hand-made archives', () => {
  it('opens a zip with zero CRCs, directory entries, deflated records and a .data/version', async () => {
    const bytes = zipBytes([
      { name: 'deep/', data: '' },
      { name: 'deep/m/', data: '' },
      { name: 'deep/m/data.pkl', data: oneTensorModule },
      { name: 'deep/m/data/0', data: Buffer.from(new Float32Array([1, 2, 3, 4]).buffer) },
      { name: 'deep/m/constants.pkl', data: pickle(pk.emptyTuple), deflate: true },
      { name: 'deep/m/.data/version', data: '10\n' },
      { name: 'deep/m/code/__torch__.py', data: 'class M(Module):\n  pass\n', deflate: true },
    ]);
    const archive = await openArchive(write(bytes));
    expect(archive.root).toBe('deep/m');
    expect(archive.version).toBe(10);
    expect([...archive.entries.keys()]).toEqual(['data.pkl', 'data/0', 'constants.pkl', '.data/version', 'code/__torch__.py']);
    expect(archive.code('code/__torch__.py')).toBe('class M(Module):\n  pass\n');
    expect(archive.entries.get('code/__torch__.py')!.fileRange).toBeUndefined();
    expect(archive.entries.get('data/0')!.fileRange).toBeDefined();
    expect(archive.tracedInputs).toBeUndefined();
    archive.close();
    expect(() => archive.entries.get('data/0')!.read()).toThrow(/closed/);
  });

  it('never throws on odd debug_pkl content', async () => {
    const records = [
      { name: 'data.pkl', data: oneTensorModule },
      { name: 'data/0', data: Buffer.alloc(16) },
      { name: 'code/__torch__/a.py', data: 'x' },
      { name: 'code/__torch__/a.py.debug_pkl', data: 'garbage' },
      { name: 'code/__torch__/b.py', data: 'x' },
      { name: 'code/__torch__/b.py.debug_pkl', data: pickle(pk.global('os', 'system')) },
      { name: 'code/__torch__/c.py', data: 'x' },
      { name: 'code/__torch__/c.py.debug_pkl', data: pickle(pk.mark, pk.int1(0), pk.str('odd'), pk.tuple2, pk.none, pk.tuple) },
    ];
    const archive = await openArchive(write(scriptArchive('m', records)));
    for (const file of ['a', 'b', 'c']) expect(archive.pythonLocation(`code/__torch__/${file}.py`, 0)).toBeUndefined();
    archive.close();
  });

  it('reads old inline debug records', async () => {
    const source = (text: string, file: string, line: number) => Buffer.concat([pk.str(text), pk.str(file), pk.int1(line), pk.tuple3]);
    const debug = pickle(
      pk.mark,
      pk.int1(0), source('', '', 0), pk.int1(0), pk.int1(0), pk.tuple3, pk.tuple2,
      pk.int1(10), source('def f(x):\n    return x + 1\n', '/home/u/model.py', 40), pk.int1(14), pk.int1(26), pk.tuple3, pk.tuple2,
      pk.tuple,
    );
    const archive = await openArchive(write(scriptArchive('m', [
      { name: 'data.pkl', data: oneTensorModule },
      { name: 'data/0', data: Buffer.alloc(16) },
      { name: 'code/__torch__.py', data: 'x'.repeat(30) },
      { name: 'code/__torch__.py.debug_pkl', data: debug },
    ])));
    expect(archive.pythonLocation('code/__torch__.py', 5)).toBeUndefined();
    expect(archive.pythonLocation('code/__torch__.py', 12)).toBe('model.py:41');
    archive.close();
  });

  it('shares one storage between tensors and keeps a module object shared', async () => {
    const data = pickle(objectOps('__torch__.M', [
      ['a', Buffer.concat([tensorOps('FloatStorage', '0', 4, 0, [4], [1]), pk.put(40)])],
      ['b', pk.get(40)],
      ['sub', Buffer.concat([objectOps('__torch__.S', [['n', pk.int1(1)]]), pk.put(41)])],
      ['again', pk.get(41)],
    ]));
    const archive = await openArchive(write(scriptArchive('m', [{ name: 'data.pkl', data }, { name: 'data/0', data: Buffer.alloc(16) }])));
    const attrs = archive.module.attributes;
    expect(attrs.get('a')).toBe(attrs.get('b'));
    expect(attrs.get('sub')).toBe(attrs.get('again'));
    expect((attrs.get('sub') as ScriptObject).className).toBe('__torch__.S');
    archive.close();
  });

  it('never modifies its input', async () => {
    const before = crypto.createHash('sha256').update(fs.readFileSync(CNN)).digest('hex');
    const stat = fs.statSync(CNN);
    const archive = await openArchive(CNN);
    for (const entry of archive.entries.values()) entry.read();
    archive.close();
    expect(crypto.createHash('sha256').update(fs.readFileSync(CNN)).digest('hex')).toBe(before);
    expect(fs.statSync(CNN).mtimeMs).toBe(stat.mtimeMs);
  });
});
