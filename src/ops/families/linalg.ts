/**
 * Linear algebra beyond the matrix products of linear.ts: vector products (dot, vdot, mv, outer,
 * inner, vecdot, tensordot, cross, addmv, addr, kron, multi_dot, matrix_power), distances
 * (cosine_similarity, pairwise_distance, cdist, pdist), diagonals (diagonal, diag_embed, diag,
 * diagonal_scatter, trace), determinants, matrix norms and renorm, and, since ONNX has no inverse,
 * solve or factorisation, closed forms for matrices of static size: the inverse and solve by
 * cofactors up to 4×4, the Cholesky factor and triangular solves unrolled up to 16×16.
 */
import { type DType, PyFloat } from '../../archive/types.js';
import { fail } from '../../errors.js';
import type { Dim, GValue, TensorType, ValueType } from '../../ir/torch-graph.js';
import { type BoundArgs, derivedDim, optDtype, staticInts } from '../args.js';
import { arithmeticDtype, knownNumber, padTensor, pNorm } from '../builders.js';
import { isFloating, isIntegral, resultType } from '../dtypes.js';
import { axis, broadcastShapes, castTo, knownDifferent, rankOf, requireSameDtype, shapeOf, tensorOf } from '../helpers.js';
import { type Axes, needOpset, reduce, split, squeeze, transpose, unsqueeze } from '../opset.js';
import type { LowerContext, OpDef } from '../registry.js';
import { encodeValues } from '../tensor-bytes.js';

// ---------------------------------------------------------------------------------------------
// Shared pieces: dtypes ONNX computes in, products, norms, shapes
// ---------------------------------------------------------------------------------------------

/**
 * The dtype MatMul runs a product of `dtype` in: floats as they are (bfloat16 from opset 13),
 * 32/64-bit ints from opset 9, 8/16-bit ints in int32 from 9 (cast back, the wrap-around torch's
 * integer products have too).
 */
function productDtype(ctx: LowerContext, op: string, dtype: DType): DType {
  if (dtype === 'float16' || dtype === 'float32' || dtype === 'float64') return dtype;
  if (dtype === 'bfloat16') return ctx.opset >= 13 ? dtype : 'float32';
  if (!isIntegral(dtype)) return fail('OP_UNSUPPORTED', `${op} on ${dtype} tensors has no ONNX matrix product`);
  needOpset(ctx, 9, `${op} on ${dtype} tensors (integer MatMul)`);
  return dtype === 'int32' || dtype === 'int64' ? dtype : 'int32';
}

/** MatMul of two values of `dtype`, computed in what ONNX accepts and given back as `dtype`. */
function product(ctx: LowerContext, op: string, x: string, y: string, dtype: DType): string {
  const compute = productDtype(ctx, op, dtype);
  const result = ctx.b.op1('MatMul', [castTo(ctx, x, dtype, compute), castTo(ctx, y, dtype, compute)]);
  return castTo(ctx, result, compute, dtype);
}

/**
 * The dtype float distances, norms and closed forms compute in: float32 for the 16-bit floats (as
 * torch's kernels accumulate), float32 and float64 as they are.
 */
function floatCompute(dtype: DType): DType {
  return dtype === 'float64' ? 'float64' : 'float32';
}

/** max(x, min) for a float32/float64 value: Clip (attribute below 11), or Max where ONNX Runtime's Clip lacks float64. */
function clampMin(ctx: LowerContext, x: string, dtype: DType, min: number): string {
  if (dtype === 'float32' && ctx.opset < 11) return ctx.b.op1('Clip', [x], { min: { f: min } });
  if (dtype === 'float32' || ctx.opset >= 12) return ctx.b.op1('Clip', [x, ctx.b.scalar(dtype, min), '']);
  needOpset(ctx, 8, `clamping ${dtype} values (Max with broadcasting)`);
  return ctx.b.op1('Max', [x, ctx.b.scalar(dtype, min)]);
}

/** sign(x) of a float: Sign from opset 9, (x > 0) − (x < 0) before. */
function sign(ctx: LowerContext, x: string, dtype: DType): string {
  const b = ctx.b;
  if (ctx.opset >= 9) return b.op1('Sign', [x]);
  const zero = b.scalar(dtype, 0);
  const positive = castTo(ctx, b.op1('Greater', [x, zero]), 'bool', dtype);
  return b.op1('Sub', [positive, castTo(ctx, b.op1('Less', [x, zero]), 'bool', dtype)]);
}

/** A known number argument (a Scalar or float), failing for one only known at run time. */
function numberArg(a: BoundArgs, name: string): number {
  const v = knownNumber(a.scalar(name));
  if (v === undefined) return fail('TRACE_UNSUPPORTED', `${a.schema.name}: ${name} must be known at conversion time`);
  return v;
}

/** The sizes of `axes` of x as a 1-D int64 tensor: a constant when static, else gathered from Shape. */
function sizesOf(ctx: LowerContext, x: string, shape: readonly Dim[], axes: readonly number[]): string {
  const known = staticInts(axes.map((i) => shape[i]));
  if (known) return ctx.b.int64s(known);
  return ctx.b.op1('Gather', [ctx.b.op1('Shape', [x]), ctx.b.int64s(axes)], { axis: 0 });
}

/** The product of the sizes of `axes` as a 1-element int64 tensor. */
function sizeProduct(ctx: LowerContext, x: string, shape: readonly Dim[], axes: readonly number[]): string {
  const known = staticInts(axes.map((i) => shape[i]));
  if (known) return ctx.b.int64s([known.reduce((p, d) => p * d, 1)]);
  return reduce(ctx, 'ReduceProd', sizesOf(ctx, x, shape, axes), undefined, true);
}

/** Zeros of a shape: a constant when static, else ConstantOfShape (opset 9) of the run-time sizes `sizes` gives. */
function zerosShaped(ctx: LowerContext, shape: readonly Dim[], sizes: () => string, dtype: DType, what: string): string {
  const known = staticInts(shape);
  if (known) return ctx.b.constant(dtype, known, Array(known.reduce((p, d) => p * d, 1)).fill(0));
  needOpset(ctx, 9, `${what} with dynamic batch sizes (ConstantOfShape)`);
  const value = { name: '', dtype, dims: [1], data: { kind: 'bytes' as const, bytes: encodeValues(dtype, [0]) } };
  return ctx.b.op1('ConstantOfShape', [sizes()], { value: { t: value } });
}

/** Reshape whose leading `keep` axes keep their sizes (0 copies a dynamic one), followed by `tail`. */
function reshapeTail(ctx: LowerContext, x: string, shape: readonly Dim[], keep: number, tail: readonly number[]): string {
  const lead = shape.slice(0, keep).map((d) => (typeof d === 'number' ? d : 0));
  return ctx.b.op1('Reshape', [x, ctx.b.int64s([...lead, ...tail])]);
}

function requireFloat(op: string, name: string, dtype: DType): void {
  if (!isFloating(dtype)) fail('TRACE_TYPE', `${op}: Expected a floating point tensor as ${name}. Got ${dtype}`);
}

function requireRank(op: string, v: GValue, name: string, ok: (rank: number) => boolean, expected: string): readonly Dim[] {
  const shape = shapeOf(v);
  if (!ok(shape.length)) fail('TRACE_TYPE', `${op}: ${name} must be ${expected}, got ${shape.length}-D`);
  return shape;
}

/** Batches of square matrices: [..., n, n]. */
function squareShape(op: string, v: GValue): readonly Dim[] {
  const shape = requireRank(op, v, 'A', (r) => r >= 2, 'a matrix or a batch of matrices (at least 2-D)');
  const [rows, cols] = shape.slice(-2);
  if (knownDifferent(rows, cols)) fail('TRACE_TYPE', `${op}: A must be batches of square matrices, but they are ${rows} by ${cols} matrices`);
  return shape;
}

// ---------------------------------------------------------------------------------------------
// dot, vdot, mv, outer, ger, tensordot
// ---------------------------------------------------------------------------------------------

function sameLength(op: string, x: Dim, y: Dim, what: string): void {
  if (knownDifferent(x, y)) fail('TRACE_TYPE', `${op}: ${what} (${x} and ${y})`);
}

function dotDef(name: 'dot' | 'vdot', second: 'tensor' | 'other'): OpDef {
  const op = `aten::${name}`;
  return {
    schemas: [`aten::${name}(Tensor self, Tensor ${second}) -> Tensor`],
    infer: (a) => {
      const self = a.tensor('self');
      const other = a.tensor(second);
      if (rankOf(self) !== 1 || rankOf(other) !== 1) fail('TRACE_TYPE', `${op}: 1D tensors expected, but got ${rankOf(self)}D and ${rankOf(other)}D tensors`);
      requireSameDtype(op, ['self', self], [second, other]);
      sameLength(op, shapeOf(self)[0], shapeOf(other)[0], 'inconsistent tensor sizes');
      return [tensorOf(self.tensor.dtype, [])];
    },
    lower: { 7: (ctx, a) => [product(ctx, op, ctx.input(a.tensor('self')), ctx.input(a.tensor(second)), a.tensor('self').tensor.dtype)] },
  };
}

function outerDef(name: 'outer' | 'ger'): OpDef {
  const op = `aten::${name}`;
  return {
    schemas: [`aten::${name}(Tensor self, Tensor vec2) -> Tensor`],
    infer: (a) => {
      const self = a.tensor('self');
      const vec2 = a.tensor('vec2');
      requireRank(op, self, 'self', (r) => r === 1, '1-D');
      requireRank(op, vec2, 'vec2', (r) => r === 1, '1-D');
      return [tensorOf(resultType([self, vec2]), [shapeOf(self)[0], shapeOf(vec2)[0]])];
    },
    // self[:, None] * vec2[None, :], as torch computes it.
    lower: {
      7: (ctx, a) => {
        const out = ctx.node.outputs[0].tensor.dtype;
        const compute = arithmeticDtype(out, ctx.opset);
        const column = unsqueeze(ctx, castTo(ctx, ctx.input(a.tensor('self')), a.tensor('self').tensor.dtype, compute), [1]);
        const row = unsqueeze(ctx, castTo(ctx, ctx.input(a.tensor('vec2')), a.tensor('vec2').tensor.dtype, compute), [0]);
        return [castTo(ctx, ctx.b.op1('Mul', [column, row]), compute, out)];
      },
    },
  };
}

interface Contraction {
  dimsSelf: number[];
  dimsOther: number[];
  freeSelf: number[];
  freeOther: number[];
  shape: Dim[];
}

/** tensordot's pairing of self's `dimsSelf` with other's `dimsOther`; the result has self's free axes, then other's. */
function contraction(op: string, self: GValue, other: GValue, rawSelf: readonly number[], rawOther: readonly number[]): Contraction {
  requireSameDtype(op, ['self', self], ['other', other]);
  const shapeSelf = shapeOf(self);
  const shapeOther = shapeOf(other);
  const dimsSelf = rawSelf.map((d) => axis(d, shapeSelf.length));
  const dimsOther = rawOther.map((d) => axis(d, shapeOther.length));
  if (dimsSelf.length !== dimsOther.length) fail('TRACE_TYPE', `${op}: both dimension lists should have same length`);
  if (new Set(dimsSelf).size !== dimsSelf.length || new Set(dimsOther).size !== dimsOther.length) {
    fail('TRACE_TYPE', `${op}: a dimension appears twice in the dimension lists`);
  }
  dimsSelf.forEach((d, i) => {
    const s1 = shapeSelf[d];
    const s2 = shapeOther[dimsOther[i]];
    if (s1 !== 1 && s2 !== 1 && knownDifferent(s1, s2)) {
      fail('TRACE_TYPE', `${op}: contracted dimensions need to match, but first has size ${s1} in dim ${d} and second has size ${s2} in dim ${dimsOther[i]}`);
    }
  });
  const freeSelf = shapeSelf.map((_, i) => i).filter((i) => !dimsSelf.includes(i));
  const freeOther = shapeOther.map((_, i) => i).filter((i) => !dimsOther.includes(i));
  return { dimsSelf, dimsOther, freeSelf, freeOther, shape: [...freeSelf.map((i) => shapeSelf[i]), ...freeOther.map((i) => shapeOther[i])] };
}

