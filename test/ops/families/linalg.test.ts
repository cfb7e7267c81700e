/**
 * Linear algebra: shape and dtype rules with torch's refusals, and lowerings run in onnxruntime —
 * the opset-dependent forms (Det from 11 against the cofactor expansion, cdist's matrix-product form,
 * renorm's Where from 9) and the closed forms for small matrices. Expected numbers come from torch 1.13.
 */
import { describe, expect, it } from 'vitest';
import { PyFloat } from '../../../src/archive/types.js';
import type { Arg, Dim, GValue, TensorType } from '../../../src/ir/torch-graph.js';
import { type Call, codeOf, expectClose, infer, lowerOp, opTypes, runOp, tensorValue } from '../harness.js';

const INF = new PyFloat(Infinity);
const f32 = (shape: Dim[]) => tensorValue('float32', shape);
const tensorType = (call: Call, output: number) => infer(call)[output] as TensorType;
const shapeOf = (call: Call, output = 0) => tensorType(call, output).shape;
const dtypeOf = (call: Call, output = 0) => tensorType(call, output).dtype;

/** Runs `op` on tensors given as [dtype, shape, data] (other arguments as they are) and returns every output. */
async function run(op: string, args: Array<[string, number[], number[]] | Arg>, opset: number, kwargs?: Record<string, Arg>) {
  const feeds = new Map<GValue, number[]>();
  const bound = args.map((arg) => {
    if (!Array.isArray(arg) || arg.length !== 3 || typeof arg[0] !== 'string') return arg as Arg;
    const [dtype, shape, data] = arg as [string, number[], number[]];
    const v = tensorValue(dtype as 'float32', shape);
    feeds.set(v, data);
    return v;
  });
  return runOp({ op, args: bound, kwargs }, { opset, feeds });
}

const M = [4, 7, 2, 3, 6, 1, 2, 5, 3];
const S = [4, 12, -16, 12, 37, -43, -16, -43, 98];

