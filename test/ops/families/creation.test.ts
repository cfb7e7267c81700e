import { describe, expect, it } from 'vitest';
import { PyFloat } from '../../../src/archive/types.js';
import type { TensorType } from '../../../src/ir/torch-graph.js';
import { checkCase, evaluate, expectNear, infer, lowerOp, opTypes, runOp, scalarValue, tensorValue, type Call, type OpCase } from '../harness.js';

/* Reference values from torch 1.13.1; each case's label is the torch expression. */
const f = (v: number) => new PyFloat(v);
const INT = (value: number) => ({ shape: [], int: value });

const CASES: OpCase[] = [
  { label: 'torch.zeros(2, 3)', inputs: [], call: () => ({ op: 'aten::zeros', args: [[2, 3]] }), want: [[[2, 3], [0, 0, 0, 0, 0, 0]]] },
  {
    label: 'torch.zeros(n, 3), n a run-time int',
    inputs: [INT(2)],
    call: ([n]) => ({ op: 'aten::zeros', args: [[n, 3]] }),
    want: [[[2, 3], [0, 0, 0, 0, 0, 0]]],
    opsets: [9, 13, 21],
  },
  {
    label: 'torch.ones(2, dtype=torch.int64)',
    inputs: [],
    call: () => ({ op: 'aten::ones', args: [[2]], kwargs: { dtype: 4 } }),
    want: [[[2], [1, 1]]],
  },
  { label: 'torch.full((2, 2), 3) is int64', inputs: [], call: () => ({ op: 'aten::full', args: [[2, 2], 3] }), want: [[[2, 2], [3, 3, 3, 3]]] },
  {
    label: 'torch.full((2,), 2.5, dtype=torch.int32)',
    inputs: [],
    call: () => ({ op: 'aten::full', args: [[2], f(2.5)], kwargs: { dtype: 3 } }),
    want: [[[2], [2, 2]]],
  },
  {
    label: 'torch.full((2,), s), s a run-time float',
    inputs: [{ shape: [], float: 0.75 }],
    call: ([s]) => ({ op: 'aten::full', args: [[2], s] }),
    want: [[[2], [0.75, 0.75]]],
    opsets: [8, 13],
  },
  { label: 'torch.empty(2) (zeros)', inputs: [], call: () => ({ op: 'aten::empty', args: [[2]] }), want: [[[2], [0, 0]]] },
  {
    label: 'torch.zeros_like(x), x int32 of dynamic batch',
    inputs: [{ shape: ['n', 2], run: [3, 2], dtype: 'int32' }],
    call: ([x]) => ({ op: 'aten::zeros_like', args: [x] }),
    want: [[[3, 2], [0, 0, 0, 0, 0, 0]]],
    opsets: [9, 13, 21],
  },
  {
    label: 'torch.ones_like(x, dtype=torch.float32), x int64',
    inputs: [{ shape: [3], dtype: 'int64' }],
    call: ([x]) => ({ op: 'aten::ones_like', args: [x], kwargs: { dtype: 6 } }),
    want: [[[3], [1, 1, 1]]],
  },
  {
    label: 'torch.full_like(x, 7), x float32',
    inputs: [{ shape: [2] }],
    call: ([x]) => ({ op: 'aten::full_like', args: [x, 7] }),
    want: [[[2], [7, 7]]],
  },
  {
    label: 'x.new_full((2,), 5.5), x int64',
    inputs: [{ shape: [4], dtype: 'int64' }],
    call: ([x]) => ({ op: 'aten::new_full', args: [x, [2], f(5.5)] }),
    want: [[[2], [5, 5]]],
  },
  {
    label: 'x.new_ones((1, 2)), x float32',
    inputs: [{ shape: [4] }],
    call: ([x]) => ({ op: 'aten::new_ones', args: [x, [1, 2]] }),
    want: [[[1, 2], [1, 1]]],
  },
  { label: 'torch.arange(5)', inputs: [], call: () => ({ op: 'aten::arange', args: [5] }), want: [[[5], [0, 1, 2, 3, 4]]] },
  {
    label: 'torch.arange(0.1, 0.9, 0.3)',
    inputs: [],
    call: () => ({ op: 'aten::arange', args: [f(0.1), f(0.9), f(0.3)] }),
    want: [[[3], [0.10000000149011612, 0.4000000059604645, 0.699999988079071]]],
  },
  {
    label: 'torch.arange(-1.5, 2)',
    inputs: [],
    call: () => ({ op: 'aten::arange', args: [f(-1.5), 2] }),
    want: [[[4], [-1.5, -0.5, 0.5, 1.5]]],
  },
  {
    label: 'torch.arange(1, 10, 3)',
    inputs: [],
    call: () => ({ op: 'aten::arange', args: [1, 10, 3] }),
    want: [[[3], [1, 4, 7]]],
  },
  {
    label: 'torch.arange(n), n a run-time int',
    inputs: [INT(4)],
    call: ([n]) => ({ op: 'aten::arange', args: [n] }),
    want: [[[4], [0, 1, 2, 3]]],
    opsets: [11, 13, 21],
  },
  {
    label: 'torch.arange(0.5, n, 1.25), n a run-time int',
    inputs: [INT(4)],
    call: ([n]) => ({ op: 'aten::arange', args: [f(0.5), n, f(1.25)] }),
    want: [[[3], [0.5, 1.75, 3]]],
    opsets: [11, 13],
  },
  {
    label: 'torch.arange(1, n, 2, dtype=torch.uint8), n a run-time int',
    inputs: [INT(4)],
    call: ([n]) => ({ op: 'aten::arange', args: [1, n, 2], kwargs: { dtype: 0 } }),
    want: [[[2], [1, 3]]],
    opsets: [11, 13],
  },
  {
    label: 'torch.linspace(0.1, 2.3, 6)',
    inputs: [],
    call: () => ({ op: 'aten::linspace', args: [f(0.1), f(2.3), 6] }),
    want: [[[6], [0.10000000149011612, 0.5400000214576721, 0.9800000190734863, 1.4199999570846558, 1.8599998950958252, 2.299999952316284]]],
  },
  {
    label: 'torch.linspace(-1, 1, 7)',
    inputs: [],
    call: () => ({ op: 'aten::linspace', args: [-1, 1, 7] }),
    want: [[[7], [-1, -0.6666666269302368, -0.3333333134651184, -2.9802322387695312e-8, 0.3333333134651184, 0.6666666269302368, 1]]],
  },
  {
    label: 'torch.linspace(0, 10, 4, dtype=torch.int64)',
    inputs: [],
    call: () => ({ op: 'aten::linspace', args: [0, 10, 4], kwargs: { dtype: 4 } }),
    want: [[[4], [0, 3, 6, 10]]],
  },
  {
    label: 'torch.eye(2, 3, dtype=torch.int64)',
    inputs: [],
    call: () => ({ op: 'aten::eye', args: [2, 3], kwargs: { dtype: 4 } }),
    want: [[[2, 3], [1, 0, 0, 0, 1, 0]]],
  },
  {
    label: 'torch.eye(n), n a run-time int',
    inputs: [INT(3)],
    call: ([n]) => ({ op: 'aten::eye', args: [n] }),
    want: [[[3, 3], [1, 0, 0, 0, 1, 0, 0, 0, 1]]],
    opsets: [9, 13, 21],
  },
  {
    label: 'torch.tensor([[1, 2], [3, 4]])',
    inputs: [],
    call: () => ({ op: 'aten::tensor', args: [[[1, 2], [3, 4]]] }),
    want: [[[2, 2], [1, 2, 3, 4]]],
  },
  {
    label: 'torch.tensor([True, 1, 2.5])',
    inputs: [],
    call: () => ({ op: 'aten::tensor', args: [[true, 1, f(2.5)]] }),
    want: [[[3], [1, 1, 2.5]]],
  },
  {
    label: 'torch.tensor([[n, 3]]), n a run-time int',
    inputs: [INT(7)],
    call: ([n]) => ({ op: 'aten::tensor', args: [[[n, 3]]] }),
    want: [[[1, 2], [7, 3]]],
  },
  {
    label: 'torch.tensor(1.5) (tensor.float)',
    inputs: [],
    call: () => ({ op: 'aten::tensor', args: [1.5], overload: 'float' }),
    want: [[[], [1.5]]],
  },
  { label: 'torch.scalar_tensor(3)', inputs: [], call: () => ({ op: 'aten::scalar_tensor', args: [3] }), want: [[[], [3]]] },
  {
    label: 'torch.scalar_tensor(n, dtype=torch.int64), n a run-time int',
    inputs: [INT(9)],
    call: ([n]) => ({ op: 'aten::scalar_tensor', args: [n], kwargs: { dtype: 4 } }),
    want: [[[], [9]]],
  },
  {
    label: 'torch._shape_as_tensor(x), x of dynamic batch',
    inputs: [{ shape: ['n', 3], run: [2, 3] }],
    call: ([x]) => ({ op: 'aten::_shape_as_tensor', args: [x] }),
    want: [[[2], [2, 3]]],
  },
];

