/** Indexing ops: gathers and scatters, advanced indexing (`x[idx]`, `x[mask] = v`), sorting, nonzero. */
import type { DType } from '../../archive/types.js';
import { fail } from '../../errors.js';
import type { OnnxAttrs } from '../../ir/onnx-graph.js';
import { type Dim, GValue, type TensorType } from '../../ir/torch-graph.js';
import { type BoundArgs, type IntArg, intArg, shapeOfValue, shapeTensor } from '../args.js';
import { axis, broadcastShapes, castTo, knownDifferent, numel, onnxDtypeOf, operand, rankOf, requireDtype, requireSameDtype, shapeOf, tensorOf } from '../helpers.js';
import { slice, transpose, unsqueeze } from '../opset.js';
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
  return [ctx.b.op1('GatherElements', [ctx.input(self), ctx.input(a.tensor('index'))], { axis: d })];
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
  const attrs: OnnxAttrs = { axis: d };
  const reduce = a.schema.name === 'aten::scatter_add' ? 'add' : a.values.has('reduce') ? a.str('reduce') : undefined;
  if (reduce !== undefined) {
    const reduction = SCATTER_REDUCTIONS[reduce];
    if (!reduction) fail('OP_UNSUPPORTED', `${a.schema.name}: reduce="${reduce}" is not supported`);
    if (ctx.opset < 16) fail('OP_OPSET', `${a.schema.name} with reduce="${reduce}" needs opset 16 or later`);
    attrs.reduction = reduction;
  }
  return [ctx.b.op1('ScatterElements', [ctx.input(self), int64(ctx, index), updates], attrs)];
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
  return topK(ctx, ctx.input(self), k, d, a.bool('descending'), true);
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
    lower: { 11: lowerGather },
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
    lower: { 11: lowerScatter },
  },
  {
    schemas: ['aten::scatter_add(Tensor self, int dim, Tensor index, Tensor src) -> Tensor'],
    infer: (a) => {
      checkElementIndex(a);
      return [a.tensor('self').tensor];
    },
    lower: { 16: lowerScatter },
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
    schemas: ['aten::take(Tensor self, Tensor index) -> Tensor'],
    infer: (a) => {
      requireDtype(a.schema.name, ['index', a.tensor('index')], ['int64']);
      return [tensorOf(dtypeOf(a.tensor('self')), shapeOf(a.tensor('index')))];
    },
    lower: { 7: lowerTake },
  },
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
