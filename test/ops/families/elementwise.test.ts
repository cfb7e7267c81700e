/**
 * Element-wise ops: torch's shape/dtype rules, conversion-time evaluation, and lowerings run in
 * onnxruntime at the opsets where they change. Expected numbers come from torch 1.13.
 */
import { describe, expect, it } from 'vitest';
import { PyFloat } from '../../../src/archive/types.js';
import type { KnownTensor } from '../../../src/ir/torch-graph.js';
import type { GValue } from '../../../src/ir/torch-graph.js';
import { type Call, codeOf, evaluate, expectNear, infer, type InputData, lowerOp, opTypes, runOp, type RunResult, scalarValue, tensorValue } from '../harness.js';

async function run(call: Call, opset: number, feeds: Array<[GValue, InputData]>): Promise<RunResult> {
  return (await runOp(call, { opset, feeds: new Map(feeds) }))[0];
}



const I = [-7, 7, 5, -5];
const F = [-7.5, 7.5, 5, -5, 0.3, -0.3];

describe('shape and dtype rules', () => {
  it('promotes like torch.result_type and broadcasts symbolic dims', () => {
    const x = tensorValue('float32', ['batch', 1, 4]);
    const y = tensorValue('float32', [3, 1]);
    expect(infer({ op: 'aten::add', args: [x, y] })).toEqual([{ kind: 'tensor', dtype: 'float32', shape: ['batch', 3, 4] }]);
    const i = tensorValue('int64', [4]);
    expect(infer({ op: 'aten::add', args: [i, new PyFloat(2.5)] })[0]).toMatchObject({ dtype: 'float32', shape: [4] });
    expect(infer({ op: 'aten::mul', args: [tensorValue('uint8', [3]), 300] })[0]).toMatchObject({ dtype: 'uint8' });
    expect(infer({ op: 'aten::add', args: [tensorValue('bool', [2]), tensorValue('bool', [2])] })[0]).toMatchObject({ dtype: 'bool' });
    expect(infer({ op: 'aten::mul', args: [tensorValue('float16', [2]), tensorValue('float32', [])] })[0]).toMatchObject({ dtype: 'float16' });
    expect(codeOf(() => infer({ op: 'aten::sub', args: [tensorValue('bool', [2]), tensorValue('bool', [2])] }))).toBe('TRACE_TYPE');
  });

  it('gives true division a float result and keeps integers for rounded division', () => {
    const i = tensorValue('int64', [4]);
    expect(infer({ op: 'aten::div', args: [i, 2] })[0]).toMatchObject({ dtype: 'float32' });
    expect(infer({ op: 'aten::div', args: [i, 2], kwargs: { rounding_mode: 'trunc' } })[0]).toMatchObject({ dtype: 'int64' });
    expect(infer({ op: 'aten::div', args: [i, new PyFloat(2)], kwargs: { rounding_mode: 'floor' } })[0]).toMatchObject({ dtype: 'float32' });
    expect(infer({ op: 'aten::floor_divide', args: [i, 2] })[0]).toMatchObject({ dtype: 'int64' });
    expect(infer({ op: 'aten::pow', args: [i, 2] })[0]).toMatchObject({ dtype: 'int64' });
    expect(infer({ op: 'aten::pow', args: [i, new PyFloat(2.5)] })[0]).toMatchObject({ dtype: 'float32' });
    expect(infer({ op: 'aten::pow', args: [2, i], overload: 'Scalar' })[0]).toMatchObject({ dtype: 'int64' });
    expect(infer({ op: 'aten::exp', args: [i] })[0]).toMatchObject({ dtype: 'float32' });
    expect(infer({ op: 'aten::floor', args: [i] })[0]).toMatchObject({ dtype: 'int64' });
    expect(infer({ op: 'aten::sign', args: [tensorValue('bool', [2])] })[0]).toMatchObject({ dtype: 'bool' });
    expect(codeOf(() => infer({ op: 'aten::neg', args: [tensorValue('bool', [2])] }))).toBe('TRACE_TYPE');
  });

  it('gives comparisons, logic ops and isnan bool results', () => {
    const x = tensorValue('float32', ['n', 3]);
    expect(infer({ op: 'aten::lt', args: [x, tensorValue('int64', [3])] })).toEqual([{ kind: 'tensor', dtype: 'bool', shape: ['n', 3] }]);
    expect(infer({ op: 'aten::eq', args: [x, 1] })[0]).toMatchObject({ dtype: 'bool', shape: ['n', 3] });
    expect(infer({ op: 'aten::logical_and', args: [x, tensorValue('int64', [1])] })[0]).toMatchObject({ dtype: 'bool', shape: ['n', 3] });
    expect(infer({ op: 'aten::isnan', args: [x] })[0]).toMatchObject({ dtype: 'bool' });
    expect(infer({ op: 'aten::__and__', args: [tensorValue('bool', [2]), 1] })[0]).toMatchObject({ dtype: 'int64' });
  });

  it('promotes clamp bounds, where branches and keeps masked_fill dtype', () => {
    const i = tensorValue('int64', [4]);
    expect(infer({ op: 'aten::clamp', args: [i, new PyFloat(1.5)] })[0]).toMatchObject({ dtype: 'float32' });
    expect(infer({ op: 'aten::clamp', args: [i, 0, 3] })[0]).toMatchObject({ dtype: 'int64' });
    expect(infer({ op: 'aten::clamp_min', args: [i, new PyFloat(1.5)] })[0]).toMatchObject({ dtype: 'float32' });
    expect(codeOf(() => infer({ op: 'aten::clamp', args: [i] }))).toBe('TRACE_TYPE');
    const cond = tensorValue('bool', [4]);
    expect(infer({ op: 'aten::where', args: [cond, i, tensorValue('float32', [4])] })[0]).toMatchObject({ dtype: 'float32' });
    expect(infer({ op: 'aten::where', args: [cond, 1, 2], overload: 'Scalar' })[0]).toMatchObject({ dtype: 'int64', shape: [4] });
    expect(infer({ op: 'aten::where', args: [cond, new PyFloat(1), 2], overload: 'Scalar' })[0]).toMatchObject({ dtype: 'float32' });
    expect(infer({ op: 'aten::where', args: [cond, tensorValue('int32', [4]), 2], overload: 'ScalarOther' })[0]).toMatchObject({ dtype: 'int32' });
    expect(infer({ op: 'aten::masked_fill', args: [tensorValue('int64', [4, 1]), cond, new PyFloat(2.7)] })[0]).toEqual({
      kind: 'tensor', dtype: 'int64', shape: [4, 4],
    });
  });

  it('types Python-number overloads as Python does', () => {
    const n = scalarValue('int', 'n');
    expect(infer({ op: 'aten::add', args: [n, 1], overload: 'int' })).toEqual([{ kind: 'scalar', scalar: 'int' }]);
    expect(infer({ op: 'aten::add', args: [n, new PyFloat(0.5)], overload: '' })).toEqual([{ kind: 'scalar', scalar: 'float' }]);
    expect(infer({ op: 'aten::div', args: [n, 2], overload: 'int' })).toEqual([{ kind: 'scalar', scalar: 'float' }]);
    expect(infer({ op: 'aten::floor', args: [scalarValue('float')], overload: 'float' })).toEqual([{ kind: 'scalar', scalar: 'int' }]);
    expect(infer({ op: 'aten::sqrt', args: [n], overload: 'Scalar' })).toEqual([{ kind: 'scalar', scalar: 'float' }]);
    expect(infer({ op: 'aten::eq', args: [n, 3], overload: 'int' })).toEqual([{ kind: 'scalar', scalar: 'bool' }]);
  });
});