function tensordotPlan(a: BoundArgs): Contraction {
  return contraction('aten::tensordot', a.tensor('self'), a.tensor('other'), a.ints('dims_self'), a.ints('dims_other'));
}

/**
 * The [rows, cols] shape that flattens x's `rowAxes` and `colAxes` (each already in order): a constant
 * when static, with -1 for one side when only the other is static.
 */
function matrixShape(ctx: LowerContext, x: string, shape: readonly Dim[], rowAxes: readonly number[], colAxes: readonly number[]): string {
  const product = (axes: readonly number[]) => staticInts(axes.map((i) => shape[i]))?.reduce((p, d) => p * d, 1);
  const rows = product(rowAxes);
  const cols = product(colAxes);
  if (rows !== undefined || cols !== undefined) return ctx.b.int64s([rows ?? -1, cols ?? -1]);
  return ctx.b.op1('Concat', [sizeProduct(ctx, x, shape, rowAxes), sizeProduct(ctx, x, shape, colAxes)], { axis: 0 });
}

/**
 * A contraction as one MatMul: self's free axes then its contracted ones flattened to [M, K], other's
 * contracted then free ones to [K, N], the product reshaped to the free sizes. A contracted size of 1
 * against a larger one is summed away first, as torch does.
 */
function contract(ctx: LowerContext, op: string, self: GValue, other: GValue, plan: Contraction): string {
  const dtype = self.tensor.dtype;
  const compute = productDtype(ctx, op, dtype);
  let x = castTo(ctx, ctx.input(self), dtype, compute);
  let y = castTo(ctx, ctx.input(other), dtype, compute);
  const shapeX = [...shapeOf(self)];
  const shapeY = [...shapeOf(other)];
  plan.dimsSelf.forEach((d, i) => {
    const e = plan.dimsOther[i];
    if (shapeY[e] === 1 && shapeX[d] !== 1) {
      x = reduce(ctx, 'ReduceSum', x, [d], true);
      shapeX[d] = 1;
    } else if (shapeX[d] === 1 && shapeY[e] !== 1) {
      y = reduce(ctx, 'ReduceSum', y, [e], true);
      shapeY[e] = 1;
    }
  });
  const left = ctx.b.op1('Reshape', [
    transpose(ctx, x, [...plan.freeSelf, ...plan.dimsSelf]),
    matrixShape(ctx, x, shapeX, plan.freeSelf, plan.dimsSelf),
  ]);
  const right = ctx.b.op1('Reshape', [
    transpose(ctx, y, [...plan.dimsOther, ...plan.freeOther]),
    matrixShape(ctx, y, shapeY, plan.dimsOther, plan.freeOther),
  ]);
  const result = ctx.b.op1('MatMul', [left, right]);
  const staticShape = staticInts(plan.shape);
  const outShape = staticShape
    ? ctx.b.int64s(staticShape)
    : ctx.b.op1('Concat', [sizesOf(ctx, x, shapeX, plan.freeSelf), sizesOf(ctx, y, shapeY, plan.freeOther)], { axis: 0 });
  return castTo(ctx, ctx.b.op1('Reshape', [result, outShape]), compute, dtype);
}

/** inner: self · other over their last axes (a product when either is 0-d, with promotion). */
function innerType(a: BoundArgs): TensorType {
  const self = a.tensor('self');
  const other = a.tensor('other');
  if (rankOf(self) === 0 || rankOf(other) === 0) return tensorOf(resultType([self, other]), broadcastShapes(shapeOf(self), shapeOf(other)));
  return tensorOf(self.tensor.dtype, contraction('aten::inner', self, other, [-1], [-1]).shape);
}

const productOps: OpDef[] = [
  dotDef('dot', 'tensor'),
  dotDef('vdot', 'other'),
  {
    schemas: ['aten::mv(Tensor self, Tensor vec) -> Tensor'],
    infer: (a) => {
      const op = 'aten::mv';
      const self = a.tensor('self');
      const vec = a.tensor('vec');
      const mat = requireRank(op, self, 'self', (r) => r === 2, '2-D');
      const v = requireRank(op, vec, 'vec', (r) => r === 1, '1-D');
      requireSameDtype(op, ['self', self], ['vec', vec]);
      sameLength(op, mat[1], v[0], 'size mismatch of mat and vec');
      return [tensorOf(self.tensor.dtype, [mat[0]])];
    },
    lower: { 7: (ctx, a) => [product(ctx, 'aten::mv', ctx.input(a.tensor('self')), ctx.input(a.tensor('vec')), a.tensor('self').tensor.dtype)] },
  },
  outerDef('outer'),
  outerDef('ger'),
  {
    schemas: ['aten::tensordot(Tensor self, Tensor other, int[] dims_self, int[] dims_other) -> Tensor'],
    infer: (a) => [tensorOf(a.tensor('self').tensor.dtype, tensordotPlan(a).shape)],
    lower: { 7: (ctx, a) => [contract(ctx, 'aten::tensordot', a.tensor('self'), a.tensor('other'), tensordotPlan(a))] },
  },
  {
    schemas: ['aten::inner(Tensor self, Tensor other) -> Tensor'],
    infer: (a) => [innerType(a)],
    lower: {
      7: (ctx, a) => {
        const self = a.tensor('self');
        const other = a.tensor('other');
        if (rankOf(self) > 0 && rankOf(other) > 0) return [contract(ctx, 'aten::inner', self, other, contraction('aten::inner', self, other, [-1], [-1]))];
        const out = ctx.node.outputs[0].tensor.dtype;
        const compute = arithmeticDtype(out, ctx.opset);
        const scaled = ctx.b.op1('Mul', [castTo(ctx, ctx.input(self), self.tensor.dtype, compute), castTo(ctx, ctx.input(other), other.tensor.dtype, compute)]);
        return [castTo(ctx, scaled, compute, out)];
      },
    },
  },
];

// ---------------------------------------------------------------------------------------------
// cross / linalg_cross
// ---------------------------------------------------------------------------------------------

function crossPlan(a: BoundArgs): { dim: number; shape: Dim[] } {
  const op = a.schema.name;
  const self = a.tensor('self');
  const other = a.tensor('other');
  requireSameDtype(op, ['self', self], ['other', other]);
  if (self.tensor.dtype === 'bool') fail('TRACE_TYPE', `${op}: not implemented for bool tensors`);
  const rank = rankOf(self);
  if (rankOf(other) !== rank) fail('TRACE_TYPE', 'linalg.cross: inputs must have the same number of dimensions.');
  const shape = broadcastShapes(shapeOf(self), shapeOf(other));
  let dim: number;
  if (a.schema.name === 'aten::cross' && a.isNone('dim')) {
    // torch.cross without dim: the first dimension of size 3 of self.
    dim = shapeOf(self).findIndex((d) => d === 3);
    if (dim < 0) fail('TRACE_TYPE', 'aten::cross: no dimension of size 3 in input');
  } else {
    dim = axis(a.int('dim'), rank);
  }
  const [s1, s2] = [shapeOf(self)[dim], shapeOf(other)[dim]];
  if (knownDifferent(s1, 3) || knownDifferent(s2, 3)) {
    fail('TRACE_TYPE', `linalg.cross: inputs dimension ${dim} must have length 3. Got ${s1} and ${s2}`);
  }
  return { dim, shape };
}

/** a × b = a[1,2,0]·b[2,0,1] − a[2,0,1]·b[1,2,0] along the dim. */
function lowerCross(ctx: LowerContext, a: BoundArgs): string[] {
  const { dim } = crossPlan(a);
  const dtype = a.tensor('self').tensor.dtype;
  const compute = arithmeticDtype(dtype, ctx.opset);
  const b = ctx.b;
  const x = castTo(ctx, ctx.input(a.tensor('self')), dtype, compute);
  const y = castTo(ctx, ctx.input(a.tensor('other')), dtype, compute);
  const next = b.int64s([1, 2, 0]);
  const after = b.int64s([2, 0, 1]);
  const pick = (v: string, idx: string) => b.op1('Gather', [v, idx], { axis: dim });
  const first = b.op1('Mul', [pick(x, next), pick(y, after)]);
  const second = b.op1('Mul', [pick(x, after), pick(y, next)]);
  return [castTo(ctx, b.op1('Sub', [first, second]), compute, dtype)];
}

const crossOps: OpDef[] = [
  {
    schemas: ['aten::cross(Tensor self, Tensor other, int? dim=None) -> Tensor'],
    infer: (a) => [tensorOf(a.tensor('self').tensor.dtype, crossPlan(a).shape)],
    lower: { 7: lowerCross },
  },
  {
    schemas: ['aten::linalg_cross(Tensor self, Tensor other, *, int dim=-1) -> Tensor'],
    infer: (a) => [tensorOf(a.tensor('self').tensor.dtype, crossPlan(a).shape)],
    lower: { 7: lowerCross },
  },
];

// ---------------------------------------------------------------------------------------------
// cosine_similarity, pairwise_distance, cdist
// ---------------------------------------------------------------------------------------------

/**
 * Unsqueezes a lower-rank operand to `rank` and expands it along `dim` where it broadcasts there (to
 * the other operand's size, read from `other` of rank `otherRank` when dynamic).
 */
function alignForReduction(ctx: LowerContext, x: string, shape: readonly Dim[], rank: number, dim: number, size: Dim, other: string, otherRank: number): string {
  const lead = rank - shape.length;
  let y = unsqueeze(ctx, x, Array.from({ length: lead }, (_, i) => i));
  const own = dim - lead < 0 ? 1 : shape[dim - lead];
  if (own === 1 && size !== 1) {
    needOpset(ctx, 8, 'cosine_similarity of operands broadcast along the reduced dim (Expand)');
    const target = typeof size === 'number'
      ? ctx.b.int64s(Array.from({ length: rank }, (_, i) => (i === dim ? size : 1)))
      : ctx.b.op1('Concat', [
        ...(dim > 0 ? [ctx.b.int64s(Array(dim).fill(1))] : []),
        ctx.b.op1('Gather', [ctx.b.op1('Shape', [other]), ctx.b.int64s([dim - (rank - otherRank)])], { axis: 0 }),
        ...(dim < rank - 1 ? [ctx.b.int64s(Array(rank - 1 - dim).fill(1))] : []),
      ], { axis: 0 });
    y = ctx.b.op1('Expand', [y, target]);
  }
  return y;
}

function cosinePlan(a: BoundArgs): { dtype: DType; dim: number; shape: Dim[]; broadcast: Dim[] } {
  const x1 = a.tensor('x1');
  const x2 = a.tensor('x2');
  const dtype = resultType([x1, x2]);
  if (!isFloating(dtype)) fail('TRACE_TYPE', `aten::cosine_similarity: expected common dtype to be floating point, yet common dtype is ${dtype}`);
  const broadcast = broadcastShapes(shapeOf(x1), shapeOf(x2));
  const dim = axis(a.int('dim'), broadcast.length);
  return { dtype, dim, broadcast, shape: broadcast.filter((_, i) => i !== dim) };
}

/** Σ (x1/max(‖x1‖, eps)) · (x2/max(‖x2‖, eps)) along dim: torch's order since 1.12 (each norm clamped on its own). */
function lowerCosine(ctx: LowerContext, a: BoundArgs): string[] {
  const { dtype, dim, broadcast } = cosinePlan(a);
  const compute = floatCompute(dtype);
  const eps = a.float('eps');
  const x1 = a.tensor('x1');
  const x2 = a.tensor('x2');
  const rank = broadcast.length;
  const v1 = castTo(ctx, ctx.input(x1), x1.tensor.dtype, compute);
  const v2 = castTo(ctx, ctx.input(x2), x2.tensor.dtype, compute);
  const unit = (v: string, shape: readonly Dim[], other: string, otherRank: number) => {
    const aligned = alignForReduction(ctx, v, shape, rank, dim, broadcast[dim], other, otherRank);
    const norm = clampMin(ctx, reduce(ctx, 'ReduceL2', aligned, [dim], true), compute, eps);
    return ctx.b.op1('Div', [aligned, norm]);
  };
  const products = ctx.b.op1('Mul', [unit(v1, shapeOf(x1), v2, rankOf(x2)), unit(v2, shapeOf(x2), v1, rankOf(x1))]);
  return [castTo(ctx, reduce(ctx, 'ReduceSum', products, [dim], false), compute, dtype)];
}

