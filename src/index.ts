/** tsonnx's public API. */
export { convert, DEFAULT_OPSET, MIN_OPSET, MAX_OPSET } from './convert.js';
export type { ConvertOptions, ConvertReport, TrainingMode, ValueReport } from './convert.js';
export { TsonnxError } from './errors.js';
export type { ErrorCode, SourceLocation } from './errors.js';