describe('factories run in onnxruntime like torch', () => {
  for (const c of CASES) it(c.label, () => checkCase(c));
});

const type = (call: Call) => infer(call)[0] as TensorType;

describe('dtype rules', () => {
  it('follows torch for fill values, ranges and literals', () => {
    expect(type({ op: 'aten::full', args: [[2], true] }).dtype).toBe('bool');
    expect(type({ op: 'aten::full', args: [[2], f(1)] }).dtype).toBe('float32');
    expect(type({ op: 'aten::full', args: [[2], scalarValue('int')] }).dtype).toBe('int64');
    expect(type({ op: 'aten::zeros', args: [[2]], kwargs: { dtype: null } }).dtype).toBe('float32');
    expect(type({ op: 'aten::arange', args: [0, f(1)] }).dtype).toBe('float32');
    expect(type({ op: 'aten::arange', args: [scalarValue('float')] })).toEqual({ kind: 'tensor', dtype: 'float32', shape: [expect.any(String)] });
    expect(type({ op: 'aten::tensor', args: [[]] })).toEqual({ kind: 'tensor', dtype: 'float32', shape: [0] });
    expect(type({ op: 'aten::tensor', args: [[true, false]] }).dtype).toBe('bool');
    expect(type({ op: 'aten::tensor', args: [[1, 2]], kwargs: { dtype: 7 } }).dtype).toBe('float64');
    const x = tensorValue('float16', ['n', 2]);
    expect(type({ op: 'aten::zeros_like', args: [x] })).toEqual({ kind: 'tensor', dtype: 'float16', shape: ['n', 2] });
    expect(type({ op: 'aten::new_zeros', args: [x, [3]] })).toEqual({ kind: 'tensor', dtype: 'float16', shape: [3] });
    expect(type({ op: 'aten::randint', args: [5, [2]] }).dtype).toBe('int64');
  });

  it('rejects ragged literals', () => {
    expect(() => infer({ op: 'aten::tensor', args: [[[1, 2], [3]]] })).toThrow(/equal lengths/);
  });
});

