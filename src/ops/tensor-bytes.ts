/** Little-endian encoding of constant element values into ONNX raw_data bytes. */
import { bfloat16Bits, float16Bits } from '../archive/half.js';
import type { DType } from '../archive/types.js';
import { fail } from '../errors.js';
import { DTYPE_BYTES } from '../ir/onnx-graph.js';

type Scalar = number | bigint;

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

function truncatedBigInt(value: number): bigint {
  if (Number.isNaN(value)) return 0n;
  if (value >= 2 ** 63) return INT64_MAX;
  if (value < -(2 ** 63)) return INT64_MIN;
  return BigInt(Math.trunc(value));
}

/** Writes element `index` of a little-endian `dtype` array, with PyTorch's cast rules (floats truncate to ints). */
export function writeElement(view: DataView, index: number, dtype: DType, value: Scalar): void {
  if (dtype === 'bool') {
    view.setUint8(index, value === 0 || value === 0n ? 0 : 1);
    return;
  }
  if (dtype === 'int64') {
    view.setBigInt64(index * 8, typeof value === 'bigint' ? value : truncatedBigInt(value), true);
    return;
  }
  const number = typeof value === 'bigint' ? Number(BigInt.asIntN(64, value)) : value;
  // Float → int casts truncate toward zero, as in C++ and PyTorch.
  const integer = Math.trunc(number);
  switch (dtype) {
    case 'uint8': case 'quint8': view.setUint8(index, integer); return;
    case 'int8': case 'qint8': view.setInt8(index, integer); return;
    case 'int16': view.setInt16(index * 2, integer, true); return;
    case 'int32': case 'qint32': view.setInt32(index * 4, integer, true); return;
    case 'float16': view.setUint16(index * 2, float16Bits(number), true); return;
    case 'bfloat16': view.setUint16(index * 2, bfloat16Bits(number), true); return;
    case 'float32': view.setFloat32(index * 4, number, true); return;
    case 'float64': view.setFloat64(index * 8, number, true); return;
    default: fail('INTERNAL', `cannot write ${dtype} elements`);
  }
}

export function encodeValues(dtype: DType, values: readonly (number | bigint | boolean)[]): Uint8Array {
  const bytes = new Uint8Array(values.length * DTYPE_BYTES[dtype]);
  const view = new DataView(bytes.buffer);
  values.forEach((value, i) => writeElement(view, i, dtype, typeof value === 'boolean' ? Number(value) : value));
  return bytes;
}
