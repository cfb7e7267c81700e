/** Activation functions, softmax and log_softmax. */
import type { DType } from '../../archive/types.js';
import { fail } from '../../errors.js';
import type { OnnxAttrs } from '../../ir/onnx-graph.js';
import type { Dim, TensorType } from '../../ir/torch-graph.js';
import { type BoundArgs, optDtype } from '../args.js';
import { clamp, floatFunction, gelu, knownNumber, leakyRelu, softplus as softplusOf } from '../builders.js';
import { isFloating } from '../dtypes.js';
import { axis, operand, rankOf, tensorOf } from '../helpers.js';
import { needOpset } from '../opset.js';
import type { LowerContext, Lowering, OpDef } from '../registry.js';

/** Activations torch only implements for floating-point tensors ("not implemented for 'Long'"). */
function floatingSelf(a: BoundArgs): TensorType {
  const t = a.tensor('self').tensor;
  if (!isFloating(t.dtype)) fail('TRACE_TYPE', `${a.schema.name} is not implemented for ${t.dtype} tensors in torch`);
  return t;
}

function num(a: BoundArgs, name: string): number {
  const value = knownNumber(a.scalar(name));
  if (value === undefined) return fail('TRACE_UNSUPPORTED', `${a.schema.name}: ${name} must be known at conversion time`);
  return value;
}

/** A float-only activation `self -> build(x)` that keeps the input's dtype and shape. */
function floatActivation(schema: string, opset: number, build: (ctx: LowerContext, x: string, dtype: DType, a: BoundArgs) => string): OpDef {
  return {
    schemas: [schema],
    infer: (a) => [floatingSelf(a)],
    lower: { [opset]: (ctx: LowerContext, a: BoundArgs) => [build(ctx, ctx.input(a.tensor('self')), a.tensor('self').tensor.dtype, a)] },
  };
}

function sigmoidTimesSelf(ctx: LowerContext, x: string): string {
  return ctx.b.op1('Mul', [x, ctx.b.op1('Sigmoid', [x])]);
}

function hardSigmoid(ctx: LowerContext, x: string): string {
  return ctx.b.op1('HardSigmoid', [x], { alpha: { f: 1 / 6 }, beta: { f: 0.5 } });
}

function approximateOf(a: BoundArgs): 'none' | 'tanh' {
  const approximate = a.str('approximate');
  if (approximate !== 'none' && approximate !== 'tanh') fail('TRACE_TYPE', `gelu: approximate must be 'none' or 'tanh', got '${approximate}'`);
  return approximate as 'none' | 'tanh';
}

/** elu(x) = scale · (x > 0 ? x : alpha · (exp(input_scale · x) - 1)). */
function elu(ctx: LowerContext, x: string, dtype: DType, a: BoundArgs): string {
  const b = ctx.b;
  const alpha = num(a, 'alpha');
  const scale = num(a, 'scale');
  const inputScale = num(a, 'input_scale');
  let y: string;
  if (inputScale === 1) {
    y = b.op1('Elu', [x], { alpha: { f: alpha } });
  } else {
    needOpset(ctx, 9, 'elu with input_scale');
    const negative = b.op1('Mul', [b.scalar(dtype, alpha), b.op1('Sub', [b.op1('Exp', [b.op1('Mul', [x, b.scalar(dtype, inputScale)])]), b.scalar(dtype, 1)])]);
    y = b.op1('Where', [b.op1('Greater', [x, b.scalar(dtype, 0)]), x, negative]);
  }
  return scale === 1 ? y : b.op1('Mul', [y, b.scalar(dtype, scale)]);
}

