/**
 * Reductions: shape/dtype rules and lowerings run in onnxruntime before and after the axes
 * attribute becomes an input (ReduceSum at 13, the others at 18). Expected numbers come from
 * torch 1.13 on the input R below.
 */
import { describe, expect, it } from 'vitest';
import { PyFloat } from '../../../src/archive/types.js';
import type { GValue } from '../../../src/ir/torch-graph.js';
import { type Call, codeOf, expectNear, infer, lowerOp, runOp, type RunResult, tensorValue } from '../harness.js';



const R = [1.5, -2, 3, 0.25, 4, 5, -6, 7, 0, 8, 9, -10];

interface Case {
  name: string;
  call: (x: GValue) => Call;
  dims: number[];
  expected: number[];
  /** Output index to check (max.dim's indices are output 1). */
  output?: number;
}

const cases: Case[] = [
  { name: 'sum', call: (x) => ({ op: 'aten::sum', args: [x] }), dims: [], expected: [19.75] },
  { name: 'sum over dim 1', call: (x) => ({ op: 'aten::sum', args: [x, [1]] }), dims: [3], expected: [2.75, 10, 7] },
  { name: 'sum over dim 0, kept', call: (x) => ({ op: 'aten::sum', args: [x, [0], true] }), dims: [1, 4], expected: [5.5, 11, 6, -2.75] },
  { name: 'sum over []', call: (x) => ({ op: 'aten::sum', args: [x, []] }), dims: [], expected: [19.75] },
  { name: 'mean over dim 1', call: (x) => ({ op: 'aten::mean', args: [x, [1]] }), dims: [3], expected: [0.6875, 2.5, 1.75] },
  { name: 'mean', call: (x) => ({ op: 'aten::mean', args: [x] }), dims: [], expected: [1.6458334] },
  { name: 'prod over dim 1', call: (x) => ({ op: 'aten::prod', args: [x, 1] }), dims: [3], expected: [-2.25, -840, -0] },
  { name: 'amax over dim 0', call: (x) => ({ op: 'aten::amax', args: [x, [0]] }), dims: [4], expected: [4, 8, 9, 7] },
  { name: 'amin', call: (x) => ({ op: 'aten::amin', args: [x] }), dims: [], expected: [-10] },
  { name: 'max', call: (x) => ({ op: 'aten::max', args: [x] }), dims: [], expected: [9] },
  { name: 'max.dim values', call: (x) => ({ op: 'aten::max', args: [x, 1], overload: 'dim' }), dims: [3], expected: [3, 7, 9] },
  { name: 'max.dim indices', call: (x) => ({ op: 'aten::max', args: [x, 1], overload: 'dim' }), dims: [3], expected: [2, 3, 2], output: 1 },
  { name: 'min.dim kept values', call: (x) => ({ op: 'aten::min', args: [x, 0, true], overload: 'dim' }), dims: [1, 4], expected: [0, -2, -6, -10] },
  {
    name: 'min.dim kept indices', call: (x) => ({ op: 'aten::min', args: [x, 0, true], overload: 'dim' }), dims: [1, 4], expected: [2, 0, 1, 2],
    output: 1,
  },
  { name: 'argmax', call: (x) => ({ op: 'aten::argmax', args: [x] }), dims: [], expected: [10] },
  { name: 'argmax kept', call: (x) => ({ op: 'aten::argmax', args: [x, null, true] }), dims: [1, 1], expected: [10] },
  { name: 'argmin over dim 1', call: (x) => ({ op: 'aten::argmin', args: [x, 1] }), dims: [3], expected: [1, 2, 3] },
  { name: 'std', call: (x) => ({ op: 'aten::std', args: [x] }), dims: [], expected: [5.6713576] },
  { name: 'std over dim 1', call: (x) => ({ op: 'aten::std', args: [x, [1]], overload: 'dim' }), dims: [3], expected: [2.1151733, 5.8022985, 8.8081398] },
  {
    name: 'var over dim 0, biased', call: (x) => ({ op: 'aten::var', args: [x, [0], false], overload: 'dim' }), dims: [4],
    expected: [2.7222223, 17.5555553, 38.0, 48.8472214],
  },
  {
    name: 'var with correction 2, kept', call: (x) => ({ op: 'aten::var', args: [x, [1]], kwargs: { correction: 2, keepdim: true }, overload: 'correction' }),
    dims: [3, 1], expected: [6.7109375, 50.5, 116.375],
  },
  { name: 'std_mean means', call: (x) => ({ op: 'aten::std_mean', args: [x, [1]], overload: 'dim' }), dims: [3], expected: [0.6875, 2.5, 1.75], output: 1 },
  { name: 'norm', call: (x) => ({ op: 'aten::norm', args: [x] }), dims: [], expected: [19.6548347] },
  { name: 'norm p=1 over dim 1', call: (x) => ({ op: 'aten::norm', args: [x, 1, [1]] }), dims: [3], expected: [6.75, 22, 27] },
  {
    name: 'norm p=3 over dim 0', call: (x) => ({ op: 'aten::norm', args: [x, 3, [0]] }), dims: [4],
    expected: [4.0691118, 8.6401234, 9.9057827, 11.0330029],
  },
  { name: 'norm p=inf over dim 1', call: (x) => ({ op: 'aten::norm', args: [x, new PyFloat(Infinity), [1]] }), dims: [3], expected: [3, 7, 10] },
  { name: 'norm p=0 over dim 1', call: (x) => ({ op: 'aten::norm', args: [x, 0, [1]] }), dims: [3], expected: [4, 4, 3] },
  {
    name: 'linalg_vector_norm', call: (x) => ({ op: 'aten::linalg_vector_norm', args: [x, 2, [1], true] }), dims: [3, 1],
    expected: [3.9131191, 11.2249718, 15.6524763],
  },
  { name: 'frobenius_norm', call: (x) => ({ op: 'aten::frobenius_norm', args: [x, [0, 1]] }), dims: [], expected: [19.6548347] },
  { name: 'logsumexp over dim 1', call: (x) => ({ op: 'aten::logsumexp', args: [x, [1]] }), dims: [3], expected: [3.2575805, 7.169848, 9.3133516] },
  {
    name: 'cumsum over dim 1', call: (x) => ({ op: 'aten::cumsum', args: [x, 1] }), dims: [3, 4],
    expected: [1.5, -0.5, 2.5, 2.75, 4, 9, 3, 10, 0, 8, 17, 7],
  },
];