describe('evaluate on known values', () => {
  const known = (v: GValue, values: number[]): Map<GValue, KnownTensor> => new Map([[v, { type: v.tensor, values }]]);

  it('computes broadcast integer arithmetic', () => {
    const x = tensorValue('int64', [2, 1]);
    const y = tensorValue('int64', [3]);
    const both = new Map([...known(x, [10, 20]), ...known(y, [1, 2, 3])]);
    expect(evaluate({ op: 'aten::add', args: [x, y], kwargs: { alpha: 2 }, known: both })).toEqual([
      { type: { kind: 'tensor', dtype: 'int64', shape: [2, 3] }, values: [12, 14, 16, 22, 24, 26] },
    ]);
    expect(evaluate({ op: 'aten::sub', args: [x, y], known: both })?.[0].values).toEqual([9, 8, 7, 19, 18, 17]);
    expect(evaluate({ op: 'aten::rsub', args: [y, 10], known: known(y, [1, 2, 3]) })?.[0].values).toEqual([9, 8, 7]);
    expect(evaluate({ op: 'aten::mul', args: [x, y], known: both })?.[0].values).toEqual([10, 20, 30, 20, 40, 60]);
  });

  it('follows torch division and remainder semantics', () => {
    const i = tensorValue('int64', [4]);
    const k = known(i, I);
    expect(evaluate({ op: 'aten::div', args: [i, 2], known: k })?.[0]).toEqual({
      type: { kind: 'tensor', dtype: 'float32', shape: [4] }, values: [-3.5, 3.5, 2.5, -2.5],
    });
    expect(evaluate({ op: 'aten::div', args: [i, 2], kwargs: { rounding_mode: 'trunc' }, known: k })?.[0].values).toEqual([-3, 3, 2, -2]);
    expect(evaluate({ op: 'aten::div', args: [i, 2], kwargs: { rounding_mode: 'floor' }, known: k })?.[0].values).toEqual([-4, 3, 2, -3]);
    expect(evaluate({ op: 'aten::floor_divide', args: [i, 2], known: k })?.[0].values).toEqual([-4, 3, 2, -3]);
    expect(evaluate({ op: 'aten::remainder', args: [i, -2], known: k })?.[0].values).toEqual([-1, -1, -1, -1]);
    expect(evaluate({ op: 'aten::neg', args: [i], known: k })?.[0].values).toEqual([7, -7, -5, 5]);
    expect(evaluate({ op: 'aten::add', args: [i, new PyFloat(0.1)], known: k })?.[0].values).toEqual(I.map((v) => Math.fround(v + Math.fround(0.1))));
  });

  it('leaves unknown inputs and integer division by zero to run time', () => {
    const i = tensorValue('int64', [2]);
    expect(evaluate({ op: 'aten::add', args: [i, 1] })).toBeUndefined();
    expect(evaluate({ op: 'aten::floor_divide', args: [i, 0], known: known(i, [1, 2]) })).toBeUndefined();
    expect(evaluate({ op: 'aten::add', args: [scalarValue('int'), 1], overload: 'int' })).toBeUndefined();
  });
});

