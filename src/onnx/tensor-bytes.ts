/**
 * Tensor bytes in ONNX layout: little-endian, C order, in the OnnxTensor's dtype. An archive tensor
 * keeps its stored dtype until it is written, so the conversion to the ONNX dtype happens here,
 * on whole elements, one chunk at a time when the writer streams.
 */
import type { DType } from '../archive/types.js';
import { tensorBytes } from '../archive/tensor-data.js';
import { fail } from '../errors.js';
import { DTYPE_BYTES, ONNX_DTYPE, type OnnxTensor } from '../ir/onnx-graph.js';
import { writeElement } from '../ops/tensor-bytes.js';
import { bfloat16Bits, bfloat16Value, float16Bits, float16BitsOf, float16Value } from '../archive/half.js';

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((count, dim) => count * dim, 1);
}

export function tensorByteLength(tensor: OnnxTensor): number {
  return elementCount(tensor.dims) * DTYPE_BYTES[tensor.dtype];
}

/** Quantized dtypes are written as their storage type, so e.g. qint8 → int8 needs no conversion. */
export function sameEncoding(from: DType, to: DType): boolean {
  return ONNX_DTYPE[from] === ONNX_DTYPE[to] && DTYPE_BYTES[from] === DTYPE_BYTES[to];
}

/**
 * The tensor's bytes, all in memory, the caller's to keep: whole constants inside nodes and
 * sub-graphs (which are small).
 */
export function tensorDataBytes(tensor: OnnxTensor): Uint8Array {
  const bytes = streamedTensorBytes(tensor);
  return tensor.data.kind === 'computed' ? bytes.slice() : bytes;
}

/**
 * The tensor's bytes for the writer, which writes them before it asks for another tensor's:
 * computed bytes (folded weights) may be in a buffer the next computed tensor reuses.
 */
export function streamedTensorBytes(tensor: OnnxTensor): Uint8Array {
  const { data } = tensor;
  const bytes = data.kind === 'bytes' ? data.bytes
    : data.kind === 'computed' ? data.compute()
    : convertElements(tensorBytes(data.ref), data.ref.dtype, tensor.dtype);
  const expected = tensorByteLength(tensor);
  if (bytes.byteLength !== expected) {
    fail('INTERNAL', `tensor ${tensor.name} has ${bytes.byteLength} bytes of data, its dims [${tensor.dims.join(', ')}] need ${expected}`);
  }
  return bytes;
}

type Scalar = number | bigint;

/** Converts whole little-endian elements from one dtype to another, with PyTorch's cast rules. */
export function convertElements(bytes: Uint8Array, from: DType, to: DType): Uint8Array {
  if (sameEncoding(from, to)) return bytes;
  // --fp16's weights: whole tensors through one typed-array loop instead of an element at a time.
  if (to === 'float16' && (from === 'float32' || from === 'float64')) {
    const aligned = bytes.byteOffset % DTYPE_BYTES[from] === 0 ? bytes : bytes.slice();
    const count = aligned.byteLength / DTYPE_BYTES[from];
    const values = from === 'float32' ? new Float32Array(aligned.buffer, aligned.byteOffset, count) : new Float64Array(aligned.buffer, aligned.byteOffset, count);
    const half = float16BitsOf(values);
    return new Uint8Array(half.buffer, half.byteOffset, half.byteLength);
  }
  const isComplex = (dtype: DType) => dtype === 'complex64' || dtype === 'complex128';
  if (isComplex(from) || isComplex(to)) fail('INTERNAL', `cannot convert tensor data from ${from} to ${to}`);
  const count = bytes.byteLength / DTYPE_BYTES[from];
  const source = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const output = new Uint8Array(count * DTYPE_BYTES[to]);
  const target = new DataView(output.buffer);
  for (let index = 0; index < count; index++) {
    writeElement(target, index, to, readElement(source, index, from));
  }
  return output;
}

function readElement(view: DataView, index: number, dtype: DType): Scalar {
  switch (dtype) {
    case 'uint8': case 'quint8': case 'bool': return view.getUint8(index);
    case 'int8': case 'qint8': return view.getInt8(index);
    case 'int16': return view.getInt16(index * 2, true);
    case 'int32': case 'qint32': return view.getInt32(index * 4, true);
    case 'int64': return view.getBigInt64(index * 8, true);
    case 'float16': return float16Value(view.getUint16(index * 2, true));
    case 'bfloat16': return bfloat16Value(view.getUint16(index * 2, true));
    case 'float32': return view.getFloat32(index * 4, true);
    case 'float64': return view.getFloat64(index * 8, true);
    default: return fail('INTERNAL', `cannot read ${dtype} elements`);
  }
}


export { bfloat16Bits, bfloat16Value, float16Bits, float16Value };