async function run(call: Call, opset: number, feeds: Array<[GValue, readonly number[]]>): Promise<RunResult[]> {
  return runOp(call, { opset, feeds: new Map(feeds) });
}

describe('reduction values match torch', () => {
  for (const c of cases) {
    it(`${c.name} at opsets 11, 13 and 18`, async () => {
      for (const opset of [11, 13, 18]) {
        const x = tensorValue('float32', [3, 4]);
        const r = (await run(c.call(x), opset, [[x, R]]))[c.output ?? 0];
        expect(r.dims).toEqual(c.dims);
        expectNear(r.data, c.expected);
      }
    });
  }

  it('reduces ints and bools into the dtypes torch gives', async () => {
    for (const opset of [9, 13, 18]) {
      const b = tensorValue('bool', [4]);
      expect((await run({ op: 'aten::sum', args: [b] }, opset, [[b, [1, 0, 1, 1]]]))[0]).toMatchObject({ dtype: 'int64', data: [3] });
      expect((await run({ op: 'aten::amax', args: [b] }, opset, [[b, [0, 0, 1, 0]]]))[0]).toMatchObject({ dtype: 'bool', data: [1] });
      const u = tensorValue('uint8', [3]);
      expect((await run({ op: 'aten::prod', args: [u] }, opset, [[u, [100, 200, 3]]]))[0]).toMatchObject({ dtype: 'int64', data: [60000] });
      expect((await run({ op: 'aten::all', args: [u] }, opset, [[u, [1, 2, 3]]]))[0]).toMatchObject({ dtype: 'uint8', data: [1] });
      const i = tensorValue('int64', [2, 2]);
      expect((await run({ op: 'aten::cumsum', args: [i, 0] }, 11, [[i, [1, 2, 3, 4]]]))[0]).toMatchObject({ dtype: 'int64', data: [1, 2, 4, 6] });
      expect((await run({ op: 'aten::mean', args: [i], kwargs: { dtype: 6 } }, opset, [[i, [1, 2, 3, 5]]]))[0]).toMatchObject({ dtype: 'float32', data: [2.75] });
    }
  });

  it('decides all and any per dim', async () => {
    const x = tensorValue('float32', [2, 3]);
    const data = [0, 1, NaN, 2, 3, 4];
    expect((await run({ op: 'aten::all', args: [x, 1], overload: 'dim' }, 9, [[x, data]]))[0]).toMatchObject({ dtype: 'bool', data: [0, 1] });
    expect((await run({ op: 'aten::any', args: [x, 0, true], overload: 'dim' }, 13, [[x, data]]))[0]).toMatchObject({ dims: [1, 3], data: [1, 1, 1] });
    expect((await run({ op: 'aten::all', args: [x], kwargs: { dim: [0, 1] }, overload: 'dims' }, 18, [[x, data]]))[0]).toMatchObject({ data: [0] });
  });

  it('counts the reduced elements at run time when dims are symbolic', async () => {
    const x = tensorValue('float32', ['n', 4]);
    const lowered = lowerOp({ op: 'aten::var', args: [x, [0]], overload: 'dim' }, 13);
    expect(lowered.graph.nodes.some((n) => n.opType === 'Shape')).toBe(true);
    const r = await runOp({ op: 'aten::var', args: [x, [0]], overload: 'dim' }, { opset: 13, feeds: new Map([[x, R]]), shapes: new Map([[x, [3, 4]]]) });
    expectNear(r[0].data, [4.0833335, 26.333334, 57, 73.270836]);
  });

  it('floors the variance divisor at zero like torch', async () => {
    const x = tensorValue('float32', [2]);
    const r = await run({ op: 'aten::var', args: [x, [0]], kwargs: { correction: 3 }, overload: 'correction' }, 13, [[x, [1, 2]]]);
    expect(r[0].data).toEqual([Infinity]);
  });

  it('takes element-wise max/min for the .other overloads', async () => {
    const x = tensorValue('int64', [3]);
    const y = tensorValue('float32', [3]);
    const r = await run({ op: 'aten::max', args: [x, y], overload: 'other' }, 9, [[x, [1, 5, -2]], [y, [2.5, 0, -1]]]);
    expect(r[0]).toMatchObject({ dtype: 'float32', data: [2.5, 5, -1] });
    expect((await run({ op: 'aten::min', args: [x, y], overload: 'other' }, 13, [[x, [1, 5, -2]], [y, [2.5, 0, -1]]]))[0].data).toEqual([1, 0, -2]);
  });
});

