/**
 * torchvision's detection ops (`torchvision::nms`, `roi_align`, `roi_pool`, `ps_roi_align`,
 * `ps_roi_pool`, `deform_conv2d`), which scripted detection models call as `ops.torchvision.<name>`.
 * Boxes are (x1, y1, x2, y2) corners; RoI rows are (batch index, x1, y1, x2, y2).
 */
import { fail } from '../../errors.js';
import type { OnnxAttrs } from '../../ir/onnx-graph.js';
import type { Dim, GValue } from '../../ir/torch-graph.js';
import type { BoundArgs } from '../args.js';
import type { DType } from '../../archive/types.js';
import { isFloating } from '../dtypes.js';
import { castTo, knownDifferent, rankOf, requireDtype, requireSameDtype, requireShape, shapeOf, tensorOf } from '../helpers.js';
import { needOpset, slice, split, squeeze, transpose, unsqueeze } from '../opset.js';
import type { LowerContext, OpDef } from '../registry.js';

/** `op`'s tensor `name` must be 2-D with `columns` columns; its row count. */
function rowsOf(op: string, name: string, v: GValue, columns: number): Dim {
  requireShape(op, [name, v], [undefined, columns]);
  return shapeOf(v)[0];
}

function inferNms(a: BoundArgs): ReturnType<OpDef['infer']> {
  const op = 'torchvision::nms';
  const dets = a.tensor('dets');
  const scores = a.tensor('scores');
  const boxes = rowsOf(op, 'dets', dets, 4);
  const scoreShape = shapeOf(scores);
  if (scoreShape.length !== 1) fail('TRACE_TYPE', `${op}: scores must be 1-D, got ${scoreShape.length}-D`);
  if (knownDifferent(boxes, scoreShape[0])) fail('TRACE_TYPE', `${op}: ${boxes} boxes but ${scoreShape[0]} scores`);
  requireSameDtype(op, ['dets', dets], ['scores', scores]);
  if (!isFloating(dets.tensor.dtype)) fail('TRACE_TYPE', `${op}: boxes must be floating point, got ${dets.tensor.dtype}`);
  // How many boxes survive depends on their values.
  return [tensorOf('int64', [boxes === 0 ? 0 : a.freshDim('nms')])];
}

/**
 * ONNX NonMaxSuppression on one batch and one class, keeping every box that survives: its selected
 * indices come in decreasing score order, as torchvision's. It computes in float32.
 */
function lowerNms(ctx: LowerContext, a: BoundArgs): string[] {
  const dets = a.tensor('dets');
  const dtype = dets.tensor.dtype;
  const boxes = unsqueeze(ctx, castTo(ctx, ctx.input(dets), dtype, 'float32'), [0]);
  const scores = unsqueeze(ctx, castTo(ctx, ctx.input(a.tensor('scores')), dtype, 'float32'), [0, 1]);
  const count = shapeOf(dets)[0];
  const maxKept = ctx.b.int64s([typeof count === 'number' ? count : Number.MAX_SAFE_INTEGER]);
  const iou = ctx.b.constant('float32', [1], [a.float('iou_threshold')]);
  const selected = ctx.b.op1('NonMaxSuppression', [boxes, scores, maxKept, iou]);
  // Rows are (batch, class, box index).
  const column = slice(ctx, selected, [{ axis: 1, start: 2, end: 3, step: 1 }]);
  return [squeeze(ctx, column, [1])];
}

/** roi_align's and roi_pool's output shape, (RoIs, C, pooled_height, pooled_width). */
function pooledShape(op: string, a: BoundArgs): Dim[] {
  const input = a.tensor('input');
  const rois = a.tensor('rois');
  const shape = shapeOf(input);
  if (shape.length !== 4) fail('TRACE_TYPE', `${op}: input must be 4-D (N, C, H, W), got ${shape.length}-D`);
  const count = rowsOf(op, 'rois', rois, 5);
  requireSameDtype(op, ['input', input], ['rois', rois]);
  const [height, width] = [a.int('pooled_height'), a.int('pooled_width')];
  if (height <= 0 || width <= 0) fail('TRACE_TYPE', `${op}: pooled size must be positive, got ${height}x${width}`);
  return [count, shape[1], height, width];
}

