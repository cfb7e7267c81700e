/**
 * Upsampling (`F.interpolate` and the `upsample_*` ops it calls) as ONNX Resize. Torch's nearest is
 * Resize's `asymmetric` + `floor`, nearest-exact is `half_pixel` + `round_prefer_ceil`, and linear
 * and cubic map pixel centres (`half_pixel`) or corners (`align_corners`); cubic uses a = -0.75.
 * Antialiased resizing is a product with constant weight matrices.
 */
import { PyFloat } from '../../archive/types.js';
import { fail } from '../../errors.js';
import type { OnnxAttrs } from '../../ir/onnx-graph.js';
import type { Arg, Dim, GValue, TensorType } from '../../ir/torch-graph.js';
import { type BoundArgs, type IntArg, intListArg, shapeTensor, sizeDim } from '../args.js';
import { isFloating } from '../dtypes.js';
import { castTo, rankOf, requireSameDtype, requireShape, shapeOf, tensorOf } from '../helpers.js';
import { needOpset, slice, transpose } from '../opset.js';
import type { LowerContext, OpDef } from '../registry.js';

type Mode = 'nearest' | 'nearest-exact' | 'linear' | 'cubic';

interface Resize {
  x: GValue;
  mode: Mode;
  alignCorners: boolean;
  /** Output sizes of the spatial dims, when torch was given them. */
  sizes?: IntArg[];
  /** Scale factors of the spatial dims, when torch was given them: torch maps coordinates with them. */
  scales?: number[];
}

function floatOf(v: Arg, op: string): number {
  if (typeof v === 'number') return v;
  if (v instanceof PyFloat) return v.value;
  return fail('TRACE_TYPE', `${op}: scale factors must be numbers known at conversion time`);
}

/** A `float[]?` or `float?` argument as one scale per spatial dim, or undefined for None. */
function scalesArg(a: BoundArgs, name: string, spatial: number): number[] | undefined {
  const v = a.raw(name);
  if (v === null) return undefined;
  const scales = Array.isArray(v) ? v.map((s: Arg) => floatOf(s, a.schema.name)) : Array(spatial).fill(floatOf(v, a.schema.name));
  if (scales.length !== spatial) fail('TRACE_TYPE', `${a.schema.name}: expected ${spatial} scale factors, got ${scales.length}`);
  return scales;
}

function sizesArg(a: BoundArgs, name: string, spatial: number): IntArg[] | undefined {
  const v = a.raw(name);
  if (v === null) return undefined;
  const sizes = Array.isArray(v) ? intListArg(a, name) : Array<IntArg>(spatial).fill(v as IntArg);
  if (sizes.length !== spatial) fail('TRACE_TYPE', `${a.schema.name}: expected ${spatial} output sizes, got ${sizes.length}`);
  return sizes;
}

function spatialRank(a: BoundArgs, x: GValue, spatial: number): void {
  if (rankOf(x) !== spatial + 2) fail('TRACE_TYPE', `${a.schema.name}: expected a tensor of rank ${spatial + 2}, got rank ${rankOf(x)}`);
}

/** `upsample_*(self, output_size, [align_corners,] scales...)` and the `.vec` forms. */
function upsampleArgs(a: BoundArgs, mode: Mode, spatial: number): Resize {
  const vec = a.values.has('input');
  const x = a.tensor(vec ? 'input' : 'self');
  spatialRank(a, x, spatial);
  const alignCorners = a.values.has('align_corners') && a.bool('align_corners');
  if (vec) {
    const sizes = sizesArg(a, 'output_size', spatial);
    const scales = scalesArg(a, 'scale_factors', spatial);
    if (!sizes === !scales) fail('TRACE_TYPE', `${a.schema.name}: give exactly one of output_size and scale_factors`);
    return { x, mode, alignCorners, sizes, scales };
  }
  const names = spatial === 1 ? ['scales'] : ['scales_d', 'scales_h', 'scales_w'].slice(3 - spatial);
  const given = names.map((n) => a.raw(n));
  const scales = given.every((s) => s !== null) ? given.map((s) => floatOf(s, a.schema.name)) : undefined;
  return { x, mode, alignCorners, sizes: sizesArg(a, 'output_size', spatial), scales };
}

const INTERPOLATE_MODES: Record<string, Mode> = {
  nearest: 'nearest',
  'nearest-exact': 'nearest-exact',
  linear: 'linear',
  bilinear: 'linear',
  trilinear: 'linear',
  bicubic: 'cubic',
};