function pairwiseType(a: BoundArgs): TensorType {
  const x1 = a.tensor('x1');
  const x2 = a.tensor('x2');
  const common = resultType([x1, x2]);
  // x1 - x2 + eps: integer differences become the default float dtype.
  const dtype = isFloating(common) ? common : 'float32';
  const shape = broadcastShapes(shapeOf(x1), shapeOf(x2));
  if (shape.length === 0) return tensorOf(dtype, []);
  const keepdim = a.bool('keepdim');
  return tensorOf(dtype, keepdim ? shape.map((d, i) => (i === shape.length - 1 ? 1 : d)) : shape.slice(0, -1));
}

/** ‖x1 − x2 + eps‖_p over the last dim of the broadcast shape. */
function lowerPairwise(ctx: LowerContext, a: BoundArgs): string[] {
  const out = ctx.node.outputs[0].tensor.dtype;
  const compute = floatCompute(out);
  const x1 = a.tensor('x1');
  const x2 = a.tensor('x2');
  const rank = Math.max(rankOf(x1), rankOf(x2));
  const diff = ctx.b.op1('Sub', [castTo(ctx, ctx.input(x1), x1.tensor.dtype, compute), castTo(ctx, ctx.input(x2), x2.tensor.dtype, compute)]);
  const shifted = ctx.b.op1('Add', [diff, ctx.b.scalar(compute, a.float('eps'))]);
  const axes = rank === 0 ? undefined : [rank - 1];
  return [castTo(ctx, pNorm(ctx, shifted, compute, a.float('p'), axes, a.bool('keepdim')), compute, out)];
}

function cdistType(a: BoundArgs): TensorType {
  const op = 'aten::cdist';
  const x1 = a.tensor('x1');
  const x2 = a.tensor('x2');
  const s1 = requireRank(op, x1, 'x1', (r) => r >= 2, 'at least 2-D');
  const s2 = requireRank(op, x2, 'x2', (r) => r >= 2, 'at least 2-D');
  requireFloat(op, 'x1', x1.tensor.dtype);
  requireSameDtype(op, ['x1', x1], ['x2', x2]);
  if (knownDifferent(s1[s1.length - 1], s2[s2.length - 1])) {
    fail('TRACE_TYPE', `${op}: X1 and X2 must have the same number of columns. X1: ${s1[s1.length - 1]} X2: ${s2[s2.length - 1]}`);
  }
  if (a.float('p') < 0) fail('TRACE_TYPE', `${op}: cdist only supports non-negative p values`);
  const batch = broadcastShapes(s1.slice(0, -2), s2.slice(0, -2));
  return tensorOf(x1.tensor.dtype, [...batch, s1[s1.length - 2], s2[s2.length - 2]]);
}

/**
 * cdist. For p = 2 torch uses ‖a‖² + ‖b‖² − 2a·b (clamped at 0) when asked to, or by default when
 * either side has more than 25 rows; otherwise, as for any p, the norm of every difference.
 */
function lowerCdist(ctx: LowerContext, a: BoundArgs): string[] {
  const x1 = a.tensor('x1');
  const x2 = a.tensor('x2');
  const dtype = x1.tensor.dtype;
  const compute = floatCompute(dtype);
  const p = a.float('p');
  const mode = a.optInt('compute_mode') ?? 0;
  const s1 = shapeOf(x1);
  const s2 = shapeOf(x2);
  const r1 = s1.length;
  const r2 = s2.length;
  const rows1 = s1[r1 - 2];
  const rows2 = s2[r2 - 2];
  const large = (d: Dim) => typeof d !== 'number' || d > 25;
  const b = ctx.b;
  const v1 = castTo(ctx, ctx.input(x1), dtype, compute);
  const v2 = castTo(ctx, ctx.input(x2), dtype, compute);
  if (p === 2 && (mode === 1 || (mode === 0 && (large(rows1) || large(rows2))))) {
    const swap = (r: number) => Array.from({ length: r }, (_, i) => (i === r - 2 ? r - 1 : i === r - 1 ? r - 2 : i));
    const n1 = reduce(ctx, 'ReduceSumSquare', v1, [r1 - 1], true);
    const n2 = transpose(ctx, reduce(ctx, 'ReduceSumSquare', v2, [r2 - 1], true), swap(r2));
    const cross = b.op1('MatMul', [v1, transpose(ctx, v2, swap(r2))]);
    const squared = b.op1('Add', [b.op1('Add', [n1, n2]), b.op1('Mul', [cross, b.scalar(compute, -2)])]);
    return [castTo(ctx, b.op1('Sqrt', [clampMin(ctx, squared, compute, 0)]), compute, dtype)];
  }
  const diff = b.op1('Sub', [unsqueeze(ctx, v1, [r1 - 1]), unsqueeze(ctx, v2, [r2 - 2])]);
  const rank = Math.max(r1, r2) + 1;
  return [castTo(ctx, pNorm(ctx, diff, compute, p, [rank - 1], false), compute, dtype)];
}

const distanceOps: OpDef[] = [
  {
    schemas: ['aten::cosine_similarity(Tensor x1, Tensor x2, int dim=1, float eps=1e-08) -> Tensor'],
    infer: (a) => {
      const { dtype, shape } = cosinePlan(a);
      return [tensorOf(dtype, shape)];
    },
    lower: { 7: lowerCosine },
  },
  {
    schemas: ['aten::pairwise_distance(Tensor x1, Tensor x2, float p=2., float eps=9.9999999999999995e-07, bool keepdim=False) -> Tensor'],
    infer: (a) => [pairwiseType(a)],
    lower: { 7: lowerPairwise },
  },
  {
    schemas: ['aten::cdist(Tensor x1, Tensor x2, float p=2., int? compute_mode=None) -> Tensor'],
    infer: (a) => [cdistType(a)],
    lower: { 7: lowerCdist },
  },
];

// ---------------------------------------------------------------------------------------------
// diagonal, diag_embed, diag, trace
// ---------------------------------------------------------------------------------------------

/** The length of the diagonal at `offset` of an n1 × n2 matrix. */
function diagonalLength(a: BoundArgs, n1: Dim, n2: Dim, offset: number): Dim {
  if (typeof n1 === 'number' && typeof n2 === 'number') {
    return Math.max(0, offset >= 0 ? Math.min(n1, n2 - offset) : Math.min(n1 + offset, n2));
  }
  return a.freshDim('diagonal');
}

function diagonalDims(op: string, rank: number, dim1: number, dim2: number): [number, number] {
  const d1 = axis(dim1, rank);
  const d2 = axis(dim2, rank);
  if (d1 === d2) fail('TRACE_TYPE', `${op}: diagonal dimensions cannot be identical ${dim1}, ${dim2}`);
  return [d1, d2];
}

function diagonalShape(a: BoundArgs, shape: readonly Dim[], offset: number, d1: number, d2: number): Dim[] {
  return [...shape.filter((_, i) => i !== d1 && i !== d2), diagonalLength(a, shape[d1], shape[d2], offset)];
}

/**
 * The diagonal at `offset` of the (d1, d2) planes, appended as the last axis: the two axes moved to
 * the end, flattened together, and the diagonal's flat positions gathered.
 */
function takeDiagonal(ctx: LowerContext, op: string, x: string, shape: readonly Dim[], offset: number, d1: number, d2: number): string {
  const rank = shape.length;
  const n1 = shape[d1];
  const n2 = shape[d2];
  if (typeof n1 !== 'number' || typeof n2 !== 'number') {
    return fail('TRACE_UNSUPPORTED', `${op}: the diagonal of dimensions of dynamic size is not supported`);
  }
  const others = shape.map((_, i) => i).filter((i) => i !== d1 && i !== d2);
  const moved = transpose(ctx, x, [...others, d1, d2]);
  const flat = reshapeTail(ctx, moved, others.map((i) => shape[i]), others.length, [n1 * n2]);
  const length = Math.max(0, offset >= 0 ? Math.min(n1, n2 - offset) : Math.min(n1 + offset, n2));
  const indices = Array.from({ length }, (_, k) => (offset >= 0 ? k * n2 + k + offset : (k - offset) * n2 + k));
  return ctx.b.op1('Gather', [flat, ctx.b.int64s(indices)], { axis: rank - 2 });
}

/** The size of planes holding a diagonal of n elements at `offset`. */
function embeddedSize(n: Dim, offset: number): Dim {
  if (typeof n === 'number') return n + Math.abs(offset);
  return offset === 0 ? n : derivedDim(n, `plus_${Math.abs(offset)}`);
}

function diagEmbedType(a: BoundArgs): TensorType {
  const self = a.tensor('self');
  const shape = shapeOf(self);
  const rank = shape.length + 1;
  if (shape.length === 0) fail('TRACE_TYPE', `${a.schema.name}: Dimension out of range (expected a tensor of at least 1 dimension)`);
  const [d1, d2] = diagonalDims(a.schema.name, rank, a.int('dim1'), a.int('dim2'));
  const offset = a.int('offset');
  const n = shape[shape.length - 1];
  const size = embeddedSize(n, offset);
  const batch = shape.slice(0, -1);
  let next = 0;
  const out = Array.from({ length: rank }, (_, i) => (i === d1 || i === d2 ? size : batch[next++]));
  return tensorOf(self.tensor.dtype, out);
}

/**
 * The last axis of x (size n) on the diagonal at `offset` of new (d1, d2) planes of size n + |offset|,
 * zeros elsewhere: x padded with one zero, then each flat position of the plane gathers its element
 * (or the zero), reshaped into the plane and the plane's axes moved to d1 and d2.
 */
function embedDiagonal(ctx: LowerContext, op: string, x: string, dtype: DType, shape: readonly Dim[], offset: number, d1: number, d2: number): string {
  const rank = shape.length;
  const n = shape[rank - 1];
  if (typeof n !== 'number') return fail('TRACE_UNSUPPORTED', `${op}: a diagonal of dynamic size is not supported`);
  const m = n + Math.abs(offset);
  // Pad lacks bool before opset 13: pad its bytes as uint8.
  const padDtype = dtype === 'bool' && ctx.opset < 13 ? 'uint8' : dtype;
  const zeros = Array<number>(rank).fill(0);
  const padded = padTensor(ctx, op, castTo(ctx, x, dtype, padDtype), padDtype, { begins: zeros, ends: [...zeros.slice(1), 1] }, 'constant');
  const indices = Array.from({ length: m * m }, (_, p) => {
    const row = Math.floor(p / m);
    const col = p % m;
    if (col - row !== offset) return n;
    return offset >= 0 ? row : col;
  });
  const gathered = ctx.b.op1('Gather', [padded, ctx.b.int64s(indices)], { axis: rank - 1 });
  const planes = reshapeTail(ctx, gathered, shape, rank - 1, [m, m]);
  let next = 0;
  const perm = Array.from({ length: rank + 1 }, (_, i) => (i === d1 ? rank - 1 : i === d2 ? rank : next++));
  return castTo(ctx, transpose(ctx, planes, perm), padDtype, dtype);
}

function diagType(a: BoundArgs): TensorType {
  const self = a.tensor('self');
  const shape = shapeOf(self);
  const offset = a.int('diagonal');
  if (shape.length === 1) {
    const size = embeddedSize(shape[0], offset);
    return tensorOf(self.tensor.dtype, [size, size]);
  }
  if (shape.length === 2) return tensorOf(self.tensor.dtype, [diagonalLength(a, shape[0], shape[1], offset)]);
  return fail('TRACE_TYPE', `aten::diag: Supports 1D or 2D tensors. Got ${shape.length}D`);
}

