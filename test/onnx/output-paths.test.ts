/**
 * What the writer does with outputs that are not plain new files: symlinks are written through to
 * their final target, FIFOs and character devices are written directly, and nothing that is not a
 * regular file is ever replaced.
 */
import { spawn } from 'node:child_process';
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ArchiveEntry } from '../../src/archive/types.js';
import type { OnnxModel } from '../../src/ir/onnx-graph.js';
import { resolveOutput, writeModel } from '../../src/onnx/writer.js';
import { emptyGraph, floatTensor, model, temporaryFolder, tensorRef } from './fixtures.js';

const { folder, remove } = temporaryFolder();
afterAll(remove);

const simple = model({ ...emptyGraph(), initializers: [floatTensor('w', [2], [1, 2])] });
/** 2048 elements: over the external-data threshold, so `externalData: 'always'` moves it out. */
const large = model({ ...emptyGraph(), initializers: [floatTensor('big', [2048], new Array<number>(2048).fill(0.5))] });

async function bytesOf(m: OnnxModel): Promise<Buffer> {
  const file = path.join(folder, `reference-${Math.random().toString(36).slice(2)}.onnx`);
  await writeModel(m, file);
  return readFileSync(file);
}

function fresh(name: string): string {
  const dir = path.join(folder, name);
  mkdirSync(dir);
  return dir;
}

const failingEntry: ArchiveEntry = {
  name: 'data/0',
  size: 64,
  read: () => {
    throw new Error('disk on fire');
  },
};

describe('symlinks', () => {
  it('a chain of links is written through to its final target; the links stay links', async () => {
    const dir = fresh('chain');
    const other = fresh('chain-target');
    writeFileSync(path.join(other, 'real.onnx'), 'old');
    symlinkSync('../chain-target/real.onnx', path.join(dir, 'second.onnx'));
    symlinkSync('second.onnx', path.join(dir, 'first.onnx'));
    const report = await writeModel(simple, path.join(dir, 'first.onnx'));
    expect(report.path).toBe(path.join(other, 'real.onnx'));
    expect(readFileSync(path.join(other, 'real.onnx'))).toEqual(await bytesOf(simple));
    expect(readlinkSync(path.join(dir, 'first.onnx'))).toBe('second.onnx');
    expect(readlinkSync(path.join(dir, 'second.onnx'))).toBe('../chain-target/real.onnx');
    expect(readdirSync(dir).sort()).toEqual(['first.onnx', 'second.onnx']);
    expect(readdirSync(other)).toEqual(['real.onnx']);
  });

  it('a dangling link writes the file it names', async () => {
    const dir = fresh('dangling');
    symlinkSync('made-later.onnx', path.join(dir, 'link.onnx'));
    const report = await writeModel(simple, path.join(dir, 'link.onnx'));
    expect(report.path).toBe(path.join(dir, 'made-later.onnx'));
    expect(lstatSync(path.join(dir, 'link.onnx')).isSymbolicLink()).toBe(true);
    expect(readFileSync(path.join(dir, 'link.onnx'))).toEqual(await bytesOf(simple));
  });

  it('external data goes beside the target, which the model names relative to itself', async () => {
    const dir = fresh('external-link');
    const other = fresh('external-target');
    symlinkSync(path.join(other, 'm.onnx'), path.join(dir, 'link.onnx'));
    const report = await writeModel(large, path.join(dir, 'link.onnx'), { externalData: 'always' });
    expect(report.externalData).toEqual({ path: path.join(other, 'm.onnx.data'), bytes: 2048 * 4, tensors: 1 });
    expect(readdirSync(other).sort()).toEqual(['m.onnx', 'm.onnx.data']);
    expect(readdirSync(dir)).toEqual(['link.onnx']);
  });

  it('a failure leaves the target as it was and no temporary file beside it', async () => {
    const dir = fresh('link-failure');
    writeFileSync(path.join(dir, 'real.onnx'), 'old model');
    symlinkSync('real.onnx', path.join(dir, 'link.onnx'));
    const failing = model({
      ...emptyGraph(),
      initializers: [
        { name: 'big', dtype: 'float32', dims: [1 << 20], data: { kind: 'bytes', bytes: new Uint8Array(4 << 20) } },
        { name: 'broken', dtype: 'float32', dims: [16], data: { kind: 'archive', ref: tensorRef(failingEntry, 'float32', [16]) } },
      ],
    });
    await expect(writeModel(failing, path.join(dir, 'link.onnx'))).rejects.toThrow('disk on fire');
    expect(readdirSync(dir).sort()).toEqual(['link.onnx', 'real.onnx']);
    expect(readFileSync(path.join(dir, 'real.onnx'), 'utf8')).toBe('old model');
  });

  it('a loop of links is OUTPUT_UNWRITABLE', async () => {
    const dir = fresh('loop');
    symlinkSync('b.onnx', path.join(dir, 'a.onnx'));
    symlinkSync('a.onnx', path.join(dir, 'b.onnx'));
    await expect(writeModel(simple, path.join(dir, 'a.onnx'))).rejects.toMatchObject({
      code: 'OUTPUT_UNWRITABLE',
      message: `cannot write ${path.join(dir, 'a.onnx')}: too many symbolic links encountered (ELOOP)`,
    });
  });
});