describe('vector products', () => {
  it('dot, mv, outer and tensordot follow torch shapes and refuse what it refuses', () => {
    expect(shapeOf({ op: 'aten::dot', args: [f32([3]), f32([3])] })).toEqual([]);
    expect(shapeOf({ op: 'aten::mv', args: [f32([2, 3]), f32([3])] })).toEqual([2]);
    expect(shapeOf({ op: 'aten::outer', args: [f32([2]), f32([5])] })).toEqual([2, 5]);
    expect(dtypeOf({ op: 'aten::outer', args: [tensorValue('int64', [2]), f32([5])] })).toBe('float32');
    expect(shapeOf({ op: 'aten::tensordot', args: [f32([2, 3, 4]), f32([3, 4, 5]), [1, 2], [0, 1]] })).toEqual([2, 5]);
    expect(shapeOf({ op: 'aten::tensordot', args: [f32(['n', 3]), f32([3, 'm']), [-1], [0]] })).toEqual(['n', 'm']);
    expect(shapeOf({ op: 'aten::inner', args: [f32([2, 3]), f32([4, 5, 3])] })).toEqual([2, 4, 5]);
    expect(() => infer({ op: 'aten::dot', args: [f32([3, 1]), f32([3])] })).toThrow(/1D tensors expected/);
    expect(() => infer({ op: 'aten::dot', args: [f32([3]), tensorValue('int64', [3])] })).toThrow(/should be the same/);
    expect(() => infer({ op: 'aten::dot', args: [f32([3]), f32([2])] })).toThrow(/inconsistent/);
    expect(() => infer({ op: 'aten::mv', args: [f32([2, 3]), f32([2])] })).toThrow(/size mismatch/);
    expect(() => infer({ op: 'aten::outer', args: [f32([2, 2]), f32([2])] })).toThrow(/1-D/);
    expect(() => infer({ op: 'aten::tensordot', args: [f32([2, 3]), f32([4, 2]), [1], [0]] })).toThrow(/contracted dimensions need to match/);
    expect(() => infer({ op: 'aten::tensordot', args: [f32([2, 3]), f32([3, 2]), [1], [0, 1]] })).toThrow(/same length/);
  });

  it('tensordot is one MatMul between two reshapes, dynamic sizes included', async () => {
    const { graph } = lowerOp({ op: 'aten::tensordot', args: [f32([2, 3]), f32([3, 4]), [1], [0]] }, 13);
    expect(opTypes(graph).filter((t) => t === 'MatMul')).toHaveLength(1);
    const [out] = await run('aten::tensordot', [['float32', [2, 3], [0, 1, 2, 3, 4, 5]], ['float32', [3, 4], [...Array(12).keys()]], [1], [0]], 7);
    expect(out.dims).toEqual([2, 4]);
    expect(out.data).toEqual([20, 23, 26, 29, 56, 68, 80, 92]);
    const x = f32(['n', 3]);
    const y = f32([3, 4]);
    const [dynamic] = await runOp({ op: 'aten::tensordot', args: [x, y, [1], [0]] }, {
      opset: 7, feeds: new Map([[x, [0, 1, 2, 3, 4, 5]], [y, [...Array(12).keys()]]]), shapes: new Map([[x, [2, 3]]]),
    });
    expect(dynamic.data).toEqual([20, 23, 26, 29, 56, 68, 80, 92]);
  });

  it('a contracted size of 1 against a larger one is summed first, as torch does', async () => {
    const [out] = await run('aten::tensordot', [['float32', [2, 3], [0, 1, 2, 3, 4, 5]], ['float32', [1, 2], [1, 1]], [1], [0]], 7);
    expect(out.dims).toEqual([2, 2]);
    expect(out.data).toEqual([3, 3, 12, 12]);
  });

  it('integer products need integer MatMul (opset 9); 8-bit outer products wrap like torch', async () => {
    const ints = () => [tensorValue('int64', [2]), tensorValue('int64', [2])];
    expect(codeOf(() => lowerOp({ op: 'aten::dot', args: ints() }, 8))).toBe('OP_OPSET');
    const [dot] = await run('aten::dot', [['int64', [2], [1, 2]], ['int64', [2], [3, 4]]], 9);
    expect(dot.data).toEqual([11]);
    const [outer] = await run('aten::outer', [['int8', [2], [100, 2]], ['int8', [2], [3, 4]]], 7);
    expect(outer.data).toEqual([44, -112, 6, 8]);
  });

  it('cross takes the first dim of size 3 without dim, and refuses ranks and sizes torch refuses', async () => {
    expect(shapeOf({ op: 'aten::cross', args: [f32([4, 3, 3]), f32([4, 3, 3]), null] })).toEqual([4, 3, 3]);
    expect(shapeOf({ op: 'aten::linalg_cross', args: [f32([4, 3]), f32([1, 3])] })).toEqual([4, 3]);
    expect(() => infer({ op: 'aten::linalg_cross', args: [f32([4, 3]), f32([3])] })).toThrow(/same number of dimensions/);
    expect(() => infer({ op: 'aten::linalg_cross', args: [f32([4, 4]), f32([4, 4])] })).toThrow(/must have length 3/);
    expect(() => infer({ op: 'aten::cross', args: [f32([4, 4]), f32([4, 4]), null] })).toThrow(/no dimension of size 3/);
    const [out] = await run('aten::linalg_cross', [['int64', [3], [1, 2, 3]], ['int64', [3], [4, 5, 6]]], 7);
    expect(out.data).toEqual([-3, 6, -3]);
  });
});