/** trace: integers (bool excepted) sum in int64, as torch.sum. */
function traceType(a: BoundArgs): TensorType {
  const self = a.tensor('self');
  const dtype = self.tensor.dtype;
  if (rankOf(self) !== 2) fail('TRACE_TYPE', `aten::trace: expected a matrix, but got tensor with dim ${rankOf(self)}`);
  if (dtype === 'bool') fail('TRACE_TYPE', 'aten::trace: "trace" not implemented for \'Bool\'');
  return tensorOf(isIntegral(dtype) ? 'int64' : dtype, []);
}

/**
 * diagonal_scatter: self with its diagonal at `offset` of the (d1, d2) planes replaced by src: the
 * planes flattened with src appended, each flat position gathers its own element or its src one.
 */
function lowerDiagonalScatter(ctx: LowerContext, a: BoundArgs): string[] {
  const op = 'aten::diagonal_scatter';
  const self = a.tensor('self');
  const src = a.tensor('src');
  const shape = shapeOf(self);
  const rank = shape.length;
  const [d1, d2] = diagonalDims(op, rank, a.int('dim1'), a.int('dim2'));
  const offset = a.int('offset');
  const n1 = shape[d1];
  const n2 = shape[d2];
  if (typeof n1 !== 'number' || typeof n2 !== 'number') return fail('TRACE_UNSUPPORTED', `${op}: the diagonal of dimensions of dynamic size is not supported`);
  const others = shape.map((_, i) => i).filter((i) => i !== d1 && i !== d2);
  const perm = [...others, d1, d2];
  const moved = transpose(ctx, ctx.input(self), perm);
  const batch = others.map((i) => shape[i]);
  const flat = reshapeTail(ctx, moved, batch, others.length, [n1 * n2]);
  const values = castTo(ctx, ctx.input(src), src.tensor.dtype, self.tensor.dtype);
  const joined = ctx.b.op1('Concat', [flat, values], { axis: rank - 2 });
  const length = Math.max(0, offset >= 0 ? Math.min(n1, n2 - offset) : Math.min(n1 + offset, n2));
  const indices = Array.from({ length: n1 * n2 }, (_, p) => p);
  for (let k = 0; k < length; k++) indices[offset >= 0 ? k * n2 + k + offset : (k - offset) * n2 + k] = n1 * n2 + k;
  const gathered = ctx.b.op1('Gather', [joined, ctx.b.int64s(indices)], { axis: rank - 2 });
  const planes = reshapeTail(ctx, gathered, batch, others.length, [n1, n2]);
  const inverse = perm.map((_, i) => perm.indexOf(i));
  return [transpose(ctx, planes, inverse)];
}

const diagonalOps: OpDef[] = [
  {
    schemas: ['aten::diagonal(Tensor(a) self, int offset=0, int dim1=0, int dim2=1) -> Tensor(a)'],
    infer: (a) => {
      const self = a.tensor('self');
      const [d1, d2] = diagonalDims('aten::diagonal', rankOf(self), a.int('dim1'), a.int('dim2'));
      return [tensorOf(self.tensor.dtype, diagonalShape(a, shapeOf(self), a.int('offset'), d1, d2))];
    },
    lower: {
      7: (ctx, a) => {
        const self = a.tensor('self');
        const [d1, d2] = diagonalDims('aten::diagonal', rankOf(self), a.int('dim1'), a.int('dim2'));
        return [takeDiagonal(ctx, 'aten::diagonal', ctx.input(self), shapeOf(self), a.int('offset'), d1, d2)];
      },
    },
  },
  {
    schemas: ['aten::linalg_diagonal(Tensor(a) A, *, int offset=0, int dim1=-2, int dim2=-1) -> Tensor(a)'],
    infer: (a) => {
      const A = a.tensor('A');
      const [d1, d2] = diagonalDims('aten::linalg_diagonal', rankOf(A), a.int('dim1'), a.int('dim2'));
      return [tensorOf(A.tensor.dtype, diagonalShape(a, shapeOf(A), a.int('offset'), d1, d2))];
    },
    lower: {
      7: (ctx, a) => {
        const A = a.tensor('A');
        const [d1, d2] = diagonalDims('aten::linalg_diagonal', rankOf(A), a.int('dim1'), a.int('dim2'));
        return [takeDiagonal(ctx, 'aten::linalg_diagonal', ctx.input(A), shapeOf(A), a.int('offset'), d1, d2)];
      },
    },
  },
  {
    schemas: ['aten::diag_embed(Tensor self, int offset=0, int dim1=-2, int dim2=-1) -> Tensor'],
    infer: (a) => [diagEmbedType(a)],
    lower: {
      7: (ctx, a) => {
        const self = a.tensor('self');
        const [d1, d2] = diagonalDims('aten::diag_embed', rankOf(self) + 1, a.int('dim1'), a.int('dim2'));
        return [embedDiagonal(ctx, 'aten::diag_embed', ctx.input(self), self.tensor.dtype, shapeOf(self), a.int('offset'), d1, d2)];
      },
    },
  },
  {
    schemas: ['aten::diag(Tensor self, int diagonal=0) -> Tensor'],
    infer: (a) => [diagType(a)],
    lower: {
      7: (ctx, a) => {
        const self = a.tensor('self');
        const shape = shapeOf(self);
        const offset = a.int('diagonal');
        if (shape.length === 1) return [embedDiagonal(ctx, 'aten::diag', ctx.input(self), self.tensor.dtype, shape, offset, 0, 1)];
        return [takeDiagonal(ctx, 'aten::diag', ctx.input(self), shape, offset, 0, 1)];
      },
    },
  },
  {
    schemas: ['aten::diagonal_scatter(Tensor self, Tensor src, int offset=0, int dim1=0, int dim2=1) -> Tensor'],
    infer: (a) => {
      const op = 'aten::diagonal_scatter';
      const self = a.tensor('self');
      const [d1, d2] = diagonalDims(op, rankOf(self), a.int('dim1'), a.int('dim2'));
      const expected = diagonalShape(a, shapeOf(self), a.int('offset'), d1, d2);
      const src = shapeOf(a.tensor('src'));
      if (src.length !== expected.length || src.some((d, i) => knownDifferent(d, expected[i]))) {
        fail('TRACE_TYPE', `${op}: expected src to have a size equal to the slice of self. src size = [${src.join(', ')}], slice size = [${expected.join(', ')}]`);
      }
      return [self.tensor];
    },
    lower: { 7: lowerDiagonalScatter },
  },
  {
    schemas: ['aten::trace(Tensor self) -> Tensor'],
    infer: (a) => [traceType(a)],
    lower: {
      7: (ctx, a) => {
        const self = a.tensor('self');
        const dtype = self.tensor.dtype;
        const out = ctx.node.outputs[0].tensor.dtype;
        // ReduceSum: int64 for integers, float32 for bfloat16 before opset 13.
        const compute = out === 'bfloat16' && ctx.opset < 13 ? 'float32' : out;
        const diagonal = takeDiagonal(ctx, 'aten::trace', castTo(ctx, ctx.input(self), dtype, compute), shapeOf(self), 0, 0, 1);
        return [castTo(ctx, reduce(ctx, 'ReduceSum', diagonal, undefined, false), compute, out)];
      },
    },
  },
];

// ---------------------------------------------------------------------------------------------
// Small matrices in closed form: each element a value of shape [...batch, 1, 1]
// ---------------------------------------------------------------------------------------------

/** Matrices up to this size are inverted (and, below opset 11, their determinants taken) by cofactors. */
const COFACTOR_MAX = 4;
/** Cholesky factors are unrolled up to this size (n³/3 nodes). */
const UNROLLED_MAX = 16;

type Cells = string[][];

/** The n × n elements of a batch of matrices x of rank `rank`, each [...batch, 1, 1]. */
function cellsOf(ctx: LowerContext, x: string, rank: number, n: number): Cells {
  const ones = Array<number>(n).fill(1);
  return split(ctx, x, rank - 2, ones).map((row) => split(ctx, row, rank - 1, ones));
}

/** The matrix the cells hold, [...batch, rows, cols]. */
function assemble(ctx: LowerContext, cells: Cells, rank: number): string {
  const rows = cells.map((row) => (row.length === 1 ? row[0] : ctx.b.op1('Concat', row, { axis: rank - 1 })));
  return rows.length === 1 ? rows[0] : ctx.b.op1('Concat', rows, { axis: rank - 2 });
}

/** Determinants of the square sub-matrices of `cells`, by Laplace expansion along the first row, each computed once. */
class Minors {
  private readonly memo = new Map<string, string>();

  constructor(
    private readonly ctx: LowerContext,
    private readonly cells: Cells,
  ) {}

  /** det of the rows × cols sub-matrix (ascending indices, as many rows as columns). */
  det(rows: readonly number[], cols: readonly number[]): string {
    const b = this.ctx.b;
    if (rows.length === 1) return this.cells[rows[0]][cols[0]];
    const key = `${rows.join(',')}|${cols.join(',')}`;
    const known = this.memo.get(key);
    if (known) return known;
    let sum = '';
    cols.forEach((col, j) => {
      const term = b.op1('Mul', [this.cells[rows[0]][col], this.det(rows.slice(1), cols.filter((_, k) => k !== j))]);
      sum = j === 0 ? term : b.op1(j % 2 === 0 ? 'Add' : 'Sub', [sum, term]);
    });
    this.memo.set(key, sum);
    return sum;
  }

  /** The minor of element (i, j): the determinant without row i and column j. */
  minor(i: number, j: number): string {
    const all = this.cells.map((_, k) => k);
    return this.det(all.filter((k) => k !== i), all.filter((k) => k !== j));
  }
}

/** The static size n of batches of n × n matrices, within `max`, or a failure naming the limit. */
function smallSize(op: string, shape: readonly Dim[], max: number, what: string): number {
  const n = shape[shape.length - 1];
  if (typeof n !== 'number') return fail('OP_UNSUPPORTED', `${op}: ${what} needs matrices of static size (ONNX has no such op)`);
  if (n < 1 || n > max) return fail('OP_UNSUPPORTED', `${op}: ${what} is only written for matrices from 1×1 to ${max}×${max} (ONNX has no such op), got ${n}×${n}`);
  return n;
}

/** The closed-form compute dtype for a float matrix: float32 for the 16-bit floats. */
function closedFormDtype(dtype: DType): DType {
  return dtype === 'float64' ? 'float64' : 'float32';
}

/**
 * det over the last two axes, given in closedFormDtype(dtype). Det from opset 11, in float32 (the one
 * dtype onnxruntime's Det runs in besides float16), except for float64 matrices small enough for the
 * cofactor expansion, which keeps float64; below opset 11, the cofactor expansion up to 4×4.
 */
function determinant(ctx: LowerContext, op: string, x: string, shape: readonly Dim[], dtype: DType): string {
  const rank = shape.length;
  const n = shape[rank - 1];
  const compute = closedFormDtype(dtype);
  const small = typeof n === 'number' && n >= 1 && n <= COFACTOR_MAX;
  if (ctx.opset >= 11 && !(dtype === 'float64' && small)) {
    return castTo(ctx, ctx.b.op1('Det', [castTo(ctx, x, dtype, 'float32')]), 'float32', compute);
  }
  if (!small) needOpset(ctx, 11, `${op} of matrices larger than ${COFACTOR_MAX}×${COFACTOR_MAX} or of dynamic size (Det)`);
  const cells = cellsOf(ctx, castTo(ctx, x, dtype, compute), rank, n as number);
  const det = new Minors(ctx, cells).det(cells.map((_, i) => i), cells.map((_, i) => i));
  return squeeze(ctx, det, [rank - 2, rank - 1]);
}

