/**
 * Node builders several families share: element-wise helpers, float functions, clamp and min/max,
 * padding, and what fused ops build from the plain ops' parts (layer norm, gelu) instead of
 * writing them again.
 */
import { type DType, PyFloat } from '../archive/types.js';
import { fail } from '../errors.js';
import { GValue, type ScalarType, type TensorType, type ValueType } from '../ir/torch-graph.js';
import { type BoundArgs, type IntArg, shapeTensor } from './args.js';
import { isFloating, type Operand } from './dtypes.js';
import { castTo, onnxDtypeOf, operand, tensorOf } from './helpers.js';
import { type Axes, needOpset, reduce, reshape, slice, split, squeeze } from './opset.js';
import type { LowerContext, OpDef } from './registry.js';

/** The dtype of the node's first output, as its ONNX value will have it. */
export function outDtype(ctx: LowerContext, index = 0): DType {
  return onnxDtypeOf(ctx.node.outputs[index]);
}

/** The value of an argument known at conversion time, or undefined for a run-time value. */
export function knownNumber(o: Operand): number | undefined {
  if (o instanceof GValue) return undefined;
  if (o instanceof PyFloat) return o.value;
  return typeof o === 'boolean' ? (o ? 1 : 0) : o;
}

/** Overloads on Python numbers return `int`, `float`, `bool` or `Scalar` rather than `Tensor`. */
export function isNumberOverload(a: BoundArgs): boolean {
  return a.schema.returns[0].base !== 'Tensor';
}

export type NumberKind = ScalarType['scalar'];

export function numberType(kind: NumberKind): ScalarType {
  return { kind: 'scalar', scalar: kind };
}

export function selfOf(a: BoundArgs): Operand {
  return a.scalar(a.schema.args[0].name);
}

/** Float functions: integer and bool tensors give the default float dtype (float32). */
function floatFunctionType(a: BoundArgs): ValueType {
  // Python math functions return float for int and float arguments alike.
  if (isNumberOverload(a)) return numberType('float');
  const t = (selfOf(a) as GValue).tensor;
  return tensorOf(isFloating(t.dtype) ? t.dtype : 'float32', t.shape);
}

/** The dtype a float function computes in: its output's, or float64 for Python numbers. */
function floatCompute(ctx: LowerContext): DType {
  const out = outDtype(ctx);
  return isFloating(out) ? out : 'float64';
}

export type UnaryBuild = (ctx: LowerContext, x: string, dtype: DType) => string;

/** A float function `name` built by `build`, with its Python-number overloads `extra`. */
export function floatFunction(name: string, extra: readonly string[], opset: number, build: UnaryBuild): OpDef {
  return {
    schemas: [`aten::${name}(Tensor self) -> Tensor`, ...extra],
    infer: (a) => [floatFunctionType(a)],
    lower: {
      [opset]: (ctx: LowerContext, a: BoundArgs) => {
        const compute = floatCompute(ctx);
        const result = build(ctx, operand(ctx, selfOf(a), compute), compute);
        return [castTo(ctx, result, compute, outDtype(ctx))];
      },
    },
  };
}

/**
 * The dtype Clip/Max/Min run in: floats as they are; integers natively from opset 12 and in
 * float64 (exact for int32 and shape-sized int64) before it; bool never natively.
 */
function minMaxDtype(dtype: DType, opset: number): DType {
  if (isFloating(dtype)) return dtype === 'bfloat16' && opset < 13 ? 'float32' : dtype;
  if (dtype === 'bool' || opset < 12) return 'float64';
  return dtype;
}

function isZeroDim(o: Operand): boolean {
  if (!(o instanceof GValue)) return true;
  return o.type.kind === 'scalar' || (o.type.kind === 'tensor' && o.type.shape.length === 0);
}

/**
 * clamp(x, min, max) in `out`: `Clip` when the bounds are numbers or 0-d (attributes before opset
 * 11, inputs from 11), element-wise `Max`/`Min` when they are tensors to broadcast. onnxruntime
 * implements Clip before opset 12 for float32 only, so other dtypes use Max/Min in float64 there.
 */
