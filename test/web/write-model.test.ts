/**
 * The page's model files against writer.ts's: the same model, inline and with external data, gives
 * the same bytes in both (the page needs a model past 2 GiB to choose external data itself).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { openArchive, openFileSource } from '../../src/archive/file-source.js';
import { writeModel } from '../../src/onnx/writer.js';
import { buildModel, describeModel, planConversion, StageClock, type ConvertOptions } from '../../src/pipeline.js';
import { MemorySink } from '../../web/buffered-sink.js';
import { SourceReader, writeModelFiles } from '../../web/write-model.js';
import { fixturesRoot } from '../helpers/cases.js';

const archivePath = join(fixturesRoot, 'models', 'small_cnn', 'torch113', 'model.pt');

/** The model, and the archive it reads tensors from (folded ones are computed as they are written). */
async function modelOf(options: ConvertOptions) {
  const plan = planConversion(options);
  const archive = await openArchive(archivePath);
  const { model } = buildModel(archive, options, plan, new StageClock(), '0.0.0-test');
  describeModel(model, { name: 'model.pt', sha256: '0'.repeat(64) }, options, plan.resolved, '0.0.0-test');
  return { model, archive, keepInitializersAsInputs: plan.resolved.keepInitializersAsInputs };
}

const bytesOf = async (blob: Blob) => Buffer.from(await blob.arrayBuffer());

for (const externalData of ['auto', 'always'] as const) {
  it(`writes what writer.ts writes to files (externalData '${externalData}')`, async () => {
    const { model, archive, keepInitializersAsInputs } = await modelOf({ inputs: ['float32[1,3,32,32]'] });
    const dir = mkdtempSync(join(tmpdir(), 'tsonnx-write-model-'));
    const fromFiles = await writeModel(model, join(dir, 'model.onnx'), { archivePath, keepInitializersAsInputs, externalData });
    const source = openFileSource(archivePath);
    try {
      const fromPage = await writeModelFiles(model, 'model.onnx', { sink: async () => new MemorySink() }, new SourceReader(source), { keepInitializersAsInputs, externalData });
      expect(fromPage.storage).toBe('memory');
      expect((await bytesOf(fromPage.model.blob)).equals(readFileSync(join(dir, 'model.onnx')))).toBe(true);
      expect(fromPage.write.bytes).toBe(fromFiles.bytes);
      expect(fromPage.write.initializerBytes).toBe(fromFiles.initializerBytes);
      if (externalData === 'always') {
        expect(fromFiles.externalData!.tensors).toBeGreaterThan(0);
        expect(fromPage.write.externalData).toEqual({ ...fromFiles.externalData, path: 'model.onnx.data' });
        expect(fromPage.data!.name).toBe('model.onnx.data');
        expect((await bytesOf(fromPage.data!.blob)).equals(readFileSync(join(dir, 'model.onnx.data')))).toBe(true);
      } else {
        expect(fromPage.data).toBeUndefined();
      }
    } finally {
      source.close();
      archive.close();
    }
  });
}