function inferRoiAlign(a: BoundArgs): ReturnType<OpDef['infer']> {
  return [tensorOf(a.tensor('input').tensor.dtype, pooledShape('torchvision::roi_align', a))];
}

/** The pooled maxima and, for backward, where each came from (flat index in the feature map). */
function inferRoiPool(a: BoundArgs): ReturnType<OpDef['infer']> {
  const shape = pooledShape('torchvision::roi_pool', a);
  return [tensorOf(a.tensor('input').tensor.dtype, shape), tensorOf('int64', shape)];
}

/**
 * ONNX MaxRoiPool, which rounds the RoI corners, sizes bins and gives empty bins 0 exactly as
 * torchvision's kernel does. It has no argmax output; torchvision.ops.roi_pool drops it, so only code
 * that reads it fails.
 */
function lowerRoiPool(ctx: LowerContext, a: BoundArgs): string[] {
  if (ctx.isRead?.(ctx.node.outputs[1]) !== false) {
    fail('OP_UNSUPPORTED', 'torchvision::roi_pool: its argmax output is read, and ONNX MaxRoiPool has none');
  }
  const attrs: OnnxAttrs = { pooled_shape: [a.int('pooled_height'), a.int('pooled_width')], spatial_scale: { f: a.float('spatial_scale') } };
  return [ctx.b.op1('MaxRoiPool', [ctx.input(a.tensor('input')), ctx.input(a.tensor('rois'))], attrs), ''];
}

/**
 * ONNX RoiAlign (average mode) over every channel, with rois split into boxes and int64 batch indices.
 * A sampling ratio of 0 or less samples adaptively, ceil(RoI size / pooled size) points per bin and RoI,
 * as torchvision's kernels do.
 */
function roiAlignNode(ctx: LowerContext, a: BoundArgs, mode: 'half_pixel' | 'output_half_pixel'): string {
  const rois = ctx.input(a.tensor('rois'));
  const dtype = a.tensor('rois').tensor.dtype;
  const boxes = slice(ctx, rois, [{ axis: 1, start: 1, end: 5, step: 1 }]);
  const batch = castTo(ctx, squeeze(ctx, slice(ctx, rois, [{ axis: 1, start: 0, end: 1, step: 1 }]), [1]), dtype, 'int64');
  const attrs: OnnxAttrs = {
    mode: 'avg',
    output_height: a.int('pooled_height'),
    output_width: a.int('pooled_width'),
    sampling_ratio: Math.max(0, a.int('sampling_ratio')),
    spatial_scale: { f: a.float('spatial_scale') },
    ...(ctx.opset >= 16 ? { coordinate_transformation_mode: mode } : {}),
  };
  return ctx.b.op1('RoiAlign', [ctx.input(a.tensor('input')), boxes, batch], attrs);
}

/**
 * torchvision's `aligned=False` is RoiAlign's original sampling (`output_half_pixel`: RoIs at least one
 * pixel wide); `aligned=True` shifts by half a pixel without that minimum (`half_pixel`), which RoiAlign
 * has from 16.
 */
function lowerRoiAlign(ctx: LowerContext, a: BoundArgs): string[] {
  const aligned = a.bool('aligned');
  if (aligned) needOpset(ctx, 16, 'torchvision::roi_align with aligned=True');
  return [roiAlignNode(ctx, a, aligned ? 'half_pixel' : 'output_half_pixel')];
}

/** ps_roi_align's and ps_roi_pool's output shape: bin (i, j) of output channel c reads input channel (c * ph + i) * pw + j. */
function psPooledShape(op: string, a: BoundArgs): Dim[] {
  const [count, channels, height, width] = pooledShape(op, a);
  const bins = (height as number) * (width as number);
  if (typeof channels !== 'number') fail('TRACE_TYPE', `${op}: the input's channel count must be known, got ${channels}`);
  if (channels % bins !== 0) {
    fail('TRACE_TYPE', `${op}: input channels must be a multiple of pooling height * pooling width, got ${channels} channels for ${height}x${width} bins`);
  }
  return [count, channels / bins, height, width];
}

