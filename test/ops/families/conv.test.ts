import { describe, expect, it } from 'vitest';
import type { Arg, Dim, GValue } from '../../../src/ir/torch-graph.js';
import { TsonnxError } from '../../../src/errors.js';
import { expectClose, infer, lowerOp, opTypes, pattern, runOp, tensorValue, type Call } from '../harness.js';

/*
 * Reference outputs come from torch 1.13.1 on the same data:
 *   X(*s) = pattern(numel(s)), W(*s) = pattern(n, 13, 7, 3, 0.25), B(n) = pattern(n, 3, 5, 2, 0.125)
 * (see pattern() in harness.ts), with the torch call written above each case.
 */
const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const weightData = (shape: readonly number[]) => pattern(size(shape), 13, 7, 3, 0.25);
const biasData = (n: number) => pattern(n, 3, 5, 2, 0.125);

interface ConvCase {
  x: number[];
  w: number[];
  /** Bias length, if the call has a bias. */
  b?: number;
  call: (x: GValue, w: GValue, b: GValue | null) => Call;
  shape: number[];
  want: number[];
}

async function runConv(c: ConvCase, opset: number) {
  const x = tensorValue('float32', c.x);
  const w = tensorValue('float32', c.w);
  const b = c.b === undefined ? null : tensorValue('float32', [c.b]);
  const feeds = new Map<GValue, number[]>([
    [x, pattern(size(c.x))],
    [w, weightData(c.w)],
  ]);
  if (b) feeds.set(b, biasData(c.b!));
  return runOp(c.call(x, w, b), { opset, feeds });
}

const conv = (op: string, ...rest: Arg[]) => (x: GValue, w: GValue, b: GValue | null): Call => ({ op, args: [x, w, b, ...rest] });

const cases: Record<string, ConvCase> = {
  // torch.conv2d(X(1,2,5,5), W(3,2,3,3), B(3), [2,2], [1,1])
  'conv2d stride 2 pad 1': {
    x: [1, 2, 5, 5], w: [3, 2, 3, 3], b: 3, call: conv('aten::conv2d', [2, 2], [1, 1]), shape: [1, 3, 3, 3],
    want: [-1.1, 3.5, -5.275, 6.275, -2.575, -10.525, -1.15, -6.725, 0.175, -5.825, 2.475, 4.35, -2.4, -3.15, 1.3, -6.825, 1.425, 4.875, 6.85, 1.175, -6.775, 0.55, -4.0, 4.625, 4.2, 2.125, -1.025],
  },
  // torch.conv1d(X(1,2,6), W(3,2,4), B(3), [1], "same"): total padding 3 → 1 before, 2 after
  'conv1d padding="same", even kernel': {
    x: [1, 2, 6], w: [3, 2, 4], b: 3, call: conv('aten::conv1d', [1], 'same'), shape: [1, 3, 6],
    want: [-6.95, 1.85, -0.925, -1.175, 6.150001, 3.7, 1.575, -8.075001, -0.25, -5.05, 1.0, 3.525, 3.0, 1.325, -4.4, -2.55, -6.0, 3.25],
  },
  // torch.conv2d(X(1,4,4,4), W(2,2,2,2), None, [1,1], [1,1], [2,2], 2)
  'conv2d groups 2, dilation 2, no bias': {
    x: [1, 4, 4, 4], w: [2, 2, 2, 2], call: conv('aten::conv2d', [1, 1], [1, 1], [2, 2], 2), shape: [1, 2, 4, 4],
    want: [-0.65, 3.25, 1.4, 0.7, 1.75, 6.2, -6.675, -1.1, 1.75, -4.9, -0.1, -2.1, -0.65, -2.1, -3.025, -1.275, -0.6, 4.775, -1.875, -1.1, -1.425, 0.575, -6.75, 1.75, -0.425, -3.475, -0.7, 1.75, -4.35, 1.85, -3.875, -0.2],
  },
  // torch.conv_transpose2d(X(1,2,3,3), W(2,1,3,3), B(1), [2,2], [1,1], [1,1])
  'conv_transpose2d output_padding 1': {
    x: [1, 2, 3, 3], w: [2, 1, 3, 3], b: 1, call: conv('aten::conv_transpose2d', [2, 2], [1, 1], [1, 1]), shape: [1, 1, 6, 6],
    want: [0.75, 1.75, -1.1, 0.575, 2.1, 2.675, -0.75, -3.0, 2.025, -10.075, -2.775, 2.075, 0.25, 0.75, -1.6, -0.425, 1.6, 1.675, 0.0, -1.5, 2.775, -8.575001, -2.025, 3.575, -0.25, -0.25, -2.1, -1.425, 1.1, 0.675, 2.0, -0.075, 1.075, -3.025, -4.9, 2.375],
  },
  // torch._convolution(X(1,2,4), W(2,3,3), B(3), [1], [0], [2], True, [0], 1, False, False, True, True)
  '_convolution transposed 1-D, dilation 2 (13 args)': {
    x: [1, 2, 4], w: [2, 3, 3], b: 3,
    call: conv('aten::_convolution', [1], [0], [2], true, [0], 1, false, false, true, true), shape: [1, 3, 8],
    want: [3.35, 2.425, -7.375, 2.975, -1.7, -3.725, 0.95, -2.25, -1.05, -1.05, 1.625, -2.75, 3.1, -2.45, 1.775, 0.6, 2.15, 3.075, 0.025, 5.075, -7.25, 3.1, 0.925, -2.95],
  },
  // torch.conv3d(X(1,1,3,3,3), W(2,1,2,2,2), B(2)), here as the 12-argument _convolution of old traces
  '_convolution 3-D (12 args)': {
    x: [1, 1, 3, 3, 3], w: [2, 1, 2, 2, 2], b: 2,
    call: conv('aten::_convolution', [1], [0], [1], false, [0], 1, false, false, true), shape: [1, 2, 2, 2, 2],
    want: [-1.5, 5.825, -2.25, 5.075, 3.825, -1.475, 5.6, -2.225, -2.85, -2.6, -2.1, -1.85, -8.175, 2.175, -2.375, 5.45],
  },
  // torch.conv2d(X(2,4,4), W(1,2,3,3)): an unbatched input
  'conv2d unbatched': {
    x: [2, 4, 4], w: [1, 2, 3, 3], call: conv('aten::conv2d'), shape: [1, 2, 2],
    want: [9.75, -2.625, -1.875, -1.625],
  },
};

