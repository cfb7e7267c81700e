/** Normalisation layers (batch, instance, group, layer) and the dropouts, which are no-ops in eval. */
import type { DType } from '../../archive/types.js';
import { fail } from '../../errors.js';
import type { OnnxAttrs, OnnxTensor } from '../../ir/onnx-graph.js';
import type { GValue, ValueType } from '../../ir/torch-graph.js';
import type { BoundArgs } from '../args.js';
import { layerNorm, outDtype, standardize } from '../builders.js';
import { isFloating } from '../dtypes.js';
import { axis, broadcastShapes, castTo, type NamedTensor, onnxDtypeOf, rankOf, requireSameDtype, requireShape, shapeOf, tensorOf } from '../helpers.js';
import { reduce, unsqueeze } from '../opset.js';
import type { LowerContext, OpDef } from '../registry.js';
import { encodeValues } from '../tensor-bytes.js';

/** A parameter tensor in the input's dtype (BatchNormalization wants one dtype before opset 15). */
function param(ctx: LowerContext, v: GValue, dtype: DType): string {
  return castTo(ctx, ctx.input(v), onnxDtypeOf(v), dtype);
}

function filled(ctx: LowerContext, dtype: DType, size: number, value: number): string {
  return ctx.b.constant(dtype, [size], Array(size).fill(value));
}

function channelCount(op: string, input: GValue, ...params: Array<GValue | undefined>): number | undefined {
  for (const p of params) {
    const size = p ? shapeOf(p)[0] : undefined;
    if (typeof size === 'number') return size;
  }
  const size = shapeOf(input)[1];
  if (size === undefined) fail('TRACE_TYPE', `${op}: input must have a channel dimension`);
  return typeof size === 'number' ? size : undefined;
}

/**
 * What PyTorch's norm kernels take: a floating-point input, and parameters of its dtype or, for a
 * float16/bfloat16 input, float32 ones (mixed precision).
 */
function checkNormTypes(op: string, input: GValue, ...params: NamedTensor[]): void {
  const dtype = input.tensor.dtype;
  if (!isFloating(dtype)) fail('TRACE_TYPE', `${op}: not implemented for '${dtype}' input`);
  const mixedPrecision = (p: GValue | undefined) => (dtype === 'float16' || dtype === 'bfloat16') && p?.tensor.dtype === 'float32';
  requireSameDtype(op, ['input', input], ...params.filter(([, p]) => !mixedPrecision(p)));
}

/** The input's type, after checking batch_norm's or instance_norm's arguments. */
function inferBatchNorm(a: BoundArgs): ValueType[] {
  const input = a.tensor('input');
  const params = ['weight', 'bias', 'running_mean', 'running_var'].map((name): NamedTensor => [name, a.optTensor(name)]);
  checkNormTypes(a.schema.name, input, ...params);
  // PyTorch checks each holds one value per channel; anything but [C] would not load as ONNX.
  for (const p of params) requireShape(a.schema.name, p, [shapeOf(input)[1]]);
  return [input.type];
}

/** y·weight + bias with per-channel (dim 1) parameters of a rank-`rank` value. */
function channelAffine(ctx: LowerContext, y: string, rank: number, dtype: DType, weight?: GValue, bias?: GValue): string {
  const trailing = Array.from({ length: rank - 2 }, (_, i) => i + 1);
  const perChannel = (v: GValue) => (trailing.length ? unsqueeze(ctx, param(ctx, v, dtype), trailing) : param(ctx, v, dtype));
  let out = y;
  if (weight) out = ctx.b.op1('Mul', [out, perChannel(weight)]);
  if (bias) out = ctx.b.op1('Add', [out, perChannel(bias)]);
  return out;
}

/** Axes 0, 2, 3, ...: batch statistics per channel. */
function batchAxes(rank: number): number[] {
  return [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2)];
}

interface BatchNormParams {
  weight?: GValue;
  bias?: GValue;
  mean: GValue;
  variance: GValue;
}

