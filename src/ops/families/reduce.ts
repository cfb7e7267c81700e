/**
 * Reductions: sum, mean, prod, max/min, aminmax, argmax/argmin, std/var, norms, logsumexp, all/any,
 * count_nonzero; scans (cumsum, cumprod, logcumsumexp, cummax/cummin); order statistics (kthvalue, median).
 */
import type { DType } from '../../archive/types.js';
import { fail } from '../../errors.js';
import type { Dim, GValue, TensorType, ValueType } from '../../ir/torch-graph.js';
import { type BoundArgs, optDtype } from '../args.js';
import { elementwiseMinMax, knownNumber, outDtype, pNorm } from '../builders.js';
import { isFloating, isIntegral } from '../dtypes.js';
import { axis, castTo, elementwiseType, numel, operand, rankOf, shapeOf, tensorOf } from '../helpers.js';
import { type Axes, needOpset, reduce, reshape, unsqueeze } from '../opset.js';
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
        // PyTorch's CPU kernel adds float32 in double (its acc_type): long running sums stay as exact.
        const compute = out === 'float32' ? 'float64' : accumulateDtype(out, ctx.opset, true);
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
    // Known values (a transform's image sizes through torch.tensor) give a known result; NaN wins, as in torch.
    evaluate: (a) => {
      const pick = (x: number, y: number) => (Number.isNaN(x) || Number.isNaN(y) ? NaN : name === 'max' ? Math.max(x, y) : Math.min(x, y));
      const self = a.tensor('self');
      if (!self.known || a.schema.overload === 'dim') return undefined;
      if (a.schema.overload !== 'other') {
        if (self.known.values.length === 0) return undefined;
        return [{ type: tensorOf(self.tensor.dtype, []), values: [self.known.values.reduce(pick)] }];
      }
      const other = a.tensor('other').known;
      const type = elementwiseType([self, a.tensor('other')]);
      const count = numel(type.shape);
      const [x, y] = [self.known.values, other?.values ?? []];
      // Only equal shapes or a single value on one side: no general broadcasting here.
      if (!other || count === undefined || !(x.length === count || x.length === 1) || !(y.length === count || y.length === 1)) return undefined;
      if (!type.shape.every((d, i) => x.length === 1 || d === shapeOf(self)[i]) || !type.shape.every((d, i) => y.length === 1 || d === shapeOf(a.tensor('other'))[i])) return undefined;
      const values = Array.from({ length: count }, (_, i) => pick(x[x.length === 1 ? 0 : i], y[y.length === 1 ? 0 : i]));
      return [{ type, values: type.dtype === 'float32' ? values.map(Math.fround) : values }];
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

// ---------------------------------------------------------------------------------------------
// aminmax / count_nonzero
// ---------------------------------------------------------------------------------------------

/**
 * 1 where a reduced slice of `x` holds no NaN, NaN (0/0) where it does: a factor that makes a
 * ReduceMin/Max result NaN the way torch's is (ORT's skip NaN). NaN is told by failing both `< +inf`
 * and `> -inf`, as IsNaN only exists from opset 9; the test runs in float32 or float64.
 */
function nanFactor(ctx: LowerContext, x: string, dtype: DType, axes: Axes, keepdim: boolean): string {
  const b = ctx.b;
  const test = dtype === 'float64' ? 'float64' : 'float32';
  const v = castTo(ctx, x, dtype, test);
  const number = b.op1('Or', [b.op1('Less', [v, b.scalar(test, Infinity)]), b.op1('Greater', [v, b.scalar(test, -Infinity)])]);
  const allNumbers = reduce(ctx, 'ReduceMin', castTo(ctx, number, 'bool', test), axes, keepdim);
  return castTo(ctx, b.op1('Div', [allNumbers, allNumbers]), test, dtype);
}

const aminmaxDef: OpDef = {
  schemas: ['aten::aminmax(Tensor self, *, int? dim=None, bool keepdim=False) -> (Tensor min, Tensor max)'],
  infer: (a) => {
    const t = reductionType(a, a.tensor('self').tensor.dtype);
    return [t, t];
  },
  lower: {
    7: (ctx, a) => {
      const self = a.tensor('self');
      const axes = axesArg(a, 'dim');
      const keepdim = a.bool('keepdim');
      const dtype = self.tensor.dtype;
      const compute = orderedDtype(dtype, ctx.opset);
      const x = operand(ctx, self, compute);
      const extremes = (['ReduceMin', 'ReduceMax'] as const).map((opType) => reduce(ctx, opType, x, axes, keepdim));
      const factor = isFloating(compute) ? nanFactor(ctx, x, compute, axes, keepdim) : undefined;
      return extremes.map((e) => castTo(ctx, factor ? ctx.b.op1('Mul', [e, factor]) : e, compute, dtype));
    },
  },
};

/** The number of non-zero elements (NaN counts, as in torch) over `dim`, all dims when None or []. */
const countNonzeroDef: OpDef = {
  schemas: ['aten::count_nonzero(Tensor self, int? dim=None) -> Tensor', 'aten::count_nonzero.dim_IntList(Tensor self, int[] dim) -> Tensor'],
  infer: (a) => [reductionType(a, 'int64')],
  lower: {
    7: (ctx, a) => {
      const nonzero = castTo(ctx, operand(ctx, a.tensor('self'), 'bool'), 'bool', 'int64');
      return [reduce(ctx, 'ReduceSum', nonzero, callAxes(a), false)];
    },
  },
};

// ---------------------------------------------------------------------------------------------
// Scans: cumprod / logcumsumexp / cummax / cummin
// ---------------------------------------------------------------------------------------------

/** A dim of `self` as torch wraps it: a 0-d tensor takes 0 and -1, like a 1-D one. */
function dimOfSelf(a: BoundArgs): number {
  return axis(a.int('dim'), Math.max(1, rankOf(a.tensor('self'))));
}

/**
 * The bool mask `j > i` over positions along dim `d` of `self`, shaped [n, n, 1, ...] so that it
 * broadcasts against x unsqueezed at `d` (i on axis d, j on axis d + 1). A dynamic size needs Range (11).
 */
function laterMask(ctx: LowerContext, self: GValue, d: number): string {
  const b = ctx.b;
  const trailing: number[] = Array(rankOf(self) - d - 1).fill(1);
  const n = shapeOf(self)[d];
  if (typeof n === 'number') {
    const positions = Array.from({ length: n }, (_, k) => k);
    return b.op1('Greater', [b.constant('int64', [1, n, ...trailing], positions), b.constant('int64', [n, 1, ...trailing], positions)]);
  }
  needOpset(ctx, 11, `${ctx.node.op} along the dynamic dimension '${n}' (Range)`);
  const size = b.op1('Gather', [b.op1('Shape', [ctx.input(self)]), b.scalar('int64', d)], { axis: 0 });
  const positions = b.op1('Range', [b.scalar('int64', 0), size, b.scalar('int64', 1)]);
  const j = b.op1('Reshape', [positions, b.int64s([1, -1, ...trailing])]);
  const i = b.op1('Reshape', [positions, b.int64s([-1, 1, ...trailing])]);
  return b.op1('Greater', [j, i]);
}

/**
 * A scan as a masked reduction: out[..., i, ...] = opType over j ≤ i of x[..., j, ...]. Each x is set
 * against every i on a new axis, the later elements replaced by `fill` (the reduction's identity).
 * It costs n² in the scanned size, but is a handful of ONNX ops from opset 9 (Where).
 */
function maskedScan(ctx: LowerContext, self: GValue, x: string, d: number, opType: string, fill: string): string {
  const masked = ctx.b.op1('Where', [laterMask(ctx, self, d), fill, unsqueeze(ctx, x, [d])]);
  return reduce(ctx, opType, masked, [d + 1], false);
}

/** Float dtypes ordered in float32 (exact for 16-bit floats), integers in int32 unless int64: what TopK, Equal and ReduceMax take. */
function orderDtype(dtype: DType): DType {
  if (isFloating(dtype)) return dtype === 'float64' ? 'float64' : 'float32';
  return dtype === 'int64' ? 'int64' : 'int32';
}

/** The smallest or largest value of an order dtype, the identity of a running max or min. */
function extreme(dtype: DType, which: 'lowest' | 'highest'): number | bigint {
  const sign = which === 'lowest' ? -1 : 1;
  if (dtype === 'int64') return which === 'lowest' ? -(2n ** 63n) : 2n ** 63n - 1n;
  if (dtype === 'int32') return which === 'lowest' ? -(2 ** 31) : 2 ** 31 - 1;
  return sign * Infinity;
}

function cumExtremeDef(name: 'cummax' | 'cummin'): OpDef {
  const opType = name === 'cummax' ? 'ReduceMax' : 'ReduceMin';
  return {
    schemas: [`aten::${name}(Tensor self, int dim) -> (Tensor values, Tensor indices)`],
    infer: (a) => {
      const self = a.tensor('self');
      dimOfSelf(a);
      return [self.type, tensorOf('int64', shapeOf(self))];
    },
    lower: {
      12: (ctx, a) => {
        const self = a.tensor('self');
        if (rankOf(self) === 0) return [ctx.input(self), ctx.b.scalar('int64', 0)];
        const b = ctx.b;
        const d = dimOfSelf(a);
        const dtype = self.tensor.dtype;
        const compute = orderDtype(dtype);
        const x = operand(ctx, self, compute);
        const fill = b.scalar(compute, extreme(compute, name === 'cummax' ? 'lowest' : 'highest'));
        const later = laterMask(ctx, self, d);
        const lastOf = (bools: string) =>
          b.op1('ArgMax', [castTo(ctx, b.op1('And', [bools, b.op1('Not', [later])]), 'bool', 'float32')], { axis: d + 1, keepdims: 0, select_last_index: 1 });
        let values = maskedScan(ctx, self, x, d, opType, fill);
        // torch moves the index to every element equal to the running extreme: the last j ≤ i reaching it.
        let indices = lastOf(b.op1('Equal', [unsqueeze(ctx, x, [d]), unsqueeze(ctx, values, [d + 1])]));
        if (isFloating(compute)) {
          // From the first NaN on, the extreme is NaN and the index follows every later NaN.
          const nan = unsqueeze(ctx, b.op1('IsNaN', [x]), [d]);
          const nanBefore = b.op1('Where', [later, b.scalar('int32', 0), castTo(ctx, nan, 'bool', 'int32')]);
          const seen = castTo(ctx, reduce(ctx, 'ReduceMax', nanBefore, [d + 1], false), 'int32', 'bool');
          values = b.op1('Where', [seen, b.scalar(compute, NaN), values]);
          indices = b.op1('Where', [seen, lastOf(nan), indices]);
        }
        return [castTo(ctx, values, compute, dtype), indices];
      },
    },
  };
}

const scanOps: OpDef[] = [
  {
    schemas: ['aten::cumprod(Tensor self, int dim, *, ScalarType? dtype=None) -> Tensor'],
    infer: (a) => {
      dimOfSelf(a);
      return [tensorOf(accumulatedDtype(a), shapeOf(a.tensor('self')))];
    },
    lower: {
      9: (ctx, a) => {
        const self = a.tensor('self');
        const out = outDtype(ctx);
        const compute = accumulateDtype(out, ctx.opset);
        const x = operand(ctx, self, compute);
        if (rankOf(self) === 0) return [castTo(ctx, x, compute, out)];
        return [castTo(ctx, maskedScan(ctx, self, x, dimOfSelf(a), 'ReduceProd', ctx.b.scalar(compute, 1)), compute, out)];
      },
    },
  },
  {
    schemas: ['aten::logcumsumexp(Tensor self, int dim) -> Tensor'],
    infer: (a) => {
      const self = a.tensor('self');
      dimOfSelf(a);
      if (!isFloating(self.tensor.dtype)) fail('TRACE_TYPE', `aten::logcumsumexp: not implemented for ${self.tensor.dtype} tensors`);
      return [self.type];
    },
    lower: {
      // ReduceLogSumExp subtracts the maximum first, so large and very negative inputs stay finite.
      9: (ctx, a) => {
        const self = a.tensor('self');
        if (rankOf(self) === 0) return [ctx.input(self)];
        const dtype = self.tensor.dtype;
        const compute = orderDtype(dtype);
        const x = operand(ctx, self, compute);
        const scanned = maskedScan(ctx, self, x, dimOfSelf(a), 'ReduceLogSumExp', ctx.b.scalar(compute, -Infinity));
        return [castTo(ctx, scanned, compute, dtype)];
      },
    },
  },
  cumExtremeDef('cummax'),
  cumExtremeDef('cummin'),
];

// ---------------------------------------------------------------------------------------------
// kthvalue / median
// ---------------------------------------------------------------------------------------------

/**
 * How NaN ranks: `largest` above every number (kthvalue), or `propagate`: a slice holding one has
 * the median NaN at its first NaN's index (median).
 */
type NanRule = 'largest' | 'propagate';

/**
 * The k-th smallest of `x` (in `orderDtype(dtype)`) along `d` and its index, the dim dropped or kept:
 * TopK of the k smallest, ascending, so the k-th is the last. `k` is a known number or a 1-D int64
 * value of one element. Values come back in `dtype`. TopK does not order NaN, so floats sort NaN as
 * +inf and correct the result by `nanRule`.
 */
function kthSmallest(ctx: LowerContext, x: string, dtype: DType, d: number, k: number | string, keepdim: boolean, nanRule: NanRule): string[] {
  const b = ctx.b;
  const compute = orderDtype(dtype);
  const kVector = typeof k === 'number' ? b.int64s([k]) : k;
  const nan = isFloating(compute) ? b.op1('IsNaN', [x]) : undefined;
  const keys = nan ? b.op1('Where', [nan, b.scalar(compute, Infinity), x]) : x;
  const [sorted, sortedIndices] = b.op('TopK', [keys, kVector], { axis: d, largest: 0, sorted: 1 }, 2);
  const last = b.scalar('int64', -1);
  let value = b.op1('Gather', [sorted, last], { axis: d });
  let index = b.op1('Gather', [sortedIndices, last], { axis: d });
  const firstWhere = (bools: string) => b.op1('ArgMax', [castTo(ctx, bools, 'bool', 'float32')], { axis: d, keepdims: 0 });
  if (nan && nanRule === 'largest') {
    // Past the numbers of the slice, the k-th smallest is its (k - numbers)-th NaN.
    const numbers = reduce(ctx, 'ReduceSum', castTo(ctx, b.op1('Not', [nan]), 'bool', 'int64'), [d], false);
    const kScalar = typeof k === 'number' ? b.scalar('int64', k) : reshape(ctx, k, b.int64s([]));
    const beyond = b.op1('Greater', [kScalar, numbers]);
    const nanCount = b.op1('CumSum', [castTo(ctx, nan, 'bool', 'int64'), b.scalar('int64', d)]);
    const nthNan = firstWhere(b.op1('And', [nan, b.op1('Equal', [nanCount, unsqueeze(ctx, b.op1('Sub', [kScalar, numbers]), [d])])]));
    // A +inf key may be a NaN: the k-th smallest +inf is then a real one.
    const infinity = b.scalar(compute, Infinity);
    const realInf = firstWhere(b.op1('Equal', [x, infinity]));
    index = b.op1('Where', [beyond, nthNan, b.op1('Where', [b.op1('Equal', [value, infinity]), realInf, index])]);
    value = b.op1('Where', [beyond, b.scalar(compute, NaN), value]);
  } else if (nan) {
    const flags = castTo(ctx, nan, 'bool', 'float32');
    const hasNan = castTo(ctx, reduce(ctx, 'ReduceMax', flags, [d], false), 'float32', 'bool');
    value = b.op1('Where', [hasNan, b.scalar(compute, NaN), value]);
    index = b.op1('Where', [hasNan, firstWhere(nan), index]);
  }
  const kept = (v: string) => (keepdim ? unsqueeze(ctx, v, [d]) : v);
  return [castTo(ctx, kept(value), compute, dtype), kept(index)];
}

function orderStatisticType(a: BoundArgs, d: number, keepdim: boolean): ValueType[] {
  const self = a.tensor('self');
  const shape = reducedShape(shapeOf(self), rankOf(self) === 0 ? undefined : [d], keepdim);
  return [tensorOf(self.tensor.dtype, shape), tensorOf('int64', shape)];
}

/** The lower median's rank, (n - 1) // 2 + 1, along `d`: known, or from the run-time size as a 1-D value. */
function medianRank(ctx: LowerContext, x: string, size: Dim | undefined, d: number): number | string {
  if (typeof size === 'number') return Math.floor((size - 1) / 2) + 1;
  const b = ctx.b;
  const n = b.op1('Gather', [b.op1('Shape', [x]), b.int64s([d])], { axis: 0 });
  return b.op1('Add', [b.op1('Div', [b.op1('Sub', [n, b.int64s([1])]), b.int64s([2])]), b.int64s([1])]);
}

function requireElements(op: string, size: Dim): void {
  if (size === 0) fail('TRACE_UNSUPPORTED', `${op}: an empty tensor has no element to select`);
}

const orderStatisticOps: OpDef[] = [
  {
    schemas: ['aten::kthvalue(Tensor self, int k, int dim=-1, bool keepdim=False) -> (Tensor values, Tensor indices)'],
    infer: (a) => {
      const self = a.tensor('self');
      const d = dimOfSelf(a);
      const n = rankOf(self) === 0 ? 1 : shapeOf(self)[d];
      const k = a.int('k');
      if (k < 1 || (typeof n === 'number' && k > n)) fail('TRACE_TYPE', `kthvalue(): selected number k=${k} out of range for dimension ${d} of size ${n}`);
      return orderStatisticType(a, d, a.bool('keepdim'));
    },
    lower: {
      11: (ctx, a) => {
        const self = a.tensor('self');
        if (rankOf(self) === 0) return [ctx.input(self), ctx.b.scalar('int64', 0)];
        const dtype = self.tensor.dtype;
        const x = operand(ctx, self, orderDtype(dtype));
        return kthSmallest(ctx, x, dtype, dimOfSelf(a), a.int('k'), a.bool('keepdim'), 'largest');
      },
    },
  },
  {
    schemas: [
      'aten::median(Tensor self) -> Tensor',
      'aten::median.dim(Tensor self, int dim, bool keepdim=False) -> (Tensor values, Tensor indices)',
    ],
    infer: (a) => {
      const self = a.tensor('self');
      if (a.schema.overload !== 'dim') {
        requireElements('median', numel(shapeOf(self)) ?? 1);
        return [tensorOf(self.tensor.dtype, [])];
      }
      const d = dimOfSelf(a);
      if (rankOf(self) > 0) requireElements('median', shapeOf(self)[d]);
      return orderStatisticType(a, d, a.bool('keepdim'));
    },
    lower: {
      11: (ctx, a) => {
        const self = a.tensor('self');
        const shape = shapeOf(self);
        const dtype = self.tensor.dtype;
        if (a.schema.overload === 'dim' && rankOf(self) === 0) return [ctx.input(self), ctx.b.scalar('int64', 0)];
        const x = operand(ctx, self, orderDtype(dtype));
        if (a.schema.overload !== 'dim') {
          const flat = ctx.b.op1('Reshape', [x, ctx.b.int64s([-1])]);
          return [kthSmallest(ctx, flat, dtype, 0, medianRank(ctx, flat, numel(shape), 0), false, 'propagate')[0]];
        }
        const d = dimOfSelf(a);
        return kthSmallest(ctx, x, dtype, d, medianRank(ctx, x, shape[d], d), a.bool('keepdim'), 'propagate');
      },
    },
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
  aminmaxDef,
  countNonzeroDef,
  ...scanOps,
  ...orderStatisticOps,
];
