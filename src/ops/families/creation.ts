/**
 * Tensor factories: zeros/ones/full/empty and their `_like`/`new_` forms, arange, linspace, eye,
 * `torch.tensor` literals, scalar_tensor, and the random factories.
 */
import { type DType, PyFloat } from '../../archive/types.js';
import { fail } from '../../errors.js';
import { ONNX_DTYPE, type OnnxTensor } from '../../ir/onnx-graph.js';
import { type Arg, type Dim, GValue, type KnownTensor, type TensorType } from '../../ir/torch-graph.js';
import { type BoundArgs, type IntArg, intArg, intListArg, shapeOfValue, shapeTensor, sizeDim } from '../args.js';
import { MAX_CONSTANT_ELEMENTS, requireConstantSize } from '../builder.js';
import { convertValues, dtypeFromScalarType, isFloating } from '../dtypes.js';
import { axis, broadcastShapes, castTo, numel, onnxDtypeOf, rankOf, shapeOf, tensorOf } from '../helpers.js';
import { slice, squeeze, unsqueeze } from '../opset.js';
import type { LowerContext, OpDef } from '../registry.js';
import { encodeValues } from '../tensor-bytes.js';

/** Results up to this many elements get known values, so the interpreter can fold shape arithmetic. */
const MAX_KNOWN_ELEMENTS = 64;

/** The `dtype=` argument (a ScalarType code), or the fallback when it is None or absent. */
function dtypeArg(a: BoundArgs, fallback: DType): DType {
  if (!a.values.has('dtype') || a.isNone('dtype')) return fallback;
  const code = a.int('dtype');
  const dtype = dtypeFromScalarType(code);
  if (!dtype) fail('OP_UNSUPPORTED', `${a.schema.name}: dtype ${code} is not supported`);
  return dtype;
}

type Scalar = number | PyFloat | boolean | GValue;

/** torch's dtype for a Python number with no dtype given: bool, int64, or the default float32. */
function scalarDtype(s: Scalar): DType {
  if (typeof s === 'boolean') return 'bool';
  if (s instanceof PyFloat) return 'float32';
  if (typeof s === 'number') return 'int64';
  const t = s.type;
  if (t.kind === 'scalar') return t.scalar === 'int' ? 'int64' : t.scalar === 'float' ? 'float32' : 'bool';
  if (t.kind === 'tensor') return isFloating(t.dtype) ? 'float32' : t.dtype === 'bool' ? 'bool' : 'int64';
  return fail('TRACE_TYPE', 'a Scalar argument cannot be a list');
}

function numberOf(s: number | PyFloat | boolean): number {
  return s instanceof PyFloat ? s.value : Number(s);
}

function dimsOf(a: BoundArgs, sizes: readonly IntArg[], op: string): Dim[] {
  return sizes.map((s) => sizeDim(a, s, op));
}

function staticShape(shape: readonly Dim[]): number[] | undefined {
  return shape.every((d): d is number => typeof d === 'number') ? [...shape] : undefined;
}

function knownResult(type: TensorType, values: () => number[]): KnownTensor[] | undefined {
  const count = numel(type.shape);
  if (count === undefined || count > MAX_KNOWN_ELEMENTS) return undefined;
  return [{ type, values: convertValues(values(), type.dtype) }];
}

// ---------------------------------------------------------------------------------------------
// zeros / ones / full / empty and their _like / new_ forms

/** How one fill factory reads its arguments. */
interface FillSpec {
  /** The shape comes from `self` (`_like`) instead of a `size` list. */
  like: boolean;
  /** The fill value: a constant, or the name of a Scalar argument. */
  fill: number | 'fill_value';
  /** The dtype when `dtype=None`: from `self` (`_like`, `new_`), else from the fill value. */
  dtypeFromSelf: boolean;
}

function fillScalar(a: BoundArgs, spec: FillSpec): Scalar {
  return spec.fill === 'fill_value' ? a.scalar('fill_value') : spec.fill;
}

function fillType(a: BoundArgs, spec: FillSpec): TensorType {
  const op = a.schema.name.slice(6);
  const fallback = spec.dtypeFromSelf
    ? a.tensor('self').tensor.dtype
    : spec.fill === 'fill_value'
      ? scalarDtype(fillScalar(a, spec))
      : 'float32';
  const shape = spec.like ? shapeOf(a.tensor('self')) : dimsOf(a, intListArg(a, 'size'), op);
  return tensorOf(dtypeArg(a, fallback), shape);
}

/** A tensor of one value: ConstantOfShape from opset 9, a Constant before (static shapes only). */
export function filled(ctx: LowerContext, shape: readonly Dim[], shapeInput: () => string, dtype: DType, fill: Scalar): string {
  if (fill instanceof GValue) {
    if (ctx.opset < 8) fail('OP_OPSET', 'filling with a value known only at run time needs opset 8 or later');
    return ctx.b.op1('Expand', [castTo(ctx, ctx.input(fill), onnxDtypeOf(fill), dtype), shapeInput()]);
  }
  const [value] = convertValues([numberOf(fill)], dtype);
  if (ctx.opset >= 9) {
    const tensor: OnnxTensor = { name: '', dtype, dims: [1], data: { kind: 'bytes', bytes: encodeValues(dtype, [value]) } };
    return ctx.b.op1('ConstantOfShape', [shapeInput()], { value: { t: tensor } });
  }
  const dims = staticShape(shape);
  if (!dims) fail('OP_OPSET', 'creating a tensor of dynamic shape needs opset 9 or later');
  requireConstantSize(numel(dims)!);
  return ctx.b.constant(dtype, dims, Array(numel(dims)!).fill(value));
}

function fillOp(schemas: string[], spec: FillSpec): OpDef {
  return {
    schemas,
    infer: (a) => [fillType(a, spec)],
    evaluate: (a) => {
      const fill = fillScalar(a, spec);
      if (fill instanceof GValue) return undefined;
      const type = fillType(a, spec);
      return knownResult(type, () => Array(numel(type.shape)!).fill(numberOf(fill)));
    },
    lower: {
      7: (ctx, a) => {
        const type = fillType(a, spec);
        const shapeInput = spec.like ? () => shapeOfValue(ctx, a.tensor('self')) : () => shapeTensor(ctx, intListArg(a, 'size'));
        return [filled(ctx, type.shape, shapeInput, type.dtype, fillScalar(a, spec))];
      },
    },
  };
}

