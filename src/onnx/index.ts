export { writeModel, type WriteOptions, type WriteReport } from './writer.js';
export { irVersionForOpset, MIN_OPSET, MAX_OPSET } from './versions.js';
export { encodeGraph, encodeNode, encodeTensor, encodeValueInfo, encodeAttribute, int64, onnx, type EncodeOptions } from './encode.js';
export { convertElements, float16Bits, float16Value, bfloat16Bits, bfloat16Value } from './tensor-bytes.js';