describe('FIFOs and devices are written directly, never replaced', () => {
  it('a FIFO: the reader gets exactly the model bytes', async () => {
    const dir = fresh('fifo');
    const fifo = path.join(dir, 'pipe.onnx');
    await new Promise<void>((done, failed) => spawn('mkfifo', [fifo]).on('exit', (code) => (code === 0 ? done() : failed(new Error(`mkfifo: ${code}`)))));
    const reader = spawn('cat', [fifo]);
    const chunks: Buffer[] = [];
    reader.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    const readerDone = new Promise((done) => reader.on('close', done));
    const report = await writeModel(simple, fifo);
    await readerDone;
    expect(report).toMatchObject({ path: fifo, bytes: (await bytesOf(simple)).byteLength });
    expect(Buffer.concat(chunks)).toEqual(await bytesOf(simple));
    expect(statSync(fifo).isFIFO()).toBe(true);
    expect(readdirSync(dir)).toEqual(['pipe.onnx']);
  });

  it('/dev/null stays the character device', async () => {
    const report = await writeModel(simple, '/dev/null');
    expect(report.path).toBe('/dev/null');
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
  });

  it.skipIf(!statSafe('/dev/full'))('a device that fails a write is OUTPUT_UNWRITABLE with the reason', async () => {
    await expect(writeModel(simple, '/dev/full')).rejects.toMatchObject({
      code: 'OUTPUT_UNWRITABLE',
      message: 'cannot write /dev/full (a character device): no space left on device (ENOSPC)',
    });
    expect(statSync('/dev/full').isCharacterDevice()).toBe(true);
  });

  it('external data cannot go to a FIFO or device: refused before anything is written', async () => {
    await expect(writeModel(large, '/dev/null', { externalData: 'always' })).rejects.toMatchObject({
      code: 'OUTPUT_UNWRITABLE',
      message: 'cannot write /dev/null (a character device): the model needs external data (8192 bytes in a .data file beside the model), which needs a regular file in a folder',
    });
  });

  it('a socket is refused, not replaced', async () => {
    const dir = fresh('socket');
    const socket = path.join(dir, 'model.onnx');
    const server = createServer();
    await new Promise<void>((done) => server.listen(socket, done));
    try {
      await expect(writeModel(simple, socket)).rejects.toMatchObject({
        code: 'OUTPUT_UNWRITABLE',
        message: `cannot write ${socket}: it is a socket; tsonnx writes regular files, FIFOs, character devices and - (standard output)`,
      });
      expect(statSync(socket).isSocket()).toBe(true);
    } finally {
      await new Promise((done) => server.close(done));
    }
  });
});

describe('resolveOutput', () => {
  it('classifies without writing', () => {
    const dir = fresh('classify');
    expect(resolveOutput('-')).toEqual({ kind: 'stdout', path: '-' });
    expect(resolveOutput('/dev/null')).toEqual({ kind: 'stream', path: '/dev/null', what: 'a character device' });
    expect(resolveOutput(path.join(dir, 'new.onnx'))).toEqual({ kind: 'file', path: path.join(dir, 'new.onnx') });
    expect(readdirSync(dir)).toEqual([]);
  });
});

function statSafe(file: string): boolean {
  try {
    return statSync(file).isCharacterDevice();
  } catch {
    return false;
  }
}