describe('convolution lowering matches torch', () => {
  for (const [name, c] of Object.entries(cases)) {
    it(name, async () => {
      for (const opset of [7, 13, 21]) {
        const [out] = await runConv(c, opset);
        expect(out.dims).toEqual(c.shape);
        expectClose(out.data, c.want);
      }
    });
  }

  it('emits one Conv with explicit pads, kernel_shape and group', () => {
    const c = cases['conv2d groups 2, dilation 2, no bias'];
    const { graph } = lowerOp(c.call(tensorValue('float32', c.x), tensorValue('float32', c.w), null), 13);
    expect(opTypes(graph)).toEqual(['Conv']);
    expect(graph.nodes[0].inputs).toHaveLength(2);
    expect(graph.nodes[0].attrs).toEqual({ dilations: [2, 2], group: 2, pads: [1, 1, 1, 1], strides: [1, 1], kernel_shape: [2, 2] });
  });

  it('uses ConvTranspose with output_padding for transposed convolutions', () => {
    const c = cases['conv_transpose2d output_padding 1'];
    const { graph } = lowerOp(c.call(tensorValue('float32', c.x), tensorValue('float32', c.w), tensorValue('float32', [1])), 9);
    expect(opTypes(graph)).toEqual(['ConvTranspose']);
    expect(graph.nodes[0].attrs.output_padding).toEqual([1, 1]);
  });
});

describe('convolution shapes', () => {
  const x = (shape: Dim[]) => tensorValue('float32', shape);

  it('computes spatial sizes with stride, padding and dilation', () => {
    expect(infer({ op: 'aten::conv2d', args: [x([2, 3, 224, 224]), x([64, 3, 7, 7]), null, [2, 2], [3, 3]] })).toEqual([
      { kind: 'tensor', dtype: 'float32', shape: [2, 64, 112, 112] },
    ]);
    expect(infer({ op: 'aten::conv2d', args: [x([1, 4, 9, 9]), x([8, 2, 3, 3]), null, 1, 0, 2, 2] })[0]).toMatchObject({ shape: [1, 8, 5, 5] });
  });

  it('computes transposed sizes with output_padding and groups', () => {
    const out = infer({ op: 'aten::conv_transpose2d', args: [x([1, 4, 5, 5]), x([4, 3, 3, 3]), null, 2, 1, 1, 2] });
    expect(out[0]).toMatchObject({ shape: [1, 6, 10, 10] });
  });

  it('keeps dynamic axes where the convolution preserves them, names derived ones', () => {
    const same = infer({ op: 'aten::conv2d', args: [x(['N', 3, 'H', 'W']), x([8, 3, 3, 3]), null, 1, 1] });
    expect(same[0]).toMatchObject({ shape: ['N', 8, 'H', 'W'] });
    const strided = infer({ op: 'aten::conv2d', args: [x(['N', 3, 'H', 32]), x([8, 3, 3, 3]), null, 2, 1] });
    expect(strided[0]).toMatchObject({ shape: ['N', 8, 'H_conv_k3_s2_p1_d1', 16] });
    const modeSame = infer({ op: 'aten::_convolution_mode', args: [x([1, 3, 'H', 'W']), x([8, 3, 4, 4]), null, [1, 1], 'same', [1, 1], 1] });
    expect(modeSame[0]).toMatchObject({ shape: [1, 8, 'H', 'W'] });
  });

  it('broadcasts single-value lists of _convolution to every spatial dim', () => {
    const out = infer({
      op: 'aten::_convolution',
      args: [x([1, 2, 8, 8]), x([4, 2, 3, 3]), null, [2], [1], [1], false, [0], 1, false, false, true, true],
    });
    expect(out[0]).toMatchObject({ shape: [1, 4, 4, 4] });
  });

  it('rejects an input too small for the kernel, or with the wrong channel count', () => {
    expect(() => infer({ op: 'aten::conv2d', args: [x([1, 3, 2, 2]), x([8, 3, 3, 3])] })).toThrow(TsonnxError);
    expect(() => infer({ op: 'aten::conv2d', args: [x([1, 4, 8, 8]), x([8, 3, 3, 3])] })).toThrow(/expects 3 input channels, got 4/);
    expect(() => infer({ op: 'aten::conv2d', args: [x([1, 4, 8, 8]), x([8, 1, 3, 3]), null, 1, 0, 1, 2] })).toThrow(/expects 2 input channels/);
  });
});

