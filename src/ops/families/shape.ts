/**
 * Shape and layout ops: views and reshapes, joins and splits, slicing, dtype casts, pixel shuffles.
 */
import type { DType } from '../../archive/types.js';
import { fail } from '../../errors.js';
import { type Dim, GValue, type KnownTensor, type TensorType, type ValueType } from '../../ir/torch-graph.js';
import { type BoundArgs, type IntArg, intArg, intAsVector, intListArg, optIntArg, shapeOfValue, shapeTensor, sizeDim, staticInts } from '../args.js';
import { convertValues, dtypeFromScalarType, promoteTypes } from '../dtypes.js';
import { axis, castTo, knownDifferent, numel, onnxDtypeOf, rankOf, shapeOf, tensorOf } from '../helpers.js';
import { reshape, slice, split, squeeze, transpose, unsqueeze } from '../opset.js';
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
  return reshape(ctx, ctx.input(self), shapeTensor(ctx, target), !zeroCopies && target.includes(0));
}

const inferView = inferReshape('size');
const inferReshapeShape = inferReshape('shape');

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
  return [reshapeAround(ctx, self, start, [-1], end + 1)];
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
function catInputs(a: BoundArgs): GValue[] {
  const tensors = a.tensors('tensors');
  if (tensors.length === 0) fail('TRACE_TYPE', `${a.schema.name}: expected a non-empty list of tensors`);
  const kept = tensors.filter((t) => !(shapeOf(t).length === 1 && shapeOf(t)[0] === 0));
  return kept.length ? kept : [tensors[0]];
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

function inferCat(a: BoundArgs): TensorType[] {
  const tensors = catInputs(a);
  const rank = rankOf(tensors[0]);
  if (rank === 0) fail('TRACE_TYPE', `${a.schema.name}: zero-dimensional tensors cannot be concatenated`);
  const d = axis(a.int('dim'), rank);
  checkCatShapes(a.schema.name, tensors, d);
  const parts = tensors.map((t) => shapeOf(t)[d]);
  const sum = numel(parts) === undefined ? undefined : (parts as number[]).reduce((x, y) => x + y, 0);
  const total = parts.length === 1 ? parts[0] : (sum ?? a.freshDim('cat'));
  const out = Array.from({ length: rank }, (_, i) => (i === d ? total : joinedDim(tensors, i)));
  return [tensorOf(joinedDtype(tensors), out)];
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

function pieceSizes(a: BoundArgs): { d: number; sizes: number[] } {
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
    const sizes = a.ints(name);
    const size = shapeOf(self)[d];
    const sum = sizes.reduce((x, y) => x + y, 0);
    if (typeof size === 'number' && sum !== size) {
      fail('TRACE_TYPE', `${op}: sizes [${sizes.join(', ')}] do not add up to dimension ${d} of size ${size}`);
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
  return sizes.map((s) => tensorOf(tensorType(self).dtype, shapeOf(self).map((x, i) => (i === d ? s : x))));
}

function lowerPieces(ctx: LowerContext, a: BoundArgs): string[] {
  const { d, sizes } = pieceSizes(a);
  return split(ctx, ctx.input(a.tensor('self')), d, sizes);
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
export const shapeOps: readonly OpDef[] = [
  viewLike(['aten::view(Tensor(a) self, SymInt[] size) -> Tensor(a)'], inferView, lowerReshape('size', inferView), 5),
  viewLike(['aten::reshape(Tensor(a) self, SymInt[] shape) -> Tensor(a)'], inferReshapeShape, lowerReshape('shape', inferReshapeShape), 5),
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
];