describe('arithmetic lowering', () => {
  it('adds with alpha at opset 7 and 21', async () => {
    for (const opset of [7, 21]) {
      const x = tensorValue('float32', [2, 2]);
      const y = tensorValue('float32', [2]);
      const r = await run({ op: 'aten::add', args: [x, y], kwargs: { alpha: new PyFloat(0.5) } }, opset, [[x, [1, 2, 3, 4]], [y, [10, 20]]]);
      expect(r.dims).toEqual([2, 2]);
      expect(r.data).toEqual([6, 12, 8, 14]);
    }
  });

  it('wraps uint8 arithmetic like torch below and above opset 14', async () => {
    for (const opset of [9, 14]) {
      const u = tensorValue('uint8', [3]);
      const r = await run({ op: 'aten::add', args: [u, 300] }, opset, [[u, [1, 2, 3]]]);
      expect(r).toMatchObject({ dtype: 'uint8', data: [45, 46, 47] });
    }
  });

  it('computes int8 arithmetic in int32 before opset 14', async () => {
    for (const opset of [9, 14]) {
      const x = tensorValue('int8', [3]);
      const y = tensorValue('int8', [3]);
      const r = await run({ op: 'aten::mul', args: [x, y] }, opset, [[x, [100, -3, 7]], [y, [2, 5, -1]]]);
      expect(r).toMatchObject({ dtype: 'int8', data: [-56, -15, -7] });
    }
  });

  it('turns bool add and mul into or/and', async () => {
    const p = tensorValue('bool', [4]);
    const q = tensorValue('bool', [4]);
    const feeds: Array<[GValue, InputData]> = [[p, [1, 1, 0, 0]], [q, [1, 0, 1, 0]]];
    expect((await run({ op: 'aten::add', args: [p, q] }, 9, feeds)).data).toEqual([1, 1, 1, 0]);
    expect((await run({ op: 'aten::mul', args: [p, q] }, 9, feeds)).data).toEqual([1, 0, 0, 0]);
  });

  it('subtracts reversed for rsub', async () => {
    const x = tensorValue('int64', [3]);
    const r = await run({ op: 'aten::rsub', args: [x, 1], kwargs: { alpha: 2 } }, 9, [[x, [1, 2, 3]]]);
    expect(r).toMatchObject({ dtype: 'int64', data: [-1, -3, -5] });
  });

  it('divides integers: true, trunc and floor', async () => {
    for (const opset of [9, 13]) {
      const i = tensorValue('int64', [4]);
      const feeds: Array<[GValue, InputData]> = [[i, I]];
      expect(await run({ op: 'aten::div', args: [i, 2] }, opset, feeds)).toMatchObject({ dtype: 'float32', data: [-3.5, 3.5, 2.5, -2.5] });
      expect((await run({ op: 'aten::div', args: [i, 2], kwargs: { rounding_mode: 'trunc' } }, opset, feeds)).data).toEqual([-3, 3, 2, -2]);
      expect((await run({ op: 'aten::div', args: [i, 2], kwargs: { rounding_mode: 'floor' } }, opset, feeds)).data).toEqual([-4, 3, 2, -3]);
      expect((await run({ op: 'aten::floor_divide', args: [i, -2] }, opset, feeds)).data).toEqual([3, -4, -3, 2]);
    }
  });

  it('divides floats with rounding modes', async () => {
    const f = tensorValue('float32', [6]);
    expectNear((await run({ op: 'aten::floor_divide', args: [f, 2] }, 9, [[f, F]])).data, [-4, 3, 2, -3, 0, -1]);
    expectNear((await run({ op: 'aten::div', args: [f, -2], kwargs: { rounding_mode: 'trunc' } }, 9, [[f, F]])).data, [3, -3, -2, 2, 0, 0]);
    expect(codeOf(() => lowerOp({ op: 'aten::div', args: [f, -2], kwargs: { rounding_mode: 'trunc' } }, 8))).toBe('OP_OPSET');
  });

  it('computes Python-style remainder and C-style fmod', async () => {
    for (const opset of [9, 10, 13]) {
      const i = tensorValue('int64', [4]);
      expect((await run({ op: 'aten::remainder', args: [i, 2] }, opset, [[i, I]])).data).toEqual([1, 1, 1, 1]);
      expect((await run({ op: 'aten::remainder', args: [i, -2] }, opset, [[i, I]])).data).toEqual([-1, -1, -1, -1]);
      const f = tensorValue('float32', [6]);
      expectNear((await run({ op: 'aten::remainder', args: [f, 2] }, opset, [[f, F]])).data, [0.5, 1.5, 1, 1, 0.3, 1.7]);
      expectNear((await run({ op: 'aten::remainder', args: [f, new PyFloat(-2.5)] }, opset, [[f, F]])).data, [0, 0, 0, 0, -2.2, -0.3]);
    }
    const s = tensorValue('int64', [4]);
    expect((await run({ op: 'aten::remainder', args: [3, s], overload: 'Scalar_Tensor' }, 11, [[s, I]])).data).toEqual([-4, 3, 3, -2]);
    const i = tensorValue('int64', [4]);
    expect((await run({ op: 'aten::fmod', args: [i, -2] }, 10, [[i, I]])).data).toEqual([-1, 1, 1, -1]);
    const f = tensorValue('float32', [6]);
    expectNear((await run({ op: 'aten::fmod', args: [f, 2] }, 10, [[f, F]])).data, [-1.5, 1.5, 1, -1, 0.3, -0.3]);
  });

  it('raises to powers in every type combination', async () => {
    for (const opset of [9, 12]) {
      const i = tensorValue('int64', [4]);
      expect(await run({ op: 'aten::pow', args: [i, 2] }, opset, [[i, I]])).toMatchObject({ dtype: 'int64', data: [49, 49, 25, 25] });
      const e = tensorValue('int64', [3]);
      expect(await run({ op: 'aten::pow', args: [2, e], overload: 'Scalar' }, opset, [[e, [1, 0, 10]]])).toMatchObject({ dtype: 'int64', data: [2, 1, 1024] });
    }
    const f = tensorValue('float32', [3]);
    expectNear((await run({ op: 'aten::pow', args: [f, new PyFloat(2.5)] }, 7, [[f, [1, 2, 3]]])).data, [1, 5.6568542, 15.5884571]);
    const e = tensorValue('int64', [3]);
    expectNear((await run({ op: 'aten::pow', args: [new PyFloat(2), e], overload: 'Scalar' }, 7, [[e, [-1, 0, 3]]])).data, [0.5, 1, 8]);
  });
});

