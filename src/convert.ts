/** The whole pipeline on files: archive → trace → passes → lower → onnx (pipeline.ts), read and written with Node. */
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { startFileDigest } from './archive/digest.js';
import { openArchive } from './archive/file-source.js';
import { fail, TsonnxError } from './errors.js';
import type { OnnxModel } from './ir/onnx-graph.js';
import { refuseInputAsOutput, resolveOutput, writeModel } from './onnx/writer.js';
import { DEFAULT_OPSET, MAX_OPSET, MIN_OPSET } from './onnx/versions.js';
import {
  buildModel,
  conversionReport,
  describeModel as describeModelOf,
  planConversion,
  requireSupportedOpset,
  StageClock,
  type ConvertOptions,
  type ConvertReport,
  type ResolvedOptions,
} from './pipeline.js';
import { packageVersion } from './version.js';

export { normalizeDynamicAxes } from './pipeline.js';
export type { ConvertOptions, ConvertReport, ConvertStage, OperatorExportType, ResolvedOptions, TrainingMode, ValueReport } from './pipeline.js';
export { DEFAULT_OPSET, MIN_OPSET, MAX_OPSET, packageVersion };

/**
 * Says in the model where it came from: doc_string, and metadata_props with the archive's name and
 * SHA-256, the tsonnx version, the options as torch.onnx.export keywords and tsonnx's own options under
 * their config names (the two objects merged are a `--config` file for the same conversion).
 */
export function describeModel(model: OnnxModel, source: { path: string; sha256: string }, options: ConvertOptions, resolved: ResolvedOptions): void {
  describeModelOf(model, { name: basename(source.path), sha256: source.sha256 }, options, resolved, packageVersion());
}

export async function convert(inputPath: string, outputPath: string, options: ConvertOptions = {}): Promise<ConvertReport> {
  requireSupportedOpset(options.opsetVersion ?? DEFAULT_OPSET);
  if (!existsSync(inputPath)) fail('INPUT_NOT_FOUND', `${inputPath} does not exist`);
  // Before any work: an output tsonnx will not write, or one that would overwrite the input, fails at once.
  await refuseInputAsOutput(outputPath, inputPath);
  resolveOutput(outputPath);
  const plan = planConversion(options);
  const clock = new StageClock(options.onStage);

  clock.start('archive');
  const digest = startFileDigest(inputPath);
  const archive = await openArchive(inputPath).catch((e: unknown) => {
    digest.cancel();
    throw e;
  });
  try {
    clock.lap('archive', 'trace');
    const { model, warnings } = buildModel(archive, options, plan, clock, packageVersion());
    const write = await writeModel(model, outputPath, {
      archivePath: inputPath,
      docStrings: options.verbose,
      keepInitializersAsInputs: plan.resolved.keepInitializersAsInputs,
      // The digest goes into the model's closing fields, so hashing overlaps writing the weights.
      beforeTail: async () => describeModel(model, { path: inputPath, sha256: await digest.sha256 }, options, plan.resolved),
    });
    const source = { path: inputPath, sha256: await digest.sha256 };
    clock.lap('write');
    return conversionReport(model, plan, write, source, warnings, clock.seconds, options.verbose);
  } catch (e) {
    digest.cancel();
    throw e instanceof TsonnxError ? e.settled() : e;
  } finally {
    archive.close();
  }
}
