/**
 * ONNX node builders whose form depends on the opset (axes, splits, pads and slice bounds moving from
 * attributes to inputs). Every family builds these nodes through here.
 */
import { fail } from '../errors.js';
import type { OnnxAttrs } from '../ir/onnx-graph.js';
import { type IntArg, shapeTensor, staticInts } from './args.js';
import type { LowerContext } from './registry.js';

/** Fails with OP_OPSET when a lowering path needs a newer opset than the target. */
export function needOpset(ctx: LowerContext, opset: number, what: string): void {
  if (ctx.opset < opset) fail('OP_OPSET', `${what} needs opset ${opset} or later (target is ${ctx.opset})`);
}

export function unsqueeze(ctx: LowerContext, x: string, axes: readonly number[]): string {
  if (axes.length === 0) return x;
  if (ctx.opset >= 13) return ctx.b.op1('Unsqueeze', [x, ctx.b.int64s(axes)]);
  return ctx.b.op1('Unsqueeze', [x], { axes: [...axes] });
}

export function squeeze(ctx: LowerContext, x: string, axes: readonly number[]): string {
  if (axes.length === 0) return x;
  if (ctx.opset >= 13) return ctx.b.op1('Squeeze', [x, ctx.b.int64s(axes)]);
  return ctx.b.op1('Squeeze', [x], { axes: [...axes] });
}

export interface SliceSpec {
  axis: number;
  start: IntArg;
  end: IntArg;
  step: number;
}

/**
 * ONNX Slice: attributes before opset 10 (unit steps, known bounds only), inputs from 10.
 * `axesFirst` writes the `axes` attribute before `starts`/`ends`, as pooling always has: attribute
 * order does not change the meaning, but it is part of the file's bytes.
 */
export function slice(ctx: LowerContext, x: string, specs: readonly SliceSpec[], { axesFirst = false } = {}): string {
  if (specs.length === 0) return x;
  const axes = specs.map((s) => s.axis);
  const starts = specs.map((s) => s.start);
  const ends = specs.map((s) => s.end);
  const steps = specs.map((s) => s.step);
  if (ctx.opset < 10) {
    const knownStarts = staticInts(starts);
    const knownEnds = staticInts(ends);
    if (steps.some((s) => s !== 1)) fail('OP_OPSET', `slicing with step ${steps.find((s) => s !== 1)} needs opset 10 or later`);
    if (!knownStarts || !knownEnds) fail('OP_OPSET', 'slicing with bounds known only at run time needs opset 10 or later');
    return ctx.b.op1('Slice', [x], axesFirst ? { axes, starts: knownStarts, ends: knownEnds } : { starts: knownStarts, ends: knownEnds, axes });
  }
  const inputs = [x, shapeTensor(ctx, starts), shapeTensor(ctx, ends), ctx.b.int64s(axes)];
  if (steps.some((s) => s !== 1)) inputs.push(ctx.b.int64s(steps));
  return ctx.b.op1('Slice', inputs);
}

/** ONNX Split into pieces of known sizes: `split` attribute before opset 13, input from 13. */
export function split(ctx: LowerContext, x: string, axisIndex: number, sizes: readonly number[]): string[] {
  if (sizes.length === 1) return [x];
  if (ctx.opset >= 13) return ctx.b.op('Split', [x, ctx.b.int64s(sizes)], { axis: axisIndex }, sizes.length);
  return ctx.b.op('Split', [x], { axis: axisIndex, split: [...sizes] }, sizes.length);
}

export function reshape(ctx: LowerContext, x: string, shape: string, hasZeroDim = false): string {
  if (!hasZeroDim) return ctx.b.op1('Reshape', [x, shape]);
  // Before allowzero (opset 14) a 0 in the shape means "copy the input dim", never "empty".
  if (ctx.opset < 14) fail('OP_OPSET', 'reshaping to a zero-sized dimension needs opset 14 or later');
  return ctx.b.op1('Reshape', [x, shape], { allowzero: 1 });
}

export function transpose(ctx: LowerContext, x: string, perm: readonly number[]): string {
  if (perm.every((p, i) => p === i)) return x;
  return ctx.b.op1('Transpose', [x], { perm: [...perm] });
}

/** Splits `axis` into `count` equal parts: the part count is an attribute from opset 18. */
export function splitEqually(ctx: LowerContext, x: string, axis: number, count: number): string[] {
  return ctx.b.op('Split', [x], ctx.opset >= 18 ? { axis, num_outputs: count } : { axis }, count);
}

/** Normalised reduction axes; undefined means every axis (None, or an empty list as torch reads it). */
export type Axes = number[] | undefined;

/** The opset at which each Reduce* op takes its axes as an input instead of an attribute. */
const AXES_INPUT_FROM: Record<string, number> = { ReduceSum: 13 };

/** `opType(x)` over `axes` (all when undefined); axes must be non-negative below opset 11. */
export function reduce(ctx: LowerContext, opType: string, x: string, axes: Axes, keepdim: boolean): string {
  const keepdims = keepdim ? 1 : 0;
  if (axes === undefined) return ctx.b.op1(opType, [x], { keepdims });
  if (ctx.opset >= (AXES_INPUT_FROM[opType] ?? 18)) return ctx.b.op1(opType, [x, ctx.b.int64s(axes)], { keepdims });
  return ctx.b.op1(opType, [x], { axes, keepdims });
}

/** Zero padding; `pads` in ONNX order (all begins, then all ends). */
export function padZeros(ctx: LowerContext, x: string, pads: number[]): string {
  if (ctx.opset >= 11) return ctx.b.op1('Pad', [x, ctx.b.int64s(pads)]);
  return ctx.b.op1('Pad', [x], { pads, mode: 'constant', value: { f: 0 } });
}

/** Clip of a float32 value to bounds known now: attributes before opset 11, inputs from 11. */
export function clipFloat32(ctx: LowerContext, x: string, min: number, max: number): string {
  if (ctx.opset < 11) return ctx.b.op1('Clip', [x], { min: { f: min }, max: { f: max } });
  return ctx.b.op1('Clip', [x, ctx.b.scalar('float32', min), ctx.b.scalar('float32', max)]);
}

/** ScatterElements (opset 11) or its earlier name Scatter (9, 10; no reductions). */
export function scatterElements(ctx: LowerContext, self: string, index: string, updates: string, d: number, reduction?: string): string {
  if (ctx.opset < 11) return ctx.b.op1('Scatter', [self, index, updates], { axis: d });
  const attrs: OnnxAttrs = { axis: d };
  if (reduction !== undefined) attrs.reduction = reduction;
  return ctx.b.op1('ScatterElements', [self, index, updates], attrs);
}
