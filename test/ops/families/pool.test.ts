import { describe, expect, it } from 'vitest';
import { TsonnxError } from '../../../src/errors.js';
import type { Arg, Dim, GValue } from '../../../src/ir/torch-graph.js';
import { expectClose, infer, lowerOp, opTypes, pattern, runOp, tensorValue, type Call } from '../harness.js';

/*
 * Reference outputs come from torch 1.13.1 (torch.ops.aten.<op> with the arguments shown) on
 * X(*s) = pattern(numel(s)) (see pattern() in harness.ts); the default pattern has distinct values,
 * so max-pool indices are unambiguous.
 */
const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

interface PoolCase {
  op: string;
  x: number[];
  args: Arg[];
  shape: number[];
  want: number[];
  indices?: number[];
  /** Lowest opset the case can be lowered at. */
  from?: number;
}

async function runPool(c: PoolCase, opset: number, symbolic?: Dim[]) {
  const x = tensorValue('float32', symbolic ?? c.x);
  const call: Call = { op: c.op, args: [x, ...c.args] };
  return runOp(call, { opset, feeds: new Map([[x, pattern(size(c.x))]]), shapes: new Map([[x, c.x]]) });
}

const cases: Record<string, PoolCase> = {
  // max_pool2d(X(1,1,6,6), [3,3], [2,2], [1,1], [1,1], True): ceil mode adds a window
  'max_pool2d ceil_mode': {
    op: 'aten::max_pool2d', x: [1, 1, 6, 6], args: [[3, 3], [2, 2], [1, 1], [1, 1], true], shape: [1, 1, 4, 4],
    want: [0.7, 4.4, 3.4, 3.4, 4.7, 4.7, 3.7, -0.7, 5.0, 4.7, 4.0, 3.3, 5.0, 2.3, 3.3, 3.3],
  },
  // max_pool2d(X(1,1,5,5), [2,2], [2,2], [1,1], [1,1], True): the ceil window would start in the padding
  'max_pool2d ceil_mode, window starting in the padding dropped': {
    op: 'aten::max_pool2d', x: [1, 1, 5, 5], args: [[2, 2], [2, 2], [1, 1], [1, 1], true], shape: [1, 1, 3, 3],
    want: [-5.0, 2.4, -0.3, 3.4, 0.7, 4.4, 0.0, 3.7, 4.7],
  },
  // max_pool2d(X(1,1,7,7), [3,3], [1,1], [0,0], [2,2], False)
  'max_pool2d dilation': {
    op: 'aten::max_pool2d', x: [1, 1, 7, 7], args: [[3, 3], [1, 1], [0, 0], [2, 2]], shape: [1, 1, 3, 3], from: 10,
    want: [5.0, 4.7, 5.0, 3.3, 4.4, 4.0, 5.0, 4.7, 5.0],
  },
  // max_pool2d(X(1,1,8,8), [2,2], [3,3], [1,1], [3,3], True)
  'max_pool2d ceil_mode with dilation': {
    op: 'aten::max_pool2d', x: [1, 1, 8, 8], args: [[2, 2], [3, 3], [1, 1], [3, 3], true], shape: [1, 1, 3, 3], from: 10,
    want: [1.0, 2.0, 2.0, 1.0, 2.0, 2.0, -1.1, -0.1, -0.1],
  },
  // max_pool2d_with_indices(X(1,2,4,4), [2,2], [], [1,1]): stride [] means stride = kernel
  'max_pool2d_with_indices': {
    op: 'aten::max_pool2d_with_indices', x: [1, 2, 4, 4], args: [[2, 2], [], [1, 1]], shape: [1, 2, 3, 3], from: 8,
    want: [-5.0, 2.4, -4.0, 4.4, 3.4, 0.7, -1.0, 2.7, 0.0, 3.7, 1.0, 4.7, 3.0, 2.0, 4.0, -2.4, 5.0, -1.4],
    indices: [0, 2, 3, 8, 5, 7, 12, 13, 15, 0, 2, 3, 8, 5, 11, 12, 14, 15],
  },
  // max_pool1d(X(2,7), [3], [2], [1], [1], True): an unbatched input
  'max_pool1d unbatched, ceil_mode': {
    op: 'aten::max_pool1d', x: [2, 7], args: [[3], [2], [1], [1], true], shape: [2, 4],
    want: [-1.3, 2.4, 3.4, 3.4, 4.4, 4.4, 1.7, 2.7],
  },
  // max_pool3d(X(1,1,4,4,4), [2,2,2])
  'max_pool3d': {
    op: 'aten::max_pool3d', x: [1, 1, 4, 4, 4], args: [[2, 2, 2]], shape: [1, 1, 2, 2, 2],
    want: [3.7, 4.7, 4.4, 5.0, 4.6, 4.3, 4.9, 3.6],
  },
  // avg_pool2d(X(1,1,6,6), [3,3], [2,2], [1,1], True, True): padding counts, the ceil overhang does not
  'avg_pool2d ceil_mode, count_include_pad': {
    op: 'aten::avg_pool2d', x: [1, 1, 6, 6], args: [[3, 3], [2, 2], [1, 1], true, true], shape: [1, 1, 4, 4],
    want: [-0.955556, 0.022222, -0.655555, -0.216667, 0.566667, 0.788889, -0.788889, -1.35, 0.988889, 0.3, -0.155556, 0.65, 0.6, -0.533333, -0.2, 0.825],
  },
  // avg_pool2d(X(1,1,6,6), [3,3], [2,2], [1,1], True, False)
  'avg_pool2d ceil_mode, padding excluded': {
    op: 'aten::avg_pool2d', x: [1, 1, 6, 6], args: [[3, 3], [2, 2], [1, 1], true, false], shape: [1, 1, 4, 4],
    want: [-2.15, 0.033333, -0.983333, -0.65, 0.85, 0.788889, -0.788889, -2.7, 1.483333, 0.3, -0.155556, 1.3, 1.8, -1.066667, -0.4, 3.3],
  },
  // avg_pool2d(X(1,1,5,5), [3,3], [2,2], [1,1], False, True)
  'avg_pool2d count_include_pad': {
    op: 'aten::avg_pool2d', x: [1, 1, 5, 5], args: [[3, 3], [2, 2], [1, 1]], shape: [1, 1, 3, 3],
    want: [-0.655556, -0.088889, -0.211111, 0.122222, 0.122222, 0.788889, 0.444444, -0.122222, 0.888889],
  },
  // avg_pool2d(X(1,1,5,5), [2,2], [2,2], [1,1], True, True)
  'avg_pool2d ceil_mode, window starting in the padding dropped': {
    op: 'aten::avg_pool2d', x: [1, 1, 5, 5], args: [[2, 2], [2, 2], [1, 1], true, true], shape: [1, 1, 3, 3],
    want: [-1.25, 0.275, -1.075, 1.275, -2.0, 0.35, -0.425, -0.35, 2.0],
  },
  // avg_pool1d(X(1,2,8), [3], [3], [1], True, True)
  'avg_pool1d ceil_mode': {
    op: 'aten::avg_pool1d', x: [1, 2, 8], args: [[3], [3], [1], true, true], shape: [1, 2, 3],
    want: [-2.1, -0.633333, 0.366667, 0.8, -1.333333, -0.333333],
  },
  // avg_pool3d(X(1,1,4,4,4), [2,2,2], [], [0,0,0], True, True)
  'avg_pool3d': {
    op: 'aten::avg_pool3d', x: [1, 1, 4, 4, 4], args: [[2, 2, 2], [], [0, 0, 0], true, true], shape: [1, 1, 2, 2, 2],
    want: [-0.2375, -0.4125, 0.325, 0.15, -0.5125, 0.575, 0.05, -0.125],
  },
  // adaptive_avg_pool2d(X(1,1,7,7), [6,6]): overlapping windows of 2 with stride 1 (alexnet/vgg shapes)
  'adaptive_avg_pool2d 7 → 6': {
    op: 'aten::adaptive_avg_pool2d', x: [1, 1, 7, 7], args: [[6, 6]], shape: [1, 1, 6, 6],
    want: [-0.3, 0.875, -0.475, -1.825, -0.65, 0.525, 0.35, 1.525, 0.175, -1.175, 0.0, 1.175, -1.525, -0.35, 0.825, -0.525, 0.65, 1.825, -0.875, 0.3, 1.475, 0.125, -1.225, -0.05, -0.225, 0.95, 2.125, 0.775, -0.575, -1.925, 0.425, -0.925, 0.25, 1.425, 0.075, -1.275],
  },
  // adaptive_avg_pool2d(X(1,2,5,4), [3,2]): uneven windows along H
  'adaptive_avg_pool2d uneven windows': {
    op: 'aten::adaptive_avg_pool2d', x: [1, 2, 5, 4], args: [[3, 2]], shape: [1, 2, 3, 2],
    want: [-0.8, -0.975, 1.2, -1.5, 0.675, 0.5, -0.025, -0.2, -0.55, 1.8, -1.075, 1.275],
  },
  // adaptive_avg_pool2d(X(1,1,2,2), [3,3]): output larger than input
  'adaptive_avg_pool2d upsampling': {
    op: 'aten::adaptive_avg_pool2d', x: [1, 1, 2, 2], args: [[3, 3]], shape: [1, 1, 3, 3],
    want: [-5.0, -3.15, -1.3, -1.3, -1.975, -2.65, 2.4, -0.8, -4.0],
  },
  // adaptive_avg_pool1d(X(1,2,6), [1])
  'adaptive_avg_pool1d global': {
    op: 'aten::adaptive_avg_pool1d', x: [1, 2, 6], args: [[1]], shape: [1, 2, 1],
    want: [-0.8, -0.483333],
  },
  // adaptive_avg_pool3d(X(1,1,4,4,2), [2,2,1])
  'adaptive_avg_pool3d': {
    op: 'aten::adaptive_avg_pool3d', x: [1, 1, 4, 4, 2], args: [[2, 2, 1]], shape: [1, 1, 2, 2, 1],
    want: [-1.0625, -0.15, 1.325, -0.2875],
  },
  // adaptive_max_pool2d(X(1,2,3,3), [1,1])
  'adaptive_max_pool2d global': {
    op: 'aten::adaptive_max_pool2d', x: [1, 2, 3, 3], args: [[1, 1]], shape: [1, 2, 1, 1], from: 8,
    want: [4.4, 3.7], indices: [8, 7],
  },
  // adaptive_max_pool2d(X(1,1,4,6), [2,3])
  'adaptive_max_pool2d even windows': {
    op: 'aten::adaptive_max_pool2d', x: [1, 1, 4, 6], args: [[2, 3]], shape: [1, 1, 2, 3], from: 8,
    want: [0.7, 4.4, 3.4, 4.7, 2.0, 3.7], indices: [7, 8, 5, 19, 21, 16],
  },
};

