/** The writer never leaves a partial output, never overwrites its input, and names output failures. */
import { chmodSync, linkSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ArchiveEntry } from '../../src/archive/types.js';
import type { OnnxGraph, OnnxModel } from '../../src/ir/onnx-graph.js';
import { writeModel } from '../../src/onnx/writer.js';
import { emptyGraph, floatTensor, model, storageFile, temporaryFolder, tensorRef } from './fixtures.js';

const { folder, remove } = temporaryFolder();
afterAll(remove);

const failingEntry: ArchiveEntry = {
  name: 'data/7',
  size: 64,
  read: () => {
    throw new Error('disk on fire');
  },
};

function failingModel(): OnnxModel {
  const graph: OnnxGraph = {
    ...emptyGraph(),
    initializers: [
      // Large enough to be flushed to the temporary file before the failure.
      { name: 'big', dtype: 'float32', dims: [1 << 20], data: { kind: 'bytes', bytes: new Uint8Array(4 << 20) } },
      { name: 'broken', dtype: 'float32', dims: [16], data: { kind: 'archive', ref: tensorRef(failingEntry, 'float32', [16]) } },
    ],
  };
  return model(graph);
}

function listing(dir: string): string[] {
  return readdirSync(dir).sort();
}

describe('no partial output', () => {
  it('keeps the old output and removes the temporary file when a tensor cannot be read', async () => {
    const dir = path.join(folder, 'partial');
    mkdirSync(dir);
    const out = path.join(dir, 'model.onnx');
    writeFileSync(out, 'old model');
    await expect(writeModel(failingModel(), out)).rejects.toThrow('disk on fire');
    expect(listing(dir)).toEqual(['model.onnx']);
    expect(readFileSync(out, 'utf8')).toBe('old model');
  });

  it('removes the external data file too when the model file fails after it', async () => {
    const dir = path.join(folder, 'partial-external');
    mkdirSync(dir);
    await expect(writeModel(failingModel(), path.join(dir, 'model.onnx'), { externalData: 'always' })).rejects.toThrow('disk on fire');
    expect(listing(dir)).toEqual([]);
  });
});

describe('OUTPUT_IS_INPUT', () => {
  const dir = path.join(folder, 'input');
  mkdirSync(dir);
  const archive = path.join(dir, 'model.pt');
  const [entry] = storageFile(archive, [new Uint8Array(16)]);
  const original = readFileSync(archive);
  const graph: OnnxGraph = {
    ...emptyGraph(),
    initializers: [{ name: 'w', dtype: 'float32', dims: [4], data: { kind: 'archive', ref: tensorRef(entry!, 'float32', [4]) } }],
  };
  linkSync(archive, path.join(dir, 'hard-link.pt'));
  symlinkSync(archive, path.join(dir, 'soft-link.pt'));

  for (const [title, out] of [
    ['the same path, spelled relatively', path.relative(process.cwd(), archive)],
    ['a hard link to the archive', path.join(dir, 'hard-link.pt')],
    ['a symbolic link to the archive', path.join(dir, 'soft-link.pt')],
  ] as const) {
    it(`refuses ${title}`, async () => {
      await expect(writeModel(model(graph), out, { archivePath: archive })).rejects.toMatchObject({
        code: 'OUTPUT_IS_INPUT',
        message: `refusing to overwrite the input archive ${archive} with ${path.resolve(out)}`,
      });
      expect(readFileSync(archive)).toEqual(original);
      expect(listing(dir)).toEqual(['hard-link.pt', 'model.pt', 'soft-link.pt']);
    });
  }

  it('refuses external data that would land on the archive', async () => {
    const bigGraph: OnnxGraph = { ...emptyGraph(), initializers: [floatTensor('w', [2048], new Array<number>(2048).fill(1))] };
    const sideDir = path.join(folder, 'side');
    mkdirSync(sideDir);
    writeFileSync(path.join(sideDir, 'x.onnx.data'), 'an archive named like a side file');
    await expect(writeModel(model(bigGraph), path.join(sideDir, 'x.onnx'), {
      archivePath: path.join(sideDir, 'x.onnx.data'),
      externalData: 'always',
    })).rejects.toMatchObject({ code: 'OUTPUT_IS_INPUT' });
    expect(readFileSync(path.join(sideDir, 'x.onnx.data'), 'utf8')).toBe('an archive named like a side file');
    expect(listing(sideDir)).toEqual(['x.onnx.data']);
  });
});

