import { describe, expect, it } from 'vitest';
import type { Dim, TensorType } from '../../../src/ir/torch-graph.js';
import { checkCase, infer, lowerOp, opTypes, pattern, tensorValue, type CaseInput, type OpCase } from '../harness.js';

/*
 * Reference outputs come from torch 1.13.1 with X(*s) = torch.arange(numel).reshape(s) (float32),
 * P(*s) = [((i*37) % 101 - 50) * 0.1 for i in range(numel)] (float32), L = int64 and B = bool
 * tensors; each case's label is the torch expression.
 */
const X = (...shape: Dim[]): CaseInput => ({ shape });
const L = (shape: number[], data: number[]): CaseInput => ({ shape, dtype: 'int64', data });
const B = (shape: number[], data: boolean[]): CaseInput => ({ shape, dtype: 'bool', data });
const P25 = [-5, -1.3, 2.4, -4, -0.3, 3.4, -3, 0.7, 4.4, -2];
const F = (shape: number[], data: number[]): CaseInput => ({ shape, data });

const CASES: OpCase[] = [
  {
    label: 'torch.index_select(X(3,4), 1, L([2,0]))',
    inputs: [X(3, 4), L([2], [2, 0])],
    call: ([x, i]) => ({ op: 'aten::index_select', args: [x, 1, i] }),
    want: [[[3, 2], [2, 0, 6, 4, 10, 8]]],
  },
  {
    label: 'torch.index_select(X(3,4), 0, L(1)) keeps the dim',
    inputs: [X(3, 4), L([], [1])],
    call: ([x, i]) => ({ op: 'aten::index_select', args: [x, 0, i] }),
    want: [[[1, 4], [4, 5, 6, 7]]],
  },
  {
    label: 'torch.gather(X(3,4), 1, L([[0,3],[1,1]]))',
    inputs: [X(3, 4), L([2, 2], [0, 3, 1, 1])],
    call: ([x, i]) => ({ op: 'aten::gather', args: [x, 1, i] }),
    want: [[[2, 2], [0, 3, 5, 5]]],
  },
  {
    label: 'torch.zeros(3,4).scatter(1, L([[0,3],[1,2]]), X(3,5)+1) reads the index-shaped corner of src',
    inputs: [F([3, 4], Array(12).fill(0)), L([2, 2], [0, 3, 1, 2]), { shape: [3, 5], data: Array.from({ length: 15 }, (_, i) => i + 1) }],
    call: ([x, i, s]) => ({ op: 'aten::scatter', args: [x, 1, i, s] }),
    want: [[[3, 4], [1, 0, 0, 2, 0, 6, 7, 0, 0, 0, 0, 0]]],
  },
  {
    label: 'torch.zeros(3,4).scatter(0, L([[0,2,1,0]]), 7.5)',
    inputs: [F([3, 4], Array(12).fill(0)), L([1, 4], [0, 2, 1, 0])],
    call: ([x, i]) => ({ op: 'aten::scatter', args: [x, 0, i, 7.5], overload: 'value' }),
    want: [[[3, 4], [7.5, 0, 0, 7.5, 0, 0, 7.5, 0, 0, 7.5, 0, 0]]],
  },
  {
    label: 'torch.ones(2,3).scatter(1, L([[0,0],[2,1]]), X(2,2)+1, reduce="add")',
    inputs: [F([2, 3], Array(6).fill(1)), L([2, 2], [0, 0, 2, 1]), F([2, 2], [1, 2, 3, 4])],
    call: ([x, i, s]) => ({ op: 'aten::scatter', args: [x, 1, i, s], kwargs: { reduce: 'add' } }),
    want: [[[2, 3], [4, 1, 1, 1, 5, 4]]],
    opsets: [16, 21],
  },
  {
    label: 'torch.ones(2,3).scatter(1, L([[0,0],[2,1]]), X(2,2)+2, reduce="multiply")',
    inputs: [F([2, 3], Array(6).fill(1)), L([2, 2], [0, 0, 2, 1]), F([2, 2], [2, 3, 4, 5])],
    call: ([x, i, s]) => ({ op: 'aten::scatter', args: [x, 1, i, s], kwargs: { reduce: 'multiply' } }),
    want: [[[2, 3], [6, 1, 1, 1, 5, 4]]],
    opsets: [16, 21],
  },
  {
    label: 'torch.ones(2,3).scatter_add(1, L([[0,0],[2,1]]), X(2,2)+1)',
    inputs: [F([2, 3], Array(6).fill(1)), L([2, 2], [0, 0, 2, 1]), F([2, 2], [1, 2, 3, 4])],
    call: ([x, i, s]) => ({ op: 'aten::scatter_add', args: [x, 1, i, s] }),
    want: [[[2, 3], [4, 1, 1, 1, 5, 4]]],
  },
  {
    label: 'torch.embedding(X(5,3), L([[4,0],[2,2]]))',
    inputs: [X(5, 3), L([2, 2], [4, 0, 2, 2])],
    call: ([w, i]) => ({ op: 'aten::embedding', args: [w, i] }),
    want: [[[2, 2, 3], [12, 13, 14, 0, 1, 2, 6, 7, 8, 6, 7, 8]]],
  },
  {
    label: 'torch.take(X(3,4), L([[11,0],[5,7]]))',
    inputs: [X(3, 4), L([2, 2], [11, 0, 5, 7])],
    call: ([x, i]) => ({ op: 'aten::take', args: [x, i] }),
    want: [[[2, 2], [11, 0, 5, 7]]],
  },
  {
    label: 'X(3,4)[L([2,0])]',
    inputs: [X(3, 4), L([2], [2, 0])],
    call: ([x, i]) => ({ op: 'aten::index', args: [x, [i]] }),
    want: [[[2, 4], [8, 9, 10, 11, 0, 1, 2, 3]]],
  },
  {
    label: 'X(2,4,3)[:, L([[0,1],[3,2]])]',
    inputs: [X(2, 4, 3), L([2, 2], [0, 1, 3, 2])],
    call: ([x, i]) => ({ op: 'aten::index', args: [x, [null, i]] }),
    want: [[[2, 2, 2, 3], [0, 1, 2, 3, 4, 5, 9, 10, 11, 6, 7, 8, 12, 13, 14, 15, 16, 17, 21, 22, 23, 18, 19, 20]]],
  },
  {
    label: 'X(3,4)[L([0,2,1]), L([3,0,1])]',
    inputs: [X(3, 4), L([3], [0, 2, 1]), L([3], [3, 0, 1])],
    call: ([x, i, j]) => ({ op: 'aten::index', args: [x, [i, j]] }),
    want: [[[3], [3, 8, 5]]],
    opsets: [11, 13, 21],
  },
  {
    label: 'X(2,3,4)[:, L([[0],[2]]), L([1,3])] (adjacent, kept in place)',
    inputs: [X(2, 3, 4), L([2, 1], [0, 2]), L([2], [1, 3])],
    call: ([x, i, j]) => ({ op: 'aten::index', args: [x, [null, i, j]] }),
    want: [[[2, 2, 2], [1, 3, 9, 11, 13, 15, 21, 23]]],
    opsets: [11, 13, 21],
  },
  {
    label: 'X(3,4,5)[L([1,2]), :, L([0,4])] (apart, moved to the front)',
    inputs: [X(3, 4, 5), L([2], [1, 2]), L([2], [0, 4])],
    call: ([x, i, j]) => ({ op: 'aten::index', args: [x, [i, null, j]] }),
    want: [[[2, 4], [20, 25, 30, 35, 44, 49, 54, 59]]],
    opsets: [11, 13, 21],
  },
  {
    label: 'X(4,3)[B([T,F,T,T])]',
    inputs: [X(4, 3), B([4], [true, false, true, true])],
    call: ([x, m]) => ({ op: 'aten::index', args: [x, [m]] }),
    want: [[[3, 3], [0, 1, 2, 6, 7, 8, 9, 10, 11]]],
    opsets: [9, 13, 21],
  },
  {
    label: 'X(2,4)[:, B([F,T,T,F])]',
    inputs: [X(2, 4), B([4], [false, true, true, false])],
    call: ([x, m]) => ({ op: 'aten::index', args: [x, [null, m]] }),
    want: [[[2, 2], [1, 2, 5, 6]]],
    opsets: [9, 13, 21],
  },
  {
    label: 'X(3,4)[X(3,4)%3==0]',
    inputs: [X(3, 4), B([3, 4], Array.from({ length: 12 }, (_, i) => i % 3 === 0))],
    call: ([x, m]) => ({ op: 'aten::index', args: [x, [m]] }),
    want: [[[4], [0, 3, 6, 9]]],
    opsets: [11, 13, 21],
  },
  {
    label: 'X(3,4)[X(3,4)%3==0] = torch.tensor(0.5)',
    inputs: [X(3, 4), B([3, 4], Array.from({ length: 12 }, (_, i) => i % 3 === 0)), F([], [0.5])],
    call: ([x, m, v]) => ({ op: 'aten::index_put', args: [x, [m], v] }),
    want: [[[3, 4], [0.5, 1, 2, 0.5, 4, 5, 0.5, 7, 8, 0.5, 10, 11]]],
    opsets: [9, 13, 21],
  },
  {
    label: 'X(2,3)[:, B([T,F,T])] = torch.tensor([7.]) (mask on an inner dim)',
    inputs: [X(2, 3), B([3], [true, false, true]), F([1], [7])],
    call: ([x, m, v]) => ({ op: 'aten::index_put', args: [x, [null, m], v] }),
    want: [[[2, 3], [7, 1, 7, 7, 4, 7]]],
    opsets: [9, 13],
  },
  {
    label: 'X(4,3)[L([3,1])] = -X(2,3)',
    inputs: [X(4, 3), L([2], [3, 1]), F([2, 3], [-0, -1, -2, -3, -4, -5])],
    call: ([x, i, v]) => ({ op: 'aten::index_put', args: [x, [i], v] }),
    want: [[[4, 3], [0, 1, 2, -3, -4, -5, 6, 7, 8, -0, -1, -2]]],
    opsets: [11, 13, 21],
  },
  {
    label: 'X(2,4)[:, L([0,2])] = torch.tensor([9.,8.]) (broadcast values)',
    inputs: [X(2, 4), L([2], [0, 2]), F([2], [9, 8])],
    call: ([x, i, v]) => ({ op: 'aten::index_put', args: [x, [null, i], v] }),
    want: [[[2, 4], [9, 1, 8, 3, 9, 5, 8, 7]]],
    opsets: [11, 13, 21],
  },
  {
    label: 'X(3,4)[L([0,2]), L([1,3])] = torch.tensor([-1.,-2.])',
    inputs: [X(3, 4), L([2], [0, 2]), L([2], [1, 3]), F([2], [-1, -2])],
    call: ([x, i, j, v]) => ({ op: 'aten::index_put', args: [x, [i, j], v] }),
    want: [[[3, 4], [0, -1, 2, 3, 4, 5, 6, 7, 8, 9, 10, -2]]],
    opsets: [11, 13, 21],
  },
  {
    label: 'X(2,3,4)[:, L([[0],[2]]), L([1,3])] = X(2,2)+100',
    inputs: [X(2, 3, 4), L([2, 1], [0, 2]), L([2], [1, 3]), F([2, 2], [100, 101, 102, 103])],
    call: ([x, i, j, v]) => ({ op: 'aten::index_put', args: [x, [null, i, j], v] }),
    want: [[[2, 3, 4], [0, 100, 2, 101, 4, 5, 6, 7, 8, 102, 10, 103, 12, 100, 14, 101, 16, 17, 18, 19, 20, 102, 22, 103]]],
    opsets: [11, 13, 21],
  },
  {
    label: 'X(3).index_put_([L([0,0,2])], torch.tensor([1.,2.,3.]), accumulate=True)',
    inputs: [X(3), L([3], [0, 0, 2]), F([3], [1, 2, 3])],
    call: ([x, i, v]) => ({ op: 'aten::index_put', args: [x, [i], v, true] }),
    want: [[[3], [3, 1, 5]]],
    opsets: [16, 21],
  },
  {
    label: 'X(4)[B([T,F,T,F])] = torch.tensor([10.,20.])',
    inputs: [X(4), B([4], [true, false, true, false]), F([2], [10, 20])],
    call: ([x, m, v]) => ({ op: 'aten::index_put', args: [x, [m], v] }),
    want: [[[4], [10, 1, 20, 3]]],
    opsets: [11, 13, 21],
  },
  {
    label: 'torch.nonzero(torch.tensor([[0.,1,0],[2,0,3]]))',
    inputs: [F([2, 3], [0, 1, 0, 2, 0, 3])],
    call: ([x]) => ({ op: 'aten::nonzero', args: [x] }),
    want: [[[3, 2], [0, 1, 1, 0, 1, 2]]],
  },
  {
    label: 'P(2,5).topk(2, 1)',
    inputs: [F([2, 5], P25)],
    call: ([x]) => ({ op: 'aten::topk', args: [x, 2, 1] }),
    want: [
      [[2, 2], [2.4, -0.3, 4.4, 3.4]],
      [[2, 2], [2, 4, 3, 0]],
    ],
    close: true,
  },
  {
    label: 'P(2,5).topk(3, 1, largest=False)',
    inputs: [F([2, 5], P25)],
    call: ([x]) => ({ op: 'aten::topk', args: [x, 3, 1, false] }),
    want: [
      [[2, 3], [-5, -4, -1.3, -3, -2, 0.7]],
      [[2, 3], [0, 3, 1, 1, 4, 2]],
    ],
    close: true,
    opsets: [11, 13, 21],
  },
  {
    label: 'P(2,5).topk(k, 1) with k a run-time int',
    inputs: [F([2, 5], P25), { shape: [], int: 2 }],
    call: ([x, k]) => ({ op: 'aten::topk', args: [x, k, 1] }),
    want: [
      [[2, 2], [2.4, -0.3, 4.4, 3.4]],
      [[2, 2], [2, 4, 3, 0]],
    ],
    close: true,
    opsets: [10, 13],
  },
  {
    label: 'P(2,5).sort(1)',
    inputs: [F([2, 5], P25)],
    call: ([x]) => ({ op: 'aten::sort', args: [x, 1] }),
    want: [
      [[2, 5], [-5, -4, -1.3, -0.3, 2.4, -3, -2, 0.7, 3.4, 4.4]],
      [[2, 5], [0, 3, 1, 4, 2, 1, 4, 2, 0, 3]],
    ],
    close: true,
    opsets: [11, 13, 21],
  },
  {
    label: 'P(2,5).sort(0, descending=True)',
    inputs: [F([2, 5], P25)],
    call: ([x]) => ({ op: 'aten::sort', args: [x, 0, true] }),
    want: [
      [[2, 5], [3.4, -1.3, 2.4, 4.4, -0.3, -5, -3, 0.7, -4, -2]],
      [[2, 5], [1, 0, 0, 1, 0, 0, 1, 1, 0, 1]],
    ],
    close: true,
  },
  {
    label: 'P(n,5).argsort(1, descending=True), n dynamic',
    inputs: [{ shape: ['n', 5], run: [2, 5], data: P25 }],
    call: ([x]) => ({ op: 'aten::argsort', args: [x, 1, true] }),
    want: [[[2, 5], [2, 4, 1, 3, 0, 3, 0, 2, 4, 1]]],
  },
  {
    label: 'P(2,n).sort(stable=True, dim=1), n dynamic',
    inputs: [{ shape: [2, 'n'], run: [2, 5], data: P25 }],
    call: ([x]) => ({ op: 'aten::sort', args: [x], kwargs: { stable: true, dim: 1 }, overload: 'stable' }),
    want: [
      [[2, 5], [-5, -4, -1.3, -0.3, 2.4, -3, -2, 0.7, 3.4, 4.4]],
      [[2, 5], [0, 3, 1, 4, 2, 1, 4, 2, 0, 3]],
    ],
    close: true,
    opsets: [11, 13],
  },
  {
    label: 'F.one_hot(L([3,0,1]), 4)',
    inputs: [L([3], [3, 0, 1])],
    call: ([x]) => ({ op: 'aten::one_hot', args: [x, 4] }),
    want: [[[3, 4], [0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 0]]],
  },  {
    label: 'torch.gather(torch.tensor([[1., inf], [nan, -2.]]), 1, L([[1,1],[0,1]])) passes infinities and NaNs through',
    inputs: [F([2, 2], [1, Infinity, NaN, -2]), L([2, 2], [1, 1, 0, 1])],
    call: ([x, i]) => ({ op: 'aten::gather', args: [x, 1, i] }),
    want: [[[2, 2], [Infinity, Infinity, NaN, -2]]],
    opsets: [9, 10, 11, 21],
  },
  {
    label: 'torch.gather(X(3,4), 0, L([[2,0],[1,2]])) (index smaller than self)',
    inputs: [X(3, 4), L([2, 2], [2, 0, 1, 2])],
    call: ([x, i]) => ({ op: 'aten::gather', args: [x, 0, i] }),
    want: [[[2, 2], [8, 1, 4, 9]]],
    opsets: [9, 10, 11, 21],
  },
  {
    label: 'torch.ones(3,4).scatter_add(0, L([[0,2],[0,1]]), X(2,3)+1) (duplicates, index smaller than self)',
    inputs: [F([3, 4], Array(12).fill(1)), L([2, 2], [0, 2, 0, 1]), F([2, 3], [1, 2, 3, 4, 5, 6])],
    call: ([x, i, s]) => ({ op: 'aten::scatter_add', args: [x, 0, i, s] }),
    want: [[[3, 4], [6, 1, 1, 1, 1, 6, 1, 1, 1, 3, 1, 1]]],
    opsets: [9, 11, 15, 16, 21],
  },
  {
    label: 'torch.ones(2,3,dtype=int64).scatter_add(1, L([[0,0],[2,1]]), L([[5,6],[7,8]]))',
    inputs: [L([2, 3], [1, 1, 1, 1, 1, 1]), L([2, 2], [0, 0, 2, 1]), L([2, 2], [5, 6, 7, 8])],
    call: ([x, i, s]) => ({ op: 'aten::scatter_add', args: [x, 1, i, s] }),
    want: [[[2, 3], [12, 1, 1, 1, 9, 8]]],
    opsets: [9, 13, 16],
  },
  {
    label: 'X(3,4).index_add(1, L([3,0,3]), torch.ones(3,3), alpha=2.5)',
    inputs: [X(3, 4), L([3], [3, 0, 3]), F([3, 3], Array(9).fill(1))],
    call: ([x, i, s]) => ({ op: 'aten::index_add', args: [x, 1, i, s], kwargs: { alpha: 2.5 } }),
    want: [[[3, 4], [2.5, 1, 2, 8, 6.5, 5, 6, 12, 10.5, 9, 10, 16]]],
    opsets: [9, 13, 16, 21],
  },
  {
    label: 'torch.arange(6).reshape(2,3).index_add(0, L([1,1]), torch.ones(2,3,dtype=int64), alpha=3)',
    inputs: [L([2, 3], [0, 1, 2, 3, 4, 5]), L([2], [1, 1]), L([2, 3], [1, 1, 1, 1, 1, 1])],
    call: ([x, i, s]) => ({ op: 'aten::index_add', args: [x, 0, i, s], kwargs: { alpha: 3 } }),
    want: [[[2, 3], [0, 1, 2, 9, 10, 11]]],
  },
  {
    label: 'X(3,4).index_copy(0, L([2,0]), -X(2,4))',
    inputs: [X(3, 4), L([2], [2, 0]), F([2, 4], [-0, -1, -2, -3, -4, -5, -6, -7])],
    call: ([x, i, s]) => ({ op: 'aten::index_copy', args: [x, 0, i, s] }),
    want: [[[3, 4], [-4, -5, -6, -7, 4, 5, 6, 7, -0, -1, -2, -3]]],
  },
  {
    label: 'X(3,4).index_fill(1, L([1,3]), -1.5)',
    inputs: [X(3, 4), L([2], [1, 3])],
    call: ([x, i]) => ({ op: 'aten::index_fill', args: [x, 1, i, -1.5], overload: 'int_Scalar' }),
    want: [[[3, 4], [0, -1.5, 2, -1.5, 4, -1.5, 6, -1.5, 8, -1.5, 10, -1.5]]],
  },
  {
    label: 'X(2,3).index_fill(1, L([-1]), 9.) counts a negative index from the end',
    inputs: [X(2, 3), L([1], [-1])],
    call: ([x, i]) => ({ op: 'aten::index_fill', args: [x, 1, i, 9], overload: 'int_Scalar' }),
    want: [[[2, 3], [0, 1, 9, 3, 4, 9]]],
    opsets: [9, 10, 11, 21],
  },
  {
    label: 'X(n,4).index_fill(0, L(2), torch.tensor(7.)), n dynamic',
    inputs: [{ shape: ['n', 4], run: [3, 4] }, L([], [2]), F([], [7])],
    call: ([x, i, v]) => ({ op: 'aten::index_fill', args: [x, 0, i, v], overload: 'int_Tensor' }),
    want: [[[3, 4], [0, 1, 2, 3, 4, 5, 6, 7, 7, 7, 7, 7]]],
  },
  {
    label: "torch.tensor([5.,7,9,1]).scatter_reduce(0, L([0,0,1,3]), torch.tensor([2.,4,6,8]), 'mean', include_self=False)",
    inputs: [F([4], [5, 7, 9, 1]), L([4], [0, 0, 1, 3]), F([4], [2, 4, 6, 8])],
    call: ([x, i, s]) => ({ op: 'aten::scatter_reduce', args: [x, 0, i, s, 'mean'], kwargs: { include_self: false } }),
    want: [[[4], [3, 6, 9, 8]]],
  },
  {
    label: "torch.tensor([5,7,9,1]).scatter_reduce(0, L([0,0,1,3]), torch.tensor([-2,4,6,8]), 'mean') floors",
    inputs: [L([4], [5, 7, 9, 1]), L([4], [0, 0, 1, 3]), L([4], [-2, 4, 6, 8])],
    call: ([x, i, s]) => ({ op: 'aten::scatter_reduce', args: [x, 0, i, s, 'mean'] }),
    want: [[[4], [2, 6, 9, 4]]],
  },
  {
    label: "torch.tensor([5.,7,9,1]).scatter_reduce(0, L([0,0,1,3]), torch.tensor([2.,4,6,8]), 'prod', include_self=False)",
    inputs: [F([4], [5, 7, 9, 1]), L([4], [0, 0, 1, 3]), F([4], [2, 4, 6, 8])],
    call: ([x, i, s]) => ({ op: 'aten::scatter_reduce', args: [x, 0, i, s, 'prod'], kwargs: { include_self: false } }),
    want: [[[4], [8, 6, 9, 8]]],
  },
  {
    label: "torch.tensor([5.,7,9,1]).scatter_reduce(0, L([0,0,1,3]), torch.tensor([2.,4,6,8]), 'amax', include_self=False)",
    inputs: [F([4], [5, 7, 9, 1]), L([4], [0, 0, 1, 3]), F([4], [2, 4, 6, 8])],
    call: ([x, i, s]) => ({ op: 'aten::scatter_reduce', args: [x, 0, i, s, 'amax'], kwargs: { include_self: false } }),
    want: [[[4], [4, 6, 9, 8]]],
    opsets: [11, 12, 16, 17, 18, 21],
  },
  {
    label: "torch.tensor([5.,7,9,1]).scatter_reduce(0, L([0,0,1,3]), torch.tensor([2.,4,6,8]), 'amin')",
    inputs: [F([4], [5, 7, 9, 1]), L([4], [0, 0, 1, 3]), F([4], [2, 4, 6, 8])],
    call: ([x, i, s]) => ({ op: 'aten::scatter_reduce', args: [x, 0, i, s, 'amin'] }),
    want: [[[4], [2, 6, 9, 1]]],
    opsets: [11, 12, 16, 17, 18, 21],
  },
  {
    label: "torch.tensor([[5,-7,2],[1,4,-3]]).scatter_reduce(1, L([[2,2],[0,2]]), L([[-1,9],[6,-8]]), 'amin', include_self=False) (index smaller than self)",
    inputs: [L([2, 3], [5, -7, 2, 1, 4, -3]), L([2, 2], [2, 2, 0, 2]), L([2, 2], [-1, 9, 6, -8])],
    call: ([x, i, s]) => ({ op: 'aten::scatter_reduce', args: [x, 1, i, s, 'amin'], kwargs: { include_self: false } }),
    want: [[[2, 3], [5, -7, -1, 6, 4, -8]]],
    opsets: [11, 12, 16, 18, 21],
  },
  {
    label: "torch.ones(3,3).scatter_reduce(0, L([[2,0],[2,2]]), X(2,2)+0.5, 'amax') (index smaller than self)",
    inputs: [F([3, 3], Array(9).fill(1)), L([2, 2], [2, 0, 2, 2]), F([2, 2], [0.5, 1.5, 2.5, 3.5])],
    call: ([x, i, s]) => ({ op: 'aten::scatter_reduce', args: [x, 0, i, s, 'amax'] }),
    want: [[[3, 3], [1, 1.5, 1, 1, 1, 1, 2.5, 3.5, 1]]],
    opsets: [11, 12, 16, 18, 21],
  },
  {
    label: "X(2,3).index_reduce(1, L([0,2,0]), torch.tensor([[2.,3,4],[5,6,7]]), 'prod', include_self=False)",
    inputs: [X(2, 3), L([3], [0, 2, 0]), F([2, 3], [2, 3, 4, 5, 6, 7])],
    call: ([x, i, s]) => ({ op: 'aten::index_reduce', args: [x, 1, i, s, 'prod'], kwargs: { include_self: false } }),
    want: [[[2, 3], [8, 1, 3, 35, 4, 6]]],
  },
  {
    label: "X(2,3).index_reduce(1, L([0,2,0]), torch.tensor([[2.,3,4],[5,6,7]]), 'mean')",
    inputs: [X(2, 3), L([3], [0, 2, 0]), F([2, 3], [2, 3, 4, 5, 6, 7])],
    call: ([x, i, s]) => ({ op: 'aten::index_reduce', args: [x, 1, i, s, 'mean'] }),
    want: [[[2, 3], [2, 1, 2.5, 5, 4, 5.5]]],
  },
  {
    label: 'torch.masked_select(X(3), B([[T,F,T],[F,T,T]])) broadcasts',
    inputs: [X(3), B([2, 3], [true, false, true, false, true, true])],
    call: ([x, m]) => ({ op: 'aten::masked_select', args: [x, m] }),
    want: [[[4], [0, 2, 1, 2]]],
  },
  {
    label: 'X(2,3).masked_scatter(B([T,F,T]), X(6)+10)',
    inputs: [X(2, 3), B([3], [true, false, true]), F([6], [10, 11, 12, 13, 14, 15])],
    call: ([x, m, s]) => ({ op: 'aten::masked_scatter', args: [x, m, s] }),
    opsets: [9, 10, 11, 21],
    want: [[[2, 3], [10, 1, 11, 12, 4, 13]]],
  },
  {
    label: 'X(2,2).masked_scatter(B([[F,F],[F,F]]), torch.tensor([7.,8,9])) leaves self as it is',
    inputs: [X(2, 2), B([2, 2], [false, false, false, false]), F([3], [7, 8, 9])],
    call: ([x, m, s]) => ({ op: 'aten::masked_scatter', args: [x, m, s] }),
    want: [[[2, 2], [0, 1, 2, 3]]],
    opsets: [9, 11, 21],
  },
  {
    label: 'torch.take_along_dim(X(1,4), L([[0],[3],[1]]), 1) broadcasts',
    inputs: [X(1, 4), L([3, 1], [0, 3, 1])],
    call: ([x, i]) => ({ op: 'aten::take_along_dim', args: [x, i, 1] }),
    want: [[[3, 1], [0, 3, 1]]],
    opsets: [9, 11, 21],
  },
  {
    label: 'torch.take_along_dim(X(3,4), L([[11,0],[5,7]]))',
    inputs: [X(3, 4), L([2, 2], [11, 0, 5, 7])],
    call: ([x, i]) => ({ op: 'aten::take_along_dim', args: [x, i] }),
    want: [[[4], [11, 0, 5, 7]]],
  },
  {
    label: 'torch.bucketize(torch.tensor([[0.5,1,2.5],[nan,-inf,3]]), torch.tensor([1.,2,3]))',
    inputs: [F([2, 3], [0.5, 1, 2.5, NaN, -Infinity, 3]), F([3], [1, 2, 3])],
    call: ([x, b]) => ({ op: 'aten::bucketize', args: [x, b] }),
    want: [[[2, 3], [0, 0, 2, 3, 0, 2]]],
  },
  {
    label: 'torch.bucketize(torch.tensor([[0.5,1,2.5],[nan,-inf,3]]), torch.tensor([1.,2,3]), right=True, out_int32=True)',
    inputs: [F([2, 3], [0.5, 1, 2.5, NaN, -Infinity, 3]), F([3], [1, 2, 3])],
    call: ([x, b]) => ({ op: 'aten::bucketize', args: [x, b], kwargs: { right: true, out_int32: true } }),
    want: [[[2, 3], [0, 1, 2, 3, 0, 3]]],
  },
  {
    label: "torch.searchsorted(torch.tensor([[1.,2,3],[0,5,6]]), torch.tensor([[2.,5.5],[1,7]]), side='right')",
    inputs: [F([2, 3], [1, 2, 3, 0, 5, 6]), F([2, 2], [2, 5.5, 1, 7])],
    call: ([s, x]) => ({ op: 'aten::searchsorted', args: [s, x], kwargs: { side: 'right' } }),
    want: [[[2, 2], [2, 3, 1, 3]]],
  },
  {
    label: 'torch.searchsorted(torch.tensor([3.,1,2]), torch.tensor([2.5,0]), sorter=L([1,2,0]))',
    inputs: [F([3], [3, 1, 2]), F([2], [2.5, 0]), L([3], [1, 2, 0])],
    call: ([s, x, k]) => ({ op: 'aten::searchsorted', args: [s, x], kwargs: { sorter: k } }),
    want: [[[2], [2, 0]]],
    opsets: [9, 11, 21],
  },
  {
    label: 'torch.isin(torch.tensor([1.,2,nan,inf]), torch.tensor([[2.,nan],[inf,5]]))',
    inputs: [F([4], [1, 2, NaN, Infinity]), F([2, 2], [2, NaN, Infinity, 5])],
    call: ([x, t]) => ({ op: 'aten::isin', args: [x, t] }),
    want: [[[4], [0, 1, 0, 1]]],
    opsets: [9, 10, 11, 21],
  },
  {
    label: 'torch.isin(L([1,2,3]), 2, invert=True)',
    inputs: [L([3], [1, 2, 3])],
    call: ([x]) => ({ op: 'aten::isin', args: [x, 2], kwargs: { invert: true } }),
    want: [[[3], [1, 0, 1]]],
  },
  {
    label: 'torch.embedding_renorm_(W, L([[0,2],[1,0]]), 2.5, 2.) (row 3 is over max_norm but not named)',
    inputs: [F([4, 3], [3, 4, 0, 0.1, 0.2, 0, -2, 1, 2, 3, 3, 3]), L([2, 2], [0, 2, 1, 0])],
    call: ([w, i]) => ({ op: 'aten::embedding_renorm', args: [w, i, 2.5, 2] }),
    want: [[[4, 3], [1.5, 2, 0, 0.1, 0.2, 0, -1.6666666269302368, 0.8333333134651184, 1.6666666269302368, 3, 3, 3]]],
    close: true,
  },
  {
    label: 'torch.embedding_renorm_(W, L([[0,2],[1,0]]), 2.5, 3.) (row 3 is over max_norm but not named)',
    inputs: [F([4, 3], [3, 4, 0, 0.1, 0.2, 0, -2, 1, 2, 3, 3, 3]), L([2, 2], [0, 2, 1, 0])],
    call: ([w, i]) => ({ op: 'aten::embedding_renorm', args: [w, i, 2.5, 3] }),
    want: [[[4, 3], [1.6674294471740723, 2.2232391834259033, 0, 0.1, 0.2, 0, -1.944555401802063, 0.9722777009010315, 1.944555401802063, 3, 3, 3]]],
    close: true,
  },
  {
    label: 'torch.embedding_renorm_(W, L([[0,2],[1,0]]), 2.5, inf) (row 3 is over max_norm but not named)',
    inputs: [F([4, 3], [3, 4, 0, 0.1, 0.2, 0, -2, 1, 2, 3, 3, 3]), L([2, 2], [0, 2, 1, 0])],
    call: ([w, i]) => ({ op: 'aten::embedding_renorm', args: [w, i, 2.5, Infinity] }),
    want: [[[4, 3], [1.875, 2.5, 0, 0.1, 0.2, 0, -2, 1, 2, 3, 3, 3]]],
    close: true,
  },
  {
    label: 'torch.embedding_renorm_(W, L([[0,2],[1,0]]), 2.5, 0.) (row 3 is over max_norm but not named)',
    inputs: [F([4, 3], [3, 4, 0, 0.1, 0.2, 0, -2, 1, 2, 3, 3, 3]), L([2, 2], [0, 2, 1, 0])],
    call: ([w, i]) => ({ op: 'aten::embedding_renorm', args: [w, i, 2.5, 0] }),
    want: [[[4, 3], [3, 4, 0, 0.1, 0.2, 0, -1.6666666269302368, 0.8333333134651184, 1.6666666269302368, 3, 3, 3]]],
    close: true,
  },
  {
    label: 'torch.histc(H, 4, 0, 3): the top edge counts, values outside do not',
    inputs: [F([10], [-1.2, 0.3, 0.7, 1.5, 2.9, 3.0, -0.1, 0.0, 2.2, 5.0])],
    call: ([x]) => ({ op: 'aten::histc', args: [x, 4, 0, 3] }),
    want: [[[4], [3, 0, 2, 2]]],
  },
  {
    label: 'torch.histc(H, 6) over the data range',
    inputs: [F([10], [-1.2, 0.3, 0.7, 1.5, 2.9, 3.0, -0.1, 0.0, 2.2, 5.0])],
    call: ([x]) => ({ op: 'aten::histc', args: [x, 6] }),
    want: [[[6], [1, 4, 1, 2, 1, 1]]],
  },
  {
    label: 'torch.histc(torch.tensor([2.,2.]), 4) widens an empty range by 1',
    inputs: [F([2], [2, 2])],
    call: ([x]) => ({ op: 'aten::histc', args: [x, 4] }),
    want: [[[4], [0, 0, 2, 0]]],
  },
  {
    label: 'torch.embedding_bag(P(10,3), L([1,2,4,5,4,3,7]), offsets) sum, per_sample_weights: all four outputs',
    inputs: [F([10, 3], pattern(30)), L([7], [1, 2, 4, 5, 4, 3, 7]), L([4], [0, 2, 2, 5]), F([7], [0.5, 1, 2, -1, 0.25, 3, 1.5])],
    call: ([w, i, o, s]) => ({ op: 'aten::embedding_bag', overload: 'padding_idx', args: [w, i, o, false, 0, false, s, false, null] }),
    want: [[[4, 3], [-5.0, 0.55, 6.1, 0.0, 0.0, 0.0, -2.25, 2.375, -5.625, -3.0, -1.5, -15.15]], [[0], []], [[4], [0, 0, 0, 0]], [[4], [0, 0, 0, 0]]],
    close: true,
    opsets: [9, 16, 18, 21],
  },
  {
    label: 'torch.embedding_bag(P(10,3), L([1,2,4,5,4,3,7]), offsets) mean, padding_idx=4: all four outputs',
    inputs: [F([10, 3], pattern(30)), L([7], [1, 2, 4, 5, 4, 3, 7]), L([4], [0, 2, 2, 5])],
    call: ([w, i, o]) => ({ op: 'aten::embedding_bag', overload: 'padding_idx', args: [w, i, o, false, 1, false, null, false, 4] }),
    want: [[[4, 3], [-3.5, 0.2, 3.9, 0.0, 0.0, 0.0, 0.0, 3.7, -2.7, 0.0, -1.35, -2.7]], [[7], [0, 0, 2, 2, 2, 3, 3]], [[4], [2, 0, 1, 2]], [[4], [2, 0, 1, 2]]],
    close: true,
    opsets: [9, 16, 18, 21],
  },
  {
    label: 'torch.embedding_bag(P(10,3), L([1,2,4,5,4,3,7]), offsets) max, padding_idx=4, include_last_offset: all four outputs',
    inputs: [F([10, 3], pattern(30)), L([7], [1, 2, 4, 5, 4, 3, 7]), L([5], [0, 2, 2, 5, 7])],
    call: ([w, i, o]) => ({ op: 'aten::embedding_bag', overload: 'padding_idx', args: [w, i, o, false, 2, false, null, true, 4] }),
    want: [[[4, 3], [-3.0, 0.7, 4.4, 0.0, 0.0, 0.0, 0.0, 3.7, -2.7, 2.0, 1.7, -0.7]], [[7], [0, 0, 2, 2, 2, 3, 3]], [[4], [2, 0, 1, 2]], [[4, 3], [2, 2, 2, 0, 0, 0, 5, 5, 5, 7, 3, 7]]],
    close: true,
    opsets: [9, 16, 18, 21],
  },
  {
    label: 'torch.embedding_bag(P(10,3), L([1,2,4,5,4,3,7]), offsets) sum, padding_idx=4, include_last_offset: all four outputs',
    inputs: [F([10, 3], pattern(30)), L([7], [1, 2, 4, 5, 4, 3, 7]), L([5], [0, 2, 2, 5, 7])],
    call: ([w, i, o]) => ({ op: 'aten::embedding_bag', overload: 'padding_idx', args: [w, i, o, false, 0, false, null, true, 4] }),
    want: [[[4, 3], [-7.0, 0.4, 7.8, 0.0, 0.0, 0.0, 0.0, 3.7, -2.7, 0.0, -2.7, -5.4]], [[7], [0, 0, 2, 2, 2, 3, 3]], [[4], [0, 0, 0, 0]], [[4], [0, 0, 0, 0]]],
    close: true,
    opsets: [9, 16, 18, 21],
  },
  {
    label: 'torch.embedding_bag(P(10,3), L([1,2,4,5,4,3,7]), offsets) max: all four outputs',
    inputs: [F([10, 3], pattern(30)), L([7], [1, 2, 4, 5, 4, 3, 7]), L([4], [0, 2, 2, 5])],
    call: ([w, i, o]) => ({ op: 'aten::embedding_bag', overload: 'padding_idx', args: [w, i, o, false, 2, false, null, false, null] }),
    want: [[[4, 3], [-3.0, 0.7, 4.4, 0.0, 0.0, 0.0, 0.0, 3.7, -2.7, 2.0, 1.7, -0.7]], [[7], [0, 0, 2, 2, 2, 3, 3]], [[4], [2, 0, 3, 2]], [[4, 3], [2, 2, 2, 0, 0, 0, 5, 5, 5, 7, 3, 7]]],
    close: true,
    opsets: [9, 16, 18, 21],
  },
  {
    label: 'torch.embedding_bag(P(10,3), L([1,2,4,5,4,3,7]), offsets) mean, padding_idx=-1, include_last_offset: all four outputs',
    inputs: [F([10, 3], pattern(30)), L([7], [1, 2, 4, 5, 4, 3, 7]), L([5], [0, 2, 2, 5, 7])],
    call: ([w, i, o]) => ({ op: 'aten::embedding_bag', overload: 'padding_idx', args: [w, i, o, false, 1, false, null, true, -1] }),
    want: [[[4, 3], [-3.5, 0.2, 3.9, 0.0, 0.0, 0.0, -0.666667, 3.033334, -3.366667, 0.0, -1.35, -2.7]], [[7], [0, 0, 2, 2, 2, 3, 3]], [[4], [2, 0, 3, 2]], [[4], [2, 0, 3, 2]]],
    close: true,
    opsets: [9, 16, 18, 21],
  },
  {
    label: 'torch.bincount(L([1,4,1]), minlength=3)',
    inputs: [L([3], [1, 4, 1])],
    call: ([x]) => ({ op: 'aten::bincount', args: [x], kwargs: { minlength: 3 } }),
    want: [[[5], [0, 2, 0, 0, 1]]],
  },
  {
    label: 'torch.bincount(L([1,4,1]), torch.tensor([0.5,2,1.25]), minlength=7)',
    inputs: [L([3], [1, 4, 1]), F([3], [0.5, 2, 1.25])],
    call: ([x, w]) => ({ op: 'aten::bincount', args: [x, w, 7] }),
    want: [[[7], [0, 1.75, 0, 0, 2, 0, 0]]],
  },
];