describe('distances', () => {
  const x: [string, number[], number[]] = ['float32', [2, 3], [1, 2, 3, 4, 5, 6]];
  const y: [string, number[], number[]] = ['float32', [2, 3], [0, 1, 0, 1, 0, 1]];

  it('cosine_similarity clamps each norm at eps, and broadcasts along the reduced dim', async () => {
    expectClose((await run('aten::cosine_similarity', [x, y], 7))[0].data, [0.5345225, 0.805823]);
    const [clamped] = await run('aten::cosine_similarity', [['float32', [2, 2], [1e-3, 2e-3, 3, 4]], ['float32', [2, 2], [2e-3, 1e-3, 1, 0]], 1, new PyFloat(0.1)], 7);
    expectClose(clamped.data, [4e-4, 0.6]);
    expect(shapeOf({ op: 'aten::cosine_similarity', args: [f32([1, 2]), f32([2, 1])] })).toEqual([2]);
    expect(codeOf(() => lowerOp({ op: 'aten::cosine_similarity', args: [f32([1, 2]), f32([2, 1])] }, 7))).toBe('OP_OPSET');
    const [broadcast] = await run('aten::cosine_similarity', [['float32', [1, 2], [1, 2]], ['float32', [2, 1], [3, 5]]], 8);
    expectClose(broadcast.data, [0.9486833, 0.9486833]);
    expect(() => infer({ op: 'aten::cosine_similarity', args: [tensorValue('int64', [2]), tensorValue('int64', [2]), 0] })).toThrow(/floating point/);
  });

  it('pairwise_distance is the norm of x1 - x2 + eps over the last dim', async () => {
    expectClose((await run('aten::pairwise_distance', [x, y], 7))[0].data, [3.3166263, 7.6811476]);
    expect(shapeOf({ op: 'aten::pairwise_distance', args: [f32([4, 3]), f32([3]), new PyFloat(2), new PyFloat(1e-6), true] })).toEqual([4, 1]);
    expect(shapeOf({ op: 'aten::pairwise_distance', args: [f32([]), f32([])] })).toEqual([]);
    expect(dtypeOf({ op: 'aten::pairwise_distance', args: [tensorValue('int64', [2, 3]), tensorValue('int64', [2, 3])] })).toBe('float32');
  });

  it('cdist takes torch\'s matrix-product form beyond 25 rows (or when asked), the direct form otherwise', async () => {
    const types = (rows: Dim, mode: number | null) => opTypes(lowerOp({ op: 'aten::cdist', args: [f32([rows, 3]), f32([4, 3]), new PyFloat(2), mode] }, 13).graph);
    expect(types(5, null)).not.toContain('MatMul');
    expect(types(26, null)).toContain('MatMul');
    expect(types('n', null)).toContain('MatMul');
    expect(types(5, 1)).toContain('MatMul');
    expect(types(26, 2)).not.toContain('MatMul');
    expectClose((await run('aten::cdist', [x, y], 7))[0].data, [3.3166249, 2.828427, 8.246211, 7.6811457]);
    expectClose((await run('aten::cdist', [x, y, new PyFloat(2), 1], 7))[0].data, [3.3166249, 2.828427, 8.246211, 7.6811457]);
    expect((await run('aten::cdist', [x, y, new PyFloat(1)], 7))[0].data).toEqual([5, 4, 14, 13]);
    expect(shapeOf({ op: 'aten::cdist', args: [f32([2, 1, 4, 3]), f32([5, 2, 3])] })).toEqual([2, 5, 4, 2]);
    expect(() => infer({ op: 'aten::cdist', args: [f32([2, 3]), f32([2, 4])] })).toThrow(/same number of columns/);
    expect(() => infer({ op: 'aten::cdist', args: [f32([3]), f32([2, 3])] })).toThrow(/at least 2-D/);
    expect(() => infer({ op: 'aten::cdist', args: [tensorValue('int64', [2, 3]), tensorValue('int64', [2, 3])] })).toThrow(/floating point/);
  });

  it('pdist: the distance of every pair of rows i < j', async () => {
    expect((await run('aten::pdist', [['float32', [3, 2], [0, 0, 3, 4, 6, 8]]], 7))[0].data).toEqual([5, 10, 5]);
    expect(shapeOf({ op: 'aten::pdist', args: [f32([5, 3])] })).toEqual([10]);
  });
});