/** `aten::__interpolate`: the builtin `F.interpolate` of old archives. */
function interpolateArgs(a: BoundArgs): Resize {
  const x = a.tensor('input');
  const spatial = rankOf(x) - 2;
  const modeName = a.str('mode');
  const mode = INTERPOLATE_MODES[modeName];
  if (!mode) fail('OP_UNSUPPORTED', `interpolate: mode "${modeName}" is not supported`);
  if (a.bool('antialias')) fail('OP_UNSUPPORTED', 'interpolate: antialias=True is not supported');
  const alignCorners = !a.isNone('align_corners') && a.bool('align_corners');
  const sizes = sizesArg(a, 'size', spatial);
  const scales = scalesArg(a, 'scale_factor', spatial);
  if (!sizes === !scales) fail('TRACE_TYPE', 'interpolate: give exactly one of size and scale_factor');
  if (scales && !a.isNone('recompute_scale_factor') && a.bool('recompute_scale_factor')) {
    // The sizes come from the scales, and coordinates map with in/out as if sizes were given.
    const computed = shapeOf(x).slice(2).map((d, i) => (typeof d === 'number' ? Math.floor(d * scales[i]) : undefined));
    if (computed.some((d) => d === undefined)) fail('TRACE_UNSUPPORTED', 'interpolate: recompute_scale_factor=True needs static spatial sizes');
    return { x, mode, alignCorners, sizes: computed as number[] };
  }
  return { x, mode, alignCorners, sizes, scales };
}

function inferResize(a: BoundArgs, r: Resize): TensorType[] {
  const shape = shapeOf(r.x);
  const spatial = shape.slice(2).map((d, i): Dim => {
    const size = r.sizes?.[i];
    if (size !== undefined) return typeof size === 'number' ? size : a.freshDim('upsample');
    return typeof d === 'number' ? Math.floor(d * r.scales![i]) : a.freshDim('upsample');
  });
  return [tensorOf(r.x.tensor.dtype, [...shape.slice(0, 2), ...spatial])];
}

/** Resize can take torch's scales when they give torch's output sizes. */
function scalesFit(r: Resize): r is Resize & { scales: number[] } {
  if (!r.scales) return false;
  if (!r.sizes) return true;
  const input = shapeOf(r.x).slice(2);
  return r.sizes.every((s, i) => {
    const d = input[i];
    return typeof s === 'number' && typeof d === 'number' && Math.floor(d * r.scales![i]) === s;
  });
}

/**
 * Scales for Upsample and Resize-10, which compute `floor(in * scale)` and map coordinates with
 * the scale: torch's sizes need a ratio float32 holds exactly, else one of the two is off.
 */
function staticScales(r: Resize): number[] {
  if (scalesFit(r)) return r.scales;
  const input = shapeOf(r.x).slice(2);
  return r.sizes!.map((s, i) => {
    const d = input[i];
    if (typeof s !== 'number' || typeof d !== 'number') fail('OP_OPSET', 'resizing to sizes known only at run time needs opset 11 or later');
    const scale = Math.fround(s / d);
    if (scale * d !== s) fail('OP_OPSET', `nearest resizing from ${d} to ${s} needs opset 11 or later (the ratio is not exact in float32)`);
    return scale;
  });
}

/** Where torch's linear kernel reads one output position from: two source indices and their weights. */
interface LinearTaps {
  low: number[];
  high: number[];
  lowWeight: number[];
  highWeight: number[];
}

/**
 * torch's linear source coordinates along one axis, in float32 as its kernel computes them:
 * align_corners maps corners ((in-1)/(out-1) per step), otherwise pixel centres with the given
 * scale's reciprocal or in/out, clamped at 0.
 */
function linearTaps(inSize: number, outSize: number, alignCorners: boolean, scale: number | undefined): LinearTaps {
  const f = Math.fround;
  let ratio: number;
  if (alignCorners) ratio = outSize > 1 ? f((inSize - 1) / (outSize - 1)) : 0;
  else ratio = scale !== undefined && scale > 0 ? f(1 / scale) : f(inSize / outSize);
  const taps: LinearTaps = { low: [], high: [], lowWeight: [], highWeight: [] };
  for (let o = 0; o < outSize; o++) {
    const source = alignCorners ? f(ratio * o) : Math.max(f(f(ratio * (o + 0.5)) - 0.5), 0);
    const low = Math.min(Math.floor(source), inSize - 1);
    const highWeight = Math.min(Math.max(f(source - low), 0), 1);
    taps.low.push(low);
    taps.high.push(low < inSize - 1 ? low + 1 : low);
    taps.highWeight.push(highWeight);
    taps.lowWeight.push(f(1 - highWeight));
  }
  return taps;
}

