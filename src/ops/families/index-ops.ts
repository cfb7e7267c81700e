/** Indexing ops: gathers and scatters, advanced indexing (`x[idx]`, `x[mask] = v`), sorting, nonzero. */
import type { DType } from '../../archive/types.js';
import { fail } from '../../errors.js';
import type { OnnxAttrs } from '../../ir/onnx-graph.js';
import { type Dim, GValue, type TensorType } from '../../ir/torch-graph.js';
import { type BoundArgs, derivedDim, type IntArg, intArg, shapeOfValue, shapeTensor, staticInts } from '../args.js';
import { knownNumber } from '../builders.js';
import { isFloating, isIntegral, type Operand, promoteTypes, resultType } from '../dtypes.js';
import { axis, broadcastShapes, castTo, knownDifferent, numel, onnxDtypeOf, operand, rankOf, requireDtype, requireSameDtype, shapeOf, tensorOf } from '../helpers.js';
import { needOpset, padZeros, reduce, scatterElements, slice, squeeze, transpose, unsqueeze } from '../opset.js';
import type { LowerContext, OpDef } from '../registry.js';

function dtypeOf(v: GValue): DType {
  return v.tensor.dtype;
}

function int64(ctx: LowerContext, v: GValue): string {
  return castTo(ctx, ctx.input(v), onnxDtypeOf(v), 'int64');
}

