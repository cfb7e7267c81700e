/**
 * Loss functions: shape/dtype rules (reductions, broadcasting, class-index targets), the inputs torch
 * refuses, and lowerings the op table does not reach (a class count known only at run time, unbatched
 * inputs, overflow as torch has it). Expected numbers come from torch 1.13.
 */
import { describe, expect, it } from 'vitest';
import { PyFloat } from '../../../src/archive/types.js';
import type { GValue } from '../../../src/ir/torch-graph.js';
import { codeOf, expectNear, infer, type InputData, lowerOp, opTypes, runOp, tensorValue } from '../harness.js';

const f = (v: number) => new PyFloat(v);

describe('loss shape and dtype rules', () => {
  it('gives the element shape without reduction and a 0-d loss with one', () => {
    const x = tensorValue('float32', ['n', 5]);
    const y = tensorValue('float32', [5]);
    for (const op of ['aten::mse_loss', 'aten::l1_loss', 'aten::smooth_l1_loss', 'aten::huber_loss', 'aten::kl_div']) {
      expect(infer({ op, args: [x, y, 0] })[0]).toEqual({ kind: 'tensor', dtype: 'float32', shape: ['n', 5] });
      expect(infer({ op, args: [x, y, 1] })[0]).toEqual({ kind: 'tensor', dtype: 'float32', shape: [] });
      expect(infer({ op, args: [x, y] })[0]).toMatchObject({ shape: [] });
      expect(codeOf(() => infer({ op, args: [x, y, 3] }))).toBe('TRACE_TYPE');
    }
  });

  it('promotes mse_loss operands and keeps self dtype for huber_loss, as torch does', () => {
    const x = tensorValue('float32', [2, 3]);
    const d = tensorValue('float64', [2, 3]);
    expect(infer({ op: 'aten::mse_loss', args: [x, d, 0] })[0]).toMatchObject({ dtype: 'float64' });
    expect(infer({ op: 'aten::huber_loss', args: [x, d, 0] })[0]).toMatchObject({ dtype: 'float32' });
    const i = tensorValue('int64', [2, 3]);
    expect(infer({ op: 'aten::mse_loss', args: [x, i] })[0]).toMatchObject({ dtype: 'float32' });
    expect(codeOf(() => infer({ op: 'aten::mse_loss', args: [i, i] }))).toBe('TRACE_TYPE');
    expect(codeOf(() => infer({ op: 'aten::kl_div', args: [i, x] }))).toBe('TRACE_TYPE');
  });

  it('refuses operands that do not fit the shape torch writes into', () => {
    const row = tensorValue('float32', [3]);
    const matrix = tensorValue('float32', [2, 3]);
    expect(infer({ op: 'aten::soft_margin_loss', args: [matrix, row, 0] })[0]).toMatchObject({ shape: [2, 3] });
    expect(codeOf(() => infer({ op: 'aten::soft_margin_loss', args: [row, matrix, 0] }))).toBe('TRACE_TYPE');
    expect(infer({ op: 'aten::binary_cross_entropy_with_logits', args: [row, matrix, null, null, 0] })[0]).toMatchObject({ shape: [2, 3] });
    expect(codeOf(() => infer({ op: 'aten::binary_cross_entropy_with_logits', args: [matrix, row, null, null, 0] }))).toBe('TRACE_TYPE');
    expect(codeOf(() => infer({ op: 'aten::mse_loss', args: [matrix, tensorValue('float32', [2, 4])] }))).toBe('TRACE_TYPE');
  });

  it('checks scalar options and operand dtypes as torch does', () => {
    const x = tensorValue('float32', [4]);
    expect(codeOf(() => infer({ op: 'aten::smooth_l1_loss', args: [x, x, 1, f(-0.5)] }))).toBe('TRACE_TYPE');
    expect(codeOf(() => infer({ op: 'aten::huber_loss', args: [x, x, 1, f(0)] }))).toBe('TRACE_TYPE');
    expect(codeOf(() => infer({ op: 'aten::binary_cross_entropy', args: [x, tensorValue('float64', [4])] }))).toBe('TRACE_TYPE');
    expect(codeOf(() => infer({ op: 'aten::cosine_embedding_loss', args: [x, x, tensorValue('float32', [4])] }))).toBe('TRACE_TYPE');
    expect(infer({ op: 'aten::cosine_embedding_loss', args: [x, x, tensorValue('float32', [])] })[0]).toMatchObject({ shape: [] });
    expect(infer({ op: 'aten::cosine_embedding_loss', args: [tensorValue('float32', ['n', 4]), tensorValue('float32', ['n', 4]), tensorValue('int64', ['n']), f(0), 0] })[0])
      .toMatchObject({ shape: ['n'] });
  });

  it('checks nll ranks, targets and weights', () => {
    const logp = tensorValue('float32', ['n', 4]);
    const target = tensorValue('int64', ['n']);
    expect(infer({ op: 'aten::nll_loss', args: [logp, target, null, 0] })[0]).toMatchObject({ shape: ['n'] });
    expect(infer({ op: 'aten::nll_loss', args: [tensorValue('float32', [4]), tensorValue('int64', []), null, 0] })[0]).toMatchObject({ shape: [] });
    expect(infer({ op: 'aten::nll_loss_nd', args: [tensorValue('float32', [2, 4, 3, 5, 6]), tensorValue('int64', [2, 3, 5, 6]), null, 0] })[0])
      .toMatchObject({ shape: [2, 3, 5, 6] });
    expect(codeOf(() => infer({ op: 'aten::nll_loss', args: [tensorValue('float32', [2, 4, 3]), tensorValue('int64', [2, 3])] }))).toBe('TRACE_TYPE');
    expect(codeOf(() => infer({ op: 'aten::nll_loss2d', args: [logp, target] }))).toBe('TRACE_TYPE');
    expect(codeOf(() => infer({ op: 'aten::nll_loss', args: [logp, tensorValue('int32', ['n'])] }))).toBe('TRACE_TYPE');
    expect(codeOf(() => infer({ op: 'aten::nll_loss', args: [tensorValue('float32', [2, 4]), tensorValue('int64', [3])] }))).toBe('TRACE_TYPE');
    expect(codeOf(() => infer({ op: 'aten::nll_loss', args: [logp, target, tensorValue('float32', [5])] }))).toBe('TRACE_TYPE');
    expect(codeOf(() => infer({ op: 'aten::nll_loss', args: [logp, target, tensorValue('float64', [4])] }))).toBe('TRACE_TYPE');
  });

  it('tells class probabilities from class indices by shape, as torch does', () => {
    const x = tensorValue('float32', [2, 4, 3]);
    expect(infer({ op: 'aten::cross_entropy_loss', args: [x, tensorValue('int64', [2, 3]), null, 0] })[0]).toMatchObject({ shape: [2, 3] });
    expect(infer({ op: 'aten::cross_entropy_loss', args: [x, tensorValue('float32', [2, 4, 3]), null, 0] })[0]).toMatchObject({ shape: [2, 3] });
    expect(codeOf(() => infer({ op: 'aten::cross_entropy_loss', args: [x, tensorValue('int64', [2, 4, 3])] }))).toBe('TRACE_TYPE');
    expect(codeOf(() => infer({ op: 'aten::cross_entropy_loss', args: [x, tensorValue('float32', [2, 4, 3]), null, 1, 0] }))).toBe('TRACE_TYPE');
    expect(codeOf(() => infer({ op: 'aten::cross_entropy_loss', args: [x, tensorValue('int64', [2, 3]), null, 1, -100, f(1.5)] }))).toBe('TRACE_TYPE');
  });
});