/** The inverse by cofactors: inv[i][j] = (−1)^(i+j) · minor(j, i) / det. */
function inverse(ctx: LowerContext, op: string, x: string, shape: readonly Dim[], dtype: DType): string {
  const rank = shape.length;
  const n = smallSize(op, shape, COFACTOR_MAX, 'the inverse');
  const compute = closedFormDtype(dtype);
  const b = ctx.b;
  const input = castTo(ctx, x, dtype, compute);
  if (n === 1) return castTo(ctx, b.op1('Reciprocal', [input]), compute, dtype);
  const cells = cellsOf(ctx, input, rank, n);
  const minors = new Minors(ctx, cells);
  let det = '';
  cells[0].forEach((cell, j) => {
    const term = b.op1('Mul', [cell, minors.minor(0, j)]);
    det = j === 0 ? term : b.op1(j % 2 === 0 ? 'Add' : 'Sub', [det, term]);
  });
  const reciprocal = b.op1('Reciprocal', [det]);
  const negated = b.op1('Neg', [reciprocal]);
  const inv = cells.map((row, i) => row.map((_, j) => b.op1('Mul', [minors.minor(j, i), (i + j) % 2 === 0 ? reciprocal : negated])));
  return castTo(ctx, assemble(ctx, inv, rank), compute, dtype);
}

/** The lower Cholesky factor of the lower (or, for `upper`, of the transposed upper) triangle; the upper factor is its transpose. */
function cholesky(ctx: LowerContext, op: string, x: string, shape: readonly Dim[], dtype: DType, upper: boolean): string {
  const rank = shape.length;
  const n = smallSize(op, shape, UNROLLED_MAX, 'the Cholesky factorisation');
  const compute = closedFormDtype(dtype);
  const b = ctx.b;
  const cells = cellsOf(ctx, castTo(ctx, x, dtype, compute), rank, n);
  const element = (i: number, j: number) => (upper ? cells[j][i] : cells[i][j]);
  const L: string[][] = cells.map(() => []);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = element(i, j);
      for (let k = 0; k < j; k++) s = b.op1('Sub', [s, b.op1('Mul', [L[i][k], L[j][k]])]);
      L[i][j] = i === j ? b.op1('Sqrt', [s]) : b.op1('Div', [s, L[j][j]]);
    }
  }
  if (n > 1) {
    const cellShape = [...shape.slice(0, -2), 1, 1];
    const zero = zerosShaped(ctx, cellShape, () => ctx.b.op1('Shape', [cells[0][0]]), compute, op);
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) L[i][j] = zero;
  }
  const lower = assemble(ctx, L, rank);
  const perm = Array.from({ length: rank }, (_, i) => (i === rank - 2 ? rank - 1 : i === rank - 1 ? rank - 2 : i));
  return castTo(ctx, upper ? transpose(ctx, lower, perm) : lower, compute, dtype);
}

/** The `info` output of the `_ex` ops: int32 zeros of the batch shape (the closed forms do not detect failures). */
function zeroInfo(ctx: LowerContext, x: string, shape: readonly Dim[], op: string): string {
  const batch = shape.slice(0, -2);
  if (batch.length === 0) return ctx.b.scalar('int32', 0);
  return zerosShaped(ctx, batch, () => sizesOf(ctx, x, shape, batch.map((_, i) => i)), 'int32', `${op}'s info`);
}

function squareFloatType(a: BoundArgs, name: string, op: string): TensorType {
  const v = a.tensor(name);
  const shape = squareShape(op, v);
  requireFloat(op, name, v.tensor.dtype);
  return tensorOf(v.tensor.dtype, shape);
}

interface SolvePlan {
  vector: boolean;
  shape: Dim[];
}

/** torch's rule: B is a vector (or a batch of vectors) when 1-D, or when its shape is A's without the last axis. */
function solvePlan(a: BoundArgs): SolvePlan {
  const op = 'aten::linalg_solve';
  const A = a.tensor('A');
  const B = a.tensor('B');
  const shapeA = squareShape(op, A);
  requireFloat(op, 'A', A.tensor.dtype);
  if (A.tensor.dtype !== B.tensor.dtype) {
    fail('TRACE_TYPE', `${op}: Expected A and B to have the same dtype, but found A of type ${A.tensor.dtype} and B of type ${B.tensor.dtype} instead`);
  }
  const shapeB = shapeOf(B);
  const n = shapeA[shapeA.length - 1];
  const left = a.bool('left');
  const vector = shapeB.length === 1 || (shapeB.length === shapeA.length - 1 && shapeB.every((d, i) => d === shapeA[i]));
  if (vector) {
    if (!left && n !== 1) fail('TRACE_TYPE', `${op}: Incompatible shapes of A and B for the equation XA = B`);
    sameLength(op, shapeB[shapeB.length - 1], n, 'Incompatible shapes of A and B for the equation AX = B');
    return { vector, shape: [...broadcastShapes(shapeA.slice(0, -2), shapeB.slice(0, -1)), n] };
  }
  if (shapeB.length < 2) fail('TRACE_TYPE', `${op}: B must have at least 1 dimension`);
  const [rows, cols] = shapeB.slice(-2);
  sameLength(op, left ? rows : cols, n, `Incompatible shapes of A and B for the equation ${left ? 'AX = B' : 'XA = B'}`);
  return { vector, shape: [...broadcastShapes(shapeA.slice(0, -2), shapeB.slice(0, -2)), rows, cols] };
}

/** X = A⁻¹B (or BA⁻¹ for left=False) with the closed-form inverse. */
function solve(ctx: LowerContext, a: BoundArgs): string {
  const op = 'aten::linalg_solve';
  const A = a.tensor('A');
  const B = a.tensor('B');
  const plan = solvePlan(a);
  const dtype = A.tensor.dtype;
  const inv = inverse(ctx, op, ctx.input(A), shapeOf(A), dtype);
  const rankB = rankOf(B);
  if (plan.vector) {
    const column = unsqueeze(ctx, ctx.input(B), [rankB]);
    return squeeze(ctx, product(ctx, op, inv, column, dtype), [plan.shape.length]);
  }
  return a.bool('left') ? product(ctx, op, inv, ctx.input(B), dtype) : product(ctx, op, ctx.input(B), inv, dtype);
}

const matrixOps: OpDef[] = [
  ...(['linalg_det', 'det'] as const).map((name): OpDef => {
    const arg = name === 'det' ? 'self' : 'A';
    const op = `aten::${name}`;
    return {
      schemas: [`aten::${name}(Tensor ${arg}) -> Tensor`],
      infer: (a) => {
        const t = squareFloatType(a, arg, op);
        return [tensorOf(t.dtype, t.shape.slice(0, -2))];
      },
      lower: {
        7: (ctx, a) => {
          const dtype = a.tensor(arg).tensor.dtype;
          return [castTo(ctx, determinant(ctx, op, ctx.input(a.tensor(arg)), shapeOf(a.tensor(arg)), dtype), closedFormDtype(dtype), dtype)];
        },
      },
    };
  }),
  {
    schemas: ['aten::logdet(Tensor self) -> Tensor'],
    infer: (a) => {
      const t = squareFloatType(a, 'self', 'aten::logdet');
      return [tensorOf(t.dtype, t.shape.slice(0, -2))];
    },
    // log(det): NaN for a negative determinant and -inf for a singular matrix, as torch.
    lower: {
      7: (ctx, a) => {
        const self = a.tensor('self');
        const dtype = self.tensor.dtype;
        const compute = closedFormDtype(dtype);
        const det = determinant(ctx, 'aten::logdet', ctx.input(self), shapeOf(self), dtype);
        return [castTo(ctx, ctx.b.op1('Log', [det]), compute, dtype)];
      },
    },
  },
  ...(['slogdet', 'linalg_slogdet'] as const).map((name): OpDef => {
    const arg = name === 'slogdet' ? 'self' : 'A';
    const op = `aten::${name}`;
    return {
      schemas: [`aten::${name}(Tensor ${arg}) -> (Tensor sign, Tensor logabsdet)`],
      infer: (a) => {
        const t = squareFloatType(a, arg, op);
        const out = tensorOf(t.dtype, t.shape.slice(0, -2));
        return [out, out];
      },
      lower: {
        7: (ctx, a) => {
          const v = a.tensor(arg);
          const dtype = v.tensor.dtype;
          const compute = closedFormDtype(dtype);
          const det = determinant(ctx, op, ctx.input(v), shapeOf(v), dtype);
          const logabs = ctx.b.op1('Log', [ctx.b.op1('Abs', [det])]);
          return [castTo(ctx, sign(ctx, det, compute), compute, dtype), castTo(ctx, logabs, compute, dtype)];
        },
      },
    };
  }),
  ...(['linalg_inv', 'inverse'] as const).map((name): OpDef => {
    const arg = name === 'inverse' ? 'self' : 'A';
    const op = `aten::${name}`;
    return {
      schemas: [`aten::${name}(Tensor ${arg}) -> Tensor`],
      infer: (a) => [squareFloatType(a, arg, op)],
      lower: { 7: (ctx, a) => [inverse(ctx, op, ctx.input(a.tensor(arg)), shapeOf(a.tensor(arg)), a.tensor(arg).tensor.dtype)] },
    };
  }),
  {
    schemas: ['aten::linalg_inv_ex(Tensor A, *, bool check_errors=False) -> (Tensor inverse, Tensor info)'],
    infer: (a) => {
      const t = squareFloatType(a, 'A', 'aten::linalg_inv_ex');
      return [t, tensorOf('int32', t.shape.slice(0, -2))];
    },
    lower: {
      7: (ctx, a) => {
        const A = a.tensor('A');
        const x = ctx.input(A);
        return [inverse(ctx, 'aten::linalg_inv_ex', x, shapeOf(A), A.tensor.dtype), zeroInfo(ctx, x, shapeOf(A), 'aten::linalg_inv_ex')];
      },
    },
  },
  {
    schemas: ['aten::linalg_solve(Tensor A, Tensor B, *, bool left=True) -> Tensor'],
    infer: (a) => [tensorOf(a.tensor('A').tensor.dtype, solvePlan(a).shape)],
    lower: { 7: (ctx, a) => [solve(ctx, a)] },
  },
  {
    schemas: ['aten::cholesky(Tensor self, bool upper=False) -> Tensor'],
    infer: (a) => [squareFloatType(a, 'self', 'aten::cholesky')],
    lower: {
      7: (ctx, a) => {
        const self = a.tensor('self');
        return [cholesky(ctx, 'aten::cholesky', ctx.input(self), shapeOf(self), self.tensor.dtype, a.bool('upper'))];
      },
    },
  },
  {
    schemas: ['aten::linalg_cholesky(Tensor self, *, bool upper=False) -> Tensor'],
    infer: (a) => [squareFloatType(a, 'self', 'aten::linalg_cholesky')],
    lower: {
      7: (ctx, a) => {
        const self = a.tensor('self');
        return [cholesky(ctx, 'aten::linalg_cholesky', ctx.input(self), shapeOf(self), self.tensor.dtype, a.bool('upper'))];
      },
    },
  },
  {
    schemas: ['aten::linalg_cholesky_ex(Tensor self, *, bool upper=False, bool check_errors=False) -> (Tensor L, Tensor info)'],
    infer: (a) => {
      const t = squareFloatType(a, 'self', 'aten::linalg_cholesky_ex');
      return [t, tensorOf('int32', t.shape.slice(0, -2))];
    },
    lower: {
      7: (ctx, a) => {
        const op = 'aten::linalg_cholesky_ex';
        const self = a.tensor('self');
        const x = ctx.input(self);
        return [cholesky(ctx, op, x, shapeOf(self), self.tensor.dtype, a.bool('upper')), zeroInfo(ctx, x, shapeOf(self), op)];
      },
    },
  },
];

// ---------------------------------------------------------------------------------------------
// Triangular solves by substitution (solve_triangular, triangular_solve, cholesky_solve/inverse)
// ---------------------------------------------------------------------------------------------

/**
 * x broadcast to the batch axes it shares with `other` (Expand, opset 8), when those differ from its own:
 * Expand to other's batch sizes followed by [1, 1] gives the broadcast of both.
 */