/**
 * The pooled values and, for backward, the input channel each came from (int32, as torchvision's).
 * torchvision's ps_roi_pool kernel takes float32 and float64 only.
 */
function inferPsRoi(op: string): OpDef['infer'] {
  return (a) => {
    const shape = psPooledShape(op, a);
    if (op === 'torchvision::ps_roi_pool') requireDtype(op, ['input', a.tensor('input')], ['float32', 'float64']);
    return [tensorOf(a.tensor('input').tensor.dtype, shape), tensorOf('int32', shape)];
  };
}

/**
 * From per-channel pooled bins (RoIs, C, ph, pw), each output channel's own bins: bin (i, j) of output
 * channel c from input channel c * ph * pw + i * pw + j, and the channel mapping when it is read (a
 * constant table repeated over the RoIs).
 */
function ownBins(ctx: LowerContext, a: BoundArgs, pooled: string): string[] {
  const [height, width] = [a.int('pooled_height'), a.int('pooled_width')];
  const bins = height * width;
  const outChannels = shapeOf(ctx.node.outputs[0])[1] as number;
  // (RoIs, c, bin channel, bin) flattened: bin k of bin channel k.
  const flat = ctx.b.op1('Reshape', [pooled, ctx.b.int64s([0, outChannels, bins * bins])]);
  const diagonal = ctx.b.int64s(Array.from({ length: bins }, (_, k) => k * bins + k));
  const picked = ctx.b.op1('Gather', [flat, diagonal], { axis: 2 });
  const values = ctx.b.op1('Reshape', [picked, ctx.b.int64s([0, outChannels, height, width])]);
  if (ctx.isRead?.(ctx.node.outputs[1]) === false) return [values, ''];
  const table = ctx.b.constant('int32', [1, outChannels, height, width], Array.from({ length: outChannels * bins }, (_, c) => c));
  return [values, ctx.b.op1('Expand', [table, ctx.b.op1('Shape', [values])])];
}

/**
 * Position-sensitive RoI align: RoiAlign's half_pixel sampling (torchvision's ps_roi_align always shifts
 * by half a pixel and has no minimum RoI size) over every channel, then each output channel's own bins.
 */
function lowerPsRoiAlign(ctx: LowerContext, a: BoundArgs): string[] {
  return ownBins(ctx, a, roiAlignNode(ctx, a, 'half_pixel'));
}

/** C's round(): halves away from zero (ONNX Round takes them to even). `x - floor(x)` is exact. */
function roundHalfAway(ctx: LowerContext, x: string, dtype: DType): string {
  const down = ctx.b.op1('Floor', [x]);
  const fraction = ctx.b.op1('Sub', [x, down]);
  const half = ctx.b.scalar(dtype, 0.5);
  const negative = ctx.b.op1('Less', [x, ctx.b.scalar(dtype, 0)]);
  const up = ctx.b.op1('Or', [
    ctx.b.op1('And', [negative, ctx.b.op1('Greater', [fraction, half])]),
    ctx.b.op1('And', [ctx.b.op1('Not', [negative]), ctx.b.op1('Not', [ctx.b.op1('Less', [fraction, half])])]),
  ]);
  return ctx.b.op1('Add', [down, castTo(ctx, up, 'bool', dtype)]);
}

/**
 * ps_roi_pool's bins along one axis, as torchvision's kernel computes them from the rounded RoI edges
 * (RoIs, 1): RoI length max(end - start, 1); bin k spans [floor(k * len / bins), ceil((k + 1) * len / bins))
 * plus start, both clipped to [0, size - 1] (so the last row and column are never read). Returns the
 * bins' masks over the axis (RoIs, bins, size) as 0/1 and their lengths (RoIs, bins).
 */
