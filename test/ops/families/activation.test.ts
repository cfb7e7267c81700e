/**
 * Activations, softmax and log_softmax: shape/dtype rules and lowerings run in onnxruntime at the
 * opsets where the lowering changes. Expected numbers come from torch 1.13 on the input X below.
 */
import { describe, expect, it } from 'vitest';
import { PyFloat } from '../../../src/archive/types.js';
import type { GValue } from '../../../src/ir/torch-graph.js';
import { type Call, codeOf, expectNear, infer, type InputData, lowerOp, opTypes, runOp, type RunResult, scalarValue, tensorValue } from '../harness.js';

async function run(call: Call, opset: number, feeds: Array<[GValue, InputData]>): Promise<RunResult> {
  return (await runOp(call, { opset, feeds: new Map(feeds) }))[0];
}



const X = [-3, -2.5, -1, -0.5, 0, 0.5, 1, 2.5, 3, 10, 25, -25];

interface Case {
  name: string;
  call: (x: GValue) => Call;
  expected: number[];
  opsets: number[];
  shape?: number[];
}

const f = (v: number) => new PyFloat(v);

const cases: Case[] = [
  { name: 'relu', call: (x) => ({ op: 'aten::relu', args: [x] }), opsets: [7, 14], expected: [0, 0, 0, 0, 0, 0.5, 1, 2.5, 3, 10, 25, 0] },
  { name: 'relu6', call: (x) => ({ op: 'aten::relu6', args: [x] }), opsets: [7, 11, 12], expected: [0, 0, 0, 0, 0, 0.5, 1, 2.5, 3, 6, 6, 0] },
  {
    name: 'hardtanh', call: (x) => ({ op: 'aten::hardtanh', args: [x, f(-2), f(2)] }), opsets: [7, 11],
    expected: [-2, -2, -1, -0.5, 0, 0.5, 1, 2, 2, 2, 2, -2],
  },
  {
    name: 'hardswish', call: (x) => ({ op: 'aten::hardswish', args: [x] }), opsets: [7, 14],
    expected: [-0.0, -0.2083333, -0.3333333, -0.2083333, 0.0, 0.2916667, 0.6666667, 2.2916667, 3.0, 10.0, 25.0, -0.0],
  },
  {
    name: 'hardsigmoid', call: (x) => ({ op: 'aten::hardsigmoid', args: [x] }), opsets: [7, 21],
    expected: [0.0, 0.0833333, 0.3333333, 0.4166667, 0.5, 0.5833333, 0.6666667, 0.9166667, 1.0, 1.0, 1.0, 0.0],
  },
  {
    name: 'silu', call: (x) => ({ op: 'aten::silu', args: [x] }), opsets: [7, 21],
    expected: [-0.1422776, -0.1896455, -0.2689414, -0.1887703, 0.0, 0.3112297, 0.7310586, 2.3103545, 2.8577225, 9.9995461, 25.0, -0.0],
  },
  {
    name: 'sigmoid', call: (x) => ({ op: 'aten::sigmoid', args: [x] }), opsets: [7, 21],
    expected: [0.0474259, 0.0758582, 0.2689414, 0.3775407, 0.5, 0.6224594, 0.7310586, 0.9241418, 0.9525741, 0.9999546, 1.0, 0.0],
  },
  {
    name: 'tanh', call: (x) => ({ op: 'aten::tanh', args: [x] }), opsets: [7, 21],
    expected: [-0.9950548, -0.9866143, -0.7615942, -0.4621172, 0.0, 0.4621172, 0.7615942, 0.9866143, 0.9950548, 1.0, 1.0, -1.0],
  },
  {
    name: 'gelu', call: (x) => ({ op: 'aten::gelu', args: [x] }), opsets: [9, 20],
    expected: [-0.0040499, -0.0155242, -0.1586553, -0.1542688, 0.0, 0.3457312, 0.8413447, 2.4844759, 2.9959502, 10.0, 25.0, 0.0],
  },
  {
    name: 'gelu tanh', call: (x) => ({ op: 'aten::gelu', args: [x], kwargs: { approximate: 'tanh' } }), opsets: [7, 20],
    expected: [-0.0036374, -0.0150843, -0.158808, -0.154286, 0.0, 0.345714, 0.841192, 2.4849157, 2.9963627, 10.0, 25.0, -0.0],
  },
  {
    name: 'leaky_relu', call: (x) => ({ op: 'aten::leaky_relu', args: [x, f(0.2)] }), opsets: [7, 21],
    expected: [-0.6, -0.5, -0.2, -0.1, 0.0, 0.5, 1.0, 2.5, 3.0, 10.0, 25.0, -5.0],
  },
  {
    name: 'elu', call: (x) => ({ op: 'aten::elu', args: [x, f(0.7)] }), opsets: [7, 21],
    expected: [-0.665149, -0.6425405, -0.4424844, -0.2754285, 0.0, 0.5, 1.0, 2.5, 3.0, 10.0, 25.0, -0.7],
  },
  {
    name: 'elu with scale and input_scale', call: (x) => ({ op: 'aten::elu', args: [x, f(0.7), f(1.5), f(2)] }), opsets: [9, 21],
    expected: [-1.0473973, -1.0429251, -0.9078979, -0.6637266, 0.0, 0.75, 1.5, 3.75, 4.5, 15.0, 37.5, -1.05],
  },
  {
    name: 'selu', call: (x) => ({ op: 'aten::selu', args: [x] }), opsets: [7, 21],
    expected: [-1.6705687, -1.6137857, -1.1113307, -0.6917582, 0.0, 0.5253505, 1.050701, 2.6267526, 3.1521029, 10.5070105, 26.2675247, -1.7580993],
  },
  {
    name: 'celu', call: (x) => ({ op: 'aten::celu', args: [x, f(2)] }), opsets: [7, 12],
    expected: [-1.5537397, -1.4269904, -0.7869387, -0.4423984, 0.0, 0.5, 1.0, 2.5, 3.0, 10.0, 25.0, -1.9999925],
  },
  {
    name: 'softplus', call: (x) => ({ op: 'aten::softplus', args: [x] }), opsets: [9, 21],
    expected: [0.0485874, 0.0788897, 0.3132617, 0.474077, 0.6931472, 0.974077, 1.3132616, 2.5788898, 3.0485873, 10.0000458, 25.0, 0.0],
  },
  {
    name: 'softplus with beta and threshold', call: (x) => ({ op: 'aten::softplus', args: [x, f(2), f(4)] }), opsets: [9, 21],
    expected: [0.0012378, 0.0033577, 0.063464, 0.1566308, 0.3465736, 0.6566308, 1.063464, 2.5, 3.0, 10.0, 25.0, 0.0],
  },
  {
    name: 'mish', call: (x) => ({ op: 'aten::mish', args: [x] }), opsets: [7, 18],
    expected: [-0.1456475, -0.1968162, -0.3034014, -0.2207438, 0.0, 0.3752452, 0.8650984, 2.4713924, 2.9865351, 10.0, 25.0, -0.0],
  },
  {
    name: 'threshold', call: (x) => ({ op: 'aten::threshold', args: [x, f(0.5), f(-7)] }), opsets: [9, 21],
    expected: [-7.0, -7.0, -7.0, -7.0, -7.0, -7.0, 1.0, 2.5, 3.0, 10.0, 25.0, -7.0],
  },
  {
    name: 'hardshrink', call: (x) => ({ op: 'aten::hardshrink', args: [x, f(1)] }), opsets: [9, 21],
    expected: [-3.0, -2.5, 0.0, 0.0, 0.0, 0.0, 0.0, 2.5, 3.0, 10.0, 25.0, -25.0],
  },
  {
    name: 'softshrink', call: (x) => ({ op: 'aten::softshrink', args: [x, f(1)] }), opsets: [9, 21],
    expected: [-2.0, -1.5, 0.0, 0.0, 0.0, 0.0, 0.0, 1.5, 2.0, 9.0, 24.0, -24.0],
  },
  {
    name: 'softmax over dim 1', call: (x) => ({ op: 'aten::softmax', args: [x, 1] }), opsets: [7, 13],
    expected: [0.0450039, 0.074199, 0.3325367, 0.5482603, 0.0569817, 0.0939469, 0.1548923, 0.6941791, 0.0, 3e-07, 0.9999996, 0.0],
  },
  {
    name: 'softmax over dim 0', call: (x) => ({ op: 'aten::softmax', args: [x, 0] }), opsets: [7, 12, 13],
    expected: [0.0023556, 3.7e-06, 0.0, 0.0474259, 0.0473142, 7.48e-05, 0.0, 0.9525741, 0.9503303, 0.9999214, 1.0, 0.0],
  },
  {
    name: 'log_softmax over dim 0', call: (x) => ({ op: 'aten::log_softmax', args: [x, 0] }), opsets: [7, 13],
    expected: [-6.0509458, -12.5000782, -26.0, -3.0485873, -3.0509458, -9.5000782, -24.0, -0.0485873, -0.0509457, -7.86e-05, 0.0, -27.5485878],
  },
  {
    name: 'log_softmax over dim -1', call: (x) => ({ op: 'aten::log_softmax', args: [x, -1] }), opsets: [7, 13],
    expected: [-3.1010051, -2.6010051, -1.1010051, -0.601005, -2.8650253, -2.3650253, -1.8650253, -0.3650253, -22.0, -15.0, -4e-07, -50.0],
  },
  {
    name: 'glu over dim 1', call: (x) => ({ op: 'aten::glu', args: [x, 1] }), opsets: [7, 13, 18],
    expected: [-0.8068243, -0.9438517, 0.0, 0.4620709, 3.0, 0.0],
  },
  {
    name: 'glu over dim 0', call: (x) => ({ op: 'aten::glu', args: [x, 0] }), opsets: [7, 18], shape: [4, 3],
    expected: [-2.1931758, -2.3103545, -0.9525741, -0.4999773, 0.0, 0.0],
  },
];