function broadcastBatch(ctx: LowerContext, x: string, xShape: readonly Dim[], other: string, otherShape: readonly Dim[], what: string): string {
  const own = xShape.slice(0, -2);
  const theirs = otherShape.slice(0, -2);
  const both = broadcastShapes(own, theirs);
  if (both.length === own.length && both.every((d, i) => d === own[i])) return x;
  needOpset(ctx, 8, `${what} with batch sizes to broadcast (Expand)`);
  const known = staticInts(theirs);
  const target = known
    ? ctx.b.int64s([...known, 1, 1])
    : ctx.b.op1('Concat', [sizesOf(ctx, other, otherShape, theirs.map((_, i) => i)), ctx.b.int64s([1, 1])], { axis: 0 });
  return ctx.b.op1('Expand', [x, target]);
}

/**
 * Solves T X = B by substitution, T triangular (its cells, upper or lower; the other triangle is
 * never read) and B's rows given ([..., 1, k] each, batch already broadcast): the rows of X.
 */
function substitute(ctx: LowerContext, t: Cells, rows: readonly string[], upper: boolean, unit: boolean): string[] {
  const b = ctx.b;
  const n = t.length;
  const x: string[] = Array(n);
  const order = Array.from({ length: n }, (_, i) => (upper ? n - 1 - i : i));
  for (const i of order) {
    let s = rows[i];
    const known = Array.from({ length: n }, (_, k) => k).filter((k) => (upper ? k > i : k < i));
    for (const k of known) s = b.op1('Sub', [s, b.op1('Mul', [t[i][k], x[k]])]);
    x[i] = unit ? s : b.op1('Div', [s, t[i][i]]);
  }
  return x;
}

function transposed(cells: Cells): Cells {
  return cells.map((row, i) => row.map((_, j) => cells[j][i]));
}

interface TriangularSolve {
  /** The coefficient matrices [..., n, n] and right-hand sides [..., n, k]. */
  a: string;
  aShape: readonly Dim[];
  b: string;
  bShape: readonly Dim[];
  /** Solve with A's transpose (triangular_solve's `transpose`). */
  transposeA: boolean;
  /** The triangle of A (before any transpose) that holds it. */
  upper: boolean;
  unit: boolean;
  dtype: DType;
}

/** op(A) X = B for triangular A of static size: X, [broadcast batch, n, k]. */
function solveTriangular(ctx: LowerContext, op: string, s: TriangularSolve): string {
  const n = smallSize(op, s.aShape, UNROLLED_MAX, 'the triangular solve');
  const compute = closedFormDtype(s.dtype);
  const rank = Math.max(s.aShape.length, s.bShape.length);
  const a = castTo(ctx, s.a, s.dtype, compute);
  const cells = cellsOf(ctx, a, s.aShape.length, n);
  const rhs = broadcastBatch(ctx, castTo(ctx, s.b, s.dtype, compute), s.bShape, a, s.aShape, op);
  const rows = split(ctx, rhs, rank - 2, Array<number>(n).fill(1));
  const x = substitute(ctx, s.transposeA ? transposed(cells) : cells, rows, s.transposeA ? !s.upper : s.upper, s.unit);
  return castTo(ctx, n === 1 ? x[0] : ctx.b.op1('Concat', x, { axis: rank - 2 }), compute, s.dtype);
}

function swapLast(ctx: LowerContext, x: string, rank: number): string {
  return transpose(ctx, x, Array.from({ length: rank }, (_, i) => (i === rank - 2 ? rank - 1 : i === rank - 1 ? rank - 2 : i)));
}

function swappedShape(shape: readonly Dim[]): Dim[] {
  return [...shape.slice(0, -2), shape[shape.length - 1], shape[shape.length - 2]];
}

/** Shapes of A X = B with A [..., n, n] and B [..., n, k] (or [..., k, n] for X A = B): [broadcast batch, B's last two]. */
function triangularShape(op: string, A: GValue, B: GValue, left: boolean): Dim[] {
  const shapeA = squareShape(op, A);
  const shapeB = requireRank(op, B, 'B', (r) => r >= 2, 'at least 2-D');
  requireFloat(op, 'A', A.tensor.dtype);
  const n = shapeA[shapeA.length - 1];
  const [rows, cols] = shapeB.slice(-2);
  sameLength(op, left ? rows : cols, n, `Incompatible shapes of A and B for the equation ${left ? 'AX = B' : 'XA = B'}`);
  return [...broadcastShapes(shapeA.slice(0, -2), shapeB.slice(0, -2)), rows, cols];
}

function cholFactorShape(op: string, factor: GValue): readonly Dim[] {
  const shape = squareShape(op, factor);
  requireFloat(op, 'input', factor.tensor.dtype);
  return shape;
}

const triangularOps: OpDef[] = [
  {
    schemas: ['aten::linalg_solve_ex(Tensor A, Tensor B, *, bool left=True, bool check_errors=False) -> (Tensor result, Tensor info)'],
    infer: (a) => [tensorOf(a.tensor('A').tensor.dtype, solvePlan(a).shape), tensorOf('int32', shapeOf(a.tensor('A')).slice(0, -2))],
    lower: {
      7: (ctx, a) => {
        const A = a.tensor('A');
        return [solve(ctx, a), zeroInfo(ctx, ctx.input(A), shapeOf(A), 'aten::linalg_solve_ex')];
      },
    },
  },
  {
    schemas: ['aten::linalg_solve_triangular(Tensor self, Tensor B, *, bool upper, bool left=True, bool unitriangular=False) -> Tensor'],
    infer: (a) => [tensorOf(a.tensor('self').tensor.dtype, triangularShape('linalg.solve_triangular', a.tensor('self'), a.tensor('B'), a.bool('left')))],
    // X A = B is Aᵀ Xᵀ = Bᵀ. B takes A's dtype.
    lower: {
      7: (ctx, a) => {
        const op = 'aten::linalg_solve_triangular';
        const A = a.tensor('self');
        const B = a.tensor('B');
        const dtype = A.tensor.dtype;
        const left = a.bool('left');
        const rankB = rankOf(B);
        const rhs = castTo(ctx, ctx.input(B), B.tensor.dtype, dtype);
        const x = solveTriangular(ctx, op, {
          a: ctx.input(A), aShape: shapeOf(A), b: left ? rhs : swapLast(ctx, rhs, rankB), bShape: left ? shapeOf(B) : swappedShape(shapeOf(B)),
          transposeA: !left, upper: a.bool('upper'), unit: a.bool('unitriangular'), dtype,
        });
        return [left ? x : swapLast(ctx, x, Math.max(rankOf(A), rankB))];
      },
    },
  },
  {
    schemas: ['aten::triangular_solve(Tensor self, Tensor A, bool upper=True, bool transpose=False, bool unitriangular=False) -> (Tensor solution, Tensor cloned_coefficient)'],
    infer: (a) => {
      const op = 'aten::triangular_solve';
      const A = a.tensor('A');
      const B = a.tensor('self');
      if (A.tensor.dtype !== B.tensor.dtype) fail('TRACE_TYPE', `${op}: Expected b and A to have the same dtype, but found b of type ${B.tensor.dtype} and A of type ${A.tensor.dtype} instead.`);
      const shape = triangularShape(op, A, B, true);
      const n = shapeOf(A)[rankOf(A) - 1];
      return [tensorOf(A.tensor.dtype, shape), tensorOf(A.tensor.dtype, [...shape.slice(0, -2), n, n])];
    },
    lower: {
      7: (ctx, a) => {
        const op = 'aten::triangular_solve';
        const A = a.tensor('A');
        const B = a.tensor('self');
        const x = solveTriangular(ctx, op, {
          a: ctx.input(A), aShape: shapeOf(A), b: ctx.input(B), bShape: shapeOf(B),
          transposeA: a.bool('transpose'), upper: a.bool('upper'), unit: a.bool('unitriangular'), dtype: A.tensor.dtype,
        });
        return [x, broadcastBatch(ctx, ctx.input(A), shapeOf(A), ctx.input(B), shapeOf(B), op)];
      },
    },
  },
  {
    schemas: ['aten::cholesky_solve(Tensor self, Tensor input2, bool upper=False) -> Tensor'],
    infer: (a) => {
      const op = 'aten::cholesky_solve';
      const factor = a.tensor('input2');
      const B = a.tensor('self');
      cholFactorShape(op, factor);
      if (factor.tensor.dtype !== B.tensor.dtype) fail('TRACE_TYPE', `${op}: Expected b and A to have the same dtype, but found b of type ${B.tensor.dtype} and A of type ${factor.tensor.dtype} instead.`);
      return [tensorOf(B.tensor.dtype, triangularShape(op, factor, B, true))];
    },
    // A = L Lᵀ (or Uᵀ U): L Y = B, then Lᵀ X = Y.
    lower: {
      7: (ctx, a) => {
        const op = 'aten::cholesky_solve';
        const factor = a.tensor('input2');
        const B = a.tensor('self');
        const upper = a.bool('upper');
        const dtype = B.tensor.dtype;
        const shape = triangularShape(op, factor, B, true);
        const y = solveTriangular(ctx, op, { a: ctx.input(factor), aShape: shapeOf(factor), b: ctx.input(B), bShape: shapeOf(B), transposeA: upper, upper, unit: false, dtype });
        return [solveTriangular(ctx, op, { a: ctx.input(factor), aShape: shapeOf(factor), b: y, bShape: shape, transposeA: !upper, upper, unit: false, dtype })];
      },
    },
  },
  {
    schemas: ['aten::cholesky_inverse(Tensor self, bool upper=False) -> Tensor'],
    infer: (a) => [tensorOf(a.tensor('self').tensor.dtype, [...cholFactorShape('aten::cholesky_inverse', a.tensor('self'))])],
    // (L Lᵀ)⁻¹ = cholesky_solve(I, L).
    lower: {
      7: (ctx, a) => {
        const op = 'aten::cholesky_inverse';
        const factor = a.tensor('self');
        const shape = shapeOf(factor);
        const dtype = factor.tensor.dtype;
        const n = smallSize(op, shape, UNROLLED_MAX, 'the inverse from a Cholesky factor');
        const upper = a.bool('upper');
        const eye = identity(ctx, n, shape.slice(0, -2), ctx.input(factor), shape, dtype, op);
        const y = solveTriangular(ctx, op, { a: ctx.input(factor), aShape: shape, b: eye, bShape: shape, transposeA: upper, upper, unit: false, dtype });
        return [solveTriangular(ctx, op, { a: ctx.input(factor), aShape: shape, b: y, bShape: shape, transposeA: !upper, upper, unit: false, dtype })];
      },
    },
  },
];

// ---------------------------------------------------------------------------------------------
// Norms: linalg_norm, linalg_matrix_norm, renorm
// ---------------------------------------------------------------------------------------------

type MatrixOrder = number | 'fro' | 'nuc';

/** What a norm call computes: a vector norm over `axes` (all when undefined) or a matrix norm over two axes. */
type NormPlan =
  | { kind: 'vector'; p: number; axes: Axes; keepdim: boolean; dtype: DType; shape: Dim[] }
  | { kind: 'matrix'; ord: MatrixOrder; axes: [number, number]; keepdim: boolean; dtype: DType; shape: Dim[] };

function reducedShape(shape: readonly Dim[], axes: Axes, keepdim: boolean): Dim[] {
  const reduced = (i: number) => axes === undefined || axes.includes(i);
  return keepdim ? shape.map((d, i) => (reduced(i) ? 1 : d)) : shape.filter((_, i) => !reduced(i));
}

function normDtype(a: BoundArgs, op: string): DType {
  const input = a.tensor('self').tensor.dtype;
  requireFloat(op, 'input', input);
  const dtype = optDtype(a, 'dtype');
  if (dtype !== undefined) requireFloat(op, 'dtype', dtype);
  return dtype ?? input;
}

function matrixOrder(a: BoundArgs, op: string): MatrixOrder {
  if (a.schema.args.find((arg) => arg.name === 'ord')?.type.base === 'str') {
    const ord = a.str('ord');
    if (ord !== 'fro' && ord !== 'nuc') fail('TRACE_TYPE', `${op}: Order ${ord} not supported.`);
    return ord;
  }
  const ord = numberArg(a, 'ord');
  if (![1, -1, 2, -2, Infinity, -Infinity].includes(ord)) fail('TRACE_TYPE', `${op}: Order ${ord} not supported.`);
  return ord;
}