/**
 * Linear resizing before Resize-11 (Upsample's linear mode maps coordinates differently from torch):
 * per spatial axis, two Gathers of the source rows weighted as torch weighs them. Sizes must be
 * static; float16 and bfloat16 compute in float32, as torch's kernel does.
 */
function linearByGather(ctx: LowerContext, r: Resize): string {
  const b = ctx.b;
  const shape = shapeOf(r.x);
  const rank = shape.length;
  const dtype = r.x.tensor.dtype;
  const compute = dtype === 'float16' || dtype === 'bfloat16' ? 'float32' : dtype;
  let y = castTo(ctx, ctx.input(r.x), dtype, compute);
  shape.slice(2).forEach((inSize, i) => {
    const size = r.sizes?.[i];
    const outSize = size !== undefined ? size : typeof inSize === 'number' ? Math.floor(inSize * r.scales![i]) : undefined;
    if (typeof inSize !== 'number' || typeof outSize !== 'number') {
      fail('OP_OPSET', 'linear resizing of sizes known only at run time needs opset 11 or later');
    }
    const taps = linearTaps(inSize, outSize, r.alignCorners, r.scales?.[i]);
    if (outSize === inSize && taps.low.every((l, o) => l === o) && taps.highWeight.every((w) => w === 0)) return;
    const axis = i + 2;
    const weightShape = [outSize, ...Array<number>(rank - 1 - axis).fill(1)];
    const tap = (index: number[], weight: number[]) =>
      b.op1('Mul', [b.op1('Gather', [y, b.int64s(index)], { axis }), b.constant(compute, weightShape, weight)]);
    y = b.op1('Add', [tap(taps.low, taps.lowWeight), tap(taps.high, taps.highWeight)]);
  });
  return castTo(ctx, y, compute, dtype);
}

/**
 * Upsample (opsets 7 to 9) and Resize-10: nearest only, and only enlarging, where they agree with
 * torch; linear is written out with Gathers.
 */
function lowerBeforeResize11(ctx: LowerContext, r: Resize): string {
  if (r.mode === 'linear') return linearByGather(ctx, r);
  if (r.mode !== 'nearest') fail('OP_OPSET', `${r.mode} resizing needs opset 11 or later`);
  const scales = [1, 1, ...staticScales(r)];
  // These versions round source coordinates up when shrinking, unlike torch.
  if (scales.some((s) => s < 1)) fail('OP_OPSET', 'nearest downsampling needs opset 11 or later');
  const x = ctx.input(r.x);
  if (ctx.opset < 9) return ctx.b.op1('Upsample', [x], { mode: 'nearest', scales: { floats: scales } });
  return ctx.b.op1(ctx.opset < 10 ? 'Upsample' : 'Resize', [x, ctx.b.constant('float32', [scales.length], scales)], { mode: 'nearest' });
}

