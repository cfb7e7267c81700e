import { describe, expect, it } from 'vitest';
import { infer, lowerOp, opTypes, runOp, scalarValue, tensorValue } from '../harness.js';

describe('number shape rules', () => {
  it('a size of a dynamic dim is an int that stands for that dim', () => {
    const x = tensorValue('float32', ['batch', 3]);
    expect(infer({ op: 'aten::size', args: [x, 0] })).toEqual([{ kind: 'scalar', scalar: 'int', dim: 'batch' }]);
    expect(infer({ op: 'aten::size', args: [x, -1] })).toEqual([{ kind: 'scalar', scalar: 'int', dim: 3 }]);
  });

  it('gives the Python number torch gives: item() of a bool tensor is a bool, NumToTensor keeps the kind', () => {
    expect(infer({ op: 'aten::item', args: [tensorValue('bool', [])] })).toEqual([{ kind: 'scalar', scalar: 'bool' }]);
    expect(infer({ op: 'aten::item', args: [tensorValue('float16', [1])] })).toEqual([{ kind: 'scalar', scalar: 'float' }]);
    expect(infer({ op: 'aten::ScalarImplicit', args: [tensorValue('int32', [])] })).toEqual([{ kind: 'scalar', scalar: 'int' }]);
    expect(infer({ op: 'prim::NumToTensor', args: [scalarValue('bool')] })).toEqual([{ kind: 'tensor', dtype: 'bool', shape: [] }]);
    expect(infer({ op: 'prim::NumToTensor', args: [scalarValue('float')] })).toEqual([{ kind: 'tensor', dtype: 'float64', shape: [] }]);
    expect(infer({ op: 'aten::Int', args: [scalarValue('float')] })).toEqual([{ kind: 'scalar', scalar: 'int' }]);
  });

  it('refuses a tensor of more than one element, as torch does at run time', () => {
    expect(() => infer({ op: 'aten::Int', args: [tensorValue('float32', [2])] })).toThrow(/a tensor with 2 elements cannot be converted/);
    expect(() => infer({ op: 'aten::item', args: [tensorValue('float32', [2, 3])] })).toThrow(/6 elements/);
    // A dynamic dim may be 1 at run time.
    expect(infer({ op: 'aten::Float', args: [tensorValue('float32', ['n'])] })).toEqual([{ kind: 'scalar', scalar: 'float' }]);
  });
});

describe('number lowering', () => {
  it('a size is Shape then Gather; a conversion is one Cast, none when the dtype already matches', () => {
    expect(opTypes(lowerOp({ op: 'aten::size', args: [tensorValue('float32', ['n', 4]), 0] }, 7).graph)).toEqual(['Shape', 'Constant', 'Gather']);
    expect(opTypes(lowerOp({ op: 'aten::Int', args: [tensorValue('float32', [])] }, 7).graph)).toEqual(['Cast']);
    expect(opTypes(lowerOp({ op: 'aten::item', args: [tensorValue('int64', [])] }, 7).graph)).not.toContain('Cast');
  });

  it('reads a one-element tensor of any rank as a 0-d value', async () => {
    const x = tensorValue('float32', [1, 1]);
    const [y] = await runOp({ op: 'aten::Int', args: [x] }, { opset: 7, feeds: new Map([[x, [-2.75]]]) });
    expect(y.dims).toEqual([]);
    expect(Number(y.data[0])).toBe(-2);
  });
});