function psPoolBins(ctx: LowerContext, start: string, end: string, bins: number, size: number, dtype: DType): { mask: string; length: string } {
  const num = (v: number): string => ctx.b.scalar(dtype, v);
  const range = (from: number, count: number, dims: number[]): string =>
    ctx.b.constant(dtype, dims, Array.from({ length: count }, (_, k) => from + k));
  const binSize = ctx.b.op1('Div', [ctx.b.op1('Max', [ctx.b.op1('Sub', [end, start]), num(1)]), num(bins)]);
  const clip = (edge: string): string => ctx.b.op1('Min', [ctx.b.op1('Max', [ctx.b.op1('Add', [edge, start]), num(0)]), num(size - 1)]);
  const first = clip(ctx.b.op1('Floor', [ctx.b.op1('Mul', [range(0, bins, [1, bins]), binSize])]));
  const last = clip(ctx.b.op1('Ceil', [ctx.b.op1('Mul', [range(1, bins, [1, bins]), binSize])]));
  const positions = range(0, size, [1, 1, size]);
  const inside = ctx.b.op1('And', [
    ctx.b.op1('Not', [ctx.b.op1('Less', [positions, unsqueeze(ctx, first, [2])])]),
    ctx.b.op1('Less', [positions, unsqueeze(ctx, last, [2])]),
  ]);
  return { mask: castTo(ctx, inside, 'bool', dtype), length: ctx.b.op1('Sub', [last, first]) };
}

/**
 * Position-sensitive RoI pooling: the average of each bin's rounded rectangle (0 for an empty bin), as
 * two 0/1 bin masks around each RoI's feature map (rows @ map @ columns) for every channel, then each
 * output channel's own bins. Values outside a bin enter as 0 * value, so a non-finite value anywhere in
 * the RoI's map (not only its bin) would reach the bin. Each RoI's map is gathered whole (RoIs x C x H x W
 * values), where torchvision's kernel reads only the bins.
 */
function lowerPsRoiPool(ctx: LowerContext, a: BoundArgs): string[] {
  const op = 'torchvision::ps_roi_pool';
  const input = a.tensor('input');
  const dtype = input.tensor.dtype;
  const [, , height, width] = shapeOf(input);
  if (typeof height !== 'number' || typeof width !== 'number') fail('OP_UNSUPPORTED', `${op}: the feature map's size must be known, got ${height}x${width}`);
  const rois = ctx.input(a.tensor('rois'));
  const scaled = ctx.b.op1('Mul', [slice(ctx, rois, [{ axis: 1, start: 1, end: 5, step: 1 }]), ctx.b.scalar(dtype, a.float('spatial_scale'))]);
  const [x1, y1, x2, y2] = split(ctx, roundHalfAway(ctx, scaled, dtype), 1, [1, 1, 1, 1]);
  const rows = psPoolBins(ctx, y1, y2, a.int('pooled_height'), height, dtype);
  const columns = psPoolBins(ctx, x1, x2, a.int('pooled_width'), width, dtype);
  const batch = castTo(ctx, squeeze(ctx, slice(ctx, rois, [{ axis: 1, start: 0, end: 1, step: 1 }]), [1]), dtype, 'int64');
  const maps = ctx.b.op1('Gather', [ctx.input(input), batch], { axis: 0 });
  const rowSums = ctx.b.op1('MatMul', [unsqueeze(ctx, rows.mask, [1]), maps]);
  const sums = ctx.b.op1('MatMul', [rowSums, unsqueeze(ctx, transpose(ctx, columns.mask, [0, 2, 1]), [1])]);
  const rowLength = unsqueeze(ctx, rows.length, [2]);
  const columnLength = unsqueeze(ctx, columns.length, [1]);
  const zero = ctx.b.scalar(dtype, 0);
  const nonEmpty = unsqueeze(ctx, ctx.b.op1('And', [ctx.b.op1('Greater', [rowLength, zero]), ctx.b.op1('Greater', [columnLength, zero])]), [1]);
  const area = unsqueeze(ctx, ctx.b.op1('Mul', [rowLength, columnLength]), [1]);
  const safeArea = ctx.b.op1('Where', [nonEmpty, area, ctx.b.scalar(dtype, 1)]);
  const means = ctx.b.op1('Where', [nonEmpty, ctx.b.op1('Div', [sums, safeArea]), zero]);
  return ownBins(ctx, a, means);
}