describe('unary lowering', () => {
  const x = [0.5, 3, 8];
  const cases: Array<[string, number[], number[]]> = [
    ['aten::exp', x, x.map(Math.exp)],
    ['aten::log', x, x.map(Math.log)],
    ['aten::log2', x, [-1, 1.5849625, 3]],
    ['aten::log10', [0.5, 3, 1000], [-0.30103, 0.4771213, 3]],
    ['aten::log1p', [0.5, 3, 1e-5], [0.4054651, 1.3862944, 1e-5]],
    ['aten::expm1', [0.5, 3, 1e-5], [0.6487213, 19.085537, 1e-5]],
    ['aten::sqrt', x, x.map(Math.sqrt)],
    ['aten::rsqrt', x, x.map((v) => 1 / Math.sqrt(v))],
    ['aten::reciprocal', x, x.map((v) => 1 / v)],
    ['aten::sin', x, x.map(Math.sin)],
    ['aten::cos', x, x.map(Math.cos)],
    ['aten::tan', x, x.map(Math.tan)],
    ['aten::asin', [-0.5, 0, 0.9], [-0.5, 0, 0.9].map(Math.asin)],
    ['aten::acos', [-0.5, 0, 0.9], [-0.5, 0, 0.9].map(Math.acos)],
    ['aten::atan', x, x.map(Math.atan)],
    ['aten::sinh', x, x.map(Math.sinh)],
    ['aten::cosh', x, x.map(Math.cosh)],
    ['aten::erf', [-1, 0.5, 2], [-0.8427008, 0.5204999, 0.9953223]],
    ['aten::floor', [-1.5, 0.5, 2], [-2, 0, 2]],
    ['aten::ceil', [-1.5, 0.5, 2], [-1, 1, 2]],
    ['aten::trunc', [-1.5, 0.5, 2.7], [-1, 0, 2]],
    ['aten::round', [-2.5, 0.5, 1.5], [-2, 0, 2]],
    ['aten::neg', [-1.5, 0.5, 2], [1.5, -0.5, -2]],
    ['aten::abs', [-1.5, 0.5, 2], [1.5, 0.5, 2]],
    ['aten::sign', [-1.5, 0, 2], [-1, 0, 1]],
    ['aten::square', [-1.5, 0.5, 2], [2.25, 0.25, 4]],
  ];
  for (const [op, input, expected] of cases) {
    it(`${op} at opset 11 and 21`, async () => {
      for (const opset of [11, 21]) {
        const v = tensorValue('float32', [3]);
        const r = await run({ op, args: [v] }, opset, [[v, input]]);
        expect(r.dtype).toBe('float32');
        expectNear(r.data, expected);
      }
    });
  }

  it('computes atan2 in every quadrant, on the axes and at the origin', async () => {
    for (const opset of [9, 11]) {
      const y = tensorValue('float32', [8]);
      const x = tensorValue('float32', [8]);
      const ys = [1, 1, -1, -1, 0, 2, -2, 0];
      const xs = [1, -1, -1, 1, -3, 0, 0, 0];
      const r = await run({ op: 'aten::atan2', args: [y, x] }, opset, [[y, ys], [x, xs]]);
      expectNear(r.data, ys.map((v, i) => Math.atan2(v, xs[i])));
    }
    const i = tensorValue('int64', [2]);
    expect(infer({ op: 'aten::atan2', args: [i, i] })[0]).toMatchObject({ dtype: 'float32' });
  });

  it('computes float functions of integer tensors in float32', async () => {
    const i = tensorValue('int64', [3]);
    const r = await run({ op: 'aten::exp', args: [i] }, 9, [[i, [0, 1, 2]]]);
    expect(r.dtype).toBe('float32');
    expectNear(r.data, [1, Math.E, Math.exp(2)]);
  });

  it('passes integer tensors through floor/round and negates integers', async () => {
    const i = tensorValue('int64', [3]);
    expect((await run({ op: 'aten::floor', args: [i] }, 9, [[i, [-3, 0, 4]]])).data).toEqual([-3, 0, 4]);
    expect(opTypes(lowerOp({ op: 'aten::round', args: [i] }, 11).graph)).toEqual(['Identity']);
    expect((await run({ op: 'aten::neg', args: [i] }, 9, [[i, [-3, 0, 4]]])).data).toEqual([3, 0, -4]);
    const u = tensorValue('uint8', [3]);
    expect((await run({ op: 'aten::neg', args: [u] }, 14, [[u, [1, 0, 255]]])).data).toEqual([255, 0, 1]);
  });

  it('rounds to decimals', async () => {
    const v = tensorValue('float32', [3]);
    expectNear((await run({ op: 'aten::round', args: [v], kwargs: { decimals: 2 } }, 11, [[v, [1.2345, -2.5551, 0.125]]])).data, [1.23, -2.56, 0.12]);
    expectNear((await run({ op: 'aten::round', args: [v], kwargs: { decimals: -1 } }, 11, [[v, [123, -155, 45]]])).data, [120, -160, 40]);
  });
});

