import { describe, expect, it } from 'vitest';
import type { Arg, Dim, GValue } from '../../../src/ir/torch-graph.js';
import { PyFloat } from '../../../src/archive/types.js';
import { expectClose, infer, lowerOp, opTypes, pattern, runOp, tensorValue } from '../harness.js';

/** Batched row-major matrix product: a [batch, n, k] · b [batch, k, m] (batch 1 when absent). */
function matmul(a: readonly number[], b: readonly number[], n: number, k: number, m: number, batch = 1): number[] {
  const out: number[] = [];
  for (let s = 0; s < batch; s++) {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < m; j++) {
        let acc = 0;
        for (let p = 0; p < k; p++) acc += a[s * n * k + i * k + p] * b[s * k * m + p * m + j];
        out.push(acc);
      }
    }
  }
  return out;
}

function transposed(a: readonly number[], rows: number, cols: number): number[] {
  return Array.from({ length: rows * cols }, (_, i) => a[(i % rows) * cols + Math.floor(i / rows)]);
}

const size = (shape: readonly Dim[]) => (shape as number[]).reduce((a, b) => a * b, 1);

interface Input {
  shape: Dim[];
  data?: number[];
}

/** Runs an op whose tensor arguments are `Input`s; data defaults to a pattern. */
async function run(op: string, args: Array<Input | Arg | Input[]>, opset: number, kwargs?: Record<string, Arg>) {
  const feeds = new Map<GValue, number[]>();
  let seed = 0;
  const bind = (arg: Input | Arg | Input[]): Arg => {
    if (Array.isArray(arg)) return arg.map(bind);
    if (arg === null || typeof arg !== 'object' || !('shape' in arg)) return arg as Arg;
    const v = tensorValue('float32', arg.shape);
    feeds.set(v, arg.data ?? pattern(size(arg.shape), 37, 101, 50 + seed++, 0.1));
    return v;
  };
  const [out] = await runOp({ op, args: args.map(bind), kwargs }, { opset, feeds });
  return out;
}

describe('linear', () => {
  const x = pattern(6);
  const w = pattern(12, 13, 7, 3, 0.25);
  const b = [0.5, -1, 0.25, 2];

  it('2-D input with bias: one Gemm(transB=1)', async () => {
    const want = matmul(x, transposed(w, 4, 3), 2, 3, 4).map((v, i) => v + b[i % 4]);
    for (const opset of [7, 13, 21]) {
      const out = await run('aten::linear', [{ shape: [2, 3], data: x }, { shape: [4, 3], data: w }, { shape: [4], data: b }], opset);
      expect(out.dims).toEqual([2, 4]);
      expectClose(out.data, want);
    }
    const { graph } = lowerOp({ op: 'aten::linear', args: [tensorValue('float32', [2, 3]), tensorValue('float32', [4, 3]), tensorValue('float32', [4])] }, 13);
    expect(opTypes(graph)).toEqual(['Gemm']);
    expect(graph.nodes[0].attrs).toEqual({ transB: 1 });
  });

  it('N-D input: MatMul with the transposed weight, then Add', async () => {
    const x3 = pattern(12);
    const want = matmul(x3, transposed(w, 4, 3), 4, 3, 4).map((v, i) => v + b[i % 4]);
    const out = await run('aten::linear', [{ shape: [2, 2, 3], data: x3 }, { shape: [4, 3], data: w }, { shape: [4], data: b }], 9);
    expect(out.dims).toEqual([2, 2, 4]);
    expectClose(out.data, want);
    const { graph } = lowerOp({ op: 'aten::linear', args: [tensorValue('float32', ['N', 2, 3]), tensorValue('float32', [4, 3]), tensorValue('float32', [4])] }, 13);
    expect(opTypes(graph)).toEqual(['Transpose', 'MatMul', 'Add']);
  });

  it('2-D input without bias: MatMul only', async () => {
    const out = await run('aten::linear', [{ shape: [2, 3], data: x }, { shape: [4, 3], data: w }, null], 7);
    expectClose(out.data, matmul(x, transposed(w, 4, 3), 2, 3, 4));
  });

  it('infers [..., out_features] and keeps dynamic axes', () => {
    expect(infer({ op: 'aten::linear', args: [tensorValue('float32', ['B', 'T', 16]), tensorValue('float32', [32, 16])] })).toEqual([
      { kind: 'tensor', dtype: 'float32', shape: ['B', 'T', 32] },
    ]);
    expect(() => infer({ op: 'aten::linear', args: [tensorValue('float32', [2, 8]), tensorValue('float32', [4, 3])] })).toThrow(/inner dimensions/);
  });
});

