/**
 * The pipeline on an open archive, for every platform: options resolved under torch.onnx.export's
 * names, archive → trace → passes → lower → an `OnnxModel`, its provenance and the report. convert.ts
 * runs it on files (Node); the page's worker on a dropped file (web/). Nothing here touches a file.
 */
import type { Archive } from './archive/types.js';
import { fail, type ConversionWarning } from './errors.js';
import { formatGraph } from './graph-text.js';
import type { OnnxModel } from './ir/onnx-graph.js';
import { lower, type DynamicAxes, type OperatorExportType } from './lower/lower.js';
import { FreshDims } from './ops/args.js';
import { createOpRegistry } from './ops/index.js';
import { DEFAULT_QUANTIZED_ENGINE, parseQuantizedEngine, type QuantizedEngine } from './ops/quantized-engine.js';
import type { WriteReport } from './onnx/model-stream.js';
import { optimizeModel } from './onnx/optimize.js';
import { DEFAULT_OPSET, irVersionForOpset, MAX_OPSET, MIN_OPSET } from './onnx/versions.js';
import { runPasses } from './passes/index.js';
import { parseInputSpec, type InputSpec } from './trace/inputs.js';
import { stateMetadata, type StateInit } from './trace/state.js';
import { trace } from './trace/trace.js';

export type TrainingMode = 'eval' | 'preserve' | 'training';
export type { OperatorExportType };

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
  /** The first call's state the model's metadata records for lifted state: 'auto' (default), 'stored' or 'zeros'. */
  stateInit?: StateInit;
  /** false: no initializers; parameters are graph inputs after the user inputs. */
  exportParams?: boolean;
  operatorExportType?: OperatorExportType;
  /** Also list initializers as graph inputs. Default: false for `onnx`, true otherwise; forced below opset 9. */
  keepInitializersAsInputs?: boolean;
  /** Versions of non-default domains, e.g. `{ 'org.pytorch.aten': 1 }`; unused ones are not imported. */
  customOpsets?: Readonly<Record<string, number>>;
  /**
   * Dims to keep symbolic, by input or output name, in torch's two forms: `{ x: { 0: 'batch' } }`
   * or `{ x: [0] }` (named `x_dynamic_axes_1`, ...).
   */
  dynamicAxes?: Readonly<Record<string, Readonly<Record<string, string>> | readonly number[]>>;
  /** Called as each stage starts (progress displays). */
  onStage?: (stage: ConvertStage) => void;
  /** Any warning fails the conversion (STRICT_WARNINGS) before anything is written. */
  strict?: boolean;
  /**
   * Weights and compute in float16: the archive's float32/float64 tensors and the float32 inputs are
   * traced as float16, as PyTorch runs a `module.half()` model on half inputs. The inputs and float16
   * outputs stay float32 in the model's signature (cast inside) unless `fp16Io`.
   */
  fp16?: boolean;
  /** With `fp16`: float32 inputs and the float16 outputs are float16 in the model's signature. */
  fp16Io?: boolean;
  /**
   * The quantized engine whose integer arithmetic quantized ops reproduce (PyTorch's
   * torch.backends.quantized.engine when the model ran): 'qnnpack' (default), 'onednn' (PyTorch 2.x) or
   * 'onednn-torch1' (the onednn engine of PyTorch 1.x).
   */
  quantizedEngine?: QuantizedEngine;
}

export type ConvertStage = 'archive' | 'trace' | 'passes' | 'lower' | 'write';

export interface ValueReport {
  name: string;
  dtype: string;
  shape: Array<number | string>;
}

export interface ConvertReport {
  output: string;
  /** The archive converted, as the model's metadata names it. */
  source: { path: string; sha256: string };
  opset: number;
  irVersion: number;
  inputs: ValueReport[];
  outputs: ValueReport[];
  nodes: Record<string, number>;
  warnings: ConversionWarning[];
  seconds: Record<ConvertStage, number>;
  write: WriteReport;
  /** With `verbose`: the written graph as text, one line per node (`formatGraph`). */
  graph?: string;
}

/** torch's dynamic_axes in its two forms, as value name → axis → dim name. */
export function normalizeDynamicAxes(given: ConvertOptions['dynamicAxes'], warnings: ConversionWarning[]): DynamicAxes {
  const out = new Map<string, Map<number, string>>();
  for (const [name, axes] of Object.entries(given ?? {})) {
    const m = new Map<number, string>();
    if (Array.isArray(axes)) {
      warnings.push({ code: 'DYNAMIC_AXES_LIST', message: `dynamic_axes for ${name} is a list; its dims are named ${name}_dynamic_axes_<i>` });
      axes.forEach((axis: number, i: number) => {
        if (m.has(axis)) warnings.push({ code: 'DYNAMIC_AXES_REPEATED', message: `dynamic_axes for ${name} lists axis ${axis} twice; the repeat is ignored` });
        else m.set(axis, `${name}_dynamic_axes_${i + 1}`);
      });
    } else {
      for (const [axis, dim] of Object.entries(axes as Record<string, string>)) {
        if (!/^\d+$/.test(axis)) fail('OPTION_INVALID', `dynamic_axes for ${name}: axis ${axis} is not a whole number`);
        m.set(Number(axis), String(dim));
      }
    }
    out.set(name, m);
  }
  return out;
}

