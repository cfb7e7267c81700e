/** Little-endian encoding of constant element values into ONNX raw_data bytes. */
import type { DType } from '../archive/types.js';
import { fail } from '../errors.js';
import { bfloat16Bits, float16Bits } from '../archive/half.js';
import { DTYPE_BYTES } from './onnx-graph.js';

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

function toInt64(v: number | bigint | boolean): bigint {
  if (typeof v === 'bigint') return v > INT64_MAX ? INT64_MAX : v < INT64_MIN ? INT64_MIN : v;
  if (typeof v === 'boolean') return v ? 1n : 0n;
  if (v >= 9.2e18) return INT64_MAX;
  if (v <= -9.2e18) return INT64_MIN;
  return BigInt(Math.trunc(v));
}

export function encodeValues(dtype: DType, values: readonly (number | bigint | boolean)[]): Uint8Array {
  const bytes = new Uint8Array(values.length * DTYPE_BYTES[dtype]);
  const view = new DataView(bytes.buffer);
  values.forEach((raw, i) => {
    const n = typeof raw === 'bigint' ? Number(raw) : typeof raw === 'boolean' ? (raw ? 1 : 0) : raw;
    switch (dtype) {
      case 'float32': view.setFloat32(i * 4, n, true); break;
      case 'float64': view.setFloat64(i * 8, n, true); break;
      case 'float16': view.setUint16(i * 2, float16Bits(n), true); break;
      case 'bfloat16': view.setUint16(i * 2, bfloat16Bits(n), true); break;
      case 'int64': view.setBigInt64(i * 8, toInt64(raw), true); break;
      case 'int32': case 'qint32': view.setInt32(i * 4, n, true); break;
      case 'int16': view.setInt16(i * 2, n, true); break;
      case 'int8': case 'qint8': view.setInt8(i, n); break;
      case 'uint8': case 'quint8': view.setUint8(i, n); break;
      case 'bool': view.setUint8(i, n ? 1 : 0); break;
      default: fail('INTERNAL', `cannot encode constants of dtype ${dtype}`);
    }
  });
  return bytes;
}
