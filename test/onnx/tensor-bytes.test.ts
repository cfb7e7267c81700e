import { describe, expect, it } from 'vitest';
import { bfloat16Bits, bfloat16Value, convertElements, float16Bits, float16Value } from '../../src/onnx/tensor-bytes.js';
import { bytesOf } from './fixtures.js';

describe('float16', () => {
  it('rounds to nearest even, with overflow to infinity and subnormals', () => {
    const cases: Array<[number, number]> = [
      [1, 0x3c00], [-2, 0xc000], [1 / 3, 0x3555], [0.1, 0x2e66],
      [65504, 0x7bff], [65519, 0x7bff], [65520, 0x7c00], [-Infinity, 0xfc00],
      [2 ** -24, 0x0001], [2 ** -25, 0x0000], [3 * 2 ** -26, 0x0001], [2 ** -14, 0x0400],
      [1 + 2 ** -11, 0x3c00], [1 + 3 * 2 ** -11, 0x3c02],
    ];
    expect(cases.map(([value]) => float16Bits(value))).toEqual(cases.map(([, bits]) => bits));
    expect(float16Bits(NaN)).toBe(0x7e00);
  });

  it('converts whole float32 and float64 tensors as float16Bits does each value, from unaligned bytes too', () => {
    const values = [1, -2, 1 / 3, 0.1, 65504, 65519, 65520, -Infinity, 2 ** -24, 2 ** -25, 3 * 2 ** -26, 2 ** -14, 1 + 2 ** -11, 1 + 3 * 2 ** -11, NaN, -0];
    const want = values.map(float16Bits);
    const half = (bytes: Uint8Array, from: 'float32' | 'float64') => [...new Uint16Array(convertElements(bytes, from, 'float16').slice().buffer)];
    expect(half(bytesOf(Float32Array.from(values)), 'float32')).toEqual(want);
    expect(half(bytesOf(Float64Array.from(values)), 'float64')).toEqual(want);
    const shifted = new Uint8Array(values.length * 4 + 1);
    shifted.set(bytesOf(Float32Array.from(values)), 1);
    expect(half(shifted.subarray(1), 'float32')).toEqual(want);
  });

  it('decodes bits', () => {
    expect([0x3555, 0x0001, 0x7bff, 0xfc00, 0x8000].map(float16Value)).toEqual([0.333251953125, 2 ** -24, 65504, -Infinity, -0]);
    expect(float16Value(0x7e00)).toBeNaN();
  });
});

describe('bfloat16', () => {
  it('keeps the top half of float32, rounding to nearest even', () => {
    expect([1, -2, 1 / 3, 1 + 2 ** -8, 1 + 3 * 2 ** -8].map(bfloat16Bits)).toEqual([0x3f80, 0xc000, 0x3eab, 0x3f80, 0x3f82]);
    expect(bfloat16Bits(NaN)).toBe(0x7fc0);
    expect(bfloat16Value(0x3eab)).toBe(0.333984375);
  });
});

describe('convertElements', () => {
  it('casts like PyTorch', () => {
    expect([...new Int32Array(convertElements(bytesOf(BigInt64Array.from([5n, -3n])), 'int64', 'int32').buffer)]).toEqual([5, -3]);
    expect([...new BigInt64Array(convertElements(bytesOf(Float32Array.from([-1.75, 2.5])), 'float32', 'int64').buffer)]).toEqual([-1n, 2n]);
    expect([...convertElements(bytesOf(Float32Array.from([0, -0.5, 3])), 'float32', 'bool')]).toEqual([0, 1, 1]);
    expect([...new Float32Array(convertElements(Uint8Array.from([1, 0]), 'bool', 'float32').buffer)]).toEqual([1, 0]);
    expect([...new Uint16Array(convertElements(bytesOf(Float64Array.from([1 / 3, 65520])), 'float64', 'float16').buffer)]).toEqual([0x3555, 0x7c00]);
    expect([...new Float32Array(convertElements(bytesOf(Uint16Array.from([0x3f80, 0xc000])), 'bfloat16', 'float32').buffer)]).toEqual([1, -2]);
  });

  it('passes bytes through when the encoding is the same', () => {
    const bytes = Uint8Array.from([0x80, 0x7f]);
    expect(convertElements(bytes, 'qint8', 'int8')).toBe(bytes);
    expect(convertElements(bytes, 'quint8', 'uint8')).toBe(bytes);
  });

  it('refuses complex conversions', () => {
    expect(() => convertElements(new Uint8Array(8), 'complex64', 'float32')).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
  });
});