describe('matmul family', () => {
  const shapeOf = (a: Dim[], b: Dim[]) => infer({ op: 'aten::matmul', args: [tensorValue('float32', a), tensorValue('float32', b)] })[0];

  it('follows torch.matmul shape rules, 1-D promotion and batch broadcasting included', () => {
    expect(shapeOf([3], [3])).toMatchObject({ shape: [] });
    expect(shapeOf([2, 3], [3])).toMatchObject({ shape: [2] });
    expect(shapeOf([3], [5, 3, 4])).toMatchObject({ shape: [5, 4] });
    expect(shapeOf([2, 1, 3, 4], [5, 4, 2])).toMatchObject({ shape: [2, 5, 3, 2] });
    expect(shapeOf(['B', 'H', 'T', 8], ['B', 'H', 8, 'S'])).toMatchObject({ shape: ['B', 'H', 'T', 'S'] });
  });

  it('runs as MatMul with the same results', async () => {
    const v = pattern(3);
    const m = pattern(30, 37, 101, 51, 0.1);
    const out = await run('aten::matmul', [{ shape: [3], data: v }, { shape: [5, 3, 2], data: m }], 7);
    expect(out.dims).toEqual([5, 2]);
    expectClose(out.data, matmul(Array(5).fill(v).flat(), m, 1, 3, 2, 5));
    const dot = await run('aten::matmul', [{ shape: [3], data: v }, { shape: [3], data: [1, 2, 3] }], 13);
    expect(dot.dims).toEqual([]);
    expectClose(dot.data, [v[0] + 2 * v[1] + 3 * v[2]]);
  });

  it('mm and bmm', async () => {
    const a = pattern(6);
    const b = pattern(12, 37, 101, 51, 0.1);
    expectClose((await run('aten::mm', [{ shape: [2, 3], data: a }, { shape: [3, 4], data: b }], 7)).data, matmul(a, b, 2, 3, 4));
    const a3 = pattern(12);
    const b3 = pattern(12, 37, 101, 51, 0.1);
    const out = await run('aten::bmm', [{ shape: [2, 2, 3], data: a3 }, { shape: [2, 3, 2], data: b3 }], 13);
    expect(out.dims).toEqual([2, 2, 2]);
    expectClose(out.data, matmul(a3, b3, 2, 3, 2, 2));
    expect(() => infer({ op: 'aten::bmm', args: [tensorValue('float32', [2, 3]), tensorValue('float32', [3, 2])] })).toThrow(/3-D/);
  });

  it('addmm is one Gemm with alpha and beta', async () => {
    const self = [1, 2, 3, 4];
    const a = pattern(6);
    const b = pattern(12, 37, 101, 51, 0.1);
    const want = matmul(a, b, 2, 3, 4).map((v, i) => 2 * v + 0.5 * self[i % 4]);
    const out = await run('aten::addmm', [{ shape: [4], data: self }, { shape: [2, 3], data: a }, { shape: [3, 4], data: b }], 7, { beta: new PyFloat(0.5), alpha: 2 });
    expect(out.dims).toEqual([2, 4]);
    expectClose(out.data, want);
  });

  it('baddbmm scales both terms, and ignores self when beta = 0', async () => {
    const self = pattern(8, 3, 5, 2, 0.5);
    const a = pattern(12);
    const b = pattern(12, 37, 101, 51, 0.1);
    const product = matmul(a, b, 2, 3, 2, 2);
    const batches = [{ shape: [2, 2, 3], data: a }, { shape: [2, 3, 2], data: b }];
    const scaled = await run('aten::baddbmm', [{ shape: [2, 2, 2], data: self }, ...batches], 13, { beta: new PyFloat(0.5), alpha: new PyFloat(2) });
    expectClose(scaled.data, product.map((v, i) => 2 * v + 0.5 * self[i]));
    const nan = await run('aten::baddbmm', [{ shape: [2, 2, 2], data: Array(8).fill(NaN) }, ...batches], 13, { beta: 0, alpha: new PyFloat(2) });
    expectClose(nan.data, product.map((v) => 2 * v));
  });
});

