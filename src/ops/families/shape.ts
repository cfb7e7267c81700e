/**
 * Shape and layout ops: views and reshapes, broadcasting, joins and splits (stacks, tensor_split,
 * unfold, repeat_interleave), slicing, rotations, dtype casts, pixel shuffles, nonzero as a tuple and
 * unique.
 */
import type { DType } from '../../archive/types.js';
import { fail } from '../../errors.js';
import { type Dim, GValue, type KnownTensor, type TensorType, type ValueType } from '../../ir/torch-graph.js';
import { type BoundArgs, type IntArg, intArg, intAsVector, intListArg, optIntArg, shapeOfValue, shapeTensor, sizeDim, staticInts } from '../args.js';
import { requireConstantSize } from '../builder.js';
import { nonzeroPerDim, nonzeroPerDimTypes, outDtype } from '../builders.js';
import { complexPartOf, convertValues, dtypeFromScalarType, isFloating, isIntegral, promoteTypes } from '../dtypes.js';
import { axis, broadcastShapes, castTo, knownDifferent, numel, onnxDtypeOf, rankOf, shapeOf, tensorOf } from '../helpers.js';
import { needOpset, reduce, reshape, slice, split, squeeze, transpose, unsqueeze } from '../opset.js';
import type { LowerContext, Lowering, OpDef } from '../registry.js';

/**
 * Slice bounds beyond every real dimension (`9223372036854775807` in TorchScript code, 2^63 once a
 * JS number); the int64 encoders clamp it to INT64_MAX.
 */
const INT64_MAX = 2 ** 63;

// ---------------------------------------------------------------------------------------------
// Shape rules

/** Output dims of view/reshape: -1 is solved when the sizes allow it, run-time sizes become new symbols. */
function reshapeDims(a: BoundArgs, op: string, input: readonly Dim[], sizes: readonly IntArg[]): Dim[] {
  const inferred = sizes.filter((s) => s === -1).length;
  if (inferred > 1) fail('TRACE_TYPE', `${op}: only one dimension can be inferred (-1)`);
  const out: Dim[] = sizes.map((s) => sizeDim(a, s, op));
  const at = sizes.indexOf(-1);
  if (at < 0) {
    const total = numel(input);
    const target = numel(out);
    if (total !== undefined && target !== undefined && total !== target) {
      fail('TRACE_TYPE', `${op}: shape [${out.join(', ')}] is invalid for input of size ${total}`);
    }
    return out;
  }
  out[at] = solveInferredDim(a, op, input, out.filter((_, i) => i !== at));
  return out;
}

/**
 * The dim that -1 stands for: exact when static, or one symbolic input dim left over once the
 * named output dims are matched with input dims of the same name.
 */
function solveInferredDim(a: BoundArgs, op: string, input: readonly Dim[], others: readonly Dim[]): Dim {
  const leftover = input.filter((d): d is string => typeof d === 'string');
  for (const d of others) {
    if (typeof d !== 'string') continue;
    const i = leftover.indexOf(d);
    if (i < 0) return a.freshDim(op);
    leftover.splice(i, 1);
  }
  const inStatic = input.reduce<number>((p, d) => (typeof d === 'number' ? p * d : p), 1);
  const outStatic = others.reduce<number>((p, d) => (typeof d === 'number' ? p * d : p), 1);
  if (leftover.length === 0) {
    if (outStatic === 0 || inStatic % outStatic !== 0) {
      fail('TRACE_TYPE', `${op}: shape [${others.join(', ')}, -1] is invalid for input of size ${inStatic}`);
    }
    return inStatic / outStatic;
  }
  if (leftover.length === 1 && inStatic === outStatic) return leftover[0];
  return a.freshDim(op);
}

function tensorType(v: GValue) {
  return v.tensor;
}

/** The tensor type of a result whose values can be known: a static shape. */
function staticResult(t: ValueType): (TensorType & { shape: readonly number[] }) | undefined {
  if (t.kind !== 'tensor' || !staticInts(t.shape)) return undefined;
  return t as TensorType & { shape: readonly number[] };
}

/** Passes known element values through ops that only change the shape. */
function sameValues(infer: (a: BoundArgs) => ValueType[]) {
  return (a: BoundArgs): KnownTensor[] | undefined => {
    const known = a.known(a.tensor('self'));
    const type = staticResult(infer(a)[0]);
    if (!known || !type) return undefined;
    return [{ type, values: known.values }];
  };
}

function identity(ctx: LowerContext, a: BoundArgs): string[] {
  return [ctx.input(a.tensor('self'))];
}

// ---------------------------------------------------------------------------------------------
// view / reshape / flatten / unflatten

function inferReshape(sizesName: string) {
  return (a: BoundArgs): TensorType[] => {
    const self = a.tensor('self');
    return [tensorOf(tensorType(self).dtype, reshapeDims(a, a.schema.name.slice(6), shapeOf(self), intListArg(a, sizesName)))];
  };
}

function lowerReshape(sizesName: string, infer: (a: BoundArgs) => TensorType[]) {
  return (ctx: LowerContext, a: BoundArgs): string[] => {
    const self = a.tensor('self');
    const out = infer(a)[0];
    const sizes = intListArg(a, sizesName);
    const target = staticInts(out.shape) ?? sizes;
    return [reshapeTo(ctx, self, target)];
  };
}

/**
 * Reshape to a target that may hold -1 and run-time ints; a no-op when the shape is unchanged.
 * A 0 in the target is an empty dim as in torch, unless `zeroCopies` (ONNX's "keep the input dim").
 */
function reshapeTo(ctx: LowerContext, self: GValue, target: readonly IntArg[], zeroCopies = false): string {
  const input = shapeOf(self);
  if (target.length === input.length && target.every((d, i) => d === input[i])) return ctx.input(self);
  // A complex tensor's real view keeps its trailing (real, imaginary) dim.
  const sizes = complexPartOf(tensorType(self).dtype) ? [...target, 2] : target;
  return reshape(ctx, ctx.input(self), shapeTensor(ctx, sizes), !zeroCopies && target.includes(0));
}

const inferView = inferReshape('size');
const inferReshapeShape = inferReshape('shape');

/** `_reshape_from_tensor(x, shape)`: a reshape whose sizes are the values of a 1-D int64 tensor. */
function inferReshapeFromTensor(a: BoundArgs): TensorType[] {
  const op = 'aten::_reshape_from_tensor';
  const self = a.tensor('self');
  const sizes = a.tensor('shape');
  const [length] = shapeOf(sizes);
  if (rankOf(sizes) !== 1 || typeof length !== 'number') fail('TRACE_TYPE', `${op}: shape must be a 1-D tensor of known length`);
  if (!isIntegral(sizes.tensor.dtype)) fail('TRACE_TYPE', `${op}: shape must be an integer tensor, got ${sizes.tensor.dtype}`);
  const known = a.known(sizes);
  const dims = known ? reshapeDims(a, op, shapeOf(self), known.values) : Array.from({ length }, () => a.freshDim('reshape'));
  return [tensorOf(tensorType(self).dtype, dims)];
}

function lowerReshapeFromTensor(ctx: LowerContext, a: BoundArgs): string[] {
  const self = a.tensor('self');
  const target = staticInts(inferReshapeFromTensor(a)[0].shape);
  if (target) return [reshapeTo(ctx, self, target)];
  return [reshape(ctx, ctx.input(self), castTo(ctx, ctx.input(a.tensor('shape')), a.tensor('shape').tensor.dtype, 'int64'))];
}

/**
 * Reshape to `the first lead dims + middle + the dims from trailFrom on`. The leading dims keep
 * their place, so a 0 (ONNX: copy the input dim) stands for the symbolic ones.
 */
function reshapeAround(ctx: LowerContext, self: GValue, lead: number, middle: readonly IntArg[], trailFrom: number): string {
  const shape = shapeOf(self);
  const rank = shape.length;
  const leading = shape.slice(0, lead).map((d) => (typeof d === 'number' ? d : 0));
  const trailing = staticInts(shape.slice(trailFrom));
  if (trailing) return reshapeTo(ctx, self, [...leading, ...middle, ...trailing], true);
  const trailShape = slice(ctx, ctx.b.op1('Shape', [ctx.input(self)]), [{ axis: 0, start: trailFrom, end: rank, step: 1 }]);
  const target = ctx.b.op1('Concat', [shapeTensor(ctx, [...leading, ...middle]), trailShape], { axis: 0 });
  return reshape(ctx, ctx.input(self), target);
}

function flattenRange(a: BoundArgs): { start: number; end: number; rank: number } {
  const rank = rankOf(a.tensor('self'));
  const start = axis(a.int('start_dim'), rank);
  const end = axis(a.int('end_dim'), rank);
  if (start > end) fail('TRACE_TYPE', 'flatten: start_dim cannot come after end_dim');
  return { start, end, rank };
}

function inferFlatten(a: BoundArgs): TensorType[] {
  const self = a.tensor('self');
  const shape = shapeOf(self);
  if (shape.length === 0) return [tensorOf(tensorType(self).dtype, [1])];
  const { start, end } = flattenRange(a);
  const merged = shape.slice(start, end + 1);
  const dim = merged.length === 1 ? merged[0] : (numel(merged) ?? a.freshDim('flatten'));
  return [tensorOf(tensorType(self).dtype, [...shape.slice(0, start), dim, ...shape.slice(end + 1)])];
}

function lowerFlatten(ctx: LowerContext, a: BoundArgs): string[] {
  const self = a.tensor('self');
  const out = inferFlatten(a)[0].shape;
  const known = staticInts(out);
  if (known) return [reshapeTo(ctx, self, known)];
  const { start, end } = flattenRange(a);
  // The merged size when known, not -1: Reshape cannot infer -1 when another dim is 0 (no detections).
  const merged = numel(shapeOf(self).slice(start, end + 1));
  return [reshapeAround(ctx, self, start, [merged ?? -1], end + 1)];
}

function inferUnflatten(a: BoundArgs): TensorType[] {
  const self = a.tensor('self');
  const shape = shapeOf(self);
  const d = axis(a.int('dim'), shape.length);
  const sizes = reshapeDims(a, 'unflatten', [shape[d]], intListArg(a, 'sizes'));
  return [tensorOf(tensorType(self).dtype, [...shape.slice(0, d), ...sizes, ...shape.slice(d + 1)])];
}

function lowerUnflatten(ctx: LowerContext, a: BoundArgs): string[] {
  const self = a.tensor('self');
  const out = inferUnflatten(a)[0].shape;
  const known = staticInts(out);
  if (known) return [reshapeTo(ctx, self, known)];
  const d = axis(a.int('dim'), rankOf(self));
  return [reshapeAround(ctx, self, d, intListArg(a, 'sizes'), d + 1)];
}

function inferAs(a: BoundArgs): TensorType[] {
  return [tensorOf(tensorType(a.tensor('self')).dtype, shapeOf(a.tensor('other')))];
}

function lowerReshapeAs(ctx: LowerContext, a: BoundArgs): string[] {
  const self = a.tensor('self');
  const other = a.tensor('other');
  const target = staticInts(shapeOf(other));
  if (target) return [reshapeTo(ctx, self, target)];
  return [reshape(ctx, ctx.input(self), ctx.b.op1('Shape', [ctx.input(other)]))];
}

// ---------------------------------------------------------------------------------------------
// transpose / permute / movedim

function permuted(a: BoundArgs, perm: readonly number[]): TensorType[] {
  const self = a.tensor('self');
  const shape = shapeOf(self);
  return [tensorOf(tensorType(self).dtype, perm.map((p) => shape[p]))];
}

function swapPerm(a: BoundArgs, first: string, second: string): number[] {
  const rank = rankOf(a.tensor('self'));
  const perm = Array.from({ length: rank }, (_, i) => i);
  if (rank === 0) return perm;
  const d0 = axis(a.int(first), rank);
  const d1 = axis(a.int(second), rank);
  [perm[d0], perm[d1]] = [perm[d1], perm[d0]];
  return perm;
}

function permutePerm(a: BoundArgs): number[] {
  const rank = rankOf(a.tensor('self'));
  const perm = a.ints('dims').map((d) => axis(d, rank));
  if (perm.length !== rank || new Set(perm).size !== rank) {
    fail('TRACE_TYPE', `permute: dims [${a.ints('dims').join(', ')}] do not match a tensor of rank ${rank}`);
  }
  return perm;
}