describe('index ops run in onnxruntime like torch', () => {
  for (const c of CASES) it(c.label, () => checkCase(c));
});

const shapes = (call: Parameters<typeof infer>[0]) => infer(call).map((t) => (t as TensorType).shape);

describe('shape rules', () => {
  it('places advanced-index dims like torch', () => {
    const x = tensorValue('float32', ['n', 4, 5, 6]);
    const i = tensorValue('int64', [2, 3]);
    const j = tensorValue('int64', [3]);
    expect(shapes({ op: 'aten::index', args: [x, [null, i]] })).toEqual([['n', 2, 3, 5, 6]]);
    expect(shapes({ op: 'aten::index', args: [x, [null, i, j]] })).toEqual([['n', 2, 3, 6]]);
    expect(shapes({ op: 'aten::index', args: [x, [null, i, null, j]] })).toEqual([[2, 3, 'n', 5]]);
    const [[count, rest]] = shapes({ op: 'aten::index', args: [x, [tensorValue('bool', ['n', 4])]] }) as Dim[][];
    expect(typeof count).toBe('string');
    expect(rest).toBe(5);
  });

  it('gives topk, sort and embedding their shapes and dtypes', () => {
    const x = tensorValue('float16', [2, 'n']);
    expect(infer({ op: 'aten::topk', args: [x, 3] })).toEqual([
      { kind: 'tensor', dtype: 'float16', shape: [2, 3] },
      { kind: 'tensor', dtype: 'int64', shape: [2, 3] },
    ]);
    expect(infer({ op: 'aten::argsort', args: [x] })).toEqual([{ kind: 'tensor', dtype: 'int64', shape: [2, 'n'] }]);
    const w = tensorValue('float32', [10, 4]);
    expect(shapes({ op: 'aten::embedding', args: [w, tensorValue('int64', ['b', 7])] })).toEqual([['b', 7, 4]]);
  });

  it('needs num_classes for one_hot unless the values are known', () => {
    const x = tensorValue('int64', [3]);
    expect(() => infer({ op: 'aten::one_hot', args: [x] })).toThrow(/pass num_classes/);
    const known = new Map([[x, { type: x.type as TensorType, values: [1, 5, 2] }]]);
    expect(shapes({ op: 'aten::one_hot', args: [x], known })).toEqual([[3, 6]]);
  });
});