const FACTORY_KWARGS = 'ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None';
const LIKE_KWARGS = `${FACTORY_KWARGS}, MemoryFormat? memory_format=None`;
const RANDINT_KWARGS = 'ScalarType? dtype=4, Layout? layout=None, Device? device=None, bool? pin_memory=None';

// ---------------------------------------------------------------------------------------------
// arange

interface Range {
  start: Scalar;
  end: Scalar;
  step: Scalar;
}

function rangeArgs(a: BoundArgs): Range {
  const has = (name: string) => a.values.has(name);
  return {
    start: has('start') ? a.scalar('start') : 0,
    end: a.scalar('end'),
    step: has('step') ? a.scalar('step') : 1,
  };
}

function rangeDtype(a: BoundArgs, r: Range): DType {
  const floating = [r.start, r.end, r.step].some((s) => scalarDtype(s) === 'float32');
  return dtypeArg(a, floating ? 'float32' : 'int64');
}

function knownRange(r: Range): { start: number; step: number; length: number } | undefined {
  if (r.start instanceof GValue || r.end instanceof GValue || r.step instanceof GValue) return undefined;
  const start = numberOf(r.start);
  const step = numberOf(r.step);
  if (step === 0) fail('TRACE_TYPE', 'arange: step must be nonzero');
  return { start, step, length: Math.max(0, Math.ceil((numberOf(r.end) - start) / step)) };
}

function inferArange(a: BoundArgs): TensorType[] {
  const r = rangeArgs(a);
  const known = knownRange(r);
  return [tensorOf(rangeDtype(a, r), [known ? known.length : a.freshDim('arange')])];
}

function rangeValues(known: { start: number; step: number; length: number }): number[] {
  return Array.from({ length: known.length }, (_, i) => known.start + i * known.step);
}

/** Range computes in these dtypes; others compute in int64/float32 and are cast. */
const RANGE_DTYPES = new Set<DType>(['float32', 'float64', 'int16', 'int32', 'int64']);

function lowerArange(ctx: LowerContext, a: BoundArgs): string[] {
  const r = rangeArgs(a);
  const dtype = rangeDtype(a, r);
  const known = knownRange(r);
  // A range too long to be a constant is computed at run time where the opset allows.
  if (known && (known.length <= MAX_CONSTANT_ELEMENTS || ctx.opset < 11)) {
    requireConstantSize(known.length);
    return [ctx.b.constant(dtype, [known.length], convertValues(rangeValues(known), dtype))];
  }
  if (ctx.opset < 11) fail('OP_OPSET', 'arange with bounds known only at run time needs opset 11 or later');
  const compute = RANGE_DTYPES.has(dtype) ? dtype : isFloating(dtype) ? 'float32' : 'int64';
  const bound = (s: Scalar) =>
    s instanceof GValue ? castTo(ctx, ctx.input(s), onnxDtypeOf(s), compute) : ctx.b.scalar(compute, convertValues([numberOf(s)], compute)[0]);
  const range = ctx.b.op1('Range', [bound(r.start), bound(r.end), bound(r.step)]);
  return [castTo(ctx, range, compute, dtype)];
}

// ---------------------------------------------------------------------------------------------
// linspace / eye

/** A bound known now: a number, or a one-element tensor whose value the interpreter knows (2.x overloads). */
function knownBound(a: BoundArgs, name: string): number {
  const s = a.scalar(name);
  if (!(s instanceof GValue)) return numberOf(s);
  const known = a.known(s);
  if (!known || known.values.length !== 1) fail('TRACE_UNSUPPORTED', `${a.schema.name}: ${name} must be known at conversion time`);
  return known.values[0];
}

function linspaceArgs(a: BoundArgs): { start: number; end: number; steps: number } {
  const steps = a.int('steps');
  if (steps < 0) fail('TRACE_TYPE', 'linspace: steps must be non-negative');
  return { start: knownBound(a, 'start'), end: knownBound(a, 'end'), steps };
}

/**
 * torch's linspace kernel: the first half counts up from start, the second half down from end,
 * in the result's precision (one rounding per element, as its fused multiply-add gives).
 */
function linspaceValues(a: BoundArgs, dtype: DType): number[] {
  const args = linspaceArgs(a);
  const round = dtype === 'float32' ? Math.fround : (x: number) => x;
  const start = round(args.start);
  const end = round(args.end);
  const steps = args.steps;
  if (steps === 1) return [start];
  const step = round((end - start) / (steps - 1));
  const half = Math.floor(steps / 2);
  return Array.from({ length: steps }, (_, i) => round(i < half ? start + step * i : end - step * (steps - 1 - i)));
}

function linspaceType(a: BoundArgs): TensorType {
  return tensorOf(dtypeArg(a, 'float32'), [linspaceArgs(a).steps]);
}

function eyeType(a: BoundArgs): TensorType {
  const n = intArg(a, 'n');
  const m = a.values.has('m') ? intArg(a, 'm') : n;
  return tensorOf(dtypeArg(a, 'float32'), dimsOf(a, [n, m], 'eye'));
}

function lowerEye(ctx: LowerContext, a: BoundArgs): string[] {
  const type = eyeType(a);
  const dims = staticShape(type.shape);
  if (ctx.opset < 9) {
    if (!dims) fail('OP_OPSET', 'eye of a size known only at run time needs opset 9 or later');
    return [ctx.b.constant(type.dtype, dims, eyeValues(dims))];
  }
  const n = intArg(a, 'n');
  const sizes = [n, a.values.has('m') ? intArg(a, 'm') : n];
  const zeros = filled(ctx, type.shape, () => shapeTensor(ctx, sizes), type.dtype, 0);
  return [ctx.b.op1('EyeLike', [zeros])];
}

function eyeValues([n, m]: readonly number[]): number[] {
  return Array.from({ length: n * m }, (_, i) => (Math.floor(i / m) === i % m ? 1 : 0));
}

// ---------------------------------------------------------------------------------------------
// torch.tensor / scalar_tensor / _shape_as_tensor

type Element = number | PyFloat | boolean | GValue;