describe('comparison and logic lowering', () => {
  const a = [1, NaN, 3, 2];
  const b = [1, NaN, 2, 3];
  const expected: Record<string, number[]> = {
    'aten::eq': [1, 0, 0, 0],
    'aten::ne': [0, 1, 1, 1],
    'aten::lt': [0, 0, 0, 1],
    'aten::le': [1, 0, 0, 1],
    'aten::gt': [0, 0, 1, 0],
    'aten::ge': [1, 0, 1, 0],
  };
  for (const [op, want] of Object.entries(expected)) {
    it(`${op} handles NaN at opsets 9, 11 and 12`, async () => {
      for (const opset of [9, 11, 12]) {
        const x = tensorValue('float32', [4]);
        const y = tensorValue('float32', [4]);
        const r = await run({ op, args: [x, y] }, opset, [[x, a], [y, b]]);
        expect(r).toMatchObject({ dtype: 'bool', data: want });
      }
    });
  }

  it('compares in the promoted dtype', async () => {
    const i = tensorValue('int64', [4]);
    expect((await run({ op: 'aten::eq', args: [i, new PyFloat(5)] }, 9, [[i, I]])).data).toEqual([0, 0, 1, 0]);
    const u = tensorValue('uint8', [3]);
    // uint8 tensor vs -1: the scalar wraps to 255 in torch's uint8 comparison.
    expect((await run({ op: 'aten::lt', args: [u, -1] }, 9, [[u, [1, 2, 3]]])).data).toEqual([1, 1, 1]);
    const p = tensorValue('bool', [2]);
    const q = tensorValue('bool', []);
    expect((await run({ op: 'aten::gt', args: [p, q] }, 9, [[p, [1, 0]], [q, [0]]])).data).toEqual([1, 0]);
  });

  it('computes logical ops on any dtype', async () => {
    const x = tensorValue('float32', [4]);
    const y = tensorValue('int64', [4]);
    const feeds: Array<[GValue, InputData]> = [[x, [0, 0.5, 0, NaN]], [y, [0, 0, 3, 1]]];
    expect((await run({ op: 'aten::logical_and', args: [x, y] }, 7, feeds)).data).toEqual([0, 0, 0, 1]);
    expect((await run({ op: 'aten::logical_or', args: [x, y] }, 7, feeds)).data).toEqual([0, 1, 1, 1]);
    expect((await run({ op: 'aten::logical_xor', args: [x, y] }, 7, feeds)).data).toEqual([0, 1, 1, 0]);
    expect((await run({ op: 'aten::logical_not', args: [y] }, 7, [[y, [0, 0, 3, 1]]])).data).toEqual([1, 1, 0, 0]);
  });

  it('inverts bits below and from opset 18', async () => {
    for (const opset of [9, 14, 18]) {
      const i = tensorValue('int64', [3]);
      expect((await run({ op: 'aten::bitwise_not', args: [i] }, opset, [[i, [0, 5, -1]]])).data).toEqual([-1, -6, 0]);
      const u = tensorValue('uint8', [3]);
      expect((await run({ op: 'aten::bitwise_not', args: [u] }, opset, [[u, [1, 2, 255]]])).data).toEqual([254, 253, 0]);
      const b = tensorValue('bool', [2]);
      expect((await run({ op: 'aten::bitwise_not', args: [b] }, opset, [[b, [1, 0]]])).data).toEqual([0, 1]);
    }
  });

  it('uses And/Or/Xor for bool and Bitwise* for ints from opset 18', async () => {
    const p = tensorValue('bool', [4]);
    const q = tensorValue('bool', [4]);
    const feeds: Array<[GValue, InputData]> = [[p, [1, 1, 0, 0]], [q, [1, 0, 1, 0]]];
    expect((await run({ op: 'aten::__and__', args: [p, q] }, 9, feeds)).data).toEqual([1, 0, 0, 0]);
    expect((await run({ op: 'aten::__or__', args: [p, q] }, 9, feeds)).data).toEqual([1, 1, 1, 0]);
    expect((await run({ op: 'aten::__xor__', args: [p, q] }, 9, feeds)).data).toEqual([0, 1, 1, 0]);
    const i = tensorValue('int64', [4]);
    expect((await run({ op: 'aten::__and__', args: [i, 3] }, 18, [[i, I]])).data).toEqual([1, 3, 1, 3]);
    expect((await run({ op: 'aten::__xor__', args: [i, 6] }, 18, [[i, I]])).data).toEqual([-1, 1, 3, -3]);
    expect(codeOf(() => lowerOp({ op: 'aten::__or__', args: [i, 3] }, 17))).toBe('OP_OPSET');
  });
});

describe('clamp and min/max lowering', () => {
  it('clips floats with attributes before opset 11 and inputs from 11', async () => {
    for (const opset of [7, 11, 13]) {
      const x = tensorValue('float32', [4]);
      const lowered = lowerOp({ op: 'aten::clamp', args: [x, new PyFloat(-1), new PyFloat(2)] }, opset);
      const clip = lowered.graph.nodes.find((n) => n.opType === 'Clip')!;
      expect(clip.inputs.length).toBe(opset < 11 ? 1 : 3);
      const r = await run({ op: 'aten::clamp', args: [x, new PyFloat(-1), new PyFloat(2)] }, opset, [[x, [-5, 0.5, 1, 9]]]);
      expect(r.data).toEqual([-1, 0.5, 1, 2]);
      expect((await run({ op: 'aten::clamp', args: [x, null, new PyFloat(0.75)] }, opset, [[x, [-5, 0.5, 1, 9]]])).data).toEqual([-5, 0.5, 0.75, 0.75]);
    }
  });

  it('clamps integers natively from opset 12 and through float64 before', async () => {
    for (const opset of [9, 11, 12]) {
      const i = tensorValue('int64', [4]);
      const r = await run({ op: 'aten::clamp', args: [i, 0, 3] }, opset, [[i, I]]);
      expect(r).toMatchObject({ dtype: 'int64', data: [0, 3, 3, 0] });
      const lowered = lowerOp({ op: 'aten::clamp', args: [i, 0, 3] }, opset);
      expect(opTypes(lowered.graph).includes('Cast')).toBe(opset < 12);
    }
    const i = tensorValue('int64', [4]);
    expect(await run({ op: 'aten::clamp_min', args: [i, new PyFloat(1.5)] }, 13, [[i, I]])).toMatchObject({ dtype: 'float32', data: [1.5, 7, 5, 1.5] });
    expect(await run({ op: 'aten::clamp_max', args: [i, 0] }, 9, [[i, I]])).toMatchObject({ dtype: 'int64', data: [-7, 0, 0, -5] });
  });

  it('clamps float64 through Max/Min before opset 12, where onnxruntime has no double Clip', async () => {
    for (const opset of [9, 11, 12]) {
      const d = tensorValue('float64', [3]);
      const r = await run({ op: 'aten::clamp', args: [d, new PyFloat(-1), new PyFloat(1)] }, opset, [[d, [-3, 0.25, 3]]]);
      expect(r).toMatchObject({ dtype: 'float64', data: [-1, 0.25, 1] });
      expect(opTypes(lowerOp({ op: 'aten::clamp', args: [d, new PyFloat(-1), new PyFloat(1)] }, opset).graph).includes('Clip')).toBe(opset >= 12);
    }
  });

  it('clamps with tensor bounds through Max/Min or a 0-d Clip', async () => {
    const x = tensorValue('float32', [2, 2]);
    const lo = tensorValue('float32', [2]);
    const hi = tensorValue('float32', [2, 1]);
    const r = await run({ op: 'aten::clamp', args: [x, lo, hi], overload: 'Tensor' }, 9, [[x, [-1, 5, 2, 3]], [lo, [0, 4]], [hi, [1, 2.5]]]);
    expect(r.data).toEqual([0, 1, 2, 2.5]);
    const s = tensorValue('float32', []);
    const lowered = lowerOp({ op: 'aten::clamp', args: [x, s, null], overload: 'Tensor' }, 13);
    expect(opTypes(lowered.graph)).toEqual(['Clip']);
    expect((await run({ op: 'aten::clip', args: [x, s, null], overload: 'Tensor' }, 13, [[x, [-1, 5, 2, 3]], [s, [2]]])).data).toEqual([2, 5, 2, 3]);
  });

  it('takes element-wise maximum and minimum', async () => {
    for (const opset of [9, 12]) {
      const i = tensorValue('int64', [4]);
      const f = tensorValue('float32', [4]);
      const r = await run({ op: 'aten::maximum', args: [i, f] }, opset, [[i, I], [f, [-7.5, 7.5, 5, -5]]]);
      expect(r).toMatchObject({ dtype: 'float32', data: [-7, 7.5, 5, -5] });
      const j = tensorValue('int64', [4]);
      expect((await run({ op: 'aten::minimum', args: [i, j] }, opset, [[i, I], [j, [0, 0, 9, 9]]])).data).toEqual([-7, 0, 5, -5]);
    }
    const p = tensorValue('bool', [2]);
    const q = tensorValue('bool', [2]);
    expect((await run({ op: 'aten::maximum', args: [p, q] }, 9, [[p, [1, 0]], [q, [0, 0]]])).data).toEqual([1, 0]);
  });
});