describe('conv_tbc, im2col, col2im', () => {
  it('conv_tbc(P(4,1,2), 0.5·P(2,2,3), [0.1, 0.2, 0.3], 1) is a padded 1-d convolution over time (torch 2.6 numbers)', async () => {
    const x = tensorValue('float32', [4, 1, 2]);
    const w = tensorValue('float32', [2, 2, 3]);
    const b = tensorValue('float32', [3]);
    const feeds = new Map<GValue, number[]>([[x, pattern(8)], [w, pattern(12).map((v) => v * 0.5)], [b, [0.1, 0.2, 0.3]]]);
    const [out] = await runOp({ op: 'aten::conv_tbc', args: [x, w, b, 1] }, { opset: 7, feeds });
    expect(out.dims).toEqual([5, 1, 3]);
    expectClose(out.data, [8.9, -2.655, -7.645, 15.6, 1.085, 6.77, -0.85, 2.025, -12.27, -2.15, -0.57, -2.525, 6.2, 2.045, -2.11]);
    expect(infer({ op: 'aten::conv_tbc', args: [tensorValue('float32', ['t', 'b', 2]), w, b, 0] })[0]).toMatchObject({ shape: ['t_conv_tbc_k2_p0', 'b', 3] });
    expect(() => infer({ op: 'aten::conv_tbc', args: [tensorValue('float32', [4, 1, 3]), w, b, 0] })).toThrow(/channels/);
  });

  it('im2col (F.unfold(P(1,2,3,3), 2, padding=1, stride=2)) copies strided slices in torch column order', async () => {
    const x = tensorValue('float32', [1, 2, 3, 3]);
    const [out] = await runOp({ op: 'aten::im2col', args: [x, [2, 2], [1, 1], [1, 1], [2, 2]] }, { opset: 10, feeds: new Map([[x, pattern(18)]]) });
    expect(out.dims).toEqual([1, 8, 4]);
    expect(out.data.map((v) => Math.round(v * 10) / 10)).toEqual([
      0, 0, 0, -0.3, 0, 0, -4, 3.4, 0, -1.3, 0, 0.7, -5, 2.4, -3, 4.4, 0, 0, 0, 2.7, 0, 0, -1, -3.7, 0, 1.7, 0, 3.7, -2, -4.7, 0, -2.7,
    ]);
    expect(() => lowerOp({ op: 'aten::im2col', args: [x, [2, 2], [1, 1], [1, 1], [2, 2]] }, 9)).toThrow(/needs opset 10/);
    expect(infer({ op: 'aten::im2col', args: [tensorValue('float32', ['n', 2, 'h', 5]), [2, 3], [1, 1], [0, 0], [1, 1]] })[0]).toMatchObject({ shape: ['n', 12, expect.any(String)] });
    expect(() => infer({ op: 'aten::im2col', args: [x, [4, 4], [1, 1], [0, 0], [1, 1]] })).toThrow(/too small/);
  });

  it('col2im checks the block count as torch does, and needs Col2Im (opset 18)', () => {
    const cols = tensorValue('float32', [2, 12, 18]);
    expect(infer({ op: 'aten::col2im', args: [cols, [5, 6], [2, 3], [1, 1], [1, 1], [2, 1]] })[0]).toMatchObject({ shape: [2, 2, 5, 6] });
    expect(() => infer({ op: 'aten::col2im', args: [cols, [5, 7], [2, 3], [1, 1], [1, 1], [2, 1]] })).toThrow(/blocks/);
    expect(() => infer({ op: 'aten::col2im', args: [tensorValue('float32', [2, 10, 18]), [5, 6], [2, 3], [1, 1], [1, 1], [2, 1]] })).toThrow(/divisible/);
    expect(() => lowerOp({ op: 'aten::col2im', args: [cols, [5, 6], [2, 3], [1, 1], [1, 1], [2, 1]] }, 17)).toThrow(/opset 18/);
  });
});