/** X, scale, B, mean, var: BatchNormalization's inputs, with weight 1 and bias 0 filled in when absent. */
function batchNormInputs(ctx: LowerContext, op: string, input: GValue, p: BatchNormParams): string[] {
  const dtype = input.tensor.dtype;
  const channels = channelCount(op, input, p.weight, p.bias, p.mean, p.variance);
  if ((!p.weight || !p.bias) && channels === undefined) {
    fail('TRACE_UNSUPPORTED', `${op} without weight or bias needs a static channel count`);
  }
  // Statistics first: initializers appear in first-use order, and F.batch_norm takes them before weight and bias.
  const mean = param(ctx, p.mean, dtype);
  const variance = param(ctx, p.variance, dtype);
  const scale = p.weight ? param(ctx, p.weight, dtype) : filled(ctx, dtype, channels!, 1);
  const shift = p.bias ? param(ctx, p.bias, dtype) : filled(ctx, dtype, channels!, 0);
  return [ctx.input(input), scale, shift, mean, variance];
}

/**
 * Batch normalisation with running statistics: one BatchNormalization node, with the attributes
 * torch.onnx writes (ONNX's momentum is 1 − torch's; `training_mode=0` from opset 14).
 */
function runningStatsNorm(ctx: LowerContext, op: string, input: GValue, p: BatchNormParams, eps: number, momentum: number): string {
  const attrs: OnnxAttrs = { epsilon: { f: eps }, momentum: { f: 1 - momentum } };
  if (ctx.opset >= 14) attrs.training_mode = 0;
  return ctx.b.op1('BatchNormalization', batchNormInputs(ctx, op, input, p), attrs);
}

/**
 * Training-mode batch normalisation as torch.onnx writes it: batch statistics, with the updated
 * running statistics as extra outputs (5 outputs with ONNX's momentum = 1 − torch's before opset 14,
 * `training_mode=1` and 3 outputs from 14). Only Y is used; the running-stat updates stay unread.
 */
function trainingBatchNorm(ctx: LowerContext, op: string, input: GValue, p: BatchNormParams, eps: number, momentum: number): string {
  const inputs = batchNormInputs(ctx, op, input, p);
  const attrs = { epsilon: { f: eps }, momentum: { f: 1 - momentum } };
  if (ctx.opset >= 14) return ctx.b.op('BatchNormalization', inputs, { ...attrs, training_mode: 1 }, 3)[0];
  return ctx.b.op('BatchNormalization', inputs, attrs, 5)[0];
}

function lowerBatchNorm(ctx: LowerContext, a: BoundArgs): string[] {
  const op = a.schema.name;
  const input = a.tensor('input');
  const dtype = input.tensor.dtype;
  const rank = rankOf(input);
  if (rank < 2) fail('TRACE_TYPE', `${op}: input must have at least 2 dimensions`);
  const weight = a.optTensor('weight');
  const bias = a.optTensor('bias');
  const mean = a.optTensor('running_mean');
  const variance = a.optTensor('running_var');
  const eps = a.float('eps');
  // Without running stats (track_running_stats=False) the statistics are the batch's in every mode:
  // computed here, since onnxruntime's training-mode BatchNormalization is not an inference kernel.
  if (!mean || !variance) {
    return [channelAffine(ctx, standardize(ctx, ctx.input(input), dtype, batchAxes(rank), eps), rank, dtype, weight, bias)];
  }
  if (a.bool('training')) return [trainingBatchNorm(ctx, op, input, { weight, bias, mean, variance }, eps, a.float('momentum'))];
  return [runningStatsNorm(ctx, op, input, { weight, bias, mean, variance }, eps, a.float('momentum'))];
}

