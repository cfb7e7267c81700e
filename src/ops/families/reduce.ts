/** Reductions: sum, mean, prod, max/min, argmax/argmin, std/var, norms, logsumexp, all/any, cumsum. */
import type { DType } from '../../archive/types.js';
import { fail } from '../../errors.js';
import type { Dim, GValue, TensorType, ValueType } from '../../ir/torch-graph.js';
import { type BoundArgs, optDtype } from '../args.js';
import { elementwiseMinMax, knownNumber, outDtype } from '../builders.js';
import { isFloating, isIntegral } from '../dtypes.js';
import { axis, castTo, elementwiseType, numel, operand, rankOf, shapeOf, tensorOf } from '../helpers.js';
import { type Axes, needOpset, reduce } from '../opset.js';
import type { LowerContext, Lowering, OpDef } from '../registry.js';

// ---------------------------------------------------------------------------------------------
// Axes, shapes and the Reduce* emitter
// ---------------------------------------------------------------------------------------------

function normaliseAxes(dims: readonly number[] | undefined, rank: number): Axes {
  if (dims === undefined || dims.length === 0) return undefined;
  const axes = [...new Set(dims.map((d) => axis(d, rank)))].sort((x, y) => x - y);
  // A 0-d tensor accepts dim 0 / -1, which reduces nothing but is still "all" of it.
  return rank === 0 ? undefined : axes;
}

/** An `int[1]?` / `int[1]` / `int` dimension argument as axes. */
function axesArg(a: BoundArgs, name: string): Axes {
  const rank = rankOf(a.tensor('self'));
  if (a.isNone(name)) return undefined;
  const v = a.raw(name);
  return normaliseAxes(typeof v === 'number' ? [v] : a.ints(name), rank);
}

function reducedShape(shape: readonly Dim[], axes: Axes, keepdim: boolean): Dim[] {
  const reduced = (i: number) => axes === undefined || axes.includes(i);
  if (keepdim) return shape.map((d, i) => (reduced(i) ? 1 : d));
  return shape.filter((_, i) => !reduced(i));
}

/** ReduceMax/Min and ArgMax/Min lack bool (and, before opset 12, 8-bit ints; int16 always): compare in int32. */
function orderedDtype(dtype: DType, opset: number): DType {
  if (dtype === 'bool' || dtype === 'int16') return 'int32';
  if ((dtype === 'int8' || dtype === 'uint8') && opset < 12) return 'int32';
  if (dtype === 'bfloat16' && opset < 13) return 'float32';
  return dtype;
}

/** ReduceSum/Mean/Prod/L1/L2/LogSumExp and CumSum take 32/64-bit ints and floats (bfloat16 from 13, float16 CumSum from 14). */
function accumulateDtype(dtype: DType, opset: number, cumsum = false): DType {
  if (dtype === 'bool' || dtype === 'int8' || dtype === 'int16' || dtype === 'uint8') return 'int32';
  if (dtype === 'bfloat16' && opset < 13) return 'float32';
  if (cumsum && (dtype === 'float16' || dtype === 'bfloat16') && opset < 14) return 'float32';
  return dtype;
}

function keepdimOf(a: BoundArgs): boolean {
  return a.schema.args.some((arg) => arg.name === 'keepdim') ? a.bool('keepdim') : false;
}

/** Axes of the call: from its `dim` argument when the overload has one, else all. */
function callAxes(a: BoundArgs): Axes {
  return a.schema.args.some((arg) => arg.name === 'dim') ? axesArg(a, 'dim') : undefined;
}

function reductionType(a: BoundArgs, dtype: DType): TensorType {
  return tensorOf(dtype, reducedShape(shapeOf(a.tensor('self')), callAxes(a), keepdimOf(a)));
}

/** The ScalarType argument `dtype` when the overload has one. */
function dtypeArg(a: BoundArgs): DType | undefined {
  return a.schema.args.some((arg) => arg.name === 'dtype') ? optDtype(a, 'dtype') : undefined;
}

function requireFloating(a: BoundArgs, dtype: DType): void {
  if (!isFloating(dtype)) {
    fail('TRACE_TYPE', `${a.schema.name}: input dtype must be floating point, got ${dtype} (torch cannot infer the output dtype)`);
  }
}

