import { describe, expect, it } from 'vitest';
import { TsonnxError } from '../../../src/errors.js';
import type { Dim, GValue, TensorType } from '../../../src/ir/torch-graph.js';
import { checkCase, evaluate, infer, iota, lowerOp, opTypes, scalarValue, tensorValue, type Call, type CaseInput, type OpCase } from '../harness.js';

/*
 * Reference outputs come from torch 1.13.1 with X(*s) = torch.arange(numel).reshape(s) (float32
 * unless said otherwise), the torch expression being each case's label.
 */

const X = (...shape: Dim[]): CaseInput => ({ shape });

const CASES: OpCase[] = [
  { label: 'X(2,3,4).view(4,-1)', inputs: [X(2, 3, 4)], call: ([x]) => ({ op: 'aten::view', args: [x, [4, -1]] }), want: [[[4, 6], iota(24)]] },
  {
    label: 'X(2,3,4).view(x.size(0), -1) with a dynamic batch',
    inputs: [{ shape: ['batch', 3, 4], run: [2, 3, 4] }, { shape: [], int: 2 }],
    call: ([x, n]) => ({ op: 'aten::view', args: [x, [n, -1]] }),
    want: [[[2, 12], iota(24)]],
  },
  { label: 'X(2,3,4).reshape(-1)', inputs: [X(2, 3, 4)], call: ([x]) => ({ op: 'aten::reshape', args: [x, [-1]] }), want: [[[24], iota(24)]] },
  { label: 'X(2,3,4,5).flatten(1,2)', inputs: [X(2, 3, 4, 5)], call: ([x]) => ({ op: 'aten::flatten', args: [x, 1, 2] }), want: [[[2, 12, 5], iota(120)]] },
  {
    label: 'X(2,3,4,5).flatten(1,2), dims 0 and 3 dynamic',
    inputs: [{ shape: ['n', 3, 4, 'w'], run: [2, 3, 4, 5] }],
    call: ([x]) => ({ op: 'aten::flatten', args: [x, 1, 2] }),
    want: [[[2, 12, 5], iota(120)]],
  },
  {
    label: 'X(2,3,4).flatten(1), batch dynamic',
    inputs: [{ shape: ['n', 3, 4], run: [2, 3, 4] }],
    call: ([x]) => ({ op: 'aten::flatten', args: [x, 1] }),
    want: [[[2, 12], iota(24)]],
  },
  { label: 'X(2,12).unflatten(1,(3,-1))', inputs: [X(2, 12)], call: ([x]) => ({ op: 'aten::unflatten', args: [x, 1, [3, -1]] }), want: [[[2, 3, 4], iota(24)]] },
  {
    label: 'X(2,12,5).unflatten(1,(3,-1)), dims 0 and 2 dynamic',
    inputs: [{ shape: ['n', 12, 'w'], run: [2, 12, 5] }],
    call: ([x]) => ({ op: 'aten::unflatten', args: [x, 1, [3, -1]] }),
    want: [[[2, 3, 4, 5], iota(120)]],
  },
  {
    label: 'X(2,6).view_as(X(3,4))',
    inputs: [X(2, 6), X(3, 4)],
    call: ([x, y]) => ({ op: 'aten::view_as', args: [x, y] }),
    want: [[[3, 4], iota(12)]],
  },
  {
    label: 'X(2,6).reshape_as(X(n,4)), n dynamic',
    inputs: [X(2, 6), { shape: ['n', 4], run: [3, 4] }],
    call: ([x, y]) => ({ op: 'aten::reshape_as', args: [x, y] }),
    want: [[[3, 4], iota(12)]],
  },
  {
    label: 'X(2,3,4).transpose(1,2)',
    inputs: [X(2, 3, 4)],
    call: ([x]) => ({ op: 'aten::transpose', args: [x, 1, -1] }),
    want: [[[2, 4, 3], [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11, 12, 16, 20, 13, 17, 21, 14, 18, 22, 15, 19, 23]]],
  },
  {
    label: 'X(2,3,4).permute(2,0,1)',
    inputs: [X(2, 3, 4)],
    call: ([x]) => ({ op: 'aten::permute', args: [x, [-1, 0, 1]] }),
    want: [[[4, 2, 3], [0, 4, 8, 12, 16, 20, 1, 5, 9, 13, 17, 21, 2, 6, 10, 14, 18, 22, 3, 7, 11, 15, 19, 23]]],
  },
  {
    label: 'torch.movedim(X(2,3,4),(0,1),(2,0))',
    inputs: [X(2, 3, 4)],
    call: ([x]) => ({ op: 'aten::movedim', args: [x, [0, 1], [2, 0]] }),
    want: [[[3, 4, 2], [0, 12, 1, 13, 2, 14, 3, 15, 4, 16, 5, 17, 6, 18, 7, 19, 8, 20, 9, 21, 10, 22, 11, 23]]],
  },
  {
    label: 'X(1,3,1,2).squeeze()',
    inputs: [X(1, 3, 1, 2)],
    call: ([x]) => ({ op: 'aten::squeeze', args: [x] }),
    want: [[[3, 2], iota(6)]],
  },
  {
    label: 'X(1,3,1,2).squeeze((0,2,3)) (2.x squeeze.dims: only size-1 dims go)',
    inputs: [X(1, 3, 1, 2)],
    call: ([x]) => ({ op: 'aten::squeeze', args: [x, [0, 2, 3]], overload: 'dims' }),
    want: [[[3, 2], iota(6)]],
  },
  {
    label: 'X(1,3,1,2).squeeze(-2)',
    inputs: [X(1, 3, 1, 2)],
    call: ([x]) => ({ op: 'aten::squeeze', args: [x, -2], overload: 'dim' }),
    want: [[[1, 3, 2], iota(6)]],
  },
  { label: 'X(2,3).unsqueeze(-1)', inputs: [X(2, 3)], call: ([x]) => ({ op: 'aten::unsqueeze', args: [x, -1] }), want: [[[2, 3, 1], iota(6)]] },
  {
    label: 'X(3,1).expand(2,-1,4)',
    inputs: [X(3, 1)],
    call: ([x]) => ({ op: 'aten::expand', args: [x, [2, -1, 4]] }),
    want: [[[2, 3, 4], [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]]],
  },
  {
    label: 'X(n,1).expand(-1,3), n dynamic',
    inputs: [{ shape: ['n', 1], run: [2, 1] }],
    call: ([x]) => ({ op: 'aten::expand', args: [x, [-1, 3]] }),
    want: [[[2, 3], [0, 0, 0, 1, 1, 1]]],
  },
  {
    label: 'X(3,1).expand(k,-1,2), k a run-time int',
    inputs: [X(3, 1), { shape: [], int: 2 }],
    call: ([x, k]) => ({ op: 'aten::expand', args: [x, [k, -1, 2]] }),
    want: [[[2, 3, 2], [0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2]]],
  },
  {
    label: 'X(3,1).expand_as(X(2,3,2))',
    inputs: [X(3, 1), X(2, 3, 2)],
    call: ([x, y]) => ({ op: 'aten::expand_as', args: [x, y] }),
    want: [[[2, 3, 2], [0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2]]],
  },
  {
    label: 'X(2,3).repeat(2,1,2)',
    inputs: [X(2, 3)],
    call: ([x]) => ({ op: 'aten::repeat', args: [x, [2, 1, 2]] }),
    want: [[[2, 2, 6], [0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5, 0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5]]],
  },
  {
    label: 'X(2,3).tile((2,))',
    inputs: [X(2, 3)],
    call: ([x]) => ({ op: 'aten::tile', args: [x, [2]] }),
    want: [[[2, 6], [0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5]]],
  },
  {
    label: 'torch.cat([X(2,2,int32), X(2,3)+100], 1)',
    inputs: [{ shape: [2, 2], dtype: 'int32' }, { shape: [2, 3], data: iota(6, 100) }],
    call: ([a, b]) => ({ op: 'aten::cat', args: [[a, b], 1] }),
    want: [[[2, 5], [0, 1, 100, 101, 102, 2, 3, 103, 104, 105]]],
  },
  {
    label: 'torch.cat([torch.zeros(0), X(2,3)]) skips the 1-D empty tensor',
    inputs: [X(0), X(2, 3)],
    call: ([a, b]) => ({ op: 'aten::cat', args: [[a, b], 0] }),
    want: [[[2, 3], iota(6)]],
  },
  {
    label: 'torch.stack([X(2,3), X(2,3)+100], 1)',
    inputs: [X(2, 3), { shape: [2, 3], data: iota(6, 100) }],
    call: ([a, b]) => ({ op: 'aten::stack', args: [[a, b], 1] }),
    want: [[[2, 2, 3], [0, 1, 2, 100, 101, 102, 3, 4, 5, 103, 104, 105]]],
  },
  {
    label: 'X(5,2).chunk(2)',
    inputs: [X(5, 2)],
    call: ([x]) => ({ op: 'aten::chunk', args: [x, 2] }),
    want: [
      [[3, 2], iota(6)],
      [[2, 2], iota(4, 6)],
    ],
  },
  {
    label: 'X(2,3).split(1, 1)',
    inputs: [X(2, 3)],
    call: ([x]) => ({ op: 'aten::split', args: [x, 1, 1] }),
    want: [
      [[2, 1], [0, 3]],
      [[2, 1], [1, 4]],
      [[2, 1], [2, 5]],
    ],
  },
  {
    label: 'X(2,3).split([1,2], 1)',
    inputs: [X(2, 3)],
    call: ([x]) => ({ op: 'aten::split', args: [x, [1, 2], 1] }),
    want: [
      [[2, 1], [0, 3]],
      [[2, 2], [1, 2, 4, 5]],
    ],
  },
  {
    label: 'torch.split_with_sizes(X(n,3), [1,2], 1), n dynamic',
    inputs: [{ shape: ['n', 3], run: [2, 3] }],
    call: ([x]) => ({ op: 'aten::split_with_sizes', args: [x, [1, 2], 1] }),
    want: [
      [[2, 1], [0, 3]],
      [[2, 2], [1, 2, 4, 5]],
    ],
  },
  {
    label: 'X(2,3).unbind(1)',
    inputs: [X(2, 3)],
    call: ([x]) => ({ op: 'aten::unbind', args: [x, 1] }),
    want: [
      [[2], [0, 3]],
      [[2], [1, 4]],
      [[2], [2, 5]],
    ],
  },
  {
    label: 'X(3,5)[:, -3:-1]',
    inputs: [X(3, 5)],
    call: ([x]) => ({ op: 'aten::slice', args: [x, 1, -3, -1, 1] }),
    want: [[[3, 2], [2, 3, 7, 8, 12, 13]]],
  },
  {
    label: 'X(3,5)[:, 1:4:2]',
    inputs: [X(3, 5)],
    call: ([x]) => ({ op: 'aten::slice', args: [x, 1, 1, 4, 2] }),
    want: [[[3, 2], [1, 3, 6, 8, 11, 13]]],
    opsets: [10, 13, 21],
  },
  {
    label: 'X(3,n)[:, 2:] with n dynamic and end INT64_MAX',
    inputs: [{ shape: [3, 'n'], run: [3, 5] }],
    call: ([x]) => ({ op: 'aten::slice', args: [x, 1, 2, 9223372036854775807, 1] }),
    want: [[[3, 3], [2, 3, 4, 7, 8, 9, 12, 13, 14]]],
  },
  {
    label: 'X(3,5)[:, i:] with i a run-time int',
    inputs: [X(3, 5), { shape: [], int: 3 }],
    call: ([x, i]) => ({ op: 'aten::slice', args: [x, 1, i, null, 1] }),
    want: [[[3, 2], [3, 4, 8, 9, 13, 14]]],
    opsets: [10, 13],
  },
  {
    label: 'X(3,5).narrow(1,-3,2)',
    inputs: [X(3, 5)],
    call: ([x]) => ({ op: 'aten::narrow', args: [x, 1, -3, 2] }),
    want: [[[3, 2], [2, 3, 7, 8, 12, 13]]],
  },
  {
    label: 'X(3,n).narrow(1,-2,2) with n dynamic',
    inputs: [{ shape: [3, 'n'], run: [3, 5] }],
    call: ([x]) => ({ op: 'aten::narrow', args: [x, 1, -2, 2] }),
    want: [[[3, 2], [3, 4, 8, 9, 13, 14]]],
  },
  {
    label: 'X(3,5).narrow(1, torch.tensor(1), 3)',
    inputs: [X(3, 5), { shape: [], dtype: 'int64', data: [1] }],
    call: ([x, s]) => ({ op: 'aten::narrow', args: [x, 1, s, 3], overload: 'Tensor' }),
    want: [[[3, 3], [1, 2, 3, 6, 7, 8, 11, 12, 13]]],
    opsets: [10, 13],
  },
  {
    label: 'X(3,5).select(1,-1)',
    inputs: [X(3, 5)],
    call: ([x]) => ({ op: 'aten::select', args: [x, 1, -1] }),
    want: [[[3], [4, 9, 14]]],
  },
  {
    label: 'X(3,n).select(1,-2) with n dynamic (Slice before opset 11)',
    inputs: [{ shape: [3, 'n'], run: [3, 5] }],
    call: ([x]) => ({ op: 'aten::select', args: [x, 1, -2] }),
    want: [[[3], [3, 8, 13]]],
    opsets: [7, 9, 11, 13],
  },
  {
    label: 'X(3,5).select(0, i) with i a run-time int',
    inputs: [X(3, 5), { shape: [], int: 2 }],
    call: ([x, i]) => ({ op: 'aten::select', args: [x, 0, i] }),
    want: [[[5], [10, 11, 12, 13, 14]]],
  },
  {
    label: 'X(2,3,4).flip([0,2])',
    inputs: [X(2, 3, 4)],
    call: ([x]) => ({ op: 'aten::flip', args: [x, [0, -1]] }),
    want: [[[2, 3, 4], [15, 14, 13, 12, 19, 18, 17, 16, 23, 22, 21, 20, 3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8]]],
  },
  {
    label: 'X(3,4).roll(1,1)',
    inputs: [X(3, 4)],
    call: ([x]) => ({ op: 'aten::roll', args: [x, [1], [1]] }),
    want: [[[3, 4], [3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10]]],
  },
  {
    label: 'X(3,4).roll((1,-1),(0,1))',
    inputs: [X(3, 4)],
    call: ([x]) => ({ op: 'aten::roll', args: [x, [1, -1], [0, 1]] }),
    want: [[[3, 4], [9, 10, 11, 8, 1, 2, 3, 0, 5, 6, 7, 4]]],
  },
  {
    label: 'X(3,4).roll(5)',
    inputs: [X(3, 4)],
    call: ([x]) => ({ op: 'aten::roll', args: [x, 5] }),
    want: [[[3, 4], [7, 8, 9, 10, 11, 0, 1, 2, 3, 4, 5, 6]]],
  },
  {
    label: 'pattern(6).to(torch.int64) truncates toward zero',
    inputs: [{ shape: [6], data: [-5, -1.3, 2.4, -4, -0.3, 3.4] }],
    call: ([x]) => ({ op: 'aten::to', args: [x, 4] }),
    want: [[[6], [-5, -1, 2, -4, 0, 3]]],
  },
  {
    label: 'torch.to(x, torch.device("cpu"), 11) (bool)',
    inputs: [{ shape: [6], data: iota(6, -2) }],
    call: ([x]) => ({ op: 'aten::to', args: [x, { kind: 'device', device: 'cpu' }, 11], overload: 'device' }),
    want: [[[6], [1, 1, 0, 1, 1, 1]]],
  },
  {
    label: 'X(3).type_as(X(2,int64))',
    inputs: [{ shape: [3], data: [0.5, 1.5, 2.5] }, { shape: [2], dtype: 'int64' }],
    call: ([x, y]) => ({ op: 'aten::type_as', args: [x, y] }),
    want: [[[3], [0, 1, 2]]],
  },
  {
    label: 'torch.pixel_shuffle(X(1,8,2,3), 2)',
    inputs: [X(1, 8, 2, 3)],
    call: ([x]) => ({ op: 'aten::pixel_shuffle', args: [x, 2] }),
    want: [[[1, 2, 4, 6], [0, 6, 1, 7, 2, 8, 12, 18, 13, 19, 14, 20, 3, 9, 4, 10, 5, 11, 15, 21, 16, 22, 17, 23, 24, 30, 25, 31, 26, 32, 36, 42, 37, 43, 38, 44, 27, 33, 28, 34, 29, 35, 39, 45, 40, 46, 41, 47]]],
    opsets: [7, 11, 13],
  },
  {
    label: 'torch.pixel_unshuffle(X(1,2,4,6), 2)',
    inputs: [X(1, 2, 4, 6)],
    call: ([x]) => ({ op: 'aten::pixel_unshuffle', args: [x, 2] }),
    want: [[[1, 8, 2, 3], [0, 2, 4, 12, 14, 16, 1, 3, 5, 13, 15, 17, 6, 8, 10, 18, 20, 22, 7, 9, 11, 19, 21, 23, 24, 26, 28, 36, 38, 40, 25, 27, 29, 37, 39, 41, 30, 32, 34, 42, 44, 46, 31, 33, 35, 43, 45, 47]]],
  },
  {
    label: 'torch.channel_shuffle(X(1,6,2,2), 3)',
    inputs: [X(1, 6, 2, 2)],
    call: ([x]) => ({ op: 'aten::channel_shuffle', args: [x, 3] }),
    want: [[[1, 6, 2, 2], [0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23]]],
  },
];