/** The shape and C-order elements of a (nested) `torch.tensor` literal. */
function literal(data: Arg): { shape: number[]; elements: Element[] } {
  if (!Array.isArray(data)) {
    if (typeof data === 'number' || typeof data === 'boolean' || data instanceof PyFloat) return { shape: [], elements: [data] };
    if (data instanceof GValue && (data.type.kind === 'scalar' || (data.type.kind === 'tensor' && data.type.shape.length === 0))) {
      return { shape: [], elements: [data] };
    }
    return fail('TRACE_TYPE', 'tensor: data must be numbers or nested lists of numbers');
  }
  if (data.length === 0) return { shape: [0], elements: [] };
  const parts = data.map(literal);
  const inner = parts[0].shape;
  if (parts.some((p) => p.shape.length !== inner.length || p.shape.some((d, i) => d !== inner[i]))) {
    fail('TRACE_TYPE', 'tensor: nested lists must have equal lengths');
  }
  return { shape: [data.length, ...inner], elements: parts.flatMap((p) => p.elements) };
}

function literalDtype(a: BoundArgs, elements: readonly Element[]): DType {
  const byOverload: Record<string, DType> = { float: 'float32', int: 'int64', bool: 'bool' };
  const overload = byOverload[a.schema.overload];
  if (overload) return dtypeArg(a, overload);
  const kinds = new Set(elements.map(scalarDtype));
  const inferred = kinds.has('float32') ? 'float32' : kinds.has('int64') ? 'int64' : kinds.has('bool') ? 'bool' : 'float32';
  return dtypeArg(a, inferred);
}

function tensorLiteral(a: BoundArgs): { type: TensorType; elements: Element[] } {
  const { shape, elements } = literal(a.raw(a.values.has('data') ? 'data' : 't'));
  return { type: tensorOf(literalDtype(a, elements), shape), elements };
}

function lowerTensor(ctx: LowerContext, a: BoundArgs): string[] {
  const { type, elements } = tensorLiteral(a);
  const dtype = type.dtype;
  if (elements.every((e) => !(e instanceof GValue))) {
    return [ctx.b.constant(dtype, type.shape as number[], convertValues(elements.map((e) => numberOf(e as number)), dtype))];
  }
  // Run-time elements: one 1-element piece each, joined and shaped.
  const pieces: string[] = [];
  let run: number[] = [];
  const flush = () => {
    if (run.length) pieces.push(ctx.b.constant(dtype, [run.length], convertValues(run, dtype)));
    run = [];
  };
  for (const e of elements) {
    if (!(e instanceof GValue)) {
      run.push(numberOf(e));
      continue;
    }
    flush();
    pieces.push(unsqueeze(ctx, castTo(ctx, ctx.input(e), onnxDtypeOf(e), dtype), [0]));
  }
  flush();
  const flat = pieces.length === 1 ? pieces[0] : ctx.b.op1('Concat', pieces, { axis: 0 });
  return [type.shape.length === 1 ? flat : ctx.b.op1('Reshape', [flat, ctx.b.int64s(type.shape as number[])])];
}

function lowerScalarTensor(ctx: LowerContext, a: BoundArgs): string[] {
  const s = a.scalar('s');
  const dtype = dtypeArg(a, 'float32');
  if (s instanceof GValue) return [castTo(ctx, ctx.input(s), onnxDtypeOf(s), dtype)];
  return [ctx.b.scalar(dtype, convertValues([numberOf(s)], dtype)[0])];
}

// ---------------------------------------------------------------------------------------------
// Random factories: not reproducible, like torch without a seed

function randomType(a: BoundArgs, fallback: DType): TensorType {
  const op = a.schema.name.slice(6);
  if (a.values.has('self')) return tensorOf(dtypeArg(a, a.tensor('self').tensor.dtype), shapeOf(a.tensor('self')));
  return tensorOf(dtypeArg(a, fallback), dimsOf(a, intListArg(a, 'size'), op));
}

/** A float tensor of random values, shaped by `size` or like `self`. */
function random(ctx: LowerContext, a: BoundArgs, kind: 'Uniform' | 'Normal', attrs: Record<string, { f: number }>, dtype: DType): string {
  const shape = randomType(a, dtype).shape;
  const onnxDtype = ONNX_DTYPE[dtype];
  if (a.values.has('self')) return ctx.b.op1(`Random${kind}Like`, [ctx.input(a.tensor('self'))], { ...attrs, dtype: onnxDtype });
  const dims = staticShape(shape);
  if (dims) return ctx.b.op1(`Random${kind}`, [], { ...attrs, shape: dims, dtype: onnxDtype });
  if (ctx.opset < 9) fail('OP_OPSET', 'random tensors of a size known only at run time need opset 9 or later');
  const zeros = filled(ctx, shape, () => shapeTensor(ctx, intListArg(a, 'size')), dtype, 0);
  return ctx.b.op1(`Random${kind}Like`, [zeros], { ...attrs, dtype: onnxDtype });
}

function floatDtype(a: BoundArgs, op: string): DType {
  const dtype = randomType(a, 'float32').dtype;
  if (!isFloating(dtype) || dtype === 'bfloat16') fail('OP_UNSUPPORTED', `${op}: dtype ${dtype} is not supported`);
  return dtype;
}

function lowerRandint(ctx: LowerContext, a: BoundArgs): string[] {
  const type = randomType(a, 'int64');
  const low = a.values.has('low') ? a.int('low') : 0;
  const high = a.int('high');
  if (high <= low) fail('TRACE_TYPE', `randint: high (${high}) must be greater than low (${low})`);
  const uniform = random(ctx, a, 'Uniform', { low: { f: low }, high: { f: high } }, 'float32');
  return [castTo(ctx, ctx.b.op1('Floor', [uniform]), 'float32', type.dtype)];
}

/** TopK's k: an attribute before opset 10, an input from 10. Returns [values, indices]. */
function topK(ctx: LowerContext, x: string, k: number, axis: number): string[] {
  if (ctx.opset >= 10) return ctx.b.op('TopK', [x, ctx.b.int64s([k])], { axis }, 2);
  return ctx.b.op('TopK', [x], { axis, k }, 2);
}

function noGenerator(a: BoundArgs): void {
  if (a.values.has('generator') && !a.isNone('generator')) fail('OP_UNSUPPORTED', `${a.schema.name}: a generator cannot be exported`);
}

/** Random draws are made in float64 for float64 values, else in float32 (onnxruntime's random ops make no float16). */
function drawDtype(dtype: DType): DType {
  return dtype === 'float64' ? 'float64' : 'float32';
}

