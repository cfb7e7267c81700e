/**
 * Pooling: max, average and adaptive pools over 1-3 spatial dims. PyTorch's ceil_mode (which drops a
 * last window that would start in the right padding) is expressed with explicit end pads computed
 * from static sizes, so the result does not depend on how a runtime rounds; dynamic sizes fall back to
 * the ceil_mode attribute (opset 10+).
 */
import { fail } from '../../errors.js';
import type { Dim, GValue, ValueType } from '../../ir/torch-graph.js';
import { type BoundArgs, derivedDim } from '../args.js';
import { rankOf, shapeOf, tensorOf } from '../helpers.js';
import { padZeros, reduce, slice, squeeze, unsqueeze } from '../opset.js';
import type { LowerContext, Lowering, OpDef } from '../registry.js';

// ---- window geometry ----

interface Window {
  readonly kernel: number[];
  readonly stride: number[];
  readonly pad: number[];
  readonly dilation: number[];
  readonly ceil: boolean;
}

function describe(w: Window, i: number, kind: string): string {
  return `${kind}_k${w.kernel[i]}_s${w.stride[i]}_p${w.pad[i]}_d${w.dilation[i]}${w.ceil ? '_ceil' : ''}`;
}

/** PyTorch's pooling output size (pooling_output_shape in aten/src/ATen/native/Pool.h). */
function pooledSize(size: Dim, w: Window, i: number, kind: string): Dim {
  const k = w.kernel[i];
  const s = w.stride[i];
  const p = w.pad[i];
  const d = w.dilation[i];
  if (typeof size !== 'number') return s === 1 && 2 * p === d * (k - 1) ? size : derivedDim(size, describe(w, i, kind));
  const span = size + 2 * p - d * (k - 1) - 1;
  let out = (w.ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  // In ceil mode the last window must start inside the input or the left padding.
  if (w.ceil && (out - 1) * s >= size + p) out--;
  if (out < 1) fail('TRACE_TYPE', `${kind}: input size ${size} is too small for kernel ${k} (output size ${out})`);
  return out;
}

/** End padding beyond `pad` that makes floor-mode ONNX pooling produce PyTorch's output size. */
function ceilExtra(size: number, w: Window, i: number, kind: string): number {
  const out = pooledSize(size, w, i, kind) as number;
  const covered = (out - 1) * w.stride[i] + w.dilation[i] * (w.kernel[i] - 1) + 1;
  return Math.max(0, covered - size - 2 * w.pad[i]);
}

function windowOf(a: BoundArgs, spatialRank: number): Window {
  const kernel = a.ints('kernel_size');
  const stride = a.ints('stride');
  const has = (name: string) => a.schema.args.some((arg) => arg.name === name);
  const w = {
    kernel,
    // `stride=[]` (the default) means stride = kernel.
    stride: stride.length === 0 ? kernel : stride,
    pad: a.ints('padding'),
    dilation: has('dilation') ? a.ints('dilation') : Array(spatialRank).fill(1),
    ceil: a.bool('ceil_mode'),
  };
  for (const [name, list] of Object.entries(w)) {
    if (Array.isArray(list) && list.length !== spatialRank) {
      fail('TRACE_TYPE', `${a.schema.name}: ${name} has ${list.length} values for ${spatialRank} spatial dimensions`);
    }
  }
  return w;
}

// ---- batching: pools accept an unbatched (C, *spatial) input ----

interface Batched {
  readonly x: string;
  readonly spatial: readonly Dim[];
  readonly unbatched: boolean;
}

function batched(ctx: LowerContext, input: GValue, spatialRank: number): Batched {
  const unbatched = rankOf(input) === spatialRank + 1;
  const x = ctx.input(input);
  return { x: unbatched ? unsqueeze(ctx, x, [0]) : x, spatial: shapeOf(input).slice(-spatialRank), unbatched };
}

function unbatch(ctx: LowerContext, b: Batched, ys: string[]): string[] {
  return b.unbatched ? ys.map((y) => squeeze(ctx, y, [0])) : ys;
}

function checkRank(a: BoundArgs, input: GValue, spatialRank: number): void {
  const rank = rankOf(input);
  if (rank !== spatialRank + 1 && rank !== spatialRank + 2) {
    fail('TRACE_TYPE', `${a.schema.name}: expected a ${spatialRank + 1}-D or ${spatialRank + 2}-D input, got ${rank}-D`);
  }
}

/** The pooled value's type, and the indices' type for pools that return them. */
function pooledTypes(input: GValue, spatial: readonly Dim[], withIndices: boolean): ValueType[] {
  const shape = shapeOf(input);
  const out = [...shape.slice(0, shape.length - spatial.length), ...spatial];
  const values = tensorOf(input.tensor.dtype, out);
  return withIndices ? [values, tensorOf('int64', out)] : [values];
}

/**
 * Flat MaxPool indices (over N·C·spatial) → PyTorch's (over spatial only): index mod plane size.
 * Div/Mul/Sub instead of Mod keeps it valid before opset 10.
 */
function torchIndices(ctx: LowerContext, b: Batched, flat: string): string {
  let plane: string;
  const sizes = b.spatial;
  if (sizes.every((s): s is number => typeof s === 'number')) {
    plane = ctx.b.scalar('int64', sizes.reduce((x, y) => x * y, 1));
  } else {
    const dims = slice(ctx, ctx.b.op1('Shape', [b.x]), [{ axis: 0, start: 2, end: 2 + sizes.length, step: 1 }], { axesFirst: true });
    plane = reduce(ctx, 'ReduceProd', dims, [0], false);
  }
  return ctx.b.op1('Sub', [flat, ctx.b.op1('Mul', [ctx.b.op1('Div', [flat, plane]), plane])]);
}

// ---- max pooling ----

function maxPoolAttrs(ctx: LowerContext, op: string, w: Window, spatial: readonly Dim[]): Record<string, number | number[]> {
  const attrs: Record<string, number | number[]> = { kernel_shape: w.kernel, strides: w.stride };
  if (w.dilation.some((d) => d !== 1)) {
    if (ctx.opset < 10) fail('OP_OPSET', `${op} with dilation needs opset 10 or later`);
    attrs.dilations = w.dilation;
  }
  if (spatial.every((s): s is number => typeof s === 'number')) {
    attrs.pads = [...w.pad, ...w.pad.map((p, i) => p + (w.ceil ? ceilExtra(spatial[i] as number, w, i, op) : 0))];
  } else {
    if (w.ceil) {
      if (ctx.opset < 10) fail('OP_OPSET', `${op} with ceil_mode on a dynamic spatial size needs opset 10 or later`);
      attrs.ceil_mode = 1;
    }
    attrs.pads = [...w.pad, ...w.pad];
  }
  return attrs;
}

function maxPool(spatialRank: number, withIndices: boolean) {
  const infer = (a: BoundArgs): ValueType[] => {
    const input = a.tensor('self');
    checkRank(a, input, spatialRank);
    const w = windowOf(a, spatialRank);
    const spatial = shapeOf(input).slice(-spatialRank).map((s, i) => pooledSize(s, w, i, 'maxpool'));
    return pooledTypes(input, spatial, withIndices);
  };
  const lower = (ctx: LowerContext, a: BoundArgs): string[] => {
    const input = a.tensor('self');
    const b = batched(ctx, input, spatialRank);
    const attrs = maxPoolAttrs(ctx, a.schema.name, windowOf(a, spatialRank), b.spatial);
    const values = ctx.b.op1('MaxPool', [b.x], attrs);
    if (!withIndices) return unbatch(ctx, b, [values]);
    // A separate node, so that a dead-code pass drops the whole chain when indices are unused.
    const flat = ctx.b.op('MaxPool', [b.x], attrs, 2)[1];
    return unbatch(ctx, b, [values, torchIndices(ctx, b, flat)]);
  };
  // MaxPool's indices output exists from opset 8.
  const lowest = withIndices ? 8 : 7;
  const lowerings: Record<number, Lowering> = { [lowest]: lower };
  return { infer, lower: lowerings };
}

// ---- average pooling ----

function avgPool(spatialRank: number) {
  const infer = (a: BoundArgs): ValueType[] => {
    const input = a.tensor('self');
    checkRank(a, input, spatialRank);
    const w = windowOf(a, spatialRank);
    return pooledTypes(input, shapeOf(input).slice(-spatialRank).map((s, i) => pooledSize(s, w, i, 'avgpool')), false);
  };
  const lower = (ctx: LowerContext, a: BoundArgs): string[] => {
    const op = a.schema.name;
    if (a.schema.args.some((arg) => arg.name === 'divisor_override') && !a.isNone('divisor_override')) {
      fail('OP_UNSUPPORTED', `${op} with divisor_override has no ONNX equivalent`);
    }
    const w = windowOf(a, spatialRank);
    const countPad = a.bool('count_include_pad');
    const b = batched(ctx, a.tensor('self'), spatialRank);
    const attrs: Record<string, number | number[]> = { kernel_shape: w.kernel, strides: w.stride };
    let x = b.x;
    const padded = w.pad.some((p) => p !== 0);
    if (b.spatial.every((s): s is number => typeof s === 'number')) {
      const extra = w.pad.map((_, i) => (w.ceil ? ceilExtra(b.spatial[i] as number, w, i, op) : 0));
      const ceilPadded = extra.some((e) => e !== 0);
      if (countPad && padded && ceilPadded) {
        // PyTorch's divisor counts the symmetric padding but not the ceil-mode overhang: pad with
        // real zeros, and let the overhang be excluded padding.
        x = padZeros(ctx, x, [0, 0, ...w.pad, 0, 0, ...w.pad]);
        attrs.pads = [...w.pad.map(() => 0), ...extra];
        attrs.count_include_pad = 0;
      } else {
        attrs.pads = [...w.pad, ...w.pad.map((p, i) => p + extra[i])];
        attrs.count_include_pad = countPad && padded ? 1 : 0;
      }
    } else {
      if (w.ceil) {
        if (ctx.opset < 10) fail('OP_OPSET', `${op} with ceil_mode on a dynamic spatial size needs opset 10 or later`);
        attrs.ceil_mode = 1;
      }
      attrs.pads = [...w.pad, ...w.pad];
      attrs.count_include_pad = countPad && padded ? 1 : 0;
    }
    return unbatch(ctx, b, [ctx.b.op1('AveragePool', [x], attrs)]);
  };
  return { infer, lower: { 7: lower } };
}

// ---- adaptive pooling ----

/** Output cell j reads input [floor(j·in/out), ceil((j+1)·in/out)). */
function cellRange(size: number, out: number, j: number): [number, number] {
  return [Math.floor((j * size) / out), Math.ceil(((j + 1) * size) / out)];
}

/** Kernel and stride when every cell has the same size and cells are evenly spaced. */
function uniformWindow(size: number, out: number): { kernel: number; stride: number } | undefined {
  const [start0, end0] = cellRange(size, out, 0);
  const kernel = end0 - start0;
  const stride = out > 1 ? cellRange(size, out, 1)[0] - start0 : kernel;
  if (stride < 1) return undefined;
  for (let j = 0; j < out; j++) {
    const [start, end] = cellRange(size, out, j);
    if (start !== j * stride || end - start !== kernel) return undefined;
  }
  return { kernel, stride };
}

function outputSizes(a: BoundArgs, spatialRank: number): number[] {
  const sizes = a.ints('output_size');
  if (sizes.length !== spatialRank) fail('TRACE_TYPE', `${a.schema.name}: output_size must have ${spatialRank} values`);
  return sizes;
}

function staticSpatial(op: string, spatial: readonly Dim[]): number[] {
  if (spatial.every((s): s is number => typeof s === 'number')) return [...spatial];
  return fail('TRACE_UNSUPPORTED', `${op} to a size other than 1 needs static spatial input sizes`);
}

/**
 * Mean over each cell, one spatial axis at a time (the mean over a box is the mean of the per-axis
 * means): Slice + ReduceMean per output position, then Concat.
 */
function separableMean(ctx: LowerContext, x: string, sizes: number[], outs: number[]): string {
  let y = x;
  sizes.forEach((size, i) => {
    if (size === outs[i]) return;
    const axis = 2 + i;
    const source = y;
    // Cells repeat when the output is larger than the input: compute each distinct window once.
    const windows = new Map<string, string>();
    const cells = Array.from({ length: outs[i] }, (_, j) => {
      const [start, end] = cellRange(size, outs[i], j);
      const key = `${start}:${end}`;
      let cell = windows.get(key);
      if (cell === undefined) {
        cell = slice(ctx, source, [{ axis, start, end, step: 1 }], { axesFirst: true });
        if (end - start > 1) cell = reduce(ctx, 'ReduceMean', cell, [axis], true);
        windows.set(key, cell);
      }
      return cell;
    });
    y = cells.length === 1 ? cells[0] : ctx.b.op1('Concat', cells, { axis });
  });
  return y;
}

function adaptiveInfer(spatialRank: number, withIndices: boolean) {
  return (a: BoundArgs): ValueType[] => {
    const input = a.tensor('self');
    checkRank(a, input, spatialRank);
    return pooledTypes(input, outputSizes(a, spatialRank), withIndices);
  };
}

function adaptiveAvgPool(spatialRank: number) {
  const lower = (ctx: LowerContext, a: BoundArgs): string[] => {
    const outs = outputSizes(a, spatialRank);
    const b = batched(ctx, a.tensor('self'), spatialRank);
    if (outs.every((o) => o === 1)) return unbatch(ctx, b, [ctx.b.op1('GlobalAveragePool', [b.x])]);
    const sizes = staticSpatial(a.schema.name, b.spatial);
    const windows = sizes.map((size, i) => uniformWindow(size, outs[i]));
    if (windows.every((w) => w !== undefined)) {
      const pool = ctx.b.op1('AveragePool', [b.x], {
        kernel_shape: windows.map((w) => w!.kernel),
        strides: windows.map((w) => w!.stride),
      });
      return unbatch(ctx, b, [pool]);
    }
    return unbatch(ctx, b, [separableMean(ctx, b.x, sizes, outs)]);
  };
  return { infer: adaptiveInfer(spatialRank, false), lower: { 7: lower } };
}

function adaptiveMaxPool(spatialRank: number) {
  const lower = (ctx: LowerContext, a: BoundArgs): string[] => {
    const op = a.schema.name;
    const outs = outputSizes(a, spatialRank);
    const b = batched(ctx, a.tensor('self'), spatialRank);
    const global = outs.every((o) => o === 1);
    if (global && b.spatial.some((s) => typeof s !== 'number')) {
      // Dynamic sizes: first maximum over the flattened plane gives PyTorch's index directly.
      const values = ctx.b.op1('GlobalMaxPool', [b.x]);
      const flatPlanes = ctx.b.op1('Reshape', [b.x, ctx.b.int64s([0, 0, -1])]);
      const argmax = ctx.b.op1('ArgMax', [flatPlanes], { axis: 2, keepdims: 1 });
      const indices = spatialRank > 1 ? unsqueeze(ctx, argmax, Array.from({ length: spatialRank - 1 }, (_, i) => 3 + i)) : argmax;
      return unbatch(ctx, b, [values, indices]);
    }
    const sizes = staticSpatial(op, b.spatial);
    const windows = sizes.map((size, i) => uniformWindow(size, outs[i]));
    if (!windows.every((w) => w !== undefined)) {
      return fail('TRACE_UNSUPPORTED', `${op}: input size [${sizes.join(', ')}] to output size [${outs.join(', ')}] has uneven windows`);
    }
    const attrs = { kernel_shape: windows.map((w) => w!.kernel), strides: windows.map((w) => w!.stride) };
    const values = ctx.b.op1('MaxPool', [b.x], attrs);
    const flat = ctx.b.op('MaxPool', [b.x], attrs, 2)[1];
    return unbatch(ctx, b, [values, torchIndices(ctx, b, flat)]);
  };
  return { infer: adaptiveInfer(spatialRank, true), lower: { 8: lower } };
}

export const poolOps: readonly OpDef[] = [
  {
    schemas: ['aten::max_pool1d(Tensor self, int[1] kernel_size, int[1] stride=[], int[1] padding=[0], int[1] dilation=[1], bool ceil_mode=False) -> Tensor'],
    ...maxPool(1, false),
  },
  {
    schemas: ['aten::max_pool2d(Tensor self, int[2] kernel_size, int[2] stride=[], int[2] padding=0, int[2] dilation=1, bool ceil_mode=False) -> Tensor'],
    ...maxPool(2, false),
  },
  {
    schemas: ['aten::max_pool3d(Tensor self, int[3] kernel_size, int[3] stride=[], int[3] padding=0, int[3] dilation=1, bool ceil_mode=False) -> Tensor'],
    ...maxPool(3, false),
  },
  {
    schemas: ['aten::max_pool1d_with_indices(Tensor self, int[1] kernel_size, int[1] stride=[], int[1] padding=[0], int[1] dilation=[1], bool ceil_mode=False) -> (Tensor, Tensor)'],
    ...maxPool(1, true),
  },
  {
    schemas: ['aten::max_pool2d_with_indices(Tensor self, int[2] kernel_size, int[2] stride=[], int[2] padding=0, int[2] dilation=1, bool ceil_mode=False) -> (Tensor, Tensor)'],
    ...maxPool(2, true),
  },
  {
    schemas: ['aten::max_pool3d_with_indices(Tensor self, int[3] kernel_size, int[3] stride=[], int[3] padding=0, int[3] dilation=1, bool ceil_mode=False) -> (Tensor, Tensor)'],
    ...maxPool(3, true),
  },
  {
    schemas: ['aten::avg_pool1d(Tensor self, int[1] kernel_size, int[1] stride=[], int[1] padding=[0], bool ceil_mode=False, bool count_include_pad=True) -> Tensor'],
    ...avgPool(1),
  },
  {
    schemas: ['aten::avg_pool2d(Tensor self, int[2] kernel_size, int[2] stride=[], int[2] padding=0, bool ceil_mode=False, bool count_include_pad=True, int? divisor_override=None) -> Tensor'],
    ...avgPool(2),
  },
  {
    schemas: ['aten::avg_pool3d(Tensor self, int[3] kernel_size, int[3] stride=[], int[3] padding=0, bool ceil_mode=False, bool count_include_pad=True, int? divisor_override=None) -> Tensor'],
    ...avgPool(3),
  },
  { schemas: ['aten::adaptive_avg_pool1d(Tensor self, int[1] output_size) -> Tensor'], ...adaptiveAvgPool(1) },
  { schemas: ['aten::adaptive_avg_pool2d(Tensor self, SymInt[2] output_size) -> Tensor'], ...adaptiveAvgPool(2) },
  { schemas: ['aten::adaptive_avg_pool3d(Tensor self, int[3] output_size) -> Tensor',
    'aten::adaptive_avg_pool3d(Tensor self, SymInt[3] output_size) -> Tensor'], ...adaptiveAvgPool(3) },
  { schemas: ['aten::adaptive_max_pool1d(Tensor self, int[1] output_size) -> (Tensor, Tensor)'], ...adaptiveMaxPool(1) },
  { schemas: ['aten::adaptive_max_pool2d(Tensor self, int[2] output_size) -> (Tensor, Tensor)'], ...adaptiveMaxPool(2) },
  { schemas: ['aten::adaptive_max_pool3d(Tensor self, int[3] output_size) -> (Tensor, Tensor)'], ...adaptiveMaxPool(3) },
];