function matrixPlan(a: BoundArgs, op: string, ord: MatrixOrder, dims: readonly number[], dtype: DType): NormPlan {
  const shape = shapeOf(a.tensor('self'));
  if (shape.length < 2) fail('TRACE_TYPE', `${op}: The input tensor A must have at least 2 dimensions.`);
  if (dims.length !== 2) fail('TRACE_TYPE', `${op}: dim must be a 2-tuple. Got ${dims.join(' ')}`);
  const axes = dims.map((d) => axis(d, shape.length)) as [number, number];
  if (axes[0] === axes[1]) fail('TRACE_TYPE', `${op}: dims must be different. Got (${dims.join(', ')})`);
  const keepdim = a.bool('keepdim');
  return { kind: 'matrix', ord, axes, keepdim, dtype, shape: reducedShape(shape, axes, keepdim) };
}

function vectorPlan(a: BoundArgs, p: number, dims: readonly number[] | undefined, dtype: DType): NormPlan {
  const shape = shapeOf(a.tensor('self'));
  const keepdim = a.bool('keepdim');
  const axes = dims === undefined || dims.length === 0 || shape.length === 0 ? undefined : [...new Set(dims.map((d) => axis(d, shape.length)))].sort((x, y) => x - y);
  return { kind: 'vector', p, axes, keepdim, dtype, shape: reducedShape(shape, axes, keepdim) };
}

/** torch.linalg.norm's dispatch: a vector norm unless `ord` is given with two dims (or with none on a 2-D input), or is a string. */
function linalgNormPlan(a: BoundArgs): NormPlan {
  const op = 'linalg.norm';
  const dtype = normDtype(a, op);
  const rank = rankOf(a.tensor('self'));
  const dims = a.optInts('dim');
  const stringOrder = a.schema.overload === 'ord_str';
  if (!stringOrder && a.isNone('ord')) return vectorPlan(a, 2, dims, dtype);
  if (dims === undefined && rank !== 1 && rank !== 2) fail('TRACE_TYPE', `${op}: If dim is not specified but ord is, the input must be 1D or 2D. Got ${rank}D.`);
  const effective = dims ?? (rank === 2 || stringOrder ? [0, 1] : [0]);
  if (stringOrder || effective.length === 2) return matrixPlan(a, 'linalg.matrix_norm', matrixOrder(a, 'linalg.matrix_norm'), effective, dtype);
  if (effective.length !== 1) fail('TRACE_TYPE', `${op}: dim must be a 1-tuple or a 2-tuple. Got ${effective.length} dims`);
  return vectorPlan(a, numberArg(a, 'ord'), effective, dtype);
}

function matrixNormPlan(a: BoundArgs): NormPlan {
  const op = 'linalg.matrix_norm';
  return matrixPlan(a, op, matrixOrder(a, op), a.ints('dim'), normDtype(a, op));
}

/**
 * A matrix norm over axes (d0, d1): Frobenius as the 2-norm of the elements; ±1 as the max/min over
 * d1 of the column sums of |x| over d0, ±inf the same with the axes swapped. The nuclear and ±2
 * norms need singular values, which ONNX cannot compute.
 */
function matrixNorm(ctx: LowerContext, x: string, ord: MatrixOrder, axes: [number, number], keepdim: boolean): string {
  const sorted = [...axes].sort((p, q) => p - q);
  if (ord === 'fro') return reduce(ctx, 'ReduceL2', x, sorted, keepdim);
  if (ord === 'nuc' || Math.abs(ord) === 2) {
    return fail('OP_UNSUPPORTED', `linalg.matrix_norm: the ${ord === 'nuc' ? 'nuclear' : `${ord}`} norm needs singular values (SVD), which ONNX has no op for`);
  }
  const [sumAxis, extremeAxis] = Math.abs(ord) === 1 ? axes : [axes[1], axes[0]];
  const sums = reduce(ctx, 'ReduceL1', x, [sumAxis], true);
  const extreme = reduce(ctx, ord > 0 ? 'ReduceMax' : 'ReduceMin', sums, [extremeAxis], true);
  return keepdim ? extreme : squeeze(ctx, extreme, sorted);
}

function lowerNorm(plan: (a: BoundArgs) => NormPlan) {
  return (ctx: LowerContext, a: BoundArgs): string[] => {
    const p = plan(a);
    const self = a.tensor('self');
    const compute = p.dtype === 'bfloat16' && ctx.opset < 13 ? 'float32' : p.dtype;
    const x = castTo(ctx, castTo(ctx, ctx.input(self), self.tensor.dtype, p.dtype), p.dtype, compute);
    const norm = p.kind === 'vector' ? pNorm(ctx, x, compute, p.p, p.axes, p.keepdim) : matrixNorm(ctx, x, p.ord, p.axes, p.keepdim);
    return [castTo(ctx, norm, compute, p.dtype)];
  };
}

function renormArgs(a: BoundArgs): { p: number; dim: number; maxnorm: number } {
  const op = 'aten::renorm';
  const self = a.tensor('self');
  requireFloat(op, 'input', self.tensor.dtype);
  const rank = rankOf(self);
  if (rank < 2) fail('TRACE_TYPE', `${op}: input needs at least 2 dimensions, got ${rank} dimensions`);
  const p = numberArg(a, 'p');
  if (!(p > 0)) fail('TRACE_TYPE', `${op}: non-positive-norm not supported`);
  const maxnorm = numberArg(a, 'maxnorm');
  if (maxnorm < 0) fail('TRACE_TYPE', `${op}: expected maxnorm to be >= 0 but got ${maxnorm}`);
  return { p, dim: axis(a.int('dim'), rank), maxnorm };
}

/** Each slice along dim whose p-norm exceeds maxnorm is scaled by maxnorm / (norm + 1e-7), as torch. */
function lowerRenorm(ctx: LowerContext, a: BoundArgs): string[] {
  const { p, dim, maxnorm } = renormArgs(a);
  const self = a.tensor('self');
  const dtype = self.tensor.dtype;
  const compute = floatCompute(dtype);
  const b = ctx.b;
  const x = castTo(ctx, ctx.input(self), dtype, compute);
  const axes = shapeOf(self).map((_, i) => i).filter((i) => i !== dim);
  const norm = pNorm(ctx, x, compute, p, axes, true);
  const limit = b.scalar(compute, maxnorm);
  const scale = b.op1('Div', [limit, b.op1('Add', [norm, b.scalar(compute, 1e-7)])]);
  const over = b.op1('Greater', [norm, limit]);
  let factor: string;
  if (ctx.opset >= 9) {
    factor = b.op1('Where', [over, scale, b.scalar(compute, 1)]);
  } else {
    // over · scale + (1 − over), exact for over ∈ {0, 1}.
    const g = castTo(ctx, over, 'bool', compute);
    factor = b.op1('Add', [b.op1('Mul', [g, scale]), b.op1('Sub', [b.scalar(compute, 1), g])]);
  }
  return [castTo(ctx, b.op1('Mul', [x, factor]), compute, dtype)];
}

const NORM_TAIL = 'bool keepdim=False, *, ScalarType? dtype=None) -> Tensor';

const normOps: OpDef[] = [
  {
    schemas: [
      `aten::linalg_norm(Tensor self, Scalar? ord=None, int[1]? dim=None, ${NORM_TAIL}`,
      `aten::linalg_norm.ord_str(Tensor self, str ord, int[1]? dim=None, ${NORM_TAIL}`,
    ],
    infer: (a) => {
      const plan = linalgNormPlan(a);
      return [tensorOf(plan.dtype, plan.shape)];
    },
    lower: { 7: lowerNorm(linalgNormPlan) },
  },
  {
    schemas: [
      `aten::linalg_matrix_norm(Tensor self, Scalar ord, int[] dim=[-2, -1], ${NORM_TAIL}`,
      `aten::linalg_matrix_norm.str_ord(Tensor self, str ord="fro", int[] dim=[-2, -1], ${NORM_TAIL}`,
    ],
    infer: (a) => {
      const plan = matrixNormPlan(a);
      return [tensorOf(plan.dtype, plan.shape)];
    },
    lower: { 7: lowerNorm(matrixNormPlan) },
  },
  {
    schemas: ['aten::renorm(Tensor self, Scalar p, int dim, Scalar maxnorm) -> Tensor'],
    infer: (a): ValueType[] => {
      renormArgs(a);
      return [a.tensor('self').tensor];
    },
    lower: { 7: lowerRenorm },
  },
];

// ---------------------------------------------------------------------------------------------
// vecdot, addmv, addr, matrix_power, multi_dot, chain_matmul, kron, pdist
// ---------------------------------------------------------------------------------------------

/** alpha/beta of addmv and addr: a known number; integer results refuse a Python float, as torch. */
function coefficient(a: BoundArgs, name: string, dtype: DType): number {
  if (isIntegral(dtype) && a.scalar(name) instanceof PyFloat) {
    fail('TRACE_TYPE', `${a.schema.name}: For integral input tensors, argument ${name} must not be a floating point number.`);
  }
  return numberArg(a, name);
}

/** beta·self + alpha·product in `dtype` (computed in `compute`); beta = 0 ignores self, NaN and inf included, as torch. */
function scaledSum(ctx: LowerContext, self: GValue, productValue: string, dtype: DType, compute: DType, alpha: number, beta: number): string {
  const b = ctx.b;
  const scale = (x: string, factor: number) => (factor === 1 ? x : b.op1('Mul', [x, b.scalar(compute, factor)]));
  const term = scale(productValue, alpha);
  if (beta === 0) return castTo(ctx, term, compute, dtype);
  const addend = scale(castTo(ctx, ctx.input(self), self.tensor.dtype, compute), beta);
  return castTo(ctx, b.op1('Add', [addend, term]), compute, dtype);
}

/** An n × n identity of `dtype` with the batch axes of `like`: a constant when static, else expanded (opset 8). */
function identity(ctx: LowerContext, n: number, batch: readonly Dim[], like: string, likeShape: readonly Dim[], dtype: DType, what: string): string {
  const known = staticInts(batch);
  const count = known ? known.reduce((p, d) => p * d, 1) : 1;
  const eye = Array.from({ length: count * n * n }, (_, i) => (Math.floor((i % (n * n)) / n) === i % n ? 1 : 0));
  if (known) return ctx.b.constant(dtype, [...known, n, n], eye);
  needOpset(ctx, 8, `${what} with dynamic batch sizes (Expand)`);
  const target = ctx.b.op1('Concat', [sizesOf(ctx, like, likeShape, batch.map((_, i) => i)), ctx.b.int64s([n, n])], { axis: 0 });
  return ctx.b.op1('Expand', [ctx.b.constant(dtype, [n, n], eye), target]);
}

/** x^n by repeated squaring; n = 0 gives the identity, a negative n the power of the (closed-form) inverse. */
function matrixPower(ctx: LowerContext, op: string, self: GValue, n: number): string {
  const shape = shapeOf(self);
  const dtype = self.tensor.dtype;
  const size = shape[shape.length - 1];
  if (n === 0) {
    if (typeof size !== 'number') return fail('TRACE_UNSUPPORTED', `${op}: the 0th power of matrices of dynamic size is not supported`);
    return identity(ctx, size, shape.slice(0, -2), ctx.input(self), shape, dtype, op);
  }
  let base = n < 0 ? inverse(ctx, op, ctx.input(self), shape, dtype) : ctx.input(self);
  let result: string | undefined;
  for (let e = Math.abs(n); e > 0; e = Math.floor(e / 2)) {
    if (e % 2 === 1) result = result === undefined ? base : product(ctx, op, result, base, dtype);
    if (e > 1) base = product(ctx, op, base, base, dtype);
  }
  return result as string;
}