describe('selection lowering', () => {
  it('selects with where in all four overloads', async () => {
    const c = tensorValue('bool', [4]);
    const i = tensorValue('int64', [4]);
    const f = tensorValue('float32', [4]);
    const cond: Array<[GValue, InputData]> = [[c, [1, 0, 1, 0]]];
    expect(await run({ op: 'aten::where', args: [c, i, f] }, 9, [...cond, [i, I], [f, [0.5, 1.5, 2.5, 3.5]]])).toMatchObject({
      dtype: 'float32', data: [-7, 1.5, 5, 3.5],
    });
    expect(await run({ op: 'aten::where', args: [c, i, new PyFloat(2.5)], overload: 'ScalarOther' }, 9, [...cond, [i, I]])).toMatchObject({
      dtype: 'float32', data: [-7, 2.5, 5, 2.5],
    });
    expect(await run({ op: 'aten::where', args: [c, 1, i], overload: 'ScalarSelf' }, 9, [...cond, [i, I]])).toMatchObject({
      dtype: 'int64', data: [1, 7, 1, -5],
    });
    expect(await run({ op: 'aten::where', args: [c, 1, 2], overload: 'Scalar' }, 9, cond)).toMatchObject({ dtype: 'int64', data: [1, 2, 1, 2] });
  });

  it('fills masks with a scalar or a 0-d tensor, broadcasting', async () => {
    const x = tensorValue('int64', [2, 1]);
    const m = tensorValue('bool', [2]);
    const r = await run({ op: 'aten::masked_fill', args: [x, m, new PyFloat(2.7)] }, 9, [[x, [10, 20]], [m, [1, 0]]]);
    expect(r).toMatchObject({ dims: [2, 2], dtype: 'int64', data: [2, 10, 2, 20] });
    const f = tensorValue('float32', [3]);
    const mask = tensorValue('uint8', [3]);
    const v = tensorValue('float64', []);
    const t = await run({ op: 'aten::masked_fill', args: [f, mask, v], overload: 'Tensor' }, 9, [[f, [1, 2, 3]], [mask, [0, 1, 1]], [v, [-0.5]]]);
    expect(t).toMatchObject({ dtype: 'float32', data: [1, -0.5, -0.5] });
  });

  it('interpolates with lerp like torch', async () => {
    const s = tensorValue('float32', [6]);
    const e = tensorValue('float32', [6]);
    const ones = [1, 1, 1, 1, 1, 1];
    expectNear((await run({ op: 'aten::lerp', args: [s, e, new PyFloat(0.75)] }, 7, [[s, F], [e, ones]])).data, [-1.125, 2.625, 2, -0.5, 0.825, 0.675]);
    const w = tensorValue('float32', [6]);
    const r = await run({ op: 'aten::lerp', args: [s, e, w], overload: 'Tensor' }, 9, [[s, F], [e, ones], [w, [0.1, 0.9, 0.5, 0.2, 0.7, 0.3]]]);
    expectNear(r.data, [-6.65, 1.65, 3, -3.8, 0.79, 0.09]);
  });

  it('fuses addcmul and addcdiv', async () => {
    const s = tensorValue('float32', [6]);
    const t = tensorValue('float32', [6]);
    expectNear((await run({ op: 'aten::addcmul', args: [s, s, t], kwargs: { value: new PyFloat(0.5) } }, 7, [[s, F], [t, Array(6).fill(2)]])).data, [-15, 15, 10, -10, 0.6, -0.6]);
    expectNear((await run({ op: 'aten::addcdiv', args: [s, s, t], kwargs: { value: 3 } }, 7, [[s, F], [t, Array(6).fill(4)]])).data, [-13.125, 13.125, 8.75, -8.75, 0.525, -0.525]);
    expect(codeOf(() => infer({ op: 'aten::addcdiv', args: [s, tensorValue('int64', [6]), tensorValue('int64', [6])] }))).toBe('TRACE_TYPE');
  });

  it('detects and replaces NaN and infinities', async () => {
    const x = tensorValue('float32', [4]);
    const data = [NaN, Infinity, -Infinity, 1.5];
    expect((await run({ op: 'aten::isnan', args: [x] }, 9, [[x, data]])).data).toEqual([1, 0, 0, 0]);
    expect((await run({ op: 'aten::isinf', args: [x] }, 10, [[x, data]])).data).toEqual([0, 1, 1, 0]);
    const i = tensorValue('int64', [2]);
    expect((await run({ op: 'aten::isnan', args: [i] }, 9, [[i, [1, 2]]])).data).toEqual([0, 0]);
    expect((await run({ op: 'aten::nan_to_num', args: [x] }, 10, [[x, data]])).data).toEqual([0, 3.4028234663852886e38, -3.4028234663852886e38, 1.5]);
    expect((await run({ op: 'aten::nan_to_num', args: [x, 1, 2, -3] }, 10, [[x, data]])).data).toEqual([1, 2, -3, 1.5]);
  });
});