/** bernoulli: 1 where a uniform draw is below the probability (self, `p`, or the `p` tensor), in self's dtype. */
function lowerBernoulli(ctx: LowerContext, a: BoundArgs): string[] {
  noGenerator(a);
  const self = a.tensor('self');
  const out = self.tensor.dtype;
  const b = ctx.b;
  const probabilities = a.schema.overload === 'p' ? undefined : a.schema.overload === 'Tensor' ? a.tensor('p') : self;
  const compute = drawDtype(probabilities ? probabilities.tensor.dtype : 'float32');
  const uniform = b.op1('RandomUniformLike', [ctx.input(self)], { high: { f: 1 }, low: { f: 0 }, dtype: ONNX_DTYPE[compute] });
  const p = probabilities
    ? castTo(ctx, ctx.input(probabilities), onnxDtypeOf(probabilities), compute)
    : b.scalar(compute, a.float('p'));
  return [castTo(ctx, b.op1('Less', [uniform, p]), 'bool', out)];
}

function inferMultinomial(a: BoundArgs): TensorType {
  const op = a.schema.name;
  const self = a.tensor('self');
  const shape = shapeOf(self);
  if (shape.length !== 1 && shape.length !== 2) fail('TRACE_TYPE', `${op}: prob_dist must be 1 or 2 dim`);
  if (!isFloating(self.tensor.dtype)) fail('TRACE_TYPE', `${op}: prob_dist must be a floating point tensor, got ${self.tensor.dtype}`);
  const samples = a.int('num_samples');
  if (samples <= 0) fail('TRACE_TYPE', `${op}: cannot sample n_sample <= 0 samples`);
  const categories = shape[shape.length - 1];
  if (!a.bool('replacement') && typeof categories === 'number' && samples > categories) {
    fail('TRACE_TYPE', `${op}: cannot sample n_sample > prob_dist.size(-1) samples without replacement`);
  }
  return tensorOf('int64', [...shape.slice(0, -1), samples]);
}

/**
 * multinomial: with replacement ONNX Multinomial of the log-probabilities; without, the Gumbel
 * top-k trick (the k largest of log p + Gumbel noise are a draw without replacement).
 */
function lowerMultinomial(ctx: LowerContext, a: BoundArgs): string[] {
  noGenerator(a);
  const b = ctx.b;
  const self = a.tensor('self');
  const dtype = drawDtype(self.tensor.dtype);
  const samples = a.int('num_samples');
  const vector = rankOf(self) === 1;
  let logits = b.op1('Log', [castTo(ctx, ctx.input(self), self.tensor.dtype, dtype)]);
  if (vector) logits = unsqueeze(ctx, logits, [0]);
  let indices: string;
  if (a.bool('replacement')) {
    indices = b.op1('Multinomial', [logits], { dtype: ONNX_DTYPE.int64, sample_size: samples });
  } else {
    const uniform = b.op1('RandomUniformLike', [logits], { high: { f: 1 }, low: { f: 0 }, dtype: ONNX_DTYPE[dtype] });
    const gumbel = b.op1('Neg', [b.op1('Log', [b.op1('Neg', [b.op1('Log', [uniform])])])]);
    indices = topK(ctx, b.op1('Add', [logits, gumbel]), samples, 1)[1];
  }
  return [vector ? squeeze(ctx, indices, [0]) : indices];
}

/** normal(mean, std): standard normal draws shaped like the broadcast of the tensor arguments, scaled and shifted. */
function lowerNormal(ctx: LowerContext, a: BoundArgs): string[] {
  noGenerator(a);
  const b = ctx.b;
  if (a.schema.overload === 'float_float') {
    const dtype = floatDtype(a, 'normal');
    return [random(ctx, a, 'Normal', { mean: { f: a.float('mean') }, scale: { f: a.float('std') } }, dtype)];
  }
  const out = onnxDtypeOf(ctx.node.outputs[0]);
  const compute = drawDtype(out);
  const mean = operandOf(ctx, a, 'mean', compute);
  const std = operandOf(ctx, a, 'std', compute);
  const template = a.schema.overload === 'Tensor_Tensor' ? b.op1('Add', [mean, std]) : a.schema.overload === 'Tensor_float' ? mean : std;
  const noise = b.op1('RandomNormalLike', [template], { mean: { f: 0 }, scale: { f: 1 }, dtype: ONNX_DTYPE[compute] });
  return [castTo(ctx, b.op1('Add', [b.op1('Mul', [noise, std]), mean]), compute, out)];
}

function operandOf(ctx: LowerContext, a: BoundArgs, name: string, dtype: DType): string {
  const v = a.raw(name);
  if (v instanceof GValue) return castTo(ctx, ctx.input(v), onnxDtypeOf(v), dtype);
  return ctx.b.scalar(dtype, a.float(name));
}

function inferNormal(a: BoundArgs): TensorType {
  if (a.schema.overload === 'float_float') {
    if (a.float('std') < 0) fail('TRACE_TYPE', `normal expects std >= 0.0, but found std ${a.float('std')}`);
    return randomType(a, 'float32');
  }
  const tensors = ['mean', 'std'].map((n) => a.raw(n)).filter((v): v is GValue => v instanceof GValue);
  const dtype = tensors[0].tensor.dtype;
  if (!isFloating(dtype)) fail('TRACE_TYPE', `normal expects floating point mean and std, got ${dtype}`);
  if (tensors.length === 2) return tensorOf(dtype, broadcastShapes(shapeOf(tensors[0]), shapeOf(tensors[1])));
  if (a.schema.overload === 'Tensor_float' && a.float('std') < 0) fail('TRACE_TYPE', `normal expects std >= 0.0, but found std ${a.float('std')}`);
  return tensorOf(dtype, shapeOf(tensors[0]));
}

/** randperm: the order of n uniform draws (TopK of all of them) is a uniformly random permutation. */
function lowerRandperm(ctx: LowerContext, a: BoundArgs): string[] {
  noGenerator(a);
  const n = a.int('n');
  const dtype = dtypeArg(a, 'int64');
  if (n === 0) return [ctx.b.constant(dtype, [0], [])];
  const draws = ctx.b.op1('RandomUniform', [], { high: { f: 1 }, low: { f: 0 }, dtype: ONNX_DTYPE.float32, shape: [n] });
  return [castTo(ctx, topK(ctx, draws, n, 0)[1], 'int64', dtype)];
}