/** softplus(x) = x · beta > threshold ? x : log(1 + exp(x · beta)) / beta. */
function softplus(ctx: LowerContext, x: string, dtype: DType, a: BoundArgs): string {
  const b = ctx.b;
  const beta = num(a, 'beta');
  const threshold = num(a, 'threshold');
  const scaled = beta === 1 ? x : b.op1('Mul', [x, b.scalar(dtype, beta)]);
  let soft = softplusOf(ctx, scaled, dtype);
  if (beta !== 1) soft = b.op1('Div', [soft, b.scalar(dtype, beta)]);
  return b.op1('Where', [b.op1('Greater', [scaled, b.scalar(dtype, threshold)]), x, soft]);
}

/** mish(x) = x · tanh(softplus(x)). */
function mish(ctx: LowerContext, a: BoundArgs): string {
  const x = ctx.input(a.tensor('self'));
  return ctx.b.op1('Mul', [x, ctx.b.op1('Tanh', [softplusOf(ctx, x, a.tensor('self').tensor.dtype)])]);
}

/** torch's weight is per channel (dim 1); ONNX PRelu broadcasts from the right, so align it. */
function prelu(ctx: LowerContext, a: BoundArgs): string {
  const self = a.tensor('self');
  const weight = a.tensor('weight');
  const rank = rankOf(self);
  const weightShape = weight.tensor.shape;
  let slope = ctx.input(weight);
  if (rank === 0) {
    slope = ctx.b.op1('Reshape', [slope, ctx.b.int64s([])]);
  } else if (rank >= 2 && weightShape.length === 1 && weightShape[0] !== 1) {
    slope = ctx.b.op1('Reshape', [slope, ctx.b.int64s([-1, ...Array(rank - 2).fill(1)])]);
  }
  return ctx.b.op1('PRelu', [ctx.input(self), slope]);
}

function gluType(a: BoundArgs): TensorType {
  const t = floatingSelf(a);
  if (t.shape.length === 0) fail('TRACE_TYPE', 'glu does not support 0-dimensional tensors');
  const d = axis(a.int('dim'), t.shape.length);
  const size = t.shape[d];
  if (typeof size === 'number' && size % 2 !== 0) fail('TRACE_TYPE', `Halving dimension must be even, but dimension ${d} is size ${size}`);
  const shape: Dim[] = [...t.shape];
  shape[d] = typeof size === 'number' ? size / 2 : `glu_dim_${d}`;
  return tensorOf(t.dtype, shape);
}

function glu(ctx: LowerContext, a: BoundArgs): string {
  const self = a.tensor('self');
  const d = axis(a.int('dim'), rankOf(self));
  const attrs: OnnxAttrs = ctx.opset >= 18 ? { axis: d, num_outputs: 2 } : { axis: d };
  const [first, second] = ctx.b.op('Split', [ctx.input(self)], attrs, 2);
  return ctx.b.op1('Mul', [first, ctx.b.op1('Sigmoid', [second])]);
}

function softmaxOutput(a: BoundArgs, dtype: DType): TensorType {
  const t = a.tensor('self').tensor;
  if (!isFloating(dtype)) fail('TRACE_TYPE', `${a.schema.name} is not implemented for ${dtype} tensors in torch`);
  axis(a.int('dim'), t.shape.length);
  return tensorOf(dtype, t.shape);
}

/** softmax's output dtype: the `dtype` argument (the input is cast first), else the input's, which must be floating. */
function softmaxType(a: BoundArgs): TensorType {
  return softmaxOutput(a, optDtype(a, 'dtype') ?? a.tensor('self').tensor.dtype);
}

/** _softmax's and _log_softmax's output dtype: float32 for a float16 input with half_to_float, else the input's. */
function halfToFloatType(a: BoundArgs): TensorType {
  const dtype = a.tensor('self').tensor.dtype;
  return softmaxOutput(a, dtype === 'float16' && a.bool('half_to_float') ? 'float32' : dtype);
}

/**
 * Softmax/LogSoftmax over `dim`. Before opset 13 ONNX flattens everything from `axis` on into one
 * row, which equals torch's dim only for the last axis: swap dim with the last axis around it.
 */