// ---------------------------------------------------------------------------------------------
// sum / mean / prod / logsumexp / cumsum
// ---------------------------------------------------------------------------------------------

/** sum/prod/cumsum: integer and bool tensors accumulate in int64 unless `dtype` says otherwise. */
function accumulatedDtype(a: BoundArgs): DType {
  const self = a.tensor('self').tensor.dtype;
  return dtypeArg(a) ?? (isIntegral(self, true) ? 'int64' : self);
}

/** A reduction that casts its input to the output dtype, then applies `opType`. */
function castingReduction(opType: string): Lowering {
  return (ctx, a) => {
    const out = outDtype(ctx);
    const compute = accumulateDtype(out, ctx.opset);
    const x = operand(ctx, a.tensor('self'), compute);
    return [castTo(ctx, reduce(ctx, opType, x, callAxes(a), keepdimOf(a)), compute, out)];
  };
}

const sumLike: OpDef[] = [
  {
    schemas: [
      'aten::sum(Tensor self, *, ScalarType? dtype=None) -> Tensor',
      'aten::sum.dim_IntList(Tensor self, int[1]? dim, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor',
    ],
    infer: (a) => [reductionType(a, accumulatedDtype(a))],
    lower: { 7: castingReduction('ReduceSum') },
  },
  {
    schemas: [
      'aten::prod(Tensor self, *, ScalarType? dtype=None) -> Tensor',
      'aten::prod.dim_int(Tensor self, int dim, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor',
    ],
    infer: (a) => [reductionType(a, accumulatedDtype(a))],
    lower: { 7: castingReduction('ReduceProd') },
  },
  {
    schemas: [
      'aten::mean(Tensor self, *, ScalarType? dtype=None) -> Tensor',
      'aten::mean.dim(Tensor self, int[1]? dim, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor',
    ],
    infer: (a) => {
      const dtype = dtypeArg(a) ?? a.tensor('self').tensor.dtype;
      requireFloating(a, dtype);
      return [reductionType(a, dtype)];
    },
    lower: { 7: castingReduction('ReduceMean') },
  },
  {
    schemas: ['aten::logsumexp(Tensor self, int[1] dim, bool keepdim=False) -> Tensor'],
    infer: (a) => {
      const dtype = a.tensor('self').tensor.dtype;
      return [reductionType(a, isFloating(dtype) ? dtype : 'float32')];
    },
    lower: { 7: castingReduction('ReduceLogSumExp') },
  },
  {
    schemas: ['aten::cumsum(Tensor self, int dim, *, ScalarType? dtype=None) -> Tensor'],
    infer: (a) => {
      const self = a.tensor('self');
      axis(a.int('dim'), rankOf(self));
      return [tensorOf(accumulatedDtype(a), shapeOf(self))];
    },
    lower: {
      11: (ctx, a) => {
        const self = a.tensor('self');
        const out = outDtype(ctx);
        const compute = accumulateDtype(out, ctx.opset, true);
        const d = rankOf(self) === 0 ? 0 : axis(a.int('dim'), rankOf(self));
        const x = operand(ctx, self, compute);
        const summed = rankOf(self) === 0 ? x : ctx.b.op1('CumSum', [x, ctx.b.scalar('int64', d)]);
        return [castTo(ctx, summed, compute, out)];
      },
    },
  },
];

// ---------------------------------------------------------------------------------------------
// max / min / amax / amin / argmax / argmin
// ---------------------------------------------------------------------------------------------

function orderedReduce(ctx: LowerContext, opType: 'ReduceMax' | 'ReduceMin', self: GValue, axes: Axes, keepdim: boolean): string {
  const dtype = self.tensor.dtype;
  const compute = orderedDtype(dtype, ctx.opset);
  return castTo(ctx, reduce(ctx, opType, operand(ctx, self, compute), axes, keepdim), compute, dtype);
}

function argReduce(ctx: LowerContext, opType: 'ArgMax' | 'ArgMin', x: string, d: number, keepdim: boolean): string {
  return ctx.b.op1(opType, [x], { axis: d, keepdims: keepdim ? 1 : 0 });
}