function inferRandperm(a: BoundArgs): TensorType {
  const n = a.int('n');
  if (n < 0) fail('TRACE_TYPE', `randperm: n must be non-negative, got ${n}`);
  return tensorOf(dtypeArg(a, 'int64'), [n]);
}

// ---------------------------------------------------------------------------------------------
// Windows, _dim_arange, as_tensor

type WindowKind = 'hann' | 'hamming' | 'blackman' | 'bartlett' | 'kaiser';

interface WindowSpec {
  readonly kind: WindowKind;
  readonly type: TensorType;
  readonly length: IntArg;
  readonly periodic: boolean;
  /** hann/hamming: alpha - beta·cos(2πn / (N-1)); kaiser: beta is the shape parameter. */
  readonly alpha: number;
  readonly beta: number;
}

/** torch's zeroth-order modified Bessel function I0 by its power series (exact to double precision here). */
function besselI0(x: number): number {
  let term = 1;
  let sum = 1;
  for (let k = 1; k < 500 && term > sum * 1e-17; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
  }
  return sum;
}

/**
 * A window as torch computes it in its dtype (float32 unless float64), step by step where torch rounds:
 * a periodic window of length L is the first L of a symmetric one of L+1, and length 1 gives [1].
 * hann/hamming: alpha - beta·cos(2πn/(N-1)); blackman: 0.42 - 0.5·cos(2w) + 0.08·cos(4w), w = πn/(N-1);
 * bartlett: 2n/(N-1) rising, 2 - 2n/(N-1) falling; kaiser: I0(beta·sqrt(1 - ((n - m)/m)²)) / I0(beta), m = (N-1)/2.
 */
function windowValues(w: WindowSpec, length: number): number[] {
  const f = w.type.dtype === 'float64' ? (v: number) => v : Math.fround;
  if (length === 0) return [];
  if (length === 1) return [1];
  const n = w.periodic ? length + 1 : length;
  const indices = Array.from({ length }, (_, i) => i);
  switch (w.kind) {
    case 'hann':
    case 'hamming': {
      const step = f((2 * Math.PI) / (n - 1));
      return indices.map((i) => f(f(f(Math.cos(f(i * step))) * f(-w.beta)) + f(w.alpha)));
    }
    case 'blackman': {
      const step = f(Math.PI / (n - 1));
      return indices.map((i) => {
        const x = f(i * step);
        return f(f(f(f(Math.cos(f(x * 4))) * f(0.08)) - f(f(Math.cos(f(x * 2))) * 0.5)) + f(0.42));
      });
    }
    case 'bartlett': {
      const step = f(2 / (n - 1));
      const rising = ((n - 1) >> 1) + 1;
      return indices.map((i) => (i < rising ? f(i * step) : f(2 - f(i * step))));
    }
    case 'kaiser': {
      const middle = (n - 1) / 2;
      return indices.map((i) => f(besselI0(w.beta * Math.sqrt(Math.abs(1 - ((i - middle) / middle) ** 2))) / besselI0(w.beta)));
    }
  }
}

function windowArgs(a: BoundArgs, kind: WindowKind): WindowSpec {
  const op = a.schema.name;
  const length = intArg(a, 'window_length');
  if (typeof length === 'number' && length < 0) fail('TRACE_TYPE', `${op} requires non-negative window_length, got window_length=${length}`);
  const dtype = dtypeArg(a, 'float32');
  if (!isFloating(dtype)) fail('TRACE_TYPE', `${op} expects floating point dtypes, got: ${dtype}`);
  const has = (name: string) => a.values.has(name);
  const periodic = has('periodic') ? a.bool('periodic') : true;
  const alpha = kind === 'hamming' && has('alpha') ? a.float('alpha') : kind === 'hamming' ? 0.54 : 0.5;
  const beta = has('beta') ? a.float('beta') : kind === 'hamming' ? 0.46 : kind === 'kaiser' ? 12 : 0.5;
  return { kind, type: tensorOf(dtype, [sizeDim(a, length, op.slice(6))]), length, periodic, alpha, beta };
}

/**
 * The window of a length known only at run time, by the same steps as the constant form (opset 9:
 * arange as NonZero of ones). Kaiser's Bessel function has no such form: its length must be known.
 */
function runtimeWindow(ctx: LowerContext, w: WindowSpec, length: GValue): string {
  if (ctx.opset < 9) fail('OP_OPSET', 'a window of a length known only at run time needs opset 9 or later');
  if (w.kind === 'kaiser') fail('OP_UNSUPPORTED', 'aten::kaiser_window: the window length must be known at conversion time');
  const b = ctx.b;
  const compute = w.type.dtype === 'float64' ? 'float64' : 'float32';
  const n = castTo(ctx, ctx.input(length), onnxDtypeOf(length), 'int64');
  const one: OnnxTensor = { name: '', dtype: 'int64', dims: [1], data: { kind: 'bytes', bytes: encodeValues('int64', [1]) } };
  const indices = squeeze(ctx, b.op1('NonZero', [b.op1('ConstantOfShape', [unsqueeze(ctx, n, [0])], { value: { t: one } })]), [0]);
  const last = w.periodic ? n : b.op1('Sub', [n, b.scalar('int64', 1)]);
  const intervals = castTo(ctx, last, 'int64', compute);
  const position = castTo(ctx, indices, 'int64', compute);
  const mul = (x: string, k: number) => b.op1('Mul', [x, b.scalar(compute, k)]);
  let window: string;
  if (w.kind === 'blackman') {
    const x = b.op1('Mul', [position, b.op1('Div', [b.scalar(compute, Math.PI), intervals])]);
    const terms = b.op1('Sub', [mul(b.op1('Cos', [mul(x, 4)]), 0.08), mul(b.op1('Cos', [mul(x, 2)]), 0.5)]);
    window = b.op1('Add', [terms, b.scalar(compute, 0.42)]);
  } else if (w.kind === 'bartlett') {
    // torch rises while 2n <= N-1 (N the symmetric length), then falls as 2 - x.
    const x = b.op1('Mul', [position, b.op1('Div', [b.scalar(compute, 2), intervals])]);
    const rising = b.op1('Less', [b.op1('Mul', [indices, b.scalar('int64', 2)]), b.op1('Add', [last, b.scalar('int64', 1)])]);
    window = b.op1('Where', [rising, x, b.op1('Sub', [b.scalar(compute, 2), x])]);
  } else {
    const step = b.op1('Div', [b.scalar(compute, 2 * Math.PI), intervals]);
    const cosine = b.op1('Cos', [b.op1('Mul', [position, step])]);
    window = b.op1('Add', [mul(cosine, -w.beta), b.scalar(compute, w.alpha)]);
  }
  // torch gives [1] for length 1, where a symmetric window would divide by zero.
  const single = b.op1('Equal', [n, b.scalar('int64', 1)]);
  return castTo(ctx, b.op1('Where', [single, b.scalar(compute, 1), window]), compute, w.type.dtype);
}

