import { describe, expect, it } from 'vitest';
import { PyFloat } from '../../../src/archive/types.js';
import { infer, opTypes, lowerOp, runOp, tensorValue } from '../harness.js';

describe('xlogy and xlog1py', () => {
  it('give float32 for integer operands and keep a float dtype', () => {
    expect(infer({ op: 'aten::xlogy', args: [tensorValue('int32', [3]), tensorValue('int64', [2, 3])] })).toMatchObject([{ dtype: 'float32', shape: [2, 3] }]);
    expect(infer({ op: 'aten::special_xlog1py', args: [tensorValue('float64', [3]), new PyFloat(0.5)] })).toMatchObject([{ dtype: 'float64', shape: [3] }]);
    expect(infer({ op: 'aten::xlogy', args: [2, tensorValue('float16', [4])] })).toMatchObject([{ dtype: 'float16', shape: [4] }]);
  });

  // torch.xlogy(torch.tensor([0., 0., nan, 2., -0., 3.]), torch.tensor([0., nan, 1., 0., -1., 2.]))
  //   -> [0., nan, nan, -inf, 0., 2.0794415]
  it('is 0 where x is 0 and NaN where y is NaN, whether Equal takes floats (opset 11) or not (9)', async () => {
    const x = tensorValue('float32', [6]);
    const y = tensorValue('float32', [6]);
    for (const opset of [9, 11]) {
      const [out] = await runOp({ op: 'aten::xlogy', args: [x, y] }, { opset, feeds: new Map([[x, [0, 0, NaN, 2, -0, 3]], [y, [0, NaN, 1, 0, -1, 2]]]) });
      expect(Array.from(out.data).map((v) => (Number.isNaN(v) ? 'nan' : Math.round(v * 1e6) / 1e6))).toEqual([0, 'nan', 'nan', -Infinity, 0, 2.079442]);
    }
    expect(opTypes(lowerOp({ op: 'aten::xlogy', args: [x, y] }, 9).graph)).not.toContain('Equal');
  });
});