async function run(call: Parameters<typeof runOp>[0], opset: number, feeds: Array<[GValue, InputData]>, shapes: Array<[GValue, number[]]> = []) {
  return (await runOp(call, { opset, feeds: new Map(feeds), shapes: new Map(shapes) }))[0];
}

describe('loss lowerings', () => {
  it('smooths labels with a class count known only at run time', async () => {
    const x = tensorValue('float32', ['n', 'c']);
    const t = tensorValue('int64', ['n']);
    for (const opset of [12, 13, 21]) {
      const r = await run({ op: 'aten::cross_entropy_loss', args: [x, t, null, 0, -100, f(0.3)] }, opset,
        [[x, [0.5, -1, 2, 1.5, 0.25, -0.75]], [t, [2, 0]]], [[x, [2, 3]], [t, [2]]]);
      expectNear(r.data, [0.6913114, 0.6806726]);
    }
  });

  it('gives unbatched nll_loss a batch dimension for ONNX and takes it away again', async () => {
    const x = tensorValue('float32', [3]);
    const t = tensorValue('int64', []);
    const r = await run({ op: 'aten::nll_loss', args: [x, t, null, 0] }, 12, [[x, [0.5, -1, 2]], [t, [2]]]);
    expect(r).toMatchObject({ dims: [], data: [-2] });
    expect(opTypes(lowerOp({ op: 'aten::nll_loss', args: [x, t, null, 0] }, 13).graph)).toEqual(['Constant', 'Unsqueeze', 'Constant', 'Unsqueeze', 'NegativeLogLikelihoodLoss', 'Constant', 'Squeeze']);
    const batch = tensorValue('float32', [2, 3]);
    const targets = tensorValue('int64', [2]);
    const mean = await run({ op: 'aten::nll_loss', args: [batch, targets, null, 1, 0] }, 12, [[batch, [0.5, -1, 2, 1.5, 0.25, -0.75]], [targets, [2, 0]]]);
    expectNear(mean.data, [-2]);
  });

  it('overflows soft_margin_loss to inf where torch does, and keeps kl_div NaN for negative targets', async () => {
    const x = tensorValue('float32', [3]);
    const y = tensorValue('float32', [3]);
    const soft = await run({ op: 'aten::soft_margin_loss', args: [x, y, 0] }, 7, [[x, [100, -100, 0.5]], [y, [-1, -1, 1]]]);
    expect(soft.data[0]).toBe(Infinity);
    expectNear(soft.data.slice(1), [0, 0.474077]);
    const kl = await run({ op: 'aten::kl_div', args: [x, y, 0] }, 9, [[x, [-1, -2, -0.5]], [y, [0, -0.5, 0.25]]]);
    expect(kl.data[0]).toBe(0);
    expect(kl.data[1]).toBeNaN();
    expectNear([kl.data[2]], [-0.2215736]);
  });

  it('computes l1_loss of integers in their dtype, refusing their mean as torch does', async () => {
    const i = tensorValue('int64', [2, 2]);
    const j = tensorValue('int32', [2, 2]);
    const none = await run({ op: 'aten::l1_loss', args: [i, j, 0] }, 7, [[i, [1, 5, 3, -2]], [j, [4, 1, 3, 0]]]);
    expect(none).toMatchObject({ dtype: 'int64', data: [3, 4, 0, 2] });
    expect(await run({ op: 'aten::l1_loss', args: [i, j, 2] }, 13, [[i, [1, 5, 3, -2]], [j, [4, 1, 3, 0]]])).toMatchObject({ dtype: 'int64', data: [9] });
    expect(codeOf(() => infer({ op: 'aten::l1_loss', args: [i, j, 1] }))).toBe('TRACE_TYPE');
    expect(codeOf(() => infer({ op: 'aten::mse_loss', args: [i, j, 0] }))).toBe('TRACE_TYPE');
  });

  it('finds classes known only at run time for the multi-class margins', async () => {
    const x = tensorValue('float32', ['n', 'c']);
    const data = [0.5, -0.25, 0.75, 0.1, 0.25, -0.5];
    const shapes: Array<[GValue, number[]]> = [[x, [2, 3]]];
    for (const opset of [11, 21]) {
      const target = tensorValue('int64', ['n']);
      const multi = await run({ op: 'aten::multi_margin_loss', args: [x, target, 1, 1, null, 0] }, opset, [[x, data], [target, [2, 0]]], [...shapes, [target, [2]]]);
      expectNear(multi.data, [0.25, 0.5166667]);
      const labels = tensorValue('int64', ['n', 'c']);
      const multilabel = await run({ op: 'aten::multilabel_margin_loss', args: [x, labels, 0] }, opset, [[x, data], [labels, [2, -1, 0, 0, 1, -1]]], [...shapes, [labels, [2, 3]]]);
      expectNear(multilabel.data, [0.25, 0.2166667]);
    }
  });

  it('shapes the multi-class margins as torch does and refuses what it refuses', () => {
    const x = tensorValue('float32', [3]);
    expect(infer({ op: 'aten::multi_margin_loss', args: [x, tensorValue('int64', [1]), 1, 1, null, 0] })[0]).toMatchObject({ shape: [1] });
    expect(infer({ op: 'aten::multi_margin_loss', args: [x, tensorValue('int64', []), 1, 1, null, 0] })[0]).toMatchObject({ shape: [] });
    expect(codeOf(() => infer({ op: 'aten::multi_margin_loss', args: [x, tensorValue('int64', []), 3] }))).toBe('TRACE_TYPE');
    expect(codeOf(() => infer({ op: 'aten::multi_margin_loss', args: [tensorValue('float32', [2, 3]), tensorValue('int64', [3])] }))).toBe('TRACE_TYPE');
    expect(codeOf(() => infer({ op: 'aten::multi_margin_loss', args: [x, tensorValue('int64', []), 1, 1, tensorValue('float32', [4])] }))).toBe('TRACE_TYPE');
    expect(infer({ op: 'aten::multilabel_margin_loss', args: [tensorValue('float32', ['n', 3]), tensorValue('int64', ['n', 3]), 0] })[0]).toMatchObject({ shape: ['n'] });
    expect(codeOf(() => infer({ op: 'aten::multilabel_margin_loss', args: [x, tensorValue('int64', [2])] }))).toBe('TRACE_TYPE');
    expect(codeOf(() => infer({ op: 'aten::triplet_margin_loss', args: [tensorValue('float32', [2, 3]), x, x] }))).toBe('TRACE_TYPE');
    expect(infer({ op: 'aten::triplet_margin_loss', args: [tensorValue('float32', ['n', 3]), tensorValue('float32', [1, 3]), tensorValue('float32', ['n', 3])], kwargs: { reduction: 0 } })[0])
      .toMatchObject({ shape: ['n'] });
    expect(infer({ op: 'aten::poisson_nll_loss', args: [x, tensorValue('float64', [2, 3]), true, false, f(1e-8), 0] })[0]).toMatchObject({ dtype: 'float64', shape: [2, 3] });
  });

  it('takes the triplet distance over the one dimension of unbatched inputs', async () => {
    const [anchor, positive, negative] = [0, 1, 2].map(() => tensorValue('float32', [2]));
    const r = await run({ op: 'aten::triplet_margin_loss', args: [anchor, positive, negative, f(3)] }, 8, [[anchor, [1, 2]], [positive, [0.5, 2.5]], [negative, [3, 0]]]);
    expect(r.dims).toEqual([]);
    expectNear(r.data, [0.8786798]);
  });

  it('computes binary_cross_entropy_with_logits in float64 without the float32-only Softplus kernel', async () => {
    const logits = tensorValue('float64', [1, 3]);
    const target = tensorValue('float64', [1, 3]);
    const posWeight = tensorValue('float64', [3]);
    for (const opset of [7, 21]) {
      const r = await run({ op: 'aten::binary_cross_entropy_with_logits', args: [logits, target, null, posWeight, 0] }, opset,
        [[logits, [-60, 0.5, 45]], [target, [0.2, 1, 0]], [posWeight, [2, 1, 0.5]]]);
      expect(r.dtype).toBe('float64');
      expectNear(r.data, [24, 0.474077, 45]);
    }
  });

  it('claims the opsets its ONNX ops need', () => {
    const x = tensorValue('float32', [2, 3]);
    const signs = tensorValue('float32', [2, 3]);
    expect(codeOf(() => lowerOp({ op: 'aten::hinge_embedding_loss', args: [x, signs] }, 10))).toBe('OP_OPSET');
    expect(codeOf(() => lowerOp({ op: 'aten::binary_cross_entropy', args: [x, x] }, 7))).toBe('OP_OPSET');
    expect(codeOf(() => lowerOp({ op: 'aten::cross_entropy_loss', args: [x, tensorValue('int64', [2])] }, 11))).toBe('OP_OPSET');
    expect(opTypes(lowerOp({ op: 'aten::cross_entropy_loss', args: [x, tensorValue('int64', [2])] }, 12).graph)).toEqual(['SoftmaxCrossEntropyLoss']);
  });
});