function windowOp(schemas: string[], kind: WindowKind): OpDef {
  return {
    schemas,
    infer: (a) => [windowArgs(a, kind).type],
    evaluate: (a) => {
      const w = windowArgs(a, kind);
      const length = w.length;
      return typeof length === 'number' ? knownResult(w.type, () => windowValues(w, length)) : undefined;
    },
    lower: {
      7: (ctx, a) => {
        const w = windowArgs(a, kind);
        if (typeof w.length !== 'number') return [runtimeWindow(ctx, w, w.length)];
        requireConstantSize(w.length);
        return [ctx.b.constant(w.type.dtype, [w.length], convertValues(windowValues(w, w.length), w.type.dtype))];
      },
    },
  };
}

/** _dim_arange(like, dim) = arange(like.size(dim)): a constant for a static size, else NonZero of ones (opset 9). */
function lowerDimArange(ctx: LowerContext, a: BoundArgs): string[] {
  const like = a.tensor('like');
  const dim = axis(a.int('dim'), rankOf(like));
  const size = shapeOf(like)[dim];
  if (typeof size === 'number') {
    requireConstantSize(size);
    return [ctx.b.constant('int64', [size], rangeValues({ start: 0, step: 1, length: size }))];
  }
  if (ctx.opset < 9) fail('OP_OPSET', '_dim_arange of a size known only at run time needs opset 9 or later');
  const sizeVector = slice(ctx, ctx.b.op1('Shape', [ctx.input(like)]), [{ axis: 0, start: dim, end: dim + 1, step: 1 }]);
  const one: OnnxTensor = { name: '', dtype: 'int64', dims: [1], data: { kind: 'bytes', bytes: encodeValues('int64', [1]) } };
  const ones = ctx.b.op1('ConstantOfShape', [sizeVector], { value: { t: one } });
  return [squeeze(ctx, ctx.b.op1('NonZero', [ones]), [0])];
}

/** as_tensor of a tensor: the tensor, cast to `dtype` when given; of numbers and lists: like torch.tensor. */
function asTensorType(a: BoundArgs): TensorType {
  if (a.schema.overload === '') {
    const data = a.tensor('data');
    return tensorOf(dtypeArg(a, data.tensor.dtype), shapeOf(data));
  }
  return tensorLiteral(a).type;
}

// ---------------------------------------------------------------------------------------------

