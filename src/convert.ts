/** The whole pipeline: archive → trace → passes → lower → onnx. */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { openArchive } from './archive/open.js';
import { fail } from './errors.js';
import { lower } from './lower/lower.js';
import type { OnnxModel } from './lower/onnx-graph.js';
import { optimizeModel } from './onnx/optimize.js';
import { writeModel, type WriteReport } from './onnx/writer.js';
import { irVersionForOpset } from './onnx/versions.js';
import { eliminateDeadCode } from './passes/dce.js';
import { foldConvBatchNorm } from './passes/fold-conv-bn.js';
import { parseInputSpec } from './trace/inputs.js';
import { trace } from './trace/trace.js';

export type TrainingMode = 'eval' | 'preserve' | 'training';

/** Options under torch.onnx.export's names. */
export interface ConvertOptions {
  /** One spec per forward() argument: `float32[1,3,224,224]` or a JSON literal. */
  inputs?: readonly string[];
  opsetVersion?: number;
  training?: TrainingMode;
  inputNames?: readonly string[];
  outputNames?: readonly string[];
  doConstantFolding?: boolean;
  verbose?: boolean;
  /** Method of the root module to convert (default `forward`). */
  method?: string;
  /** Tensor attributes forward() writes become extra inputs (`<attr>`) and outputs (`<attr>_out`). */
  liftState?: boolean;
}

export interface ValueReport {
  name: string;
  dtype: string;
  shape: Array<number | string>;
}

export interface ConvertReport {
  output: string;
  opset: number;
  irVersion: number;
  inputs: ValueReport[];
  outputs: ValueReport[];
  nodes: Record<string, number>;
  warnings: string[];
  seconds: Record<'archive' | 'trace' | 'passes' | 'lower' | 'write', number>;
  write: WriteReport;
}

export const DEFAULT_OPSET = 17;
export const MIN_OPSET = 7;
export const MAX_OPSET = 21;

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function sameFile(a: string, b: string): boolean {
  if (resolve(a) === resolve(b)) return true;
  return existsSync(b) && realpathSync(a) === realpathSync(b);
}

function countNodes(model: OnnxModel): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const n of model.graph.nodes) counts[n.opType] = (counts[n.opType] ?? 0) + 1;
  return counts;
}

export async function convert(inputPath: string, outputPath: string, options: ConvertOptions = {}): Promise<ConvertReport> {
  const opset = options.opsetVersion ?? DEFAULT_OPSET;
  if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET) {
    fail('OPTION_INVALID', `opset ${opset} is not supported; choose ${MIN_OPSET} to ${MAX_OPSET}`);
  }
  if (!existsSync(inputPath)) fail('INPUT_NOT_FOUND', `${inputPath} does not exist`);
  if (sameFile(inputPath, outputPath)) fail('OUTPUT_IS_INPUT', `the output ${outputPath} is the input archive`);
  const specs = options.inputs?.map(parseInputSpec);
  const seconds = { archive: 0, trace: 0, passes: 0, lower: 0, write: 0 };
  let clock = performance.now();
  const lap = (stage: keyof typeof seconds) => {
    const now = performance.now();
    seconds[stage] = (now - clock) / 1000;
    clock = now;
  };

  const archive = await openArchive(inputPath);
  try {
    lap('archive');
    const training = options.training ?? 'eval';
    let graph = trace(archive, {
      inputs: specs,
      method: options.method,
      training: training === 'preserve' ? 'preserve' : training === 'training',
      liftState: options.liftState,
    });
    lap('trace');
    graph = eliminateDeadCode(graph);
    if (training === 'eval' && options.doConstantFolding !== false) graph = eliminateDeadCode(foldConvBatchNorm(graph));
    lap('passes');
    const model = optimizeModel(lower(graph, {
      opset,
      inputNames: options.inputNames,
      outputNames: options.outputNames,
      docStrings: options.verbose,
      producerVersion: packageVersion(),
    }));
    lap('lower');
    const write = await writeModel(model, outputPath, { archivePath: inputPath, docStrings: options.verbose });
    lap('write');
    const report = (v: { name: string; dtype: string; shape?: readonly (number | string)[] }): ValueReport => ({
      name: v.name,
      dtype: v.dtype,
      shape: [...(v.shape ?? [])],
    });
    return {
      output: write.path,
      opset,
      irVersion: irVersionForOpset(opset),
      inputs: model.graph.inputs.map(report),
      outputs: model.graph.outputs.map(report),
      nodes: countNodes(model),
      warnings: graph.warnings,
      seconds,
      write,
    };
  } finally {
    archive.close();
  }
}
