/**
 * Tensor bytes on demand: a `TensorRef` is a strided view of a storage record, read only when a
 * later stage asks, so weights are never held in memory before they are written. Output is always
 * contiguous C order, little-endian.
 */
import { fail } from '../errors.js';
import { checkAllocation, entryReadLimit, readEntryRange, readEntryRangeInto } from './zip.js';
import type { DType, TensorRef } from './types.js';
import { bfloat16Value, float16Value } from './half.js';

const ITEM_SIZE: Readonly<Record<DType, number>> = {
  uint8: 1, int8: 1, int16: 2, int32: 4, int64: 8,
  float16: 2, float32: 4, float64: 8, bfloat16: 2,
  bool: 1, complex64: 8, complex128: 16,
  qint8: 1, quint8: 1, qint32: 4,
};

/** Bytes per element of `dtype`. */
export function dtypeItemSize(dtype: DType): number {
  return ITEM_SIZE[dtype];
}

function elementCount(shape: readonly number[]): number {
  return shape.reduce((count, dim) => count * dim, 1);
}

/** C-contiguous, ignoring the strides of size-1 dimensions (they never move the index). */
function isContiguous(shape: readonly number[], strides: readonly number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] === 1) continue;
    if (strides[i] !== expected) return false;
    expected *= shape[i];
  }
  return true;
}

/** Byte range of the storage record the view touches; fails when the record is too short. */
function touchedBytes(ref: TensorRef): { start: number; length: number } {
  const item = ITEM_SIZE[ref.dtype];
  const last = ref.shape.reduce((end, dim, i) => end + (dim - 1) * ref.strides[i], ref.storageOffset);
  const start = ref.storageOffset * item;
  const length = (last - ref.storageOffset + 1) * item;
  const entry = ref.storage.entry;
  if (start + length > entry.size) {
    if (entry.size === 0) {
      fail('ARCHIVE_UNSUPPORTED', `tensor data of '${entry.name}' was not saved in the archive (the record is empty)`);
    }
    fail('ARCHIVE_CORRUPT', `storage '${entry.name}' holds ${entry.size} bytes but a [${ref.shape}] ${ref.dtype} tensor needs bytes ${start}..${start + length}`);
  }
  return { start, length };
}

function swapBytes(bytes: Uint8Array, dtype: DType): void {
  // Complex numbers swap each of their two halves.
  const unit = dtype === 'complex64' ? 4 : dtype === 'complex128' ? 8 : ITEM_SIZE[dtype];
  if (unit === 1) return;
  for (let at = 0; at < bytes.length; at += unit) bytes.subarray(at, at + unit).reverse();
}

/** Copies the strided elements of `span` (which starts at the view's offset) into C order. */
function gather(span: Uint8Array, ref: TensorRef, count: number): Uint8Array {
  const item = ITEM_SIZE[ref.dtype];
  const out = new Uint8Array(count * item);
  const rank = ref.shape.length;
  const innerSize = ref.shape[rank - 1];
  const innerStride = ref.strides[rank - 1];
  const index = new Array<number>(rank - 1).fill(0);
  let written = 0;
  for (let row = 0; row < count / innerSize; row++) {
    let base = 0;
    for (let d = 0; d < rank - 1; d++) base += index[d] * ref.strides[d];
    if (innerStride === 1) {
      out.set(span.subarray(base * item, (base + innerSize) * item), written);
      written += innerSize * item;
    } else {
      for (let i = 0; i < innerSize; i++) {
        const from = (base + i * innerStride) * item;
        out.set(span.subarray(from, from + item), written);
        written += item;
      }
    }
    for (let d = rank - 2; d >= 0; d--) {
      if (++index[d] < ref.shape[d]) break;
      index[d] = 0;
    }
  }
  return out;
}

/**
 * The tensor's elements in contiguous C order, little-endian, honouring shape, strides, storage
 * offset and shared storages. Quantized tensors give their raw integer bytes.
 */