/** max/min: over everything (`max(x)`), along a dim with indices (`max.dim`), or element-wise (`max.other`). */
function maxMinDef(name: 'max' | 'min'): OpDef {
  const reduceOp = name === 'max' ? 'ReduceMax' : 'ReduceMin';
  const argOp = name === 'max' ? 'ArgMax' : 'ArgMin';
  return {
    schemas: [
      `aten::${name}(Tensor self) -> Tensor`,
      `aten::${name}.dim(Tensor self, int dim, bool keepdim=False) -> (Tensor values, Tensor indices)`,
      `aten::${name}.other(Tensor self, Tensor other) -> Tensor`,
    ],
    infer: (a): ValueType[] => {
      const self = a.tensor('self');
      if (a.schema.overload === 'other') return [elementwiseType([self, a.tensor('other')])];
      if (a.schema.overload === 'dim') {
        const t = reductionType(a, self.tensor.dtype);
        return [t, tensorOf('int64', t.shape)];
      }
      return [tensorOf(self.tensor.dtype, [])];
    },
    lower: {
      7: (ctx, a) => {
        const self = a.tensor('self');
        if (a.schema.overload === 'other') {
          needOpset(ctx, 8, `${name}(Tensor, Tensor)`);
          return [elementwiseMinMax(ctx, name === 'max' ? 'Max' : 'Min', self, a.tensor('other'), outDtype(ctx))];
        }
        if (a.schema.overload !== 'dim') return [orderedReduce(ctx, reduceOp, self, undefined, false)];
        const keepdim = a.bool('keepdim');
        const axes = axesArg(a, 'dim');
        const values = orderedReduce(ctx, reduceOp, self, axes, keepdim);
        if (axes === undefined) return [values, ctx.b.scalar('int64', 0)];
        const compute = orderedDtype(self.tensor.dtype, ctx.opset);
        return [values, argReduce(ctx, argOp, operand(ctx, self, compute), axes[0], keepdim)];
      },
    },
  };
}

function amaxAminDef(name: 'amax' | 'amin'): OpDef {
  return {
    schemas: [`aten::${name}(Tensor self, int[1] dim=[], bool keepdim=False) -> Tensor`],
    infer: (a) => [reductionType(a, a.tensor('self').tensor.dtype)],
    lower: {
      7: (ctx, a) => [orderedReduce(ctx, name === 'amax' ? 'ReduceMax' : 'ReduceMin', a.tensor('self'), axesArg(a, 'dim'), a.bool('keepdim'))],
    },
  };
}