export function clamp(ctx: LowerContext, x: Operand, min: Operand | undefined, max: Operand | undefined, out: DType): string {
  const b = ctx.b;
  const bounds = [min, max].filter((o): o is Operand => o !== undefined);
  const known = bounds.every((o) => !(o instanceof GValue));
  const zeroDim = bounds.every(isZeroDim);
  const clipBefore12 = out === 'float32' || ctx.opset < 8;
  const compute = ctx.opset >= 12 ? minMaxDtype(out, ctx.opset) : clipBefore12 ? 'float32' : 'float64';
  const clip = ctx.opset >= 12 ? zeroDim : clipBefore12 && (known || (zeroDim && ctx.opset >= 11));
  const xs = operand(ctx, x, compute);
  const bound = (o: Operand | undefined) => (o === undefined ? '' : operand(ctx, o, compute));
  let result = xs;
  if (bounds.length > 0 && clip && ctx.opset < 11) {
    const attrs: Record<string, { f: number }> = {};
    if (min !== undefined) attrs.min = { f: knownNumber(min) as number };
    if (max !== undefined) attrs.max = { f: knownNumber(max) as number };
    result = b.op1('Clip', [xs], attrs);
  } else if (bounds.length > 0 && clip) {
    result = b.op1('Clip', [xs, bound(min), bound(max)]);
  } else if (bounds.length > 0) {
    needOpset(ctx, 8, 'clamp with tensor bounds or of non-float32 values');
    if (min !== undefined) result = b.op1('Max', [result, bound(min)]);
    if (max !== undefined) result = b.op1('Min', [result, bound(max)]);
  }
  return castTo(ctx, result, compute, out);
}

/** Element-wise max/min of two operands in `out` (bool: logical or/and). */
export function elementwiseMinMax(ctx: LowerContext, opType: 'Max' | 'Min', x: Operand, y: Operand, out: DType): string {
  if (out === 'bool') return ctx.b.op1(opType === 'Max' ? 'Or' : 'And', [operand(ctx, x, 'bool'), operand(ctx, y, 'bool')]);
  const compute = minMaxDtype(out, ctx.opset);
  return castTo(ctx, ctx.b.op1(opType, [operand(ctx, x, compute), operand(ctx, y, compute)]), compute, out);
}

export type PadMode = 'constant' | 'reflect' | 'replicate' | 'circular';

const ONNX_MODE: Record<Exclude<PadMode, 'circular'>, string> = { constant: 'constant', reflect: 'reflect', replicate: 'edge' };

/** Pads per dimension of the input, in dimension order (0 where torch gives none). */
export interface DimPads {
  readonly begins: IntArg[];
  readonly ends: IntArg[];
}

function knownPads(op: string, pads: readonly IntArg[]): number[] {
  if (pads.some((p) => typeof p !== 'number')) fail('OP_OPSET', `${op}: pads known only at run time need opset 11 or later`);
  return pads as number[];
}

function constantValue(op: string, value: Operand | undefined): number {
  if (value === undefined) return 0;
  if (value instanceof GValue) return fail('OP_OPSET', `${op}: a pad value known only at run time needs opset 11 or later`);
  return value instanceof PyFloat ? value.value : Number(value);
}

export function isZero(value: Operand | undefined): boolean {
  return value === undefined || (!(value instanceof GValue) && constantValue('', value) === 0);
}

/**
 * ONNX Pad: attributes up to opset 10 (float tensors only: others go through float64 and back),
 * pads and constant value as inputs from 11.
 */
function padNode(ctx: LowerContext, op: string, x: string, dtype: DType, pads: DimPads, mode: Exclude<PadMode, 'circular'>, value?: Operand): string {
  const all = [...pads.begins, ...pads.ends];
  if (ctx.opset >= 11) {
    const inputs = [x, shapeTensor(ctx, all)];
    if (mode === 'constant' && !isZero(value)) inputs.push(operand(ctx, value as Operand, dtype));
    return ctx.b.op1('Pad', inputs, { mode: ONNX_MODE[mode] });
  }
  const attrs = { mode: ONNX_MODE[mode], pads: knownPads(op, all), ...(mode === 'constant' ? { value: { f: constantValue(op, value) } } : {}) };
  if (isFloating(dtype)) return ctx.b.op1('Pad', [x], attrs);
  const padded = ctx.b.op1('Pad', [castTo(ctx, x, dtype, 'float64')], attrs);
  return castTo(ctx, padded, 'float64', dtype);
}

/**
 * Circular padding as slices and concatenations, one dimension at a time. As in torch, negative
 * pads crop first and the wrapped parts come from the cropped core.
 */
function circularPad(ctx: LowerContext, op: string, x: string, pads: DimPads): string {
  const begins = knownPads(op, pads.begins);
  const ends = knownPads(op, pads.ends);
  const beyond = Number.MAX_SAFE_INTEGER;
  let y = x;
  begins.forEach((begin, d) => {
    const end = ends[d];
    const core = begin < 0 || end < 0 ? slice(ctx, y, [{ axis: d, start: Math.max(0, -begin), end: end < 0 ? end : beyond, step: 1 }]) : y;
    const parts = [
      ...(begin > 0 ? [slice(ctx, core, [{ axis: d, start: -begin, end: beyond, step: 1 }])] : []),
      core,
      ...(end > 0 ? [slice(ctx, core, [{ axis: d, start: 0, end, step: 1 }])] : []),
    ];
    y = parts.length === 1 ? core : ctx.b.op1('Concat', parts, { axis: d });
  });
  return y;
}