describe('activation values match torch', () => {
  for (const c of cases) {
    it(`${c.name} at opsets ${c.opsets.join(', ')}`, async () => {
      for (const opset of c.opsets) {
        const x = tensorValue('float32', c.shape ?? [3, 4]);
        const r = await run(c.call(x), opset, [[x, X]]);
        expect(r.dtype).toBe('float32');
        expectNear(r.data, c.expected);
      }
    });
  }

  it('prelu broadcasts the per-channel weight along dim 1', async () => {
    for (const opset of [7, 21]) {
      const x = tensorValue('float32', [1, 3, 4]);
      const w = tensorValue('float32', [3]);
      const r = await run({ op: 'aten::prelu', args: [x, w] }, opset, [[x, X], [w, [0.1, 0.2, 0.3]]]);
      expect(r.dims).toEqual([1, 3, 4]);
      expectNear(r.data, [-0.3, -0.25, -0.1, -0.05, 0.0, 0.5, 1.0, 2.5, 3.0, 10.0, 25.0, -7.5000005]);
    }
    const x = tensorValue('float32', [2, 2]);
    const w = tensorValue('float32', [1]);
    expect((await run({ op: 'aten::prelu', args: [x, w] }, 9, [[x, [-1, 2, -3, 4]], [w, [0.5]]])).data).toEqual([-0.5, 2, -1.5, 4]);
  });
});