describe('diagonals', () => {
  it('diagonal lengths follow the offset; dims must differ', () => {
    expect(shapeOf({ op: 'aten::diagonal', args: [f32([3, 4]), 1] })).toEqual([3]);
    expect(shapeOf({ op: 'aten::diagonal', args: [f32([2, 3, 4]), -1, 0, 2] })).toEqual([3, 1]);
    expect(shapeOf({ op: 'aten::diagonal', args: [f32([2, 3]), 5] })).toEqual([0]);
    expect(shapeOf({ op: 'aten::linalg_diagonal', args: [f32(['b', 3, 3])] })).toEqual(['b', 3]);
    expect(() => infer({ op: 'aten::diagonal', args: [f32([2, 3]), 0, 1, 1] })).toThrow(/cannot be identical/);
    expect(shapeOf({ op: 'aten::diag_embed', args: [f32([2, 3]), 1, 0, 2] })).toEqual([4, 2, 4]);
    expect(shapeOf({ op: 'aten::diag', args: [f32([3]), -1] })).toEqual([4, 4]);
    expect(() => infer({ op: 'aten::diag', args: [f32([2, 2, 2])] })).toThrow(/Supports 1D or 2D/);
    expect(dtypeOf({ op: 'aten::trace', args: [tensorValue('int32', [3, 3])] })).toBe('int64');
    expect(() => infer({ op: 'aten::trace', args: [f32([2, 2, 2])] })).toThrow(/expected a matrix/);
  });

  it('diagonals of dynamic size are refused at lowering, dynamic batch dims are kept', async () => {
    expect(codeOf(() => lowerOp({ op: 'aten::diagonal', args: [f32(['n', 'n'])] }, 13))).toBe('TRACE_UNSUPPORTED');
    const x = f32(['b', 2, 2]);
    const [out] = await runOp({ op: 'aten::linalg_diagonal', args: [x] }, { opset: 7, feeds: new Map([[x, [1, 2, 3, 4, 5, 6, 7, 8]]]), shapes: new Map([[x, [2, 2, 2]]]) });
    expect(out.data).toEqual([1, 4, 5, 8]);
  });

  it('diag, diag_embed (bool included, before Pad takes bool) and trace', async () => {
    expect((await run('aten::diag', [['float32', [3, 4], [...Array(12).keys()]], 1], 7))[0].data).toEqual([1, 6, 11]);
    expect((await run('aten::diag', [['float32', [2], [5, 6]], -1], 7))[0].data).toEqual([0, 0, 0, 5, 0, 0, 0, 6, 0]);
    const [embedded] = await run('aten::diag_embed', [['bool', [3], [1, 0, 1]], 1], 11);
    expect(embedded.data).toEqual([0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
    const [trace] = await run('aten::trace', [['int32', [3, 3], M]], 7);
    expect(trace).toMatchObject({ data: [13], dtype: 'int64' });
  });

  it('diagonal_scatter writes src on the diagonal', async () => {
    const [out] = await run('aten::diagonal_scatter', [['float32', [3, 4], Array(12).fill(0)], ['float32', [3], [1, 2, 3]], 1], 7);
    expect(out.data).toEqual([0, 1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 3]);
    expect(() => infer({ op: 'aten::diagonal_scatter', args: [f32([3, 4]), f32([4]), 1] })).toThrow(/size equal to the slice/);
  });
});

describe('determinants', () => {
  it('Det from opset 11, the cofactor expansion below it and for small float64 matrices', () => {
    const det = (shape: Dim[], opset: number, dtype: 'float32' | 'float64' = 'float32') =>
      opTypes(lowerOp({ op: 'aten::linalg_det', args: [tensorValue(dtype, shape)] }, opset).graph);
    expect(det([3, 3], 11)).toEqual(['Det']);
    expect(det([3, 3], 10)).not.toContain('Det');
    expect(det([3, 3], 11, 'float64')).not.toContain('Det');
    // onnxruntime's Det takes float32 only: larger float64 matrices go through it in float32.
    expect(det([5, 5], 11, 'float64')).toEqual(['Cast', 'Det', 'Cast']);
    expect(codeOf(() => det([5, 5], 10))).toBe('OP_OPSET');
    expect(codeOf(() => det(['n', 'n'], 10))).toBe('OP_OPSET');
    expect(shapeOf({ op: 'aten::linalg_det', args: [f32([2, 4, 3, 3])] })).toEqual([2, 4]);
    expect(() => infer({ op: 'aten::linalg_det', args: [f32([2, 3])] })).toThrow(/square/);
    expect(() => infer({ op: 'aten::det', args: [tensorValue('int64', [2, 2])] })).toThrow(/floating point/);
  });

  it('det, slogdet and logdet agree with torch at both forms', async () => {
    for (const opset of [7, 11]) {
      expectClose((await run('aten::det', [['float32', [3, 3], M]], opset))[0].data, [9]);
      const [sign, logabs] = await run('aten::slogdet', [['float32', [2, 2], [-2, 0, 0, 1]]], opset);
      expect(sign.data).toEqual([-1]);
      expectClose(logabs.data, [Math.LN2]);
      expect(Number.isNaN((await run('aten::logdet', [['float32', [2, 2], [-2, 0, 0, 1]]], opset))[0].data[0])).toBe(true);
    }
  });
});

describe('inverse, solve and factorisations of small matrices', () => {
  const inverseOfM = [1.4444439, -1.2222217, -0.5555554, -0.7777775, 0.8888886, 0.2222221, 0.3333331, -0.6666664, 0.3333334];

  it('inverts by cofactors up to 4×4, and says why not beyond', async () => {
    expectClose((await run('aten::linalg_inv', [['float32', [3, 3], M]], 7))[0].data, inverseOfM);
    expectClose((await run('aten::inverse', [['float32', [1, 1], [4]]], 7))[0].data, [0.25]);
    expect(codeOf(() => lowerOp({ op: 'aten::linalg_inv', args: [f32([5, 5])] }, 21))).toBe('OP_UNSUPPORTED');
    expect(codeOf(() => lowerOp({ op: 'aten::linalg_inv', args: [f32(['n', 'n'])] }, 21))).toBe('OP_UNSUPPORTED');
    const [inv, info] = await run('aten::linalg_inv_ex', [['float32', [3, 3], M]], 7);
    expectClose(inv.data, inverseOfM);
    expect(info).toMatchObject({ dims: [], data: [0], dtype: 'int32' });
  });

  it('the info of a batch with dynamic sizes needs ConstantOfShape (opset 9)', () => {
    expect(codeOf(() => lowerOp({ op: 'aten::linalg_inv_ex', args: [f32(['b', 2, 2])] }, 8))).toBe('OP_OPSET');
    expect(opTypes(lowerOp({ op: 'aten::linalg_inv_ex', args: [f32(['b', 2, 2])] }, 9).graph)).toContain('ConstantOfShape');
  });

  it('linalg_solve: vector and matrix right-hand sides, X·A = B for left=False', async () => {
    expectClose((await run('aten::linalg_solve', [['float32', [3, 3], M], ['float32', [3], [1, 2, 3]]], 7))[0].data, [-2.6666656, 1.666666, 0]);
    expect(shapeOf({ op: 'aten::linalg_solve', args: [f32([3, 2, 2]), f32([3, 2])] })).toEqual([3, 2]);
    expect(shapeOf({ op: 'aten::linalg_solve', args: [f32([2, 2]), f32([3, 2, 4])] })).toEqual([3, 2, 4]);
    expect(shapeOf({ op: 'aten::linalg_solve', args: [f32([2, 2]), f32([4, 2])], kwargs: { left: false } })).toEqual([4, 2]);
    expect(() => infer({ op: 'aten::linalg_solve', args: [f32([2, 2]), f32([2])], kwargs: { left: false } })).toThrow(/XA = B/);
    expect(() => infer({ op: 'aten::linalg_solve', args: [f32([2, 2]), tensorValue('float64', [2])] })).toThrow(/same dtype/);
  });

  it('cholesky reads the lower triangle (the upper one for upper=True)', async () => {
    const [lower] = await run('aten::linalg_cholesky', [['float32', [3, 3], S]], 7);
    expectClose(lower.data, [2, 0, 0, 6, 1, 0, -8, 5, 3]);
    const upperOnly = S.map((v, i) => (i % 3 >= Math.floor(i / 3) ? v : 1000));
    const [upper] = await run('aten::cholesky', [['float32', [3, 3], upperOnly], true], 7);
    expectClose(upper.data, [2, 6, -8, 0, 1, 5, 0, 0, 3]);
    expect(codeOf(() => lowerOp({ op: 'aten::linalg_cholesky', args: [f32([17, 17])] }, 21))).toBe('OP_UNSUPPORTED');
    expect(codeOf(() => lowerOp({ op: 'aten::linalg_cholesky', args: [f32(['b', 3, 3])] }, 8))).toBe('OP_OPSET');
  });

  it('triangular solves read one triangle; cholesky_solve and cholesky_inverse use the factor', async () => {
    const [x] = await run('aten::linalg_solve_triangular', [['float32', [3, 3], M], ['float32', [3, 1], [1, 2, 3]]], 7, { upper: true });
    expectClose(x.data, [-0.5416667, 0.1666667, 1]);
    const L = [2, 0, 0, 6, 1, 0, -8, 5, 3];
    const [inv] = await run('aten::cholesky_inverse', [['float32', [3, 3], L]], 7);
    const [solved] = await run('aten::cholesky_solve', [['float32', [3, 3], [1, 0, 0, 0, 1, 0, 0, 0, 1]], ['float32', [3, 3], L]], 7);
    expectClose(solved.data, inv.data);
    expect(shapeOf({ op: 'aten::linalg_solve_triangular', args: [f32([2, 3, 3]), f32([4, 1, 3, 5])], kwargs: { upper: true } })).toEqual([4, 2, 3, 5]);
    expect(shapeOf({ op: 'aten::triangular_solve', args: [f32([4, 3, 2]), f32([1, 3, 3])] }, 1)).toEqual([4, 3, 3]);
    expect(codeOf(() => lowerOp({ op: 'aten::linalg_solve_triangular', args: [f32([2, 3, 3]), f32([4, 1, 3, 5])], kwargs: { upper: true } }, 7))).toBe('OP_OPSET');
  });

  it('matrix_power squares repeatedly; negative powers invert first', async () => {
    const [cube] = await run('aten::linalg_matrix_power', [['float32', [2, 2], [2, 1, 1, 1]], -3], 7);
    expectClose(cube.data, [5, -8, -8, 13]);
    const { graph } = lowerOp({ op: 'aten::linalg_matrix_power', args: [f32([3, 3]), 8] }, 13);
    expect(opTypes(graph).filter((t) => t === 'MatMul')).toHaveLength(3);
    expect((await run('aten::matrix_power', [['float32', [2, 2], [2, 1, 1, 1]], 0], 7))[0].data).toEqual([1, 0, 0, 1]);
  });

  it('addmv, addr, vecdot, multi_dot and chain_matmul shapes; integer results refuse float coefficients', () => {
    expect(shapeOf({ op: 'aten::addmv', args: [f32([1]), f32([2, 3]), f32([3])] })).toEqual([2]);
    expect(dtypeOf({ op: 'aten::addr', args: [tensorValue('int64', [2, 3]), f32([2]), f32([3])] })).toBe('float32');
    const ints = [tensorValue('int64', [2, 3]), tensorValue('int64', [2]), tensorValue('int64', [3])];
    expect(codeOf(() => lowerOp({ op: 'aten::addr', args: ints, kwargs: { alpha: new PyFloat(2) } }, 9))).toBe('TRACE_TYPE');
    expect(shapeOf({ op: 'aten::linalg_vecdot', args: [f32([2, 3]), f32([4, 1, 3])] })).toEqual([4, 2]);
    expect(() => infer({ op: 'aten::linalg_vecdot', args: [f32([3]), tensorValue('float64', [3])] })).toThrow(/same dtype/);
    expect(shapeOf({ op: 'aten::linalg_multi_dot', args: [[f32([3]), f32([3, 4]), f32([4])]] })).toEqual([]);
    expect(shapeOf({ op: 'aten::linalg_multi_dot', args: [[f32([2, 3]), f32([3, 4]), f32([4])]] })).toEqual([2]);
    expect(() => infer({ op: 'aten::linalg_multi_dot', args: [[f32([2, 3])]] })).toThrow(/at least 2/);
    expect(() => infer({ op: 'aten::linalg_multi_dot', args: [[f32([2, 3]), f32([4]), f32([4])]] })).toThrow(/must be 2D/);
    expect(shapeOf({ op: 'aten::chain_matmul', args: [[f32([2, 3])]] })).toEqual([2, 3]);
  });

  it('kron interleaves the axes of both operands', async () => {
    const [out] = await run('aten::kron', [['int64', [2], [1, 2]], ['int64', [2, 2], [1, 10, 100, 1000]]], 7);
    expect(out).toMatchObject({ dims: [2, 4], data: [1, 10, 2, 20, 100, 1000, 200, 2000] });
  });
});

describe('norms', () => {
  const A: [string, number[], number[]] = ['float32', [3, 4], [...Array(12).keys()]];

  it('matrix norms: 1, -1, inf and Frobenius; nuclear and 2-norms need an SVD', async () => {
    expect((await run('aten::linalg_matrix_norm', [A, 1], 7))[0].data).toEqual([21]);
    expect((await run('aten::linalg_matrix_norm', [A, -1], 7))[0].data).toEqual([12]);
    expect((await run('aten::linalg_matrix_norm', [A, INF], 7))[0].data).toEqual([38]);
    const x = f32([3, 4]);
    const [fro] = await runOp({ op: 'aten::linalg_matrix_norm', args: [x, 'fro'], overload: 'str_ord' }, { opset: 7, feeds: new Map([[x, A[2]]]) });
    expectClose(fro.data, [22.494444]);
    for (const ord of ['nuc', 2, -2] as const) {
      const call: Call = { op: 'aten::linalg_matrix_norm', args: [f32([3, 4]), ord], overload: ord === 'nuc' ? 'str_ord' : '' };
      expect(codeOf(() => lowerOp(call, 21))).toBe('OP_UNSUPPORTED');
    }
    expect(() => infer({ op: 'aten::linalg_matrix_norm', args: [f32([3, 4]), 3] })).toThrow(/Order 3 not supported/);
    expect(() => infer({ op: 'aten::linalg_matrix_norm', args: [f32([3, 4]), 1, [0, 0]] })).toThrow(/dims must be different/);
    expect(shapeOf({ op: 'aten::linalg_matrix_norm', args: [f32([2, 3, 4]), INF, [2, 0], true] })).toEqual([1, 3, 1]);
  });

  it('linalg_norm dispatches to vector or matrix norms as torch.linalg.norm', () => {
    expect(shapeOf({ op: 'aten::linalg_norm', args: [f32([2, 3, 4])] })).toEqual([]);
    expect(shapeOf({ op: 'aten::linalg_norm', args: [f32([2, 3, 4]), null, [0, 2], true] })).toEqual([1, 3, 1]);
    expect(shapeOf({ op: 'aten::linalg_norm', args: [f32([3, 4]), 1] })).toEqual([]);
    expect(dtypeOf({ op: 'aten::linalg_norm', args: [f32([3, 4])], kwargs: { dtype: 7 } })).toBe('float64');
    expect(() => infer({ op: 'aten::linalg_norm', args: [f32([2, 2, 2]), 1] })).toThrow(/must be 1D or 2D/);
    expect(() => infer({ op: 'aten::linalg_norm', args: [tensorValue('int64', [2, 2])] })).toThrow(/floating point/);
    // A 2-D ord without dims is a matrix norm: the vector 3-norm of a matrix is refused.
    expect(() => infer({ op: 'aten::linalg_norm', args: [f32([3, 4]), 3] })).toThrow(/Order 3 not supported/);
  });

  it('renorm scales the slices above maxnorm: arithmetic below opset 9, Where from 9', async () => {
    const x: [string, number[], number[]] = ['float32', [2, 2], [3, 4, 0.3, 0.4]];
    for (const opset of [7, 9]) {
      const [out] = await run('aten::renorm', [x, 2, 0, new PyFloat(1)], opset);
      expectClose(out.data, [0.6, 0.8, 0.3, 0.4]);
    }
    expect(opTypes(lowerOp({ op: 'aten::renorm', args: [f32([2, 2]), 2, 0, 1] }, 8).graph)).not.toContain('Where');
    expect(opTypes(lowerOp({ op: 'aten::renorm', args: [f32([2, 2]), 2, 0, 1] }, 9).graph)).toContain('Where');
    expect(() => infer({ op: 'aten::renorm', args: [f32([4]), 2, 0, 1] })).toThrow(/at least 2 dimensions/);
    expect(() => infer({ op: 'aten::renorm', args: [f32([2, 2]), 0, 0, 1] })).toThrow(/non-positive-norm/);
    expect(() => infer({ op: 'aten::renorm', args: [f32([2, 2]), 2, 0, -1] })).toThrow(/maxnorm to be >= 0/);
  });
});