function movedimPerm(a: BoundArgs): number[] {
  const rank = rankOf(a.tensor('self'));
  const sources = a.ints('source').map((d) => axis(d, rank));
  const destinations = a.ints('destination').map((d) => axis(d, rank));
  if (sources.length !== destinations.length) fail('TRACE_TYPE', 'movedim: source and destination differ in length');
  const perm: number[] = Array(rank).fill(-1);
  sources.forEach((s, i) => (perm[destinations[i]] = s));
  const rest = Array.from({ length: rank }, (_, i) => i).filter((i) => !sources.includes(i));
  for (let i = 0; i < rank; i++) if (perm[i] < 0) perm[i] = rest.shift()!;
  return perm;
}

function transposeOp(schemas: string[], perm: (a: BoundArgs) => number[]): OpDef {
  const infer = (a: BoundArgs) => permuted(a, perm(a));
  return {
    schemas,
    infer,
    evaluate: (a) => {
      const known = a.known(a.tensor('self'));
      const type = staticResult(infer(a)[0]);
      if (!known || !type) return undefined;
      const p = perm(a);
      const strides = stridesOf(shapeOf(a.tensor('self')) as number[]);
      return [{ type, values: mapIndices(type.shape, (idx) => known.values[idx.reduce((o, v, i) => o + v * strides[p[i]], 0)]) }];
    },
    lower: { 7: (ctx, a) => [transpose(ctx, ctx.input(a.tensor('self')), perm(a))] },
  };
}

// ---------------------------------------------------------------------------------------------
// squeeze / unsqueeze

function squeezeAxes(a: BoundArgs): number[] {
  const self = a.tensor('self');
  const shape = shapeOf(self);
  if (!a.values.has('dim')) return shape.flatMap((d, i) => (d === 1 ? [i] : []));
  const raw = a.raw('dim');
  const dims = Array.isArray(raw) ? a.ints('dim') : [a.int('dim')];
  if (shape.length === 0) {
    dims.forEach((d) => axis(d, 0));
    return [];
  }
  const axes = [...new Set(dims.map((d) => axis(d, shape.length)))].sort((x, y) => x - y);
  return axes.filter((d) => {
    const size = shape[d];
    if (typeof size === 'string') {
      const why = `dimension ${d} has the dynamic size '${size}', so the result's rank would depend on it`;
      fail('TRACE_UNSUPPORTED', `squeeze: ${why}; make that dimension static`);
    }
    return size === 1;
  });
}

function inferSqueeze(a: BoundArgs): TensorType[] {
  const self = a.tensor('self');
  const axes = squeezeAxes(a);
  return [tensorOf(tensorType(self).dtype, shapeOf(self).filter((_, i) => !axes.includes(i)))];
}

function inferUnsqueeze(a: BoundArgs): TensorType[] {
  const self = a.tensor('self');
  const shape = [...shapeOf(self)];
  shape.splice(axis(a.int('dim'), shape.length + 1), 0, 1);
  return [tensorOf(tensorType(self).dtype, shape)];
}

// ---------------------------------------------------------------------------------------------
// expand / repeat / tile

function inferExpand(a: BoundArgs): TensorType[] {
  const self = a.tensor('self');
  const input = shapeOf(self);
  const sizes = intListArg(a, 'size');
  const lead = sizes.length - input.length;
  if (lead < 0) fail('TRACE_TYPE', `expand: ${sizes.length} sizes given for a tensor of rank ${input.length}`);
  const out = sizes.map((s, i): Dim => {
    const d = i >= lead ? input[i - lead] : undefined;
    if (s === -1) {
      if (d === undefined) fail('TRACE_TYPE', 'expand: -1 is not allowed for a new leading dimension');
      return d;
    }
    if (typeof s === 'number') return s;
    // A run-time size must equal an input dim that is not 1.
    return d !== undefined && d !== 1 ? d : a.freshDim('expand');
  });
  return [tensorOf(tensorType(self).dtype, out)];
}

function lowerExpand(ctx: LowerContext, a: BoundArgs): string[] {
  const self = a.tensor('self');
  const out = inferExpand(a)[0].shape;
  const input = shapeOf(self);
  if (out.length === input.length && out.every((d, i) => d === input[i])) return [ctx.input(self)];
  const known = staticInts(out);
  // Expand broadcasts both ways, so a 1 keeps the input's own size where torch says -1.
  const target = known ?? intListArg(a, 'size').map((s) => (s === -1 ? 1 : s));
  return [ctx.b.op1('Expand', [ctx.input(self), shapeTensor(ctx, target)])];
}

function lowerExpandAs(ctx: LowerContext, a: BoundArgs): string[] {
  const self = a.tensor('self');
  const other = a.tensor('other');
  const same = shapeOf(self).length === shapeOf(other).length && shapeOf(self).every((d, i) => d === shapeOf(other)[i]);
  if (same) return [ctx.input(self)];
  return [ctx.b.op1('Expand', [ctx.input(self), shapeOfValue(ctx, other)])];
}

function repeatsOf(a: BoundArgs): IntArg[] {
  const rank = rankOf(a.tensor('self'));
  if (a.values.has('repeats')) {
    const repeats = intListArg(a, 'repeats');
    if (repeats.length < rank) fail('TRACE_TYPE', `repeat: ${repeats.length} repeats given for a tensor of rank ${rank}`);
    return repeats;
  }
  const dims = intListArg(a, 'dims');
  return [...Array(Math.max(0, rank - dims.length)).fill(1), ...dims];
}

function inferRepeat(a: BoundArgs): TensorType[] {
  const self = a.tensor('self');
  const input = shapeOf(self);
  const repeats = repeatsOf(a);
  const lead = repeats.length - input.length;
  const out = repeats.map((r, i): Dim => {
    const d = i >= lead ? input[i - lead] : 1;
    if (typeof r !== 'number') return d === 0 ? 0 : a.freshDim('repeat');
    if (typeof d === 'number') return d * r;
    return r === 1 ? d : a.freshDim('repeat');
  });
  return [tensorOf(tensorType(self).dtype, out)];
}

function lowerRepeat(ctx: LowerContext, a: BoundArgs): string[] {
  const self = a.tensor('self');
  const repeats = repeatsOf(a);
  const lead = repeats.length - rankOf(self);
  if (repeats.every((r) => r === 1) && lead === 0) return [ctx.input(self)];
  const x = unsqueeze(ctx, ctx.input(self), Array.from({ length: lead }, (_, i) => i));
  return [ctx.b.op1('Tile', [x, shapeTensor(ctx, repeats)])];
}

// ---------------------------------------------------------------------------------------------
// cat / stack

/** torch.cat skips 1-D empty tensors (legacy behaviour) when other tensors are present. */
function withoutLegacyEmpties(op: string, tensors: readonly GValue[]): GValue[] {
  if (tensors.length === 0) fail('TRACE_TYPE', `${op}: expected a non-empty list of tensors`);
  const kept = tensors.filter((t) => !(shapeOf(t).length === 1 && shapeOf(t)[0] === 0));
  return kept.length ? kept : [tensors[0]];
}

function catInputs(a: BoundArgs): GValue[] {
  return withoutLegacyEmpties(a.schema.name, a.tensors('tensors'));
}

function joinedDtype(tensors: readonly GValue[]): DType {
  return tensors.map((t) => tensorType(t).dtype).reduce(promoteTypes);
}

/** Per-dim agreement of joined tensors: a static size wins over a symbolic one. */
function joinedDim(tensors: readonly GValue[], d: number): Dim {
  const dims = tensors.map((t) => shapeOf(t)[d]);
  return dims.find((x) => typeof x === 'number') ?? dims[0];
}

/** torch.cat's agreement rule: one rank, and equal sizes outside the joined dim. */
function checkCatShapes(op: string, tensors: readonly GValue[], d: number): void {
  const first = shapeOf(tensors[0]);
  for (const t of tensors.slice(1)) {
    const shape = shapeOf(t);
    if (shape.length !== first.length) fail('TRACE_TYPE', `${op}: Tensors must have same number of dimensions: got ${first.length} and ${shape.length}`);
    shape.forEach((size, i) => {
      if (i !== d && knownDifferent(size, first[i])) {
        fail('TRACE_TYPE', `${op}: Sizes of tensors must match except in dimension ${d}. Expected size ${first[i]} but got size ${size}`);
      }
    });
  }
}

/** The type of `tensors` (legacy empties already dropped) concatenated along `dim`. */
function catType(a: BoundArgs, tensors: readonly GValue[], dim: number): TensorType {
  const rank = rankOf(tensors[0]);
  if (rank === 0) fail('TRACE_TYPE', `${a.schema.name}: zero-dimensional tensors cannot be concatenated`);
  const d = axis(dim, rank);
  checkCatShapes(a.schema.name, tensors, d);
  const parts = tensors.map((t) => shapeOf(t)[d]);
  const sum = numel(parts) === undefined ? undefined : (parts as number[]).reduce((x, y) => x + y, 0);
  const total = parts.length === 1 ? parts[0] : (sum ?? a.freshDim('cat'));
  const out = Array.from({ length: rank }, (_, i) => (i === d ? total : joinedDim(tensors, i)));
  return tensorOf(joinedDtype(tensors), out);
}

function inferCat(a: BoundArgs): TensorType[] {
  return [catType(a, catInputs(a), a.int('dim'))];
}

function lowerCat(ctx: LowerContext, a: BoundArgs): string[] {
  const tensors = catInputs(a);
  const dtype = joinedDtype(tensors);
  const inputs = tensors.map((t) => castTo(ctx, ctx.input(t), tensorType(t).dtype, dtype));
  if (inputs.length === 1) return inputs;
  return [ctx.b.op1('Concat', inputs, { axis: axis(a.int('dim'), rankOf(tensors[0])) })];
}

function inferStack(a: BoundArgs): TensorType[] {
  const tensors = a.tensors('tensors');
  if (tensors.length === 0) fail('TRACE_TYPE', 'stack: expected a non-empty list of tensors');
  const rank = rankOf(tensors[0]);
  const first = shapeOf(tensors[0]);
  tensors.forEach((t, i) => {
    const shape = shapeOf(t);
    if (shape.length !== rank || shape.some((size, j) => knownDifferent(size, first[j]))) {
      fail('TRACE_TYPE', `${a.schema.name}: stack expects each tensor to be equal size, but got [${first.join(', ')}] at entry 0 and [${shape.join(', ')}] at entry ${i}`);
    }
  });
  const d = axis(a.int('dim'), rank + 1);
  const out = Array.from({ length: rank }, (_, i): Dim => joinedDim(tensors, i));
  out.splice(d, 0, tensors.length);
  return [tensorOf(joinedDtype(tensors), out)];
}

function lowerStack(ctx: LowerContext, a: BoundArgs): string[] {
  const tensors = a.tensors('tensors');
  const dtype = joinedDtype(tensors);
  const d = axis(a.int('dim'), rankOf(tensors[0]) + 1);
  const inputs = tensors.map((t) => unsqueeze(ctx, castTo(ctx, ctx.input(t), tensorType(t).dtype, dtype), [d]));
  if (inputs.length === 1) return inputs;
  return [ctx.b.op1('Concat', inputs, { axis: d })];
}

// ---------------------------------------------------------------------------------------------
// chunk / split / unbind: one output per piece

function staticDimAt(a: BoundArgs, op: string): { d: number; size: number } {
  const self = a.tensor('self');
  const d = axis(a.int('dim'), rankOf(self));
  const size = shapeOf(self)[d];
  if (typeof size !== 'number') {
    fail('TRACE_UNSUPPORTED', `${op}: the number of pieces depends on the dynamic size '${size}' of dimension ${d}`);
  }
  return { d, size };
}

function pieceSizes(a: BoundArgs): { d: number; sizes: IntArg[] } {
  const op = a.schema.name.slice(6);
  const self = a.tensor('self');
  if (op === 'chunk' || op === 'unsafe_chunk') {
    const { d, size } = staticDimAt(a, op);
    const chunks = a.int('chunks');
    if (chunks <= 0) fail('TRACE_TYPE', 'chunk: chunks must be positive');
    return { d, sizes: evenPieces(size, Math.ceil(size / chunks)) };
  }
  const name = a.values.has('split_sizes') ? 'split_sizes' : 'split_size';
  // Decide by the value, not the overload: `split(x, 2)` and `split(x, [1, 2])` share a name.
  if (Array.isArray(a.raw(name))) {
    const d = axis(a.int('dim'), rankOf(self));
    // Sizes may be run-time ints (counts derived from dynamic sizes); only their number must be known.
    const sizes = intListArg(a, name);
    const known = staticInts(sizes);
    const size = shapeOf(self)[d];
    if (known && typeof size === 'number' && known.reduce((x, y) => x + y, 0) !== size) {
      fail('TRACE_TYPE', `${op}: sizes [${known.join(', ')}] do not add up to dimension ${d} of size ${size}`);
    }
    return { d, sizes };
  }
  const { d, size } = staticDimAt(a, op);
  const pieceSize = a.int(name);
  if (pieceSize <= 0) fail('TRACE_TYPE', `${op}: split_size must be positive`);
  return { d, sizes: evenPieces(size, pieceSize) };
}