describe('lowerings', () => {
  it('uses one Gather for a single index and Compress for a 1-D mask', () => {
    const x = tensorValue('float32', [3, 4]);
    expect(opTypes(lowerOp({ op: 'aten::index', args: [x, [null, tensorValue('int64', [2])]] }, 9).graph)).toEqual(['Gather']);
    expect(opTypes(lowerOp({ op: 'aten::index', args: [x, [tensorValue('bool', [3])]] }, 9).graph)).toEqual(['Compress']);
  });

  it('fails clearly where ONNX lacks the operator', () => {
    const x = tensorValue('float32', [3, 4]);
    const i = tensorValue('int64', [2]);
    expect(() => lowerOp({ op: 'aten::index', args: [x, [i, i]] }, 10)).toThrow(/needs opset 11/);
    expect(() => lowerOp({ op: 'aten::sort', args: [x] }, 10)).toThrow(/smallest-first topk\/sort needs opset 11/);
    expect(() => lowerOp({ op: 'aten::index_put', args: [x, [i], tensorValue('float32', [2, 4]), true] }, 13)).toThrow(/accumulate=True needs opset 16/);
  });

  it('passes k as an attribute before opset 10', () => {
    const x = tensorValue('float32', [3, 4]);
    const [node] = lowerOp({ op: 'aten::topk', args: [x, 2] }, 9).graph.nodes;
    expect([node.opType, node.inputs.length, node.attrs]).toEqual(['TopK', 1, { axis: 1, k: 2 }]);
  });
});

