/**
 * Dynamically quantized linear layers (`torch.quantization.quantize_dynamic`): quantized::linear_dynamic
 * and linear_relu_dynamic. The weight is int8 with stored scales; the activation is quantized to
 * uint8 at run time from its own range. The lowering repeats torch's arithmetic step by step
 * (ChooseQuantizationParams in float64, a uint8 activation, an exact int32 product with
 * MatMulInteger, one float rescale) so the outputs match torch's, not just approximate them.
 * Statically quantized ops are in quantized-static.ts.
 */
import { fail } from '../../errors.js';
import { ONNX_DTYPE } from '../../ir/onnx-graph.js';
import type { Dim } from '../../ir/torch-graph.js';
import type { BoundArgs } from '../args.js';
import { shapeOf, tensorOf } from '../helpers.js';
import { transpose } from '../opset.js';
import { PACKED_LINEAR, packedLinear, weightQuantization } from '../quantized-weights.js';
import type { LowerContext, OpDef } from '../registry.js';

/** torch's floor for an activation scale (`SMALL_SCALE_THRESHOLD` = 6.1e-5f in QuantUtils.h). */
const SMALL_SCALE = Math.fround(6.1e-5);

function inferLinear(a: BoundArgs): Dim[] {
  const x = a.tensor('X');
  const [outFeatures, inFeatures] = shapeOf(packedLinear(a).weight);
  const shape = shapeOf(x);
  if (x.tensor.dtype !== 'float32') fail('TRACE_TYPE', `${a.schema.name}: the input must be float32, got ${x.tensor.dtype}`);
  const last = shape[shape.length - 1];
  if (shape.length === 0 || (typeof last === 'number' && typeof inFeatures === 'number' && last !== inFeatures)) {
    fail('TRACE_TYPE', `${a.schema.name}: input of shape [${shape.join(', ')}] does not fit a weight of ${inFeatures} input features`);
  }
  return [...shape.slice(0, -1), outFeatures];
}

/** A float64 scalar holding the smaller (Min) or larger (Max) of the tensor's extreme and zero. */
function rangeEnd(ctx: LowerContext, x: string, opType: 'Min' | 'Max'): string {
  const extreme = ctx.b.op1(opType === 'Min' ? 'ReduceMin' : 'ReduceMax', [x], { keepdims: 0 });
  const withZero = ctx.b.op1(opType, [extreme, ctx.b.scalar('float32', 0)]);
  return ctx.b.op1('Cast', [withZero], { to: ONNX_DTYPE.float64 });
}

interface ActivationQuantization {
  /** uint8 activation. */
  readonly quantized: string;
  /** uint8 scalar. */
  readonly zeroPoint: string;
  /** float32 scalar. */
  readonly scale: string;
}

/**
 * torch's ChooseQuantizationParams for [min(x, 0), max(x, 0)] into 0..qmax (qmax = 127 with
 * reduce_range), then round(x / scale) + zero_point clamped to 0..qmax. The zero point comes from
 * whichever end of the range gives the smaller error; scales below 6.1e-5 are raised to it.
 */
function quantizeActivation(ctx: LowerContext, x: string, reduceRange: boolean): ActivationQuantization {
  const b = ctx.b;
  const qmax = reduceRange ? 127 : 255;
  const f64 = (v: number) => b.scalar('float64', v);
  const min = rangeEnd(ctx, x, 'Min');
  const max = rangeEnd(ctx, x, 'Max');
  const rawScale = b.op1('Div', [b.op1('Sub', [max, min]), f64(qmax)]);
  // An all-zero input has a zero range: any positive divisor gives the zero point 0 below.
  const zeroPointScale = b.op1('Max', [rawScale, f64(1e-300)]);
  const minSteps = b.op1('Div', [min, zeroPointScale]);
  const maxSteps = b.op1('Div', [max, zeroPointScale]);
  const fromMin = b.op1('Neg', [minSteps]);
  const fromMax = b.op1('Sub', [f64(qmax), maxSteps]);
  const minError = b.op1('Neg', [b.op1('Abs', [minSteps])]);
  const maxError = b.op1('Sub', [f64(qmax), b.op1('Abs', [maxSteps])]);
  const initial = b.op1('Where', [b.op1('Less', [minError, maxError]), fromMin, fromMax]);
  const zeroPointValue = b.op1('Round', [b.op1('Max', [b.op1('Min', [initial, f64(qmax)]), f64(0)])]);
  const scale = b.op1('Cast', [b.op1('Max', [rawScale, f64(SMALL_SCALE)])], { to: ONNX_DTYPE.float32 });
  // torch multiplies by the reciprocal of the float scale, computed in double.
  const inverse = b.op1('Cast', [b.op1('Div', [f64(1), b.op1('Cast', [scale], { to: ONNX_DTYPE.float64 })])], { to: ONNX_DTYPE.float32 });
  const zeroPointFloat = b.op1('Cast', [zeroPointValue], { to: ONNX_DTYPE.float32 });
  const steps = b.op1('Add', [b.op1('Round', [b.op1('Mul', [x, inverse])]), zeroPointFloat]);
  const clamped = b.op1('Max', [b.op1('Min', [steps, b.scalar('float32', qmax)]), b.scalar('float32', 0)]);
  return {
    quantized: b.op1('Cast', [clamped], { to: ONNX_DTYPE.uint8 }),
    zeroPoint: b.op1('Cast', [zeroPointValue], { to: ONNX_DTYPE.uint8 }),
    scale,
  };
}

function lowerLinearDynamic(ctx: LowerContext, a: BoundArgs, relu: boolean): string[] {
  const op = a.schema.name;
  const b = ctx.b;
  const { weight, bias } = packedLinear(a);
  const outFeatures = shapeOf(weight)[0] as number;
  const { scales, zeroPoints } = weightQuantization(ctx, op, weight);
  const perChannel = scales.length > 1;
  const activation = quantizeActivation(ctx, ctx.input(a.tensor('X')), a.bool('reduce_range'));
  const weightT = transpose(ctx, ctx.input(weight), [1, 0]);
  const inputs = [activation.quantized, weightT, activation.zeroPoint];
  if (zeroPoints.some((z) => z !== 0)) {
    inputs.push(perChannel ? b.constant('int8', [outFeatures], zeroPoints) : b.scalar('int8', zeroPoints[0]));
  }
  const product = b.op1('MatMulInteger', inputs);
  const weightScale = perChannel ? b.constant('float32', [outFeatures], scales) : b.scalar('float32', scales[0]);
  const outputScale = b.op1('Mul', [activation.scale, weightScale]);
  let y = b.op1('Mul', [b.op1('Cast', [product], { to: ONNX_DTYPE.float32 }), outputScale]);
  if (bias) y = b.op1('Add', [y, ctx.input(bias)]);
  return [relu ? b.op1('Relu', [y]) : y];
}

function linearDynamicOp(name: string, relu: boolean): OpDef {
  return {
    schemas: [`quantized::${name}(Tensor X, ${PACKED_LINEAR} W_prepack, bool reduce_range=False) -> Tensor Y`],
    infer: (a) => [tensorOf('float32', inferLinear(a))],
    // Round needs opset 11; MatMulInteger 10.
    lower: { 11: (ctx, a) => lowerLinearDynamic(ctx, a, relu) },
  };
}

export const quantizedOps: readonly OpDef[] = [linearDynamicOp('linear_dynamic', false), linearDynamicOp('linear_relu_dynamic', true)];