function evenPieces(size: number, pieceSize: number): number[] {
  if (size === 0) return [0];
  const sizes: number[] = [];
  for (let start = 0; start < size; start += pieceSize) sizes.push(Math.min(pieceSize, size - start));
  return sizes;
}

function inferPieces(a: BoundArgs): TensorType[] {
  const self = a.tensor('self');
  const { d, sizes } = pieceSizes(a);
  return sizes.map((s) => tensorOf(tensorType(self).dtype, shapeOf(self).map((x, i) => (i === d ? sizeDim(a, s, 'split') : x))));
}

function lowerPieces(ctx: LowerContext, a: BoundArgs): string[] {
  const { d, sizes } = pieceSizes(a);
  const known = staticInts(sizes);
  if (known) return split(ctx, ctx.input(a.tensor('self')), d, known);
  const x = ctx.input(a.tensor('self'));
  const sizesTensor = shapeTensor(ctx, sizes);
  if (ctx.opset >= 13) return ctx.b.op('Split', [x, sizesTensor], { axis: d }, sizes.length);
  // Split takes only known sizes before opset 13: each piece is a Slice between running sums (CumSum, opset 11).
  needOpset(ctx, 11, 'splitting into sizes known only at run time');
  const ends = ctx.b.op1('CumSum', [sizesTensor, ctx.b.scalar('int64', 0)]);
  const starts = ctx.b.op1('Sub', [ends, sizesTensor]);
  const element = (v: string, i: number) => ctx.b.op1('Slice', [v, ctx.b.int64s([i]), ctx.b.int64s([i + 1]), ctx.b.int64s([0])]);
  return sizes.map((_, i) => ctx.b.op1('Slice', [x, element(starts, i), element(ends, i), ctx.b.int64s([d])]));
}

function inferUnbind(a: BoundArgs): TensorType[] {
  const self = a.tensor('self');
  const { d, size } = staticDimAt(a, 'unbind');
  const shape = shapeOf(self).filter((_, i) => i !== d);
  return Array.from({ length: size }, () => tensorOf(tensorType(self).dtype, shape));
}

function lowerUnbind(ctx: LowerContext, a: BoundArgs): string[] {
  const { d, size } = staticDimAt(a, 'unbind');
  return split(ctx, ctx.input(a.tensor('self')), d, Array(size).fill(1)).map((p) => squeeze(ctx, p, [d]));
}

// ---------------------------------------------------------------------------------------------
// slice / narrow / select / flip / roll

interface Bounds {
  d: number;
  start: IntArg;
  end: IntArg;
  step: number;
  /** Output size of the sliced dim. */
  size: Dim;
  /** The slice keeps the whole dim. */
  whole: boolean;
}

function sliceBounds(a: BoundArgs): Bounds {
  const self = a.tensor('self');
  const d = axis(a.int('dim'), rankOf(self));
  const n = shapeOf(self)[d];
  const step = a.int('step');
  if (step <= 0) fail('TRACE_TYPE', 'slice: step must be positive');
  const start = optIntArg(a, 'start') ?? 0;
  const end = optIntArg(a, 'end') ?? INT64_MAX;
  if (typeof start !== 'number' || typeof end !== 'number') {
    return { d, start, end, step, size: a.freshDim('slice'), whole: false };
  }
  if (typeof n === 'number') {
    const s = clampIndex(start, n);
    const e = Math.max(s, clampIndex(end, n));
    const size = Math.ceil((e - s) / step);
    return { d, start: s, end: e, step, size, whole: size === n };
  }
  const whole = start === 0 && end >= INT64_MAX / 2 && step === 1;
  return { d, start, end, step, size: whole ? n : a.freshDim('slice'), whole };
}

function clampIndex(i: number, n: number): number {
  return Math.min(n, Math.max(0, i < 0 ? i + n : i));
}

function inferSlice(a: BoundArgs): TensorType[] {
  const self = a.tensor('self');
  const { d, size } = sliceBounds(a);
  return [tensorOf(tensorType(self).dtype, shapeOf(self).map((x, i) => (i === d ? size : x)))];
}

function lowerSlice(ctx: LowerContext, a: BoundArgs): string[] {
  const { d, start, end, step, whole } = sliceBounds(a);
  const x = ctx.input(a.tensor('self'));
  if (whole) return [x];
  return [slice(ctx, x, [{ axis: d, start, end, step }])];
}

function narrowBounds(a: BoundArgs): { d: number; start: IntArg; length: number } {
  const self = a.tensor('self');
  const d = axis(a.int('dim'), rankOf(self));
  const n = shapeOf(self)[d];
  const length = a.int('length');
  const raw = a.raw('start');
  const start = raw instanceof GValue ? raw : a.int('start');
  if (typeof start === 'number' && typeof n === 'number') {
    const s = start < 0 ? start + n : start;
    if (s < 0 || s + length > n) fail('TRACE_TYPE', `narrow: start ${start} and length ${length} exceed dimension ${d} of size ${n}`);
    return { d, start: s, length };
  }
  return { d, start, length };
}

function inferNarrow(a: BoundArgs): TensorType[] {
  const self = a.tensor('self');
  const { d, length } = narrowBounds(a);
  return [tensorOf(tensorType(self).dtype, shapeOf(self).map((x, i) => (i === d ? length : x)))];
}

function lowerNarrow(ctx: LowerContext, a: BoundArgs): string[] {
  const self = a.tensor('self');
  const { d, start, length } = narrowBounds(a);
  const x = ctx.input(self);
  if (typeof start === 'number') {
    if (start === 0 && shapeOf(self)[d] === length) return [x];
    // A negative start on a dynamic dim counts from the end; so does the end, unless it reaches it.
    const end = start < 0 && start + length >= 0 ? INT64_MAX : start + length;
    return [slice(ctx, x, [{ axis: d, start, end, step: 1 }])];
  }
  if (ctx.opset < 10) fail('OP_OPSET', 'narrow with a start known only at run time needs opset 10 or later');
  const starts = intAsVector(ctx, start);
  const ends = ctx.b.op1('Add', [starts, ctx.b.int64s([length])]);
  return [ctx.b.op1('Slice', [x, starts, ends, ctx.b.int64s([d])])];
}

function selectIndex(a: BoundArgs): { d: number; index: IntArg } {
  const self = a.tensor('self');
  const d = axis(a.int('dim'), rankOf(self));
  const n = shapeOf(self)[d];
  const index = intArg(a, 'index');
  if (typeof index === 'number' && typeof n === 'number') {
    if (index < -n || index >= n) fail('TRACE_TYPE', `select: index ${index} is out of range for dimension ${d} of size ${n}`);
    return { d, index: index < 0 ? index + n : index };
  }
  return { d, index };
}

function inferSelect(a: BoundArgs): TensorType[] {
  const self = a.tensor('self');
  const { d } = selectIndex(a);
  return [tensorOf(tensorType(self).dtype, shapeOf(self).filter((_, i) => i !== d))];
}

function lowerSelect(ctx: LowerContext, a: BoundArgs): string[] {
  const { d, index } = selectIndex(a);
  const x = ctx.input(a.tensor('self'));
  if (typeof index !== 'number') {
    return [ctx.b.op1('Gather', [x, castTo(ctx, ctx.input(index), onnxDtypeOf(index), 'int64')], { axis: d })];
  }
  if (index < 0 && ctx.opset < 11) {
    // Gather takes negative indices only from opset 11; Slice takes them everywhere.
    const end = index === -1 ? INT64_MAX : index + 1;
    return [squeeze(ctx, slice(ctx, x, [{ axis: d, start: index, end, step: 1 }]), [d])];
  }
  return [ctx.b.op1('Gather', [x, ctx.b.scalar('int64', index)], { axis: d })];
}

function lowerFlip(ctx: LowerContext, a: BoundArgs): string[] {
  const self = a.tensor('self');
  const rank = rankOf(self);
  const dims = [...new Set(a.ints('dims').map((d) => axis(d, rank)))];
  const x = ctx.input(self);
  if (dims.length === 0 || rank === 0) return [x];
  return [slice(ctx, x, dims.map((d) => ({ axis: d, start: -1, end: -INT64_MAX, step: -1 })))];
}

function lowerRoll(ctx: LowerContext, a: BoundArgs): string[] {
  const self = a.tensor('self');
  const shifts = a.ints('shifts');
  const dims = a.ints('dims');
  const x = ctx.input(self);
  if (dims.length === 0) {
    if (shifts.length !== 1) fail('TRACE_TYPE', 'roll: shifts must be a single int when dims are not given');
    const flat = reshape(ctx, x, ctx.b.int64s([-1]));
    const total = numel(shapeOf(self));
    return [reshape(ctx, rollAlong(ctx, flat, 0, shifts[0], total), shapeOfValue(ctx, self))];
  }
  if (shifts.length !== dims.length) fail('TRACE_TYPE', 'roll: shifts and dims must have the same length');
  let out = x;
  dims.forEach((dim, i) => {
    const d = axis(dim, rankOf(self));
    const n = shapeOf(self)[d];
    out = rollAlong(ctx, out, d, shifts[i], typeof n === 'number' ? n : undefined);
  });
  return [out];
}

/** `x[-s:] ++ x[:-s]` along one axis. */
function rollAlong(ctx: LowerContext, x: string, d: number, shift: number, size: number | undefined): string {
  const s = size === undefined ? shift : size === 0 ? 0 : ((shift % size) + size) % size;
  if (s === 0) return x;
  const tail = slice(ctx, x, [{ axis: d, start: -s, end: INT64_MAX, step: 1 }]);
  const head = slice(ctx, x, [{ axis: d, start: 0, end: -s, step: 1 }]);
  return ctx.b.op1('Concat', [tail, head], { axis: d });
}

// ---------------------------------------------------------------------------------------------
// to / type_as

function targetDtype(a: BoundArgs): DType {
  const self = a.tensor('self');
  if (a.values.has('other')) return tensorType(a.tensor('other')).dtype;
  if (a.values.has('dtype') && !a.isNone('dtype')) {
    const code = a.int('dtype');
    const dtype = dtypeFromScalarType(code);
    if (!dtype) fail('OP_UNSUPPORTED', `${a.schema.name}: dtype ${code} is not supported`);
    return dtype;
  }
  return tensorType(self).dtype;
}

function inferTo(a: BoundArgs): TensorType[] {
  return [tensorOf(targetDtype(a), shapeOf(a.tensor('self')))];
}

function evaluateTo(a: BoundArgs): KnownTensor[] | undefined {
  const known = a.known(a.tensor('self'));
  const type = staticResult(inferTo(a)[0]);
  if (!known || !type) return undefined;
  return [{ type, values: convertValues(known.values, type.dtype) }];
}

function lowerTo(ctx: LowerContext, a: BoundArgs): string[] {
  const self = a.tensor('self');
  return [castTo(ctx, ctx.input(self), tensorType(self).dtype, targetDtype(a))];
}

// ---------------------------------------------------------------------------------------------
// pixel_shuffle / pixel_unshuffle / channel_shuffle

function staticTrailing(a: BoundArgs, op: string, count: number): number[] {
  const shape = shapeOf(a.tensor('self'));
  if (shape.length < count) fail('TRACE_TYPE', `${op}: expected a tensor of rank ${count} or more`);
  const dims = shape.slice(shape.length - count);
  const known = staticInts(dims);
  if (!known) fail('TRACE_UNSUPPORTED', `${op}: needs static channel and spatial sizes, got [${dims.join(', ')}]`);
  return known;
}