describe('reduction shape and dtype rules', () => {
  it('drops or keeps reduced dims, keeping symbolic ones', () => {
    const x = tensorValue('float32', ['batch', 'seq', 8]);
    expect(infer({ op: 'aten::mean', args: [x, [-1]] })).toEqual([{ kind: 'tensor', dtype: 'float32', shape: ['batch', 'seq'] }]);
    expect(infer({ op: 'aten::sum', args: [x, [1], true] })[0]).toMatchObject({ shape: ['batch', 1, 8] });
    expect(infer({ op: 'aten::mean', args: [x, null, true] })[0]).toMatchObject({ shape: [1, 1, 1] });
    expect(infer({ op: 'aten::max', args: [x, 1], overload: 'dim' })).toEqual([
      { kind: 'tensor', dtype: 'float32', shape: ['batch', 8] },
      { kind: 'tensor', dtype: 'int64', shape: ['batch', 8] },
    ]);
    expect(infer({ op: 'aten::argmax', args: [x, null, true] })[0]).toMatchObject({ dtype: 'int64', shape: [1, 1, 1] });
    expect(infer({ op: 'aten::std', args: [x, [0, 2]], kwargs: { keepdim: true }, overload: 'dim' })[0]).toMatchObject({ shape: [1, 'seq', 1] });
    expect(infer({ op: 'aten::cumsum', args: [x, 1] })[0]).toMatchObject({ shape: ['batch', 'seq', 8] });
  });

  it('types integer reductions like torch', () => {
    const i = tensorValue('int32', [4]);
    expect(infer({ op: 'aten::sum', args: [i] })[0]).toMatchObject({ dtype: 'int64' });
    expect(infer({ op: 'aten::sum', args: [i], kwargs: { dtype: 5 } })[0]).toMatchObject({ dtype: 'float16' });
    expect(infer({ op: 'aten::cumsum', args: [tensorValue('bool', [4]), 0] })[0]).toMatchObject({ dtype: 'int64' });
    expect(infer({ op: 'aten::amax', args: [i] })[0]).toMatchObject({ dtype: 'int32' });
    expect(infer({ op: 'aten::logsumexp', args: [i, [0]] })[0]).toMatchObject({ dtype: 'float32' });
    expect(infer({ op: 'aten::any', args: [i] })[0]).toMatchObject({ dtype: 'bool', shape: [] });
    for (const call of [
      { op: 'aten::mean', args: [i] },
      { op: 'aten::std', args: [i] },
      { op: 'aten::norm', args: [i] },
      { op: 'aten::linalg_vector_norm', args: [i] },
    ]) {
      expect(codeOf(() => infer(call))).toBe('TRACE_TYPE');
    }
    expect(codeOf(() => infer({ op: 'aten::sum', args: [i, [1]] }))).toBe('TRACE_TYPE');
  });

  it('moves axes from attribute to input at the right opsets', () => {
    const x = tensorValue('float32', [2, 3]);
    const axesOf = (op: string, opset: number) => {
      const node = lowerOp({ op, args: [x, [1]] }, opset).graph.nodes.find((n) => n.opType.startsWith('Reduce'))!;
      return { attr: 'axes' in node.attrs, inputs: node.inputs.length };
    };
    expect(axesOf('aten::sum', 12)).toEqual({ attr: true, inputs: 1 });
    expect(axesOf('aten::sum', 13)).toEqual({ attr: false, inputs: 2 });
    expect(axesOf('aten::mean', 17)).toEqual({ attr: true, inputs: 1 });
    expect(axesOf('aten::mean', 18)).toEqual({ attr: false, inputs: 2 });
    expect(axesOf('aten::amax', 18)).toEqual({ attr: false, inputs: 2 });
  });
});