describe('activation structure and dtypes', () => {
  it('uses native ops where the opset has them', () => {
    const x = tensorValue('float32', [2, 3]);
    expect(opTypes(lowerOp({ op: 'aten::hardswish', args: [x] }, 13).graph)).toEqual(['HardSigmoid', 'Mul']);
    expect(opTypes(lowerOp({ op: 'aten::hardswish', args: [x] }, 14).graph)).toEqual(['HardSwish']);
    expect(opTypes(lowerOp({ op: 'aten::gelu', args: [x] }, 20).graph)).toEqual(['Gelu']);
    expect(opTypes(lowerOp({ op: 'aten::mish', args: [x] }, 18).graph)).toEqual(['Mish']);
    expect(opTypes(lowerOp({ op: 'aten::celu', args: [x] }, 12).graph)).toEqual(['Celu']);
    expect(opTypes(lowerOp({ op: 'aten::softmax', args: [x, 0] }, 12).graph)).toEqual(['Transpose', 'Softmax', 'Transpose']);
    expect(opTypes(lowerOp({ op: 'aten::softmax', args: [x, 0] }, 13).graph)).toEqual(['Softmax']);
    expect(opTypes(lowerOp({ op: 'aten::relu6', args: [x] }, 13).graph)).toEqual(['Constant', 'Constant', 'Clip']);
  });

  it('keeps integer dtypes where torch does and refuses float-only activations on ints', async () => {
    for (const opset of [9, 14]) {
      const i = tensorValue('int64', [4]);
      expect(await run({ op: 'aten::relu', args: [i] }, opset, [[i, [-7, 7, 5, -5]]])).toMatchObject({ dtype: 'int64', data: [0, 7, 5, 0] });
      expect(await run({ op: 'aten::relu6', args: [i] }, opset, [[i, [-7, 7, 5, -5]]])).toMatchObject({ dtype: 'int64', data: [0, 6, 5, 0] });
      expect(await run({ op: 'aten::threshold', args: [i, 1, 20] }, opset, [[i, [-7, 7, 5, -5]]])).toMatchObject({ dtype: 'int64', data: [20, 7, 5, 20] });
    }
    const i = tensorValue('int64', [4]);
    expect(infer({ op: 'aten::sigmoid', args: [i] })[0]).toMatchObject({ dtype: 'float32' });
    for (const op of ['aten::gelu', 'aten::silu', 'aten::hardswish', 'aten::elu', 'aten::leaky_relu', 'aten::mish']) {
      expect(codeOf(() => infer({ op, args: [i] }))).toBe('TRACE_TYPE');
    }
    expect(codeOf(() => infer({ op: 'aten::softmax', args: [i, 0] }))).toBe('TRACE_TYPE');
  });

  it('casts the softmax input to the requested dtype first', async () => {
    const i = tensorValue('int64', [2]);
    expect(infer({ op: 'aten::softmax', args: [i, 0, 6] })[0]).toMatchObject({ dtype: 'float32' });
    const r = await run({ op: 'aten::log_softmax', args: [i, 0, 7] }, 13, [[i, [0, 0]]]);
    expect(r.dtype).toBe('float64');
    expectNear(r.data, [-Math.LN2, -Math.LN2]);
    const s = tensorValue('float32', []);
    expect(await run({ op: 'aten::softmax', args: [s, 0] }, 11, [[s, [3]]])).toMatchObject({ dims: [], data: [1] });
  });

  it('halves the glu dimension, keeping or naming symbolic dims', () => {
    expect(infer({ op: 'aten::glu', args: [tensorValue('float32', ['n', 8])] })).toEqual([{ kind: 'tensor', dtype: 'float32', shape: ['n', 4] }]);
    expect(infer({ op: 'aten::glu', args: [tensorValue('float32', [2, 'c']), 1] })[0]).toMatchObject({ shape: [2, 'glu_dim_1'] });
    expect(codeOf(() => infer({ op: 'aten::glu', args: [tensorValue('float32', [3, 5])] }))).toBe('TRACE_TYPE');
  });

  it('computes tanh of a run-time Python float', async () => {
    const h = scalarValue('float');
    const r = await run({ op: 'aten::tanh', args: [h], overload: 'float' }, 13, [[h, [0.5]]]);
    expect(r.dtype).toBe('float64');
    expectNear(r.data, [Math.tanh(0.5)]);
  });
});