describe('known values', () => {
  it('are given for small results so shape arithmetic folds', () => {
    expect(evaluate({ op: 'aten::arange', args: [1, 7, 2] })).toEqual([{ type: { kind: 'tensor', dtype: 'int64', shape: [3] }, values: [1, 3, 5] }]);
    expect(evaluate({ op: 'aten::tensor', args: [[f(1.5), 2]] })![0].values).toEqual([1.5, 2]);
    expect(evaluate({ op: 'aten::full', args: [[2], f(2.5)], kwargs: { dtype: 4 } })![0].values).toEqual([2, 2]);
    expect(evaluate({ op: 'aten::eye', args: [2] })![0].values).toEqual([1, 0, 0, 1]);
    expect(evaluate({ op: 'aten::_shape_as_tensor', args: [tensorValue('float32', [4, 5])] })![0].values).toEqual([4, 5]);
  });

  it('are not given for large or dynamic results', () => {
    expect(evaluate({ op: 'aten::zeros', args: [[8, 9]] })).toBeUndefined();
    expect(evaluate({ op: 'aten::zeros', args: [[scalarValue('int')]] })).toBeUndefined();
    expect(evaluate({ op: 'aten::tensor', args: [[scalarValue('int')]] })).toBeUndefined();
  });
});

describe('lowerings', () => {
  it('use ConstantOfShape from opset 9 and Constant before', () => {
    expect(opTypes(lowerOp({ op: 'aten::zeros', args: [[2, 3]] }, 9).graph)).toEqual(['Constant', 'ConstantOfShape']);
    expect(opTypes(lowerOp({ op: 'aten::zeros', args: [[2, 3]] }, 8).graph)).toEqual(['Constant']);
    expect(() => lowerOp({ op: 'aten::zeros', args: [[scalarValue('int')]] }, 8)).toThrow(/needs opset 9/);
    expect(() => lowerOp({ op: 'aten::arange', args: [scalarValue('int')] }, 10)).toThrow(/needs opset 11/);
  });

  it('makes random tensors of the right shape, dtype and range', async () => {
    const x = tensorValue('float32', [50]);
    const cases: Array<[Call, number, number, string]> = [
      [{ op: 'aten::rand', args: [[4, 25]] }, 0, 1, 'float32'],
      [{ op: 'aten::randn', args: [[100]], kwargs: { dtype: 7 } }, -10, 10, 'float64'],
      [{ op: 'aten::rand_like', args: [x] }, 0, 1, 'float32'],
      [{ op: 'aten::randint', args: [2, 5, [100]] }, 2, 4, 'int64'],
    ];
    for (const [call, low, high, dtype] of cases) {
      const [r] = await runOp(call, { opset: 13, feeds: new Map([[x, Array(50).fill(0)]]) });
      expect(r.dtype, call.op).toBe(dtype);
      expect(r.data.length).toBe(100 * (call.op === 'aten::rand_like' ? 0.5 : 1));
      expect(Math.min(...r.data)).toBeGreaterThanOrEqual(low);
      expect(Math.max(...r.data)).toBeLessThanOrEqual(high);
      expect(new Set(r.data).size).toBeGreaterThan(2);
    }
  });
});

