import { describe, expect, it } from 'vitest';
import type { Arg, Dim, GValue } from '../../../src/ir/torch-graph.js';
import { expectClose, infer, lowerOp, opTypes, pattern, runOp, tensorValue } from '../harness.js';

/*
 * References are computed here from the definitions: y = (x − mean) / sqrt(var + eps) · weight + bias,
 * with the biased variance, over the axes each normalisation uses.
 */
const EPS = 1e-5;

/** Normalises groups of elements: `groupOf(i)` names the group of flat index i. */
function normalizeGroups(x: readonly number[], groupOf: (i: number) => number, eps: number): number[] {
  const sums = new Map<number, { sum: number; sq: number; n: number }>();
  x.forEach((v, i) => {
    const s = sums.get(groupOf(i)) ?? { sum: 0, sq: 0, n: 0 };
    s.sum += v;
    s.n += 1;
    sums.set(groupOf(i), s);
  });
  x.forEach((v, i) => {
    const s = sums.get(groupOf(i))!;
    s.sq += (v - s.sum / s.n) ** 2;
  });
  return x.map((v, i) => {
    const s = sums.get(groupOf(i))!;
    return (v - s.sum / s.n) / Math.sqrt(s.sq / s.n + eps);
  });
}

/** Channel of flat index i for shape [N, C, ...rest]. */
const channelOf = (shape: readonly number[]) => (i: number) => Math.floor(i / shape.slice(2).reduce((a, b) => a * b, 1)) % shape[1];