/** What a conversion ran with, defaults filled in. */
export interface ResolvedOptions {
  opset: number;
  training: TrainingMode;
  operatorExportType: OperatorExportType;
  keepInitializersAsInputs: boolean;
}


/**
 * The options a conversion ran with as torch.onnx.export keyword arguments, defaults filled in: the
 * inverse of `optionsFromExportKwargs`, so the result is a valid `--config` file.
 */
export function exportKwargsOf(options: ConvertOptions, resolved: ResolvedOptions): Record<string, unknown> {
  return {
    opset_version: resolved.opset,
    input_names: options.inputNames ?? null,
    output_names: options.outputNames ?? null,
    dynamic_axes: options.dynamicAxes ?? null,
    export_params: options.exportParams ?? true,
    do_constant_folding: options.doConstantFolding ?? true,
    training: resolved.training,
    operator_export_type: resolved.operatorExportType,
    keep_initializers_as_inputs: resolved.keepInitializersAsInputs,
    custom_opsets: options.customOpsets ?? {},
    verbose: options.verbose ?? false,
  };
}

/**
 * Says in the model where it came from: doc_string, and metadata_props with the archive's name and
 * SHA-256, the tsonnx version, the options as torch.onnx.export keywords and tsonnx's own options under
 * their config names (the two objects merged are a `--config` file for the same conversion).
 */
export function describeModel(model: OnnxModel, source: { name: string; sha256: string }, options: ConvertOptions, resolved: ResolvedOptions, version: string): void {
  const name = source.name;
  const own = {
    inputs: options.inputs ?? null,
    method: options.method ?? 'forward',
    lift_state: options.liftState ?? false,
    state_init: options.stateInit ?? 'auto',
    fp16: options.fp16 ?? false,
    fp16_io: options.fp16Io ?? false,
    quantized_engine: options.quantizedEngine ?? DEFAULT_QUANTIZED_ENGINE,
  };
  model.docString = `Converted by tsonnx ${version} from the TorchScript archive ${name}`;
  model.metadataProps = [
    ...(model.metadataProps ?? []),
    { key: 'tsonnx.version', value: version },
    { key: 'tsonnx.source', value: name },
    { key: 'tsonnx.source_sha256', value: source.sha256 },
    { key: 'tsonnx.export_options', value: JSON.stringify(exportKwargsOf(options, resolved)) },
    { key: 'tsonnx.conversion_options', value: JSON.stringify(own) },
  ];
}


function countNodes(model: OnnxModel): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const n of model.graph.nodes) counts[n.opType] = (counts[n.opType] ?? 0) + 1;
  return counts;
}

/** OPTION_INVALID unless tsonnx writes `opset`. */
export function requireSupportedOpset(opset: number): void {
  if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET) {
    fail('OPTION_INVALID', `opset ${opset} is not supported; choose ${MIN_OPSET} to ${MAX_OPSET}`);
  }
}

/** The options checked and their defaults filled in, before the archive is read. */
export interface ConversionPlan {
  readonly resolved: ResolvedOptions;
  readonly specs?: InputSpec[];
  readonly dynamicAxes: DynamicAxes;
  /** Warnings the options themselves give. */
  readonly warnings: ConversionWarning[];
  readonly quantizedEngine: QuantizedEngine;
}

export function planConversion(options: ConvertOptions): ConversionPlan {
  const opset = options.opsetVersion ?? DEFAULT_OPSET;
  requireSupportedOpset(opset);
  if (options.fp16Io && !options.fp16) fail('OPTION_INVALID', 'fp16Io (--fp16-io) needs fp16 (--fp16)');
  const quantizedEngine = options.quantizedEngine === undefined ? DEFAULT_QUANTIZED_ENGINE : parseQuantizedEngine(options.quantizedEngine, 'quantizedEngine (--quantized-engine)');
  const specs = options.inputs?.map(parseInputSpec);
  const warnings: ConversionWarning[] = [];
  const dynamicAxes = normalizeDynamicAxes(options.dynamicAxes, warnings);
  const operatorExportType = options.operatorExportType ?? 'onnx';
  let keepInitializersAsInputs = options.keepInitializersAsInputs ?? operatorExportType !== 'onnx';
  if (opset < 9 && !keepInitializersAsInputs) {
    if (options.keepInitializersAsInputs === false) warnings.push({ code: 'INITIALIZERS_AS_INPUTS_FORCED', message: 'keep_initializers_as_inputs is forced on below opset 9 (ONNX IR 3 requires it)' });
    keepInitializersAsInputs = true;
  }
  const training = options.training ?? 'eval';
  return { resolved: { opset, training, operatorExportType, keepInitializersAsInputs }, specs, dynamicAxes, warnings, quantizedEngine };
}