function resizeAttrs(r: Resize): OnnxAttrs {
  if (r.mode === 'nearest') return { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' };
  if (r.mode === 'nearest-exact') return { mode: 'nearest', coordinate_transformation_mode: 'half_pixel', nearest_mode: 'round_prefer_ceil' };
  const coordinates = r.alignCorners ? 'align_corners' : 'half_pixel';
  if (r.mode === 'linear') return { mode: 'linear', coordinate_transformation_mode: coordinates };
  return { mode: 'cubic', coordinate_transformation_mode: coordinates, cubic_coeff_a: { f: -0.75 } };
}

/** The full output shape for Resize's `sizes`: batch and channel dims as they are, then the spatial sizes. */
function sizesInput(ctx: LowerContext, r: Resize): string {
  const lead = shapeOf(r.x).slice(0, 2);
  const sizes = r.sizes!;
  if (lead.every((d) => typeof d === 'number')) return shapeTensor(ctx, [...(lead as number[]), ...sizes]);
  const leadShape = slice(ctx, ctx.b.op1('Shape', [ctx.input(r.x)]), [{ axis: 0, start: 0, end: 2, step: 1 }]);
  return ctx.b.op1('Concat', [leadShape, shapeTensor(ctx, sizes)], { axis: 0 });
}

function lowerResize(ctx: LowerContext, r: Resize): string[] {
  if (ctx.opset < 11) return [lowerBeforeResize11(ctx, r)];
  const x = ctx.input(r.x);
  // Optional inputs may be left out only from opset 13; before, they are empty tensors.
  const absent = () => (ctx.opset >= 13 ? '' : ctx.b.constant('float32', [0], []));
  const attrs = resizeAttrs(r);
  if (scalesFit(r)) {
    const scales = [1, 1, ...r.scales];
    return [ctx.b.op1('Resize', [x, absent(), ctx.b.constant('float32', [scales.length], scales)], attrs)];
  }
  return [ctx.b.op1('Resize', [x, absent(), absent(), sizesInput(ctx, r)], attrs)];
}

function upsampleOp(schemas: string[], mode: Mode, spatial: number): OpDef {
  const args = (a: BoundArgs) => upsampleArgs(a, mode, spatial);
  return {
    schemas,
    infer: (a) => inferResize(a, args(a)),
    // Nearest is Upsample below opset 11 and linear Gathers; nearest-exact and cubic need Resize-11.
    lower: { [mode === 'nearest' || mode === 'linear' ? 7 : 11]: (ctx, a) => lowerResize(ctx, args(a)) },
  };
}

/**
 * PyTorch's antialiased filters (as Pillow's): the triangle for bilinear, Keys' cubic with a = -0.5
 * for bicubic, evaluated in the kernel's precision `f`.
 */
function antialiasFilter(cubic: boolean, f: (v: number) => number): (x: number) => number {
  if (!cubic) return (x) => (Math.abs(x) < 1 ? f(1 - Math.abs(x)) : 0);
  const a = -0.5;
  return (v) => {
    const x = Math.abs(v);
    if (x < 1) return f(f(f(f(f((a + 2) * x) - (a + 3)) * x) * x) + 1);
    if (x < 2) return f(f(f(f(f(f(a * x) - 5 * a) * x) + 8 * a) * x) - 4 * a);
    return 0;
  };
}

/**
 * The (out x in) matrix of PyTorch's antialiased interpolation along one axis, as its CPU kernel
 * computes it in the input's precision `f`: output i is centred at scale * (i + 0.5) and reads the
 * inputs within the filter's support (widened by the scale when shrinking), weighted by the filter
 * at (input - centre + 0.5) / max(scale, 1) and normalised to sum 1.
 */
function antialiasMatrix(inSize: number, outSize: number, alignCorners: boolean, scaleFactor: number | undefined, cubic: boolean, f: (v: number) => number): number[] {
  let scale: number;
  if (alignCorners) scale = outSize > 1 ? f((inSize - 1) / (outSize - 1)) : 0;
  else scale = scaleFactor !== undefined && scaleFactor > 0 ? f(1 / scaleFactor) : f(inSize / outSize);
  const taps = cubic ? 4 : 2;
  const support = f(scale >= 1 ? taps * 0.5 * scale : taps * 0.5);
  const inverse = scale >= 1 ? f(1 / scale) : 1;
  const filter = antialiasFilter(cubic, f);
  const matrix = new Array<number>(outSize * inSize).fill(0);
  for (let i = 0; i < outSize; i++) {
    const center = f(scale * (i + 0.5));
    const first = Math.max(Math.trunc(f(center - support) + 0.5), 0);
    const count = Math.min(Math.trunc(f(center + support) + 0.5), inSize) - first;
    const weights: number[] = [];
    let total = 0;
    for (let j = 0; j < count; j++) {
      const w = filter(f((f(j + first - center) + 0.5) * inverse));
      weights.push(w);
      total = f(total + w);
    }
    weights.forEach((w, j) => {
      matrix[i * inSize + first + j] = total !== 0 ? f(w / total) : w;
    });
  }
  return matrix;
}

/**
 * `_upsample_bilinear2d_aa` / `_upsample_bicubic2d_aa` (F.interpolate(antialias=True), torchvision's
 * Resize): separable, so each resized axis is a MatMul by a constant weight matrix computed now,
 * width first as PyTorch's kernel runs them; an axis whose size is unchanged is left as it is, as
 * the kernel leaves it. Needs known spatial sizes.
 */
function lowerAntialias(ctx: LowerContext, r: Resize): string[] {
  const op = r.mode === 'cubic' ? 'aten::_upsample_bicubic2d_aa' : 'aten::_upsample_bilinear2d_aa';
  const dtype = r.x.tensor.dtype;
  if (dtype !== 'float32' && dtype !== 'float64') fail('OP_UNSUPPORTED', `${op}: ${dtype} input (PyTorch's CPU kernel takes float32 and float64)`);
  const f = dtype === 'float32' ? Math.fround : (v: number) => v;
  const input = shapeOf(r.x).slice(2);
  const output = input.map((d, i) => r.sizes?.[i] ?? (typeof d === 'number' ? Math.floor(d * r.scales![i]) : undefined));
  if (![...input, ...output].every((d) => typeof d === 'number')) fail('OP_UNSUPPORTED', `${op}: antialiased resizing needs spatial sizes known at conversion time`);
  const [inH, inW] = input as number[];
  const [outH, outW] = output as number[];
  let y = ctx.input(r.x);
  if (outW !== inW) {
    const weights = antialiasMatrix(inW, outW, r.alignCorners, r.scales?.[1], r.mode === 'cubic', f);
    const transposed = Array.from({ length: inW * outW }, (_, k) => weights[(k % outW) * inW + Math.floor(k / outW)]);
    y = ctx.b.op1('MatMul', [y, ctx.b.constant(dtype, [inW, outW], transposed)]);
  }
  if (outH !== inH) y = ctx.b.op1('MatMul', [ctx.b.constant(dtype, [outH, inH], antialiasMatrix(inH, outH, r.alignCorners, r.scales?.[0], r.mode === 'cubic', f)), y]);
  return [y === ctx.input(r.x) ? ctx.b.op1('Identity', [y]) : y];
}

function antialiasOp(schemas: string[], mode: 'linear' | 'cubic'): OpDef {
  const args = (a: BoundArgs) => upsampleArgs(a, mode, 2);
  return { schemas, infer: (a) => inferResize(a, args(a)), lower: { 7: (ctx, a) => lowerAntialias(ctx, args(a)) } };
}

const NEAREST_1D = 'SymInt[1] output_size, float? scales=None';
const NEAREST_2D = 'SymInt[2] output_size, float? scales_h=None, float? scales_w=None';
const NEAREST_3D = 'SymInt[3] output_size, float? scales_d=None, float? scales_h=None, float? scales_w=None';
const VEC = 'Tensor input, SymInt[]? output_size, float[]? scale_factors';
const VEC_ALIGNED = 'Tensor input, SymInt[]? output_size, bool align_corners, float[]? scale_factors';
const INTERPOLATE_TAIL = 'str mode="nearest", bool? align_corners=None, bool? recompute_scale_factor=None, bool antialias=False';

// ---------------------------------------------------------------------------------------------
// grid_sampler / affine_grid_generator

const GRID_MODES = ['bilinear', 'nearest', 'bicubic'] as const;
const GRID_PADDINGS = ['zeros', 'border', 'reflection'] as const;

function gridSampleArgs(a: BoundArgs) {
  const op = a.schema.name;
  const input = a.tensor('input');
  const grid = a.tensor('grid');
  const rank = rankOf(input);
  if (rank !== 4 && rank !== 5) fail('TRACE_TYPE', `${op}: expected a 4-D or 5-D input, got ${rank}-D`);
  requireSameDtype(op, ['input', input], ['grid', grid]);
  if (!isFloating(input.tensor.dtype)) fail('TRACE_TYPE', `${op}: not implemented for '${input.tensor.dtype}' input`);
  requireShape(op, ['grid', grid], [shapeOf(input)[0], ...Array<undefined>(rank - 2).fill(undefined), rank - 2]);
  const mode = GRID_MODES[a.int('interpolation_mode')];
  const padding = GRID_PADDINGS[a.int('padding_mode')];
  if (!mode) fail('TRACE_TYPE', `${op}: interpolation_mode ${a.int('interpolation_mode')} is not 0, 1 or 2`);
  if (!padding) fail('TRACE_TYPE', `${op}: padding_mode ${a.int('padding_mode')} is not 0, 1 or 2`);
  if (rank === 5 && mode === 'bicubic') fail('TRACE_TYPE', `${op}: bicubic interpolation only supports 4-D input`);
  return { input, grid, rank, mode, padding, alignCorners: a.bool('align_corners') };
}

/** GridSample-16 is 2-d only with modes named bilinear/bicubic; GridSample-20 is N-d with linear/cubic. */
function lowerGridSampler(ctx: LowerContext, a: BoundArgs): string[] {
  const g = gridSampleArgs(a);
  if (g.rank === 5) needOpset(ctx, 20, 'volumetric (5-D) grid sampling');
  const mode = ctx.opset >= 20 ? { bilinear: 'linear', nearest: 'nearest', bicubic: 'cubic' }[g.mode] : g.mode;
  const attrs = { align_corners: g.alignCorners ? 1 : 0, mode, padding_mode: g.padding };
  return [ctx.b.op1('GridSample', [ctx.input(g.input), ctx.input(g.grid)], attrs)];
}

/**
 * Below opset 16 (no GridSample), 2-D bilinear and nearest sampling with zeros or border padding as PyTorch's CPU
 * kernel computes it: pixel coordinates unnormalized in its order of operations, each of the four neighbours (or the
 * nearest pixel, rounded half to even) read with GatherElements from the flattened image at its clamped index, and
 * weighted by PyTorch's corner weights times whether it lies inside the image. Needs the image's height and width.
 */
function lowerGridSamplerByGather(ctx: LowerContext, a: BoundArgs): string[] {
  const g = gridSampleArgs(a);
  const [height, width] = shapeOf(g.input).slice(2);
  const unsupported = g.rank === 5 ? 'volumetric (5-D) grid sampling' : g.mode === 'bicubic' ? 'bicubic grid sampling'
    : g.padding === 'reflection' ? 'grid sampling with reflection padding'
      : typeof height !== 'number' || typeof width !== 'number' ? 'grid sampling of an image whose size is known only at run time' : undefined;
  if (unsupported) needOpset(ctx, 16, `${unsupported} (GridSample)`);
  const [h, w] = [height as number, width as number];
  const b = ctx.b;
  const dtype = g.input.tensor.dtype;
  const num = (v: number) => b.scalar(dtype, v);
  const input = ctx.input(g.input);
  const grid = ctx.input(g.grid);
  // Pixel coordinates as PyTorch's vectorized CPU kernel computes them: (c + 1) * (size - 1) / 2 with
  // align_corners, else (c + 1) * size / 2 - 0.5.
  const pixel = (axis: number, size: number) => {
    const c = b.op1('Add', [b.op1('Gather', [grid, b.int64s([axis])], { axis: 3 }), num(1)]);
    const p = g.alignCorners
      ? b.op1('Mul', [c, num((size - 1) / 2)])
      : b.op1('Sub', [b.op1('Mul', [c, num(size / 2)]), num(0.5)]);
    return g.padding === 'border' ? b.op1('Min', [b.op1('Max', [p, num(0)]), num(size - 1)]) : p;
  };
  const ix = pixel(0, w); // [N, Ho, Wo, 1]
  const iy = pixel(1, h);
  const flat = b.op1('Reshape', [input, b.int64s([0, 0, h * w])]);
  const batchChannels = slice(ctx, b.op1('Shape', [input]), [{ axis: 0, start: 0, end: 2, step: 1 }]);
  const gridShape = b.op1('Shape', [grid]);
  const points = b.op1('Mul', [b.op1('Gather', [gridShape, b.int64s([1])], { axis: 0 }), b.op1('Gather', [gridShape, b.int64s([2])], { axis: 0 })]);
  const expandTo = b.op1('Concat', [batchChannels, points], { axis: 0 });
  // The value at integral pixel (x, y), [N, C, Ho * Wo], times `weight` and whether it lies inside the image.
  const read = (x: string, y: string, weight: string) => {
    const inside = b.op1('And', [
      b.op1('And', [b.op1('Greater', [x, num(-1)]), b.op1('Less', [x, num(w)])]),
      b.op1('And', [b.op1('Greater', [y, num(-1)]), b.op1('Less', [y, num(h)])]),
    ]);
    const clamp = (v: string, size: number) => b.op1('Min', [b.op1('Max', [v, num(0)]), num(size - 1)]);
    const at = b.op1('Add', [b.op1('Mul', [clamp(y, h), num(w)]), clamp(x, w)]);
    const index = b.op1('Reshape', [castTo(ctx, at, dtype, 'int64'), b.int64s([0, 1, -1])]);
    const values = b.op1('GatherElements', [flat, b.op1('Expand', [index, expandTo])], { axis: 2 });
    const scale = b.op1('Reshape', [b.op1('Mul', [weight, castTo(ctx, inside, 'bool', dtype)]), b.int64s([0, 1, -1])]);
    return b.op1('Mul', [values, scale]);
  };
  let sum: string;
  if (g.mode === 'nearest') {
    sum = read(b.op1('Round', [ix]), b.op1('Round', [iy]), num(1));
  } else {
    const x0 = b.op1('Floor', [ix]);
    const y0 = b.op1('Floor', [iy]);
    const x1 = b.op1('Add', [x0, num(1)]);
    const y1 = b.op1('Add', [y0, num(1)]);
    const [east, west] = [b.op1('Sub', [ix, x0]), b.op1('Sub', [x1, ix])];
    const [south, north] = [b.op1('Sub', [iy, y0]), b.op1('Sub', [y1, iy])];
    sum = [
      read(x0, y0, b.op1('Mul', [west, north])),
      read(x1, y0, b.op1('Mul', [east, north])),
      read(x0, y1, b.op1('Mul', [west, south])),
      read(x1, y1, b.op1('Mul', [east, south])),
    ].reduce((total, term) => b.op1('Add', [total, term]));
  }
  const outShape = b.op1('Concat', [batchChannels, slice(ctx, gridShape, [{ axis: 0, start: 1, end: 3, step: 1 }])], { axis: 0 });
  return [b.op1('Reshape', [sum, outShape])];
}

/** torch's linspace_from_neg_one in float32: -1..1, pulled in to pixel centres without align_corners. */
function gridCoordinates(steps: number, alignCorners: boolean): number[] {
  const f = Math.fround;
  if (steps <= 1) return [0];
  const step = f(2 / (steps - 1));
  const half = Math.floor(steps / 2);
  const values = Array.from({ length: steps }, (_, i) => (i < half ? f(-1 + step * i) : f(1 - step * (steps - 1 - i))));
  return alignCorners ? values : values.map((v) => f(f(v * (steps - 1)) / steps));
}

/** The batch size may be a run-time int (`F.affine_grid(theta, x.size())` with a dynamic batch); the spatial sizes must be known. */
function affineGridArgs(a: BoundArgs) {
  const op = a.schema.name;
  const theta = a.tensor('theta');
  const size = intListArg(a, 'size');
  if (size.length !== 4 && size.length !== 5) fail('TRACE_TYPE', `${op}: affine_grid only supports 4D and 5D sizes, got ${size.length} sizes`);
  if (!isFloating(theta.tensor.dtype)) fail('TRACE_TYPE', `${op}: expected theta to have a floating point type, got ${theta.tensor.dtype}`);
  const dims = size.slice(2);
  if (!dims.every((d): d is number => typeof d === 'number')) fail('TRACE_UNSUPPORTED', `${op}: the grid's spatial sizes must be known at conversion time`);
  const spatial = size.length - 2;
  const batch = sizeDim(a, size[0], 'affine_grid');
  requireShape(op, ['theta', theta], [typeof batch === 'number' ? batch : undefined, spatial, spatial + 1]);
  return { theta, batch, dims, spatial, alignCorners: a.bool('align_corners') };
}

/**
 * affine_grid as torch computes it: a base grid of (x, y[, z], 1) rows, x fastest, times thetaᵀ
 * (MatMul broadcasts it over the batch), reshaped to [N, (D,) H, W, 2|3].
 */
function lowerAffineGrid(ctx: LowerContext, a: BoundArgs): string[] {
  const { theta, dims, spatial, alignCorners } = affineGridArgs(a);
  const b = ctx.b;
  const dtype = theta.tensor.dtype;
  const axes = dims.map((d) => gridCoordinates(d, alignCorners)).reverse(); // x (W) first
  const points = dims.reduce((p, d) => p * d, 1);
  const rows: number[] = [];
  for (let n = 0; n < points; n++) {
    let rest = n;
    const coordinate = axes.map((values) => {
      const v = values[rest % values.length];
      rest = Math.floor(rest / values.length);
      return v;
    });
    rows.push(...coordinate, 1);
  }
  const base = b.constant(dtype, [points, spatial + 1], rows);
  const grid = b.op1('MatMul', [base, transpose(ctx, ctx.input(theta), [0, 2, 1])]);
  return [b.op1('Reshape', [grid, b.int64s([0, ...dims, spatial])])];
}

export const resizeOps: readonly OpDef[] = [
  antialiasOp(
    [
      'aten::_upsample_bilinear2d_aa(Tensor self, SymInt[2] output_size, bool align_corners, float? scales_h=None, float? scales_w=None) -> Tensor',
      `aten::_upsample_bilinear2d_aa.vec(${VEC_ALIGNED}) -> Tensor`,
    ],
    'linear',
  ),
  antialiasOp(
    [
      'aten::_upsample_bicubic2d_aa(Tensor self, SymInt[2] output_size, bool align_corners, float? scales_h=None, float? scales_w=None) -> Tensor',
      `aten::_upsample_bicubic2d_aa.vec(${VEC_ALIGNED}) -> Tensor`,
    ],
    'cubic',
  ),
  upsampleOp([`aten::upsample_nearest1d(Tensor self, ${NEAREST_1D}) -> Tensor`, `aten::upsample_nearest1d.vec(${VEC}) -> Tensor`], 'nearest', 1),
  upsampleOp([`aten::upsample_nearest2d(Tensor self, ${NEAREST_2D}) -> Tensor`, `aten::upsample_nearest2d.vec(${VEC}) -> Tensor`], 'nearest', 2),
  upsampleOp([`aten::upsample_nearest3d(Tensor self, ${NEAREST_3D}) -> Tensor`, `aten::upsample_nearest3d.vec(${VEC}) -> Tensor`], 'nearest', 3),
  upsampleOp(
    [`aten::_upsample_nearest_exact1d(Tensor self, ${NEAREST_1D}) -> Tensor`, `aten::_upsample_nearest_exact1d.vec(${VEC}) -> Tensor`],
    'nearest-exact',
    1,
  ),
  upsampleOp(
    [`aten::_upsample_nearest_exact2d(Tensor self, ${NEAREST_2D}) -> Tensor`, `aten::_upsample_nearest_exact2d.vec(${VEC}) -> Tensor`],
    'nearest-exact',
    2,
  ),
  upsampleOp(
    [`aten::_upsample_nearest_exact3d(Tensor self, ${NEAREST_3D}) -> Tensor`, `aten::_upsample_nearest_exact3d.vec(${VEC}) -> Tensor`],
    'nearest-exact',
    3,
  ),
  upsampleOp(
    [
      'aten::upsample_linear1d(Tensor self, SymInt[1] output_size, bool align_corners, float? scales=None) -> Tensor',
      `aten::upsample_linear1d.vec(${VEC_ALIGNED}) -> Tensor`,
    ],
    'linear',
    1,
  ),
  upsampleOp(
    [
      'aten::upsample_bilinear2d(Tensor self, SymInt[2] output_size, bool align_corners, float? scales_h=None, float? scales_w=None) -> Tensor',
      `aten::upsample_bilinear2d.vec(${VEC_ALIGNED}) -> Tensor`,
    ],
    'linear',
    2,
  ),
  upsampleOp(
    [
      'aten::upsample_trilinear3d(Tensor self, SymInt[3] output_size, bool align_corners, float? scales_d=None, float? scales_h=None, float? scales_w=None) -> Tensor',
      `aten::upsample_trilinear3d.vec(${VEC_ALIGNED}) -> Tensor`,
    ],
    'linear',
    3,
  ),
  upsampleOp(
    [
      'aten::upsample_bicubic2d(Tensor self, SymInt[2] output_size, bool align_corners, float? scales_h=None, float? scales_w=None) -> Tensor',
      `aten::upsample_bicubic2d.vec(${VEC_ALIGNED}) -> Tensor`,
    ],
    'cubic',
    2,
  ),
  {
    schemas: [
      `aten::__interpolate(Tensor input, int? size=None, float? scale_factor=None, ${INTERPOLATE_TAIL}) -> Tensor`,
      `aten::__interpolate.scale_list(Tensor input, int? size=None, float[]? scale_factor=None, ${INTERPOLATE_TAIL}) -> Tensor`,
      `aten::__interpolate.size_list(Tensor input, int[]? size=None, float? scale_factor=None, ${INTERPOLATE_TAIL}) -> Tensor`,
      `aten::__interpolate.size_list_scale_list(Tensor input, int[]? size=None, float[]? scale_factor=None, ${INTERPOLATE_TAIL}) -> Tensor`,
    ],
    infer: (a) => inferResize(a, interpolateArgs(a)),
    // Nearest and linear work from opset 7; cubic fails there with a clear message.
    lower: { 7: (ctx, a) => lowerResize(ctx, interpolateArgs(a)) },
  },
  {
    schemas: ['aten::grid_sampler(Tensor input, Tensor grid, int interpolation_mode, int padding_mode, bool align_corners) -> Tensor'],
    infer: (a) => {
      const g = gridSampleArgs(a);
      const grid = shapeOf(g.grid);
      return [tensorOf(g.input.tensor.dtype, [grid[0], shapeOf(g.input)[1], ...grid.slice(1, -1)])];
    },
    lower: { 11: lowerGridSamplerByGather, 16: lowerGridSampler },
  },
  {
    schemas: [
      'aten::affine_grid_generator(Tensor theta, int[] size, bool align_corners) -> Tensor',
      'aten::affine_grid_generator(Tensor theta, SymInt[] size, bool align_corners) -> Tensor',
    ],
    infer: (a) => {
      const { theta, batch, dims, spatial } = affineGridArgs(a);
      return [tensorOf(theta.tensor.dtype, [batch, ...dims, spatial])];
    },
    lower: { 7: lowerAffineGrid },
  },
];