/** Pads `x` (a value of the given dtype and rank) the way torch's pad modes do. */
export function padTensor(ctx: LowerContext, op: string, x: string, dtype: DType, pads: DimPads, mode: PadMode, value?: Operand): string {
  if (mode === 'circular') return circularPad(ctx, op, x, pads);
  return padNode(ctx, op, x, dtype, pads, mode, value);
}

/** (x − mean) / sqrt(var + eps) over `axes`, with the biased variance PyTorch normalises with. */
export function standardize(ctx: LowerContext, x: string, dtype: DType, axes: number[], eps: number): string {
  const centered = ctx.b.op1('Sub', [x, reduce(ctx, 'ReduceMean', x, axes, true)]);
  const variance = reduce(ctx, 'ReduceMean', ctx.b.op1('Mul', [centered, centered]), axes, true);
  const std = ctx.b.op1('Sqrt', [ctx.b.op1('Add', [variance, ctx.b.scalar(dtype, eps)])]);
  return ctx.b.op1('Div', [centered, std]);
}

/**
 * Layer norm over the trailing `normalizedShape` axes of a rank-`rank` x: LayerNormalization from
 * opset 17, its definition before (ReduceMean names the axes as non-negative numbers: negative axes
 * exist only from opset 11). Weight and bias are made on demand, so the nodes they need (casts,
 * initializers) come where each form reads them; without a weight, LayerNormalization gets ones.
 */
export function layerNorm(
  ctx: LowerContext,
  x: string,
  norm: { rank: number; normalizedShape: readonly number[]; dtype: DType; eps: number; weight?: () => string; bias?: () => string },
): string {
  const { rank, normalizedShape, dtype, eps, weight, bias } = norm;
  const count = normalizedShape.length;
  if (ctx.opset >= 17) {
    const scale = weight ? weight() : ctx.b.constant(dtype, [...normalizedShape], Array(normalizedShape.reduce((p, d) => p * d, 1)).fill(1));
    const inputs = [x, scale];
    if (bias) inputs.push(bias());
    return ctx.b.op1('LayerNormalization', inputs, { axis: -count, epsilon: { f: eps } });
  }
  const axes = normalizedShape.map((_, i) => rank - count + i);
  let y = standardize(ctx, x, dtype, axes, eps);
  if (weight) y = ctx.b.op1('Mul', [y, weight()]);
  if (bias) y = ctx.b.op1('Add', [y, bias()]);
  return y;
}

/**
 * gelu(x) = x/2 · (1 + erf(x/√2)), or with approximate="tanh" x/2 · (1 + tanh(√(2/π) · (x + 0.044715x³))).
 * The exact form has two orders of operations: `export`, torch.onnx's graph for aten::gelu,
 * x · (erf(x/√2) + 1) · 0.5; and `kernel`, the fused transformer kernels' own,
 * x · 0.5 · (1 + erf(x · M_SQRT1_2)), which fused ops follow to round as PyTorch does.
 */
export function gelu(ctx: LowerContext, x: string, dtype: DType, approximate: 'none' | 'tanh', order: 'export' | 'kernel' = 'export'): string {
  const b = ctx.b;
  const c = (v: number) => b.scalar(dtype, v);
  if (approximate === 'none' && order === 'kernel') {
    const erf = b.op1('Erf', [b.op1('Mul', [x, c(Math.SQRT1_2)])]);
    return b.op1('Mul', [b.op1('Mul', [x, c(0.5)]), b.op1('Add', [erf, c(1)])]);
  }
  let inner: string;
  if (approximate === 'tanh') {
    const cube = b.op1('Mul', [x, b.op1('Mul', [x, x])]);
    const poly = b.op1('Add', [x, b.op1('Mul', [c(0.044715), cube])]);
    inner = b.op1('Tanh', [b.op1('Mul', [c(Math.sqrt(2 / Math.PI)), poly])]);
  } else {
    needOpset(ctx, 9, 'gelu (Erf)');
    inner = b.op1('Erf', [b.op1('Div', [x, c(Math.SQRT2)])]);
  }
  return b.op1('Mul', [b.op1('Mul', [x, b.op1('Add', [inner, c(1)])]), c(0.5)]);
}