function lowerInstanceNorm(ctx: LowerContext, a: BoundArgs): string[] {
  const op = a.schema.name;
  const input = a.tensor('input');
  const dtype = input.tensor.dtype;
  const rank = rankOf(input);
  if (rank < 3) fail('TRACE_TYPE', `${op}: input must have at least 3 dimensions`);
  const weight = a.optTensor('weight');
  const bias = a.optTensor('bias');
  const eps = a.float('eps');
  const x = ctx.input(input);
  if (!a.bool('use_input_stats')) {
    // Running statistics are per channel and shared by all samples: a batch norm in eval.
    const mean = a.optTensor('running_mean');
    const variance = a.optTensor('running_var');
    if (!mean || !variance) fail('TRACE_TYPE', `${op}: use_input_stats=False needs running_mean and running_var`);
    return [runningStatsNorm(ctx, op, input, { weight, bias, mean, variance }, eps, a.float('momentum'))];
  }
  const channels = channelCount(op, input, weight, bias);
  if (channels === undefined) {
    const spatialAxes = Array.from({ length: rank - 2 }, (_, i) => i + 2);
    return [channelAffine(ctx, standardize(ctx, x, dtype, spatialAxes, eps), rank, dtype, weight, bias)];
  }
  const scale = weight ? param(ctx, weight, dtype) : filled(ctx, dtype, channels, 1);
  const shift = bias ? param(ctx, bias, dtype) : filled(ctx, dtype, channels, 0);
  return [ctx.b.op1('InstanceNormalization', [x, scale, shift], { epsilon: { f: eps } })];
}

function lowerGroupNorm(ctx: LowerContext, a: BoundArgs): string[] {
  const input = a.tensor('input');
  const dtype = input.tensor.dtype;
  const rank = rankOf(input);
  if (rank < 2) fail('TRACE_TYPE', `${a.schema.name}: input must have at least 2 dimensions`);
  const groups = a.int('num_groups');
  const channels = shapeOf(input)[1];
  if (typeof channels === 'number' && channels % groups !== 0) {
    fail('TRACE_TYPE', `${a.schema.name}: ${channels} channels cannot be split into ${groups} groups`);
  }
  const x = ctx.input(input);
  // Each group of channels is one instance-norm "channel" of an [N, groups, rest] view.
  const grouped = ctx.b.op1('Reshape', [x, ctx.b.int64s([0, groups, -1])]);
  const normalized = ctx.b.op1('InstanceNormalization', [grouped, filled(ctx, dtype, groups, 1), filled(ctx, dtype, groups, 0)], {
    epsilon: { f: a.float('eps') },
  });
  const restored = ctx.b.op1('Reshape', [normalized, ctx.b.op1('Shape', [x])]);
  return [channelAffine(ctx, restored, rank, dtype, a.optTensor('weight'), a.optTensor('bias'))];
}

function layerNormParts(a: BoundArgs) {
  const input = a.tensor('input');
  checkNormTypes(a.schema.name, input, ['weight', a.optTensor('weight')], ['bias', a.optTensor('bias')]);
  const normalized = a.ints('normalized_shape');
  const rank = rankOf(input);
  const trailing = shapeOf(input).slice(rank - normalized.length);
  if (normalized.length > rank || trailing.some((d, i) => typeof d === 'number' && d !== normalized[i])) {
    fail('TRACE_TYPE', `${a.schema.name}: normalized_shape [${normalized.join(', ')}] does not match input shape [${shapeOf(input).join(', ')}]`);
  }
  return { input, normalized, rank, weight: a.optTensor('weight'), bias: a.optTensor('bias'), eps: a.float('eps') };
}

function lowerLayerNorm(ctx: LowerContext, a: BoundArgs): string[] {
  const { input, normalized, rank, weight, bias, eps } = layerNormParts(a);
  const dtype = input.tensor.dtype;
  return [
    layerNorm(ctx, ctx.input(input), {
      rank,
      normalizedShape: normalized,
      dtype,
      eps,
      weight: weight && (() => param(ctx, weight, dtype)),
      bias: bias && (() => param(ctx, bias, dtype)),
    }),
  ];
}

/** native_layer_norm's mean and rstd: the input's shape with the normalized dims 1. */
function inferNativeLayerNorm(a: BoundArgs): ValueType[] {
  const { input, normalized, rank } = layerNormParts(a);
  const statShape = shapeOf(input).map((d, i) => (i < rank - normalized.length ? d : 1));
  return [input.type, tensorOf(input.tensor.dtype, statShape), tensorOf(input.tensor.dtype, statShape)];
}

/**
 * Layer norm with its statistics: mean and rstd = 1 / sqrt(var + eps) over the trailing axes, which
 * LayerNormalization would give only from opset 17, so it is written out. float16 and bfloat16
 * compute in float32, as torch's kernel accumulates.
 */