describe('windows, _dim_arange, as_tensor', () => {
  it('hann_window and hamming_window give torch float32 values (torch 2.6 numbers)', async () => {
    const [hann] = await runOp({ op: 'aten::hann_window', args: [5] }, { opset: 7, feeds: new Map() });
    expectNear(hann.data, [0, 0.345492, 0.904509, 0.904508, 0.345491], 1e-6);
    const [hamming] = await runOp({ op: 'aten::hamming_window', args: [4, false, f(0.7), f(0.2)] }, { opset: 7, feeds: new Map() });
    expectNear(hamming.data, [0.5, 0.8, 0.8, 0.5], 1e-6);
    expect(evaluate({ op: 'aten::hann_window', args: [1] })![0].values).toEqual([1]);
    expect(infer({ op: 'aten::hamming_window', args: [0], kwargs: { dtype: 7 } })[0]).toMatchObject({ dtype: 'float64', shape: [0] });
    expect(() => infer({ op: 'aten::hann_window', args: [4], kwargs: { dtype: 4 } })).toThrow(/floating point/);
    expect(() => infer({ op: 'aten::hann_window', args: [-1] })).toThrow(/non-negative/);
  });

  it('windows of a length known only at run time need opset 9; length 1 gives [1]', async () => {
    const n = scalarValue('int');
    expect(infer({ op: 'aten::hann_window', args: [n] })[0]).toMatchObject({ dtype: 'float32', shape: [expect.any(String)] });
    expect(() => lowerOp({ op: 'aten::hann_window', args: [n] }, 8)).toThrow(/needs opset 9/);
    for (const [length, want] of [[1, [1]], [4, [0, 0.5, 1, 0.5]]] as const) {
      const [out] = await runOp({ op: 'aten::hann_window', args: [n] }, { opset: 9, feeds: new Map([[n, [length]]]) });
      expectNear(out.data, [...want], 1e-6);
    }
  });

  it('_dim_arange is a constant for a static size and NonZero of ones for a dynamic one', async () => {
    const like = tensorValue('float32', ['n', 3]);
    expect(evaluate({ op: 'aten::_dim_arange', args: [like, -1] })![0].values).toEqual([0, 1, 2]);
    const [out] = await runOp({ op: 'aten::_dim_arange', args: [like, 0] }, { opset: 9, feeds: new Map([[like, Array(15).fill(0)]]), shapes: new Map([[like, [5, 3]]]) });
    expect(out).toMatchObject({ dtype: 'int64', data: [0, 1, 2, 3, 4] });
    expect(() => lowerOp({ op: 'aten::_dim_arange', args: [like, 0] }, 8)).toThrow(/needs opset 9/);
  });

  it('as_tensor casts a tensor to dtype and builds numbers and lists like torch.tensor', () => {
    const x = tensorValue('int32', [2, 3]);
    expect(infer({ op: 'aten::as_tensor', args: [x], kwargs: { dtype: 7 } })[0]).toMatchObject({ dtype: 'float64', shape: [2, 3] });
    expect(infer({ op: 'aten::as_tensor', args: [x] })[0]).toMatchObject({ dtype: 'int32' });
    expect(evaluate({ op: 'aten::as_tensor', args: [[f(1.5), 2]], overload: 'list' })![0]).toMatchObject({ type: { dtype: 'float32', shape: [2] }, values: [1.5, 2] });
    expect(evaluate({ op: 'aten::as_tensor', args: [3], overload: 'int' })![0]).toMatchObject({ type: { dtype: 'int64', shape: [] }, values: [3] });
  });
});