function affine(y: readonly number[], paramOf: (i: number) => number, weight?: readonly number[], bias?: readonly number[]): number[] {
  return y.map((v, i) => v * (weight ? weight[paramOf(i)] : 1) + (bias ? bias[paramOf(i)] : 0));
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

async function run(op: string, inputs: Array<{ shape: Dim[]; data: number[]; concrete?: number[] } | Arg>, opset: number) {
  const feeds = new Map<GValue, number[]>();
  const shapes = new Map<GValue, number[]>();
  const args = inputs.map((input) => {
    if (input === null || typeof input !== 'object' || !('data' in input)) return input as Arg;
    const v = tensorValue('float32', input.shape);
    feeds.set(v, input.data);
    if (input.concrete) shapes.set(v, input.concrete);
    return v;
  });
  const [out] = await runOp({ op, args }, { opset, feeds, shapes });
  return out;
}

describe('batch_norm', () => {
  const shape = [2, 3, 2, 2];
  const x = pattern(size(shape));
  const weight = [1.5, -0.5, 2];
  const bias = [0.25, 0, -1];
  const mean = [0.1, -0.2, 0.3];
  const variance = [0.5, 2, 1.25];
  const t = (data: number[], s: Dim[] = [data.length]) => ({ shape: s, data });

  it('uses running statistics in eval (one BatchNormalization)', async () => {
    const c = channelOf(shape);
    const want = x.map((v, i) => ((v - mean[c(i)]) / Math.sqrt(variance[c(i)] + EPS)) * weight[c(i)] + bias[c(i)]);
    for (const opset of [7, 14, 21]) {
      const out = await run('aten::batch_norm', [t(x, shape), t(weight), t(bias), t(mean), t(variance), false, 0.1, EPS, true], opset);
      expect(out.dims).toEqual(shape);
      expectClose(out.data, want);
    }
    const { graph } = lowerOp(
      { op: 'aten::batch_norm', args: [tensorValue('float32', shape), ...[3, 3, 3, 3].map((n) => tensorValue('float32', [n])), false, 0.1, 1e-3, true] },
      14,
    );
    expect(opTypes(graph)).toEqual(['BatchNormalization']);
    expect(graph.nodes[0].attrs).toEqual({ epsilon: { f: 1e-3 }, momentum: { f: 0.9 }, training_mode: 0 });
  });

  it('fills in weight and bias for affine=False', async () => {
    const c = channelOf(shape);
    const want = x.map((v, i) => (v - mean[c(i)]) / Math.sqrt(variance[c(i)] + EPS));
    const out = await run('aten::batch_norm', [t(x, shape), null, null, t(mean), t(variance), false, 0.1, EPS, true], 9);
    expectClose(out.data, want);
  });

  it('normalises with batch statistics without running stats (track_running_stats=False)', async () => {
    const want = affine(normalizeGroups(x, channelOf(shape), EPS), channelOf(shape), weight, bias);
    for (const opset of [7, 18]) {
      const out = await run('aten::batch_norm', [t(x, shape), t(weight), t(bias), null, null, true, 0.1, EPS, true], opset);
      expectClose(out.data, want);
    }
  });

  it('works on [N, C] inputs', async () => {
    const x2 = pattern(6);
    const want = x2.map((v, i) => ((v - mean[i % 3]) / Math.sqrt(variance[i % 3] + EPS)) * weight[i % 3] + bias[i % 3]);
    const out = await run('aten::batch_norm', [t(x2, [2, 3]), t(weight), t(bias), t(mean), t(variance), false, 0.1, EPS, true], 13);
    expectClose(out.data, want);
  });
});

describe('layer_norm', () => {
  const shape = [2, 3, 4];
  const x = pattern(size(shape));
  const weight = pattern(12, 5, 7, 3, 0.5);
  const bias = pattern(12, 3, 5, 2, 0.25);

  it('normalises over the trailing dims, LayerNormalization from opset 17', async () => {
    const want = affine(normalizeGroups(x, (i) => Math.floor(i / 12), EPS), (i) => i % 12, weight, bias);
    for (const opset of [7, 16, 17, 21]) {
      const out = await run('aten::layer_norm', [{ shape, data: x }, [3, 4], { shape: [3, 4], data: weight }, { shape: [3, 4], data: bias }, EPS, true], opset);
      expect(out.dims).toEqual(shape);
      expectClose(out.data, want);
    }
    const graph17 = lowerOp({ op: 'aten::layer_norm', args: [tensorValue('float32', shape), [4], tensorValue('float32', [4]), null] }, 17).graph;
    expect(opTypes(graph17)).toEqual(['LayerNormalization']);
    expect(graph17.nodes.at(-1)!.attrs).toEqual({ axis: -1, epsilon: { f: EPS } });
    const graph16 = lowerOp({ op: 'aten::layer_norm', args: [tensorValue('float32', shape), [4], null, null] }, 16).graph;
    expect(opTypes(graph16)).toEqual(['ReduceMean', 'Sub', 'Mul', 'ReduceMean', 'Constant', 'Add', 'Sqrt', 'Div']);
    expect(graph16.nodes[0].attrs).toEqual({ axes: [2], keepdims: 1 });
  });

  it('works without weight and bias', async () => {
    const want = normalizeGroups(x, (i) => Math.floor(i / 4), 1e-3);
    for (const opset of [11, 17]) {
      const out = await run('aten::layer_norm', [{ shape, data: x }, [4], null, null, 1e-3], opset);
      expectClose(out.data, want);
    }
  });

  it('rejects a normalized_shape that does not match the input', () => {
    expect(() => infer({ op: 'aten::layer_norm', args: [tensorValue('float32', shape), [3]] })).toThrow(/normalized_shape/);
  });
});

describe('group_norm and instance_norm', () => {
  const shape = [2, 4, 3];
  const x = pattern(size(shape));
  const weight = [0.5, 1, 1.5, -2];
  const bias = [0, 0.25, -0.5, 1];

  it('group_norm normalises each group of channels, then applies per-channel weight and bias', async () => {
    const want = affine(normalizeGroups(x, (i) => Math.floor(i / 6), EPS), channelOf(shape), weight, bias);
    for (const opset of [7, 13, 21]) {
      const out = await run('aten::group_norm', [{ shape, data: x }, 2, { shape: [4], data: weight }, { shape: [4], data: bias }, EPS, true], opset);
      expect(out.dims).toEqual(shape);
      expectClose(out.data, want);
    }
  });

  it('group_norm without affine parameters', async () => {
    const x4 = pattern(2 * 4 * 2 * 2);
    const want = normalizeGroups(x4, (i) => Math.floor(i / 16), EPS);
    const out = await run('aten::group_norm', [{ shape: [2, 4, 2, 2], data: x4 }, 1], 13);
    expectClose(out.data, want);
  });

  it('instance_norm with input statistics', async () => {
    const want = affine(normalizeGroups(x, (i) => Math.floor(i / 3), EPS), channelOf(shape), weight, bias);
    const args = [{ shape, data: x }, { shape: [4], data: weight }, { shape: [4], data: bias }, null, null, true, 0.1, EPS, true];
    for (const opset of [7, 21]) {
      expectClose((await run('aten::instance_norm', args, opset)).data, want);
    }
    const bare = normalizeGroups(x, (i) => Math.floor(i / 3), EPS);
    const out = await run('aten::instance_norm', [{ shape, data: x }, null, null, null, null, true, 0.1, EPS, true], 13);
    expectClose(out.data, bare);
    // A dynamic channel count cannot size the parameter constants: the decomposition does not need them.
    const dynamic = await run('aten::instance_norm', [{ shape: ['N', 'C', 'L'], data: x, concrete: shape }, null, null, null, null, true, 0.1, EPS, true], 13);
    expectClose(dynamic.data, bare);
  });

  it('instance_norm with running statistics behaves as batch_norm in eval', async () => {
    const mean = [0.1, 0.2, -0.3, 0];
    const variance = [1, 2, 0.5, 4];
    const c = channelOf(shape);
    const want = x.map((v, i) => (v - mean[c(i)]) / Math.sqrt(variance[c(i)] + EPS));
    const out = await run('aten::instance_norm', [{ shape, data: x }, null, null, { shape: [4], data: mean }, { shape: [4], data: variance }, false, 0.1, EPS, true], 9);
    expectClose(out.data, want);
  });
});

describe('dropout', () => {
  const ops = ['aten::dropout', 'aten::feature_dropout', 'aten::alpha_dropout', 'aten::feature_alpha_dropout'];

  it('is the identity in eval and adds no nodes', async () => {
    for (const op of ops) {
      const x = tensorValue('float32', ['N', 8]);
      expect(infer({ op, args: [x, 0.5, false] })).toEqual([x.type]);
      const lowered = lowerOp({ op, args: [x, 0.5, false] }, 7);
      expect(opTypes(lowered.graph)).toEqual(['Identity']); // the harness's graph-output Identity only
      const out = await run(op, [{ shape: [2, 3], data: [1, 2, 3, 4, 5, 6] }, 0.5, false], 13);
      expect(out.data).toEqual([1, 2, 3, 4, 5, 6]);
    }
  });

  it('writes training-mode dropout as torch.onnx does, and refuses it for feature dropout unless p = 0', () => {
    const x = tensorValue('float32', [2, 3]);
    expect(opTypes(lowerOp({ op: 'aten::dropout', args: [x, 0.5, true] }, 13).graph)).toEqual(['Constant', 'Constant', 'Dropout']);
    expect(() => lowerOp({ op: 'aten::feature_dropout', args: [x, 0.5, true] }, 13)).toThrow(/training mode/);
    expect(opTypes(lowerOp({ op: 'aten::feature_dropout', args: [x, 0, true] }, 13).graph)).toEqual(['Identity']);
  });
});

describe('native_layer_norm, native_dropout, _weight_norm', () => {
  it('native_layer_norm(P(2,3,4), [4], None, None, 1e-5) also gives the mean and rstd (torch 2.6 numbers)', async () => {
    const shape = [2, 3, 4];
    const x = tensorValue('float32', shape);
    for (const opset of [7, 17]) {
      const [out, mean, rstd] = await runOp({ op: 'aten::native_layer_norm', args: [x, [4], null, null, 1e-5] }, { opset, feeds: new Map([[x, pattern(24)]]) });
      expectClose(out.data, normalizeGroups(pattern(24), (i) => Math.floor(i / 4), 1e-5));
      expect(mean.dims).toEqual([2, 3, 1]);
      expectClose(mean.data, [-1.975, 0.2, -0.15, -0.5, 1.675, -1.2]);
      expectClose(rstd.data, [0.348962, 0.436643, 0.287926, 0.436643, 0.348962, 0.436643]);
    }
    expect(infer({ op: 'aten::native_layer_norm', args: [tensorValue('float16', ['n', 3, 4]), [3, 4], null, null, 1e-5] })).toEqual([
      { kind: 'tensor', dtype: 'float16', shape: ['n', 3, 4] },
      { kind: 'tensor', dtype: 'float16', shape: ['n', 1, 1] },
      { kind: 'tensor', dtype: 'float16', shape: ['n', 1, 1] },
    ]);
    expect(() => infer({ op: 'aten::native_layer_norm', args: [tensorValue('float32', [2, 3]), [4], null, null, 1e-5] })).toThrow(/normalized_shape/);
  });

  it('native_dropout in eval is the input and an all-true mask; training is refused', async () => {
    const x = tensorValue('float32', [2, 'n']);
    const [out, mask] = await runOp({ op: 'aten::native_dropout', args: [x, 0.5, false] }, { opset: 9, feeds: new Map([[x, [1, 2, 3, 4, 5, 6]]]), shapes: new Map([[x, [2, 3]]]) });
    expect(out.data).toEqual([1, 2, 3, 4, 5, 6]);
    expect(mask).toMatchObject({ dtype: 'bool', dims: [2, 3], data: [1, 1, 1, 1, 1, 1] });
    expect(() => lowerOp({ op: 'aten::native_dropout', args: [x, 0.5, null] }, 12)).toThrow(/training mode/);
    expect(() => lowerOp({ op: 'aten::native_dropout', args: [x, 0.5, true] }, 12)).toThrow(/training mode/);
  });

  it('_weight_norm(P(2,3), g, dim) normalises all axes but dim; dim=-1 the whole tensor (torch 2.6 numbers)', async () => {
    const v = tensorValue('float32', [2, 3]);
    const g = tensorValue('float32', [2, 1]);
    const [byRow] = await runOp({ op: 'aten::_weight_norm', args: [v, g, 0] }, { opset: 7, feeds: new Map([[v, pattern(6)], [g, [2, 0.5]]]) });
    expectClose(byRow.data, [-1.755467, -0.456421, 0.842624, -0.380349, -0.028526, 0.323297]);
    const scalar = tensorValue('float32', []);
    const [whole] = await runOp({ op: 'aten::_weight_norm', args: [v, scalar, -1] }, { opset: 13, feeds: new Map([[v, pattern(6)], [scalar, [1.5]]]) });
    expectClose(whole.data, [-0.96744, -0.251534, 0.464371, -0.773952, -0.058046, 0.657859]);
    expect(() => infer({ op: 'aten::_weight_norm', args: [tensorValue('int64', [2, 3]), g, 0] })).toThrow(/not implemented/);
    expect(() => infer({ op: 'aten::_weight_norm', args: [v, g, 2] })).toThrow(/out of range/);
  });
});