describe('shape ops run in onnxruntime like torch', () => {
  for (const c of CASES) it(c.label, () => checkCase(c));
});

const shape = (call: Call) => (infer(call)[0] as TensorType).shape;

describe('shape rules', () => {
  it('solves -1 against a symbolic dim left over', () => {
    const x = tensorValue('float32', ['batch', 3, 4, 5]);
    expect(shape({ op: 'aten::view', args: [x, [-1, 60]] })).toEqual(['batch', 60]);
    expect(shape({ op: 'aten::reshape', args: [x, [-1, 3, 20]] })).toEqual(['batch', 3, 20]);
    expect(shape({ op: 'aten::flatten', args: [x, 1] })).toEqual(['batch', 60]);
  });

  it('gives run-time sizes fresh, distinct symbols', () => {
    const x = tensorValue('float32', [2, 3, 4]);
    const n = scalarValue('int');
    const [d0, d1] = shape({ op: 'aten::view', args: [x, [n, -1]] });
    expect(typeof d0).toBe('string');
    expect(typeof d1).toBe('string');
    expect(d0).not.toEqual(d1);
  });

  it('keeps an input dim a run-time expand size must equal', () => {
    const x = tensorValue('float32', [3, 1]);
    const n = scalarValue('int');
    const [d0, d1, d2] = shape({ op: 'aten::expand', args: [x, [n, n, 5]] });
    expect(typeof d0).toBe('string');
    expect([d1, d2]).toEqual([3, 5]);
  });

  it('checks view sizes against the element count', () => {
    const x = tensorValue('float32', [2, 3]);
    expect(() => infer({ op: 'aten::view', args: [x, [4, -1]] })).toThrow(/invalid for input of size 6/);
    expect(() => infer({ op: 'aten::view', args: [x, [5]] })).toThrow(TsonnxError);
  });

  it('slices keep symbolic dims only when whole', () => {
    const x = tensorValue('float32', [3, 'n']);
    expect(shape({ op: 'aten::slice', args: [x, 1, 0, 9223372036854775807, 1] })).toEqual([3, 'n']);
    expect(shape({ op: 'aten::slice', args: [x, 0, -2, null, 1] })).toEqual([2, 'n']);
    expect(shape({ op: 'aten::slice', args: [x, 0, 0, 9223372036854775807, 2] })).toEqual([2, 'n']);
    expect(typeof shape({ op: 'aten::slice', args: [x, 1, 1, null, 1] })[1]).toBe('string');
  });

  it('refuses to squeeze a dynamic dim and to split a dynamic dim into a count of pieces', () => {
    const x = tensorValue('float32', ['n', 4]);
    expect(() => infer({ op: 'aten::squeeze', args: [x, 0], overload: 'dim' })).toThrow(/dynamic size 'n'/);
    expect(() => infer({ op: 'aten::chunk', args: [x, 2] })).toThrow(expect.objectContaining({ code: 'TRACE_UNSUPPORTED' }));
    expect(() => infer({ op: 'aten::unbind', args: [x] })).toThrow(expect.objectContaining({ code: 'TRACE_UNSUPPORTED' }));
    expect(infer({ op: 'aten::chunk', args: [x, 2, 1] }).map((t) => (t as TensorType).shape)).toEqual([['n', 2], ['n', 2]]);
  });

  it('cat promotes dtypes and adds sizes', () => {
    const a = tensorValue('int64', [2, 'n']);
    const b = tensorValue('float16', [2, 3]);
    expect(infer({ op: 'aten::cat', args: [[a, b], 0] })[0]).toEqual({ kind: 'tensor', dtype: 'float16', shape: [4, 3] });
    expect(infer({ op: 'aten::stack', args: [[a, a], -1] })[0]).toEqual({ kind: 'tensor', dtype: 'int64', shape: [2, 'n', 2] });
  });

  it('to keeps or changes the dtype per overload', () => {
    const x = tensorValue('float32', [2]);
    const y = tensorValue('int32', [5]);
    const dtype = (call: Call) => (infer(call)[0] as TensorType).dtype;
    expect(dtype({ op: 'aten::to', args: [x, 7] })).toBe('float64');
    expect(dtype({ op: 'aten::to', args: [x, y] })).toBe('int32');
    expect(dtype({ op: 'aten::to', args: [x], kwargs: { dtype: 5 }, overload: 'dtype_layout' })).toBe('float16');
    expect(dtype({ op: 'aten::to', args: [x], kwargs: { dtype: null }, overload: 'dtype_layout' })).toBe('float32');
    expect(dtype({ op: 'aten::to', args: [x, null, 3], overload: 'prim_Device' })).toBe('int32');
  });

  it('pixel shuffles scale channels and spatial dims', () => {
    const x = tensorValue('float32', ['n', 12, 5, 'w']);
    const [n, c, h, w] = shape({ op: 'aten::pixel_shuffle', args: [x, 2] });
    expect([n, c, h]).toEqual(['n', 3, 10]);
    expect(typeof w).toBe('string');
    expect(shape({ op: 'aten::pixel_unshuffle', args: [tensorValue('float32', [1, 3, 4, 6]), 2] })).toEqual([1, 12, 2, 3]);
  });
});