/** deform_conv2d's sizes and settings, checked as torchvision's kernel checks them. */
interface DeformConv {
  channels: number;
  height: number;
  width: number;
  outChannels: number;
  kernel: [number, number];
  stride: [number, number];
  pad: [number, number];
  dilation: [number, number];
  groups: number;
  offsetGroups: number;
  out: [number, number];
  useMask: boolean;
}

function deformConvOf(a: BoundArgs): DeformConv {
  const op = 'torchvision::deform_conv2d';
  const input = a.tensor('input');
  const weight = a.tensor('weight');
  const [, channels, height, width] = shapeOf(input);
  const [outChannels, groupChannels, kh, kw] = shapeOf(weight);
  if (rankOf(input) !== 4 || rankOf(weight) !== 4) fail('TRACE_TYPE', `${op}: input and weight must be 4-D`);
  const known = [channels, height, width, outChannels, groupChannels, kh, kw];
  if (!known.every((d) => typeof d === 'number')) fail('OP_UNSUPPORTED', `${op}: input channels, height and width and the weight's shape must be known`);
  requireSameDtype(op, ['input', input], ['weight', weight], ['offset', a.tensor('offset')], ['bias', a.tensor('bias')]);
  if (!isFloating(input.tensor.dtype)) fail('TRACE_TYPE', `${op}: input must be floating point, got ${input.tensor.dtype}`);
  const p: DeformConv = {
    channels: channels as number,
    height: height as number,
    width: width as number,
    outChannels: outChannels as number,
    kernel: [kh as number, kw as number],
    stride: [a.int('stride_h'), a.int('stride_w')],
    pad: [a.int('pad_h'), a.int('pad_w')],
    dilation: [a.int('dilation_h'), a.int('dilation_w')],
    groups: a.int('groups'),
    offsetGroups: a.int('offset_groups'),
    out: [0, 0],
    useMask: a.bool('use_mask'),
  };
  const sizes = [p.height, p.width];
  p.out = [0, 1].map((i) => Math.floor((sizes[i] + 2 * p.pad[i] - (p.dilation[i] * (p.kernel[i] - 1) + 1)) / p.stride[i]) + 1) as [number, number];
  const points = p.kernel[0] * p.kernel[1];
  if (p.stride.some((s) => s <= 0) || p.dilation.some((d) => d <= 0) || p.pad.some((d) => d < 0)) fail('TRACE_TYPE', `${op}: strides and dilations must be positive and pads non-negative`);
  if (p.groups <= 0 || p.offsetGroups <= 0) fail('TRACE_TYPE', `${op}: groups and offset groups must be positive`);
  if (groupChannels as number * p.groups !== p.channels) fail('TRACE_TYPE', `${op}: ${p.channels} input channels, but the weight takes ${groupChannels} in each of ${p.groups} groups`);
  if (p.outChannels % p.groups !== 0) fail('TRACE_TYPE', `${op}: ${p.outChannels} output channels do not split into ${p.groups} groups`);
  if (p.channels % p.offsetGroups !== 0) fail('TRACE_TYPE', `${op}: ${p.channels} input channels do not split into ${p.offsetGroups} offset groups`);
  if (p.out.some((d) => d <= 0)) fail('TRACE_TYPE', `${op}: the ${p.height}x${p.width} input is smaller than the dilated kernel`);
  requireShape(op, ['offset', a.tensor('offset')], [shapeOf(input)[0], 2 * p.offsetGroups * points, ...p.out]);
  if (p.useMask) requireShape(op, ['mask', a.tensor('mask')], [shapeOf(input)[0], p.offsetGroups * points, ...p.out]);
  requireShape(op, ['bias', a.tensor('bias')], [p.outChannels]);
  return p;
}

function inferDeformConv(a: BoundArgs): ReturnType<OpDef['infer']> {
  const p = deformConvOf(a);
  return [tensorOf(a.tensor('input').tensor.dtype, [shapeOf(a.tensor('input'))[0], p.outChannels, ...p.out])];
}