describe('random ops', () => {
  it('shape, dtype and ranges follow torch', async () => {
    const w = tensorValue('float32', [2, 5]);
    expect(infer({ op: 'aten::multinomial', args: [w, 3] })[0]).toMatchObject({ dtype: 'int64', shape: [2, 3] });
    expect(() => infer({ op: 'aten::multinomial', args: [w, 6] })).toThrow(/without replacement/);
    expect(infer({ op: 'aten::multinomial', args: [w, 6, true] })[0]).toMatchObject({ shape: [2, 6] });
    expect(() => infer({ op: 'aten::multinomial', args: [tensorValue('int64', [5]), 1] })).toThrow(/floating point/);
    expect(infer({ op: 'aten::normal', args: [f(0), tensorValue('float64', [3, 1])], overload: 'float_Tensor' })[0]).toMatchObject({ dtype: 'float64', shape: [3, 1] });
    expect(infer({ op: 'aten::normal', args: [tensorValue('float32', [3, 1]), tensorValue('float32', [4])], overload: 'Tensor_Tensor' })[0]).toMatchObject({ shape: [3, 4] });
    expect(() => infer({ op: 'aten::normal', args: [f(0), f(-1), [2]], overload: 'float_float' })).toThrow(/std >= 0/);
    expect(() => infer({ op: 'aten::bernoulli', args: [tensorValue('float32', [2]), f(1.5)], overload: 'p' })).toThrow(/p in \[0, 1\]/);
    expect(infer({ op: 'aten::randperm', args: [7], kwargs: { dtype: 3 } })[0]).toMatchObject({ dtype: 'int32', shape: [7] });
    expect(infer({ op: 'aten::randint_like', args: [tensorValue('float16', [2, 2]), 3, 9], overload: 'low_dtype' })[0]).toMatchObject({ dtype: 'float16' });
  });

  it('multinomial without replacement draws distinct categories and never a zero-probability one', async () => {
    const w = tensorValue('float32', [1, 6]);
    for (let trial = 0; trial < 20; trial++) {
      const [out] = await runOp({ op: 'aten::multinomial', args: [w, 4] }, { opset: 11, feeds: new Map([[w, [0.1, 0, 2, 0.5, 1, 0.7]]]) });
      expect(new Set(out.data).size).toBe(4);
      expect(out.data).not.toContain(1);
    }
  });

  it('randperm is a permutation of 0..n-1', async () => {
    for (const opset of [7, 10]) {
      const [out] = await runOp({ op: 'aten::randperm', args: [12] }, { opset, feeds: new Map() });
      expect([...out.data].sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    }
  });

  it('draw float16 values in float32 and float64 values in float64', () => {
    const { graph } = lowerOp({ op: 'aten::normal', args: [tensorValue('float16', [3]), f(2)], overload: 'Tensor_float' }, 7);
    expect(graph.nodes.find((n) => n.opType === 'RandomNormalLike')!.attrs).toMatchObject({ dtype: 1 });
    expect(graph.nodes[graph.nodes.length - 1]).toMatchObject({ opType: 'Cast', attrs: { to: 10 } });
    const bernoulli = lowerOp({ op: 'aten::bernoulli', args: [tensorValue('float64', [3])] }, 7).graph;
    expect(bernoulli.nodes.find((n) => n.opType === 'RandomUniformLike')!.attrs).toMatchObject({ dtype: 11 });
  });

  it('bernoulli gives exactly 0 and 1 for probabilities 0 and 1', async () => {
    const p = tensorValue('float32', [6]);
    const [out] = await runOp({ op: 'aten::bernoulli', args: [p] }, { opset: 7, feeds: new Map([[p, [0, 1, 0, 1, 1, 0]]]) });
    expect(out.data).toEqual([0, 1, 0, 1, 1, 0]);
  });
});