describe('OUTPUT_UNWRITABLE', () => {
  const simple = model({ ...emptyGraph(), initializers: [floatTensor('w', [2], [1, 2])] });

  it('names a missing folder', async () => {
    const out = path.join(folder, 'missing', 'model.onnx');
    await expect(writeModel(simple, out)).rejects.toMatchObject({
      code: 'OUTPUT_UNWRITABLE',
      message: `cannot write ${out}: no such file or directory (ENOENT)`,
    });
  });

  it('names a file standing where a folder should be', async () => {
    const file = path.join(folder, 'plain-file');
    writeFileSync(file, '');
    const out = path.join(file, 'model.onnx');
    await expect(writeModel(simple, out)).rejects.toMatchObject({
      code: 'OUTPUT_UNWRITABLE',
      message: `cannot write ${out}: not a directory (ENOTDIR)`,
    });
  });

  it('names an output that is a folder, and cleans up', async () => {
    const dir = path.join(folder, 'is-dir');
    mkdirSync(path.join(dir, 'model.onnx'), { recursive: true });
    await expect(writeModel(simple, path.join(dir, 'model.onnx'))).rejects.toMatchObject({
      code: 'OUTPUT_UNWRITABLE',
      message: `cannot write ${path.join(dir, 'model.onnx')}: illegal operation on a directory (EISDIR)`,
    });
    expect(listing(dir)).toEqual(['model.onnx']);
  });

  it.skipIf(process.getuid?.() === 0)('names a read-only folder', async () => {
    const dir = path.join(folder, 'read-only');
    mkdirSync(dir);
    chmodSync(dir, 0o500);
    try {
      await expect(writeModel(simple, path.join(dir, 'model.onnx'))).rejects.toMatchObject({
        code: 'OUTPUT_UNWRITABLE',
        message: `cannot write ${path.join(dir, 'model.onnx')}: permission denied (EACCES)`,
      });
    } finally {
      chmodSync(dir, 0o700);
    }
  });
});

describe('the 2 GiB protobuf limit', () => {
  it("refuses a model over it when external data is 'never', before writing anything", async () => {
    const dir = path.join(folder, 'too-big');
    mkdirSync(dir);
    // Only the dims matter: the layout is decided before any tensor byte is read.
    const huge = model({
      ...emptyGraph(),
      initializers: [{ name: 'huge', dtype: 'float32', dims: [600_000_000], data: { kind: 'archive', ref: tensorRef(failingEntry, 'float32', [600_000_000]) } }],
    });
    await expect(writeModel(huge, path.join(dir, 'model.onnx'), { externalData: 'never' })).rejects.toMatchObject({
      code: 'OPTION_INVALID',
      message: expect.stringMatching(/^the model is 24000000\d\d bytes, over protobuf's 2 GiB limit/),
    });
    expect(listing(dir)).toEqual([]);
  });
});

describe('closing fields settled while writing (beforeTail)', () => {
  const withMetadata = (m: OnnxModel): OnnxModel => ({ ...m, docString: 'converted from m.pt', metadataProps: [{ key: 'tsonnx.source_sha256', value: 'ab'.repeat(32) }] });
  const sample = () => model({ ...emptyGraph(), initializers: [floatTensor('w', [2048], Array.from({ length: 2048 }, (_, i) => i / 8)), floatTensor('b', [2], [1, 2])] });

  for (const externalData of ['auto', 'always'] as const) {
    it(`writes the bytes of a model that had them from the start (externalData '${externalData}')`, async () => {
      // Same file names in two folders: external data names its file.
      const [first, second] = ['early', 'late'].map((name) => path.join(folder, `tail-${externalData}-${name}`));
      for (const dir of [first, second]) mkdirSync(dir);
      const early = await writeModel(withMetadata(sample()), path.join(first, 'm.onnx'), { externalData });
      const late = sample();
      const dataFilesBeforeTail: string[][] = [];
      const report = await writeModel(late, path.join(second, 'm.onnx'), {
        externalData,
        beforeTail: async () => {
          dataFilesBeforeTail.push(listing(second).filter((f) => f.startsWith('m.onnx.data')));
          Object.assign(late, withMetadata(late));
        },
      });
      expect(report.bytes).toBe(early.bytes);
      expect(readFileSync(path.join(second, 'm.onnx'))).toEqual(readFileSync(path.join(first, 'm.onnx')));
      expect(dataFilesBeforeTail).toHaveLength(1);
      if (externalData === 'always') {
        // Written (under its temporary name) before the closing fields were asked for.
        expect(dataFilesBeforeTail[0]).toHaveLength(1);
        expect(readFileSync(path.join(second, 'm.onnx.data'))).toEqual(readFileSync(path.join(first, 'm.onnx.data')));
      }
    });
  }
});