describe('pooling lowering matches torch', () => {
  for (const [name, c] of Object.entries(cases)) {
    it(name, async () => {
      for (const opset of [c.from ?? 7, 11, 21]) {
        const [values, indices] = await runPool(c, opset);
        expect(values.dims).toEqual(c.shape);
        expectClose(values.data, c.want);
        if (c.indices) expect(indices.data).toEqual(c.indices);
      }
    });
  }

  it('computes the same with dynamic spatial sizes (ceil_mode attribute, runtime plane size)', async () => {
    for (const name of ['max_pool2d ceil_mode', 'avg_pool2d ceil_mode, count_include_pad', 'max_pool2d_with_indices', 'adaptive_max_pool2d global']) {
      const c = cases[name];
      const [values, indices] = await runPool(c, 13, ['N', 'C', 'H', 'W']);
      expect(values.dims).toEqual(c.shape);
      expectClose(values.data, c.want);
      if (c.indices) expect(indices.data).toEqual(c.indices);
    }
  });

  it('pads explicitly instead of relying on ceil_mode for static sizes', () => {
    const { graph } = lowerOp({ op: 'aten::max_pool2d', args: [tensorValue('float32', [1, 1, 6, 6]), [3, 3], [2, 2], [1, 1], [1, 1], true] }, 13);
    expect(opTypes(graph)).toEqual(['MaxPool']);
    expect(graph.nodes[0].attrs).toEqual({ kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 2, 2] });
  });

  it('uses a single AveragePool with count_include_pad when ceil_mode adds nothing', () => {
    const { graph } = lowerOp({ op: 'aten::avg_pool2d', args: [tensorValue('float32', [1, 1, 5, 5]), [3, 3], [2, 2], [1, 1]] }, 13);
    expect(opTypes(graph)).toEqual(['AveragePool']);
    expect(graph.nodes[0].attrs).toMatchObject({ pads: [1, 1, 1, 1], count_include_pad: 1 });
  });

  it('lowers adaptive pooling to global and strided pools where windows are even', () => {
    const global = lowerOp({ op: 'aten::adaptive_avg_pool2d', args: [tensorValue('float32', ['N', 512, 'H', 'W']), [1, 1]] }, 13);
    expect(opTypes(global.graph)).toEqual(['GlobalAveragePool']);
    const vgg = lowerOp({ op: 'aten::adaptive_avg_pool2d', args: [tensorValue('float32', [1, 512, 14, 14]), [7, 7]] }, 13);
    expect(opTypes(vgg.graph)).toEqual(['AveragePool']);
    expect(vgg.graph.nodes[0].attrs).toEqual({ kernel_shape: [2, 2], strides: [2, 2] });
  });

  it('slices each distinct window once when adaptive pooling enlarges', async () => {
    const x = tensorValue('float32', [1, 1, 1, 2]);
    const call: Call = { op: 'aten::adaptive_avg_pool2d', args: [x, [3, 2]] };
    expect(opTypes(lowerOp(call, 9).graph)).toEqual(['Slice', 'Concat']);
    const [out] = await runOp(call, { opset: 9, feeds: new Map([[x, [1.5, -2]]]) });
    expect(out.dims).toEqual([1, 1, 3, 2]);
    expect(out.data).toEqual([1.5, -2, 1.5, -2, 1.5, -2]);
  });

  it('refuses what ONNX cannot express', () => {
    const x = tensorValue('float32', [1, 1, 8, 8]);
    expect(() => lowerOp({ op: 'aten::max_pool2d', args: [x, [2, 2], [1, 1], [0, 0], [2, 2]] }, 9)).toThrow(/opset 10/);
    expect(() => lowerOp({ op: 'aten::avg_pool2d', args: [x, [2, 2], [], [0, 0], false, true, 3] }, 13)).toThrow(/divisor_override/);
    expect(() => lowerOp({ op: 'aten::adaptive_max_pool2d', args: [x, [3, 3]] }, 13)).toThrow(TsonnxError);
    expect(() => lowerOp({ op: 'aten::adaptive_avg_pool2d', args: [tensorValue('float32', [1, 1, 'H', 8]), [3, 3]] }, 13)).toThrow(/static/);
  });
});

