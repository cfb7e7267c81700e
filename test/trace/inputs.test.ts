import { describe, expect, it } from 'vitest';
import { TsonnxError } from '../../src/errors.js';
import { formatInputSpec, parseInputSpec } from '../../src/trace/inputs.js';

describe('--input specs', () => {
  it('reads tensors, lists of tensors and JSON literals', () => {
    expect(parseInputSpec('float32[batch,3,224,224]')).toEqual({ kind: 'tensor', dtype: 'float32', shape: ['batch', 3, 224, 224] });
    expect(parseInputSpec('[float32[3,480,640], uint8[3,n,m]]')).toEqual({
      kind: 'tensors',
      items: [
        { kind: 'tensor', dtype: 'float32', shape: [3, 480, 640] },
        { kind: 'tensor', dtype: 'uint8', shape: [3, 'n', 'm'] },
      ],
    });
    expect(parseInputSpec('[1, 2]')).toEqual({ kind: 'value', value: [1, 2] });
    expect(parseInputSpec('16000')).toEqual({ kind: 'value', value: 16000 });
  });

  it('prints a list as it is written', () => {
    expect(formatInputSpec(parseInputSpec('[float32[3,4], int64[2]]'))).toBe('[float32[3,4],int64[2]]');
  });

  it('refuses a list that mixes tensors with other values, and unknown dtypes inside one', () => {
    expect(() => parseInputSpec('[float32[3,4], 5]')).toThrow(/a list input holds tensor specs only/);
    expect(() => parseInputSpec('[float32[3,4], complex[2]]')).toThrow(TsonnxError);
  });
});