/** argmax/argmin; without `dim` over the flattened tensor (keepdim then gives all-ones dims). */
function argDef(name: 'argmax' | 'argmin'): OpDef {
  const opType = name === 'argmax' ? 'ArgMax' : 'ArgMin';
  return {
    schemas: [`aten::${name}(Tensor self, int? dim=None, bool keepdim=False) -> Tensor`],
    infer: (a) => {
      const shape = shapeOf(a.tensor('self'));
      const keepdim = a.bool('keepdim');
      if (a.isNone('dim')) return [tensorOf('int64', keepdim ? shape.map(() => 1) : [])];
      return [tensorOf('int64', reducedShape(shape, [axis(a.int('dim'), shape.length)], keepdim))];
    },
    lower: {
      7: (ctx, a) => {
        const self = a.tensor('self');
        const rank = rankOf(self);
        const keepdim = a.bool('keepdim');
        const x = operand(ctx, self, orderedDtype(self.tensor.dtype, ctx.opset));
        if (!a.isNone('dim') && rank > 0) return [argReduce(ctx, opType, x, axis(a.int('dim'), rank), keepdim)];
        const flat = ctx.b.op1('Reshape', [x, ctx.b.int64s([-1])]);
        const index = argReduce(ctx, opType, flat, 0, false);
        if (!keepdim || rank === 0) return [index];
        return [ctx.b.op1('Reshape', [index, ctx.b.int64s(Array(rank).fill(1))])];
      },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// all / any
// ---------------------------------------------------------------------------------------------

/** all/any give bool, except for uint8 input, which torch keeps as uint8. */
function allAnyDef(name: 'all' | 'any'): OpDef {
  const opType = name === 'all' ? 'ReduceMin' : 'ReduceMax';
  return {
    schemas: [
      `aten::${name}(Tensor self) -> Tensor`,
      `aten::${name}.dim(Tensor self, int dim, bool keepdim=False) -> Tensor`,
      `aten::${name}.dims(Tensor self, int[]? dim=None, bool keepdim=False) -> Tensor`,
    ],
    infer: (a) => [reductionType(a, a.tensor('self').tensor.dtype === 'uint8' ? 'uint8' : 'bool')],
    lower: {
      7: (ctx, a) => {
        const truth = castTo(ctx, operand(ctx, a.tensor('self'), 'bool'), 'bool', 'int32');
        return [castTo(ctx, reduce(ctx, opType, truth, callAxes(a), keepdimOf(a)), 'int32', outDtype(ctx))];
      },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// std / var
// ---------------------------------------------------------------------------------------------

interface VarianceArgs {
  axes: Axes;
  correction: number;
  keepdim: boolean;
}

/** The three calling conventions: (unbiased), (dim, unbiased, keepdim), (dim, *, correction, keepdim). */
function varianceArgs(a: BoundArgs): VarianceArgs {
  const has = (name: string) => a.schema.args.some((arg) => arg.name === name);
  let correction = 1;
  if (has('unbiased')) correction = a.bool('unbiased') ? 1 : 0;
  if (has('correction') && !a.isNone('correction')) {
    const c = knownNumber(a.scalar('correction'));
    if (c === undefined) fail('TRACE_UNSUPPORTED', `${a.schema.name}: correction must be known at conversion time`);
    correction = c;
  }
  return { axes: callAxes(a), correction, keepdim: keepdimOf(a) };
}

function varianceType(a: BoundArgs): TensorType {
  const dtype = a.tensor('self').tensor.dtype;
  if (!isFloating(dtype)) fail('TRACE_TYPE', `${a.schema.name}: std and var only support floating point dtypes, got ${dtype}`);
  return reductionType(a, dtype);
}

/**
 * N - correction as a 0-d value of `dtype`, N being the number of elements reduced over: a constant
 * (floored at 0 like torch) when the dims are static, else computed from the run-time shape.
 */
function varianceDivisor(ctx: LowerContext, self: GValue, axes: Axes, correction: number, dtype: DType): string {
  const shape = shapeOf(self);
  const count = numel(axes === undefined ? shape : axes.map((i) => shape[i]));
  if (count !== undefined) return ctx.b.scalar(dtype, Math.max(0, count - correction));
  let sizes = ctx.b.op1('Shape', [ctx.input(self)]);
  if (axes !== undefined) sizes = ctx.b.op1('Gather', [sizes, ctx.b.int64s(axes)], { axis: 0 });
  const n = castTo(ctx, reduce(ctx, 'ReduceProd', sizes, undefined, false), 'int64', dtype);
  return correction === 0 ? n : ctx.b.op1('Sub', [n, ctx.b.scalar(dtype, correction)]);
}

/** var = Σ(x - mean)² / (N - correction), the mean taken with kept dims to broadcast back. */
function variance(ctx: LowerContext, a: BoundArgs): { variance: string; mean: string } {
  const self = a.tensor('self');
  const { axes, correction, keepdim } = varianceArgs(a);
  const dtype = self.tensor.dtype;
  const compute = accumulateDtype(dtype, ctx.opset);
  const b = ctx.b;
  const x = operand(ctx, self, compute);
  const keptMean = reduce(ctx, 'ReduceMean', x, axes, true);
  const centred = b.op1('Sub', [x, keptMean]);
  const squares = reduce(ctx, 'ReduceSum', b.op1('Mul', [centred, centred]), axes, keepdim);
  const divisor = varianceDivisor(ctx, self, axes, correction, compute);
  const v = castTo(ctx, b.op1('Div', [squares, divisor]), compute, dtype);
  const mean = keepdim ? keptMean : reduce(ctx, 'ReduceMean', x, axes, false);
  return { variance: v, mean: castTo(ctx, mean, compute, dtype) };
}

function varianceSchemas(name: string, returns: string): string[] {
  return [
    `aten::${name}(Tensor self, bool unbiased=True) -> ${returns}`,
    `aten::${name}.dim(Tensor self, int[1]? dim, bool unbiased=True, bool keepdim=False) -> ${returns}`,
    `aten::${name}.correction(Tensor self, int[1]? dim, *, int? correction, bool keepdim=False) -> ${returns}`,
    `aten::${name}.correction(Tensor self, int[1]? dim=None, *, Scalar? correction=None, bool keepdim=False) -> ${returns}`,
  ];
}

const varianceOps: OpDef[] = [
  {
    schemas: varianceSchemas('var', 'Tensor'),
    infer: (a) => [varianceType(a)],
    lower: { 7: (ctx, a) => [variance(ctx, a).variance] },
  },
  {
    schemas: varianceSchemas('std', 'Tensor'),
    infer: (a) => [varianceType(a)],
    lower: { 7: (ctx, a) => [ctx.b.op1('Sqrt', [variance(ctx, a).variance])] },
  },
  {
    schemas: varianceSchemas('var_mean', '(Tensor, Tensor)'),
    infer: (a) => [varianceType(a), varianceType(a)],
    lower: {
      7: (ctx, a) => {
        const { variance: v, mean } = variance(ctx, a);
        return [v, mean];
      },
    },
  },
  {
    schemas: varianceSchemas('std_mean', '(Tensor, Tensor)'),
    infer: (a) => [varianceType(a), varianceType(a)],
    lower: {
      7: (ctx, a) => {
        const { variance: v, mean } = variance(ctx, a);
        return [ctx.b.op1('Sqrt', [v]), mean];
      },
    },
  },
];

// ---------------------------------------------------------------------------------------------
// Norms
// ---------------------------------------------------------------------------------------------

/** The p of a norm: a known number (2 when None); `inf` arrives as a Python float. */
function normOrder(a: BoundArgs, name: string): number {
  if (a.isNone(name)) return 2;
  const p = knownNumber(a.scalar(name));
  if (p === undefined) return fail('TRACE_UNSUPPORTED', `${a.schema.name}: the norm order must be known at conversion time`);
  return p;
}

/** ‖x‖_p over axes: ReduceL1/L2 for 1 and 2, max/min |x| for ±inf, the non-zero count for 0, else (Σ|x|^p)^(1/p). */
function pNorm(ctx: LowerContext, x: string, dtype: DType, p: number, axes: Axes, keepdim: boolean): string {
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

function normType(a: BoundArgs): TensorType {
  const dtype = dtypeArg(a) ?? a.tensor('self').tensor.dtype;
  if (!isFloating(dtype)) fail('TRACE_TYPE', `${a.schema.name}: input dtype should be floating point, got ${dtype}`);
  return reductionType(a, dtype);
}

function normLowering(orderArg: string | undefined): Lowering {
  return (ctx, a) => {
    const out = outDtype(ctx);
    const compute = accumulateDtype(out, ctx.opset);
    const x = operand(ctx, a.tensor('self'), compute);
    const p = orderArg === undefined ? 2 : normOrder(a, orderArg);
    return [castTo(ctx, pNorm(ctx, x, compute, p, callAxes(a), keepdimOf(a)), compute, out)];
  };
}

const normOps: OpDef[] = [
  {
    schemas: [
      'aten::norm.Scalar(Tensor self, Scalar p=2) -> Tensor',
      'aten::norm.ScalarOpt_dim(Tensor self, Scalar? p, int[1] dim, bool keepdim=False) -> Tensor',
      'aten::norm.ScalarOpt_dim_dtype(Tensor self, Scalar? p, int[1] dim, bool keepdim, *, ScalarType dtype) -> Tensor',
      'aten::norm.ScalarOpt_dtype(Tensor self, Scalar? p, *, ScalarType dtype) -> Tensor',
    ],
    infer: (a) => [normType(a)],
    lower: { 7: normLowering('p') },
  },
  {
    schemas: [
      'aten::linalg_vector_norm(Tensor self, Scalar ord=2, int[1]? dim=None, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor',
    ],
    infer: (a) => [normType(a)],
    lower: { 7: normLowering('ord') },
  },
  {
    schemas: [
      'aten::frobenius_norm(Tensor self) -> Tensor',
      'aten::frobenius_norm.dim(Tensor self, int[1] dim, bool keepdim=False) -> Tensor',
    ],
    infer: (a) => [normType(a)],
    lower: { 7: normLowering(undefined) },
  },
];

export const reduceOps: readonly OpDef[] = [
  ...sumLike,
  maxMinDef('max'),
  maxMinDef('min'),
  amaxAminDef('amax'),
  amaxAminDef('amin'),
  argDef('argmax'),
  argDef('argmin'),
  allAnyDef('all'),
  allAnyDef('any'),
  ...varianceOps,
  ...normOps,
];