function matrixPowerDef(name: 'linalg_matrix_power' | 'matrix_power'): OpDef {
  const op = `aten::${name}`;
  return {
    schemas: [`aten::${name}(Tensor self, int n) -> Tensor`],
    infer: (a) => {
      const self = a.tensor('self');
      const shape = squareShape(op, self);
      if (a.int('n') < 0) requireFloat(op, 'input', self.tensor.dtype);
      return [tensorOf(self.tensor.dtype, shape)];
    },
    lower: { 7: (ctx, a) => [matrixPower(ctx, op, a.tensor('self'), a.int('n'))] },
  };
}

/** multi_dot: the first operand may be 1-D (a row) and the last 1-D (a column); the rest are matrices. */
function multiDotType(a: BoundArgs, listName: 'tensors' | 'matrices'): TensorType {
  const op = a.schema.name;
  const tensors = a.tensors(listName);
  const chain = listName === 'matrices';
  if (tensors.length < (chain ? 1 : 2)) fail('TRACE_TYPE', `${op}: expected at least ${chain ? 1 : 2} tensors but got ${tensors.length}`);
  const [first, ...rest] = tensors;
  requireSameDtype(op, ['tensor 0', first], ...rest.map((t, i): [string, GValue] => [`tensor ${i + 1}`, t]));
  const shapes = tensors.map((t, i) => {
    const rank = rankOf(t);
    const vectorAllowed = !chain && (i === 0 || i === tensors.length - 1);
    if (rank !== 2 && !(vectorAllowed && rank === 1)) fail('TRACE_TYPE', `${op}: tensor ${i} must be 2D${vectorAllowed ? ' or 1D' : ''} but got ${rank}D`);
    const shape = shapeOf(t);
    return rank === 1 ? (i === 0 ? [1, shape[0]] : [shape[0], 1]) : shape;
  });
  for (let i = 1; i < shapes.length; i++) {
    sameLength(op, shapes[i - 1][1], shapes[i][0], `tensors ${i - 1} and ${i} cannot be multiplied`);
  }
  const out: Dim[] = [];
  if (rankOf(first) === 2) out.push(shapes[0][0]);
  if (rankOf(tensors[tensors.length - 1]) === 2 || tensors.length === 1) out.push(shapes[shapes.length - 1][1]);
  return tensorOf(first.tensor.dtype, out);
}

/** The chain multiplied left to right (MatMul gives 1-D operands numpy's meaning). */
function lowerMultiDot(listName: 'tensors' | 'matrices') {
  return (ctx: LowerContext, a: BoundArgs): string[] => {
    const tensors = a.tensors(listName);
    const dtype = tensors[0].tensor.dtype;
    let result = ctx.input(tensors[0]);
    for (const t of tensors.slice(1)) result = product(ctx, a.schema.name, result, ctx.input(t), dtype);
    return [result];
  };
}

function vecdotPlan(a: BoundArgs): { dim: number; shape: Dim[] } {
  const op = 'linalg.vecdot';
  const x = a.tensor('x');
  const y = a.tensor('y');
  requireFloat(op, 'input', x.tensor.dtype);
  if (x.tensor.dtype !== y.tensor.dtype) {
    fail('TRACE_TYPE', `${op}: Expected x and y to have the same dtype, but found x of type ${x.tensor.dtype} and y of type ${y.tensor.dtype} instead`);
  }
  const shape = broadcastShapes(shapeOf(x), shapeOf(y));
  const dim = axis(a.int('dim'), shape.length);
  return { dim, shape: shape.filter((_, i) => i !== dim) };
}

function pdistPairs(n: number): [number[], number[]] {
  const first: number[] = [];
  const second: number[] = [];
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) {
    first.push(i);
    second.push(j);
  }
  return [first, second];
}

function kronType(a: BoundArgs): TensorType {
  const self = a.tensor('self');
  const other = a.tensor('other');
  const rank = Math.max(rankOf(self), rankOf(other));
  const pad = (shape: readonly Dim[]) => [...Array<Dim>(rank - shape.length).fill(1), ...shape];
  const s = pad(shapeOf(self));
  const o = pad(shapeOf(other));
  const shape = s.map((d, i) => {
    const e = o[i];
    if (typeof d === 'number' && typeof e === 'number') return d * e;
    if (d === 1) return e;
    if (e === 1) return d;
    return a.freshDim('kron');
  });
  return tensorOf(resultType([self, other]), shape);
}

/** kron: self's axes interleaved with other's (self[:, None, :, None] · other[None, :, None, :]), pairs merged. */
function lowerKron(ctx: LowerContext, a: BoundArgs): string[] {
  const self = a.tensor('self');
  const other = a.tensor('other');
  const out = ctx.node.outputs[0].tensor;
  const compute = arithmeticDtype(out.dtype, ctx.opset);
  const rank = out.shape.length;
  const lead = (v: GValue) => Array.from({ length: rank - rankOf(v) }, (_, i) => i);
  const x = unsqueeze(ctx, castTo(ctx, ctx.input(self), self.tensor.dtype, compute), lead(self));
  const y = unsqueeze(ctx, castTo(ctx, ctx.input(other), other.tensor.dtype, compute), lead(other));
  const odd = Array.from({ length: rank }, (_, i) => 2 * i + 1);
  const even = Array.from({ length: rank }, (_, i) => 2 * i);
  const products = ctx.b.op1('Mul', [unsqueeze(ctx, x, odd), unsqueeze(ctx, y, even)]);
  const known = staticInts(out.shape);
  const target = known ? ctx.b.int64s(known) : ctx.b.op1('Mul', [ctx.b.op1('Shape', [x]), ctx.b.op1('Shape', [y])]);
  return [castTo(ctx, ctx.b.op1('Reshape', [products, target]), compute, out.dtype)];
}

const moreProductOps: OpDef[] = [
  {
    schemas: ['aten::linalg_vecdot(Tensor x, Tensor y, *, int dim=-1) -> Tensor'],
    infer: (a) => [tensorOf(a.tensor('x').tensor.dtype, vecdotPlan(a).shape)],
    lower: {
      7: (ctx, a) => {
        const { dim } = vecdotPlan(a);
        const dtype = a.tensor('x').tensor.dtype;
        const compute = floatCompute(dtype);
        const x = castTo(ctx, ctx.input(a.tensor('x')), dtype, compute);
        const y = castTo(ctx, ctx.input(a.tensor('y')), dtype, compute);
        // The product has the broadcast rank, which the dim was normalised against.
        const products = ctx.b.op1('Mul', [x, y]);
        return [castTo(ctx, reduce(ctx, 'ReduceSum', products, [dim], false), compute, dtype)];
      },
    },
  },
  {
    schemas: ['aten::addmv(Tensor self, Tensor mat, Tensor vec, *, Scalar beta=1, Scalar alpha=1) -> Tensor'],
    infer: (a) => {
      const op = 'aten::addmv';
      const mat = a.tensor('mat');
      const vec = a.tensor('vec');
      const m = requireRank(op, mat, 'mat', (r) => r === 2, '2-D');
      const v = requireRank(op, vec, 'vec', (r) => r === 1, '1-D');
      requireSameDtype(op, ['mat', mat], ['vec', vec]);
      sameLength(op, m[1], v[0], 'size mismatch of mat and vec');
      const self = shapeOf(a.tensor('self'));
      if (self.length > 1) fail('TRACE_TYPE', `${op}: vector + matrix @ vector expected, got ${self.length}, 2, 1`);
      return [tensorOf(mat.tensor.dtype, broadcastShapes(self, [m[0]]))];
    },
    lower: {
      7: (ctx, a) => {
        const mat = a.tensor('mat');
        const dtype = mat.tensor.dtype;
        const compute = arithmeticDtype(dtype, ctx.opset);
        const mv = castTo(ctx, product(ctx, 'aten::addmv', ctx.input(mat), ctx.input(a.tensor('vec')), dtype), dtype, compute);
        return [scaledSum(ctx, a.tensor('self'), mv, dtype, compute, coefficient(a, 'alpha', dtype), coefficient(a, 'beta', dtype))];
      },
    },
  },
  {
    schemas: ['aten::addr(Tensor self, Tensor vec1, Tensor vec2, *, Scalar beta=1, Scalar alpha=1) -> Tensor'],
    infer: (a) => {
      const op = 'aten::addr';
      const self = a.tensor('self');
      const vec1 = a.tensor('vec1');
      const vec2 = a.tensor('vec2');
      const v1 = requireRank(op, vec1, 'vec1', (r) => r === 1, '1-D');
      const v2 = requireRank(op, vec2, 'vec2', (r) => r === 1, '1-D');
      if (rankOf(self) > 2) fail('TRACE_TYPE', `${op}: self must be at most 2-D, got ${rankOf(self)}-D`);
      return [tensorOf(resultType([self, vec1, vec2]), broadcastShapes(shapeOf(self), [v1[0], v2[0]]))];
    },
    // bool: beta·self + alpha·outer in int32, non-zero is true (torch's logical form).
    lower: {
      7: (ctx, a) => {
        const out = ctx.node.outputs[0].tensor.dtype;
        const compute = arithmeticDtype(out, ctx.opset);
        const vec1 = a.tensor('vec1');
        const vec2 = a.tensor('vec2');
        const column = unsqueeze(ctx, castTo(ctx, ctx.input(vec1), vec1.tensor.dtype, compute), [1]);
        const row = unsqueeze(ctx, castTo(ctx, ctx.input(vec2), vec2.tensor.dtype, compute), [0]);
        const outer = ctx.b.op1('Mul', [column, row]);
        return [scaledSum(ctx, a.tensor('self'), outer, out, compute, coefficient(a, 'alpha', out), coefficient(a, 'beta', out))];
      },
    },
  },
  matrixPowerDef('linalg_matrix_power'),
  matrixPowerDef('matrix_power'),
  {
    schemas: ['aten::linalg_multi_dot(Tensor[] tensors) -> Tensor'],
    infer: (a) => [multiDotType(a, 'tensors')],
    lower: { 7: lowerMultiDot('tensors') },
  },
  {
    schemas: ['aten::chain_matmul(Tensor[] matrices) -> Tensor'],
    infer: (a) => [multiDotType(a, 'matrices')],
    lower: { 7: lowerMultiDot('matrices') },
  },
  {
    schemas: ['aten::kron(Tensor self, Tensor other) -> Tensor'],
    infer: (a) => [kronType(a)],
    lower: { 7: lowerKron },
  },
  {
    schemas: ['aten::pdist(Tensor self, float p=2.) -> Tensor'],
    infer: (a) => {
      const op = 'aten::pdist';
      const self = a.tensor('self');
      const shape = requireRank(op, self, 'self', (r) => r === 2, '2-D');
      requireFloat(op, 'self', self.tensor.dtype);
      if (a.float('p') < 0) fail('TRACE_TYPE', `${op}: pdist only supports non-negative p values`);
      const n = shape[0];
      return [tensorOf(self.tensor.dtype, [typeof n === 'number' ? (n * (n - 1)) / 2 : a.freshDim('pdist')])];
    },
    // The rows of every pair i < j, in torch's order, then the norm of each difference.
    lower: {
      7: (ctx, a) => {
        const self = a.tensor('self');
        const n = shapeOf(self)[0];
        if (typeof n !== 'number') return fail('TRACE_UNSUPPORTED', 'aten::pdist: a dynamic number of rows is not supported');
        const dtype = self.tensor.dtype;
        const compute = floatCompute(dtype);
        const x = castTo(ctx, ctx.input(self), dtype, compute);
        const [first, second] = pdistPairs(n);
        const rows = (indices: number[]) => ctx.b.op1('Gather', [x, ctx.b.int64s(indices)], { axis: 0 });
        const diff = ctx.b.op1('Sub', [rows(first), rows(second)]);
        return [castTo(ctx, pNorm(ctx, diff, compute, a.float('p'), [1], false), compute, dtype)];
      },
    },
  },
];

export const linalgOps: readonly OpDef[] = [...productOps, ...moreProductOps, ...crossOps, ...distanceOps, ...diagonalOps, ...matrixOps, ...triangularOps, ...normOps];