describe('aminmax, count_nonzero, scans and order statistics', () => {
  const x = () => tensorValue('float32', [3, 4]);
  const at = async (call: (v: GValue) => Call, opset: number, shape: Array<number | string> = [3, 4]) => {
    const v = tensorValue('float32', shape);
    return runOp(call(v), { opset, feeds: new Map([[v, R]]), shapes: new Map([[v, [3, 4]]]) });
  };

  it('gives aminmax and count_nonzero as torch does', async () => {
    for (const opset of [7, 13, 18]) {
      const [min, max] = await at((v) => ({ op: 'aten::aminmax', args: [v], kwargs: { dim: 1 } }), opset);
      expect(min.data).toEqual([-2, -6, -10]);
      expect(max.data).toEqual([3, 7, 9]);
      expect((await at((v) => ({ op: 'aten::count_nonzero', args: [v, 0] }), opset))[0]).toMatchObject({ dtype: 'int64', data: [2, 3, 3, 3] });
      expect((await at((v) => ({ op: 'aten::count_nonzero', args: [v, []] }), opset))[0]).toMatchObject({ dims: [], data: [11] });
    }
    expect(infer({ op: 'aten::aminmax', args: [x()], kwargs: { keepdim: true } })[1]).toMatchObject({ shape: [1, 1] });
  });

  it('scans as torch does, static and dynamic', async () => {
    for (const shape of [[3, 4], ['n', 4]] as Array<Array<number | string>>) {
      const opset = shape[0] === 'n' ? 12 : 9;
      expect((await at((v) => ({ op: 'aten::cumprod', args: [v, 1] }), opset, [3, shape[1]]))[0].data).toEqual([
        1.5, -3, -9, -2.25, 4, 20, -120, -840, 0, 0, 0, -0,
      ]);
      expectNear((await at((v) => ({ op: 'aten::logcumsumexp', args: [v, 0] }), opset, shape))[0].data, [
        1.5, -2, 3, 0.25, 4.0788898, 5.0009112, 3.0001235, 7.0011702, 4.0956745, 8.0486307, 9.0024757, 7.0011702,
      ]);
    }
    const [values, indices] = await at((v) => ({ op: 'aten::cummax', args: [v, 0] }), 12, ['n', 4]);
    expect(values.data).toEqual([1.5, -2, 3, 0.25, 4, 5, 3, 7, 4, 8, 9, 7]);
    expect(indices.data).toEqual([0, 0, 0, 0, 1, 1, 0, 1, 1, 2, 2, 1]);
    const [minValues, minIndices] = await at((v) => ({ op: 'aten::cummin', args: [v, -1] }), 12);
    expect(minValues.data).toEqual([1.5, -2, -2, -2, 4, 4, -6, -6, 0, 0, 0, -10]);
    expect(minIndices.data).toEqual([0, 1, 1, 1, 0, 0, 2, 2, 0, 0, 0, 3]);
  });

  it('keeps logcumsumexp finite for large and very negative inputs', async () => {
    const v = tensorValue('float32', [4]);
    const r = await runOp({ op: 'aten::logcumsumexp', args: [v, 0] }, { opset: 9, feeds: new Map([[v, [1000, 1001, -1000, -1e30]]]) });
    expectNear(r[0].data, [1000, 1001.3132324, 1001.3132324, 1001.3132324]);
  });

  it('moves cummax indices to the last element equal to the running max, and keeps uint8', async () => {
    const u = tensorValue('uint8', [5]);
    const [values, indices] = await runOp({ op: 'aten::cummax', args: [u, 0] }, { opset: 12, feeds: new Map([[u, [3, 200, 200, 7, 255]]]) });
    expect(values).toMatchObject({ dtype: 'uint8', data: [3, 200, 200, 200, 255] });
    expect(indices.data).toEqual([0, 1, 2, 2, 4]);
    const product = await runOp({ op: 'aten::cumprod', args: [u, 0] }, { opset: 9, feeds: new Map([[u, [3, 200, 200, 7, 255]]]) });
    expect(product[0]).toMatchObject({ dtype: 'int64', data: [3, 600, 120000, 840000, 214200000] });
  });

  it('selects the k-th smallest and the lower median', async () => {
    const [kth, kthIndex] = await at((v) => ({ op: 'aten::kthvalue', args: [v, 2, 1] }), 11);
    expect(kth.data).toEqual([0.25, 4, 0]);
    expect(kthIndex.data).toEqual([3, 0, 0]);
    for (const shape of [[3, 4], ['n', 'm']] as Array<Array<number | string>>) {
      expect((await at((v) => ({ op: 'aten::median', args: [v] }), 11, shape))[0]).toMatchObject({ dims: [], data: [1.5] });
      const [median, medianIndex] = await at((v) => ({ op: 'aten::median', args: [v, 0, true], overload: 'dim' }), 11, shape);
      expect(median).toMatchObject({ dims: [1, 4], data: [1.5, 5, 3, 0.25] });
      expect(medianIndex.data).toEqual([0, 1, 0, 0]);
    }
  });

  it('refuses what torch refuses', () => {
    expect(codeOf(() => infer({ op: 'aten::kthvalue', args: [x(), 5, 1] }))).toBe('TRACE_TYPE');
    expect(codeOf(() => infer({ op: 'aten::kthvalue', args: [x(), 0] }))).toBe('TRACE_TYPE');
    expect(codeOf(() => infer({ op: 'aten::logcumsumexp', args: [tensorValue('int64', [3]), 0] }))).toBe('TRACE_TYPE');
    expect(codeOf(() => infer({ op: 'aten::cummax', args: [x(), 2] }))).toBe('TRACE_TYPE');
    expect(infer({ op: 'aten::cumprod', args: [tensorValue('int32', [3]), 0] })[0]).toMatchObject({ dtype: 'int64' });
  });

  it('needs Range for a scan along a dynamic dim', () => {
    expect(codeOf(() => lowerOp({ op: 'aten::cumprod', args: [tensorValue('float32', ['n']), 0] }, 9))).toBe('OP_OPSET');
  });
});