describe('shape rules and errors of the gather, scatter and search ops', () => {
  const x = tensorValue('float32', [3, 4]);
  const long = (shape: Dim[]) => tensorValue('int64', shape);

  it('gives data-dependent sizes fresh dims and broadcasts like torch', () => {
    const [[count]] = shapes({ op: 'aten::masked_select', args: [x, tensorValue('bool', [4])] }) as Dim[][];
    expect(typeof count).toBe('string');
    expect(shapes({ op: 'aten::masked_scatter', args: [tensorValue('float32', [4]), tensorValue('bool', [2, 1]), tensorValue('float32', [9])] })).toEqual([[2, 4]]);
    expect(shapes({ op: 'aten::take_along_dim', args: [tensorValue('float32', [1, 4]), long([3, 2]), 1] })).toEqual([[3, 2]]);
    expect(shapes({ op: 'aten::take_along_dim', args: [x, long([2, 5])] })).toEqual([[10]]);
    const [[bins]] = shapes({ op: 'aten::bincount', args: [long([6])] }) as Dim[][];
    expect(typeof bins).toBe('string');
    const values = long([3]);
    const known = new Map([[values, { type: values.type as TensorType, values: [1, 7, 2] }]]);
    expect(shapes({ op: 'aten::bincount', args: [values, null, 3], known })).toEqual([[8]]);
  });

  it('picks result dtypes as torch does', () => {
    const dtypes = (call: Parameters<typeof infer>[0]) => infer(call).map((t) => (t as TensorType).dtype);
    expect(dtypes({ op: 'aten::bucketize', args: [x, tensorValue('float32', [5])], kwargs: { out_int32: true } })).toEqual(['int32']);
    expect(dtypes({ op: 'aten::searchsorted', args: [tensorValue('int64', [5]), 2.5], overload: 'Scalar' })).toEqual(['int64']);
    expect(dtypes({ op: 'aten::bincount', args: [long([6]), tensorValue('float32', [6])] })).toEqual(['float32']);
    expect(dtypes({ op: 'aten::bincount', args: [long([6]), tensorValue('int64', [6])] })).toEqual(['float64']);
    expect(dtypes({ op: 'aten::isin', args: [2, long([3])], overload: 'Scalar_Tensor' })).toEqual(['bool']);
    const bag = infer({ op: 'aten::embedding_bag', args: [tensorValue('float32', [10, 3]), tensorValue('int32', [7]), tensorValue('int32', [4]), false, 2] });
    expect(bag).toEqual([
      { kind: 'tensor', dtype: 'float32', shape: [4, 3] },
      { kind: 'tensor', dtype: 'int32', shape: [7] },
      { kind: 'tensor', dtype: 'int32', shape: [4] },
      { kind: 'tensor', dtype: 'int32', shape: [4, 3] },
    ]);
    const sums = infer({ op: 'aten::embedding_bag', args: [tensorValue('float32', [10, 3]), long([7]), long(['b']), false, 0, false, null, true] });
    expect(sums.map((t) => (t as TensorType).shape)).toEqual([['b_bags', 3], [0], ['b_bags'], ['b_bags']]);
  });

  it('refuses what torch refuses', () => {
    const bad = (call: Parameters<typeof infer>[0]) => () => infer(call);
    expect(bad({ op: 'aten::index_add', args: [x, 1, long([2]), tensorValue('float32', [3, 3])] })).toThrow(/source tensor shape must match/);
    expect(bad({ op: 'aten::index_add', args: [x, 1, long([2]), tensorValue('float64', [3, 2])] })).toThrow(/should be the same/);
    expect(bad({ op: 'aten::index_copy', args: [x, 1, tensorValue('int32', [2]), tensorValue('float32', [3, 2])] })).toThrow(/index must be int64/);
    expect(bad({ op: 'aten::index_fill', args: [x, 1, long([2]), tensorValue('float32', [1])], overload: 'int_Tensor' })).toThrow(/0-dimensional value tensor/);
    expect(bad({ op: 'aten::index_fill', args: [x, 1, long([2, 1]), 1.5], overload: 'int_Scalar' })).toThrow(/supposed to be a vector/);
    expect(bad({ op: 'aten::scatter_reduce', args: [x, 1, long([3, 4]), x, 'max'] })).toThrow(/sum, prod, mean, amax or amin/);
    expect(bad({ op: 'aten::index_reduce', args: [x, 1, long([4]), x, 'sum'] })).toThrow(/prod, mean, amax or amin/);
    expect(bad({ op: 'aten::take_along_dim', args: [x, tensorValue('int32', [3, 1]), 1] })).toThrow(/should be Long/);
    expect(bad({ op: 'aten::take_along_dim', args: [x, long([3]), 1] })).toThrow(/same number of dimensions/);
    expect(bad({ op: 'aten::bucketize', args: [x, tensorValue('float32', [2, 2])] })).toThrow(/boundaries tensor must be 1 dimension/);
    expect(bad({ op: 'aten::searchsorted', args: [tensorValue('float32', [5]), x], kwargs: { right: true, side: 'left' } })).toThrow(/can't be set to opposites/);
    expect(bad({ op: 'aten::searchsorted', args: [tensorValue('float32', [2, 5]), x] })).toThrow(/first N-1 dimensions/);
    expect(bad({ op: 'aten::masked_select', args: [x, tensorValue('float32', [4])] })).toThrow(/mask must be bool or uint8/);
    expect(bad({ op: 'aten::bincount', args: [tensorValue('float32', [4])] })).toThrow(/not implemented for 'float32'/);
    expect(bad({ op: 'aten::bincount', args: [long([2, 2])] })).toThrow(/1-d non-negative/);
    expect(bad({ op: 'aten::histc', args: [long([4])] })).toThrow(/not implemented for 'int64'/);
    expect(bad({ op: 'aten::histc', args: [x, 4, 2, 1] })).toThrow(/max must be larger than min/);
    expect(bad({ op: 'aten::embedding_renorm', args: [tensorValue('float32', [4]), long([2]), 1, 2] })).toThrow(/must be 2-D/);
    const weight = tensorValue('float32', [10, 3]);
    expect(bad({ op: 'aten::embedding_bag', args: [weight, long([7]), long([2]), false, 1, false, tensorValue('float32', [7])] })).toThrow(/only supported with mode='sum'/);
  });
});

describe('lowerings of the gather and scatter ops', () => {
  const x = tensorValue('float32', [3, 4]);
  const index = tensorValue('int64', [3, 4]);

  it('gathers and scatters without GatherElements/ScatterElements before opset 11', () => {
    expect(opTypes(lowerOp({ op: 'aten::gather', args: [x, 1, index] }, 11).graph)).toEqual(['GatherElements']);
    expect(opTypes(lowerOp({ op: 'aten::gather', args: [x, 1, index] }, 9).graph)).toEqual(['Constant', 'Constant', 'OneHot', 'Cast', 'Unsqueeze', 'Constant', 'Where', 'ReduceSum']);
    expect(opTypes(lowerOp({ op: 'aten::scatter', args: [x, 1, index, x] }, 10).graph)).toEqual(['Scatter']);
    expect(opTypes(lowerOp({ op: 'aten::scatter_add', args: [x, 1, index, x] }, 16).graph)).toEqual(['ScatterElements']);
    expect(opTypes(lowerOp({ op: 'aten::scatter_add', args: [x, 1, index, x] }, 15).graph)).toContain('OneHot');
  });

  it('fails clearly where the ONNX reductions are missing', () => {
    expect(opTypes(lowerOp({ op: 'aten::scatter_reduce', args: [x, 1, index, x, 'amax'] }, 17).graph)).toContain('OneHot');
    expect(opTypes(lowerOp({ op: 'aten::scatter_reduce', args: [x, 1, index, x, 'amax'] }, 18).graph)).toEqual(['ScatterElements']);
    expect(() => lowerOp({ op: 'aten::scatter', args: [x, 1, index, x], kwargs: { reduce: 'multiply' } }, 15)).toThrow(/needs opset 16/);
  });
});