describe('Python-number overloads on run-time values', () => {
  it('computes int, float and bool results as 0-d values', async () => {
    const n = scalarValue('int', 'n');
    expect(await run({ op: 'aten::add', args: [n, 3], overload: 'int' }, 13, [[n, [4]]])).toMatchObject({ dims: [], dtype: 'int64', data: [7] });
    expect(await run({ op: 'aten::div', args: [n, 8], overload: 'int' }, 13, [[n, [4]]])).toMatchObject({ dtype: 'float64', data: [0.5] });
    expect(await run({ op: 'aten::mul', args: [n, new PyFloat(1.5)], overload: 'int_float' }, 13, [[n, [4]]])).toMatchObject({ dtype: 'float64', data: [6] });
    expect(await run({ op: 'aten::remainder', args: [n, 3], overload: 'int' }, 13, [[n, [-4]]])).toMatchObject({ dtype: 'int64', data: [2] });
    expect(await run({ op: 'aten::eq', args: [n, 4], overload: 'int' }, 13, [[n, [4]]])).toMatchObject({ dtype: 'bool', data: [1] });
    expect(await run({ op: 'aten::neg', args: [n], overload: 'int' }, 13, [[n, [4]]])).toMatchObject({ dtype: 'int64', data: [-4] });
    const h = scalarValue('float', 'h');
    expect(await run({ op: 'aten::ceil', args: [h], overload: 'float' }, 13, [[h, [2.25]]])).toMatchObject({ dtype: 'int64', data: [3] });
    expect(await run({ op: 'aten::sqrt', args: [n], overload: 'int' }, 13, [[n, [16]]])).toMatchObject({ dtype: 'float64', data: [4] });
    expect(await run({ op: 'aten::pow', args: [n, 2], overload: 'int' }, 13, [[n, [3]]])).toMatchObject({ dtype: 'float64', data: [9] });
    expect(await run({ op: 'aten::floordiv', args: [n, 2], overload: 'int' }, 9, [[n, [-7]]])).toMatchObject({ dtype: 'int64', data: [-4] });
    expect(await run({ op: 'aten::floordiv', args: [h, 2], overload: 'float_int' }, 9, [[h, [7.5]]])).toMatchObject({ dtype: 'float64', data: [3] });
    expect(await run({ op: 'aten::fmod', args: [n, 3], overload: 'int' }, 10, [[n, [-7]]])).toMatchObject({ dtype: 'float64', data: [-1] });
    expect(await run({ op: 'aten::isnan', args: [h], overload: 'float' }, 9, [[h, [NaN]]])).toMatchObject({ dtype: 'bool', data: [1] });
    const p = scalarValue('bool');
    const q = scalarValue('bool');
    expect(await run({ op: 'aten::__and__', args: [p, q], overload: 'bool' }, 9, [[p, [1]], [q, [0]]])).toMatchObject({ dtype: 'bool', data: [0] });
    expect(await run({ op: 'aten::__or__', args: [n, 3], overload: 'int' }, 18, [[n, [4]]])).toMatchObject({ dtype: 'int64', data: [7] });
  });
});

describe('bit shifts', () => {
  /** torch 2.6's kernels: `<<` wraps and gives 0 past the width; `>>` shifts by width-1 (signed) or width past it. */
  function reference(direction: 'left' | 'right', x: number, y: number, bits: number, signed: boolean): number {
    const wrap = (v: bigint) => Number(signed ? BigInt.asIntN(bits, v) : BigInt.asUintN(bits, v));
    const [xs, ys] = [wrap(BigInt(x)), wrap(BigInt(y))];
    const limit = direction === 'left' || !signed ? bits : bits - 1;
    const outside = Number(BigInt.asIntN(bits, BigInt(ys))) < 0 || ys >= limit;
    if (direction === 'left') return outside ? 0 : wrap(BigInt(xs) << BigInt(ys));
    return wrap(BigInt(xs) >> BigInt(outside ? limit : ys));
  }

  const xs = [-7, 5, 100, -128, 1, -1, 127, 64];
  const ys = [1, 9, -1, 70, 7, 3, 0, 6];
  for (const [dtype, bits, signed] of [['int8', 8, true], ['uint8', 8, false], ['int16', 16, true], ['int32', 32, true], ['int64', 64, true]] as const) {
    for (const direction of ['left', 'right'] as const) {
      it(`${direction} shifts ${dtype} like torch, shift amounts past the width included`, async () => {
        const x = tensorValue(dtype, [xs.length]);
        const y = tensorValue(dtype, [ys.length]);
        const wrapIn = (v: number) => (signed ? v : ((v % 256) + 256) % 256);
        const [xIn, yIn] = [xs.map(wrapIn), ys.map(wrapIn)];
        const op = direction === 'left' ? 'aten::__lshift__' : 'aten::__rshift__';
        const out = await run({ op, args: [x, y], overload: 'Tensor' }, 9, [[x, xIn], [y, yIn]]);
        expect(out.dtype).toBe(dtype);
        expect(out.data).toEqual(xIn.map((v, i) => reference(direction, v, yIn[i], bits, signed)));
      });
    }
  }

  it('shifts int64 values at the top of the range, and Python ints', async () => {
    const x = tensorValue('int64', [4]);
    const big = [-(2 ** 62), 2 ** 62, -(2 ** 53), 3 * 2 ** 50];
    const left = await run({ op: 'aten::bitwise_left_shift', args: [x, 1], overload: 'Tensor_Scalar' }, 9, [[x, big]]);
    expect(left.data).toEqual([-(2 ** 63), -(2 ** 63), -(2 ** 54), 3 * 2 ** 51]);
    const right = await run({ op: 'aten::bitwise_right_shift', args: [x, 63], overload: 'Tensor_Scalar' }, 9, [[x, big]]);
    expect(right.data).toEqual([-1, 0, -1, 0]);
    const amounts = tensorValue('int64', [3]);
    const scalarFirst = await run({ op: 'aten::bitwise_left_shift', args: [3, amounts], overload: 'Scalar_Tensor' }, 9, [[amounts, [0, 2, 64]]]);
    expect(scalarFirst.data).toEqual([3, 12, 0]);
    const n = scalarValue('int');
    expect(await run({ op: 'aten::__rshift__', args: [n, 2], overload: 'int' }, 9, [[n, [-9]]])).toMatchObject({ dtype: 'int64', data: [-3] });
  });

  it('refuses floating-point and bool tensors as torch does, and opsets below 9', () => {
    expect(codeOf(() => infer({ op: 'aten::__lshift__', args: [tensorValue('float32', [2]), 1], overload: 'Scalar' }))).toBe('TRACE_TYPE');
    expect(codeOf(() => infer({ op: 'aten::bitwise_right_shift', args: [tensorValue('bool', [2]), tensorValue('bool', [2])] }))).toBe('TRACE_TYPE');
    expect(infer({ op: 'aten::__lshift__', args: [tensorValue('bool', [2]), 1], overload: 'Scalar' })[0]).toMatchObject({ dtype: 'int64' });
    expect(codeOf(() => lowerOp({ op: 'aten::__lshift__', args: [tensorValue('int32', [2]), 1], overload: 'Scalar' }, 8))).toBe('OP_OPSET');
  });
});