describe('scans and order statistics of a 0-d tensor', () => {
  it('give the element itself and index 0, as torch does', async () => {
    const cases: Array<[Call, number[][]]> = [];
    const t = tensorValue('float32', []);
    cases.push([{ op: 'aten::cummax', args: [t, 0] }, [[3], [0]]]);
    cases.push([{ op: 'aten::cumprod', args: [t, -1] }, [[3]]]);
    cases.push([{ op: 'aten::logcumsumexp', args: [t, 0] }, [[3]]]);
    cases.push([{ op: 'aten::median', args: [t] }, [[3]]]);
    cases.push([{ op: 'aten::median', args: [t, 0], overload: 'dim' }, [[3], [0]]]);
    cases.push([{ op: 'aten::kthvalue', args: [t, 1] }, [[3], [0]]]);
    for (const [call, want] of cases) {
      const r = await runOp(call, { opset: 12, feeds: new Map([[t, [3]]]) });
      expect(r.map((o) => o.data)).toEqual(want);
      expect(r.map((o) => o.dims)).toEqual(want.map(() => []));
    }
  });
});

describe('NaN in scans and order statistics, as torch 1.13 and 2.6 treat it', () => {
  const rows = [1, NaN, 3, NaN, 5, 4, 2, 9, 1, 0, NaN, 2, NaN, 1, 7];
  const run = async (call: (v: GValue) => Call, data: number[], shape: number[]) => {
    const v = tensorValue('float32', shape);
    return (await runOp(call(v), { opset: 12, feeds: new Map([[v, data]]) })).map((o) => o.data);
  };

  it('makes the running extreme NaN from the first NaN, its index following every later NaN', async () => {
    const nan = NaN;
    expect(await run((v) => ({ op: 'aten::cummax', args: [v, 1] }), rows, [3, 5])).toEqual([
      [1, nan, nan, nan, nan, 4, 4, 9, 9, 9, nan, nan, nan, nan, nan],
      [0, 1, 1, 3, 3, 0, 0, 2, 2, 2, 0, 0, 2, 2, 2],
    ]);
    expect((await run((v) => ({ op: 'aten::cummin', args: [v, 1] }), rows, [3, 5]))[1]).toEqual([0, 1, 1, 3, 3, 0, 1, 1, 3, 4, 0, 0, 2, 2, 2]);
  });

  it('gives a median of NaN at the first NaN, and ranks NaN above every number in kthvalue', async () => {
    expect(await run((v) => ({ op: 'aten::median', args: [v, 1], overload: 'dim' }), rows, [3, 5])).toEqual([[NaN, 2, NaN], [1, 1, 0]]);
    expect(await run((v) => ({ op: 'aten::median', args: [v] }), rows, [3, 5])).toEqual([[NaN]]);
    expect(await run((v) => ({ op: 'aten::kthvalue', args: [v, 4, 1] }), rows, [3, 5])).toEqual([[NaN, 4, NaN], [1, 0, 0]]);
    expect(await run((v) => ({ op: 'aten::kthvalue', args: [v, 2, 1] }), rows, [3, 5])).toEqual([[3, 1, 2], [2, 3, 1]]);
    const withInf = [2, NaN, 1, NaN, Infinity];
    expect(await run((v) => ({ op: 'aten::kthvalue', args: [v, 3] }), withInf, [5])).toEqual([[Infinity], [4]]);
    expect(await run((v) => ({ op: 'aten::kthvalue', args: [v, 5] }), withInf, [5])).toEqual([[NaN], [3]]);
  });
});

