/**
 * torchvision's detection ops (`torchvision::nms`, `roi_align`, `roi_pool`), which scripted detection
 * models call as `ops.torchvision.<name>`. Boxes are (x1, y1, x2, y2) corners; RoI rows are
 * (batch index, x1, y1, x2, y2).
 */
import { fail } from '../../errors.js';
import type { OnnxAttrs } from '../../ir/onnx-graph.js';
import type { Dim, GValue } from '../../ir/torch-graph.js';
import type { BoundArgs } from '../args.js';
import { isFloating } from '../dtypes.js';
import { castTo, knownDifferent, requireSameDtype, requireShape, shapeOf, tensorOf } from '../helpers.js';
import { needOpset, slice, squeeze, unsqueeze } from '../opset.js';
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
 * ONNX RoiAlign (average mode) with rois split into boxes and int64 batch indices. torchvision's
 * `aligned=False` is RoiAlign's original sampling (`output_half_pixel`: RoIs at least one pixel wide);
 * `aligned=True` shifts by half a pixel without that minimum (`half_pixel`), which RoiAlign has from 16.
 * A sampling ratio of 0 or less samples adaptively in both.
 */
function lowerRoiAlign(ctx: LowerContext, a: BoundArgs): string[] {
  const aligned = a.bool('aligned');
  if (aligned) needOpset(ctx, 16, 'torchvision::roi_align with aligned=True');
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
    ...(ctx.opset >= 16 ? { coordinate_transformation_mode: aligned ? 'half_pixel' : 'output_half_pixel' } : {}),
  };
  return [ctx.b.op1('RoiAlign', [ctx.input(a.tensor('input')), boxes, batch], attrs)];
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
    schemas: ['torchvision::roi_pool(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, SymInt pooled_width) -> (Tensor, Tensor)'],
    infer: inferRoiPool,
    lower: { 7: lowerRoiPool },
  },
];
