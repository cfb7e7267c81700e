import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contiguousFileRange, dtypeItemSize, openArchive, tensorBytes, tensorValues } from '../../src/archive/index.js';
import { tensorBytesInto } from '../../src/archive/tensor-data.js';
import { isTensorRef, type Archive, type PickleValue, type TensorRef } from '../../src/archive/types.js';
import { objectOps, pickle, pk, scriptArchive, tempDir, tensorOps, zipBytes } from './helpers.js';

const DTYPES = path.resolve('test/fixtures/archive/1.13/dtypes.pt');
const REZIPPED = path.resolve('test/fixtures/archive/1.13/cnn_rezipped.pt');
const dir = tempDir();
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));


function tensorsOf(archive: Archive): Map<string, TensorRef> {
  return new Map([...archive.module.attributes].filter((e): e is [string, TensorRef] => isTensorRef(e[1])));
}

function fileBytes(file: string, range: { start: number; end: number }): Uint8Array {
  return new Uint8Array(fs.readFileSync(file).subarray(range.start, range.end));
}

describe('tensor bytes of the dtypes fixture', () => {
  let archive: Archive;
  let tensors: Map<string, TensorRef>;
  beforeAll(async () => {
    archive = await openArchive(DTYPES);
    tensors = tensorsOf(archive);
  });
  afterAll(() => archive.close());

  it('streams contiguous tensors straight from the file, equal to tensorBytes', () => {
    const contiguous = ['weight', 'f16', 'f32', 'f64', 'bf16', 'i8', 'i16', 'i32', 'i64', 'u8', 'b', 'c64', 'scalar', 'base', 'weight_alias', 'q'];
    for (const name of contiguous) {
      const tensor = tensors.get(name)!;
      const range = contiguousFileRange(tensor);
      expect(range, name).toBeDefined();
      const numel = tensor.shape.reduce((a, b) => a * b, 1);
      expect(range!.end - range!.start, name).toBe(numel * dtypeItemSize(tensor.dtype));
      expect(fileBytes(DTYPES, range!), name).toEqual(tensorBytes(tensor));
    }
  });

  it('reads contiguous tensors into a reused buffer and strided ones into fresh memory, equal to tensorBytes', () => {
    const scratch = new Uint8Array(4096);
    for (const name of ['weight', 'f64', 'i64', 'weight_alias', 'q']) {
      const tensor = tensors.get(name)!;
      const bytes = tensorBytesInto(tensor, scratch);
      expect(bytes.buffer, name).toBe(scratch.buffer);
      expect(bytes.byteOffset, name).toBe(0);
      expect(bytes, name).toEqual(tensorBytes(tensor));
    }
    for (const name of ['transposed', 'window', 'expanded']) {
      const bytes = tensorBytesInto(tensors.get(name)!, scratch);
      expect(bytes.buffer, name).not.toBe(scratch.buffer);
      expect(bytes, name).toEqual(tensorBytes(tensors.get(name)!));
    }
    const weight = tensors.get('weight')!;
    const small = new Uint8Array(tensorBytes(weight).byteLength - 1);
    expect(tensorBytesInto(weight, small).buffer).not.toBe(small.buffer);
  });

  it('places a view with a storage offset inside its shared storage', () => {
    const weight = tensors.get('weight')!;
    const alias = tensors.get('weight_alias')!;
    expect(alias.storage).toBe(weight.storage);
    expect(contiguousFileRange(alias)!.start).toBe(contiguousFileRange(weight)!.start + 8);
    expect(Array.from(new Float32Array(tensorBytes(alias).buffer))).toEqual([3, 4]);
  });

  it('gathers non-contiguous views into C order and gives no file range for them', () => {
    expect(tensors.get('transposed')!.storage).toBe(tensors.get('base')!.storage);
    for (const name of ['transposed', 'window', 'expanded']) expect(contiguousFileRange(tensors.get(name)!), name).toBeUndefined();
    expect(Array.from(new Float32Array(tensorBytes(tensors.get('window')!).buffer))).toEqual([8, 9, 10, 14, 15, 16]);
    expect(Array.from(new Float32Array(tensorBytes(tensors.get('expanded')!).buffer))).toEqual([0, 1, 2, 0, 1, 2]);
    expect(tensorValues(tensors.get('transposed')!).slice(0, 6)).toEqual([0, 6, 12, 18, 1, 7]);
  });

  it('decodes int64 as numbers when all are safe and as bigints otherwise', () => {
    expect(tensorValues(tensors.get('i64small')!)).toEqual([3, -4]);
    expect(tensorValues(tensors.get('i64')!)).toEqual([-5n, 2n ** 40n, 2n ** 62n]);
  });

  it('refuses to decode complex values but gives their bytes', () => {
    expect(() => tensorValues(tensors.get('c64')!)).toThrow(/complex64/);
    expect(Array.from(new Float32Array(tensorBytes(tensors.get('c64')!).buffer))).toEqual([1, 2, -0, -3.5]);
  });
});