/** ONNX DeformConv (opset 19), defined as torchvision's: offsets (y, x) per kernel point and offset group, samples outside the image 0. */
function lowerDeformConvNative(ctx: LowerContext, a: BoundArgs): string[] {
  const p = deformConvOf(a);
  const inputs = ['input', 'weight', 'offset', 'bias'].map((name) => ctx.input(a.tensor(name)));
  if (p.useMask) inputs.push(ctx.input(a.tensor('mask')));
  const attrs: OnnxAttrs = {
    dilations: p.dilation,
    group: p.groups,
    kernel_shape: p.kernel,
    offset_group: p.offsetGroups,
    pads: [...p.pad, ...p.pad],
    strides: p.stride,
  };
  return [ctx.b.op1('DeformConv', inputs, attrs)];
}

/**
 * deform_conv2d before DeformConv, as torchvision's CPU kernel computes it: each kernel point k = (i, j)
 * of output position (oy, ox) samples its input channel at y = oy * stride - pad + i * dilation + offset_y
 * (x alike) bilinearly, a corner outside the image counting 0 and a point at or beyond one pixel outside
 * giving 0; the mask scales the sample; then the grouped weight multiplies the samples (the im2col matrix).
 * Corners are read with GatherElements from each offset group's channels.
 */
function lowerDeformConvDecomposed(ctx: LowerContext, a: BoundArgs): string[] {
  const p = deformConvOf(a);
  const dtype = a.tensor('input').tensor.dtype;
  const [kh, kw] = p.kernel;
  const [outH, outW] = p.out;
  const points = kh * kw;
  const positions = outH * outW;
  const groupChannels = p.channels / p.offsetGroups;
  const num = (v: number): string => ctx.b.scalar(dtype, v);
  const op = (type: string, ...inputs: string[]): string => ctx.b.op1(type, inputs);
  const reshape = (x: string, dims: number[]): string => ctx.b.op1('Reshape', [x, ctx.b.int64s(dims)]);

  // (N, offset group, kernel point, y/x, output position)
  const offsets = reshape(ctx.input(a.tensor('offset')), [0, p.offsetGroups, points, 2, positions]);
  const [offsetY, offsetX] = split(ctx, offsets, 3, [1, 1]).map((part) => squeeze(ctx, part, [3]));
  const grid = (axis: 0 | 1): string => {
    const values: number[] = [];
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        for (let oy = 0; oy < outH; oy++) {
          for (let ox = 0; ox < outW; ox++) {
            values.push(axis === 0 ? oy * p.stride[0] - p.pad[0] + i * p.dilation[0] : ox * p.stride[1] - p.pad[1] + j * p.dilation[1]);
          }
        }
      }
    }
    return ctx.b.constant(dtype, [points, positions], values);
  };
  const y = op('Add', grid(0), offsetY);
  const x = op('Add', grid(1), offsetX);
  const inside = op('And',
    op('And', op('Greater', y, num(-1)), op('Less', y, num(p.height))),
    op('And', op('Greater', x, num(-1)), op('Less', x, num(p.width))));
  // Points outside read nothing; placing them at 0 keeps their corner indices in range.
  const ys = op('Where', inside, y, num(0));
  const xs = op('Where', inside, x, num(0));
  const yLow = op('Floor', ys);
  const xLow = op('Floor', xs);
  const ly = op('Sub', ys, yLow);
  const lx = op('Sub', xs, xLow);
  const yWeights = [op('Sub', num(1), ly), ly];
  const xWeights = [op('Sub', num(1), lx), lx];
  const yValid = [op('Not', op('Less', yLow, num(0))), op('Less', yLow, num(p.height - 1))];
  const xValid = [op('Not', op('Less', xLow, num(0))), op('Less', xLow, num(p.width - 1))];
  const clipped = (low: string, step: number, size: number): string =>
    castTo(ctx, op('Min', op('Max', op('Add', low, num(step)), num(0)), num(size - 1)), dtype, 'int64');

  const flat = (v: string): string => reshape(v, [0, p.offsetGroups, 1, points * positions]);
  const maps = reshape(ctx.input(a.tensor('input')), [0, p.offsetGroups, groupChannels, p.height * p.width]);
  const spread = ctx.b.int64s([1, 1, groupChannels, 1]);
  let sampled = '';
  for (const dy of [0, 1]) {
    for (const dx of [0, 1]) {
      const index = op('Add', op('Mul', clipped(yLow, dy, p.height), ctx.b.scalar('int64', p.width)), clipped(xLow, dx, p.width));
      const corner = ctx.b.op1('GatherElements', [maps, op('Expand', flat(index), spread)], { axis: 3 });
      const valid = flat(op('And', inside, op('And', yValid[dy], xValid[dx])));
      const term = op('Mul', flat(op('Mul', yWeights[dy], xWeights[dx])), op('Where', valid, corner, num(0)));
      sampled = sampled === '' ? term : op('Add', sampled, term);
    }
  }
  if (p.useMask) sampled = op('Mul', reshape(ctx.input(a.tensor('mask')), [0, p.offsetGroups, 1, points * positions]), sampled);
  // Rows of the im2col matrix are channel * points + point; the weight's groups take consecutive rows.
  const columns = reshape(sampled, [0, p.groups, (p.channels / p.groups) * points, positions]);
  const weight = reshape(ctx.input(a.tensor('weight')), [p.groups, p.outChannels / p.groups, (p.channels / p.groups) * points]);
  const product = reshape(op('MatMul', weight, columns), [0, p.outChannels, outH, outW]);
  return [op('Add', product, reshape(ctx.input(a.tensor('bias')), [p.outChannels, 1, 1]))];
}

