/** tsonnx's public API: `convert` and `inspect`, with torch.onnx.export's options under their camelCase names. */
export { convert, DEFAULT_OPSET, MIN_OPSET, MAX_OPSET } from './convert.js';
export type { ConvertOptions, ConvertReport, ConvertStage, OperatorExportType, TrainingMode, ValueReport } from './convert.js';
export { inspect, inspectFile, inspectModel, initialState, formatInspectReport } from './inspect.js';
export type { FoldedState, InspectOptions, InspectReport, MethodReport, ModelInspectReport, ModelState, ModuleReport, OpStatus, OpUse, ParamReport, ProducerHint } from './inspect.js';
export { optionsFromExportKwargs, readExportConfig } from './config.js';
export { checkModel } from './check.js';
export type { CheckOptions, CheckReport, CheckedValue } from './check.js';
export { TsonnxError } from './errors.js';
export { DEFAULT_QUANTIZED_ENGINE, QUANTIZED_ENGINES } from './ops/quantized-engine.js';
export type { QuantizedEngine } from './ops/quantized-engine.js';
export type { ConversionWarning, ErrorCode, SourceLocation, WarningCode } from './errors.js';