// Where a definition lists an `int` and a `SymInt` form of one schema, the second is how torch 2.x prints it.
export const creationOps: readonly OpDef[] = [
  fillOp([`aten::zeros(SymInt[] size, *, ${FACTORY_KWARGS}) -> Tensor`], { like: false, fill: 0, dtypeFromSelf: false }),
  fillOp([`aten::ones(SymInt[] size, *, ${FACTORY_KWARGS}) -> Tensor`], { like: false, fill: 1, dtypeFromSelf: false }),
  fillOp([`aten::full(SymInt[] size, Scalar fill_value, *, ${FACTORY_KWARGS}) -> Tensor`], { like: false, fill: 'fill_value', dtypeFromSelf: false }),
  fillOp([`aten::empty.memory_format(SymInt[] size, *, ${LIKE_KWARGS}) -> Tensor`], { like: false, fill: 0, dtypeFromSelf: false }),
  fillOp([`aten::zeros_like(Tensor self, *, ${LIKE_KWARGS}) -> Tensor`], { like: true, fill: 0, dtypeFromSelf: true }),
  fillOp([`aten::ones_like(Tensor self, *, ${LIKE_KWARGS}) -> Tensor`], { like: true, fill: 1, dtypeFromSelf: true }),
  fillOp([`aten::empty_like(Tensor self, *, ${LIKE_KWARGS}) -> Tensor`], { like: true, fill: 0, dtypeFromSelf: true }),
  fillOp([`aten::full_like(Tensor self, Scalar fill_value, *, ${LIKE_KWARGS}) -> Tensor`], { like: true, fill: 'fill_value', dtypeFromSelf: true }),
  fillOp([`aten::new_zeros(Tensor self, SymInt[] size, *, ${FACTORY_KWARGS}) -> Tensor`], { like: false, fill: 0, dtypeFromSelf: true }),
  fillOp([`aten::new_ones(Tensor self, SymInt[] size, *, ${FACTORY_KWARGS}) -> Tensor`], { like: false, fill: 1, dtypeFromSelf: true }),
  fillOp([`aten::new_empty(Tensor self, SymInt[] size, *, ${FACTORY_KWARGS}) -> Tensor`], { like: false, fill: 0, dtypeFromSelf: true }),
  fillOp([`aten::new_full(Tensor self, SymInt[] size, Scalar fill_value, *, ${FACTORY_KWARGS}) -> Tensor`], {
    like: false,
    fill: 'fill_value',
    dtypeFromSelf: true,
  }),
  {
    schemas: [
      `aten::arange(Scalar end, *, ${FACTORY_KWARGS}) -> Tensor`,
      `aten::arange.start(Scalar start, Scalar end, *, ${FACTORY_KWARGS}) -> Tensor`,
      `aten::arange.start_step(Scalar start, Scalar end, Scalar step=1, *, ${FACTORY_KWARGS}) -> Tensor`,
    ],
    infer: inferArange,
    evaluate: (a) => {
      const r = rangeArgs(a);
      const known = knownRange(r);
      return known ? knownResult(tensorOf(rangeDtype(a, r), [known.length]), () => rangeValues(known)) : undefined;
    },
    lower: { 7: lowerArange },
  },
  {
    schemas: [
      `aten::linspace(Scalar start, Scalar end, int steps, *, ${FACTORY_KWARGS}) -> Tensor`,
      `aten::linspace.Tensor_Tensor(Tensor start, Tensor end, int steps, *, ${FACTORY_KWARGS}) -> Tensor`,
      `aten::linspace.Tensor_Scalar(Tensor start, Scalar end, int steps, *, ${FACTORY_KWARGS}) -> Tensor`,
      `aten::linspace.Scalar_Tensor(Scalar start, Tensor end, int steps, *, ${FACTORY_KWARGS}) -> Tensor`,
    ],
    infer: (a) => [linspaceType(a)],
    evaluate: (a) => {
      const type = linspaceType(a);
      return knownResult(type, () => linspaceValues(a, type.dtype));
    },
    lower: {
      7: (ctx, a) => {
        const type = linspaceType(a);
        return [ctx.b.constant(type.dtype, type.shape as number[], convertValues(linspaceValues(a, type.dtype), type.dtype))];
      },
    },
  },
  {
    schemas: [
      `aten::eye(int n, *, ${FACTORY_KWARGS}) -> Tensor`,
      `aten::eye(SymInt n, *, ${FACTORY_KWARGS}) -> Tensor`,
      `aten::eye.m(int n, int m, *, ${FACTORY_KWARGS}) -> Tensor`,
      `aten::eye.m(SymInt n, SymInt m, *, ${FACTORY_KWARGS}) -> Tensor`,
    ],
    infer: (a) => [eyeType(a)],
    evaluate: (a) => {
      const type = eyeType(a);
      const dims = staticShape(type.shape);
      return dims ? knownResult(type, () => eyeValues(dims)) : undefined;
    },
    lower: { 7: lowerEye },
  },
  {
    schemas: [
      'aten::tensor(t[] data, *, ScalarType? dtype=None, Device? device=None, bool requires_grad=False) -> Tensor',
      'aten::tensor.float(float t, *, ScalarType? dtype=None, Device? device=None, bool requires_grad=False) -> Tensor',
      'aten::tensor.int(int t, *, ScalarType? dtype=None, Device? device=None, bool requires_grad=False) -> Tensor',
      'aten::tensor.bool(bool t, *, ScalarType? dtype=None, Device? device=None, bool requires_grad=False) -> Tensor',
    ],
    infer: (a) => [tensorLiteral(a).type],
    evaluate: (a) => {
      const { type, elements } = tensorLiteral(a);
      if (elements.some((e) => e instanceof GValue)) return undefined;
      return knownResult(type, () => elements.map((e) => numberOf(e as number)));
    },
    lower: { 7: lowerTensor },
  },
  {
    schemas: [`aten::scalar_tensor(Scalar s, *, ${FACTORY_KWARGS}) -> Tensor`],
    infer: (a) => [tensorOf(dtypeArg(a, 'float32'), [])],
    evaluate: (a) => {
      const s = a.scalar('s');
      return s instanceof GValue ? undefined : knownResult(tensorOf(dtypeArg(a, 'float32'), []), () => [numberOf(s)]);
    },
    lower: { 7: lowerScalarTensor },
  },
  {
    schemas: ['aten::_shape_as_tensor(Tensor self) -> Tensor'],
    infer: (a) => [tensorOf('int64', [shapeOf(a.tensor('self')).length])],
    evaluate: (a) => {
      const dims = staticShape(shapeOf(a.tensor('self')));
      return dims ? knownResult(tensorOf('int64', [dims.length]), () => dims) : undefined;
    },
    lower: { 1: (ctx, a) => [shapeOfValue(ctx, a.tensor('self'))] },
  },
  {
    schemas: [`aten::rand(int[] size, *, ${FACTORY_KWARGS}) -> Tensor`, `aten::rand(SymInt[] size, *, ${FACTORY_KWARGS}) -> Tensor`],
    infer: (a) => [randomType(a, 'float32')],
    lower: { 7: (ctx, a) => [random(ctx, a, 'Uniform', { low: { f: 0 }, high: { f: 1 } }, floatDtype(a, 'rand'))] },
  },
  {
    schemas: [`aten::randn(int[] size, *, ${FACTORY_KWARGS}) -> Tensor`, `aten::randn(SymInt[] size, *, ${FACTORY_KWARGS}) -> Tensor`],
    infer: (a) => [randomType(a, 'float32')],
    lower: { 7: (ctx, a) => [random(ctx, a, 'Normal', { mean: { f: 0 }, scale: { f: 1 } }, floatDtype(a, 'randn'))] },
  },
  {
    schemas: [`aten::rand_like(Tensor self, *, ${LIKE_KWARGS}) -> Tensor`],
    infer: (a) => [randomType(a, 'float32')],
    lower: { 7: (ctx, a) => [random(ctx, a, 'Uniform', { low: { f: 0 }, high: { f: 1 } }, floatDtype(a, 'rand_like'))] },
  },
  {
    schemas: [`aten::randn_like(Tensor self, *, ${LIKE_KWARGS}) -> Tensor`],
    infer: (a) => [randomType(a, 'float32')],
    lower: { 7: (ctx, a) => [random(ctx, a, 'Normal', { mean: { f: 0 }, scale: { f: 1 } }, floatDtype(a, 'randn_like'))] },
  },
  {
    schemas: [
      `aten::randint(int high, int[] size, *, ${RANDINT_KWARGS}) -> Tensor`,
      `aten::randint(SymInt high, SymInt[] size, *, ${RANDINT_KWARGS}) -> Tensor`,
      `aten::randint.low(int low, int high, int[] size, *, ${RANDINT_KWARGS}) -> Tensor`,
      `aten::randint.low(SymInt low, SymInt high, SymInt[] size, *, ${RANDINT_KWARGS}) -> Tensor`,
    ],
    infer: (a) => [randomType(a, 'int64')],
    lower: { 7: lowerRandint },
  },
  {
    schemas: [
      'aten::bernoulli(Tensor self, *, Generator? generator=None) -> Tensor',
      'aten::bernoulli.p(Tensor self, float p, *, Generator? generator=None) -> Tensor',
      'aten::bernoulli.Tensor(Tensor self, Tensor p, *, Generator? generator=None) -> Tensor',
    ],
    infer: (a) => {
      if (a.schema.overload === 'p' && (a.float('p') < 0 || a.float('p') > 1)) fail('TRACE_TYPE', `bernoulli expects p in [0, 1], but got p=${a.float('p')}`);
      return [a.tensor('self').tensor];
    },
    lower: { 7: lowerBernoulli },
  },
  {
    schemas: ['aten::multinomial(Tensor self, int num_samples, bool replacement=False, *, Generator? generator=None) -> Tensor'],
    infer: (a) => [inferMultinomial(a)],
    lower: { 7: lowerMultinomial },
  },
  {
    schemas: [
      'aten::normal.Tensor_float(Tensor mean, float std=1., *, Generator? generator=None) -> Tensor',
      'aten::normal.float_Tensor(float mean, Tensor std, *, Generator? generator=None) -> Tensor',
      'aten::normal.Tensor_Tensor(Tensor mean, Tensor std, *, Generator? generator=None) -> Tensor',
      `aten::normal.float_float(float mean, float std, int[] size, *, Generator? generator=None, ${FACTORY_KWARGS}) -> Tensor`,
      `aten::normal.float_float(float mean, float std, SymInt[] size, *, Generator? generator=None, ${FACTORY_KWARGS}) -> Tensor`,
    ],
    infer: (a) => [inferNormal(a)],
    lower: { 7: lowerNormal },
  },
  {
    schemas: [
      `aten::randint_like(Tensor self, int high, *, ${LIKE_KWARGS}) -> Tensor`,
      `aten::randint_like(Tensor self, SymInt high, *, ${LIKE_KWARGS}) -> Tensor`,
      `aten::randint_like.low_dtype(Tensor self, int low, int high, *, ${LIKE_KWARGS}) -> Tensor`,
      `aten::randint_like.low_dtype(Tensor self, SymInt low, SymInt high, *, ${LIKE_KWARGS}) -> Tensor`,
    ],
    infer: (a) => [randomType(a, 'int64')],
    lower: { 7: lowerRandint },
  },
  {
    schemas: [
      'aten::randperm(int n, *, ScalarType? dtype=4, Layout? layout=None, Device? device=None, bool? pin_memory=None) -> Tensor',
      'aten::randperm(SymInt n, *, ScalarType? dtype=4, Layout? layout=None, Device? device=None, bool? pin_memory=None) -> Tensor',
      'aten::randperm.generator(int n, *, Generator? generator, ScalarType? dtype=4, Layout? layout=None, Device? device=None, bool? pin_memory=None) -> Tensor',
      'aten::randperm.generator(SymInt n, *, Generator? generator, ScalarType? dtype=4, Layout? layout=None, Device? device=None, bool? pin_memory=None) -> Tensor',
    ],
    infer: (a) => [inferRandperm(a)],
    lower: { 7: lowerRandperm },
  },
  windowOp(
    [
      `aten::hann_window(int window_length, *, ${FACTORY_KWARGS}) -> Tensor`,
      `aten::hann_window.periodic(int window_length, bool periodic, *, ${FACTORY_KWARGS}) -> Tensor`,
    ],
    'hann',
  ),
  windowOp(
    [
      `aten::hamming_window(int window_length, *, ${FACTORY_KWARGS}) -> Tensor`,
      `aten::hamming_window.periodic(int window_length, bool periodic, *, ${FACTORY_KWARGS}) -> Tensor`,
      `aten::hamming_window.periodic_alpha(int window_length, bool periodic, float alpha, *, ${FACTORY_KWARGS}) -> Tensor`,
      `aten::hamming_window.periodic_alpha_beta(int window_length, bool periodic, float alpha, float beta, *, ${FACTORY_KWARGS}) -> Tensor`,
    ],
    'hamming',
  ),
  windowOp(
    [
      `aten::blackman_window(int window_length, *, ${FACTORY_KWARGS}) -> Tensor`,
      `aten::blackman_window.periodic(int window_length, bool periodic, *, ${FACTORY_KWARGS}) -> Tensor`,
    ],
    'blackman',
  ),
  windowOp(
    [
      `aten::bartlett_window(int window_length, *, ${FACTORY_KWARGS}) -> Tensor`,
      `aten::bartlett_window.periodic(int window_length, bool periodic, *, ${FACTORY_KWARGS}) -> Tensor`,
    ],
    'bartlett',
  ),
  windowOp(
    [
      `aten::kaiser_window(int window_length, *, ${FACTORY_KWARGS}) -> Tensor`,
      `aten::kaiser_window.periodic(int window_length, bool periodic, *, ${FACTORY_KWARGS}) -> Tensor`,
      `aten::kaiser_window.beta(int window_length, bool periodic, float beta, *, ${FACTORY_KWARGS}) -> Tensor`,
    ],
    'kaiser',
  ),
  {
    schemas: ['aten::_dim_arange(Tensor like, int dim) -> Tensor'],
    infer: (a) => {
      const like = a.tensor('like');
      return [tensorOf('int64', [shapeOf(like)[axis(a.int('dim'), rankOf(like))]])];
    },
    evaluate: (a) => {
      const like = a.tensor('like');
      const size = shapeOf(like)[axis(a.int('dim'), rankOf(like))];
      return typeof size === 'number' ? knownResult(tensorOf('int64', [size]), () => rangeValues({ start: 0, step: 1, length: size })) : undefined;
    },
    lower: { 7: lowerDimArange },
  },
  {
    schemas: [
      'aten::as_tensor(Tensor(a) data, *, ScalarType? dtype=None, Device? device=None) -> Tensor(b|a)',
      'aten::as_tensor.float(float t, *, ScalarType? dtype=None, Device? device=None) -> Tensor',
      'aten::as_tensor.int(int t, *, ScalarType? dtype=None, Device? device=None) -> Tensor',
      'aten::as_tensor.bool(bool t, *, ScalarType? dtype=None, Device? device=None) -> Tensor',
      'aten::as_tensor.list(t[] data, *, ScalarType? dtype=None, Device? device=None) -> Tensor',
    ],
    infer: (a) => [asTensorType(a)],
    evaluate: (a) => {
      if (a.schema.overload === '') return undefined;
      const { type, elements } = tensorLiteral(a);
      if (elements.some((e) => e instanceof GValue)) return undefined;
      return knownResult(type, () => elements.map((e) => numberOf(e as number)));
    },
    lower: {
      7: (ctx, a) => {
        if (a.schema.overload !== '') return lowerTensor(ctx, a);
        const data = a.tensor('data');
        return [castTo(ctx, ctx.input(data), onnxDtypeOf(data), asTensorType(a).dtype)];
      },
    },
  },
];