describe('aminmax and NaN', () => {
  it('gives NaN for a slice holding one, keeping -0 and infinities elsewhere', async () => {
    for (const opset of [7, 13, 21]) {
      const v = tensorValue('float32', [3, 3]);
      const data = [1, NaN, -Infinity, -0, 2, Infinity, 3, 0.5, -1];
      const [low, high] = await runOp({ op: 'aten::aminmax', args: [v], kwargs: { dim: 1 } }, { opset, feeds: new Map([[v, data]]) });
      expect(low.data).toEqual([NaN, -0, -1]);
      expect(Object.is(low.data[1], -0)).toBe(true);
      expect(high.data).toEqual([NaN, Infinity, 3]);
      const [all] = await runOp({ op: 'aten::aminmax', args: [v] }, { opset, feeds: new Map([[v, data]]) });
      expect(all.data).toEqual([NaN]);
    }
  });
});

describe('dims of a 0-d tensor', () => {
  it('takes 0 and -1 as torch does (maybe_wrap_dim wraps against rank 1), and refuses 1 and -2', async () => {
    const x = tensorValue('float32', []);
    for (const dim of [0, -1]) {
      expect(infer({ op: 'aten::cumsum', args: [x, dim] })).toEqual([{ kind: 'tensor', dtype: 'float32', shape: [] }]);
      const [y] = await runOp({ op: 'aten::cumsum', args: [x, dim] }, { opset: 11, feeds: new Map([[x, [2.5]]]) });
      expect(y.data).toEqual([2.5]);
    }
    for (const dim of [1, -2]) expect(() => infer({ op: 'aten::cumsum', args: [x, dim] })).toThrow(/dimension .* out of range for a tensor of rank 0/);
  });
});