describe('lowerings', () => {
  it('drops no-op views', () => {
    const x = tensorValue('float32', [2, 3]);
    for (const call of [
      { op: 'aten::contiguous', args: [x] },
      { op: 'aten::clone', args: [x] },
      { op: 'aten::detach', args: [x] },
      { op: 'aten::slice', args: [x, 0, 0, 9223372036854775807, 1] },
      { op: 'aten::view', args: [x, [2, -1]] },
      { op: 'aten::squeeze', args: [x] },
      { op: 'aten::to', args: [x, 6] },
      { op: 'aten::permute', args: [x, [0, 1]] },
    ] as Call[]) {
      expect(opTypes(lowerOp(call, 13).graph), call.op).toEqual(['Identity']);
    }
  });

  it('folds static view targets to one constant and keeps run-time sizes as Concat', () => {
    const x = tensorValue('float32', ['batch', 3, 4]);
    expect(opTypes(lowerOp({ op: 'aten::view', args: [x, [-1, 12]] }, 13).graph)).toEqual(['Constant', 'Reshape']);
    const n = scalarValue('int');
    expect(opTypes(lowerOp({ op: 'aten::view', args: [x, [n, -1]] }, 13).graph)).toEqual(['Constant', 'Unsqueeze', 'Constant', 'Concat', 'Reshape']);
  });

  it('uses DepthToSpace from opset 11', () => {
    const x = tensorValue('float32', ['n', 8, 'h', 'w']);
    expect(opTypes(lowerOp({ op: 'aten::pixel_shuffle', args: [x, 2] }, 11).graph)).toEqual(['DepthToSpace']);
    expect(() => lowerOp({ op: 'aten::pixel_shuffle', args: [x, 2] }, 9)).toThrow(/static channel and spatial sizes/);
  });

  it('fails clearly for strided slices before opset 10', () => {
    const x = tensorValue('float32', [3, 5]);
    expect(() => lowerOp({ op: 'aten::slice', args: [x, 1, 0, 5, 2] }, 9)).toThrow(/step 2 needs opset 10/);
    expect(() => lowerOp({ op: 'aten::flip', args: [x, [0]] }, 9)).toThrow(expect.objectContaining({ code: 'OP_OPSET' }));
  });

  it('splits known bounds with Slice at any opset, sections of a dynamic dim from opset 13', () => {
    const x = tensorValue('float32', [2, 7]);
    expect(opTypes(lowerOp({ op: 'aten::tensor_split', args: [x, 3, 1], overload: 'sections' }, 7).graph).filter((t) => t === 'Slice')).toHaveLength(3);
    const dynamic = tensorValue('float32', [2, 'n']);
    expect(() => lowerOp({ op: 'aten::tensor_split', args: [dynamic, 3, 1], overload: 'sections' }, 12)).toThrow(/tensor_split into sections .* needs opset 13/);
  });

  it('uses Squeeze/Unsqueeze/Split attributes before opset 13 and inputs from 13', () => {
    const x = tensorValue('float32', [2, 3]);
    const at = (opset: number) => lowerOp({ op: 'aten::unbind', args: [x, 1] }, opset).graph.nodes.filter((n) => n.opType !== 'Identity');
    expect(at(11).map((n) => [n.opType, n.inputs.length, Object.keys(n.attrs)])).toEqual([
      ['Split', 1, ['axis', 'split']],
      ['Squeeze', 1, ['axes']],
      ['Squeeze', 1, ['axes']],
      ['Squeeze', 1, ['axes']],
    ]);
    expect(at(13).filter((n) => n.opType !== 'Constant').map((n) => [n.opType, n.inputs.length])).toEqual([
      ['Split', 2],
      ['Squeeze', 2],
      ['Squeeze', 2],
      ['Squeeze', 2],
    ]);
  });
});

