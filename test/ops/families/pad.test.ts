import { describe, expect, it } from 'vitest';
import { TsonnxError } from '../../../src/errors.js';
import { expectClose, infer, lowerOp, pattern, runOp, scalarValue, tensorValue } from '../harness.js';

/* Reference outputs: torch 1.13.1 and 2.6 (same numbers) on pattern(numel) data, see harness.ts. */

describe('pad shape rules', () => {
  it('pads from the last dimension backwards and keeps symbolic dims symbolic', () => {
    const x = tensorValue('float32', ['n', 3, 'w']);
    expect(infer({ op: 'aten::constant_pad_nd', args: [x, [1, 2, 0, 1]] })).toEqual([{ kind: 'tensor', dtype: 'float32', shape: ['n', 4, 'w_pad3'] }]);
    expect(infer({ op: 'aten::reflection_pad2d', args: [tensorValue('int64', [2, 5, 6]), [1, 1, 2, 2]] })).toEqual([
      { kind: 'tensor', dtype: 'int64', shape: [2, 9, 8] },
    ]);
  });

  it('follows torch on what each mode rejects', () => {
    expect(() => infer({ op: 'aten::reflection_pad1d', args: [tensorValue('float32', [1, 2, 3]), [3, 0]] })).toThrow(/less than the corresponding input dimension/);
    expect(() => infer({ op: 'aten::pad', args: [tensorValue('float32', [1, 2, 3]), [1, 1], 'edge'] })).toThrow(/unrecognised padding mode/);
    expect(() => infer({ op: 'aten::reflection_pad2d', args: [tensorValue('float32', [3, 4]), [1, 1, 1, 1]] })).toThrow(/3-D or 4-D/);
    expect(() => infer({ op: 'aten::constant_pad_nd', args: [tensorValue('float32', [3]), [1, 1, 1, 1]] })).toThrow(TsonnxError);
  });
});

describe('pad lowering', () => {
  it('wraps circular pads around the cropped core, as torch does for a negative pad', async () => {
    const x = tensorValue('float32', [1, 1, 3, 4]);
    // aten::pad(X(1,1,3,4), [2, 1, -1, 2], 'circular')
    const want = [-3.0, 0.7, -0.3, 3.4, -3.0, 0.7, -0.3, 1.7, -4.7, 4.4, -2.0, 1.7, -4.7, 4.4, -3.0, 0.7, -0.3, 3.4, -3.0, 0.7, -0.3, 1.7, -4.7, 4.4, -2.0, 1.7, -4.7, 4.4];
    for (const opset of [9, 13]) {
      const [y] = await runOp({ op: 'aten::pad', args: [x, [2, 1, -1, 2], 'circular'] }, { opset, feeds: new Map([[x, pattern(12)]]) });
      expect(y.dims).toEqual([1, 1, 4, 7]);
      expectClose(y.data, want);
    }
  });

  it('takes pads known only at run time from opset 11', async () => {
    const x = tensorValue('float32', [2, 3]);
    const left = scalarValue('int');
    const call = { op: 'aten::constant_pad_nd', args: [x, [left, 1], 2.5] };
    expect(infer(call)).toEqual([{ kind: 'tensor', dtype: 'float32', shape: [2, expect.stringMatching(/^aten::constant_pad_nd_dim_/)] }]);
    const [y] = await runOp(call, { opset: 11, feeds: new Map<typeof x, number[]>([[x, [1, 2, 3, 4, 5, 6]], [left, [2]]]) });
    expect(y.dims).toEqual([2, 6]);
    expect(y.data).toEqual([2.5, 2.5, 1, 2, 3, 2.5, 2.5, 2.5, 4, 5, 6, 2.5]);
    expect(() => lowerOp(call, 10)).toThrow(/opset 11/);
  });

  it('pads integer tensors through float64 before opset 11', async () => {
    const x = tensorValue('int64', [2, 2]);
    for (const opset of [9, 11]) {
      const [y] = await runOp({ op: 'aten::constant_pad_nd', args: [x, [1, 0], 7] }, { opset, feeds: new Map([[x, [1, 2, 3, 4]]]) });
      expect(y.dtype).toBe('int64');
      expect(y.data).toEqual([7, 1, 2, 7, 3, 4]);
    }
  });
});