/** Seconds per stage, and `onStage` told as each starts. */
export class StageClock {
  readonly seconds: Record<ConvertStage, number> = { archive: 0, trace: 0, passes: 0, lower: 0, write: 0 };
  private clock = performance.now();

  constructor(private readonly onStage?: (stage: ConvertStage) => void) {}

  start(stage: ConvertStage): void {
    this.onStage?.(stage);
  }

  /** `stage` ended; `next` starts. */
  lap(stage: ConvertStage, next?: ConvertStage): void {
    const now = performance.now();
    this.seconds[stage] = (now - this.clock) / 1000;
    this.clock = now;
    if (next) this.onStage?.(next);
  }
}

/**
 * Trace, passes and lower on an open archive: the model to write and every warning. With `strict`,
 * any warning fails here, before anything is written.
 */
export function buildModel(
  archive: Archive,
  options: ConvertOptions,
  plan: ConversionPlan,
  clock: StageClock,
  producerVersion: string,
): { model: OnnxModel; warnings: ConversionWarning[] } {
  const { opset, training, operatorExportType } = plan.resolved;
  const { dynamicAxes } = plan;
  const registry = createOpRegistry();
  // Per-conversion state lives here, never in modules, so conversions running at once stay apart.
  const freshDims = new FreshDims();
  let graph = trace(archive, {
    registry,
    freshDims,
    inputs: plan.specs,
    halfTensors: options.fp16,
    method: options.method,
    training: training === 'preserve' ? 'preserve' : training === 'training',
    liftState: options.liftState,
    stateInit: options.stateInit,
    inputNames: options.inputNames,
    dynamicAxes,
    quantizedEngine: plan.quantizedEngine,
  });
  clock.lap('trace', 'passes');
  graph = runPasses(graph, { foldBatchNorm: training === 'eval' && options.doConstantFolding !== false && options.exportParams !== false });
  clock.lap('passes', 'lower');
  const model = optimizeModel(lower(graph, {
    registry,
    freshDims,
    opset,
    inputNames: options.inputNames,
    outputNames: options.outputNames,
    docStrings: options.verbose,
    producerVersion,
    exportParams: options.exportParams,
    operatorExportType,
    customOpsets: new Map(Object.entries(options.customOpsets ?? {})),
    dynamicAxes,
    float32Boundary: options.fp16 && !options.fp16Io,
    quantizedEngine: plan.quantizedEngine,
  }));
  if (graph.state) model.metadataProps = [...(model.metadataProps ?? []), ...stateMetadata(graph.state, model.graph.inputs, model.graph.outputs)];
  const warnings = [...plan.warnings];
  for (const domain of Object.keys(options.customOpsets ?? {})) {
    if (!model.domains.has(domain)) warnings.push({ code: 'CUSTOM_OPSET_UNUSED', message: `custom opset domain '${domain}' is not used in the model and is not imported` });
  }
  const names = new Set([...model.graph.inputs, ...model.graph.outputs].map((v) => v.name));
  for (const name of dynamicAxes.keys()) {
    if (!names.has(name)) warnings.push({ code: 'DYNAMIC_AXES_UNUSED', message: `dynamic_axes names ${name}, which is neither an input nor an output; it has no effect` });
  }
  clock.lap('lower', 'write');
  const allWarnings = [...warnings, ...graph.warnings];
  if (options.strict && allWarnings.length) {
    fail('STRICT_WARNINGS', `${allWarnings.length} warning${allWarnings.length === 1 ? '' : 's'} with strict on, nothing written: ${allWarnings.map((w) => `${w.code}: ${w.message}`).join('; ')}`);
  }
  return { model, warnings: allWarnings };
}

/** The report of a written conversion. */
export function conversionReport(
  model: OnnxModel,
  plan: ConversionPlan,
  write: WriteReport,
  source: { path: string; sha256: string },
  warnings: ConversionWarning[],
  seconds: Record<ConvertStage, number>,
  verbose: boolean | undefined,
): ConvertReport {
  const { opset } = plan.resolved;
  const report = (v: { name: string; dtype: string; shape?: readonly (number | string)[] }): ValueReport => ({
    name: v.name,
    dtype: v.dtype,
    shape: [...(v.shape ?? [])],
  });
  return {
    output: write.path,
    source,
    opset,
    irVersion: irVersionForOpset(opset),
    inputs: model.graph.inputs.map(report),
    outputs: model.graph.outputs.map(report),
    nodes: countNodes(model),
    warnings,
    seconds,
    write,
    ...(verbose ? { graph: formatGraph(model.graph) } : {}),
  };
}