function shuffleDims(a: BoundArgs): { lead: readonly Dim[]; c: Dim; h: Dim; w: Dim; r: number } {
  const shape = shapeOf(a.tensor('self'));
  if (shape.length < 3) fail('TRACE_TYPE', `${a.schema.name}: expected a tensor of rank 3 or more`);
  const [c, h, w] = shape.slice(shape.length - 3);
  const r = a.values.has('upscale_factor') ? a.int('upscale_factor') : a.int('downscale_factor');
  return { lead: shape.slice(0, shape.length - 3), c, h, w, r };
}

function scaled(a: BoundArgs, d: Dim, factor: number, op: string): Dim {
  if (typeof d !== 'number') return a.freshDim(op);
  if (!Number.isInteger(d * factor)) fail('TRACE_TYPE', `${op}: size ${d} is not divisible by ${1 / factor}`);
  return d * factor;
}

function inferPixelShuffle(a: BoundArgs): TensorType[] {
  const { lead, c, h, w, r } = shuffleDims(a);
  const dtype = tensorType(a.tensor('self')).dtype;
  return [tensorOf(dtype, [...lead, scaled(a, c, 1 / (r * r), 'pixel_shuffle'), scaled(a, h, r, 'pixel_shuffle'), scaled(a, w, r, 'pixel_shuffle')])];
}

function lowerPixelShuffle(ctx: LowerContext, a: BoundArgs): string[] {
  const self = a.tensor('self');
  const { lead, r } = shuffleDims(a);
  const x = ctx.input(self);
  if (r === 1) return [x];
  if (lead.length === 1 && ctx.opset >= 11) return [ctx.b.op1('DepthToSpace', [x], { blocksize: r, mode: 'CRD' })];
  const [c, h, w] = staticTrailing(a, 'pixel_shuffle', 3);
  const keep = Array(lead.length).fill(0);
  const L = lead.length;
  const split6 = reshape(ctx, x, ctx.b.int64s([...keep, c / (r * r), r, r, h, w]));
  const moved = transpose(ctx, split6, [...keep.map((_, i) => i), L, L + 3, L + 1, L + 4, L + 2]);
  return [reshape(ctx, moved, ctx.b.int64s([...keep, c / (r * r), h * r, w * r]))];
}

function inferPixelUnshuffle(a: BoundArgs): TensorType[] {
  const { lead, c, h, w, r } = shuffleDims(a);
  const dtype = tensorType(a.tensor('self')).dtype;
  return [tensorOf(dtype, [...lead, scaled(a, c, r * r, 'pixel_unshuffle'), scaled(a, h, 1 / r, 'pixel_unshuffle'), scaled(a, w, 1 / r, 'pixel_unshuffle')])];
}

function lowerPixelUnshuffle(ctx: LowerContext, a: BoundArgs): string[] {
  const { lead, r } = shuffleDims(a);
  const x = ctx.input(a.tensor('self'));
  if (r === 1) return [x];
  const [c, h, w] = staticTrailing(a, 'pixel_unshuffle', 3);
  const keep = Array(lead.length).fill(0);
  const L = lead.length;
  const split6 = reshape(ctx, x, ctx.b.int64s([...keep, c, h / r, r, w / r, r]));
  const moved = transpose(ctx, split6, [...keep.map((_, i) => i), L, L + 2, L + 4, L + 1, L + 3]);
  return [reshape(ctx, moved, ctx.b.int64s([...keep, c * r * r, h / r, w / r]))];
}

function lowerChannelShuffle(ctx: LowerContext, a: BoundArgs): string[] {
  const self = a.tensor('self');
  const groups = a.int('groups');
  const c = shapeOf(self)[1];
  if (typeof c !== 'number') fail('TRACE_UNSUPPORTED', `channel_shuffle: needs a static channel count, got '${c}'`);
  if (c % groups !== 0) fail('TRACE_TYPE', `channel_shuffle: ${c} channels are not divisible by ${groups} groups`);
  const grouped = reshape(ctx, ctx.input(self), ctx.b.int64s([0, groups, c / groups, -1]));
  const swapped = transpose(ctx, grouped, [0, 2, 1, 3]);
  return [reshape(ctx, swapped, shapeOfValue(ctx, self))];
}

// ---------------------------------------------------------------------------------------------
// Known values through index-mapping ops, for shape arithmetic at conversion time