describe('known values', () => {
  const known = (v: GValue, values: number[]) => new Map([[v, { type: v.type as TensorType, values }]]);

  it('pass through views, casts and index arithmetic', () => {
    const x = tensorValue('float32', [2, 3]);
    const k = known(x, [0.5, 1.5, -2.5, 3, 4, 5]);
    expect(evaluate({ op: 'aten::view', args: [x, [3, 2]], known: k })![0].values).toEqual([0.5, 1.5, -2.5, 3, 4, 5]);
    expect(evaluate({ op: 'aten::to', args: [x, 4], known: k })![0]).toEqual({
      type: { kind: 'tensor', dtype: 'int64', shape: [2, 3] },
      values: [0, 1, -2, 3, 4, 5],
    });
    expect(evaluate({ op: 'aten::select', args: [x, 1, -1], known: k })![0].values).toEqual([-2.5, 5]);
    expect(evaluate({ op: 'aten::slice', args: [x, 1, 1, null, 1], known: k })![0].values).toEqual([1.5, -2.5, 4, 5]);
    expect(evaluate({ op: 'aten::transpose', args: [x, 0, 1], known: k })![0].values).toEqual([0.5, 3, 1.5, 4, -2.5, 5]);
    expect(evaluate({ op: 'aten::view', args: [x, [6]] })).toBeUndefined();
  });

  it('join known tensors', () => {
    const a = tensorValue('int64', [2]);
    const b = tensorValue('int64', [1]);
    const k = new Map([
      [a, { type: a.type as TensorType, values: [1, 2] }],
      [b, { type: b.type as TensorType, values: [7] }],
    ]);
    expect(evaluate({ op: 'aten::cat', args: [[a, b, a], 0], known: k })![0].values).toEqual([1, 2, 7, 1, 2]);
    expect(evaluate({ op: 'aten::stack', args: [[a, a], 1], known: k })![0]).toEqual({
      type: { kind: 'tensor', dtype: 'int64', shape: [2, 2] },
      values: [1, 1, 2, 2],
    });
  });
});