describe('tensor bytes in other layouts', () => {
  it('reads deflated storages but gives no file range for them', async () => {
    const archive = await openArchive(REZIPPED);
    const conv = archive.module.attributes.get('conv') as { attributes: Map<string, PickleValue> };
    const bias = conv.attributes.get('bias') as TensorRef;
    expect(bias.storage.entry.fileRange).toBeUndefined();
    expect(contiguousFileRange(bias)).toBeUndefined();
    expect(tensorBytes(bias).length).toBe(16);
    const scratch = new Uint8Array(64);
    const inScratch = tensorBytesInto(bias, scratch);
    expect(inScratch.buffer).toBe(scratch.buffer);
    expect(inScratch).toEqual(tensorBytes(bias));
    archive.close();
  });

  it('byte-swaps storages of a big-endian archive', async () => {
    const little = await openArchive(DTYPES);
    const swapped = new Map<string, Buffer>();
    for (const tensor of tensorsOf(little).values()) {
      const { entry, dtype } = tensor.storage;
      const unit = dtype === 'complex64' ? 4 : dtypeItemSize(dtype);
      const bytes = Buffer.from(entry.read());
      for (let at = 0; at < bytes.length; at += unit) bytes.subarray(at, at + unit).reverse();
      swapped.set(entry.name, bytes);
    }
    const items = [...little.entries].map(([name, entry]) => ({ name: `big/${name}`, data: swapped.get(name) ?? entry.read() }));
    const file = path.join(dir, 'big.pt');
    fs.writeFileSync(file, zipBytes([...items, { name: 'big/byteorder', data: 'big' }]));
    const big = await openArchive(file);
    expect(big.byteorder).toBe('big');
    const bigTensors = tensorsOf(big);
    for (const [name, tensor] of tensorsOf(little)) {
      expect(tensorBytes(bigTensors.get(name)!), name).toEqual(tensorBytes(tensor));
      expect(tensorBytesInto(bigTensors.get(name)!, new Uint8Array(4096)), name).toEqual(tensorBytes(tensor));
      expect(contiguousFileRange(bigTensors.get(name)!), name).toBeUndefined();
    }
    little.close();
    big.close();
  });

  it('handles empty tensors and records saved without data', async () => {
    const data = pickle(objectOps('__torch__.M', [
      ['empty', tensorOps('FloatStorage', '0', 0, 0, [0, 3], [3, 1])],
      ['full', tensorOps('FloatStorage', '1', 6, 0, [2, 3], [3, 1])],
    ]));
    const file = path.join(dir, 'empty.pt');
    fs.writeFileSync(file, scriptArchive('m', [{ name: 'data.pkl', data }, { name: 'data/1', data: Buffer.alloc(24) }]));
    const archive = await openArchive(file);
    const empty = archive.module.attributes.get('empty') as TensorRef;
    expect(tensorBytes(empty).length).toBe(0);
    expect(tensorValues(empty)).toEqual([]);
    expect(contiguousFileRange(archive.module.attributes.get('full') as TensorRef)).toBeDefined();
    archive.close();
  });

  it('reads traced inputs whose records hold no bytes, and says so when asked for data', async () => {
    const tracedInputs = pickle(pk.emptyDict, pk.str('forward'), pk.mark, tensorOps('FloatStorage', '0', 6, 0, [2, 3], [3, 1]), pk.tuple, pk.setitem);
    const file = path.join(dir, 'traced.pt');
    fs.writeFileSync(file, scriptArchive('m', [
      { name: 'data.pkl', data: pickle(objectOps('__torch__.M', [['training', pk.false]])) },
      { name: 'traced_inputs.pkl', data: tracedInputs },
      { name: 'traced_inputs/0', data: '' },
    ]));
    const archive = await openArchive(file);
    const [input] = (archive.tracedInputs!.get('forward') as { items: TensorRef[] }).items;
    expect(input.shape).toEqual([2, 3]);
    expect(() => tensorBytes(input)).toThrow(/not saved in the archive/);
    archive.close();
  });
});