describe('bitwise_and / bitwise_or / bitwise_xor', () => {
  it('are logical on bool tensors from opset 7 and bitwise on integers from 18', async () => {
    const m = tensorValue('bool', [4]);
    const n = tensorValue('bool', [4]);
    const feeds: Array<[GValue, InputData]> = [[m, [true, true, false, false]], [n, [true, false, true, false]]];
    expect((await run({ op: 'aten::bitwise_xor', args: [m, n] }, 7, feeds)).data).toEqual([0, 1, 1, 0]);
    expect((await run({ op: 'aten::bitwise_or', args: [m, n] }, 7, feeds)).data).toEqual([1, 1, 1, 0]);
    const i = tensorValue('int16', [3]);
    expect(await run({ op: 'aten::bitwise_and', args: [6, i], overload: 'Scalar_Tensor' }, 18, [[i, [3, -1, 12]]])).toMatchObject({ dtype: 'int16', data: [2, 6, 4] });
    expect(codeOf(() => lowerOp({ op: 'aten::bitwise_and', args: [i, i] }, 17))).toBe('OP_OPSET');
    expect(codeOf(() => infer({ op: 'aten::bitwise_or', args: [tensorValue('float32', [2]), 1], overload: 'Scalar' }))).toBe('TRACE_TYPE');
  });
});

describe('gt / lt below opset 9', () => {
  it('compare int64 exactly beyond float precision, by 32-bit halves', async () => {
    const x = tensorValue('int64', [6]);
    const y = tensorValue('int64', [6]);
    const a = [2 ** 40 + 1, -(2 ** 40), 5, -(2 ** 62), 2 ** 62, -(2 ** 33) - 1];
    const b = [2 ** 40, -(2 ** 40) + 1, -5, 2 ** 62, 2 ** 62, -(2 ** 33)];
    const feeds: Array<[GValue, InputData]> = [[x, a], [y, b]];
    const gt = await run({ op: 'aten::gt', args: [x, y], overload: 'Tensor' }, 7, feeds);
    expect(gt.data).toEqual(a.map((v, i) => Number(v > b[i])));
    const lt = await run({ op: 'aten::lt', args: [x, y], overload: 'Tensor' }, 8, feeds);
    expect(lt.data).toEqual(a.map((v, i) => Number(v < b[i])));
    expect(opTypes(lowerOp({ op: 'aten::gt', args: [x, y], overload: 'Tensor' }, 9).graph)).toEqual(['Greater']);
  });

  it('compare small integers and bools in float64, and floats directly', async () => {
    const i = tensorValue('uint8', [3]);
    expect((await run({ op: 'aten::lt', args: [i, 200], overload: 'Scalar' }, 7, [[i, [199, 200, 255]]])).data).toEqual([1, 0, 0]);
    const m = tensorValue('bool', [2]);
    expect((await run({ op: 'aten::gt', args: [m, false], overload: 'Scalar' }, 7, [[m, [true, false]]])).data).toEqual([1, 0]);
    const f = tensorValue('float32', [2]);
    expect(opTypes(lowerOp({ op: 'aten::lt', args: [f, new PyFloat(0.5)], overload: 'Scalar' }, 7).graph)).toEqual(['Constant', 'Less']);
  });
});

describe('isfinite / true_divide / conj_physical', () => {
  it('isfinite is false for NaN and ±inf, and true for every integer', async () => {
    const x = tensorValue('float32', [4]);
    expect((await run({ op: 'aten::isfinite', args: [x] }, 10, [[x, [1, Infinity, -Infinity, NaN]]])).data).toEqual([1, 0, 0, 0]);
    const i = tensorValue('int32', [2]);
    expect(await run({ op: 'aten::isfinite', args: [i] }, 10, [[i, [3, -2]]])).toMatchObject({ dtype: 'bool', data: [1, 1] });
    expect(infer({ op: 'aten::isfinite', args: [new PyFloat(1)], overload: 'float' })).toEqual([{ kind: 'scalar', scalar: 'bool' }]);
  });

  it('true_divide is true division; conj_physical the identity on real tensors', async () => {
    const i = tensorValue('int64', [2]);
    expect(infer({ op: 'aten::true_divide', args: [i, 2], overload: 'Scalar' })[0]).toMatchObject({ dtype: 'float32' });
    expect((await run({ op: 'aten::true_divide', args: [i, 4], overload: 'Scalar' }, 7, [[i, [7, -2]]])).data).toEqual([1.75, -0.5]);
    const x = tensorValue('float64', [2]);
    expect(infer({ op: 'aten::conj_physical', args: [x] })).toEqual([x.type]);
    expect(opTypes(lowerOp({ op: 'aten::conj_physical', args: [x] }, 7).graph)).toEqual(['Identity']);
  });
});