/**
 * softplus(x) = log(1 + exp(x)) without overflow. onnxruntime implements Softplus for float32 only, so
 * other dtypes get its stable form relu(x) + log(1 + exp(−|x|)).
 */
export function softplus(ctx: LowerContext, x: string, dtype: DType): string {
  const b = ctx.b;
  if (dtype === 'float32') return b.op1('Softplus', [x]);
  const tail = b.op1('Log', [b.op1('Add', [b.scalar(dtype, 1), b.op1('Exp', [b.op1('Neg', [b.op1('Abs', [x])])])])]);
  return b.op1('Add', [b.op1('Relu', [x]), tail]);
}

/** leaky_relu(x) with `slope`: onnxruntime implements LeakyRelu for float32 only, so other dtypes get relu(x) − slope·relu(−x). */
export function leakyRelu(ctx: LowerContext, x: string, dtype: DType, slope: number): string {
  const b = ctx.b;
  if (dtype === 'float32') return b.op1('LeakyRelu', [x], { alpha: { f: slope } });
  return b.op1('Sub', [b.op1('Relu', [x]), b.op1('Mul', [b.scalar(dtype, slope), b.op1('Relu', [b.op1('Neg', [x])])])]);
}

/** ‖x‖_p over axes: ReduceL1/L2 for 1 and 2, max/min |x| for ±inf, the non-zero count for 0, else (Σ|x|^p)^(1/p). */
export function pNorm(ctx: LowerContext, x: string, dtype: DType, p: number, axes: Axes, keepdim: boolean): string {
  const b = ctx.b;
  if (p === 2) return reduce(ctx, 'ReduceL2', x, axes, keepdim);
  if (p === 1) return reduce(ctx, 'ReduceL1', x, axes, keepdim);
  const abs = b.op1('Abs', [x]);
  if (p === Infinity) return reduce(ctx, 'ReduceMax', abs, axes, keepdim);
  if (p === -Infinity) return reduce(ctx, 'ReduceMin', abs, axes, keepdim);
  if (p === 0) return reduce(ctx, 'ReduceSum', castTo(ctx, castTo(ctx, x, dtype, 'bool'), 'bool', dtype), axes, keepdim);
  const sum = reduce(ctx, 'ReduceSum', b.op1('Pow', [abs, b.scalar(dtype, p)]), axes, keepdim);
  return b.op1('Pow', [sum, b.scalar(dtype, 1 / p)]);
}

/** Types of `nonzeroPerDim`: one int64 index tensor per dim of `x` (a 0-d tensor counts as 1-D), of a shared run-time length. */
export function nonzeroPerDimTypes(a: BoundArgs, x: GValue, op: string): TensorType[] {
  const count = a.freshDim(op);
  return Array.from({ length: Math.max(1, x.tensor.shape.length) }, () => tensorOf('int64', [count]));
}

/** `nonzero(x, as_tuple=True)` and one-argument `where(x)`: NonZero gives [rank, count], torch one index tensor per dim. */
export function nonzeroPerDim(ctx: LowerContext, x: GValue): string[] {
  const rank = Math.max(1, x.tensor.shape.length);
  const input = x.tensor.shape.length === 0 ? reshape(ctx, ctx.input(x), ctx.b.int64s([1])) : ctx.input(x);
  const indices = ctx.b.op1('NonZero', [castTo(ctx, input, x.tensor.dtype, 'bool')]);
  return split(ctx, indices, 0, Array(rank).fill(1)).map((row) => squeeze(ctx, row, [0]));
}

/**
 * The dtype ONNX arithmetic (Add, Sub, Mul, Div, Neg, Pow) runs in: 8/16-bit integers only from
 * opset 14 and bfloat16 only from 13, so those compute wider and are cast back (wrapping like torch).
 */
export function arithmeticDtype(dtype: DType, opset: number): DType {
  if ((dtype === 'uint8' || dtype === 'int8' || dtype === 'int16') && opset < 14) return 'int32';
  if (dtype === 'bfloat16' && opset < 13) return 'float32';
  if (dtype === 'bool') return 'int32';
  return dtype;
}

/** The Python number kind of an operand: a number's own, a scalar value's, or a tensor's dtype's. */
export function numberKind(o: Operand): NumberKind {
  if (o instanceof GValue) {
    const t = o.type;
    if (t.kind === 'scalar') return t.scalar;
    const dtype = t.kind === 'tensor' ? t.dtype : t.element.dtype;
    return isFloating(dtype) ? 'float' : dtype === 'bool' ? 'bool' : 'int';
  }
  if (o instanceof PyFloat) return 'float';
  return typeof o === 'boolean' ? 'bool' : 'int';
}