describe('pooling shapes', () => {
  const x = (shape: Dim[]) => tensorValue('float32', shape);

  it('follows torch for ceil_mode, including the dropped last window', () => {
    expect(infer({ op: 'aten::max_pool2d', args: [x([1, 64, 112, 112]), [3, 3], [2, 2], [1, 1]] })[0]).toMatchObject({ shape: [1, 64, 56, 56] });
    expect(infer({ op: 'aten::max_pool2d', args: [x([1, 64, 112, 112]), [3, 3], [2, 2], [0, 0], [1, 1], true] })[0]).toMatchObject({ shape: [1, 64, 56, 56] });
    expect(infer({ op: 'aten::avg_pool2d', args: [x([1, 1, 5, 5]), [2, 2], [2, 2], [1, 1], true] })[0]).toMatchObject({ shape: [1, 1, 3, 3] });
  });

  it('returns int64 indices of the pooled shape', () => {
    const out = infer({ op: 'aten::max_pool2d_with_indices', args: [x(['N', 3, 8, 8]), [2, 2]] });
    expect(out).toEqual([
      { kind: 'tensor', dtype: 'float32', shape: ['N', 3, 4, 4] },
      { kind: 'tensor', dtype: 'int64', shape: ['N', 3, 4, 4] },
    ]);
  });

  it('keeps or derives dynamic sizes', () => {
    expect(infer({ op: 'aten::max_pool2d', args: [x(['N', 3, 'H', 'W']), [3, 3], [1, 1], [1, 1]] })[0]).toMatchObject({ shape: ['N', 3, 'H', 'W'] });
    expect(infer({ op: 'aten::max_pool2d', args: [x(['N', 3, 'H', 'W']), [2, 2]] })[0]).toMatchObject({
      shape: ['N', 3, 'H_maxpool_k2_s2_p0_d1', 'W_maxpool_k2_s2_p0_d1'],
    });
    expect(infer({ op: 'aten::adaptive_avg_pool2d', args: [x(['N', 3, 'H', 'W']), [7, 7]] })[0]).toMatchObject({ shape: ['N', 3, 7, 7] });
  });
});