export const visionOps: readonly OpDef[] = [
  {
    schemas: ['torchvision::nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor'],
    infer: inferNms,
    lower: { 10: lowerNms },
  },
  {
    schemas: [
      'torchvision::roi_align(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, SymInt pooled_width, int sampling_ratio, bool aligned) -> Tensor',
      'torchvision::roi_align(Tensor input, Tensor rois, float spatial_scale, int pooled_height, int pooled_width, int sampling_ratio, bool aligned) -> Tensor',
    ],
    infer: inferRoiAlign,
    lower: { 10: lowerRoiAlign },
  },
  {
    schemas: [
      'torchvision::ps_roi_align(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, SymInt pooled_width, int sampling_ratio) -> (Tensor, Tensor)',
      'torchvision::ps_roi_align(Tensor input, Tensor rois, float spatial_scale, int pooled_height, int pooled_width, int sampling_ratio) -> (Tensor, Tensor)',
    ],
    infer: inferPsRoi('torchvision::ps_roi_align'),
    lower: { 16: lowerPsRoiAlign },
  },
  {
    schemas: [
      'torchvision::ps_roi_pool(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, SymInt pooled_width) -> (Tensor, Tensor)',
      'torchvision::ps_roi_pool(Tensor input, Tensor rois, float spatial_scale, int pooled_height, int pooled_width) -> (Tensor, Tensor)',
    ],
    infer: inferPsRoi('torchvision::ps_roi_pool'),
    lower: { 9: lowerPsRoiPool },
  },
  {
    schemas: [
      'torchvision::deform_conv2d(Tensor input, Tensor weight, Tensor offset, Tensor mask, Tensor bias, SymInt stride_h, SymInt stride_w, SymInt pad_h, SymInt pad_w, SymInt dilation_h, SymInt dilation_w, SymInt groups, SymInt offset_groups, bool use_mask) -> Tensor',
      'torchvision::deform_conv2d(Tensor input, Tensor weight, Tensor offset, Tensor mask, Tensor bias, int stride_h, int stride_w, int pad_h, int pad_w, int dilation_h, int dilation_w, int groups, int offset_groups, bool use_mask) -> Tensor',
    ],
    infer: inferDeformConv,
    lower: { 11: lowerDeformConvDecomposed, 19: lowerDeformConvNative },
  },
  {
    schemas: ['torchvision::roi_pool(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, SymInt pooled_width) -> (Tensor, Tensor)'],
    infer: inferRoiPool,
    lower: { 7: lowerRoiPool },
  },
];