export function tensorBytes(ref: TensorRef): Uint8Array {
  const count = elementCount(ref.shape);
  if (count === 0) return new Uint8Array(0);
  const { start, length } = touchedBytes(ref);
  checkAllocation(ref.storage.entry.name, count * ITEM_SIZE[ref.dtype], `a [${ref.shape}] ${ref.dtype} tensor`, entryReadLimit(ref.storage.entry));
  const span = readEntryRange(ref.storage.entry, start, length);
  // Ranged reads of stored entries are fresh buffers; deflated entries are cached, so copy those.
  const contiguous = () => {
    const view = new Uint8Array(span.buffer, span.byteOffset, count * ITEM_SIZE[ref.dtype]);
    return ref.storage.entry.fileRange ? view : view.slice();
  };
  const bytes = isContiguous(ref.shape, ref.strides) ? contiguous() : gather(span, ref, count);
  if (ref.storage.bigEndian) swapBytes(bytes, ref.dtype);
  return bytes;
}

/**
 * The tensor's bytes as `tensorBytes` gives them, read into the front of `scratch` when it is large
 * enough and the tensor is stored contiguously in little-endian order (then valid until the caller
 * reuses `scratch`); otherwise fresh bytes from `tensorBytes`. Either way the caller may change them.
 */
export function tensorBytesInto(ref: TensorRef, scratch: Uint8Array): Uint8Array {
  const count = elementCount(ref.shape);
  const byteLength = count * ITEM_SIZE[ref.dtype];
  if (count === 0 || byteLength > scratch.byteLength || ref.storage.bigEndian || !isContiguous(ref.shape, ref.strides)) {
    return tensorBytes(ref);
  }
  const { start } = touchedBytes(ref);
  const target = scratch.subarray(0, byteLength);
  readEntryRangeInto(ref.storage.entry, start, target);
  return target;
}

/**
 * Absolute byte range of the tensor in the archive file when its bytes can be copied straight
 * from there (stored record, little-endian, C-contiguous); undefined otherwise.
 */
export function contiguousFileRange(ref: TensorRef): { start: number; end: number } | undefined {
  const fileRange = ref.storage.entry.fileRange;
  if (!fileRange || ref.storage.bigEndian || !isContiguous(ref.shape, ref.strides)) return undefined;
  const count = elementCount(ref.shape);
  if (count === 0) return { start: fileRange.start, end: fileRange.start };
  const { start, length } = touchedBytes(ref);
  return { start: fileRange.start + start, end: fileRange.start + start + length };
}


/**
 * Decoded elements in C order, for folding small constant tensors. Floating types (float16 and
 * bfloat16 included) and bool (0/1) give numbers; int64 gives numbers when every element is
 * within ±2^53 and bigints for the whole tensor otherwise; quantized types give their raw integers.
 * Complex tensors are not decoded.
 */
export function tensorValues(ref: TensorRef): number[] | bigint[] {
  const bytes = tensorBytes(ref);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = elementCount(ref.shape);
  const item = ITEM_SIZE[ref.dtype];
  const read = (decode: (at: number) => number): number[] => Array.from({ length: count }, (_, i) => decode(i * item));
  switch (ref.dtype) {
    case 'uint8':
    case 'quint8':
      return read((at) => view.getUint8(at));
    case 'int8':
    case 'qint8':
      return read((at) => view.getInt8(at));
    case 'bool':
      return read((at) => (view.getUint8(at) ? 1 : 0));
    case 'int16':
      return read((at) => view.getInt16(at, true));
    case 'int32':
    case 'qint32':
      return read((at) => view.getInt32(at, true));
    case 'float16':
      return read((at) => float16Value(view.getUint16(at, true)));
    case 'bfloat16':
      return read((at) => bfloat16Value(view.getUint16(at, true)));
    case 'float32':
      return read((at) => view.getFloat32(at, true));
    case 'float64':
      return read((at) => view.getFloat64(at, true));
    case 'int64': {
      const values = Array.from({ length: count }, (_, i) => view.getBigInt64(i * 8, true));
      const safe = values.every((v) => v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER));
      return safe ? values.map(Number) : values;
    }
    case 'complex64':
    case 'complex128':
      return fail('ARCHIVE_UNSUPPORTED', `cannot decode the values of a ${ref.dtype} tensor`);
  }
}