/* Broadcasting, stacking, rotations, windows, repeats, splits, nonzero and unique: references from torch 1.13.1 as above. */
const D = (dtype: 'int64' | 'float64' | 'int32', shape: Dim[], data: number[]): CaseInput => ({ dtype, shape, data });
const MORE_CASES: OpCase[] = [
  {
    label: 'torch.broadcast_tensors(X(3,1), X(2,1,4))',
    inputs: [X(3, 1), X(2, 1, 4)],
    call: ([x, y]) => ({ op: 'aten::broadcast_tensors', args: [[x, y]] }),
    want: [
      [[2, 3, 4], [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]],
      [[2, 3, 4], [0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 4, 5, 6, 7, 4, 5, 6, 7, 4, 5, 6, 7]],
    ],
  },
  {
    label: 'torch.broadcast_tensors(X(3,1), X(n,1,4)) with n dynamic',
    inputs: [X(3, 1), { shape: ['n', 1, 4], run: [2, 1, 4] }],
    call: ([x, y]) => ({ op: 'aten::broadcast_tensors', args: [[x, y]] }),
    want: [
      [[2, 3, 4], [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]],
      [[2, 3, 4], [0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 4, 5, 6, 7, 4, 5, 6, 7, 4, 5, 6, 7]],
    ],
  },
  {
    label: 'X(3,1).broadcast_to([2,3,2])',
    inputs: [X(3, 1)],
    call: ([x]) => ({ op: 'aten::broadcast_to', args: [x, [2, -1, 2]] }),
    want: [[[2, 3, 2], [0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2]]],
  },
  {
    label: "torch.meshgrid(X(2), X(3), indexing='ij')",
    inputs: [X(2), X(3)],
    call: ([x, y]) => ({ op: 'aten::meshgrid', args: [[x, y]], kwargs: { indexing: 'ij' } }),
    want: [[[2, 3], [0, 0, 0, 1, 1, 1]], [[2, 3], [0, 1, 2, 0, 1, 2]]],
  },
  {
    label: "torch.meshgrid(X(2), X(n), X(), indexing='xy') with n = 3 dynamic",
    inputs: [X(2), { shape: ['n'], run: [3] }, X()],
    call: ([x, y, z]) => ({ op: 'aten::meshgrid', args: [[x, y, z]], kwargs: { indexing: 'xy' } }),
    want: [[[3, 2, 1], [0, 1, 0, 1, 0, 1]], [[3, 2, 1], [0, 0, 1, 1, 2, 2]], [[3, 2, 1], [0, 0, 0, 0, 0, 0]]],
  },
  {
    label: 'torch.atleast_3d([X(), X(2), X(2,3)])',
    inputs: [X(), X(2), X(2, 3)],
    call: ([x, y, z]) => ({ op: 'aten::atleast_3d', args: [[x, y, z]] }),
    want: [[[1, 1, 1], [0]], [[1, 2, 1], [0, 1]], [[2, 3, 1], [0, 1, 2, 3, 4, 5]]],
  },
  { label: 'torch.atleast_2d(X(2))', inputs: [X(2)], call: ([x]) => ({ op: 'aten::atleast_2d', args: [x] }), want: [[[1, 2], [0, 1]]] },
  { label: 'torch.hstack([X(2), X(3)])', inputs: [X(2), X(3)], call: ([x, y]) => ({ op: 'aten::hstack', args: [[x, y]] }), want: [[[5], [0, 1, 0, 1, 2]]] },
  {
    label: 'torch.hstack([X(2,1), X(2,2)])',
    inputs: [X(2, 1), X(2, 2)],
    call: ([x, y]) => ({ op: 'aten::hstack', args: [[x, y]] }),
    want: [[[2, 3], [0, 0, 1, 1, 2, 3]]],
  },
  {
    label: 'torch.vstack([X(3), X(2,3)])',
    inputs: [X(3), X(2, 3)],
    call: ([x, y]) => ({ op: 'aten::vstack', args: [[x, y]] }),
    want: [[[3, 3], [0, 1, 2, 0, 1, 2, 3, 4, 5]]],
  },
  { label: 'torch.dstack([X(2), X(2)])', inputs: [X(2), X(2)], call: ([x, y]) => ({ op: 'aten::dstack', args: [[x, y]] }), want: [[[1, 2, 2], [0, 0, 1, 1]]] },
  {
    label: 'torch.column_stack([X(2), X(2,2), X(2).int()])',
    inputs: [X(2), X(2, 2), { dtype: 'int32', shape: [2] }],
    call: ([x, y, z]) => ({ op: 'aten::column_stack', args: [[x, y, z]] }),
    want: [[[2, 4], [0, 0, 1, 0, 1, 2, 3, 1]]],
  },
  { label: 'torch.rot90(X(2,3))', inputs: [X(2, 3)], call: ([x]) => ({ op: 'aten::rot90', args: [x] }), want: [[[3, 2], [2, 5, 1, 4, 0, 3]]] },
  { label: 'torch.rot90(X(2,3), 2)', inputs: [X(2, 3)], call: ([x]) => ({ op: 'aten::rot90', args: [x, 2] }), want: [[[2, 3], [5, 4, 3, 2, 1, 0]]] },
  {
    label: 'torch.rot90(X(2,3,2), -1, [2,0])',
    inputs: [X(2, 3, 2)],
    call: ([x]) => ({ op: 'aten::rot90', args: [x, -1, [2, 0]] }),
    want: [[[2, 3, 2], [1, 7, 3, 9, 5, 11, 0, 6, 2, 8, 4, 10]]],
  },
  { label: 'X(2,5).unfold(1,2,2)', inputs: [X(2, 5)], call: ([x]) => ({ op: 'aten::unfold', args: [x, 1, 2, 2] }), want: [[[2, 2, 2], [0, 1, 2, 3, 5, 6, 7, 8]]] },
  {
    label: 'X(5,2).unfold(0,3,1) with the unfolded dim dynamic',
    inputs: [{ shape: ['n', 2], run: [5, 2] }],
    call: ([x]) => ({ op: 'aten::unfold', args: [x, 0, 3, 1] }),
    want: [[[3, 2, 3], [0, 2, 4, 1, 3, 5, 2, 4, 6, 3, 5, 7, 4, 6, 8, 5, 7, 9]]],
    opsets: [11, 21],
  },
  {
    label: 'torch.repeat_interleave(X(2,2), 2, 0)',
    inputs: [X(2, 2)],
    call: ([x]) => ({ op: 'aten::repeat_interleave', args: [x, 2, 0] }),
    want: [[[4, 2], [0, 1, 0, 1, 2, 3, 2, 3]]],
  },
  {
    label: 'torch.repeat_interleave(X(n,2), r) with n = 2 and r = 2 known at run time',
    inputs: [{ shape: ['n', 2], run: [2, 2] }, { shape: [], int: 2 }],
    call: ([x, r]) => ({ op: 'aten::repeat_interleave', args: [x, r], overload: 'self_int' }),
    want: [[[8], [0, 0, 1, 1, 2, 2, 3, 3]]],
    opsets: [11, 21],
  },
  {
    label: 'torch.repeat_interleave(X(3,2), torch.tensor([1,0,2]), 0), counts at run time',
    inputs: [X(3, 2), D('int64', [3], [1, 0, 2])],
    call: ([x, r]) => ({ op: 'aten::repeat_interleave', args: [x, r, 0] }),
    want: [[[3, 2], [0, 1, 4, 5, 4, 5]]],
    opsets: [11, 13, 21],
  },
  {
    label: 'torch.repeat_interleave(torch.tensor([2,0,1]))',
    inputs: [D('int64', [3], [2, 0, 1])],
    call: ([r]) => ({ op: 'aten::repeat_interleave', args: [r] }),
    want: [[[3], [0, 0, 2]]],
    opsets: [11, 21],
  },
  {
    label: 'torch.tensor_split(X(7), 3)',
    inputs: [X(7)],
    call: ([x]) => ({ op: 'aten::tensor_split', args: [x, 3], overload: 'sections' }),
    want: [[[3], [0, 1, 2]], [[2], [3, 4]], [[2], [5, 6]]],
  },
  {
    label: 'torch.tensor_split(X(2,n), 3, 1) with n = 5 dynamic',
    inputs: [{ shape: [2, 'n'], run: [2, 5] }],
    call: ([x]) => ({ op: 'aten::tensor_split', args: [x, 3, 1], overload: 'sections' }),
    want: [[[2, 2], [0, 1, 5, 6]], [[2, 2], [2, 3, 7, 8]], [[2, 1], [4, 9]]],
    opsets: [13, 21],
  },
  {
    label: 'torch.tensor_split(X(7), [5,2,-1])',
    inputs: [X(7)],
    call: ([x]) => ({ op: 'aten::tensor_split', args: [x, [5, 2, -1]], overload: 'indices' }),
    want: [[[5], [0, 1, 2, 3, 4]], [[0], []], [[4], [2, 3, 4, 5]], [[1], [6]]],
  },
  {
    label: 'torch.nonzero(torch.tensor([[0,1,0],[2,0,3]]), as_tuple=True)',
    inputs: [{ shape: [2, 3], data: [0, 1, 0, 2, 0, 3] }],
    call: ([x]) => ({ op: 'aten::nonzero_numpy', args: [x] }),
    want: [[[3], [0, 1, 1]], [[3], [1, 0, 2]]],
  },
  {
    label: 'torch._unique2(torch.tensor([3.,1,3,2,1,5]), True, True, True)',
    inputs: [{ shape: [6], data: [3, 1, 3, 2, 1, 5] }],
    call: ([x]) => ({ op: 'aten::_unique2', args: [x, true, true, true] }),
    want: [[[4], [1, 2, 3, 5]], [[6], [2, 0, 2, 1, 0, 3]], [[4], [2, 1, 2, 1]]],
  },
  {
    label: 'torch._unique2(float64 [[3,1,3],[2,1,5]], True, True, False)',
    inputs: [D('float64', [2, 3], [3, 1, 3, 2, 1, 5])],
    call: ([x]) => ({ op: 'aten::_unique2', args: [x, true, true, false] }),
    want: [[[4], [1, 2, 3, 5]], [[2, 3], [2, 0, 2, 1, 0, 3]], [[0], []]],
  },
  {
    label: 'torch.unique(int64 [[3,1],[1,2],[3,1],[0,5]], dim=0, return_inverse=True, return_counts=True)',
    inputs: [D('int64', [4, 2], [3, 1, 1, 2, 3, 1, 0, 5])],
    call: ([x]) => ({ op: 'aten::unique_dim', args: [x, 0, true, true, true] }),
    want: [[[3, 2], [0, 5, 1, 2, 3, 1]], [[4], [2, 1, 2, 0]], [[3], [1, 1, 2]]],
  },
  {
    label: 'torch.unique(int64 [[3,1],[1,2],[3,1],[0,5]], dim=1, return_inverse=True, return_counts=True)',
    inputs: [D('int64', [4, 2], [3, 1, 1, 2, 3, 1, 0, 5])],
    call: ([x]) => ({ op: 'aten::unique_dim', args: [x, 1, true, true, true] }),
    want: [[[4, 2], [1, 3, 2, 1, 1, 3, 5, 0]], [[2], [1, 0]], [[2], [1, 1]]],
  },
  {
    label: 'torch._unique(torch.tensor([3.,1,3,2,1,5]), True, True)',
    inputs: [{ shape: [6], data: [3, 1, 3, 2, 1, 5] }],
    call: ([x]) => ({ op: 'aten::_unique', args: [x, true, true] }),
    want: [[[4], [1, 2, 3, 5]], [[6], [2, 0, 2, 1, 0, 3]]],
  },
  {
    label: 'torch.unique_consecutive(torch.tensor(3.), return_inverse=True, return_counts=True)',
    inputs: [{ shape: [], data: [3] }],
    call: ([x]) => ({ op: 'aten::unique_consecutive', args: [x, true, true] }),
    want: [[[1], [3]], [[], [0]], [[1], [1]]],
  },
  {
    label: 'torch._unique2(torch.tensor(4.), True, True, True)',
    inputs: [{ shape: [], data: [4] }],
    call: ([x]) => ({ op: 'aten::_unique2', args: [x, true, true, true] }),
    want: [[[1], [4]], [[], [0]], [[1], [1]]],
  },
  {
    label: 'torch.unique_consecutive(torch.tensor([1.,1,2,2,3,1]), return_inverse=True, return_counts=True)',
    inputs: [{ shape: [6], data: [1, 1, 2, 2, 3, 1] }],
    call: ([x]) => ({ op: 'aten::unique_consecutive', args: [x, true, true] }),
    want: [[[4], [1, 2, 3, 1]], [[6], [0, 0, 1, 1, 2, 3]], [[4], [2, 2, 1, 1]]],
  },
  {
    label: 'torch.unique_consecutive(int64 [[1,2],[1,2],[3,4]], dim=0, return_inverse=True, return_counts=True)',
    inputs: [D('int64', [3, 2], [1, 2, 1, 2, 3, 4])],
    call: ([x]) => ({ op: 'aten::unique_consecutive', args: [x, true, true, 0] }),
    want: [[[2, 2], [1, 2, 3, 4]], [[3], [0, 0, 1]], [[2], [2, 1]]],
  },
  {
    label: 'torch.unique_consecutive(int32 [[1,1],[2,2]], return_inverse=True)',
    inputs: [D('int32', [2, 2], [1, 1, 2, 2])],
    call: ([x]) => ({ op: 'aten::unique_consecutive', args: [x, true] }),
    want: [[[2], [1, 2]], [[2, 2], [0, 0, 1, 1]], [[0], []]],
  },
];