function sameShape(a: readonly Dim[], b: readonly Dim[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

// ---------------------------------------------------------------------------------------------
// index_select / gather / scatter / embedding / take

/**
 * gather and scatter: an int64 index of self's rank (0-d and 1-d count as one), and for scatter a
 * src of self's dtype.
 */
function checkElementIndex(a: BoundArgs): void {
  const op = a.schema.name;
  const self = a.tensor('self');
  const index = a.tensor('index');
  requireDtype(op, ['index', index], ['int64']);
  if (Math.max(rankOf(index), 1) !== Math.max(rankOf(self), 1)) {
    fail('TRACE_TYPE', `${op}: Index tensor must have the same number of dimensions as self tensor (${rankOf(index)} and ${rankOf(self)})`);
  }
  if (a.values.has('src')) requireSameDtype(op, ['self', self], ['src', a.tensor('src')]);
}

function inferIndexSelect(a: BoundArgs): TensorType[] {
  const self = a.tensor('self');
  const index = a.tensor('index');
  requireDtype(a.schema.name, ['index', index], ['int64', 'int32']);
  if (rankOf(index) > 1) fail('TRACE_TYPE', `${a.schema.name}: Index is supposed to be a vector, got ${rankOf(index)}-D`);
  const d = axis(a.int('dim'), rankOf(self));
  const count = rankOf(index) === 0 ? 1 : shapeOf(index)[0];
  return [tensorOf(dtypeOf(self), shapeOf(self).map((x, i) => (i === d ? count : x)))];
}

function lowerIndexSelect(ctx: LowerContext, a: BoundArgs): string[] {
  const self = a.tensor('self');
  const index = a.tensor('index');
  // A 0-d index still keeps the dim (size 1), unlike select.
  const indices = rankOf(index) === 0 ? unsqueeze(ctx, ctx.input(index), [0]) : ctx.input(index);
  return [ctx.b.op1('Gather', [ctx.input(self), indices], { axis: axis(a.int('dim'), rankOf(self)) })];
}

function lowerGather(ctx: LowerContext, a: BoundArgs): string[] {
  const self = a.tensor('self');
  const d = axis(a.int('dim'), rankOf(self));
  return [gatherElements(ctx, built(ctx, self), built(ctx, a.tensor('index')), d)];
}

const SCATTER_REDUCTIONS: Record<string, string> = { add: 'add', multiply: 'mul' };

function lowerScatter(ctx: LowerContext, a: BoundArgs): string[] {
  const self = a.tensor('self');
  const index = a.tensor('index');
  const dtype = dtypeOf(self);
  const d = axis(a.int('dim'), rankOf(self));
  let updates: string;
  if (a.values.has('src')) {
    const src = a.tensor('src');
    updates = castTo(ctx, ctx.input(src), dtypeOf(src), dtype);
    // torch reads only the index-shaped corner of a larger src; ScatterElements wants equal shapes.
    const corner = shapeOf(index).flatMap((n, i) =>
      typeof n === 'number' && shapeOf(src)[i] !== n ? [{ axis: i, start: 0, end: n, step: 1 }] : [],
    );
    updates = slice(ctx, updates, corner);
  } else {
    updates = ctx.b.op1('Expand', [operand(ctx, a.scalar('value'), dtype), shapeOfValue(ctx, index)]);
  }
  const reduce = a.schema.name === 'aten::scatter_add' ? 'add' : a.values.has('reduce') ? a.str('reduce') : undefined;
  if (reduce === undefined) return [scatterElements(ctx, ctx.input(self), int64(ctx, index), updates, d)];
  const reduction = SCATTER_REDUCTIONS[reduce];
  if (!reduction) fail('OP_UNSUPPORTED', `${a.schema.name}: reduce="${reduce}" is not supported`);
  if (ctx.opset >= 16) return [scatterElements(ctx, ctx.input(self), int64(ctx, index), updates, d, reduction)];
  if (reduction !== 'add') fail('OP_OPSET', `${a.schema.name} with reduce="${reduce}" needs opset 16 or later`);
  return [scatterAddOneHot(ctx, built(ctx, self), built(ctx, index), updates, d)];
}

// ---------------------------------------------------------------------------------------------
// Element-wise gathers and scatters at every opset

/** A tensor being built: its ONNX name, shape and dtype. */
interface Built {
  name: string;
  shape: readonly Dim[];
  dtype: DType;
}

function built(ctx: LowerContext, v: GValue): Built {
  return { name: ctx.input(v), shape: shapeOf(v), dtype: dtypeOf(v) };
}

/**
 * The dtype sums, selections and comparisons run in: onnxruntime's Where/ReduceSum/Less before
 * opset 13 take float32/float64/int32/int64 only; narrower types widen exactly.
 */
function wideDtype(dtype: DType): DType {
  if (dtype === 'float32' || dtype === 'float64' || dtype === 'int32' || dtype === 'int64') return dtype;
  return isFloating(dtype) ? 'float32' : 'int32';
}

/** The size of axis `d` as a one-element int64 tensor. */
function dimSize(ctx: LowerContext, x: Built, d: number): string {
  const n = x.shape[d];
  if (typeof n === 'number') return ctx.b.int64s([n]);
  return slice(ctx, ctx.b.op1('Shape', [x.name]), [{ axis: 0, start: d, end: d + 1, step: 1 }]);
}

/** `index` (int64) one-hot along a new axis `at` of size `depth`, as 0/1 int64 (onnxruntime's OneHot types). */
function oneHotMaskInt64(ctx: LowerContext, index: string, depth: string, at = -1): string {
  return ctx.b.op1('OneHot', [index, depth, ctx.b.constant('int64', [2], [0, 1])], { axis: at });
}

/** `index` one-hot along a new axis `at` of size `depth`, as a bool mask. */
function oneHotMask(ctx: LowerContext, index: string, depth: string, at: number): string {
  return castTo(ctx, oneHotMaskInt64(ctx, index, depth, at), 'int64', 'bool');
}

/** `x` cut to `like`'s sizes on every axis but `except` (torch reads only the index-shaped corner). */
function corner(ctx: LowerContext, x: Built, like: Built, except: number): string {
  const axes = like.shape.flatMap((n, i) => (i !== except && n !== x.shape[i] ? [i] : []));
  if (axes.length === 0) return x.name;
  const ends = axes.map((i) => like.shape[i]);
  if (ends.every((n) => typeof n === 'number')) {
    return slice(ctx, x.name, axes.map((i, k) => ({ axis: i, start: 0, end: ends[k], step: 1 })));
  }
  needOpset(ctx, 10, 'reading the index-shaped part of a tensor whose sizes are known only at run time');
  const runtimeEnds = ctx.b.op1('Gather', [ctx.b.op1('Shape', [like.name]), ctx.b.int64s(axes)], { axis: 0 });
  return ctx.b.op1('Slice', [x.name, ctx.b.int64s(axes.map(() => 0)), runtimeEnds, ctx.b.int64s(axes)]);
}

/**
 * torch.gather along `d`: GatherElements from opset 11. Before, torch's form: a one-hot selection
 * of self's rows summed over `d`, here with Where instead of Mul so infinities and NaNs pass through.
 */
function gatherElements(ctx: LowerContext, self: Built, index: Built, d: number): string {
  if (ctx.opset >= 11) return ctx.b.op1('GatherElements', [self.name, index.name], { axis: d });
  const wide = wideDtype(self.dtype);
  const part = castTo(ctx, corner(ctx, self, index, d), self.dtype, wide);
  const mask = oneHotMask(ctx, castTo(ctx, index.name, index.dtype, 'int64'), dimSize(ctx, self, d), d);
  const picked = ctx.b.op1('Where', [mask, unsqueeze(ctx, part, [d + 1]), ctx.b.scalar(wide, 0)]);
  return castTo(ctx, reduce(ctx, 'ReduceSum', picked, [d], false), wide, self.dtype);
}

/**
 * scatter_add before ScatterElements had reductions (16): each src element one-hot spread along a
 * new axis and summed over `d`, so duplicate indices add up (torch's opset-9 form scatters into
 * zeros, which keeps only one of them). `src` has index's shape.
 */
function scatterAddOneHot(ctx: LowerContext, self: Built, index: Built, src: string, d: number): string {
  const wide = wideDtype(self.dtype);
  const mask = oneHotMask(ctx, castTo(ctx, index.name, index.dtype, 'int64'), dimSize(ctx, self, d), d + 1);
  const spread = ctx.b.op1('Where', [mask, unsqueeze(ctx, castTo(ctx, src, self.dtype, wide), [d + 1]), ctx.b.scalar(wide, 0)]);
  const sums = reduce(ctx, 'ReduceSum', spread, [d], false);
  const added = padToSelf(ctx, sums, index.shape.map((n, i) => (i === d ? self.shape[d] : n)), self, wide);
  return castTo(ctx, ctx.b.op1('Add', [castTo(ctx, self.name, self.dtype, wide), added]), wide, self.dtype);
}

/**
 * `x` (of shape `xShape`) filled up to self's shape where an index smaller than self left places out:
 * with zeros, or with `value` (a 0-d value of x's dtype, opset 11 and later).
 */
function padToSelf(ctx: LowerContext, x: string, xShape: readonly Dim[], self: Built, dtype: DType, value?: string): string {
  const missing = self.shape.map((n, i) => {
    const m = xShape[i];
    if (n === m) return 0;
    return typeof n === 'number' && typeof m === 'number' ? n - m : undefined;
  });
  if (missing.every((m) => m === 0)) return x;
  const known = missing.every((m): m is number => m !== undefined);
  // Before opset 11, Pad takes its pads and a float value as attributes, and onnxruntime pads floats only.
  if (ctx.opset < 11 && !(known && isFloating(dtype) && value === undefined)) fail('OP_OPSET', 'a scatter with an index smaller than self needs opset 11 or later here');
  if (known && value === undefined) return padZeros(ctx, x, [...missing.map(() => 0), ...(missing as number[])]);
  const zeros = ctx.b.int64s(missing.map(() => 0));
  const ends = known ? ctx.b.int64s(missing as number[]) : ctx.b.op1('Sub', [ctx.b.op1('Shape', [self.name]), ctx.b.op1('Shape', [x])]);
  const pads = ctx.b.op1('Concat', [zeros, ends], { axis: 0 });
  return ctx.b.op1('Pad', value === undefined ? [x, pads] : [x, pads, value]);
}

/** A 0-d tensor as 1-D of one element (ONNX scatters need rank 1). */
function atLeast1d(ctx: LowerContext, v: GValue): Built {
  const x = built(ctx, v);
  return x.shape.length > 0 ? x : { ...x, name: unsqueeze(ctx, x.name, [0]), shape: [1] };
}

/** The result of an op on `atLeast1d` operands, back to self's rank. */
function restoreRank(ctx: LowerContext, x: string, rank: number): string {
  return rank === 0 ? squeeze(ctx, x, [0]) : x;
}

/** `x`'s shape with axis `d` set to 1, for Expand to broadcast against. */
function shapeWithOne(ctx: LowerContext, x: Built, d: number): string {
  const dims = x.shape.map((n, i) => (i === d ? 1 : n));
  const known = staticInts(dims);
  if (known) return ctx.b.int64s(known);
  const shape = ctx.b.op1('Shape', [x.name]);
  const pieces = [ctx.b.int64s([1])];
  if (d > 0) pieces.unshift(slice(ctx, shape, [{ axis: 0, start: 0, end: d, step: 1 }]));
  if (d + 1 < x.shape.length) pieces.push(slice(ctx, shape, [{ axis: 0, start: d + 1, end: x.shape.length, step: 1 }]));
  return ctx.b.op1('Concat', pieces, { axis: 0 });
}

/** An index_* op's 0-d or 1-D index laid along axis `d` of a rank-`rank` tensor and expanded to `target`. */
function indexAlong(ctx: LowerContext, index: GValue, d: number, rank: number, target: string): string {
  const vector = rankOf(index) === 0 ? unsqueeze(ctx, int64(ctx, index), [0]) : int64(ctx, index);
  const laid = unsqueeze(ctx, vector, Array.from({ length: rank }, (_, i) => i).filter((i) => i !== d));
  return ctx.b.op1('Expand', [laid, target]);
}

function shapeOfBuilt(ctx: LowerContext, x: Built): string {
  const known = staticInts(x.shape);
  return known ? ctx.b.int64s(known) : ctx.b.op1('Shape', [x.name]);
}

/** torch's checks on an index_* op's index and source: a vector index, source shaped like self but along `dim`. */
function checkIndexAlong(a: BoundArgs, indexDtypes: readonly DType[], sourceName?: string): void {
  const op = a.schema.name;
  const self = a.tensor('self');
  const index = a.tensor('index');
  requireDtype(op, ['index', index], indexDtypes);
  if (rankOf(index) > 1) fail('TRACE_TYPE', `${op}: Index is supposed to be a vector, got ${rankOf(index)}-D`);
  const d = axis(a.int('dim'), rankOf(self));
  if (sourceName === undefined) return;
  const source = a.tensor(sourceName);
  requireSameDtype(op, ['self', self], [sourceName, source]);
  const expected = shapeOf(self).map((n, i) => (i === d ? (rankOf(index) === 0 ? 1 : shapeOf(index)[0]) : n));
  const shape = shapeOf(source);
  if (Math.max(shape.length, 1) !== Math.max(expected.length, 1) || shape.some((n, i) => knownDifferent(n, expected[i]))) {
    fail('TRACE_TYPE', `${op}: source tensor shape must match self tensor shape, excluding the specified dimension. Got self.shape = [${shapeOf(self).join(', ')}] source.shape = [${shape.join(', ')}]`);
  }
}

function lowerIndexAdd(ctx: LowerContext, a: BoundArgs): string[] {
  const selfValue = a.tensor('self');
  const self = atLeast1d(ctx, selfValue);
  const source = atLeast1d(ctx, a.tensor('source'));
  const d = axis(a.int('dim'), rankOf(selfValue));
  const index = indexAlong(ctx, a.tensor('index'), d, self.shape.length, shapeOfBuilt(ctx, source));
  const scaled = scaleBy(ctx, source, a.scalar('alpha'));
  const added =
    ctx.opset >= 16
      ? scatterElements(ctx, self.name, index, scaled, d, 'add')
      : scatterAddOneHot(ctx, self, { name: index, shape: source.shape, dtype: 'int64' }, scaled, d);
  return [restoreRank(ctx, added, rankOf(selfValue))];
}

/** `alpha * x`, alpha cast to x's dtype as torch casts it (an int tensor truncates a float alpha). */
function scaleBy(ctx: LowerContext, x: Built, alpha: Operand): string {
  const known = knownNumber(alpha);
  if (known === 1) return x.name;
  const factor = known !== undefined && !isFloating(x.dtype) ? ctx.b.scalar(x.dtype, Math.trunc(known)) : operand(ctx, alpha, x.dtype);
  return ctx.b.op1('Mul', [x.name, factor]);
}

function lowerIndexCopy(ctx: LowerContext, a: BoundArgs): string[] {
  const selfValue = a.tensor('self');
  const self = atLeast1d(ctx, selfValue);
  const source = atLeast1d(ctx, a.tensor('source'));
  const d = axis(a.int('dim'), rankOf(selfValue));
  const index = indexAlong(ctx, a.tensor('index'), d, self.shape.length, shapeOfBuilt(ctx, source));
  return [restoreRank(ctx, scatterElements(ctx, self.name, index, source.name, d), rankOf(selfValue))];
}

function lowerIndexFill(ctx: LowerContext, a: BoundArgs): string[] {
  const selfValue = a.tensor('self');
  const self = atLeast1d(ctx, selfValue);
  const d = axis(a.int('dim'), rankOf(selfValue));
  const index = indexAlong(ctx, a.tensor('index'), d, self.shape.length, shapeWithOne(ctx, self, d));
  const value = operand(ctx, a.scalar('value'), self.dtype);
  const values = ctx.b.op1('Expand', [value, ctx.b.op1('Shape', [index])]);
  return [restoreRank(ctx, scatterElements(ctx, self.name, index, values, d), rankOf(selfValue))];
}

// ---------------------------------------------------------------------------------------------
// scatter_reduce / index_reduce

const SCATTER_REDUCE_OPS: Record<string, string> = { sum: 'add', prod: 'mul', mean: 'add', amax: 'max', amin: 'min' };

/** The value a reduction starts from where include_self=False leaves self out. */
function reductionStart(reduce: string, dtype: DType): number | bigint | boolean {
  if (reduce === 'prod') return 1;
  if (reduce !== 'amax' && reduce !== 'amin') return 0;
  const highest = reduce === 'amin';
  if (isFloating(dtype)) return highest ? Infinity : -Infinity;
  const [lo, hi]: Array<number | bigint | boolean> = (
    { int64: [-(2n ** 63n), 2n ** 63n - 1n], int32: [-(2 ** 31), 2 ** 31 - 1], int16: [-32768, 32767], int8: [-128, 127], uint8: [0, 255] } as Record<string, Array<number | bigint>>
  )[dtype] ?? [false, true];
  return highest ? hi : lo;
}

/**
 * torch's scatter_reduce on ScatterElements (reductions add/mul from 16, max/min from 18):
 * include_self=False first writes the reduction's start value where src lands; mean divides the sum
 * by how many values each place reduced (at least 1), flooring for integers. Before those opsets, the
 * one-hot form.
 */
function scatterReduce(ctx: LowerContext, self: Built, index: Built, src: string, d: number, reduce: string, includeSelf: boolean): string {
  const reduction = SCATTER_REDUCE_OPS[reduce];
  if (ctx.opset < (reduction === 'max' || reduction === 'min' ? 18 : 16)) return scatterReduceOneHot(ctx, self, index, src, d, reduce, includeSelf);
  const start = () => ctx.b.op1('Expand', [ctx.b.scalar(self.dtype, reductionStart(reduce, self.dtype)), shapeOfBuilt(ctx, index)]);
  const base = includeSelf ? self.name : scatterElements(ctx, self.name, index.name, start(), d);
  const reduced = scatterElements(ctx, base, index.name, src, d, reduction);
  if (reduce !== 'mean') return reduced;
  const zeros = ctx.b.op1('Expand', [ctx.b.scalar('int64', 0), shapeOfBuilt(ctx, self)]);
  const hits = scatterElements(ctx, zeros, index.name, ctx.b.op1('Expand', [ctx.b.scalar('int64', 1), shapeOfBuilt(ctx, index)]), d, 'add');
  return meanOf(ctx, reduced, hits, self.dtype, includeSelf);
}

/** A mean from a sum and the number of values each place took (self counting once when included), at least 1. */
function meanOf(ctx: LowerContext, sum: string, hits: string, dtype: DType, includeSelf: boolean): string {
  const one = ctx.b.scalar('int64', 1);
  const counts = includeSelf ? ctx.b.op1('Add', [hits, one]) : ctx.b.op1('Where', [ctx.b.op1('Greater', [hits, one]), hits, one]);
  if (isFloating(dtype)) return ctx.b.op1('Div', [sum, castTo(ctx, counts, 'int64', dtype)]);
  const wide = wideDtype(dtype);
  const total = castTo(ctx, sum, dtype, wide);
  const count = castTo(ctx, counts, 'int64', wide);
  // Floor division by a positive count: Div truncates, so a negative remainder takes one off.
  const truncated = ctx.b.op1('Div', [total, count]);
  const remainder = ctx.b.op1('Sub', [total, ctx.b.op1('Mul', [truncated, count])]);
  const below = castTo(ctx, ctx.b.op1('Less', [remainder, ctx.b.scalar(wide, 0)]), 'bool', wide);
  return castTo(ctx, ctx.b.op1('Sub', [truncated, below]), wide, dtype);
}

/** The elementwise max or min of two tensors: Max/Min take integers from opset 12. */
function extreme(ctx: LowerContext, x: string, y: string, dtype: DType, max: boolean): string {
  if (ctx.opset >= 12 || isFloating(dtype)) return ctx.b.op1(max ? 'Max' : 'Min', [x, y]);
  return ctx.b.op1('Where', [ctx.b.op1(max ? 'Greater' : 'Less', [x, y]), x, y]);
}

const ONE_HOT_REDUCE: Record<string, string> = { sum: 'ReduceSum', mean: 'ReduceSum', prod: 'ReduceProd', amax: 'ReduceMax', amin: 'ReduceMin' };

/**
 * scatter_reduce before ScatterElements has the reduction: each src value one-hot spread along a new
 * axis (the reduction's start value elsewhere) and reduced over `d`; places no index reaches keep
 * self. `src` has index's shape.
 */
function scatterReduceOneHot(ctx: LowerContext, self: Built, index: Built, src: string, d: number, reduceOp: string, includeSelf: boolean): string {
  const dtype = wideDtype(self.dtype);
  const start = ctx.b.scalar(dtype, reductionStart(reduceOp, dtype));
  const onehot = oneHotMaskInt64(ctx, castTo(ctx, index.name, index.dtype, 'int64'), dimSize(ctx, self, d), d + 1);
  const spread = ctx.b.op1('Where', [castTo(ctx, onehot, 'int64', 'bool'), unsqueeze(ctx, castTo(ctx, src, self.dtype, dtype), [d + 1]), start]);
  const shape = index.shape.map((n, i) => (i === d ? self.shape[d] : n));
  const reached = padToSelf(ctx, reduce(ctx, ONE_HOT_REDUCE[reduceOp], spread, [d], false), shape, self, dtype, start);
  const hits = padToSelf(ctx, reduce(ctx, 'ReduceSum', onehot, [d], false), shape, self, 'int64', ctx.b.scalar('int64', 0));
  const wideSelf = castTo(ctx, self.name, self.dtype, dtype);
  const reachedOrSelf = () => ctx.b.op1('Where', [castTo(ctx, hits, 'int64', 'bool'), reached, wideSelf]);
  let out: string;
  if (reduceOp === 'mean') out = meanOf(ctx, includeSelf ? ctx.b.op1('Add', [wideSelf, reached]) : reachedOrSelf(), hits, dtype, includeSelf);
  else if (!includeSelf) out = reachedOrSelf();
  else if (reduceOp === 'sum') out = ctx.b.op1('Add', [wideSelf, reached]);
  else if (reduceOp === 'prod') out = ctx.b.op1('Mul', [wideSelf, reached]);
  // Places no index reaches hold the start value, which leaves self as it is.
  else out = extreme(ctx, wideSelf, reached, dtype, reduceOp === 'amax');
  return castTo(ctx, out, dtype, self.dtype);
}

/** torch refuses reductions it does not know, in its words. */
function checkReduce(a: BoundArgs, allowed: readonly string[], message: string): void {
  const reduce = a.str('reduce');
  if (!allowed.includes(reduce)) fail('TRACE_TYPE', `${a.schema.name}: ${message} but got ${reduce}.`);
}

function lowerScatterReduce(ctx: LowerContext, a: BoundArgs): string[] {
  const selfValue = a.tensor('self');
  const self = atLeast1d(ctx, selfValue);
  const index = atLeast1d(ctx, a.tensor('index'));
  const src = atLeast1d(ctx, a.tensor('src'));
  const d = axis(a.int('dim'), rankOf(selfValue));
  const part = corner(ctx, src, index, -1);
  const out = scatterReduce(ctx, self, index, part, d, a.str('reduce'), a.bool('include_self'));
  return [restoreRank(ctx, out, rankOf(selfValue))];
}

function lowerIndexReduce(ctx: LowerContext, a: BoundArgs): string[] {
  const selfValue = a.tensor('self');
  const self = atLeast1d(ctx, selfValue);
  const source = atLeast1d(ctx, a.tensor('source'));
  const d = axis(a.int('dim'), rankOf(selfValue));
  const index = indexAlong(ctx, a.tensor('index'), d, self.shape.length, shapeOfBuilt(ctx, source));
  const out = scatterReduce(ctx, self, { name: index, shape: source.shape, dtype: 'int64' }, source.name, d, a.str('reduce'), a.bool('include_self'));
  return [restoreRank(ctx, out, rankOf(selfValue))];
}

// ---------------------------------------------------------------------------------------------
// masked_select / masked_scatter / take_along_dim

/** bool masks, and (deprecated, accepted by torch 1.13) uint8 ones. */
const MASK_DTYPES: readonly DType[] = ['bool', 'uint8'];

/** self and mask expanded to their broadcast shape, the mask as bool. */
function maskedOperands(ctx: LowerContext, a: BoundArgs): { self: string; mask: string; shape: readonly Dim[] } {
  const self = built(ctx, a.tensor('self'));
  const mask = built(ctx, a.tensor('mask'));
  const shape = broadcastShapes(self.shape, mask.shape);
  const known = staticInts(shape);
  const maskName = castTo(ctx, mask.name, mask.dtype, 'bool');
  // Expand broadcasts both ways: expanding to the other operand's shape reaches the common one.
  const target = (other: string) => (known ? ctx.b.int64s(known) : ctx.b.op1('Shape', [other]));
  const selfOut = sameShape(self.shape, shape) ? self.name : ctx.b.op1('Expand', [self.name, target(maskName)]);
  const maskOut = sameShape(mask.shape, shape) ? maskName : ctx.b.op1('Expand', [maskName, target(selfOut)]);
  return { self: selfOut, mask: maskOut, shape };
}

function checkMasked(a: BoundArgs): void {
  requireDtype(a.schema.name, ['mask', a.tensor('mask')], MASK_DTYPES);
  broadcastShapes(shapeOf(a.tensor('self')), shapeOf(a.tensor('mask')));
}

/** Compress of the flattened operands: one op from opset 9, where torch needs GatherND (11). */
function lowerMaskedSelect(ctx: LowerContext, a: BoundArgs): string[] {
  const { self, mask } = maskedOperands(ctx, a);
  const flat = (x: string) => ctx.b.op1('Reshape', [x, ctx.b.int64s([-1])]);
  return [ctx.b.op1('Compress', [flat(self), flat(mask)], { axis: 0 })];
}

/**
 * The true places of the flattened mask take source's first elements, in order: NonZero gives the
 * places, and the count of them picks source's head (Gather of 0..k-1, made without Range), so it runs
 * from opset 9 where torch needs ScatterND (11).
 */
function lowerMaskedScatter(ctx: LowerContext, a: BoundArgs): string[] {
  const { self, mask, shape } = maskedOperands(ctx, a);
  const flat = (x: string) => ctx.b.op1('Reshape', [x, ctx.b.int64s([-1])]);
  const places = flat(ctx.b.op1('NonZero', [flat(mask)]));
  const head = positions(ctx, places, undefined);
  const source = ctx.b.op1('Gather', [flat(ctx.input(a.tensor('source'))), head], { axis: 0 });
  const scattered = scatterElements(ctx, flat(self), places, source, 0);
  const known = staticInts(shape);
  return [ctx.b.op1('Reshape', [scattered, known ? ctx.b.int64s(known) : ctx.b.op1('Shape', [self])])];
}

function inferTakeAlongDim(a: BoundArgs): TensorType[] {
  const op = a.schema.name;
  const self = a.tensor('self');
  const indices = a.tensor('indices');
  if (dtypeOf(indices) !== 'int64') fail('TRACE_TYPE', `${op}: dtype of indices should be Long but got ${dtypeOf(indices)}`);
  const dim = a.optInt('dim');
  if (dim === undefined) {
    const n = numel(shapeOf(indices));
    return [tensorOf(dtypeOf(self), [n ?? derivedDim(shapeOf(indices).join('x'), 'numel')])];
  }
  if (rankOf(self) !== rankOf(indices)) {
    fail('TRACE_TYPE', `${op}: input and indices should have the same number of dimensions, but got ${rankOf(self)} dimensions for input, and ${rankOf(indices)} dimensions for indices`);
  }
  const d = axis(dim, rankOf(self));
  const shape = broadcastShapes(...[self, indices].map((v) => shapeOf(v).map((n, i) => (i === d ? 1 : n))));
  return [tensorOf(dtypeOf(self), shape.map((n, i) => (i === d ? shapeOf(indices)[d] : n)))];
}

function lowerTakeAlongDim(ctx: LowerContext, a: BoundArgs): string[] {
  const self = built(ctx, a.tensor('self'));
  const indices = built(ctx, a.tensor('indices'));
  const dim = a.optInt('dim');
  if (dim === undefined) {
    const flat = (x: string) => ctx.b.op1('Reshape', [x, ctx.b.int64s([-1])]);
    return [ctx.b.op1('Gather', [flat(self.name), flat(indices.name)], { axis: 0 })];
  }
  const d = axis(dim, self.shape.length);
  const out = shapeOf(ctx.node.outputs[0]);
  // Each operand broadcast to the result off axis d (Expand against the other's shape with a 1 at d).
  const spread = (x: Built, other: Built): Built =>
    x.shape.every((n, i) => i === d || n === out[i]) ? x : { ...x, name: ctx.b.op1('Expand', [x.name, shapeWithOne(ctx, other, d)]), shape: out.map((n, i) => (i === d ? x.shape[d] : n)) };
  return [gatherElements(ctx, spread(self, indices), spread(indices, self), d)];
}

// ---------------------------------------------------------------------------------------------
// bucketize / searchsorted / isin / bincount

/** A Tensor-or-Scalar argument as an ONNX value of `dtype`, with its shape. */
function valueOperand(ctx: LowerContext, o: Operand, dtype: DType): Built {
  return { name: operand(ctx, o, dtype), shape: o instanceof GValue ? shapeOf(o) : [], dtype };
}

function operandShape(o: Operand): readonly Dim[] {
  return o instanceof GValue && o.type.kind === 'tensor' ? shapeOf(o) : [];
}

/**
 * Where each value goes in sorted boundaries (last axis), counted as torch's binary search decides:
 * the boundaries b with !(b >= v) (right: !(b > v)). NaN values land past every boundary, as in torch.
 */
function countBelow(ctx: LowerContext, boundaries: string, values: string, dtype: DType, right: boolean): string {
  if (right) return ctx.b.op1('Not', [ctx.b.op1('Greater', [boundaries, values])]);
  const below = ctx.b.op1('Less', [boundaries, values]);
  if (!isFloating(dtype)) return below;
  const nan = ctx.b.op1('Or', [ctx.b.op1('IsNaN', [boundaries]), ctx.b.op1('IsNaN', [values])]);
  return ctx.b.op1('Or', [below, nan]);
}

/**
 * The bucket of each value: values [...v] against boundaries [n] (or [...lead, m] against
 * [...lead, n]) compared on a new last axis and counted.
 */
function searchSorted(ctx: LowerContext, sorted: Built, values: Built, right: boolean, outInt32: boolean): string {
  const dtype = wideDtype(promoteTypes(sorted.dtype, values.dtype));
  const rank = values.shape.length;
  const v = unsqueeze(ctx, castTo(ctx, values.name, values.dtype, dtype), [rank]);
  const perRow = sorted.shape.length > 1 ? unsqueeze(ctx, sorted.name, [sorted.shape.length - 1]) : sorted.name;
  const b = castTo(ctx, perRow, sorted.dtype, dtype);
  const hits = castTo(ctx, countBelow(ctx, b, v, dtype, right), 'bool', 'int64');
  return castTo(ctx, reduce(ctx, 'ReduceSum', hits, [rank], false), 'int64', outInt32 ? 'int32' : 'int64');
}

function searchDtype(a: BoundArgs): DType {
  return a.bool('out_int32') ? 'int32' : 'int64';
}

function inferBucketize(a: BoundArgs): TensorType[] {
  const boundaries = a.tensor('boundaries');
  if (rankOf(boundaries) !== 1) fail('TRACE_TYPE', `${a.schema.name}: boundaries tensor must be 1 dimension, but got dim(${rankOf(boundaries)})`);
  return [tensorOf(searchDtype(a), operandShape(a.scalar('self')))];
}

function lowerBucketize(ctx: LowerContext, a: BoundArgs): string[] {
  const boundaries = built(ctx, a.tensor('boundaries'));
  const self = a.scalar('self');
  const values = valueOperand(ctx, self, self instanceof GValue ? onnxDtypeOf(self) : resultType([a.tensor('boundaries'), self]));
  return [searchSorted(ctx, boundaries, values, a.bool('right'), a.bool('out_int32'))];
}

/** side="right" is right=True; torch refuses the two set to opposites. */
function searchRight(a: BoundArgs): boolean {
  const right = a.bool('right');
  if (a.isNone('side')) return right;
  const side = a.str('side');
  if (side !== 'left' && side !== 'right') fail('TRACE_TYPE', `${a.schema.name}: side can only be 'left' or 'right' but got ${side}`);
  if (right && side === 'left') fail('TRACE_TYPE', `${a.schema.name}: side and right can't be set to opposites, got side of left while right was True`);
  return right || side === 'right';
}

function inferSearchSorted(a: BoundArgs): TensorType[] {
  const op = a.schema.name;
  const sorted = a.tensor('sorted_sequence');
  const self = a.scalar('self');
  const shape = operandShape(self);
  searchRight(a);
  const sorter = a.optTensor('sorter');
  if (sorter) {
    requireDtype(op, ['sorter', sorter], ['int64']);
    if (rankOf(sorter) !== rankOf(sorted) || shapeOf(sorter).some((n, i) => knownDifferent(n, shapeOf(sorted)[i]))) {
      fail('TRACE_TYPE', `${op}: boundary and sorter must have the same size, but got boundary tensor [${shapeOf(sorted).join(', ')}] and got sorter tensor [${shapeOf(sorter).join(', ')}]`);
    }
  }
  if (rankOf(sorted) === 0) fail('TRACE_TYPE', `${op}: boundaries tensor should have positive dimension, but got 0 dimension`);
  if (!(self instanceof GValue) && rankOf(sorted) !== 1) {
    fail('TRACE_TYPE', `${op}: input value can be a scalar only when boundaries tensor dimension is 1, but we got boundaries tensor dim(${rankOf(sorted)})`);
  }
  if (rankOf(sorted) > 1) {
    const lead = shapeOf(sorted).slice(0, -1);
    if (shape.length !== rankOf(sorted) || lead.some((n, i) => knownDifferent(n, shape[i]))) {
      fail('TRACE_TYPE', `${op}: boundaries tensor should be 1 dimension or the first N-1 dimensions of boundaries tensor and input value tensor must match, but we got boundaries tensor [${shapeOf(sorted).join(', ')}] and input value tensor [${shape.join(', ')}]`);
    }
  }
  return [tensorOf(searchDtype(a), shape)];
}

function lowerSearchSorted(ctx: LowerContext, a: BoundArgs): string[] {
  const sortedValue = a.tensor('sorted_sequence');
  let sorted = built(ctx, sortedValue);
  const sorter = a.optTensor('sorter');
  if (sorter) sorted = { ...sorted, name: gatherElements(ctx, sorted, built(ctx, sorter), sorted.shape.length - 1) };
  const self = a.scalar('self');
  const values = valueOperand(ctx, self, self instanceof GValue ? onnxDtypeOf(self) : resultType([sortedValue, self]));
  return [searchSorted(ctx, sorted, values, searchRight(a), a.bool('out_int32'))];
}

/** a == b in any dtype: Equal takes floats from opset 11; before, neither below nor above nor NaN. */
function equalValues(ctx: LowerContext, x: string, y: string, dtype: DType): string {
  if (!isFloating(dtype) || ctx.opset >= 11) return ctx.b.op1('Equal', [x, y]);
  const apart = ctx.b.op1('Or', [ctx.b.op1('Less', [x, y]), ctx.b.op1('Greater', [x, y])]);
  // x + y is NaN when either is; equal infinities add to an infinity.
  return ctx.b.op1('Not', [ctx.b.op1('Or', [apart, ctx.b.op1('IsNaN', [ctx.b.op1('Add', [x, y])])])]);
}

function lowerIsin(ctx: LowerContext, a: BoundArgs): string[] {
  const elements = a.values.has('element') ? a.scalar('element') : a.scalar('elements');
  const tests = a.values.has('test_element') ? a.scalar('test_element') : a.scalar('test_elements');
  const dtype = wideDtype(resultType([elements, tests]));
  const x = valueOperand(ctx, elements, dtype);
  const pool = ctx.b.op1('Reshape', [operand(ctx, tests, dtype), ctx.b.int64s([-1])]);
  const rank = x.shape.length;
  const matches = castTo(ctx, equalValues(ctx, unsqueeze(ctx, x.name, [rank]), pool, dtype), 'bool', 'int64');
  const found = castTo(ctx, reduce(ctx, 'ReduceSum', matches, [rank], false), 'int64', 'bool');
  return [a.bool('invert') ? ctx.b.op1('Not', [found]) : found];
}

function inferBincount(a: BoundArgs): TensorType[] {
  const op = a.schema.name;
  const self = a.tensor('self');
  const weights = a.optTensor('weights');
  if (!isIntegral(dtypeOf(self))) fail('TRACE_TYPE', `${op}: "bincount_cpu" not implemented for '${dtypeOf(self)}'`);
  if (rankOf(self) !== 1) fail('TRACE_TYPE', `${op}: bincount only supports 1-d non-negative integral inputs.`);
  if (weights && (rankOf(weights) !== 1 || knownDifferent(shapeOf(weights)[0], shapeOf(self)[0]))) {
    fail('TRACE_TYPE', `${op}: weights should be 1-d and have the same length as input`);
  }
  const minlength = a.int('minlength');
  if (minlength < 0) fail('TRACE_TYPE', `${op}: minlength should be >= 0`);
  const dtype = !weights ? 'int64' : dtypeOf(weights) === 'float32' ? 'float32' : 'float64';
  const known = a.known(self);
  const size = known ? Math.max(minlength, ...known.values.map((v) => Number(v) + 1)) : a.freshDim('bincount');
  return [tensorOf(dtype, [size])];
}

/**
 * Counts (or weight sums) per value: each value one-hot over max(max(self) + 1, minlength) places,
 * summed. torch counts float32 weights in float32 and every other weight dtype in float64.
 */
function lowerBincount(ctx: LowerContext, a: BoundArgs): string[] {
  const self = int64(ctx, a.tensor('self'));
  // minlength - 1 among the values makes the count at least minlength, and an empty input fine.
  const floor = ctx.b.int64s([a.int('minlength') - 1]);
  const largest = reduce(ctx, 'ReduceMax', ctx.b.op1('Concat', [self, floor], { axis: 0 }), undefined, true);
  const depth = ctx.b.op1('Add', [largest, ctx.b.int64s([1])]);
  const mask = oneHotMask(ctx, self, depth, 1);
  const weights = a.optTensor('weights');
  const out = dtypeOf(ctx.node.outputs[0]);
  if (!weights) return [reduce(ctx, 'ReduceSum', castTo(ctx, mask, 'bool', 'int64'), [0], false)];
  const w = unsqueeze(ctx, castTo(ctx, ctx.input(weights), dtypeOf(weights), out), [1]);
  return [reduce(ctx, 'ReduceSum', ctx.b.op1('Where', [mask, w, ctx.b.scalar(out, 0)]), [0], false)];
}

// ---------------------------------------------------------------------------------------------
// embedding_renorm

/** The p-norm of each row of a 2-D float tensor, as torch's Tensor.norm computes it, shape [rows, 1]. */
function rowNorms(ctx: LowerContext, x: string, p: number, dtype: DType): string {
  if (p === 2) return reduce(ctx, 'ReduceL2', x, [1], true);
  if (p === 1) return reduce(ctx, 'ReduceL1', x, [1], true);
  if (p === 0) return reduce(ctx, 'ReduceSum', castTo(ctx, castTo(ctx, x, dtype, 'bool'), 'bool', dtype), [1], true);
  const magnitude = ctx.b.op1('Abs', [x]);
  if (p === Infinity) return reduce(ctx, 'ReduceMax', magnitude, [1], true);
  if (p === -Infinity) return reduce(ctx, 'ReduceMin', magnitude, [1], true);
  const powered = ctx.b.op1('Pow', [magnitude, ctx.b.scalar(dtype, p)]);
  return ctx.b.op1('Pow', [reduce(ctx, 'ReduceSum', powered, [1], true), ctx.b.scalar(dtype, 1 / p)]);
}

/**
 * torch's embedding_renorm_: each row that indices name and whose norm exceeds max_norm is scaled by
 * max_norm / (norm + 1e-7), the scale computed in float64 from the float norm as torch does. Rows
 * are marked by a one-hot sum instead of torch's Unique (opset 11), so this runs from opset 9.
 */
function lowerEmbeddingRenorm(ctx: LowerContext, a: BoundArgs): string[] {
  const weight = built(ctx, a.tensor('self'));
  const indices = ctx.b.op1('Reshape', [int64(ctx, a.tensor('indices')), ctx.b.int64s([-1])]);
  const maxNorm = a.float('max_norm');
  const named = castTo(ctx, reduce(ctx, 'ReduceSum', oneHotMaskInt64(ctx, indices, dimSize(ctx, weight, 0)), [0], false), 'int64', 'bool');
  const norms = castTo(ctx, rowNorms(ctx, weight.name, a.float('norm_type'), weight.dtype), weight.dtype, 'float64');
  const over = ctx.b.op1('And', [unsqueeze(ctx, named, [1]), ctx.b.op1('Greater', [norms, ctx.b.scalar('float64', maxNorm)])]);
  const scale = ctx.b.op1('Div', [ctx.b.scalar('float64', maxNorm), ctx.b.op1('Add', [norms, ctx.b.scalar('float64', 1e-7)])]);
  const factor = ctx.b.op1('Where', [over, castTo(ctx, scale, 'float64', weight.dtype), ctx.b.scalar(weight.dtype, 1)]);
  return [ctx.b.op1('Mul', [weight.name, factor])];
}

function inferEmbeddingRenorm(a: BoundArgs): TensorType[] {
  const op = a.schema.name;
  const self = a.tensor('self');
  requireDtype(op, ['indices', a.tensor('indices')], ['int64', 'int32']);
  if (rankOf(self) !== 2) fail('TRACE_TYPE', `${op}: self must be 2-D, got ${rankOf(self)}-D`);
  if (!isFloating(dtypeOf(self))) fail('TRACE_TYPE', `${op}: self must be a floating point tensor, got ${dtypeOf(self)}`);
  return [self.tensor];
}

// ---------------------------------------------------------------------------------------------
// histc

/** histc's range: min and max as given, or the data's when they are equal, widened by 1 when still equal. */
function histRange(ctx: LowerContext, a: BoundArgs, x: string, dtype: DType): [string, string] {
  const [min, max] = ['min', 'max'].map((name) => knownNumber(a.scalar(name)));
  if (min === undefined || max === undefined) fail('TRACE_UNSUPPORTED', `${a.schema.name}: min and max must be known at conversion time`);
  if (min !== max) return [ctx.b.scalar(dtype, min), ctx.b.scalar(dtype, max)];
  const lo = reduce(ctx, 'ReduceMin', x, undefined, false);
  const hi = reduce(ctx, 'ReduceMax', x, undefined, false);
  const same = equalValues(ctx, lo, hi, dtype);
  const one = ctx.b.scalar(dtype, 1);
  return [ctx.b.op1('Where', [same, ctx.b.op1('Sub', [lo, one]), lo]), ctx.b.op1('Where', [same, ctx.b.op1('Add', [hi, one]), hi])];
}

/**
 * Counts of values in `bins` equal-width bins over [min, max]: bin = trunc((x - min) * bins / (max - min))
 * in the input's dtype, the top edge in the last bin, values outside (and NaN) left out. This is
 * torch 2.x's arithmetic; torch 1.13 divides before multiplying, which differs only for values
 * within rounding of a bin edge.
 */
function lowerHistc(ctx: LowerContext, a: BoundArgs): string[] {
  const self = a.tensor('self');
  const dtype = dtypeOf(self);
  const bins = a.int('bins');
  const x = ctx.b.op1('Reshape', [ctx.input(self), ctx.b.int64s([-1])]);
  const [lo, hi] = histRange(ctx, a, x, dtype);
  const scaled = ctx.b.op1('Div', [ctx.b.op1('Mul', [ctx.b.op1('Sub', [x, lo]), ctx.b.scalar(dtype, bins)]), ctx.b.op1('Sub', [hi, lo])]);
  const raw = castTo(ctx, scaled, dtype, 'int64');
  const last = ctx.b.scalar('int64', bins - 1);
  const outside = ctx.b.op1('Or', [ctx.b.op1('Or', [ctx.b.op1('Less', [x, lo]), ctx.b.op1('Greater', [x, hi])]), ctx.b.op1('IsNaN', [x])]);
  // Outside values get bin 0 (any bin OneHot takes) and then count nothing.
  const bin = ctx.b.op1('Where', [outside, ctx.b.scalar('int64', 0), ctx.b.op1('Where', [ctx.b.op1('Greater', [raw, last]), last, raw])]);
  const counted = ctx.b.op1('Mul', [oneHotMaskInt64(ctx, bin, ctx.b.int64s([bins])), unsqueeze(ctx, castTo(ctx, ctx.b.op1('Not', [outside]), 'bool', 'int64'), [1])]);
  return [castTo(ctx, reduce(ctx, 'ReduceSum', counted, [0], false), 'int64', dtype)];
}

function inferHistc(a: BoundArgs): TensorType[] {
  const op = a.schema.name;
  const self = a.tensor('self');
  const bins = a.int('bins');
  if (dtypeOf(self) !== 'float32' && dtypeOf(self) !== 'float64') fail('TRACE_TYPE', `${op}: "histogram_cpu" not implemented for '${dtypeOf(self)}'`);
  if (bins <= 0) fail('TRACE_TYPE', `${op}: bins must be > 0, but got ${bins} for dimension 0`);
  const [min, max] = ['min', 'max'].map((name) => knownNumber(a.scalar(name)));
  if (min !== undefined && max !== undefined && min > max) fail('TRACE_TYPE', `${op}: max must be larger than min`);
  if ([min, max].some((v) => v !== undefined && !Number.isFinite(v))) fail('TRACE_TYPE', `${op}: range of [${min}, ${max}] is not finite`);
  return [tensorOf(dtypeOf(self), [bins])];
}

// ---------------------------------------------------------------------------------------------
// embedding_bag

const BAG_MODES = ['sum', 'mean', 'max'] as const;

interface Bags {
  /** The gathered rows, [N, D] (weighted by per_sample_weights in sum mode). */
  rows: string;
  /** Bag of each index, [N] int64. */
  bagOf: string;
  /** Index i counts toward bag b: in it and not the padding row, [N, B] bool. */
  member: string;
  /** Members of each bag, [B] int64. */
  count: string;
  /** Number of bags as a one-element int64 tensor. */
  bagCount: string;
}

/** 0, 1, ..., N-1 for a 1-D value `x` of length `n`, without Range (opset 11): the places of an all-true mask. */
function positions(ctx: LowerContext, x: string, n: Dim | undefined): string {
  if (typeof n === 'number') return ctx.b.constant('int64', [n], Array.from({ length: n }, (_, i) => i));
  const all = ctx.b.op1('Expand', [ctx.b.scalar('bool', true), ctx.b.op1('Shape', [x])]);
  return ctx.b.op1('Reshape', [ctx.b.op1('NonZero', [all]), ctx.b.int64s([-1])]);
}

/** The padding row embedding_bag leaves out, or undefined; a negative one counts from the end. */
function bagPadding(a: BoundArgs, rows: Dim): number | undefined {
  if (!a.values.has('padding_idx')) return undefined;
  const padding = a.optInt('padding_idx');
  if (padding === undefined || padding >= 0) return padding;
  if (typeof rows !== 'number') fail('TRACE_UNSUPPORTED', `${a.schema.name}: a negative padding_idx needs the number of embeddings known at conversion time`);
  return padding + rows;
}

function bags(ctx: LowerContext, a: BoundArgs): Bags {
  const weight = built(ctx, a.tensor('weight'));
  const indicesValue = a.tensor('indices');
  const indices = { ...built(ctx, indicesValue), name: int64(ctx, indicesValue) };
  const offsets = built(ctx, a.tensor('offsets'));
  const starts = castTo(ctx, offsets.name, offsets.dtype, 'int64');
  // Bag of index i: how many bags start at or before i, less one.
  const started = ctx.b.op1('Not', [ctx.b.op1('Greater', [unsqueeze(ctx, starts, [0]), unsqueeze(ctx, positions(ctx, indices.name, indices.shape[0]), [1])])]);
  const bagOf = ctx.b.op1('Sub', [reduce(ctx, 'ReduceSum', castTo(ctx, started, 'bool', 'int64'), [1], false), ctx.b.scalar('int64', 1)]);
  const offsetCount = dimSize(ctx, offsets, 0);
  const bagCount = a.bool('include_last_offset') ? ctx.b.op1('Sub', [offsetCount, ctx.b.int64s([1])]) : offsetCount;
  let member = oneHotMask(ctx, bagOf, bagCount, 1);
  const padding = bagPadding(a, weight.shape[0]);
  if (padding !== undefined) {
    const kept = ctx.b.op1('Not', [ctx.b.op1('Equal', [indices.name, ctx.b.scalar('int64', padding)])]);
    member = ctx.b.op1('And', [member, unsqueeze(ctx, kept, [1])]);
  }
  const count = reduce(ctx, 'ReduceSum', castTo(ctx, member, 'bool', 'int64'), [0], false);
  let rows = ctx.b.op1('Gather', [weight.name, indices.name], { axis: 0 });
  const perSample = a.optTensor('per_sample_weights');
  if (perSample) rows = ctx.b.op1('Mul', [rows, unsqueeze(ctx, ctx.input(perSample), [1])]);
  return { rows, bagOf, member, count, bagCount };
}

/** Each bag's rows reduced (ReduceSum or ReduceMax) over a [B, N, D] selection; empty bags give `empty` before the caller fixes them. */
function reduceBags(ctx: LowerContext, g: Bags, opType: 'ReduceSum' | 'ReduceMax', outside: number, dtype: DType): string {
  const selected = unsqueeze(ctx, transpose(ctx, g.member, [1, 0]), [2]);
  const picked = ctx.b.op1('Where', [selected, unsqueeze(ctx, g.rows, [0]), ctx.b.scalar(dtype, outside)]);
  return reduce(ctx, opType, picked, [1], false);
}

/**
 * Sums and maxima per bag: ScatterElements with a reduction (add from 16, max from 18) keeps memory
 * linear in the indices; before, a [bags, indices, dim] selection is reduced.
 */
function bagReduction(ctx: LowerContext, g: Bags, max: boolean, weight: Built): string {
  const start = max ? -Infinity : 0;
  if (ctx.opset < (max ? 18 : 16)) return reduceBags(ctx, g, max ? 'ReduceMax' : 'ReduceSum', start, weight.dtype);
  const kept = reduce(ctx, 'ReduceMax', castTo(ctx, g.member, 'bool', 'int64'), [1], true);
  // Padding places add nothing to a sum and never win a max.
  const rows = ctx.b.op1('Where', [castTo(ctx, kept, 'int64', 'bool'), g.rows, ctx.b.scalar(weight.dtype, start)]);
  const shape = ctx.b.op1('Concat', [g.bagCount, dimSize(ctx, weight, 1)], { axis: 0 });
  const base = ctx.b.op1('Expand', [ctx.b.scalar(weight.dtype, start), shape]);
  const places = ctx.b.op1('Expand', [unsqueeze(ctx, g.bagOf, [1]), ctx.b.op1('Shape', [g.rows])]);
  return scatterElements(ctx, base, places, rows, 0, max ? 'max' : 'add');
}

function lowerEmbeddingBag(ctx: LowerContext, a: BoundArgs): string[] {
  const weight = built(ctx, a.tensor('weight'));
  const mode = BAG_MODES[a.int('mode')];
  const auxDtype = dtypeOf(ctx.node.outputs[1]);
  const aux = (x: string) => castTo(ctx, x, 'int64', auxDtype);
  const g = bags(ctx, a);
  // offset2bag, bag_size and max_indices as torch's CPU kernel leaves them (see inferEmbeddingBag).
  const offset2bag = mode === 'sum' && bagPadding(a, weight.shape[0]) === undefined ? ctx.b.constant(auxDtype, [0], []) : aux(g.bagOf);
  if (mode === 'sum') {
    const zeros = ctx.b.op1('Expand', [ctx.b.scalar(auxDtype, 0), g.bagCount]);
    return [bagReduction(ctx, g, false, weight), offset2bag, zeros, zeros];
  }
  const filled = unsqueeze(ctx, ctx.b.op1('Greater', [g.count, ctx.b.scalar('int64', 0)]), [1]);
  if (mode === 'mean') {
    const divisor = ctx.b.op1('Where', [filled, unsqueeze(ctx, g.count, [1]), ctx.b.scalar('int64', 1)]);
    const mean = ctx.b.op1('Div', [bagReduction(ctx, g, false, weight), castTo(ctx, divisor, 'int64', weight.dtype)]);
    return [mean, offset2bag, aux(g.count), aux(g.count)];
  }
  const output = ctx.b.op1('Where', [filled, bagReduction(ctx, g, true, weight), ctx.b.scalar(weight.dtype, 0)]);
  // The first member holding each maximum (torch keeps the first on ties), as its weight row.
  const maxima = reduceBags(ctx, g, 'ReduceMax', -Infinity, weight.dtype);
  const isMax = equalValues(ctx, unsqueeze(ctx, g.rows, [0]), unsqueeze(ctx, maxima, [1]), weight.dtype);
  const hits = ctx.b.op1('And', [unsqueeze(ctx, transpose(ctx, g.member, [1, 0]), [2]), isMax]);
  const first = ctx.b.op1('ArgMax', [castTo(ctx, hits, 'bool', 'int32')], { axis: 1, keepdims: 0 });
  const rowIds = ctx.b.op1('Gather', [int64(ctx, a.tensor('indices')), first], { axis: 0 });
  const maxIndices = ctx.b.op1('Where', [filled, rowIds, ctx.b.scalar('int64', 0)]);
  return [output, offset2bag, aux(g.count), aux(maxIndices)];
}

/**
 * embedding_bag on 1-D indices with offsets (what F.embedding_bag passes). Besides the bags, torch's
 * CPU kernel returns offset2bag (each index's bag; empty in sum mode without padding), bag_size (0 in
 * sum mode, else the members counted) and max_indices (bag_size in mean mode, zeros in sum mode, each
 * maximum's row in max mode); with include_last_offset in sum mode these have one entry per bag, as
 * for weights that need gradients (modules' parameters).
 */
function inferEmbeddingBag(a: BoundArgs): TensorType[] {
  const op = a.schema.name;
  const weight = a.tensor('weight');
  const indices = a.tensor('indices');
  const offsets = a.tensor('offsets');
  requireDtype(op, ['indices', indices], ['int64', 'int32']);
  requireDtype(op, ['offsets', offsets], ['int64', 'int32']);
  if (rankOf(weight) !== 2) fail('TRACE_TYPE', `${op}: weight has to be a 2D Tensor, but got Tensor of dimension ${rankOf(weight)}`);
  if (!isFloating(dtypeOf(weight))) fail('TRACE_TYPE', `${op}: weight must be a floating point tensor, got ${dtypeOf(weight)}`);
  if (rankOf(indices) !== 1) fail('TRACE_UNSUPPORTED', `${op}: indices of rank ${rankOf(indices)}; F.embedding_bag passes 1-D indices with offsets`);
  if (rankOf(offsets) !== 1) fail('TRACE_TYPE', `${op}: offsets has to be a 1D Tensor, but got Tensor of dimension ${rankOf(offsets)}`);
  const mode = a.int('mode');
  if (mode < 0 || mode > 2) fail('TRACE_TYPE', `${op}: mode has to be one of sum, mean or max`);
  const perSample = a.optTensor('per_sample_weights');
  if (perSample) {
    if (mode !== 0) fail('TRACE_TYPE', `${op}: per_sample_weights only supported with mode='sum'`);
    requireSameDtype(op, ['weight', weight], ['per_sample_weights', perSample]);
    if (rankOf(perSample) !== 1 || knownDifferent(shapeOf(perSample)[0], shapeOf(indices)[0])) {
      fail('TRACE_TYPE', `${op}: expected per_sample_weights to be 1D and to have the same shape as indices`);
    }
  }
  const padding = a.values.has('padding_idx') ? a.optInt('padding_idx') : undefined;
  const rows = shapeOf(weight)[0];
  if (padding !== undefined && typeof rows === 'number' && (padding < -rows || padding >= rows)) {
    fail('TRACE_TYPE', `${op}: padding_idx must be within the number of embeddings, -${rows} through ${rows - 1}, but got ${padding}`);
  }
  const offsetCount = shapeOf(offsets)[0];
  const bagCount = !a.bool('include_last_offset') ? offsetCount : typeof offsetCount === 'number' ? Math.max(offsetCount - 1, 0) : derivedDim(offsetCount, 'bags');
  const auxDtype: DType = dtypeOf(indices) === 'int32' && dtypeOf(offsets) === 'int32' ? 'int32' : 'int64';
  const width = shapeOf(weight)[1];
  const offset2bag = mode === 0 && padding === undefined ? [0] : [shapeOf(indices)[0]];
  return [
    tensorOf(dtypeOf(weight), [bagCount, width]),
    tensorOf(auxDtype, offset2bag),
    tensorOf(auxDtype, [bagCount]),
    tensorOf(auxDtype, mode === 2 ? [bagCount, width] : [bagCount]),
  ];
}

function inferEmbedding(a: BoundArgs): TensorType[] {
  const weight = a.tensor('weight');
  requireDtype(a.schema.name, ['indices', a.tensor('indices')], ['int64', 'int32']);
  return [tensorOf(dtypeOf(weight), [...shapeOf(a.tensor('indices')), ...shapeOf(weight).slice(1)])];
}

function lowerTake(ctx: LowerContext, a: BoundArgs): string[] {
  const flat = ctx.b.op1('Reshape', [ctx.input(a.tensor('self')), ctx.b.int64s([-1])]);
  return [ctx.b.op1('Gather', [flat, ctx.input(a.tensor('index'))], { axis: 0 })];
}

// ---------------------------------------------------------------------------------------------
// Advanced indexing: index.Tensor and index_put

/** One tensor of an `indices` list, and the input dims it indexes. */
interface IndexTensor {
  value: GValue;
  /** First input dim it indexes. */
  at: number;
  /** A bool/uint8 mask indexes as many dims as it has; a long index one. */
  mask: boolean;
}

interface Indexing {
  tensors: IndexTensor[];
  /** Input dims indexed by tensors, in order. */
  indexed: number[];
  /** The indexed dims are contiguous: the result keeps them in place instead of in front. */
  adjacent: boolean;
  /** Broadcast shape of the index tensors (a mask contributes its count of true elements). */
  broadcast: Dim[];
  /** Shape of `self[indices]`. */
  result: Dim[];
}

/** Index tensor dtypes: long (and int, from torch 2.0) index, bool and (deprecated) uint8 mask. */
const INDEX_DTYPES: readonly DType[] = ['int64', 'int32', 'bool', 'uint8'];

function isMask(v: GValue): boolean {
  return dtypeOf(v) === 'bool' || dtypeOf(v) === 'uint8';
}

function parseIndexing(a: BoundArgs): Indexing {
  const self = a.tensor('self');
  const shape = shapeOf(self);
  const raw = a.raw('indices');
  if (!Array.isArray(raw)) fail('TRACE_TYPE', `${a.schema.name}: indices must be a list`);
  const tensors: IndexTensor[] = [];
  let at = 0;
  for (const entry of raw) {
    if (entry === null) {
      at++;
      continue;
    }
    if (!(entry instanceof GValue) || entry.type.kind !== 'tensor') fail('TRACE_TYPE', `${a.schema.name}: indices must hold tensors or None`);
    requireDtype(a.schema.name, ['indices', entry], INDEX_DTYPES);
    const mask = isMask(entry);
    if (mask) checkMaskShape(a.schema.name, shape, entry, at);
    tensors.push({ value: entry, at, mask });
    at += mask ? Math.max(rankOf(entry), 1) : 1;
  }
  if (at > shape.length) fail('TRACE_TYPE', `${a.schema.name}: too many indices for a tensor of rank ${shape.length}`);
  const indexed = tensors.flatMap((t) => Array.from({ length: t.mask ? Math.max(rankOf(t.value), 1) : 1 }, (_, i) => t.at + i));
  const adjacent = indexed.every((d, i) => i === 0 || d === indexed[i - 1] + 1);
  const broadcast = broadcastShapes(...tensors.map((t) => (t.mask ? [a.freshDim('index')] : shapeOf(t.value))));
  const rest = shape.filter((_, i) => !indexed.includes(i));
  const before = indexed.length ? indexed[0] : 0;
  const result = adjacent ? [...shape.slice(0, before), ...broadcast, ...rest.slice(before)] : [...broadcast, ...rest];
  return { tensors, indexed, adjacent, broadcast, result };
}

/** A mask covers the dims it indexes exactly. */
function checkMaskShape(op: string, shape: readonly Dim[], mask: GValue, at: number): void {
  shapeOf(mask).forEach((size, j) => {
    if (knownDifferent(size, shape[at + j])) {
      fail('TRACE_TYPE', `${op}: The shape of the mask [${shapeOf(mask).join(', ')}] at index ${j} does not match the shape of the indexed tensor [${shape.join(', ')}] at index ${at + j}`);
    }
  });
}

/**
 * index_put writes values of self's dtype, except where torch takes its masked_fill path (one mask,
 * a single value, no accumulation), which converts the value.
 */
function inferIndexPut(a: BoundArgs): TensorType[] {
  const self = a.tensor('self');
  const values = a.tensor('values');
  const ix = parseIndexing(a);
  const count = numel(shapeOf(values));
  const maskedFill = ix.tensors.length === 1 && ix.tensors[0].mask && !a.bool('accumulate') && (count === undefined || count === 1);
  if (!maskedFill) requireSameDtype(a.schema.name, ['self', self], ['values', values]);
  return [self.tensor];
}

function inferIndex(a: BoundArgs): TensorType[] {
  return [tensorOf(dtypeOf(a.tensor('self')), parseIndexing(a).result)];
}

/**
 * The index tensors as one int64 `[...broadcast, k]` tensor for GatherND/ScatterND, one column per
 * indexed dim; a mask becomes the coordinates of its true elements (NonZero).
 */
function stackedIndices(ctx: LowerContext, ix: Indexing): string {
  const columns: Array<{ name: string; shape: readonly Dim[] }> = [];
  for (const t of ix.tensors) {
    if (!t.mask) {
      columns.push({ name: int64(ctx, t.value), shape: shapeOf(t.value) });
      continue;
    }
    const coords = ctx.b.op1('NonZero', [ctx.input(t.value)]);
    const count = Math.max(rankOf(t.value), 1);
    for (let i = 0; i < count; i++) {
      const row = ctx.b.op1('Gather', [coords, ctx.b.scalar('int64', i)], { axis: 0 });
      columns.push({ name: row, shape: ix.broadcast });
    }
  }
  const target = broadcastTarget(ctx, ix, columns);
  const expanded = columns.map((c) => (sameShape(c.shape, ix.broadcast) ? c.name : ctx.b.op1('Expand', [c.name, target()])));
  const rank = ix.broadcast.length;
  return ctx.b.op1('Concat', expanded.map((c) => unsqueeze(ctx, c, [rank])), { axis: rank });
}

/** The broadcast shape as a tensor, built only when some column needs expanding. */
function broadcastTarget(ctx: LowerContext, ix: Indexing, columns: Array<{ name: string }>): () => string {
  let built: string | undefined;
  return () => {
    if (built) return built;
    const known = numel(ix.broadcast) !== undefined ? (ix.broadcast as number[]) : undefined;
    // A sum broadcasts exactly like the indices do, so its shape is the broadcast shape.
    built = known ? ctx.b.int64s(known) : ctx.b.op1('Shape', [columns.map((c) => c.name).reduce((x, y) => ctx.b.op1('Add', [x, y]))]);
    return built;
  };
}

/** Input dims reordered so the indexed ones come first, as GatherND/ScatterND index leading dims. */
function indexedFirst(rank: number, ix: Indexing): number[] {
  return [...ix.indexed, ...Array.from({ length: rank }, (_, i) => i).filter((i) => !ix.indexed.includes(i))];
}

/** From `[...broadcast, ...before, ...after]` (GatherND order) to torch's `[...before, ...broadcast, ...after]`. */
function resultPerm(ix: Indexing, resultRank: number): number[] {
  const b = ix.broadcast.length;
  const before = ix.adjacent ? ix.indexed[0] : 0;
  return [
    ...Array.from({ length: before }, (_, i) => b + i),
    ...Array.from({ length: b }, (_, i) => i),
    ...Array.from({ length: resultRank - b - before }, (_, i) => b + before + i),
  ];
}

function lowerIndex(ctx: LowerContext, a: BoundArgs): string[] {
  const self = a.tensor('self');
  const x = ctx.input(self);
  const ix = parseIndexing(a);
  if (ix.tensors.length === 0) return [x];
  const [only] = ix.tensors;
  if (ix.tensors.length === 1 && !only.mask) return [ctx.b.op1('Gather', [x, ctx.input(only.value)], { axis: only.at })];
  if (ix.tensors.length === 1 && only.mask && rankOf(only.value) === 1) {
    if (ctx.opset < 9) fail('OP_OPSET', 'indexing with a mask needs opset 9 or later');
    return [ctx.b.op1('Compress', [x, castTo(ctx, ctx.input(only.value), dtypeOf(only.value), 'bool')], { axis: only.at })];
  }
  if (ctx.opset < 11) fail('OP_OPSET', 'indexing with several index tensors or a multi-dim mask needs opset 11 or later');
  const moved = transpose(ctx, x, indexedFirst(rankOf(self), ix));
  const gathered = ctx.b.op1('GatherND', [moved, stackedIndices(ctx, ix)]);
  return [transpose(ctx, gathered, resultPerm(ix, ix.result.length))];
}

function lowerIndexPut(ctx: LowerContext, a: BoundArgs): string[] {
  const self = a.tensor('self');
  const values = a.tensor('values');
  const dtype = dtypeOf(self);
  const x = ctx.input(self);
  const ix = parseIndexing(a);
  const accumulate = a.bool('accumulate');
  const update = castTo(ctx, ctx.input(values), dtypeOf(values), dtype);
  if (ix.tensors.length === 0) fail('TRACE_UNSUPPORTED', `${a.schema.name}: no index tensors`);
  const [only] = ix.tensors;
  if (ix.tensors.length === 1 && only.mask && numel(shapeOf(values)) === 1 && !accumulate) {
    // `x[mask] = v` with one value: a select, no scatter.
    if (ctx.opset < 9) fail('OP_OPSET', 'assigning through a mask needs opset 9 or later');
    const trailing = rankOf(self) - only.at - rankOf(only.value);
    const mask = unsqueeze(
      ctx,
      castTo(ctx, ctx.input(only.value), dtypeOf(only.value), 'bool'),
      Array.from({ length: trailing }, (_, i) => rankOf(only.value) + i),
    );
    const scalar = rankOf(values) === 0 ? update : ctx.b.op1('Reshape', [update, ctx.b.int64s([])]);
    return [ctx.b.op1('Where', [mask, scalar, x])];
  }
  if (ctx.opset < 11) fail('OP_OPSET', 'assigning through index tensors needs opset 11 or later');
  if (accumulate && ctx.opset < 16) fail('OP_OPSET', 'index_put with accumulate=True needs opset 16 or later');
  const rank = rankOf(self);
  const perm = indexedFirst(rank, ix);
  const moved = transpose(ctx, x, perm);
  const indices = stackedIndices(ctx, ix);
  // values broadcast against torch's result shape; reorder them to GatherND order, then expand.
  const resultRank = ix.result.length;
  if (rankOf(values) > resultRank) {
    fail('TRACE_UNSUPPORTED', `${a.schema.name}: values of rank ${rankOf(values)} for a result of rank ${resultRank}`);
  }
  const lifted = unsqueeze(ctx, update, Array.from({ length: resultRank - rankOf(values) }, (_, i) => i));
  const inverseResult = invert(resultPerm(ix, resultRank));
  const ordered = transpose(ctx, lifted, inverseResult);
  const gatherShape = inverseResult.map((p) => ix.result[p]);
  const target =
    numel(gatherShape) !== undefined
      ? ctx.b.int64s(gatherShape as number[])
      : ctx.b.op1('Shape', [ctx.b.op1('GatherND', [moved, indices])]);
  const updates = ctx.b.op1('Expand', [ordered, target]);
  const scattered = ctx.b.op1('ScatterND', [moved, indices, updates], accumulate ? { reduction: 'add' } : {});
  return [transpose(ctx, scattered, invert(perm))];
}

function invert(perm: readonly number[]): number[] {
  const inverse = Array<number>(perm.length);
  perm.forEach((p, i) => (inverse[p] = i));
  return inverse;
}

// ---------------------------------------------------------------------------------------------
// nonzero / topk / sort / one_hot

/** TopK at any opset: `k` an attribute before 10, an input from 10; ascending order from 11. */
function topK(ctx: LowerContext, x: string, k: number | string, d: number, largest: boolean, sorted: boolean): string[] {
  if (!largest && ctx.opset < 11) fail('OP_OPSET', 'smallest-first topk/sort needs opset 11 or later');
  if (ctx.opset < 10) {
    if (typeof k !== 'number') fail('OP_OPSET', 'topk/sort with a count known only at run time needs opset 10 or later');
    return ctx.b.op('TopK', [x], { axis: d, k }, 2);
  }
  const kInput = typeof k === 'number' ? ctx.b.int64s([k]) : k;
  const attrs: OnnxAttrs = ctx.opset >= 11 ? { axis: d, largest: largest ? 1 : 0, sorted: sorted ? 1 : 0 } : { axis: d };
  return ctx.b.op('TopK', [x, kInput], attrs, 2);
}

function topkDim(a: BoundArgs): number {
  return axis(a.int('dim'), rankOf(a.tensor('self')));
}

function inferTopk(a: BoundArgs): TensorType[] {
  const self = a.tensor('self');
  const d = topkDim(a);
  const k = intArg(a, 'k');
  const shape = shapeOf(self).map((x, i) => (i === d ? (typeof k === 'number' ? k : a.freshDim('topk')) : x));
  return [tensorOf(dtypeOf(self), shape), tensorOf('int64', shape)];
}

function kTensor(ctx: LowerContext, k: IntArg): number | string {
  return typeof k === 'number' ? k : shapeTensor(ctx, [k]);
}

function lowerTopk(ctx: LowerContext, a: BoundArgs): string[] {
  const k = kTensor(ctx, intArg(a, 'k'));
  return topK(ctx, ctx.input(a.tensor('self')), k, topkDim(a), a.bool('largest'), a.bool('sorted'));
}

function inferSort(a: BoundArgs): TensorType[] {
  const self = a.tensor('self');
  return [tensorOf(dtypeOf(self), shapeOf(self)), tensorOf('int64', shapeOf(self))];
}

/** Sorting is a TopK over the whole dim; ties keep index order as in a stable sort. */
function lowerSort(ctx: LowerContext, a: BoundArgs): string[] {
  const self = a.tensor('self');
  const d = topkDim(a);
  const n = shapeOf(self)[d];
  const k = typeof n === 'number' ? n : slice(ctx, ctx.b.op1('Shape', [ctx.input(self)]), [{ axis: 0, start: d, end: d + 1, step: 1 }]);
  const dtype = onnxDtypeOf(self);
  if (ctx.opset >= 11 || isFloating(dtype)) return topK(ctx, ctx.input(self), k, d, a.bool('descending'), true);
  // TopK takes only floats before opset 11: integers sort as doubles, exact up to 2^53 in magnitude.
  const [values, indices] = topK(ctx, castTo(ctx, ctx.input(self), dtype, 'float64'), k, d, a.bool('descending'), true);
  return [castTo(ctx, values, 'float64', dtype), indices];
}

function lowerOneHot(ctx: LowerContext, a: BoundArgs): string[] {
  const depth = oneHotDepth(a);
  const values = ctx.b.constant('int64', [2], [0, 1]);
  return [ctx.b.op1('OneHot', [int64(ctx, a.tensor('self')), ctx.b.scalar('int64', depth), values], { axis: -1 })];
}

function oneHotDepth(a: BoundArgs): number {
  const classes = a.int('num_classes');
  if (classes >= 0) return classes;
  const known = a.known(a.tensor('self'));
  if (!known) fail('TRACE_UNSUPPORTED', 'one_hot: num_classes=-1 depends on the values of the input; pass num_classes');
  return Math.max(-1, ...known.values) + 1;
}

// ---------------------------------------------------------------------------------------------

const INDEX_SCHEMAS = [
  'aten::index.Tensor(Tensor self, Tensor?[] indices) -> Tensor',
  'aten::index.Tensor_hacked_twin(Tensor self, Tensor[] indices) -> Tensor',
];

// Where a definition lists an `int` and a `SymInt` form of one schema, the second is how torch 2.x prints it.
export const indexOpsOps: readonly OpDef[] = [
  { schemas: ['aten::index_select(Tensor self, int dim, Tensor index) -> Tensor'], infer: inferIndexSelect, lower: { 7: lowerIndexSelect } },
  {
    schemas: ['aten::gather(Tensor self, int dim, Tensor index, *, bool sparse_grad=False) -> Tensor'],
    infer: (a) => {
      checkElementIndex(a);
      return [tensorOf(dtypeOf(a.tensor('self')), shapeOf(a.tensor('index')))];
    },
    lower: { 9: lowerGather },
  },
  {
    schemas: [
      'aten::scatter.src(Tensor self, int dim, Tensor index, Tensor src) -> Tensor',
      'aten::scatter.value(Tensor self, int dim, Tensor index, Scalar value) -> Tensor',
      'aten::scatter.reduce(Tensor self, int dim, Tensor index, Tensor src, *, str reduce) -> Tensor',
      'aten::scatter.value_reduce(Tensor self, int dim, Tensor index, Scalar value, *, str reduce) -> Tensor',
    ],
    infer: (a) => {
      checkElementIndex(a);
      return [a.tensor('self').tensor];
    },
    lower: { 9: lowerScatter },
  },
  {
    schemas: ['aten::scatter_add(Tensor self, int dim, Tensor index, Tensor src) -> Tensor'],
    infer: (a) => {
      checkElementIndex(a);
      return [a.tensor('self').tensor];
    },
    lower: { 9: lowerScatter },
  },
  {
    schemas: [
      'aten::embedding(Tensor weight, Tensor indices, int padding_idx=-1, bool scale_grad_by_freq=False, bool sparse=False) -> Tensor',
      'aten::embedding(Tensor weight, Tensor indices, SymInt padding_idx=-1, bool scale_grad_by_freq=False, bool sparse=False) -> Tensor',
    ],
    infer: inferEmbedding,
    lower: { 7: (ctx, a) => [ctx.b.op1('Gather', [ctx.input(a.tensor('weight')), ctx.input(a.tensor('indices'))], { axis: 0 })] },
  },
  {
    schemas: ['aten::embedding_renorm(Tensor self, Tensor indices, float max_norm, float norm_type) -> Tensor'],
    infer: inferEmbeddingRenorm,
    lower: { 9: lowerEmbeddingRenorm },
  },
  { schemas: ['aten::histc(Tensor self, int bins=100, Scalar min=0, Scalar max=0) -> Tensor'], infer: inferHistc, lower: { 9: lowerHistc } },
  {
    schemas: [
      'aten::embedding_bag(Tensor weight, Tensor indices, Tensor offsets, bool scale_grad_by_freq=False, int mode=0, bool sparse=False, Tensor? per_sample_weights=None, bool include_last_offset=False) -> (Tensor, Tensor, Tensor, Tensor)',
      'aten::embedding_bag.padding_idx(Tensor weight, Tensor indices, Tensor offsets, bool scale_grad_by_freq, int mode, bool sparse, Tensor? per_sample_weights, bool include_last_offset, int? padding_idx) -> (Tensor, Tensor, Tensor, Tensor)',
    ],
    infer: inferEmbeddingBag,
    lower: { 9: lowerEmbeddingBag },
  },
  {
    schemas: ['aten::take(Tensor self, Tensor index) -> Tensor'],
    infer: (a) => {
      requireDtype(a.schema.name, ['index', a.tensor('index')], ['int64']);
      return [tensorOf(dtypeOf(a.tensor('self')), shapeOf(a.tensor('index')))];
    },
    lower: { 7: lowerTake },
  },
  {
    schemas: ['aten::index_add(Tensor self, int dim, Tensor index, Tensor source, *, Scalar alpha=1) -> Tensor'],
    infer: (a) => {
      checkIndexAlong(a, ['int64', 'int32'], 'source');
      return [a.tensor('self').tensor];
    },
    lower: { 9: lowerIndexAdd },
  },
  {
    schemas: ['aten::index_copy(Tensor self, int dim, Tensor index, Tensor source) -> Tensor'],
    infer: (a) => {
      checkIndexAlong(a, ['int64'], 'source');
      return [a.tensor('self').tensor];
    },
    lower: { 9: lowerIndexCopy },
  },
  {
    schemas: [
      'aten::index_fill.int_Tensor(Tensor self, int dim, Tensor index, Tensor value) -> Tensor',
      'aten::index_fill.int_Scalar(Tensor self, int dim, Tensor index, Scalar value) -> Tensor',
    ],
    infer: (a) => {
      checkIndexAlong(a, ['int64']);
      const value = a.scalar('value');
      if (value instanceof GValue && rankOf(value) > 0) {
        fail('TRACE_TYPE', `${a.schema.name}: index_fill_ only supports a 0-dimensional value tensor, but got tensor with ${rankOf(value)} dimension(s).`);
      }
      return [a.tensor('self').tensor];
    },
    lower: { 9: lowerIndexFill },
  },
  {
    schemas: ['aten::scatter_reduce.two(Tensor self, int dim, Tensor index, Tensor src, str reduce, *, bool include_self=True) -> Tensor'],
    infer: (a) => {
      checkElementIndex(a);
      checkReduce(a, Object.keys(SCATTER_REDUCE_OPS), 'reduce argument must be either sum, prod, mean, amax or amin,');
      return [a.tensor('self').tensor];
    },
    lower: { 11: lowerScatterReduce },
  },
  {
    schemas: ['aten::index_reduce(Tensor self, int dim, Tensor index, Tensor source, str reduce, *, bool include_self=True) -> Tensor'],
    infer: (a) => {
      checkIndexAlong(a, ['int64', 'int32'], 'source');
      checkReduce(a, ['prod', 'mean', 'amax', 'amin'], 'Expected reduce to be one of prod, mean, amax or amin');
      return [a.tensor('self').tensor];
    },
    lower: { 11: lowerIndexReduce },
  },
  {
    schemas: ['aten::masked_select(Tensor self, Tensor mask) -> Tensor'],
    infer: (a) => {
      checkMasked(a);
      return [tensorOf(dtypeOf(a.tensor('self')), [a.freshDim('masked_select')])];
    },
    lower: { 9: lowerMaskedSelect },
  },
  {
    schemas: ['aten::masked_scatter(Tensor self, Tensor mask, Tensor source) -> Tensor'],
    infer: (a) => {
      checkMasked(a);
      requireSameDtype(a.schema.name, ['self', a.tensor('self')], ['source', a.tensor('source')]);
      return [tensorOf(dtypeOf(a.tensor('self')), broadcastShapes(shapeOf(a.tensor('self')), shapeOf(a.tensor('mask'))))];
    },
    lower: { 9: lowerMaskedScatter },
  },
  { schemas: ['aten::take_along_dim(Tensor self, Tensor indices, int? dim=None) -> Tensor'], infer: inferTakeAlongDim, lower: { 9: lowerTakeAlongDim } },
  {
    schemas: [
      'aten::bucketize.Tensor(Tensor self, Tensor boundaries, *, bool out_int32=False, bool right=False) -> Tensor',
      'aten::bucketize.Scalar(Scalar self, Tensor boundaries, *, bool out_int32=False, bool right=False) -> Tensor',
    ],
    infer: inferBucketize,
    lower: { 9: lowerBucketize },
  },
  {
    schemas: [
      'aten::searchsorted.Tensor(Tensor sorted_sequence, Tensor self, *, bool out_int32=False, bool right=False, str? side=None, Tensor? sorter=None) -> Tensor',
      'aten::searchsorted.Scalar(Tensor sorted_sequence, Scalar self, *, bool out_int32=False, bool right=False, str? side=None, Tensor? sorter=None) -> Tensor',
    ],
    infer: inferSearchSorted,
    lower: { 9: lowerSearchSorted },
  },
  {
    schemas: [
      'aten::isin.Tensor_Tensor(Tensor elements, Tensor test_elements, *, bool assume_unique=False, bool invert=False) -> Tensor',
      'aten::isin.Tensor_Scalar(Tensor elements, Scalar test_element, *, bool assume_unique=False, bool invert=False) -> Tensor',
      'aten::isin.Scalar_Tensor(Scalar element, Tensor test_elements, *, bool assume_unique=False, bool invert=False) -> Tensor',
    ],
    infer: (a) => [tensorOf('bool', operandShape(a.values.has('element') ? a.scalar('element') : a.scalar('elements')))],
    lower: { 9: lowerIsin },
  },
  { schemas: ['aten::bincount(Tensor self, Tensor? weights=None, int minlength=0) -> Tensor'], infer: inferBincount, lower: { 9: lowerBincount } },
  { schemas: INDEX_SCHEMAS, infer: inferIndex, lower: { 7: lowerIndex } },
  {
    schemas: [
      'aten::index_put(Tensor self, Tensor?[] indices, Tensor values, bool accumulate=False) -> Tensor',
      'aten::index_put.hacked_twin(Tensor self, Tensor[] indices, Tensor values, bool accumulate=False) -> Tensor',
    ],
    infer: inferIndexPut,
    lower: { 9: lowerIndexPut },
  },
  {
    schemas: ['aten::nonzero(Tensor self) -> Tensor'],
    infer: (a) => [tensorOf('int64', [a.freshDim('nonzero'), rankOf(a.tensor('self'))])],
    lower: { 9: (ctx, a) => [transpose(ctx, ctx.b.op1('NonZero', [ctx.input(a.tensor('self'))]), [1, 0])] },
  },
  {
    schemas: [
      'aten::topk(Tensor self, int k, int dim=-1, bool largest=True, bool sorted=True) -> (Tensor values, Tensor indices)',
      'aten::topk(Tensor self, SymInt k, int dim=-1, bool largest=True, bool sorted=True) -> (Tensor values, Tensor indices)',
    ],
    infer: inferTopk,
    lower: { 7: lowerTopk },
  },
  {
    schemas: [
      'aten::sort(Tensor self, int dim=-1, bool descending=False) -> (Tensor values, Tensor indices)',
      'aten::sort.stable(Tensor self, *, bool? stable, int dim=-1, bool descending=False) -> (Tensor values, Tensor indices)',
    ],
    infer: inferSort,
    lower: { 7: lowerSort },
  },
  {
    schemas: [
      'aten::argsort(Tensor self, int dim=-1, bool descending=False) -> Tensor',
      'aten::argsort.stable(Tensor self, *, bool stable, int dim=-1, bool descending=False) -> Tensor',
    ],
    infer: (a) => [inferSort(a)[1]],
    lower: { 7: (ctx, a) => [lowerSort(ctx, a)[1]] },
  },
  {
    schemas: ['aten::one_hot(Tensor self, int num_classes=-1) -> Tensor'],
    infer: (a) => {
      requireDtype(a.schema.name, ['self', a.tensor('self')], ['int64']);
      return [tensorOf('int64', [...shapeOf(a.tensor('self')), oneHotDepth(a)])];
    },
    lower: { 9: lowerOneHot },
  },
];