function softmaxLike(opType: 'Softmax' | 'LogSoftmax', typeOf: (a: BoundArgs) => TensorType = softmaxType): Lowering {
  return (ctx, a) => {
    const self = a.tensor('self');
    const out = typeOf(a).dtype;
    const rank = rankOf(self);
    const x = operand(ctx, self, out);
    if (rank === 0) {
      // A 0-d tensor is its own single-element row.
      const row = ctx.b.op1(opType, [ctx.b.op1('Reshape', [x, ctx.b.int64s([1])])], { axis: 0 });
      return [ctx.b.op1('Reshape', [row, ctx.b.int64s([])])];
    }
    const d = axis(a.int('dim'), rank);
    if (ctx.opset >= 13 || d === rank - 1) return [ctx.b.op1(opType, [x], { axis: d })];
    const perm = [...Array(rank).keys()];
    [perm[d], perm[rank - 1]] = [perm[rank - 1], perm[d]];
    const moved = ctx.b.op1('Transpose', [x], { perm });
    const y = ctx.b.op1(opType, [moved], { axis: rank - 1 });
    return [ctx.b.op1('Transpose', [y], { perm })];
  };
}

/** relu on integer tensors: onnxruntime has no integer Relu kernel, so clamp at 0; uint8 is never negative. */
function relu(ctx: LowerContext, a: BoundArgs): string {
  const self = a.tensor('self');
  const dtype = self.tensor.dtype;
  if (isFloating(dtype)) return ctx.b.op1('Relu', [ctx.input(self)]);
  if (dtype === 'uint8') return ctx.input(self);
  return clamp(ctx, self, 0, undefined, dtype);
}

function sameAsSelf(a: BoundArgs): TensorType {
  const t = a.tensor('self').tensor;
  if (t.dtype === 'bool') fail('TRACE_TYPE', `${a.schema.name} is not implemented for bool tensors in torch`);
  return t;
}

/** log_sigmoid(x) = −softplus(−x): Log(Sigmoid(x)) would round to −inf where sigmoid underflows (x < −88 in float32). */
function logSigmoid(ctx: LowerContext, x: string, dtype: DType): string {
  return ctx.b.op1('Neg', [softplusOf(ctx, ctx.b.op1('Neg', [x]), dtype)]);
}

/** logit computes in float32 for integer and bool inputs, as torch's unary float ops do. */
function logitType(a: BoundArgs): TensorType {
  const t = a.tensor('self').tensor;
  return tensorOf(isFloating(t.dtype) ? t.dtype : 'float32', t.shape);
}

/** logit(x) = log(z / (1 − z)), z = x clamped to [eps, 1 − eps]; torch clamps only for eps ≥ 0. */
function logit(ctx: LowerContext, a: BoundArgs): string {
  const self = a.tensor('self');
  const out = logitType(a).dtype;
  const eps = a.optFloat('eps');
  const z = eps !== undefined && eps >= 0 ? clamp(ctx, self, eps, 1 - eps, out) : operand(ctx, self, out);
  const odds = ctx.b.op1('Div', [z, ctx.b.op1('Sub', [ctx.b.scalar(out, 1), z])]);
  return ctx.b.op1('Log', [odds]);
}

/** rrelu in eval mode is leaky_relu with the mean slope; in training its slopes are random, which no fixed graph reproduces. */
function rrelu(ctx: LowerContext, x: string, dtype: DType, a: BoundArgs): string {
  if (a.bool('training')) fail('TRACE_UNSUPPORTED', 'rrelu with training=True draws random slopes: only eval mode (training=False) converts');
  return leakyRelu(ctx, x, dtype, (num(a, 'lower') + num(a, 'upper')) / 2);
}

const NUMBER_TANH = [
  'aten::tanh.int(int a) -> float',
  'aten::tanh.float(float a) -> float',
  'aten::tanh.Scalar(Scalar a) -> Scalar',
];