describe('broadcasting, stacking, windows, repeats, splits and unique match torch', () => {
  for (const c of MORE_CASES) it(c.label, () => checkCase(c));
});

describe('shape rules of broadcasting, stacking, windows, repeats, splits and unique', () => {
  const f = (...shape: Dim[]) => tensorValue('float32', shape);
  const shapes = (call: Call) => infer(call).map((t) => (t as TensorType).shape);

  it('gives the shapes torch gives, keeping or inventing dynamic dims', () => {
    expect(shapes({ op: 'aten::broadcast_tensors', args: [[f('n', 1), f(3)]] })).toEqual([['n', 3], ['n', 3]]);
    expect(shapes({ op: 'aten::meshgrid', args: [[f('n'), f(3)]], kwargs: { indexing: 'xy' } })).toEqual([[3, 'n'], [3, 'n']]);
    expect(shapes({ op: 'aten::atleast_2d', args: [[f(), f(4), f(2, 3, 4)]] })).toEqual([[1, 1], [1, 4], [2, 3, 4]]);
    expect(shapes({ op: 'aten::column_stack', args: [[f('n'), f('n', 2)]] })).toEqual([['n', 3]]);
    expect(shapes({ op: 'aten::hstack', args: [[f(0), f(2, 3)]] })).toEqual([[2, 3]]);
    expect(shapes({ op: 'aten::rot90', args: [f(2, 'h', 'w'), 3, [1, 2]] })).toEqual([[2, 'w', 'h']]);
    expect(shapes({ op: 'aten::unfold', args: [f(2, 10), 1, 3, 2] })).toEqual([[2, 4, 3]]);
    expect(shapes({ op: 'aten::unfold', args: [f(), 0, 1, 1] })).toEqual([[1]]);
    expect(shapes({ op: 'aten::unfold', args: [f('n', 2), 0, 3, 1] })[0]).toEqual(['unfold_dim_0', 2, 3]);
    expect(shapes({ op: 'aten::repeat_interleave', args: [f(2, 3), 2] })).toEqual([[12]]);
    expect(shapes({ op: 'aten::repeat_interleave', args: [f('n', 3), 2, 1], kwargs: { output_size: 6 } })).toEqual([['n', 6]]);
    expect(shapes({ op: 'aten::tensor_split', args: [f(2, 5), [1, 1, 9], 1], overload: 'indices' })).toEqual([[2, 1], [2, 0], [2, 4], [2, 0]]);
    expect(shapes({ op: 'aten::tensor_split', args: [f(2, 5), 7, 1], overload: 'sections' })).toHaveLength(7);
    expect(shapes({ op: 'aten::nonzero_numpy', args: [f(2, 3, 4)] })).toEqual(Array(3).fill(['nonzero_numpy_dim_0']));
    expect(shapes({ op: 'aten::_unique2', args: [f(2, 3)] })).toEqual([['unique_dim_0'], [0], [0]]);
    expect(shapes({ op: 'aten::unique_dim', args: [f(4, 2), 0, true, true] })).toEqual([['unique_dim_dim_0', 2], [4], [0]]);
    expect(shapes({ op: 'aten::unique_consecutive', args: [f(4, 2), true, true, 1] })).toEqual([[4, 'unique_consecutive_dim_0'], [2], ['unique_consecutive_dim_0']]);
    expect(infer({ op: 'aten::numel', args: [f('n', 3)] })).toEqual([{ kind: 'scalar', scalar: 'int' }]);
    expect(infer({ op: 'aten::column_stack', args: [[tensorValue('int32', [2]), f(2)]] })[0]).toMatchObject({ dtype: 'float32' });
  });

  it('refuses what torch refuses', () => {
    const refused = (call: Call) => {
      try {
        infer(call);
      } catch (e) {
        return e instanceof TsonnxError ? e.code : String(e);
      }
      return 'accepted';
    };
    expect(refused({ op: 'aten::broadcast_tensors', args: [[f(2, 3), f(4, 3)]] })).toBe('TRACE_TYPE');
    expect(refused({ op: 'aten::meshgrid', args: [[f(2), tensorValue('int64', [3])]] })).toBe('TRACE_TYPE');
    expect(refused({ op: 'aten::meshgrid', args: [[f(2, 2)]] })).toBe('TRACE_TYPE');
    expect(refused({ op: 'aten::meshgrid', args: [[f(2)]], kwargs: { indexing: 'yx' } })).toBe('TRACE_TYPE');
    expect(refused({ op: 'aten::vstack', args: [[f(3), f(2, 2)]] })).toBe('TRACE_TYPE');
    expect(refused({ op: 'aten::rot90', args: [f(2, 3), 1, [1, 1]] })).toBe('TRACE_TYPE');
    expect(refused({ op: 'aten::rot90', args: [f(3), 1, [0, 1]] })).toBe('TRACE_TYPE');
    expect(refused({ op: 'aten::unfold', args: [f(2, 3), 1, 4, 1] })).toBe('TRACE_TYPE');
    expect(refused({ op: 'aten::unfold', args: [f(2, 3), 1, 2, 0] })).toBe('TRACE_TYPE');
    expect(refused({ op: 'aten::repeat_interleave', args: [f(3), -1] })).toBe('TRACE_TYPE');
    expect(refused({ op: 'aten::repeat_interleave', args: [f(3), tensorValue('int64', [2]), 0] })).toBe('TRACE_TYPE');
    expect(refused({ op: 'aten::tensor_split', args: [f(3), 0], overload: 'sections' })).toBe('TRACE_TYPE');
    expect(refused({ op: 'aten::tensor_split', args: [f(3), scalarValue('int')], overload: 'sections' })).toBe('TRACE_UNSUPPORTED');
    expect(refused({ op: 'aten::tensor_split', args: [f(3), tensorValue('int64', [2])], overload: 'tensor_indices_or_sections' })).toBe('TRACE_UNSUPPORTED');
    expect(refused({ op: 'aten::tensor_split', args: [f(3), tensorValue('float32', [])], overload: 'tensor_indices_or_sections' })).toBe('TRACE_TYPE');
    expect(refused({ op: 'aten::_unique2', args: [f(3), false] })).toBe('TRACE_UNSUPPORTED');
    expect(refused({ op: 'aten::_unique', args: [f(3), false] })).toBe('TRACE_UNSUPPORTED');
    expect(refused({ op: 'aten::unique_dim', args: [f(3), 0, false] })).toBe('accepted');
    expect(refused({ op: 'aten::repeat_interleave', args: [f(), 2, 0] })).toBe('TRACE_TYPE');
    expect(refused({ op: 'aten::repeat_interleave', args: [f(3), 2], kwargs: { output_size: 5 } })).toBe('TRACE_TYPE');
    expect(refused({ op: 'aten::unique_consecutive', args: [f(), false, false, -1] })).toBe('TRACE_TYPE');
    expect(refused({ op: 'aten::unfold', args: [f(), -1, 1, 1] })).toBe('accepted');
  });

  it('needs Range for windows and repeats sized at run time', () => {
    const lowered = (call: Call, opset: number) => {
      try {
        return opTypes(lowerOp(call, opset).graph);
      } catch (e) {
        return e instanceof TsonnxError ? e.code : String(e);
      }
    };
    expect(lowered({ op: 'aten::unfold', args: [f('n', 2), 0, 2, 1] }, 10)).toBe('OP_OPSET');
    expect(lowered({ op: 'aten::repeat_interleave', args: [f('n'), 2] }, 10)).toBe('OP_OPSET');
    expect(lowered({ op: 'aten::repeat_interleave', args: [f(3), 2] }, 7)).toContain('Gather');
  });

  it('splits tensor_split by a tensor known at conversion time', async () => {
    const x = tensorValue('float32', [7]);
    const sections = tensorValue('int64', []);
    const known = new Map([[sections, { type: { kind: 'tensor' as const, dtype: 'int64' as const, shape: [] }, values: [3] }]]);
    expect(shapes({ op: 'aten::tensor_split', args: [x, sections], overload: 'tensor_indices_or_sections', known })).toEqual([[3], [2], [2]]);
  });
});