export function stridesOf(shape: readonly number[]): number[] {
  const strides = Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

/** Values of a static-shaped result, each taken from its C-order multi-index. */
export function mapIndices(shape: readonly number[], valueAt: (index: number[]) => number): number[] {
  const total = shape.reduce((p, d) => p * d, 1);
  const strides = stridesOf(shape);
  return Array.from({ length: total }, (_, flat) => valueAt(shape.map((d, i) => Math.floor(flat / strides[i]) % d)));
}

function knownAll(a: BoundArgs, tensors: readonly GValue[]): KnownTensor[] | undefined {
  const known = tensors.map((t) => a.known(t));
  return known.every((k): k is KnownTensor => k !== undefined) ? known : undefined;
}

function evaluateCat(a: BoundArgs): KnownTensor[] | undefined {
  const tensors = catInputs(a);
  const known = knownAll(a, tensors);
  const type = staticResult(inferCat(a)[0]);
  if (!known || !type) return undefined;
  const d = axis(a.int('dim'), rankOf(tensors[0]));
  const offsets = tensors.map((t) => shapeOf(t)[d] as number);
  const values = mapIndices(type.shape, (idx) => {
    let at = idx[d];
    let part = 0;
    while (at >= offsets[part]) at -= offsets[part++];
    const shape = shapeOf(tensors[part]) as number[];
    const strides = stridesOf(shape);
    return known[part].values[idx.reduce((o, v, i) => o + (i === d ? at : v) * strides[i], 0)];
  });
  return [{ type, values: convertValues(values, type.dtype) }];
}

function evaluateStack(a: BoundArgs): KnownTensor[] | undefined {
  const tensors = a.tensors('tensors');
  const known = knownAll(a, tensors);
  const type = staticResult(inferStack(a)[0]);
  if (!known || !type) return undefined;
  const d = axis(a.int('dim'), rankOf(tensors[0]) + 1);
  const strides = stridesOf(shapeOf(tensors[0]) as number[]);
  const values = mapIndices(type.shape, (idx) => {
    const inner = idx.filter((_, i) => i !== d);
    return known[idx[d]].values[inner.reduce((o, v, i) => o + v * strides[i], 0)];
  });
  return [{ type, values: convertValues(values, type.dtype) }];
}

function evaluateSelect(a: BoundArgs): KnownTensor[] | undefined {
  const self = a.tensor('self');
  const known = a.known(self);
  const { d, index } = selectIndex(a);
  const type = staticResult(inferSelect(a)[0]);
  if (!known || !type || typeof index !== 'number') return undefined;
  const strides = stridesOf(shapeOf(self) as number[]);
  const values = mapIndices(type.shape, (idx) => {
    const full = [...idx.slice(0, d), index, ...idx.slice(d)];
    return known.values[full.reduce((o, v, i) => o + v * strides[i], 0)];
  });
  return [{ type, values }];
}

function evaluateSlice(a: BoundArgs): KnownTensor[] | undefined {
  const self = a.tensor('self');
  const known = a.known(self);
  const { d, start, step } = sliceBounds(a);
  const type = staticResult(inferSlice(a)[0]);
  if (!known || !type || typeof start !== 'number') return undefined;
  const strides = stridesOf(shapeOf(self) as number[]);
  const values = mapIndices(type.shape, (idx) =>
    known.values[idx.reduce((o, v, i) => o + (i === d ? start + v * step : v) * strides[i], 0)],
  );
  return [{ type, values }];
}

// ---------------------------------------------------------------------------------------------
// numel: a Python int, computed by the interpreter when the shape is static

const numelDef: OpDef = {
  schemas: ['aten::numel(Tensor self) -> int'],
  infer: () => [{ kind: 'scalar', scalar: 'int' }],
  lowersUnderOnnxAten: true,
  lower: { 1: (ctx, a) => [ctx.b.op1('Size', [ctx.input(a.tensor('self'))])] },
};

// ---------------------------------------------------------------------------------------------
// broadcast_to / broadcast_tensors / meshgrid

function sameShape(x: readonly Dim[], y: readonly Dim[]): boolean {
  return x.length === y.length && x.every((d, i) => d === y[i]);
}

function inferBroadcastTensors(a: BoundArgs): TensorType[] {
  const tensors = a.tensors('tensors');
  const shape = broadcastShapes(...tensors.map(shapeOf));
  return tensors.map((t) => tensorOf(tensorType(t).dtype, shape));
}

/** Each tensor expanded to the common shape: a constant when static, else every other tensor's shape in turn (Expand broadcasts both ways). */
function lowerBroadcastTensors(ctx: LowerContext, a: BoundArgs): string[] {
  const tensors = a.tensors('tensors');
  const shape = broadcastShapes(...tensors.map(shapeOf));
  const known = staticInts(shape);
  return tensors.map((t) => {
    if (sameShape(shapeOf(t), shape)) return ctx.input(t);
    if (known) return ctx.b.op1('Expand', [ctx.input(t), ctx.b.int64s(known)]);
    return tensors.filter((other) => other !== t).reduce((x, other) => ctx.b.op1('Expand', [x, shapeOfValue(ctx, other)]), ctx.input(t));
  });
}

/** Where tensor i's values run in the grid: its own axis, the first two swapped for `xy` indexing. */
function meshAxes(a: BoundArgs): number[] {
  const tensors = a.tensors('tensors');
  const indexing = a.values.has('indexing') ? a.str('indexing') : 'ij';
  if (indexing !== 'ij' && indexing !== 'xy') fail('TRACE_TYPE', `meshgrid: indexing must be one of "xy" or "ij", but received: ${indexing}`);
  if (tensors.length === 0) fail('TRACE_TYPE', 'meshgrid expects a non-empty TensorList');
  const dtype = tensorType(tensors[0]).dtype;
  for (const t of tensors) {
    if (rankOf(t) > 1) fail('TRACE_TYPE', `meshgrid: expected 0D or 1D tensors, got a tensor of rank ${rankOf(t)}`);
    if (tensorType(t).dtype !== dtype) fail('TRACE_TYPE', 'meshgrid expects all tensors to have the same dtype');
  }
  const axes = tensors.map((_, i) => i);
  if (indexing === 'xy' && axes.length >= 2) [axes[0], axes[1]] = [1, 0];
  return axes;
}

function meshShape(a: BoundArgs): Dim[] {
  const tensors = a.tensors('tensors');
  const axes = meshAxes(a);
  const shape: Dim[] = Array(tensors.length).fill(1);
  tensors.forEach((t, i) => (shape[axes[i]] = rankOf(t) === 0 ? 1 : shapeOf(t)[0]));
  return shape;
}

function inferMeshgrid(a: BoundArgs): TensorType[] {
  const shape = meshShape(a);
  return a.tensors('tensors').map((t) => tensorOf(tensorType(t).dtype, shape));
}

function lowerMeshgrid(ctx: LowerContext, a: BoundArgs): string[] {
  const tensors = a.tensors('tensors');
  const axes = meshAxes(a);
  const shape = meshShape(a);
  const rank = shape.length;
  const flat = tensors.map((t) => (rankOf(t) === 1 ? ctx.input(t) : reshape(ctx, ctx.input(t), ctx.b.int64s([1]))));
  const known = staticInts(shape);
  const sizes = tensors.map((_, i) => tensors[axes.indexOf(i)]);
  const target = known
    ? ctx.b.int64s(known)
    : ctx.b.op1('Concat', sizes.map((t) => (rankOf(t) === 0 ? ctx.b.int64s([1]) : shapeOfValue(ctx, t))), { axis: 0 });
  return flat.map((x, i) => {
    const placed = reshape(ctx, x, ctx.b.int64s(Array.from({ length: rank }, (_, d) => (d === axes[i] ? -1 : 1))));
    return ctx.b.op1('Expand', [placed, target]);
  });
}

// ---------------------------------------------------------------------------------------------
// atleast_1d/2d/3d, hstack / vstack / dstack / column_stack

/** torch.atleast_nd's new dims, by n and then input rank: [n] becomes [1, n] in 2-D, [1, n, 1] in 3-D. */
const ATLEAST_AXES: Record<1 | 2 | 3, number[][]> = { 1: [[0]], 2: [[0, 1], [0]], 3: [[0, 1, 2], [0, 2], [2]] };

/** The Unsqueeze axes that give a tensor of rank `rank` at least `n` dims the way torch.atleast_nd does. */
function atleastAxes(rank: number, n: 1 | 2 | 3): number[] {
  return rank >= n ? [] : ATLEAST_AXES[n][rank];
}

/** `torch.column_stack` makes 0-d and 1-D tensors columns. */
function columnAxes(rank: number): number[] {
  return rank === 0 ? [0, 1] : rank === 1 ? [1] : [];
}

function withOnes(shape: readonly Dim[], axes: readonly number[]): Dim[] {
  const out = [...shape];
  for (const d of axes) out.splice(d, 0, 1);
  return out;
}

function liftedType(t: GValue, axes: readonly number[]): TensorType {
  return tensorOf(tensorType(t).dtype, withOnes(shapeOf(t), axes));
}

function atleastDef(n: 1 | 2 | 3): OpDef {
  const name = `atleast_${n}d`;
  return {
    schemas: [`aten::${name}(Tensor self) -> Tensor`, `aten::${name}.Sequence(Tensor[] tensors) -> Tensor[]`],
    infer: (a) => {
      const tensors = a.values.has('tensors') ? a.tensors('tensors') : [a.tensor('self')];
      return tensors.map((t) => liftedType(t, atleastAxes(rankOf(t), n)));
    },
    lower: {
      7: (ctx, a) => {
        const tensors = a.values.has('tensors') ? a.tensors('tensors') : [a.tensor('self')];
        return tensors.map((t) => unsqueeze(ctx, ctx.input(t), atleastAxes(rankOf(t), n)));
      },
    },
  };
}

interface StackForm {
  /** Unsqueeze axes making one input ready to concatenate. */
  lift(rank: number): number[];
  /** The concatenated dim, from the lifted first tensor's rank. */
  dim(firstRank: number): number;
}

const STACK_FORMS: Record<'hstack' | 'vstack' | 'dstack' | 'column_stack', StackForm> = {
  hstack: { lift: (rank) => atleastAxes(rank, 1), dim: (firstRank) => (firstRank === 1 ? 0 : 1) },
  vstack: { lift: (rank) => atleastAxes(rank, 2), dim: () => 0 },
  dstack: { lift: (rank) => atleastAxes(rank, 3), dim: () => 2 },
  column_stack: { lift: columnAxes, dim: () => 1 },
};

/** The inputs as the concatenation sees them (lifted, legacy empties dropped), and its dim. */
function stackParts(a: BoundArgs, form: StackForm): { lifted: GValue[]; kept: GValue[]; dim: number } {
  const tensors = a.tensors('tensors');
  if (tensors.length === 0) fail('TRACE_TYPE', `${a.schema.name}: expected a non-empty list of tensors`);
  const lifted = tensors.map((t) => new GValue(liftedType(t, form.lift(rankOf(t)))));
  const kept = withoutLegacyEmpties(a.schema.name, lifted);
  return { lifted, kept, dim: form.dim(rankOf(lifted[0])) };
}

function stackDef(name: keyof typeof STACK_FORMS): OpDef {
  const form = STACK_FORMS[name];
  return {
    schemas: [`aten::${name}(Tensor[] tensors) -> Tensor`],
    infer: (a) => {
      const { kept, dim } = stackParts(a, form);
      return [catType(a, kept, dim)];
    },
    lower: {
      7: (ctx, a) => {
        const tensors = a.tensors('tensors');
        const { lifted, kept, dim } = stackParts(a, form);
        const dtype = joinedDtype(kept);
        const inputs = tensors
          .filter((_, i) => kept.includes(lifted[i]))
          .map((t) => castTo(ctx, unsqueeze(ctx, ctx.input(t), form.lift(rankOf(t))), tensorType(t).dtype, dtype));
        return [inputs.length === 1 ? inputs[0] : ctx.b.op1('Concat', inputs, { axis: dim })];
      },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// rot90 / unfold

function rot90Args(a: BoundArgs): { k: number; d0: number; d1: number } {
  const rank = rankOf(a.tensor('self'));
  const dims = a.ints('dims');
  if (dims.length !== 2) fail('TRACE_TYPE', `rot90: expected total rotation dims == 2, but got dims = ${dims.length}`);
  if (rank < 2) fail('TRACE_TYPE', `rot90: expected total dims >= 2, but got total dims = ${rank}`);
  const [d0, d1] = dims.map((d) => axis(d, rank));
  if (d0 === d1) fail('TRACE_TYPE', `rot90: expected rotation dims to be different, but got dim0 = ${d0} and dim1 = ${d1}`);
  return { k: ((a.int('k') % 4) + 4) % 4, d0, d1 };
}

function swapped(rank: number, d0: number, d1: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[d0], perm[d1]] = [d1, d0];
  return perm;
}

function inferRot90(a: BoundArgs): TensorType[] {
  const self = a.tensor('self');
  const { k, d0, d1 } = rot90Args(a);
  const shape = shapeOf(self);
  return [tensorOf(tensorType(self).dtype, k % 2 === 0 ? shape : swapped(shape.length, d0, d1).map((p) => shape[p]))];
}

/** As torch composes it: k=1 flips dims[1] then swaps the dims, k=2 flips both, k=3 flips dims[0] then swaps. */
function lowerRot90(ctx: LowerContext, a: BoundArgs): string[] {
  const self = a.tensor('self');
  const { k, d0, d1 } = rot90Args(a);
  const reversed = (x: string, dims: number[]) => slice(ctx, x, dims.map((d) => ({ axis: d, start: -1, end: -INT64_MAX, step: -1 })));
  const x = ctx.input(self);
  if (k === 0) return [x];
  if (k === 2) return [reversed(x, [d0, d1])];
  return [transpose(ctx, reversed(x, [k === 1 ? d1 : d0]), swapped(rankOf(self), d0, d1))];
}

function unfoldArgs(a: BoundArgs): { d: number; size: number; step: number; count: Dim } {
  const self = a.tensor('self');
  const rank = rankOf(self);
  // Like torch, a 0-d tensor takes dim 0 and -1.
  const d = axis(a.int('dimension'), Math.max(1, rank));
  const size = a.int('size');
  const step = a.int('step');
  if (step <= 0) fail('TRACE_TYPE', `unfold: step is ${step} but must be > 0`);
  const n = rank === 0 ? 1 : shapeOf(self)[d];
  if (rank === 0 && size === 0) fail('TRACE_UNSUPPORTED', 'unfold: a window of size 0 over a 0-d tensor');
  if (size < 0 || (typeof n === 'number' && size > n)) fail('TRACE_TYPE', `unfold: maximum size for tensor at dimension ${d} is ${n} but size is ${size}`);
  const count = typeof n === 'number' ? Math.floor((n - size) / step) + 1 : a.freshDim('unfold');
  return { d, size, step, count };
}

function inferUnfold(a: BoundArgs): TensorType[] {
  const self = a.tensor('self');
  const { d, size, count } = unfoldArgs(a);
  if (rankOf(self) === 0) return [tensorOf(tensorType(self).dtype, [size])];
  return [tensorOf(tensorType(self).dtype, [...shapeOf(self).map((x, i) => (i === d ? count : x)), size])];
}

/** Window starts along `d` times the offsets in a window, gathered, with the window axis moved last. */
function lowerUnfold(ctx: LowerContext, a: BoundArgs): string[] {
  const self = a.tensor('self');
  const rank = rankOf(self);
  const { d, size, step, count } = unfoldArgs(a);
  const b = ctx.b;
  const x = ctx.input(self);
  if (rank === 0) return [reshape(ctx, x, b.int64s([1]))];
  let index: string;
  if (typeof count === 'number') {
    index = b.constant('int64', [count, size], mapIndices([count, size], ([w, j]) => w * step + j));
  } else {
    needOpset(ctx, 11, `unfold along the dynamic dimension '${shapeOf(self)[d]}' (Range)`);
    const n = b.op1('Gather', [b.op1('Shape', [x]), b.scalar('int64', d)], { axis: 0 });
    const starts = b.op1('Range', [b.scalar('int64', 0), b.op1('Sub', [n, b.scalar('int64', size - 1)]), b.scalar('int64', step)]);
    index = b.op1('Add', [unsqueeze(ctx, starts, [1]), b.constant('int64', [1, size], Array.from({ length: size }, (_, j) => j))]);
  }
  const windows = b.op1('Gather', [x, index], { axis: d });
  const perm = [...Array.from({ length: d + 1 }, (_, i) => i), ...Array.from({ length: rank - d - 1 }, (_, i) => d + 2 + i), d + 1];
  return [transpose(ctx, windows, perm)];
}

// ---------------------------------------------------------------------------------------------
// repeat_interleave: a Gather of each index repeated

interface Interleave {
  /** The input, flattened when dim is None; undefined for `repeat_interleave(repeats)`, which gives the indices themselves. */
  self?: GValue;
  d: number;
  /** The size of the repeated dim of the (flattened) input. */
  n: Dim;
  /** An int for every element, or a tensor of one per element (or one for all). */
  repeats: IntArg | GValue;
}

/** torch refuses a `dim` on a 0-d tensor here, even 0 and -1. */
function dimOfNonScalar(a: BoundArgs, self: GValue): number {
  const dim = a.int('dim');
  if (rankOf(self) === 0) fail('TRACE_TYPE', `${a.schema.name}: Dimension specified as ${dim} but tensor has no dimensions`);
  return axis(dim, rankOf(self));
}

function interleaveArgs(a: BoundArgs): Interleave {
  if (!a.values.has('self')) {
    const repeats = a.tensor('repeats');
    if (rankOf(repeats) !== 1) fail('TRACE_TYPE', `repeat_interleave: repeats must be 1-D, got a tensor of rank ${rankOf(repeats)}`);
    return { d: 0, n: shapeOf(repeats)[0], repeats };
  }
  const self = a.tensor('self');
  const flat = a.isNone('dim');
  const d = flat ? 0 : dimOfNonScalar(a, self);
  const n = flat ? (numel(shapeOf(self)) ?? a.freshDim('repeat_interleave')) : shapeOf(self)[d];
  const raw = a.raw('repeats');
  if (raw instanceof GValue && raw.type.kind === 'tensor') {
    const length = rankOf(raw) === 0 ? 1 : shapeOf(raw)[0];
    if (rankOf(raw) > 1) fail('TRACE_TYPE', 'repeat_interleave: repeats must be 0-dim or 1-dim tensor');
    if (knownDifferent(length, 1) && knownDifferent(length, n)) fail('TRACE_TYPE', `repeat_interleave: repeats must have the same size as input along dim, got ${length} and ${n}`);
    return { self, d, n, repeats: raw };
  }
  const repeats = intArg(a, 'repeats');
  if (typeof repeats === 'number' && repeats < 0) fail('TRACE_TYPE', 'repeat_interleave: repeats can not be negative');
  return { self, d, n, repeats };
}

/** Every repeat count when known now: one per element (a single count applies to all). */
function knownRepeats(a: BoundArgs, { n, repeats }: Interleave): number[] | undefined {
  if (typeof n !== 'number') return undefined;
  if (typeof repeats === 'number') return Array(n).fill(repeats);
  if (repeats.type.kind !== 'tensor') return undefined;
  const known = a.known(repeats);
  if (!known) return undefined;
  if (known.values.some((r) => r < 0)) fail('TRACE_TYPE', 'repeat_interleave: repeats can not be negative');
  return known.values.length === n ? [...known.values] : Array(n).fill(known.values[0]);
}

function inferRepeatInterleave(a: BoundArgs): TensorType[] {
  const args = interleaveArgs(a);
  const counts = knownRepeats(a, args);
  const given = optIntArg(a, 'output_size');
  const sum = counts?.reduce((x, y) => x + y, 0);
  if (sum !== undefined && typeof given === 'number' && given !== sum) fail('TRACE_TYPE', `repeat_interleave: allocated size does not match required size (output_size ${given}, repeats add up to ${sum})`);
  const total: Dim = sum ?? (given !== undefined ? sizeDim(a, given, 'repeat_interleave') : a.freshDim('repeat_interleave'));
  if (!args.self) return [tensorOf(tensorType(args.repeats as GValue).dtype, [total])];
  const self = args.self;
  if (a.isNone('dim')) return [tensorOf(tensorType(self).dtype, [total])];
  return [tensorOf(tensorType(self).dtype, shapeOf(self).map((x, i) => (i === args.d ? total : x)))];
}

/** The gathered indices: a constant when every count is known, else computed at run time (Range, CumSum: opset 11). */
function interleaveIndices(ctx: LowerContext, a: BoundArgs, args: Interleave, x: string): string {
  const b = ctx.b;
  const counts = knownRepeats(a, args);
  if (counts) return b.constant('int64', [counts.reduce((p, c) => p + c, 0)], counts.flatMap((c, i) => Array(c).fill(i)));
  needOpset(ctx, 11, 'repeat_interleave with counts or sizes known only at run time');
  const zero = b.scalar('int64', 0);
  const one = b.scalar('int64', 1);
  const { repeats } = args;
  const perElement = repeats instanceof GValue && repeats.type.kind === 'tensor' && rankOf(repeats) === 1 && args.n !== 1 && shapeOf(repeats)[0] !== 1;
  if (!perElement) {
    // One count r for every element: index k of the output reads element k // r.
    const r = typeof repeats === 'number' ? b.scalar('int64', repeats) : reshape(ctx, castTo(ctx, ctx.input(repeats), onnxDtypeOf(repeats), 'int64'), b.int64s([]));
    const n = typeof args.n === 'number' ? b.scalar('int64', args.n) : b.op1('Gather', [b.op1('Shape', [x]), b.scalar('int64', args.d)], { axis: 0 });
    return b.op1('Div', [b.op1('Range', [zero, b.op1('Mul', [n, r]), one]), r]);
  }
  // Output k reads element i where i = the number of cumulative counts at or below k.
  const ends = b.op1('CumSum', [castTo(ctx, ctx.input(repeats), onnxDtypeOf(repeats), 'int64'), zero]);
  const total = reduce(ctx, 'ReduceSum', castTo(ctx, ctx.input(repeats), onnxDtypeOf(repeats), 'int64'), undefined, false);
  const positions = unsqueeze(ctx, b.op1('Range', [zero, total, one]), [1]);
  const passed = castTo(ctx, b.op1('Not', [b.op1('Greater', [unsqueeze(ctx, ends, [0]), positions])]), 'bool', 'int64');
  return reduce(ctx, 'ReduceSum', passed, [1], false);
}

function lowerRepeatInterleave(ctx: LowerContext, a: BoundArgs): string[] {
  const args = interleaveArgs(a);
  if (!args.self) return [castTo(ctx, interleaveIndices(ctx, a, args, ''), 'int64', outDtype(ctx))];
  const self = args.self;
  const x = a.isNone('dim') ? reshape(ctx, ctx.input(self), ctx.b.int64s([-1])) : ctx.input(self);
  return [ctx.b.op1('Gather', [x, interleaveIndices(ctx, a, args, x)], { axis: args.d })];
}

// ---------------------------------------------------------------------------------------------
// tensor_split

type SplitPlan = { kind: 'sections'; sections: IntArg } | { kind: 'indices'; indices: IntArg[] };

function tensorSplitPlan(a: BoundArgs): SplitPlan {
  if (a.values.has('sections')) {
    const sections = intArg(a, 'sections');
    if (typeof sections === 'number' && sections <= 0) fail('TRACE_TYPE', `tensor_split: number of sections must be larger than 0, got ${sections}`);
    if (typeof sections !== 'number') fail('TRACE_UNSUPPORTED', 'tensor_split: the number of pieces must be known at conversion time');
    return { kind: 'sections', sections };
  }
  if (a.values.has('indices')) return { kind: 'indices', indices: intListArg(a, 'indices') };
  const t = a.tensor('tensor_indices_or_sections');
  if (tensorType(t).dtype !== 'int64') fail('TRACE_TYPE', `tensor_split: tensor_indices_or_sections must be long, got ${tensorType(t).dtype}`);
  if (rankOf(t) > 1) fail('TRACE_TYPE', `tensor_split: tensor_indices_or_sections must be a zero-dimensional or one-dimensional tensor, but got a tensor with ${rankOf(t)} dims`);
  const known = a.known(t);
  if (!known) fail('TRACE_UNSUPPORTED', 'tensor_split: the sections or indices tensor must be known at conversion time (the number of pieces depends on it)');
  if (rankOf(t) === 1) return { kind: 'indices', indices: [...known.values] };
  if (known.values[0] <= 0) fail('TRACE_TYPE', `tensor_split: number of sections must be larger than 0, got ${known.values[0]}`);
  return { kind: 'sections', sections: known.values[0] };
}

/** The [start, end) of every piece: known numbers, or for sections of a dynamic dim undefined (computed at run time). */
function tensorSplitBounds(a: BoundArgs): { d: number; pieces: Array<{ start: IntArg; end: IntArg; size: Dim }> } {
  const self = a.tensor('self');
  const rank = rankOf(self);
  if (rank === 0) fail('TRACE_TYPE', 'tensor_split: expected at least a 1-dimensional tensor');
  const d = axis(a.int('dim'), rank);
  const n = shapeOf(self)[d];
  const plan = tensorSplitPlan(a);
  if (plan.kind === 'sections') {
    const s = plan.sections as number;
    if (typeof n !== 'number') return { d, pieces: Array.from({ length: s }, () => ({ start: 0, end: 0, size: a.freshDim('tensor_split') })) };
    const q = Math.floor(n / s);
    const r = n % s;
    return { d, pieces: Array.from({ length: s }, (_, i) => ({ start: i * q + Math.min(i, r), end: (i + 1) * q + Math.min(i + 1, r), size: q + (i < r ? 1 : 0) })) };
  }
  const bounds: IntArg[] = [0, ...plan.indices, INT64_MAX];
  return {
    d,
    pieces: bounds.slice(1).map((end, i) => {
      const start = bounds[i];
      if (typeof n !== 'number' || typeof start !== 'number' || typeof end !== 'number') return { start, end, size: a.freshDim('tensor_split') };
      const from = clampIndex(start, n);
      return { start, end, size: Math.max(0, clampIndex(end, n) - from) };
    }),
  };
}

function inferTensorSplit(a: BoundArgs): TensorType[] {
  const self = a.tensor('self');
  const { d, pieces } = tensorSplitBounds(a);
  return pieces.map(({ size }) => tensorOf(tensorType(self).dtype, shapeOf(self).map((x, i) => (i === d ? size : x))));
}

function lowerTensorSplit(ctx: LowerContext, a: BoundArgs): string[] {
  const self = a.tensor('self');
  const x = ctx.input(self);
  const { d, pieces } = tensorSplitBounds(a);
  const n = shapeOf(self)[d];
  if (typeof n === 'number' || tensorSplitPlan(a).kind === 'indices') {
    return pieces.map(({ start, end }) => slice(ctx, x, [{ axis: d, start, end, step: 1 }]));
  }
  // Sections of a dynamic dim: the first n % s pieces have n // s + 1 elements, the others n // s.
  needOpset(ctx, 13, 'tensor_split into sections of a dim known only at run time (Split sizes as an input)');
  const b = ctx.b;
  const s = pieces.length;
  const size = b.op1('Gather', [b.op1('Shape', [x]), b.int64s([d])], { axis: 0 });
  const q = b.op1('Div', [size, b.int64s([s])]);
  const r = b.op1('Mod', [size, b.int64s([s])]);
  const sizes = b.op1('Add', [q, castTo(ctx, b.op1('Less', [b.int64s(Array.from({ length: s }, (_, i) => i)), r]), 'bool', 'int64')]);
  return b.op('Split', [x, sizes], { axis: d }, s);
}

// ---------------------------------------------------------------------------------------------
// nonzero_numpy (nonzero as a tuple) / unique

function inferNonzeroNumpy(a: BoundArgs): TensorType[] {
  return nonzeroPerDimTypes(a, a.tensor('self'), 'nonzero_numpy');
}

function lowerNonzeroNumpy(ctx: LowerContext, a: BoundArgs): string[] {
  return nonzeroPerDim(ctx, a.tensor('self'));
}

/** Unique sorts in a dtype ONNX Unique takes, exactly: floats as float32 or float64, integers and bools as int64. */
function uniqueDtype(dtype: DType): DType {
  if (isFloating(dtype)) return dtype === 'float64' ? 'float64' : 'float32';
  return 'int64';
}

/**
 * The flag arguments of _unique, _unique2 and unique_dim. unique_dim always sorts; the flattening
 * forms in PyTorch 1.13 give `sorted=False` in hash order, which no ONNX op reproduces.
 */
function uniqueFlags(a: BoundArgs): { inverse: boolean; counts: boolean } {
  if (a.schema.name !== 'aten::unique_dim' && !a.bool('sorted')) {
    fail('TRACE_UNSUPPORTED', 'unique(sorted=False): PyTorch 1.13 returns the values in hash order, which no ONNX op reproduces; use sorted=True');
  }
  return { inverse: a.bool('return_inverse'), counts: a.values.has('return_counts') && a.bool('return_counts') };
}

/** Values and inverse; _unique2 adds the counts. */
function inferUnique2(a: BoundArgs): TensorType[] {
  const self = a.tensor('self');
  const { inverse, counts } = uniqueFlags(a);
  const count = a.freshDim('unique');
  const types = [tensorOf(tensorType(self).dtype, [count]), tensorOf('int64', inverse ? shapeOf(self) : [0])];
  if (a.schema.name === 'aten::_unique2') types.push(tensorOf('int64', counts ? [count] : [0]));
  return types;
}

function emptyIndices(ctx: LowerContext): string {
  return ctx.b.constant('int64', [0], []);
}

/** torch's unique of the flattened input (_unique, _unique2), sorted, with the inverse in the input's shape. */
function lowerUnique2(ctx: LowerContext, a: BoundArgs): string[] {
  const self = a.tensor('self');
  const { inverse, counts } = uniqueFlags(a);
  const dtype = tensorType(self).dtype;
  const compute = uniqueDtype(dtype);
  // Unique flattens its input itself, but a 0-d one is not a tensor it takes.
  const flat = rankOf(self) === 0 ? reshape(ctx, ctx.input(self), ctx.b.int64s([1])) : ctx.input(self);
  const [values, , inverseIndices, countsOut] = ctx.b.op('Unique', [castTo(ctx, flat, dtype, compute)], { sorted: 1 }, 4);
  const outputs = [castTo(ctx, values, compute, dtype), inverse ? reshape(ctx, inverseIndices, shapeOfValue(ctx, self)) : emptyIndices(ctx)];
  if (a.schema.name === 'aten::_unique2') outputs.push(counts ? countsOut : emptyIndices(ctx));
  return outputs;
}

/**
 * _unique and _unique2 before ONNX Unique (opset 11), from ops every opset 9 has: the flattened input
 * sorted ascending (TopK, largest only before 11, of the negated values; integers as doubles, exact
 * to 2^53), the values kept where a sorted element exceeds the one before (Compress), the inverse
 * as each element's count of smaller values and the counts as each value's count of equal elements
 * (Less and Greater against every value: n x unique comparisons). Opset 9's TopK needs the element
 * count known at conversion time.
 */
function lowerUniqueBySorting(ctx: LowerContext, a: BoundArgs): string[] {
  const self = a.tensor('self');
  const { inverse, counts } = uniqueFlags(a);
  const dtype = tensorType(self).dtype;
  const compute = isFloating(dtype) ? uniqueDtype(dtype) : 'float64';
  const n = numel(shapeOf(self));
  if (ctx.opset < 10 && typeof n !== 'number') fail('OP_OPSET', 'unique of a tensor whose size is known only at run time needs opset 10 or later');
  const flat = reshape(ctx, castTo(ctx, ctx.input(self), dtype, compute), ctx.b.int64s([-1]));
  const k = typeof n === 'number' ? n : reshape(ctx, ctx.b.op1('Size', [flat]), ctx.b.int64s([1]));
  const negated = ctx.b.op1('Neg', [flat]);
  const [descending] = ctx.opset < 10 ? ctx.b.op('TopK', [negated], { axis: 0, k: k as number }, 2) : ctx.b.op('TopK', [negated, typeof k === 'number' ? ctx.b.int64s([k]) : k], { axis: 0 }, 2);
  const ascending = ctx.b.op1('Neg', [descending]);
  const rest = slice(ctx, ascending, [{ axis: 0, start: 1, end: Number.MAX_SAFE_INTEGER, step: 1 }]);
  const before = slice(ctx, ascending, [{ axis: 0, start: 0, end: -1, step: 1 }]);
  const starts = ctx.b.op1('Concat', [ctx.b.constant('bool', [1], [1]), ctx.b.op1('Greater', [rest, before])], { axis: 0 });
  const values = ctx.b.op1('Compress', [ascending, starts], { axis: 0 });
  const column = unsqueeze(ctx, flat, [1]);
  const row = unsqueeze(ctx, values, [0]);
  const countTrue = (test: string, along: number) => reduce(ctx, 'ReduceSum', castTo(ctx, test, 'bool', 'int64'), [along], false);
  const outputs = [castTo(ctx, values, compute, dtype)];
  outputs.push(inverse ? reshape(ctx, countTrue(ctx.b.op1('Less', [row, column]), 1), shapeOfValue(ctx, self)) : emptyIndices(ctx));
  if (a.schema.name === 'aten::_unique2') {
    const equal = ctx.b.op1('Not', [ctx.b.op1('Or', [ctx.b.op1('Less', [column, row]), ctx.b.op1('Greater', [column, row])])]);
    outputs.push(counts ? countTrue(equal, 0) : emptyIndices(ctx));
  }
  return outputs;
}

function inferUniqueDim(a: BoundArgs): TensorType[] {
  const self = a.tensor('self');
  const d = axis(a.int('dim'), rankOf(self));
  const { inverse, counts } = uniqueFlags(a);
  const count = a.freshDim('unique_dim');
  return [
    tensorOf(tensorType(self).dtype, shapeOf(self).map((x, i) => (i === d ? count : x))),
    tensorOf('int64', inverse ? [shapeOf(self)[d]] : [0]),
    tensorOf('int64', counts ? [count] : [0]),
  ];
}

/** Unique slices along `dim`, sorted lexicographically as torch sorts them. */
function lowerUniqueDim(ctx: LowerContext, a: BoundArgs): string[] {
  const self = a.tensor('self');
  const d = axis(a.int('dim'), rankOf(self));
  const { inverse, counts } = uniqueFlags(a);
  const dtype = tensorType(self).dtype;
  const compute = uniqueDtype(dtype);
  const x = castTo(ctx, ctx.input(self), dtype, compute);
  const [values, , inverseIndices, countsOut] = ctx.b.op('Unique', [x], { axis: d, sorted: 1 }, 4);
  return [castTo(ctx, values, compute, dtype), inverse ? inverseIndices : emptyIndices(ctx), counts ? countsOut : emptyIndices(ctx)];
}

function consecutiveDim(a: BoundArgs): number | undefined {
  const self = a.tensor('self');
  return a.isNone('dim') ? undefined : dimOfNonScalar(a, self);
}

function inferUniqueConsecutive(a: BoundArgs): TensorType[] {
  const self = a.tensor('self');
  const d = consecutiveDim(a);
  const inverse = a.bool('return_inverse');
  const counts = a.bool('return_counts');
  const shape = shapeOf(self);
  const n = d === undefined ? numel(shape) : shape[d];
  if (n === 0) fail('TRACE_UNSUPPORTED', 'unique_consecutive of an empty tensor');
  const count = a.freshDim('unique_consecutive');
  const values = d === undefined ? [count] : shape.map((x, i) => (i === d ? count : x));
  return [tensorOf(tensorType(self).dtype, values), tensorOf('int64', inverse ? (d === undefined ? shape : [shape[d]]) : [0]), tensorOf('int64', counts ? [count] : [0])];
}

/**
 * Runs of equal elements (or slices along `dim`): a run starts where an element differs from the one
 * before. The values are the run starts (Compress), the inverse the running count of starts, the
 * counts the distances between starts.
 */
function lowerUniqueConsecutive(ctx: LowerContext, a: BoundArgs): string[] {
  const self = a.tensor('self');
  const b = ctx.b;
  const dim = consecutiveDim(a);
  const rank = rankOf(self);
  const flat = dim === undefined;
  const dtype = tensorType(self).dtype;
  const compute = uniqueDtype(dtype);
  const input = castTo(ctx, ctx.input(self), dtype, compute);
  const x = flat ? reshape(ctx, input, b.int64s([-1])) : input;
  const d = dim ?? 0;
  const later = slice(ctx, x, [{ axis: d, start: 1, end: INT64_MAX, step: 1 }]);
  const earlier = slice(ctx, x, [{ axis: d, start: 0, end: -1, step: 1 }]);
  let changed = b.op1('Not', [b.op1('Equal', [later, earlier])]);
  const others = flat ? [] : Array.from({ length: rank }, (_, i) => i).filter((i) => i !== d);
  if (others.length) changed = castTo(ctx, reduce(ctx, 'ReduceMax', castTo(ctx, changed, 'bool', 'int32'), others, false), 'int32', 'bool');
  const starts = b.op1('Concat', [b.constant('bool', [1], [true]), changed], { axis: 0 });
  const outputs = [castTo(ctx, b.op1('Compress', [x, starts], { axis: d }), compute, dtype)];
  const runIndex = b.op1('Sub', [b.op1('CumSum', [castTo(ctx, starts, 'bool', 'int64'), b.scalar('int64', 0)]), b.int64s([1])]);
  outputs.push(a.bool('return_inverse') ? (flat ? reshape(ctx, runIndex, shapeOfValue(ctx, self)) : runIndex) : emptyIndices(ctx));
  if (a.bool('return_counts')) {
    const startAt = reshape(ctx, b.op1('NonZero', [starts]), b.int64s([-1]));
    const n = b.op1('Gather', [b.op1('Shape', [x]), b.int64s([d])], { axis: 0 });
    const endAt = b.op1('Concat', [slice(ctx, startAt, [{ axis: 0, start: 1, end: INT64_MAX, step: 1 }]), n], { axis: 0 });
    outputs.push(b.op1('Sub', [endAt, startAt]));
  } else {
    outputs.push(emptyIndices(ctx));
  }
  return outputs;
}

// ---------------------------------------------------------------------------------------------

/** An op whose values are its input's, reshaped: known values pass through. */
function viewLike(schemas: string[], infer: (a: BoundArgs) => ValueType[], lower: Lowering, opset = 7): OpDef {
  return { schemas, infer, evaluate: sameValues(infer), lower: { [opset]: lower } };
}

const sameType = (a: BoundArgs): ValueType[] => [a.tensor('self').type];

const TO_SCHEMAS = [
  'aten::to.dtype(Tensor(a) self, ScalarType dtype, bool non_blocking=False, bool copy=False, MemoryFormat? memory_format=None) -> Tensor(a)',
  'aten::to.device(Tensor(a) self, Device device, ScalarType dtype, bool non_blocking=False, bool copy=False, MemoryFormat? memory_format=None) -> Tensor(a)',
  'aten::to.other(Tensor(a) self, Tensor other, bool non_blocking=False, bool copy=False, MemoryFormat? memory_format=None) -> Tensor(a)',
  'aten::to.dtype_layout(Tensor(a) self, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None, bool non_blocking=False, bool copy=False, MemoryFormat? memory_format=None) -> Tensor(a)',
  'aten::to.prim_Device(Tensor(a) self, Device? device, int? dtype=None, bool non_blocking=False, bool copy=False) -> Tensor(b|a)',
  'aten::to.prim_dtype(Tensor(a) self, int? dtype=None, bool non_blocking=False, bool copy=False) -> Tensor(b|a)',
  'aten::to.prim_other(Tensor(a) self, bool non_blocking=False, bool copy=False) -> Tensor(b|a)',
];

// Where a definition lists an `int` and a `SymInt` form of one schema, the second is how torch 2.x prints it.
/** as_strided's sizes, strides and offset, which must be known now to place every element. */
function stridedArgs(a: BoundArgs): { size: number[]; stride: number[]; offset: number } {
  const op = 'aten::as_strided';
  const size = staticInts(intListArg(a, 'size'));
  const stride = staticInts(intListArg(a, 'stride'));
  const given = optIntArg(a, 'storage_offset') ?? 0;
  if (!size || !stride || typeof given !== 'number') fail('TRACE_UNSUPPORTED', `${op}: sizes, strides and offset known only at run time are not supported`);
  if (size.length !== stride.length) fail('TRACE_TYPE', `${op}: ${size.length} sizes but ${stride.length} strides`);
  const self = a.tensor('self');
  const elements = numel(shapeOf(self));
  if (elements === undefined) fail('TRACE_UNSUPPORTED', `${op}: the storage of a tensor with run-time sizes is not known`);
  if ([...size, ...stride, given].some((n) => n < 0)) fail('UNSAFE_OP', `${op}: negative size, stride or offset`);
  const last = size.some((n) => n === 0) ? -1 : size.reduce((end, n, i) => end + (n - 1) * stride[i], given);
  if (last >= elements) fail('UNSAFE_OP', `${op} reads element ${last} of a storage of ${elements}; tsonnx refuses reads outside a tensor's storage`);
  return { size, stride, offset: given };
}

/**
 * as_strided on a tensor that is its storage, contiguous from element 0: the interpreter hands the op
 * the value behind its input's storage and an absolute offset (src/trace/storage-layout.ts). A Gather
 * of the flat elements at indices computed now.
 */
const asStrided: OpDef = {
  schemas: ['aten::as_strided(Tensor(a) self, SymInt[] size, SymInt[] stride, SymInt? storage_offset=None) -> Tensor(a)'],
  infer: (a) => [tensorOf(a.tensor('self').tensor.dtype, stridedArgs(a).size)],
  lower: {
    9: (ctx, a) => {
      const { size, stride, offset } = stridedArgs(a);
      const count = size.reduce((p, n) => p * n, 1);
      requireConstantSize(count);
      const indices: number[] = [];
      const walk = (d: number, at: number) => {
        if (d === size.length) indices.push(at);
        else for (let i = 0; i < size[d]; i++) walk(d + 1, at + i * stride[d]);
      };
      walk(0, offset);
      const flat = ctx.b.op1('Reshape', [ctx.input(a.tensor('self')), ctx.b.int64s([-1])]);
      return [ctx.b.op1('Gather', [flat, ctx.b.constant('int64', size, indices)], { axis: 0 })];
    },
  },
};

export const shapeOps: readonly OpDef[] = [
  asStrided,
  viewLike(['aten::view(Tensor(a) self, SymInt[] size) -> Tensor(a)'], inferView, lowerReshape('size', inferView), 5),
  viewLike(['aten::reshape(Tensor(a) self, SymInt[] shape) -> Tensor(a)'], inferReshapeShape, lowerReshape('shape', inferReshapeShape), 5),
  viewLike(['aten::_reshape_from_tensor(Tensor self, Tensor shape) -> Tensor'], inferReshapeFromTensor, lowerReshapeFromTensor, 5),
  viewLike(['aten::flatten.using_ints(Tensor(a) self, int start_dim=0, int end_dim=-1) -> Tensor(a)'], inferFlatten, lowerFlatten),
  viewLike(
    [
      'aten::unflatten.int(Tensor(a) self, int dim, int[] sizes) -> Tensor(a)',
      'aten::unflatten.int(Tensor(a) self, int dim, SymInt[] sizes) -> Tensor(a)',
    ],
    inferUnflatten,
    lowerUnflatten,
  ),
  viewLike(['aten::view_as(Tensor(a) self, Tensor other) -> Tensor(a)'], inferAs, lowerReshapeAs, 5),
  viewLike(['aten::reshape_as(Tensor(a) self, Tensor other) -> Tensor(a)'], inferAs, lowerReshapeAs, 5),
  transposeOp(['aten::transpose.int(Tensor(a) self, int dim0, int dim1) -> Tensor(a)'], (a) => swapPerm(a, 'dim0', 'dim1')),
  transposeOp(['aten::swapaxes(Tensor(a) self, int axis0, int axis1) -> Tensor(a)'], (a) => swapPerm(a, 'axis0', 'axis1')),
  transposeOp(['aten::swapdims(Tensor(a) self, int dim0, int dim1) -> Tensor(a)'], (a) => swapPerm(a, 'dim0', 'dim1')),
  transposeOp(['aten::permute(Tensor(a) self, int[] dims) -> Tensor(a)'], permutePerm),
  transposeOp(
    [
      'aten::movedim.int(Tensor(a) self, int source, int destination) -> Tensor(a)',
      'aten::movedim.intlist(Tensor(a) self, int[] source, int[] destination) -> Tensor(a)',
    ],
    movedimPerm,
  ),
  transposeOp(
    [
      'aten::moveaxis.int(Tensor(a) self, int source, int destination) -> Tensor(a)',
      'aten::moveaxis.intlist(Tensor(a) self, int[] source, int[] destination) -> Tensor(a)',
    ],
    movedimPerm,
  ),
  viewLike(['aten::contiguous(Tensor(a) self, *, MemoryFormat memory_format=0) -> Tensor(a)'], sameType, identity, 1),
  viewLike(['aten::clone(Tensor self, *, MemoryFormat? memory_format=None) -> Tensor'], sameType, identity, 1),
  viewLike(['aten::detach(Tensor(a) self) -> Tensor(a)'], sameType, identity, 1),
  viewLike(
    [
      'aten::squeeze(Tensor(a) self) -> Tensor(a)',
      'aten::squeeze.dim(Tensor(a) self, int dim) -> Tensor(a)',
      'aten::squeeze.dims(Tensor(a) self, int[] dim) -> Tensor(a)',
    ],
    inferSqueeze,
    (ctx, a) => [squeeze(ctx, ctx.input(a.tensor('self')), squeezeAxes(a))],
  ),
  viewLike(['aten::unsqueeze(Tensor(a) self, int dim) -> Tensor(a)'], inferUnsqueeze, (ctx, a) => {
    const self = a.tensor('self');
    return [unsqueeze(ctx, ctx.input(self), [axis(a.int('dim'), rankOf(self) + 1)])];
  }),
  { schemas: ['aten::expand(Tensor(a) self, SymInt[] size, *, bool implicit=False) -> Tensor(a)'], infer: inferExpand, lower: { 8: lowerExpand } },
  { schemas: ['aten::expand_as(Tensor(a) self, Tensor other) -> Tensor(a)'], infer: inferAs, lower: { 8: lowerExpandAs } },
  { schemas: ['aten::repeat(Tensor self, SymInt[] repeats) -> Tensor'], infer: inferRepeat, lower: { 7: lowerRepeat } },
  {
    schemas: ['aten::tile(Tensor self, int[] dims) -> Tensor', 'aten::tile(Tensor self, SymInt[] dims) -> Tensor'],
    infer: inferRepeat,
    lower: { 7: lowerRepeat },
  },
  { schemas: ['aten::cat(Tensor[] tensors, int dim=0) -> Tensor'], infer: inferCat, evaluate: evaluateCat, lower: { 7: lowerCat } },
  { schemas: ['aten::concat(Tensor[] tensors, int dim=0) -> Tensor'], infer: inferCat, evaluate: evaluateCat, lower: { 7: lowerCat } },
  { schemas: ['aten::concatenate(Tensor[] tensors, int dim=0) -> Tensor'], infer: inferCat, evaluate: evaluateCat, lower: { 7: lowerCat } },
  { schemas: ['aten::stack(Tensor[] tensors, int dim=0) -> Tensor'], infer: inferStack, evaluate: evaluateStack, lower: { 7: lowerStack } },
  { schemas: ['aten::chunk(Tensor(a -> *) self, int chunks, int dim=0) -> Tensor(a)[]'], infer: inferPieces, lower: { 7: lowerPieces } },
  {
    schemas: [
      'aten::split.Tensor(Tensor(a -> *) self, int split_size, int dim=0) -> Tensor(a)[]',
      'aten::split.Tensor(Tensor(a -> *) self, SymInt split_size, int dim=0) -> Tensor(a)[]',
      'aten::split.sizes(Tensor(a -> *) self, int[] split_size, int dim=0) -> Tensor(a)[]',
      'aten::split.sizes(Tensor(a -> *) self, SymInt[] split_size, int dim=0) -> Tensor(a)[]',
      'aten::split(Tensor(a -> *) self, int[] split_sizes, int dim=0) -> Tensor(a)[]',
    ],
    infer: inferPieces,
    lower: { 7: lowerPieces },
  },
  {
    schemas: [
      'aten::split_with_sizes(Tensor(a -> *) self, int[] split_sizes, int dim=0) -> Tensor(a)[]',
      'aten::split_with_sizes(Tensor(a -> *) self, SymInt[] split_sizes, int dim=0) -> Tensor(a)[]',
    ],
    infer: inferPieces,
    lower: { 7: lowerPieces },
  },
  // The unsafe_ forms only differ in PyTorch's autograd aliasing; traced LSTM/GRU cells record them.
  { schemas: ['aten::unsafe_chunk(Tensor self, int chunks, int dim=0) -> Tensor[]'], infer: inferPieces, lower: { 7: lowerPieces } },
  {
    schemas: [
      'aten::unsafe_split.Tensor(Tensor self, int split_size, int dim=0) -> Tensor[]',
      'aten::unsafe_split.Tensor(Tensor self, SymInt split_size, int dim=0) -> Tensor[]',
    ],
    infer: inferPieces,
    lower: { 7: lowerPieces },
  },
  {
    schemas: [
      'aten::unsafe_split_with_sizes(Tensor self, int[] split_sizes, int dim=0) -> Tensor[]',
      'aten::unsafe_split_with_sizes(Tensor self, SymInt[] split_sizes, int dim=0) -> Tensor[]',
    ],
    infer: inferPieces,
    lower: { 7: lowerPieces },
  },
  { schemas: ['aten::unbind.int(Tensor(a -> *) self, int dim=0) -> Tensor(a)[]'], infer: inferUnbind, lower: { 7: lowerUnbind } },
  {
    schemas: ['aten::slice.Tensor(Tensor(a) self, int dim=0, SymInt? start=None, SymInt? end=None, SymInt step=1) -> Tensor(a)'],
    infer: inferSlice,
    evaluate: evaluateSlice,
    lower: { 7: lowerSlice },
  },
  {
    schemas: [
      'aten::narrow(Tensor(a) self, int dim, int start, int length) -> Tensor(a)',
      'aten::narrow(Tensor(a) self, int dim, SymInt start, SymInt length) -> Tensor(a)',
      'aten::narrow.Tensor(Tensor(a) self, int dim, Tensor start, int length) -> Tensor(a)',
      'aten::narrow.Tensor(Tensor(a) self, int dim, Tensor start, SymInt length) -> Tensor(a)',
    ],
    infer: inferNarrow,
    lower: { 7: lowerNarrow },
  },
  {
    schemas: [
      'aten::select.int(Tensor(a) self, int dim, int index) -> Tensor(a)',
      'aten::select.int(Tensor(a) self, int dim, SymInt index) -> Tensor(a)',
    ],
    infer: inferSelect,
    evaluate: evaluateSelect,
    lower: { 7: lowerSelect },
  },
  { schemas: ['aten::flip(Tensor self, int[] dims) -> Tensor'], infer: sameType, lower: { 10: lowerFlip } },
  {
    schemas: [
      'aten::roll(Tensor self, int[1] shifts, int[1] dims=[]) -> Tensor',
      'aten::roll(Tensor self, SymInt[1] shifts, int[1] dims=[]) -> Tensor',
    ],
    infer: sameType,
    lower: { 7: lowerRoll },
  },
  { schemas: TO_SCHEMAS, infer: inferTo, evaluate: evaluateTo, lower: { 7: lowerTo } },
  { schemas: ['aten::type_as(Tensor self, Tensor other) -> Tensor'], infer: inferTo, evaluate: evaluateTo, lower: { 7: lowerTo } },
  { schemas: ['aten::pixel_shuffle(Tensor self, int upscale_factor) -> Tensor'], infer: inferPixelShuffle, lower: { 7: lowerPixelShuffle } },
  {
    schemas: ['aten::pixel_unshuffle(Tensor self, int downscale_factor) -> Tensor'],
    infer: inferPixelUnshuffle,
    lower: { 7: lowerPixelUnshuffle },
  },
  {
    schemas: ['aten::channel_shuffle(Tensor self, int groups) -> Tensor', 'aten::channel_shuffle(Tensor self, SymInt groups) -> Tensor'],
    infer: sameType,
    lower: { 7: lowerChannelShuffle },
  },
  viewLike(['aten::alias(Tensor(a) self) -> Tensor(a)'], sameType, identity, 1),
  // Only conjugate and negative views carry these bits; no tensor tsonnx traces is one, so values pass through.
  viewLike(['aten::resolve_conj(Tensor(a) self) -> Tensor(a)'], sameType, identity, 1),
  viewLike(['aten::resolve_neg(Tensor(a) self) -> Tensor(a)'], sameType, identity, 1),
  viewLike(['aten::lift(Tensor self) -> Tensor'], sameType, identity, 1),
  numelDef,
  {
    schemas: ['aten::broadcast_to(Tensor(a) self, int[] size) -> Tensor(a)', 'aten::broadcast_to(Tensor(a) self, SymInt[] size) -> Tensor(a)'],
    infer: inferExpand,
    lower: { 8: lowerExpand },
  },
  { schemas: ['aten::broadcast_tensors(Tensor[] tensors) -> Tensor[]'], infer: inferBroadcastTensors, lower: { 8: lowerBroadcastTensors } },
  {
    schemas: ['aten::meshgrid(Tensor[] tensors) -> Tensor[]', 'aten::meshgrid.indexing(Tensor[] tensors, *, str indexing) -> Tensor[]'],
    infer: inferMeshgrid,
    lower: { 8: lowerMeshgrid },
  },
  atleastDef(1),
  atleastDef(2),
  atleastDef(3),
  stackDef('hstack'),
  stackDef('vstack'),
  stackDef('dstack'),
  stackDef('column_stack'),
  { schemas: ['aten::rot90(Tensor self, int k=1, int[] dims=[0, 1]) -> Tensor'], infer: inferRot90, lower: { 10: lowerRot90 } },
  { schemas: ['aten::unfold(Tensor(a) self, int dimension, int size, int step) -> Tensor(a)'], infer: inferUnfold, lower: { 7: lowerUnfold } },
  {
    schemas: [
      'aten::repeat_interleave.Tensor(Tensor repeats, *, int? output_size=None) -> Tensor',
      'aten::repeat_interleave.Tensor(Tensor repeats, *, SymInt? output_size=None) -> Tensor',
      'aten::repeat_interleave.self_Tensor(Tensor self, Tensor repeats, int? dim=None, *, int? output_size=None) -> Tensor',
      'aten::repeat_interleave.self_Tensor(Tensor self, Tensor repeats, int? dim=None, *, SymInt? output_size=None) -> Tensor',
      'aten::repeat_interleave.self_int(Tensor self, int repeats, int? dim=None, *, int? output_size=None) -> Tensor',
      'aten::repeat_interleave.self_int(Tensor self, SymInt repeats, int? dim=None, *, SymInt? output_size=None) -> Tensor',
    ],
    infer: inferRepeatInterleave,
    lower: { 7: lowerRepeatInterleave },
  },
  {
    schemas: [
      'aten::tensor_split.sections(Tensor(a -> *) self, int sections, int dim=0) -> Tensor(a)[]',
      'aten::tensor_split.sections(Tensor(a -> *) self, SymInt sections, int dim=0) -> Tensor(a)[]',
      'aten::tensor_split.indices(Tensor(a -> *) self, int[] indices, int dim=0) -> Tensor(a)[]',
      'aten::tensor_split.indices(Tensor(a -> *) self, SymInt[] indices, int dim=0) -> Tensor(a)[]',
      'aten::tensor_split.tensor_indices_or_sections(Tensor(a -> *) self, Tensor tensor_indices_or_sections, int dim=0) -> Tensor(a)[]',
    ],
    infer: inferTensorSplit,
    lower: { 7: lowerTensorSplit },
  },
  { schemas: ['aten::nonzero_numpy(Tensor self) -> Tensor[]'], infer: inferNonzeroNumpy, lower: { 9: lowerNonzeroNumpy } },
  {
    schemas: ['aten::_unique(Tensor self, bool sorted=True, bool return_inverse=False) -> (Tensor, Tensor)'],
    infer: inferUnique2,
    lower: { 9: lowerUniqueBySorting, 11: lowerUnique2 },
  },
  {
    schemas: ['aten::_unique2(Tensor self, bool sorted=True, bool return_inverse=False, bool return_counts=False) -> (Tensor, Tensor, Tensor)'],
    infer: inferUnique2,
    lower: { 9: lowerUniqueBySorting, 11: lowerUnique2 },
  },
  {
    schemas: ['aten::unique_dim(Tensor self, int dim, bool sorted=True, bool return_inverse=False, bool return_counts=False) -> (Tensor, Tensor, Tensor)'],
    infer: inferUniqueDim,
    lower: { 11: lowerUniqueDim },
  },
  {
    schemas: ['aten::unique_consecutive(Tensor self, bool return_inverse=False, bool return_counts=False, int? dim=None) -> (Tensor, Tensor, Tensor)'],
    infer: inferUniqueConsecutive,
    lower: { 11: lowerUniqueConsecutive },
  },
];