export const activationOps: readonly OpDef[] = [
  {
    schemas: ['aten::relu(Tensor self) -> Tensor'],
    infer: (a) => [sameAsSelf(a)],
    lower: { 7: (ctx, a) => [relu(ctx, a)] },
  },
  {
    schemas: ['aten::relu6(Tensor self) -> Tensor'],
    infer: (a) => [sameAsSelf(a)],
    lower: { 7: (ctx, a) => [clamp(ctx, a.tensor('self'), 0, 6, a.tensor('self').tensor.dtype)] },
  },
  {
    schemas: ['aten::hardtanh(Tensor self, Scalar min_val=-1, Scalar max_val=1) -> Tensor'],
    infer: (a) => [sameAsSelf(a)],
    lower: {
      7: (ctx, a) => [clamp(ctx, a.tensor('self'), num(a, 'min_val'), num(a, 'max_val'), a.tensor('self').tensor.dtype)],
    },
  },
  {
    schemas: ['aten::threshold(Tensor self, Scalar threshold, Scalar value) -> Tensor'],
    infer: (a) => [sameAsSelf(a)],
    lower: {
      9: (ctx, a) => {
        const self = a.tensor('self');
        const dtype = self.tensor.dtype;
        const x = ctx.input(self);
        const above = ctx.b.op1('Greater', [x, operand(ctx, a.scalar('threshold'), dtype)]);
        return [ctx.b.op1('Where', [above, x, operand(ctx, a.scalar('value'), dtype)])];
      },
    },
  },
  floatFunction('sigmoid', [], 7, (ctx, x) => ctx.b.op1('Sigmoid', [x])),
  floatFunction('tanh', NUMBER_TANH, 7, (ctx, x) => ctx.b.op1('Tanh', [x])),
  floatActivation('aten::silu(Tensor self) -> Tensor', 7, (ctx, x) => sigmoidTimesSelf(ctx, x)),
  floatActivation('aten::hardsigmoid(Tensor self) -> Tensor', 7, (ctx, x) => hardSigmoid(ctx, x)),
  {
    schemas: ['aten::hardswish(Tensor self) -> Tensor'],
    infer: (a) => [floatingSelf(a)],
    lower: {
      7: (ctx, a) => {
        const x = ctx.input(a.tensor('self'));
        return [ctx.b.op1('Mul', [x, hardSigmoid(ctx, x)])];
      },
      14: (ctx, a) => [ctx.b.op1('HardSwish', [ctx.input(a.tensor('self'))])],
    },
  },
  {
    schemas: ['aten::gelu(Tensor self, *, str approximate="none") -> Tensor'],
    infer: (a) => [floatingSelf(a)],
    lower: {
      7: (ctx, a) => [gelu(ctx, ctx.input(a.tensor('self')), a.tensor('self').tensor.dtype, approximateOf(a))],
      20: (ctx, a) => [ctx.b.op1('Gelu', [ctx.input(a.tensor('self'))], { approximate: approximateOf(a) })],
    },
  },
  floatActivation('aten::leaky_relu(Tensor self, Scalar negative_slope=0.01) -> Tensor', 7, (ctx, x, dtype, a) =>
    leakyRelu(ctx, x, dtype, num(a, 'negative_slope')),
  ),
  floatActivation('aten::elu(Tensor self, Scalar alpha=1, Scalar scale=1, Scalar input_scale=1) -> Tensor', 7, elu),
  floatActivation('aten::selu(Tensor self) -> Tensor', 7, (ctx, x) => ctx.b.op1('Selu', [x])),
  {
    schemas: ['aten::celu(Tensor self, Scalar alpha=1.) -> Tensor'],
    infer: (a) => [floatingSelf(a)],
    lower: {
      // celu(x, a) = a · elu(x / a) with elu's alpha 1.
      7: (ctx, a) => {
        const dtype = a.tensor('self').tensor.dtype;
        const alpha = num(a, 'alpha');
        const x = ctx.input(a.tensor('self'));
        if (alpha === 1) return [ctx.b.op1('Elu', [x], { alpha: { f: 1 } })];
        const scaled = ctx.b.op1('Div', [x, ctx.b.scalar(dtype, alpha)]);
        return [ctx.b.op1('Mul', [ctx.b.op1('Elu', [scaled], { alpha: { f: 1 } }), ctx.b.scalar(dtype, alpha)])];
      },
      12: (ctx, a) => [ctx.b.op1('Celu', [ctx.input(a.tensor('self'))], { alpha: { f: num(a, 'alpha') } })],
    },
  },
  floatActivation('aten::softplus(Tensor self, Scalar beta=1, Scalar threshold=20) -> Tensor', 9, softplus),
  {
    schemas: ['aten::mish(Tensor self) -> Tensor'],
    infer: (a) => [floatingSelf(a)],
    lower: {
      7: (ctx, a) => [mish(ctx, a)],
      // onnxruntime runs Mish as its function body, whose Softplus exists for float32 only.
      18: (ctx, a) => [a.tensor('self').tensor.dtype === 'float32' ? ctx.b.op1('Mish', [ctx.input(a.tensor('self'))]) : mish(ctx, a)],
    },
  },
  floatActivation('aten::hardshrink(Tensor self, Scalar lambd=0.5) -> Tensor', 9, (ctx, x, _dtype, a) =>
    ctx.b.op1('Shrink', [x], { lambd: { f: num(a, 'lambd') }, bias: { f: 0 } }),
  ),
  floatActivation('aten::softshrink(Tensor self, Scalar lambd=0.5) -> Tensor', 9, (ctx, x, _dtype, a) =>
    ctx.b.op1('Shrink', [x], { lambd: { f: num(a, 'lambd') }, bias: { f: num(a, 'lambd') } }),
  ),
  {
    schemas: ['aten::prelu(Tensor self, Tensor weight) -> Tensor'],
    infer: (a) => [floatingSelf(a)],
    lower: { 7: (ctx, a) => [prelu(ctx, a)] },
  },
  {
    schemas: ['aten::glu(Tensor self, int dim=-1) -> Tensor'],
    infer: (a) => [gluType(a)],
    lower: { 7: (ctx, a) => [glu(ctx, a)] },
  },
  {
    schemas: ['aten::softmax.int(Tensor self, int dim, ScalarType? dtype=None) -> Tensor'],
    infer: (a) => [softmaxType(a)],
    lower: { 7: softmaxLike('Softmax') },
  },
  {
    schemas: ['aten::log_softmax.int(Tensor self, int dim, ScalarType? dtype=None) -> Tensor'],
    infer: (a) => [softmaxType(a)],
    lower: { 7: softmaxLike('LogSoftmax') },
  },
  {
    schemas: ['aten::_softmax(Tensor self, int dim, bool half_to_float) -> Tensor'],
    infer: (a) => [halfToFloatType(a)],
    lower: { 7: softmaxLike('Softmax', halfToFloatType) },
  },
  {
    schemas: ['aten::_log_softmax(Tensor self, int dim, bool half_to_float) -> Tensor'],
    infer: (a) => [halfToFloatType(a)],
    lower: { 7: softmaxLike('LogSoftmax', halfToFloatType) },
  },
  floatActivation('aten::log_sigmoid(Tensor self) -> Tensor', 7, logSigmoid),
  {
    schemas: ['aten::logit(Tensor self, float? eps=None) -> Tensor'],
    infer: (a) => [logitType(a)],
    lower: { 7: (ctx, a) => [logit(ctx, a)] },
  },
  floatActivation(
    'aten::rrelu(Tensor self, Scalar lower=0.125, Scalar upper=0.33333333333333331, bool training=False, Generator? generator=None) -> Tensor',
    7,
    rrelu,
  ),
];