function lowerNativeLayerNorm(ctx: LowerContext, a: BoundArgs): string[] {
  const { input, normalized, rank, weight, bias, eps } = layerNormParts(a);
  const b = ctx.b;
  const dtype = input.tensor.dtype;
  const compute = dtype === 'float16' || dtype === 'bfloat16' ? 'float32' : dtype;
  const x = castTo(ctx, ctx.input(input), dtype, compute);
  const axes = normalized.map((_, i) => rank - normalized.length + i);
  const mean = reduce(ctx, 'ReduceMean', x, axes, true);
  const centered = b.op1('Sub', [x, mean]);
  const variance = reduce(ctx, 'ReduceMean', b.op1('Mul', [centered, centered]), axes, true);
  const rstd = b.op1('Reciprocal', [b.op1('Sqrt', [b.op1('Add', [variance, b.scalar(compute, eps)])])]);
  let y = b.op1('Mul', [centered, rstd]);
  if (weight) y = b.op1('Mul', [y, param(ctx, weight, compute)]);
  if (bias) y = b.op1('Add', [y, param(ctx, bias, compute)]);
  return [y, mean, rstd].map((v) => castTo(ctx, v, compute, dtype));
}

/** native_dropout in eval (train=False; None means training): the input and a mask that keeps everything. */
function lowerNativeDropout(ctx: LowerContext, a: BoundArgs): string[] {
  if ((a.isNone('train') || a.bool('train')) && a.float('p') !== 0) {
    fail('TRACE_UNSUPPORTED', 'native_dropout in training mode cannot be exported; export the model in eval mode');
  }
  const x = ctx.input(a.tensor('input'));
  const keep: OnnxTensor = { name: '', dtype: 'bool', dims: [1], data: { kind: 'bytes', bytes: encodeValues('bool', [1]) } };
  return [x, ctx.b.op1('ConstantOfShape', [ctx.b.op1('Shape', [x])], { value: { t: keep } })];
}

/**
 * _weight_norm(v, g, dim) = v * (g / ||v||), the 2-norm over every axis but `dim`; dim = -1 (only
 * -1: torch's norm_except_dim) takes the norm of the whole tensor.
 */
function lowerWeightNorm(ctx: LowerContext, a: BoundArgs): string[] {
  const b = ctx.b;
  const v = a.tensor('v');
  const dtype = outDtype(ctx);
  const rank = rankOf(v);
  const dim = a.int('dim');
  const kept = dim === -1 ? -1 : axis(dim, rank);
  const axes = Array.from({ length: rank }, (_, i) => i).filter((i) => i !== kept);
  const x = castTo(ctx, ctx.input(v), onnxDtypeOf(v), dtype);
  const norm = b.op1('Sqrt', [reduce(ctx, 'ReduceSum', b.op1('Mul', [x, x]), axes, true)]);
  return [b.op1('Mul', [x, b.op1('Div', [param(ctx, a.tensor('g'), dtype), norm])])];
}

/** Dropouts are the identity in eval. */
function dropoutInEval(ctx: LowerContext, a: BoundArgs): string[] {
  if (a.bool('train') && a.float('p') !== 0) {
    fail('TRACE_UNSUPPORTED', `${a.schema.name} in training mode (train=True) cannot be exported; export the model in eval mode`);
  }
  return [ctx.input(a.tensor('input'))];
}

/** Variants torch.onnx refuses in training mode (feature and alpha dropout): only their eval form exists. */
function evalOnlyDropout(schema: string) {
  return { schemas: [schema], infer: (a: BoundArgs) => [a.tensor('input').type], lower: { 1: dropoutInEval } };
}

/** Training-mode Dropout as torch.onnx writes it: the ratio an attribute, 2 outputs (data, mask). */
function lowerDropoutRatioAttribute(ctx: LowerContext, a: BoundArgs): string[] {
  const x = ctx.input(a.tensor('input'));
  if (!a.bool('train')) return [x];
  return [ctx.b.op('Dropout', [x], { ratio: { f: a.float('p') } }, 2)[0]];
}