describe('log_sigmoid, logit, rrelu, _softmax and _log_softmax', () => {
  it('log_sigmoid stays finite where sigmoid underflows', async () => {
    for (const opset of [7, 21]) {
      const x = tensorValue('float32', [6]);
      const r = await run({ op: 'aten::log_sigmoid', args: [x] }, opset, [[x, [-120, -30, -1, 0, 2, 100]]]);
      expectNear(r.data, [-120, -30, -1.3132617, -0.6931472, -0.126928, 0]);
    }
    expect(codeOf(() => infer({ op: 'aten::log_sigmoid', args: [tensorValue('int64', [2])] }))).toBe('TRACE_TYPE');
  });

  it('computes float64 without the float32-only Softplus and LeakyRelu kernels of onnxruntime', async () => {
    const data = [-800, -30, -1, 0, 2, 40];
    const cases: Array<[Call, number[]]> = [];
    const x = tensorValue('float64', [6]);
    cases.push([{ op: 'aten::log_sigmoid', args: [x] }, [-800, -30, -1.3132617, -0.6931472, -0.126928, 0]]);
    cases.push([{ op: 'aten::softplus', args: [x, f(2), f(30)] }, [0, 0, 0.063464, 0.3465736, 2.009075, 40]]);
    cases.push([{ op: 'aten::mish', args: [x] }, [0, 0, -0.3034015, 0, 1.943959, 40]]);
    cases.push([{ op: 'aten::leaky_relu', args: [x, f(0.2)] }, [-160, -6, -0.2, 0, 2, 40]]);
    cases.push([{ op: 'aten::rrelu', args: [x, f(0.1), f(0.3)] }, [-160, -6, -0.2, 0, 2, 40]]);
    for (const [call, expected] of cases) {
      for (const opset of [9, 21]) {
        const r = await run(call, opset, [[x, data]]);
        expect(r.dtype).toBe('float64');
        expectNear(r.data, expected);
      }
    }
  });

  it('logit clamps to [eps, 1 - eps] and computes integers in float32', async () => {
    const i = tensorValue('int64', [4]);
    expect(infer({ op: 'aten::logit', args: [i, f(0.25)] })[0]).toMatchObject({ dtype: 'float32', shape: [4] });
    for (const opset of [7, 11, 12, 21]) {
      const r = await run({ op: 'aten::logit', args: [i, f(0.25)] }, opset, [[i, [0, 1, 0, 1]]]);
      expect(r.dtype).toBe('float32');
      expectNear(r.data, [-1.0986123, 1.0986123, -1.0986123, 1.0986123]);
      const d = tensorValue('float64', [3]);
      const rd = await run({ op: 'aten::logit', args: [d, f(0.2)] }, opset, [[d, [0.1, 0.3, 0.95]]]);
      expect(rd.dtype).toBe('float64');
      expectNear(rd.data, [-1.3862944, -0.8472979, 1.3862944]);
    }
  });

  it('rrelu in eval mode is leaky_relu with the mean slope; training mode is refused', async () => {
    const x = tensorValue('float32', [2]);
    expect((await run({ op: 'aten::rrelu', args: [x, f(0.2), f(0.4)] }, 7, [[x, [-2, 3]]])).data).toEqual([Math.fround(-0.6), 3]);
    expect(opTypes(lowerOp({ op: 'aten::rrelu', args: [x] }, 7).graph)).toEqual(['LeakyRelu']);
    expect(codeOf(() => lowerOp({ op: 'aten::rrelu', args: [x, f(0.2), f(0.4), true] }, 13))).toBe('TRACE_UNSUPPORTED');
  });

  it('_softmax and _log_softmax give float32 for float16 with half_to_float, and refuse integers', () => {
    const h = tensorValue('float16', [2, 3]);
    expect(infer({ op: 'aten::_softmax', args: [h, 1, true] })[0]).toMatchObject({ dtype: 'float32', shape: [2, 3] });
    expect(opTypes(lowerOp({ op: 'aten::_softmax', args: [h, 0, false] }, 12).graph)).toEqual(['Transpose', 'Softmax', 'Transpose']);
    expect(codeOf(() => infer({ op: 'aten::_softmax', args: [tensorValue('int32', [2]), 0, false] }))).toBe('TRACE_TYPE');
    expect(infer({ op: 'aten::_log_softmax', args: [h, 1, true] })[0]).toMatchObject({ dtype: 'float32', shape: [2, 3] });
    expect(infer({ op: 'aten::_log_softmax', args: [h, 1, false] })[0]).toMatchObject({ dtype: 'float16' });
    expect(opTypes(lowerOp({ op: 'aten::_log_softmax', args: [h, 1, true] }, 13).graph)).toEqual(['Cast', 'LogSoftmax']);
    expect(codeOf(() => infer({ op: 'aten::_log_softmax', args: [tensorValue('int64', [2]), 0, false] }))).toBe('TRACE_TYPE');
    expect(codeOf(() => infer({ op: 'aten::_log_softmax', args: [h, 2, false] }))).toBe('TRACE_TYPE');
  });
});