describe('transposes', () => {
  it('t swaps a matrix and leaves vectors alone', async () => {
    const out = await run('aten::t', [{ shape: [2, 3], data: [1, 2, 3, 4, 5, 6] }], 7);
    expect(out.dims).toEqual([3, 2]);
    expect(out.data).toEqual([1, 4, 2, 5, 3, 6]);
    expect(infer({ op: 'aten::t', args: [tensorValue('float32', ['N'])] })).toMatchObject([{ shape: ['N'] }]);
    expect(() => infer({ op: 'aten::t', args: [tensorValue('float32', [1, 2, 3])] })).toThrow(/at most 2/);
  });

  it('numpy_T reverses all dims', async () => {
    const out = await run('aten::numpy_T', [{ shape: [2, 1, 3], data: [1, 2, 3, 4, 5, 6] }], 7);
    expect(out.dims).toEqual([3, 1, 2]);
    expect(out.data).toEqual([1, 4, 2, 5, 3, 6]);
  });
});

describe('einsum', () => {
  const einsum = (equation: string, shapes: Dim[][]) =>
    infer({ op: 'aten::einsum', args: [equation, shapes.map((s) => tensorValue('float32', s))] })[0];

  it('infers explicit, implicit and ellipsis outputs', () => {
    expect(einsum('bij,bjk->bik', [[2, 3, 4], [2, 4, 5]])).toMatchObject({ shape: [2, 3, 5] });
    expect(einsum('ij,jk', [[3, 4], [4, 5]])).toMatchObject({ shape: [3, 5] });
    expect(einsum('ba,ca', [[3, 4], [5, 4]])).toMatchObject({ shape: [3, 5] });
    expect(einsum('...ij,...jk->...ik', [['B', 1, 3, 4], [7, 4, 5]])).toMatchObject({ shape: ['B', 7, 3, 5] });
    expect(einsum('i, j -> ij', [[2], [3]])).toMatchObject({ shape: [2, 3] });
    expect(einsum('ii->i', [[4, 4]])).toMatchObject({ shape: [4] });
    expect(() => einsum('ij,jk->ik', [[3, 4], [5, 6]])).toThrow(/do not match/);
  });

  it('lowers to Einsum with an explicit output from opset 12', async () => {
    const a = pattern(12);
    const b = pattern(8, 37, 101, 51, 0.1);
    const out = await run('aten::einsum', ['ij,jk', [{ shape: [3, 4], data: a }, { shape: [4, 2], data: b }]], 12);
    expect(out.dims).toEqual([3, 2]);
    expectClose(out.data, matmul(a, b, 3, 4, 2));
    const { graph } = lowerOp({ op: 'aten::einsum', args: ['ba, ca', [tensorValue('float32', [3, 4]), tensorValue('float32', [5, 4])]] }, 12);
    expect(graph.nodes[0].attrs).toEqual({ equation: 'ba,ca->bc' });
  });

  it('is one batched MatMul between permutes below opset 12', async () => {
    const a = pattern(24);
    const b = pattern(12, 37, 101, 51, 0.1);
    // 'jbi,bj->bi': b is a batch label, j is contracted; the MatMul reads [b, i, j] x [b, j, 1].
    const out = await run('aten::einsum', ['jbi,bj->bi', [{ shape: [3, 2, 4], data: a }, { shape: [2, 3], data: b.slice(0, 6) }]], 11);
    expect(out.dims).toEqual([2, 4]);
    const want = [];
    for (let batch = 0; batch < 2; batch++) {
      for (let i = 0; i < 4; i++) {
        let sum = 0;
        for (let j = 0; j < 3; j++) sum += a[j * 8 + batch * 4 + i] * b[batch * 3 + j];
        want.push(sum);
      }
    }
    expectClose(out.data, want);
    const { graph } = lowerOp({ op: 'aten::einsum', args: ['bhid,bhjd->bhij', [tensorValue('float32', [2, 3, 5, 4]), tensorValue('float32', [2, 3, 6, 4])]] }, 11);
    expect(graph.nodes.map((n) => n.opType)).toEqual(['Transpose', 'MatMul']);
    const refuse = (equation: string, shapes: number[][]) =>
      expect(() => lowerOp({ op: 'aten::einsum', args: [equation, shapes.map((s) => tensorValue('float32', s))] }, 11)).toThrow(/opset 12/);
    refuse('ii->i', [[4, 4]]);
    refuse('ij,jk,kl->il', [[2, 3], [3, 4], [4, 5]]);
    refuse('...ij,...jk->...ik', [[2, 3, 4], [2, 4, 5]]);
    refuse('ij,jk->ik', [[3, 1], [4, 5]]);
  });
});