/** From opset 12 ratio and training_mode are inputs: a float32 and a bool constant. */
function lowerDropoutTrainingInput(ctx: LowerContext, a: BoundArgs): string[] {
  const x = ctx.input(a.tensor('input'));
  if (!a.bool('train')) return [x];
  const ratio = ctx.b.scalar('float32', a.float('p'));
  return [ctx.b.op('Dropout', [x, ratio, ctx.b.scalar('bool', true)], {}, 2)[0]];
}

export const normOps: readonly OpDef[] = [
  {
    schemas: [
      'aten::batch_norm(Tensor input, Tensor? weight, Tensor? bias, Tensor? running_mean, Tensor? running_var, bool training, float momentum, float eps, bool cudnn_enabled) -> Tensor',
    ],
    infer: inferBatchNorm,
    lower: { 7: lowerBatchNorm },
  },
  {
    schemas: [
      'aten::instance_norm(Tensor input, Tensor? weight, Tensor? bias, Tensor? running_mean, Tensor? running_var, bool use_input_stats, float momentum, float eps, bool cudnn_enabled) -> Tensor',
    ],
    infer: inferBatchNorm,
    lower: { 7: lowerInstanceNorm },
  },
  {
    schemas: [
      'aten::group_norm(Tensor input, int num_groups, Tensor? weight=None, Tensor? bias=None, float eps=1.0000000000000001e-05, bool cudnn_enabled=True) -> Tensor',
    ],
    infer: (a) => {
      const input = a.tensor('input');
      checkNormTypes(a.schema.name, input, ['weight', a.optTensor('weight')], ['bias', a.optTensor('bias')]);
      return [input.type];
    },
    lower: { 7: lowerGroupNorm },
  },
  {
    schemas: [
      'aten::layer_norm(Tensor input, int[] normalized_shape, Tensor? weight=None, Tensor? bias=None, float eps=1.0000000000000001e-05, bool cudnn_enable=True) -> Tensor',
      'aten::layer_norm(Tensor input, SymInt[] normalized_shape, Tensor? weight=None, Tensor? bias=None, float eps=1.0000000000000001e-05, bool cudnn_enable=True) -> Tensor',
    ],
    infer: (a) => [layerNormParts(a).input.type],
    lower: { 7: lowerLayerNorm },
  },
  {
    schemas: ['aten::dropout(Tensor input, float p, bool train) -> Tensor'],
    infer: (a) => [a.tensor('input').type],
    lower: { 1: lowerDropoutRatioAttribute, 12: lowerDropoutTrainingInput },
  },
  {
    schemas: [
      'aten::native_layer_norm(Tensor input, SymInt[] normalized_shape, Tensor? weight, Tensor? bias, float eps) -> (Tensor, Tensor, Tensor)',
    ],
    infer: inferNativeLayerNorm,
    lower: { 7: lowerNativeLayerNorm },
  },
  {
    schemas: ['aten::native_dropout(Tensor input, float p, bool? train) -> (Tensor, Tensor)'],
    infer: (a) => [a.tensor('input').type, tensorOf('bool', shapeOf(a.tensor('input')))],
    lower: { 9: lowerNativeDropout },
  },
  {
    schemas: ['aten::_weight_norm(Tensor v, Tensor g, int dim=0) -> Tensor'],
    infer: (a) => {
      const v = a.tensor('v');
      const g = a.tensor('g');
      checkNormTypes(a.schema.name, v, ['g', g]);
      const dim = a.int('dim');
      if (dim !== -1) axis(dim, rankOf(v));
      return [tensorOf(v.tensor.dtype, broadcastShapes(shapeOf(v), shapeOf(g)))];
    },
    lower: { 7: lowerWeightNorm },
  },
  evalOnlyDropout('aten::feature_dropout(Tensor input, float p, bool train) -> Tensor'),
  evalOnlyDropout('aten::alpha_dropout(Tensor input, float p, bool train) -> Tensor'),
  evalOnlyDropout('aten::feature_alpha_dropout(Tensor input, float p, bool train) -> Tensor'),
];
