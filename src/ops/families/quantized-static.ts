/**
 * Static (eager-mode) quantization: torch.quantization.prepare/convert, torchvision's quantized models.
 *
 * Activations are quint8/qint8 tensors whose scale and zero point are known when the model is
 * converted (TensorType.quant); values between ops stay uint8/int8. Conv and Linear are integer ONNX
 * (ConvInteger, MatMulInteger) requantized as the conversion's quantized engine does
 * (ctx.quantizedEngine, src/ops/quantized-engine.ts: qnnpackRequantized, onednnRequantized), and so is
 * quantized::add (qnnpackAdd, nativeAdd): PyTorch's integers exactly. Weights are uint8 (int8 + 128,
 * zero point + 128: the same real values) because x86 kernels without VNNI multiply uint8 x int8 pairs
 * in int16 with saturation. The other ops dequantize their inputs, run the float op and quantize at the
 * output's parameters, as torch.onnx exports them, but dequantize with Cast, Sub and Mul
 * (DequantizeLinear's arithmetic) rather than DequantizeLinear nodes: onnxruntime's optimizer fuses
 * DequantizeLinear -> Add -> QuantizeLinear into its com.microsoft QLinearAdd, whose rounding differs
 * from PyTorch's (measured on mobilenet_v2: 246 of 1000 outputs one step off, none without the fusion).
 * Quantized outputs are compared with a tolerance of one quantization step of the output.
 */
import { tensorBytes } from '../../archive/tensor-data.js';
import { PyFloat } from '../../archive/types.js';
import { fail } from '../../errors.js';
import { ONNX_DTYPE, type OnnxAttrs } from '../../ir/onnx-graph.js';
import { type Arg, type Dim, GValue, type QuantType, type TensorType } from '../../ir/torch-graph.js';
import type { BoundArgs } from '../args.js';
import { layerNorm, standardize } from '../builders.js';
import { axis, broadcastShapes, shapeOf, tensorOf } from '../helpers.js';
import { isOnednn } from '../quantized-engine.js';
import { numbers, PACKED_LINEAR, packedLinear, weightQuantization } from '../quantized-weights.js';
import { clipFloat32 } from '../opset.js';
import { roundHalfToEven } from '../python-number.js';
import type { LowerContext, OpDef } from '../registry.js';

type QuantizedDtype = 'quint8' | 'qint8';

/** ScalarType codes of the quantized dtypes activations use. */
const QUANTIZED_SCALAR_TYPES: Readonly<Record<number, QuantizedDtype>> = { 12: 'qint8', 13: 'quint8' };

const PACKED_CONV2D = '__torch__.torch.classes.quantized.Conv2dPackedParamsBase';
const PACKED_CONV3D = '__torch__.torch.classes.quantized.Conv3dPackedParamsBase';

function quantizedType(dtype: QuantizedDtype, shape: readonly Dim[], quant: QuantType): TensorType {
  return { kind: 'tensor', dtype, shape, quant };
}

/** A quantized activation's dtype and parameters; the op cannot be converted without them. */
function activationQuant(op: string, x: GValue): { dtype: QuantizedDtype; quant: QuantType } {
  const t = x.tensor;
  if (t.dtype !== 'quint8' && t.dtype !== 'qint8') return fail('TRACE_TYPE', `${op}: expected a quantized tensor, got ${t.dtype}`);
  if (!t.quant) return fail('OP_UNSUPPORTED', `${op}: the input's scale and zero point are not known at conversion time`);
  return { dtype: t.dtype, quant: t.quant };
}

function zeroPointConstant(ctx: LowerContext, dtype: QuantizedDtype, zeroPoint: number): string {
  return ctx.b.scalar(dtype === 'quint8' ? 'uint8' : 'int8', zeroPoint);
}

/**
 * (q - zero point) x scale in float32, per channel along `channelAxis` of a rank-`rank` tensor when
 * there are several scales: DequantizeLinear's arithmetic, in nodes no runtime fuses (see above).
 */
function dequantizeNodes(ctx: LowerContext, q: string, scales: readonly number[], zeroPoints: readonly number[], channelAxis = 0, rank = 1): string {
  const b = ctx.b;
  const shape = scales.length > 1 ? Array.from({ length: rank }, (_, i) => (i === channelAxis ? scales.length : 1)) : [];
  const constant = (values: readonly number[]): string => (shape.length > 0 ? b.constant('float32', shape, values) : b.scalar('float32', values[0]));
  let x = b.op1('Cast', [q], { to: ONNX_DTYPE.float32 });
  if (zeroPoints.some((z) => z !== 0)) x = b.op1('Sub', [x, constant(zeroPoints)]);
  return b.op1('Mul', [x, constant(scales.map(Math.fround))]);
}

/** The float values of a quantized activation. */
function dequantized(ctx: LowerContext, op: string, x: GValue): string {
  const { quant } = activationQuant(op, x);
  return dequantizeNodes(ctx, ctx.input(x), [quant.scale], [quant.zeroPoint]);
}

/** QuantizeLinear: round half to even, then saturate, as PyTorch's requantization does. */
function quantized(ctx: LowerContext, y: string, dtype: QuantizedDtype, quant: QuantType): string {
  return ctx.b.op1('QuantizeLinear', [y, ctx.b.scalar('float32', quant.scale), zeroPointConstant(ctx, dtype, quant.zeroPoint)]);
}

/**
 * quantize_per_tensor's rounding: times the float reciprocal of the scale (fbgemm::Quantize), then
 * QuantizeLinear at scale 1. QuantizeLinear at the scale divides, which can round a value next to a
 * half step the other way.
 */
function quantizedByReciprocal(ctx: LowerContext, y: string, dtype: QuantizedDtype, quant: QuantType): string {
  const b = ctx.b;
  const scaled = b.op1('Mul', [y, b.scalar('float32', Math.fround(1 / Math.fround(quant.scale)))]);
  return b.op1('QuantizeLinear', [scaled, b.scalar('float32', 1), zeroPointConstant(ctx, dtype, quant.zeroPoint)]);
}

/** Output scale and zero point given as op arguments (`float output_scale, int output_zero_point`). */
function outputQuant(a: BoundArgs, scale: string, zeroPoint: string): QuantType {
  return { scale: a.float(scale), zeroPoint: a.int(zeroPoint) };
}

interface Uint8Weight {
  /** uint8 initializer: the int8 values + 128. */
  readonly values: string;
  /** uint8 scalar (the int8 zero point + 128), or one per output channel. */
  readonly zeroPoint: string;
  /** The stored scales, one or one per output channel. */
  readonly scales: readonly number[];
  /** The stored int8 zero points, one or one per output channel. */
  readonly zeroPoints: readonly number[];
  /** The stored weight. */
  readonly source: GValue;
}

/**
 * A qint8 weight as uint8 (int8 + 128, zero points + 128: the same real values). `perm` transposes
 * the stored weight (Linear's [out, in] to MatMul's [in, out]).
 */
function uint8Weight(ctx: LowerContext, op: string, weight: GValue, perm?: readonly number[]): Uint8Weight {
  const b = ctx.b;
  const ref = ctx.parameter?.(weight);
  if (!ref) return fail('OP_UNSUPPORTED', `${op}: the quantized weight is not a stored tensor`);
  if (ref.dtype !== 'qint8') return fail('OP_UNSUPPORTED', `${op}: weights of dtype ${ref.dtype} are not supported (qint8 only)`);
  const { scales, zeroPoints } = weightQuantization(ctx, op, weight);
  const shape = ref.shape;
  const dims = perm ? perm.map((p) => shape[p]) : [...shape];
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((n, d) => n * d, 1));
  const sourceIndex = (i: number): number => {
    if (!perm) return i;
    let rest = i;
    let index = 0;
    for (let d = dims.length - 1; d >= 0; d--) {
      index += (rest % dims[d]) * strides[perm[d]];
      rest = Math.floor(rest / dims[d]);
    }
    return index;
  };
  const name = b.initializer({
    name: b.names.unique(`${weight.hint ?? 'weight'}_uint8`),
    dtype: 'uint8',
    dims,
    data: {
      kind: 'computed',
      compute: () => {
        const stored = tensorBytes(ref);
        const out = new Uint8Array(stored.length);
        for (let i = 0; i < out.length; i++) out[i] = (stored[sourceIndex(i)] + 128) & 0xff;
        return out;
      },
    },
  });
  const shifted = zeroPoints.map((z) => z + 128);
  const zeroPoint = shifted.length > 1 ? b.constant('uint8', [shifted.length], shifted) : b.scalar('uint8', shifted[0]);
  return { values: name, zeroPoint, scales, zeroPoints, source: weight };
}

/** A qint8 weight as the float tensor it stands for (scales per output channel along `channelAxis`). */
function dequantizedWeight(ctx: LowerContext, op: string, weight: GValue, channelAxis: number): string {
  const w = uint8Weight(ctx, op, weight);
  const { zeroPoints } = weightQuantization(ctx, op, weight);
  return dequantizeNodes(ctx, w.values, w.scales, zeroPoints.map((z) => z + 128), channelAxis, shapeOf(weight).length);
}

/**
 * PyTorch's int32 bias: bias / (input scale x weight scale), with the float scale per output
 * channel, rounded half to even (QuantizeBias in PyTorch's quantized kernels).
 */
function int32Bias(ctx: LowerContext, bias: GValue, inputScale: number, weightScales: readonly number[]): { values: number[]; scales: number[] } | undefined {
  const ref = ctx.parameter?.(bias);
  if (!ref || ref.dtype !== 'float32') return undefined;
  const floats = numbers(ref);
  const scales = floats.map((_, i) => Math.fround(inputScale * weightScales[weightScales.length > 1 ? i : 0]));
  return { values: floats.map((v, i) => roundHalfToEven(Math.fround(v * Math.fround(1 / scales[i])))), scales };
}

/** The float bias as PyTorch's kernels add it: its int32 form times its scale. */
function quantizedBias(ctx: LowerContext, op: string, bias: GValue, inputScale: number, weight: GValue): string {
  const q = int32Bias(ctx, bias, inputScale, weightQuantization(ctx, op, weight).scales);
  if (!q) return ctx.input(bias);
  return ctx.b.constant('float32', [q.values.length], q.values.map((v, i) => Math.fround(v * q.scales[i])));
}

// ----- quantize / dequantize -----

const quantizePerTensor: OpDef = {
  schemas: ['aten::quantize_per_tensor(Tensor self, float scale, int zero_point, ScalarType dtype) -> Tensor'],
  infer: (a) => {
    const x = a.tensor('self');
    const dtype = QUANTIZED_SCALAR_TYPES[a.int('dtype')];
    if (!dtype) return fail('OP_UNSUPPORTED', `aten::quantize_per_tensor: only quint8 and qint8 activations are supported (dtype ${a.int('dtype')})`);
    if (x.tensor.dtype !== 'float32') fail('TRACE_TYPE', `aten::quantize_per_tensor: the input must be float32, got ${x.tensor.dtype}`);
    return [quantizedType(dtype, shapeOf(x), { scale: a.float('scale'), zeroPoint: a.int('zero_point') })];
  },
  lower: {
    10: (ctx, a) => {
      const dtype = QUANTIZED_SCALAR_TYPES[a.int('dtype')];
      return [quantizedByReciprocal(ctx, ctx.input(a.tensor('self')), dtype, { scale: a.float('scale'), zeroPoint: a.int('zero_point') })];
    },
  },
};

const dequantize: OpDef = {
  schemas: ['aten::dequantize.self(Tensor self) -> Tensor'],
  infer: (a) => {
    const x = a.tensor('self');
    if (x.tensor.dtype !== 'quint8' && x.tensor.dtype !== 'qint8') fail('TRACE_TYPE', `aten::dequantize: expected a quantized tensor, got ${x.tensor.dtype}`);
    return [tensorOf('float32', shapeOf(x))];
  },
  lower: {
    10: (ctx, a) => {
      const x = a.tensor('self');
      const stored = ctx.parameter?.(x);
      if (stored?.quant && !x.tensor.quant) {
        // A stored tensor quantized per channel (a weight a model dequantizes itself).
        const { scales, zeroPoints } = weightQuantization(ctx, 'aten::dequantize', x);
        return [dequantizeNodes(ctx, ctx.input(x), scales, zeroPoints, stored.quant.axis ?? 0, shapeOf(x).length)];
      }
      return [dequantized(ctx, 'aten::dequantize', x)];
    },
  },
};

const intRepr: OpDef = {
  schemas: ['aten::int_repr(Tensor self) -> Tensor'],
  infer: (a) => {
    const x = a.tensor('self');
    const { dtype } = activationQuant('aten::int_repr', x);
    return [tensorOf(dtype === 'quint8' ? 'uint8' : 'int8', shapeOf(x))];
  },
  // A quantized tensor is its integers in ONNX already.
  lower: { 10: (ctx, a) => [ctx.b.op1('Identity', [ctx.input(a.tensor('self'))])] },
};

// ----- convolutions -----

interface PackedConv {
  readonly weight: GValue;
  readonly bias?: GValue;
  readonly stride: number[];
  readonly padding: number[];
  readonly dilation: number[];
  readonly outputPadding: number[];
  readonly groups: number;
  readonly transposed: boolean;
}

/**
 * Conv packed params: the config `[spatial dims, stride..., padding..., dilation..., output_padding...,
 * groups, flags]` (flags bit 0 = transposed) with the weight and bias, in the two states PyTorch writes:
 * version 3, `(3, config, [weight, bias])` (what the prepack builtins build, and PyTorch 1.9+'s
 * `__getstate__`), and version 2, `('2', [config as an int16 tensor, weight], [bias])`, which PyTorch
 * 1.8+ still writes for packed params frozen into constants (optimize_for_mobile). Version 1 (before
 * 1.6: `(weight, bias, stride, padding, dilation, groups)`) is refused.
 */
function packedConv(a: BoundArgs, name: string): PackedConv {
  const packed = a.torchbind(name);
  const state = packed.state;
  const [version, first, second] = Array.isArray(state) ? state : [];
  let config: readonly Arg[] | undefined;
  let tensors: readonly Arg[] | undefined;
  if (version === 3 && Array.isArray(first) && Array.isArray(second)) {
    [config, tensors] = [first, second];
  } else if (version === '2' && Array.isArray(first) && Array.isArray(second) && first[0] instanceof GValue) {
    const known = a.known(first[0]);
    if (!known) return fail('OP_UNSUPPORTED', `${a.schema.name}: the ${packed.className} config tensor is not known at conversion time`);
    [config, tensors] = [known.values, [first[1], second[0] ?? null]];
  }
  if (!config || !tensors) {
    return fail('OP_UNSUPPORTED', `${a.schema.name}: ${packed.className} state version ${typeof version === 'number' || typeof version === 'string' ? version : '1'} is not supported (PyTorch 1.6+ archives write version 2 or 3)`);
  }
  const ints = config.filter((c): c is number => typeof c === 'number');
  const [weight, bias] = tensors;
  if (ints.length !== config.length || !(weight instanceof GValue) || (bias !== null && bias !== undefined && !(bias instanceof GValue))) {
    return fail('TRACE_TYPE', `${a.schema.name}: ${packed.className} state is not (version, config, [weight, bias])`);
  }
  const n = ints[0];
  const at = (k: number) => ints.slice(1 + k * n, 1 + (k + 1) * n);
  return {
    weight,
    bias: bias ?? undefined,
    stride: at(0),
    padding: at(1),
    dilation: at(2),
    outputPadding: at(3),
    groups: ints[1 + 4 * n],
    transposed: (ints[2 + 4 * n] & 1) === 1,
  };
}

/** Conv arguments, from the packed params or (the legacy quantized::conv2d overload) the call. */
function convParams(a: BoundArgs): PackedConv {
  const legacy = a.schema.overload === '' && a.schema.args.some((arg) => arg.name === 'stride');
  const packed = packedConv(a, legacy ? 'weight' : 'packed_weight');
  if (!legacy) return packed;
  return { ...packed, stride: a.ints('stride'), padding: a.ints('padding'), dilation: a.ints('dilation'), groups: a.int('groups') };
}

function inferConv(a: BoundArgs, spatial: number): TensorType[] {
  const op = a.schema.name;
  const x = a.tensor('qx');
  const { dtype } = activationQuant(op, x);
  const p = convParams(a);
  const shape = shapeOf(x);
  const w = shapeOf(p.weight);
  if (shape.length !== spatial + 2 || w.length !== spatial + 2) fail('TRACE_TYPE', `${op}: expected a ${spatial + 2}-D input and weight, got [${shape.join(', ')}] and [${w.join(', ')}]`);
  const inChannels = p.transposed ? w[0] : (w[1] as number) * p.groups;
  if (typeof shape[1] === 'number' && shape[1] !== inChannels) fail('TRACE_TYPE', `${op}: input of ${shape[1]} channels does not fit a weight of ${inChannels}`);
  const outChannels = p.transposed ? (w[1] as number) * p.groups : w[0];
  const sizes = shape.slice(2).map((d, i) => {
    if (typeof d !== 'number') return d;
    const k = (w[i + 2] as number - 1) * p.dilation[i] + 1;
    return p.transposed ? (d - 1) * p.stride[i] - 2 * p.padding[i] + k + p.outputPadding[i] : Math.floor((d + 2 * p.padding[i] - k) / p.stride[i]) + 1;
  });
  return [quantizedType(dtype, [shape[0], outChannels, ...sizes], outputQuant(a, 'output_scale', 'output_zero_point'))];
}

/**
 * Conv as the engine computes it: ConvInteger's int32 sum of uint8 activations and uint8 weights, requantized by
 * qnnpackRequantized or onednnRequantized. Tested equal to PyTorch's integers (test/ops fixtures). ONNX has no
 * integer ConvTranspose: see integerTransposedConv.
 */
function lowerConv(ctx: LowerContext, a: BoundArgs, relu: boolean): string[] {
  const op = a.schema.name;
  const b = ctx.b;
  const x = a.tensor('qx');
  const { dtype, quant } = activationQuant(op, x);
  const output = outputQuant(a, 'output_scale', 'output_zero_point');
  const p = convParams(a);
  const pads = [...p.padding, ...p.padding];
  const attrs: OnnxAttrs = { dilations: p.dilation, group: p.groups, pads, strides: p.stride };
  if (p.transposed) {
    attrs.output_padding = p.outputPadding;
    const exact = integerTransposedConv(ctx, op, x, p, attrs, output);
    if (exact) return [exact];
    const inputs = [dequantized(ctx, op, x), dequantizedWeight(ctx, op, p.weight, 1)];
    if (p.bias) inputs.push(quantizedBias(ctx, op, p.bias, quant.scale, p.weight));
    let y = b.op1('ConvTranspose', inputs, attrs);
    if (relu) y = b.op1('Relu', [y]);
    return [quantized(ctx, y, dtype, output)];
  }
  if (dtype !== 'quint8') return fail('OP_UNSUPPORTED', `${op}: qint8 activations are not supported (PyTorch's CPU kernels take quint8)`);
  const w = uint8Weight(ctx, op, p.weight);
  if (w.zeroPoints.some((z) => z !== w.zeroPoints[0])) return fail('OP_UNSUPPORTED', `${op}: per-channel weight zero points that differ are not supported`);
  const sum = b.op1('ConvInteger', [ctx.input(x), w.values, zeroPointConstant(ctx, dtype, quant.zeroPoint), b.scalar('uint8', w.zeroPoints[0] + 128)], attrs);
  const rank = shapeOf(x).length;
  const y = isOnednn(ctx.quantizedEngine)
    ? onednnRequantized(ctx, op, b.op1('Cast', [sum], { to: ONNX_DTYPE.float32 }), quant.scale, w.scales, p.bias, output, dtype, 1, rank)
    : qnnpackRequantized(ctx, op, sum, quant.scale, w.scales, p.bias, output, dtype, 1, rank);
  return [relu ? clampBelowAtZero(ctx, y, dtype, output) : y];
}

/**
 * A transposed conv at PyTorch's integers (ONNX has no integer ConvTranspose): the int32 sum of the
 * zero-point-shifted activation and weight integers, requantized as the engine does: qnnpack's int32 bias inside
 * the sum, times the float multiplier, rounded half to even; onednnRequantized (measured: an int32 bias put 4 of
 * 2304 values one step off PyTorch 1.13's onednn ConvTranspose3d, a float one 1 of 1026 off qnnpack's
 * ConvTranspose1d). ConvTranspose of those integers as floats is that int32 sum exactly when no partial sum can
 * reach 2^24, which the weight values bound (every activation lies at most 255 from its zero point).
 * Undefined (the caller dequantizes, within one output step) for per-channel weights or sums that could pass 2^24.
 */
function integerTransposedConv(ctx: LowerContext, op: string, x: GValue, p: PackedConv, attrs: OnnxAttrs, output: QuantType): string | undefined {
  const b = ctx.b;
  const { dtype, quant } = activationQuant(op, x);
  const ref = ctx.parameter?.(p.weight);
  const { scales, zeroPoints } = weightQuantization(ctx, op, p.weight);
  const biasRef = p.bias && ctx.parameter?.(p.bias);
  if (!ref || ref.dtype !== 'qint8' || scales.length !== 1 || (p.bias && biasRef?.dtype !== 'float32')) return undefined;
  const bytes = tensorBytes(ref);
  const shifted = Float32Array.from(new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length), (w) => w - zeroPoints[0]);
  const onednn = isOnednn(ctx.quantizedEngine);
  const int32Steps = p.bias && !onednn ? int32Bias(ctx, p.bias, quant.scale, scales)?.values : undefined;
  const largestBias = Math.max(0, ...(int32Steps ?? []).map(Math.abs));
  if (shifted.reduce((sum, w) => sum + Math.abs(w), 0) * 255 + largestBias >= 2 ** 24) return undefined;
  const weight = b.initializer({ name: b.names.unique(`${p.weight.hint ?? 'weight'}_steps`), dtype: 'float32', dims: shapeOf(p.weight) as number[], data: { kind: 'bytes', bytes: new Uint8Array(shifted.buffer) } });
  const inputs = [b.op1('Sub', [b.op1('Cast', [ctx.input(x)], { to: ONNX_DTYPE.float32 }), b.scalar('float32', quant.zeroPoint)]), weight];
  if (int32Steps) inputs.push(b.constant('float32', [int32Steps.length], int32Steps));
  const sum = b.op1('ConvTranspose', inputs, attrs);
  if (onednn) {
    return onednnRequantized(ctx, op, sum, quant.scale, scales, p.bias, output, dtype, 1, shapeOf(x).length);
  }
  const scaled = b.op1('Mul', [sum, b.scalar('float32', qnnpackMultipliers(quant.scale, scales, output)[0])]);
  return b.op1('QuantizeLinear', [scaled, b.scalar('float32', 1), zeroPointConstant(ctx, dtype, output.zeroPoint)]);
}

/** One value, or one per output channel along `channelAxis` of a rank-`rank` tensor (broadcasting over the rest). */
function channelConstant(ctx: LowerContext, type: 'int32' | 'float32', values: readonly number[], channelAxis: number, rank: number): string {
  if (values.length > 1) return ctx.b.constant(type, Array.from({ length: rank }, (_, i) => (i === channelAxis ? values.length : 1)), values);
  return ctx.b.scalar(type, values[0]);
}

/**
 * QNNPACK's requantization multipliers (generate_requantization_scales): weight scale x input scale, times the
 * reciprocal of the output scale, each step in float32. Measured on torchvision's resnet50 quantized with qnnpack:
 * dividing by the output scale instead (as QLinearConv does) put one value one step off PyTorch 1.13.
 */
function qnnpackMultipliers(inputScale: number, weightScales: readonly number[], output: QuantType): number[] {
  const inverse = Math.fround(1 / Math.fround(output.scale));
  return weightScales.map((s) => Math.fround(Math.fround(Math.fround(s) * Math.fround(inputScale)) * inverse));
}

/**
 * The qnnpack engine's requantization of a conv's or linear's int32 sum: PyTorch's int32 bias (QuantizeBias)
 * added to the sum, times qnnpackMultipliers in float32, rounded half to even, plus the output zero point,
 * saturated. The sum has rank `rank`, output channels along `channelAxis`.
 */
function qnnpackRequantized(ctx: LowerContext, op: string, sum: string, inputScale: number, weightScales: readonly number[], bias: GValue | undefined, output: QuantType, dtype: QuantizedDtype, channelAxis: number, rank: number): string {
  const b = ctx.b;
  const perChannel = (type: 'int32' | 'float32', values: readonly number[]) => channelConstant(ctx, type, values, channelAxis, rank);
  let y = sum;
  if (bias) {
    const q = int32Bias(ctx, bias, inputScale, weightScales);
    if (!q) return fail('OP_UNSUPPORTED', `${op}: the bias is not a stored float32 tensor`);
    y = b.op1('Add', [y, perChannel('int32', q.values)]);
  }
  const scaled = b.op1('Mul', [b.op1('Cast', [y], { to: ONNX_DTYPE.float32 }), perChannel('float32', qnnpackMultipliers(inputScale, weightScales, output))]);
  return b.op1('QuantizeLinear', [scaled, b.scalar('float32', 1), zeroPointConstant(ctx, dtype, output.zeroPoint)]);
}

/**
 * The onednn engines' requantization of a conv's or linear's int32 sum (given as float32, exact below 2^24), each
 * step in float32, rounded half to even and saturated at the end. The sum has rank `rank`, output channels along
 * `channelAxis`.
 *
 * `onednn` (PyTorch 2.x, oneDNN 3.x): the sum times (input scale x weight scale), plus the float bias, times
 * 1/output scale, plus the output zero point. The scales are those oneDNN is given: PyTorch hands it 1/s and it
 * takes 1/(1/s) back in float32, which is s one unit in the last place off for about 1 scale in 8. That round trip
 * applies to the input scale, and to the weight scales of linears only (`weightScalesRoundTripped`: PyTorch 2.6
 * gives convs their weight scales as they are). Measured exact against PyTorch 2.6 on 1,971,200 outputs of single
 * per-channel convs (3x3, 1x1 up to 2048 input channels, depthwise 3x3) and linears (up to 4096 inputs), with and
 * without fused ReLU, and on every conv and linear of torchvision's quantized mobilenet_v2 (the scales as stored
 * put 6 of its 5.6 M conv outputs one step off); the zero point added after rounding left 7 one step off.
 *
 * `onednn-torch1` (PyTorch 1.x, oneDNN 2.x), on PyTorch's reciprocal scales (1/s of each scale, in float32): the
 * bias times 1/input scale x 1/weight scale added to the sum, times the multiplier (1/output scale) / (1/input
 * scale x 1/weight scale), plus the output zero point. Measured exact against PyTorch 1.13 on every conv and linear
 * of torchvision's resnet18, resnet50, mobilenet_v2 and googlenet quantized with onednn, and on 1,000,000 random
 * linear and conv outputs; the multiplier of the other engines (input scale x weight scale / output scale) with
 * the bias / output scale added after it, or the zero point added after rounding, left 8 to 54 values per model
 * one step off.
 */
function onednnRequantized(ctx: LowerContext, op: string, sum: string, inputScale: number, weightScales: readonly number[], bias: GValue | undefined, output: QuantType, dtype: QuantizedDtype, channelAxis: number, rank: number, weightScalesRoundTripped = false): string {
  const b = ctx.b;
  const reciprocal = (v: number) => Math.fround(1 / v);
  const roundTripped = (v: number) => reciprocal(reciprocal(v));
  const perChannel = (values: readonly number[]) => channelConstant(ctx, 'float32', values, channelAxis, rank);
  const biasRef = bias && ctx.parameter?.(bias);
  if (bias && (!biasRef || biasRef.dtype !== 'float32')) return fail('OP_UNSUPPORTED', `${op}: the bias is not a stored float32 tensor`);
  const biasValues = biasRef ? numbers(biasRef).map(Math.fround) : undefined;
  let y = sum;
  if (ctx.quantizedEngine === 'onednn') {
    const activationScale = roundTripped(inputScale);
    const weightScalesSeen = weightScales.map((s) => (weightScalesRoundTripped ? roundTripped(s) : Math.fround(s)));
    y = b.op1('Mul', [y, perChannel(weightScalesSeen.map((s) => Math.fround(activationScale * s)))]);
    if (biasValues) y = b.op1('Add', [y, perChannel(biasValues)]);
    y = b.op1('Mul', [y, b.scalar('float32', reciprocal(output.scale))]);
  } else {
    const biasScales = weightScales.map((s) => Math.fround(reciprocal(inputScale) * reciprocal(s)));
    if (biasValues) y = b.op1('Add', [y, perChannel(biasValues.map((v, i) => Math.fround(v * biasScales[biasScales.length > 1 ? i : 0])))]);
    y = b.op1('Mul', [y, perChannel(biasScales.map((s) => Math.fround(reciprocal(output.scale) / s)))]);
  }
  y = b.op1('Add', [y, b.scalar('float32', output.zeroPoint)]);
  return b.op1('QuantizeLinear', [y, b.scalar('float32', 1), zeroPointConstant(ctx, dtype, 0)]);
}

/** ReLU of a quantized value: integers below the zero point become the zero point (exact). */
function clampBelowAtZero(ctx: LowerContext, q: string, dtype: QuantizedDtype, quant: QuantType): string {
  if (ctx.opset >= 12) return ctx.b.op1('Max', [q, zeroPointConstant(ctx, dtype, quant.zeroPoint)]);
  return quantized(ctx, ctx.b.op1('Relu', [dequantizeNodes(ctx, q, [quant.scale], [quant.zeroPoint])]), dtype, quant);
}

function convOp(name: string, spatial: number, relu: boolean, packedClass: string, legacy: boolean): OpDef {
  const schemas = [`quantized::${name}${legacy ? '.new' : ''}(Tensor qx, ${packedClass} packed_weight, float output_scale, int output_zero_point) -> Tensor`];
  if (legacy) {
    schemas.push(`quantized::${name}(Tensor qx, ${packedClass} weight, int[] stride, int[] padding, int[] dilation, int groups, float output_scale, int output_zero_point) -> Tensor`);
  }
  return { schemas, infer: (a) => inferConv(a, spatial), lower: { 10: (ctx, a) => lowerConv(ctx, a, relu) } };
}

// ----- linear -----

/**
 * Linear as integers: MatMulInteger's int32 sum of the uint8 activation and uint8 weights, requantized by
 * qnnpackRequantized (measured exact on 960,000 outputs of PyTorch 1.13) or onednnRequantized. (QLinearMatMul
 * has no bias.)
 */
function lowerLinear(ctx: LowerContext, a: BoundArgs, relu: boolean): string[] {
  const op = a.schema.name;
  const b = ctx.b;
  const x = a.tensor('X');
  const { dtype, quant } = activationQuant(op, x);
  if (dtype !== 'quint8') return fail('OP_UNSUPPORTED', `${op}: qint8 activations are not supported (PyTorch's CPU kernels take quint8)`);
  const output = outputQuant(a, 'Y_scale_i', 'Y_zero_point_i');
  const { weight, bias } = packedLinear(a);
  const w = uint8Weight(ctx, op, weight, [1, 0]);
  const sum = b.op1('MatMulInteger', [ctx.input(x), w.values, zeroPointConstant(ctx, dtype, quant.zeroPoint), w.zeroPoint]);
  const rank = shapeOf(x).length;
  const y = isOnednn(ctx.quantizedEngine)
    ? onednnRequantized(ctx, op, b.op1('Cast', [sum], { to: ONNX_DTYPE.float32 }), quant.scale, w.scales, bias, output, dtype, rank - 1, rank, true)
    : qnnpackRequantized(ctx, op, sum, quant.scale, w.scales, bias, output, dtype, rank - 1, rank);
  return [relu ? clampBelowAtZero(ctx, y, dtype, output) : y];
}

function linearOp(name: string, relu: boolean): OpDef {
  return {
    schemas: [`quantized::${name}(Tensor X, ${PACKED_LINEAR} W_prepack, float Y_scale_i, int Y_zero_point_i) -> Tensor Y`],
    infer: (a) => {
      const x = a.tensor('X');
      const { dtype } = activationQuant(a.schema.name, x);
      const [outFeatures, inFeatures] = shapeOf(packedLinear(a).weight);
      const shape = shapeOf(x);
      const last = shape[shape.length - 1];
      if (shape.length === 0 || (typeof last === 'number' && typeof inFeatures === 'number' && last !== inFeatures)) {
        fail('TRACE_TYPE', `${a.schema.name}: input of shape [${shape.join(', ')}] does not fit a weight of ${inFeatures} input features`);
      }
      return [quantizedType(dtype, [...shape.slice(0, -1), outFeatures], outputQuant(a, 'Y_scale_i', 'Y_zero_point_i'))];
    },
    lower: { 10: (ctx, a) => lowerLinear(ctx, a, relu) },
  };
}

// ----- elementwise ops with their own output parameters -----

/**
 * QNNPACK's fixed-point add parameters for input scales a, b and output scale c: both inputs' scale
 * ratios (float32) as integer multipliers with a common shift, the larger multiplier in [2^21, 2^22).
 * Undefined where QNNPACK refuses the ratios (outside [2^-14, 2^8)).
 */
function qnnpackAddParams(a: number, b: number, c: number): { multipliers: [number, number]; shift: number } | undefined {
  const ratios = [Math.fround(Math.fround(a) / Math.fround(c)), Math.fround(Math.fround(b) / Math.fround(c))];
  if (ratios.some((r) => r < 2 ** -14 || r >= 2 ** 8)) return undefined;
  const bits = new DataView(new ArrayBuffer(4));
  bits.setFloat32(0, Math.max(...ratios));
  const exponent = ((bits.getUint32(0) >>> 23) & 0xff) - 127;
  const shift = 21 - exponent;
  const multipliers = ratios.map((r) => roundHalfToEven(Math.fround(r * 2 ** shift))) as [number, number];
  return { multipliers, shift };
}

/**
 * quantized::add of quint8 tensors as PyTorch's qnnpack engine computes it (QNNPACK's add operator):
 * in int64, m_a (a - z_a) + m_b (b - z_b), divided by 2^shift rounding half away from zero, plus the
 * output zero point, clamped (at the zero point too for add_relu). Other engines add in float (nativeAdd).
 */
function qnnpackAdd(ctx: LowerContext, a: BoundArgs, relu: boolean): string | undefined {
  const b = ctx.b;
  const [qa, qb] = [activationQuant(a.schema.name, a.tensor('qa')), activationQuant(a.schema.name, a.tensor('qb'))];
  const output = outputQuant(a, 'scale', 'zero_point');
  if (qa.dtype !== 'quint8' || qb.dtype !== 'quint8') return undefined;
  const params = qnnpackAddParams(qa.quant.scale, qb.quant.scale, output.scale);
  if (!params) return undefined;
  const int64 = (v: number) => b.scalar('int64', v);
  const term = (x: GValue, zeroPoint: number, multiplier: number) =>
    b.op1('Mul', [b.op1('Sub', [b.op1('Cast', [ctx.input(x)], { to: ONNX_DTYPE.int64 }), int64(zeroPoint)]), int64(multiplier)]);
  const sum = b.op1('Add', [term(a.tensor('qa'), qa.quant.zeroPoint, params.multipliers[0]), term(a.tensor('qb'), qb.quant.zeroPoint, params.multipliers[1])]);
  const magnitude = b.op1('Div', [b.op1('Add', [b.op1('Abs', [sum]), int64(2 ** (params.shift - 1))]), int64(2 ** params.shift)]);
  const rounded = b.op1('Add', [b.op1('Mul', [magnitude, b.op1('Sign', [sum])]), int64(output.zeroPoint)]);
  const clipped = b.op1('Clip', [rounded, int64(relu ? output.zeroPoint : 0), int64(255)]);
  return b.op1('Cast', [clipped], { to: ONNX_DTYPE.uint8 });
}

/**
 * quantized::add as PyTorch's native kernel (qadd_kernel, every engine but qnnpack's) computes it on whole vectors
 * of elements: each input dequantized with a fused multiply-add, scale x q + (scale x -zero point, rounded to
 * float32), rounded once (here: exact in float64, then rounded to float32); the float32 sum (ReLU-ed for add_relu);
 * times the float32 reciprocal of the output scale, rounded half to even, plus the output zero point, saturated.
 * Measured exact on 5,000,000 random pairs against PyTorch 1.13 and 2.6 with onednn; dequantizing as
 * (q - zero point) x scale instead put 15 of them one step off. PyTorch computes the last numel mod 64 elements
 * (AVX-512; 32 with AVX2) of each thread's range without the fused multiply-add: where the two differ (about 6 in
 * 1,000,000 values) those land one step apart.
 */
function nativeAdd(ctx: LowerContext, a: BoundArgs, relu: boolean): string {
  const b = ctx.b;
  const op = a.schema.name;
  const output = outputQuant(a, 'scale', 'zero_point');
  const dequantizedByFma = (x: GValue): string => {
    const { quant } = activationQuant(op, x);
    const scale = Math.fround(quant.scale);
    const premultiplied = Math.fround(scale * -quant.zeroPoint);
    const product = b.op1('Mul', [b.op1('Cast', [ctx.input(x)], { to: ONNX_DTYPE.float64 }), b.scalar('float64', scale)]);
    return b.op1('Cast', [b.op1('Add', [product, b.scalar('float64', premultiplied)])], { to: ONNX_DTYPE.float32 });
  };
  let sum = b.op1('Add', [dequantizedByFma(a.tensor('qa')), dequantizedByFma(a.tensor('qb'))]);
  if (relu) sum = b.op1('Relu', [sum]);
  const scaled = b.op1('Mul', [sum, b.scalar('float32', Math.fround(1 / Math.fround(output.scale)))]);
  return b.op1('QuantizeLinear', [scaled, b.scalar('float32', 1), zeroPointConstant(ctx, activationQuant(op, a.tensor('qa')).dtype, output.zeroPoint)]);
}

/**
 * quantized::mul of quint8 tensors as PyTorch computes it (qmul_kernel): the int32 product of the
 * zero-point-shifted integers, times the float multiplier a scale x b scale / output scale, rounded
 * half to even (QuantizeLinear at scale 1), plus the output zero point, saturated.
 */
function integerMul(ctx: LowerContext, a: BoundArgs, relu: boolean): string | undefined {
  const b = ctx.b;
  const [qa, qb] = [activationQuant(a.schema.name, a.tensor('qa')), activationQuant(a.schema.name, a.tensor('qb'))];
  if (qa.dtype !== 'quint8' || qb.dtype !== 'quint8') return undefined;
  const output = outputQuant(a, 'scale', 'zero_point');
  const shifted = (x: GValue, zeroPoint: number) => b.op1('Sub', [b.op1('Cast', [ctx.input(x)], { to: ONNX_DTYPE.int32 }), b.scalar('int32', zeroPoint)]);
  const product = b.op1('Mul', [shifted(a.tensor('qa'), qa.quant.zeroPoint), shifted(a.tensor('qb'), qb.quant.zeroPoint)]);
  // PyTorch multiplies the double scales by the float reciprocal of the output scale, then rounds to float.
  const multiplier = Math.fround(qa.quant.scale * qb.quant.scale * Math.fround(1 / Math.fround(output.scale)));
  const scaled = b.op1('Mul', [b.op1('Cast', [product], { to: ONNX_DTYPE.float32 }), b.scalar('float32', multiplier)]);
  const y = b.op1('QuantizeLinear', [scaled, b.scalar('float32', 1), zeroPointConstant(ctx, 'quint8', output.zeroPoint)]);
  return relu ? clampBelowAtZero(ctx, y, 'quint8', output) : y;
}

/** quantized::add / mul (and their _relu forms) of two quantized tensors, requantized to the given scale and zero point. */
function binaryOp(name: string, opType: 'Add' | 'Mul', relu: boolean): OpDef {
  const lowerFloat = (ctx: LowerContext, a: BoundArgs): string[] => {
    const op = a.schema.name;
    const qa = a.tensor('qa');
    let y = ctx.b.op1(opType, [dequantized(ctx, op, qa), dequantized(ctx, op, a.tensor('qb'))]);
    if (relu) y = ctx.b.op1('Relu', [y]);
    return [quantized(ctx, y, activationQuant(op, qa).dtype, outputQuant(a, 'scale', 'zero_point'))];
  };
  return {
    schemas: [`quantized::${name}(Tensor qa, Tensor qb, float scale, int zero_point) -> Tensor qc`],
    infer: (a) => {
      const [qa, qb] = [a.tensor('qa'), a.tensor('qb')];
      const { dtype } = activationQuant(a.schema.name, qa);
      activationQuant(a.schema.name, qb);
      return [quantizedType(dtype, broadcastShapes(shapeOf(qa), shapeOf(qb)), outputQuant(a, 'scale', 'zero_point'))];
    },
    // QNNPACK's add clips int64, which needs opset 12; below it that add is computed in float (within one output step).
    lower:
      opType === 'Add'
        ? {
            10: (ctx, a) => (isOnednn(ctx.quantizedEngine) ? [nativeAdd(ctx, a, relu)] : lowerFloat(ctx, a)),
            12: (ctx, a) => {
              const exact = isOnednn(ctx.quantizedEngine) ? nativeAdd(ctx, a, relu) : qnnpackAdd(ctx, a, relu);
              return exact ? [exact] : lowerFloat(ctx, a);
            },
          }
        : { 10: (ctx, a) => { const exact = integerMul(ctx, a, relu); return exact ? [exact] : lowerFloat(ctx, a); } },
  };
}

// ----- a quantized tensor and a Python number -----

const DTYPE_RANGE: Readonly<Record<QuantizedDtype, readonly [number, number]>> = { quint8: [0, 255], qint8: [-128, 127] };

function knownScalar(a: BoundArgs): number {
  const b = a.scalar('b');
  if (b instanceof PyFloat) return b.value;
  if (typeof b === 'number') return b;
  return fail('OP_UNSUPPORTED', `${a.schema.name}: the scalar must be known at conversion time`);
}

/**
 * PyTorch's quantized add_scalar (_add_scalar_out): c / scale rounded to c_q steps moves the zero point to
 * z - c_q, the integers unchanged, when that zero point fits the dtype; otherwise the zero point is pinned to the
 * nearer end of the range and the scale widened to keep the range covering [z - c_q] (`requantize`).
 */
function addScalarPlan(dtype: QuantizedDtype, quant: QuantType, c: number): { quant: QuantType; steps: number; requantize: boolean } {
  const [qmin, qmax] = DTYPE_RANGE[dtype];
  const { scale: s, zeroPoint: z } = quant;
  const steps = roundHalfToEven(c / s);
  if (qmin > z - steps) return { quant: { scale: ((qmax - (z - steps)) / (qmax - qmin)) * s, zeroPoint: qmin }, steps, requantize: true };
  if (qmax < z - steps) return { quant: { scale: ((z - steps - qmin) / (qmax - qmin)) * s, zeroPoint: qmax }, steps, requantize: true };
  return { quant: { scale: s, zeroPoint: z - steps }, steps, requantize: false };
}

function addScalarOp(name: string, relu: boolean): OpDef {
  const plan = (a: BoundArgs) => {
    const { dtype, quant } = activationQuant(a.schema.name, a.tensor('qa'));
    return { dtype, input: quant, ...addScalarPlan(dtype, quant, knownScalar(a)) };
  };
  return {
    schemas: [`quantized::${name}(Tensor qa, Scalar b) -> Tensor qc`],
    infer: (a) => [quantizedType(plan(a).dtype, shapeOf(a.tensor('qa')), plan(a).quant)],
    lower: {
      10: (ctx, a) => {
        const b = ctx.b;
        const { dtype, input, quant, steps, requantize } = plan(a);
        const q = ctx.input(a.tensor('qa'));
        if (!requantize) return [relu ? clampBelowAtZero(ctx, q, dtype, quant) : b.op1('Identity', [q])];
        // qadd_scalar_kernel: (q - z + c_q) times the float multiplier self scale x (1 / output scale), lrintf.
        const shifted = b.op1('Add', [b.op1('Cast', [q], { to: ONNX_DTYPE.int32 }), b.scalar('int32', steps - input.zeroPoint)]);
        const multiplier = Math.fround(Math.fround(input.scale) * Math.fround(1 / Math.fround(quant.scale)));
        const scaled = b.op1('Mul', [b.op1('Cast', [shifted], { to: ONNX_DTYPE.float32 }), b.scalar('float32', multiplier)]);
        const y = b.op1('QuantizeLinear', [scaled, b.scalar('float32', 1), zeroPointConstant(ctx, dtype, quant.zeroPoint)]);
        return [relu ? clampBelowAtZero(ctx, y, dtype, quant) : y];
      },
    },
  };
}

/**
 * PyTorch's quantized mul_scalar (_mul_scalar_out), exact on the integers: c > 0 scales the scale (integers
 * unchanged), c = 0 gives zeros at scale 1 and zero point 0, c < 0 mirrors the integers (qmax + qmin - q) at
 * scale |c| x scale and the mirrored zero point.
 */
function mulScalarOp(name: string, relu: boolean): OpDef {
  const plan = (a: BoundArgs) => {
    const { dtype, quant } = activationQuant(a.schema.name, a.tensor('qa'));
    const c = knownScalar(a);
    const [qmin, qmax] = DTYPE_RANGE[dtype];
    const output: QuantType = c > 0 ? { scale: c * quant.scale, zeroPoint: quant.zeroPoint } : c === 0 ? { scale: 1, zeroPoint: 0 } : { scale: Math.abs(c) * quant.scale, zeroPoint: qmax - (quant.zeroPoint - qmin) };
    return { dtype, c, output, range: [qmin, qmax] as const };
  };
  return {
    schemas: [`quantized::${name}(Tensor qa, Scalar b) -> Tensor qc`],
    infer: (a) => [quantizedType(plan(a).dtype, shapeOf(a.tensor('qa')), plan(a).output)],
    lower: {
      10: (ctx, a) => {
        const b = ctx.b;
        const { dtype, c, output, range } = plan(a);
        const q = ctx.input(a.tensor('qa'));
        const onnxType = dtype === 'quint8' ? 'uint8' : 'int8';
        if (c === 0) return [b.op1('Cast', [b.op1('Mul', [b.op1('Cast', [q], { to: ONNX_DTYPE.int32 }), b.scalar('int32', 0)])], { to: ONNX_DTYPE[onnxType] })];
        let y = q;
        if (c < 0) {
          const mirrored = b.op1('Sub', [b.scalar('int32', range[0] + range[1]), b.op1('Cast', [q], { to: ONNX_DTYPE.int32 })]);
          y = b.op1('Cast', [mirrored], { to: ONNX_DTYPE[onnxType] });
        }
        return [relu ? clampBelowAtZero(ctx, y, dtype, output) : b.op1('Identity', [y])];
      },
    },
  };
}

function catOp(name: string, relu: boolean): OpDef {
  const outputOf = (a: BoundArgs): { dtype: QuantizedDtype; quant: QuantType } => {
    const first = activationQuant(a.schema.name, a.tensors('qx')[0]);
    const scale = a.optFloat('scale');
    const zeroPoint = a.optInt('zero_point');
    return { dtype: first.dtype, quant: scale === undefined || zeroPoint === undefined ? first.quant : { scale, zeroPoint } };
  };
  return {
    schemas: [`quantized::${name}(Tensor[] qx, int dim, float? scale, int? zero_point) -> Tensor`],
    infer: (a) => {
      const xs = a.tensors('qx');
      if (xs.length === 0) fail('TRACE_TYPE', `${a.schema.name}: no tensors to concatenate`);
      xs.forEach((x) => activationQuant(a.schema.name, x));
      const shape = [...shapeOf(xs[0])];
      const d = axis(a.int('dim'), shape.length);
      const sizes = xs.map((x) => shapeOf(x)[d]);
      shape[d] = sizes.every((s) => typeof s === 'number') ? (sizes as number[]).reduce((n, s) => n + s, 0) : a.freshDim('cat');
      const { dtype, quant } = outputOf(a);
      return [quantizedType(dtype, shape, quant)];
    },
    lower: {
      10: (ctx, a) => {
        const xs = a.tensors('qx');
        const d = axis(a.int('dim'), shapeOf(xs[0]).length);
        let y = ctx.b.op1('Concat', xs.map((x) => dequantized(ctx, a.schema.name, x)), { axis: d });
        if (relu) y = ctx.b.op1('Relu', [y]);
        const { dtype, quant } = outputOf(a);
        // PyTorch's cat of tensors with other parameters quantizes the dequantized concatenation.
        return [quantizedByReciprocal(ctx, y, dtype, quant)];
      },
    },
  };
}

/**
 * A quantized activation function: dequantize, the float function, quantize at `outputOf`'s
 * parameters (the op's arguments, or the input's).
 */
function activationOp(schema: string, input: string, lowest: number, build: (ctx: LowerContext, a: BoundArgs, x: string) => string, outputOf: (a: BoundArgs, input: QuantType) => QuantType): OpDef {
  return {
    schemas: [schema],
    infer: (a) => {
      const x = a.tensor(input);
      const { dtype, quant } = activationQuant(a.schema.name, x);
      return [quantizedType(dtype, shapeOf(x), outputOf(a, quant))];
    },
    lower: {
      [lowest]: (ctx, a) => {
        const x = a.tensor(input);
        const { dtype, quant } = activationQuant(a.schema.name, x);
        return [quantized(ctx, build(ctx, a, dequantized(ctx, a.schema.name, x)), dtype, outputOf(a, quant))];
      },
    },
  };
}

const givenOutput = (a: BoundArgs): QuantType => outputQuant(a, 'output_scale', 'output_zero_point');
const inputOutput = (_a: BoundArgs, input: QuantType): QuantType => input;

function scalarNumber(a: BoundArgs, name: string): number {
  const v = a.scalar(name);
  if (v instanceof PyFloat) return v.value;
  if (typeof v === 'number') return v;
  return fail('OP_UNSUPPORTED', `${a.schema.name}: ${name} must be a number known at conversion time`);
}

/** Eval-mode batch norm of the dequantized input (missing weight and bias are ones and zeros, as in PyTorch). */
function batchNorm(ctx: LowerContext, a: BoundArgs, x: string): string {
  const mean = a.tensor('mean');
  const channels = shapeOf(mean)[0];
  const filled = (name: string, value: number): string => {
    const t = a.optTensor(name);
    if (t) return ctx.input(t);
    if (typeof channels !== 'number') return fail('OP_UNSUPPORTED', `${a.schema.name}: the channel count must be known without ${name}`);
    return ctx.b.constant('float32', [channels], new Array<number>(channels).fill(value));
  };
  return ctx.b.op1('BatchNormalization', [x, filled('weight', 1), filled('bias', 0), ctx.input(mean), ctx.input(a.tensor('var'))], { epsilon: { f: a.float('eps') } });
}

function channelCount(a: BoundArgs): number {
  const channels = shapeOf(a.tensor('input'))[1];
  if (typeof channels !== 'number') return fail('OP_UNSUPPORTED', `${a.schema.name}: the channel count must be known at conversion time`);
  return channels;
}

/**
 * Group norm of the dequantized [N, C, ...] input (instance norm: one group per channel): each group standardized
 * over its channels and positions, then the per-channel weight and bias (PyTorch's quantized group and instance
 * norm: its float normalization of the dequantized values, quantized at the op's output parameters).
 */
function groupNorm(ctx: LowerContext, a: BoundArgs, x: string, groups: number): string {
  const b = ctx.b;
  const shape = shapeOf(a.tensor('input'));
  if (shape.length < 2 || typeof shape[1] !== 'number' || shape[1] % groups !== 0) {
    return fail('TRACE_TYPE', `${a.schema.name}: ${groups} groups do not divide the channels of an input of shape [${shape.join(', ')}]`);
  }
  const grouped = b.op1('Reshape', [x, b.int64s([0, groups, -1])]);
  let y = b.op1('Reshape', [standardize(ctx, grouped, 'float32', [2], a.float('eps')), b.op1('Shape', [x])]);
  const perChannel = (t: GValue) => b.op1('Reshape', [ctx.input(t), b.int64s([shape[1] as number, ...new Array<number>(shape.length - 2).fill(1)])]);
  const [weight, bias] = [a.optTensor('weight'), a.optTensor('bias')];
  if (weight) y = b.op1('Mul', [y, perChannel(weight)]);
  if (bias) y = b.op1('Add', [y, perChannel(bias)]);
  return y;
}

/**
 * x * clamp(x / 6 + 1/2, 0, 1): dividing by 6 (HardSigmoid multiplies by a rounded 1/6) gives PyTorch's
 * quantized hardswish integers exactly.
 */
function hardSwishOf(ctx: LowerContext, x: string): string {
  const b = ctx.b;
  const shifted = b.op1('Add', [b.op1('Div', [x, b.scalar('float32', 6)]), b.scalar('float32', 0.5)]);
  return b.op1('Mul', [x, clipFloat32(ctx, shifted, 0, 1)]);
}

export const staticQuantizedOps: readonly OpDef[] = [
  quantizePerTensor,
  dequantize,
  intRepr,
  convOp('conv1d', 1, false, PACKED_CONV2D, false),
  convOp('conv1d_relu', 1, true, PACKED_CONV2D, false),
  convOp('conv2d', 2, false, PACKED_CONV2D, true),
  convOp('conv2d_relu', 2, true, PACKED_CONV2D, true),
  convOp('conv_transpose1d', 1, false, PACKED_CONV2D, false),
  convOp('conv_transpose2d', 2, false, PACKED_CONV2D, false),
  convOp('conv3d', 3, false, PACKED_CONV3D, true),
  convOp('conv3d_relu', 3, true, PACKED_CONV3D, true),
  convOp('conv_transpose3d', 3, false, PACKED_CONV3D, false),
  linearOp('linear', false),
  linearOp('linear_relu', true),
  binaryOp('add', 'Add', false),
  binaryOp('add_relu', 'Add', true),
  binaryOp('mul', 'Mul', false),
  binaryOp('mul_relu', 'Mul', true),
  addScalarOp('add_scalar', false),
  addScalarOp('add_scalar_relu', true),
  mulScalarOp('mul_scalar', false),
  mulScalarOp('mul_scalar_relu', true),
  catOp('cat', false),
  catOp('cat_relu', true),
  activationOp(
    'quantized::hardswish(Tensor input, float output_scale, int output_zero_point) -> Tensor',
    'input',
    10,
    (ctx, _a, x) => hardSwishOf(ctx, x),
    givenOutput,
  ),
  activationOp('quantized::sigmoid(Tensor qx, float output_scale, int output_zero_point) -> Tensor', 'qx', 10, (ctx, _a, x) => ctx.b.op1('Sigmoid', [x]), givenOutput),
  activationOp(
    'quantized::leaky_relu(Tensor qx, Scalar negative_slope, bool inplace, float output_scale, int output_zero_point) -> Tensor',
    'qx',
    10,
    (ctx, a, x) => ctx.b.op1('LeakyRelu', [x], { alpha: { f: Number(scalarNumber(a, 'negative_slope')) } }),
    givenOutput,
  ),
  activationOp('quantized::relu6(Tensor qx, bool inplace=False) -> Tensor', 'qx', 10, (ctx, _a, x) => clipFloat32(ctx, x, 0, 6), inputOutput),
  activationOp(
    'quantized::layer_norm(Tensor input, int[] normalized_shape, Tensor? weight, Tensor? bias, float eps, float output_scale, int output_zero_point) -> Tensor',
    'input',
    10,
    (ctx, a, x) => {
      const [weight, bias] = [a.optTensor('weight'), a.optTensor('bias')];
      return layerNorm(ctx, x, {
        rank: shapeOf(a.tensor('input')).length,
        normalizedShape: a.ints('normalized_shape'),
        dtype: 'float32',
        eps: a.float('eps'),
        weight: weight && (() => ctx.input(weight)),
        bias: bias && (() => ctx.input(bias)),
      });
    },
    givenOutput,
  ),
  activationOp(
    'quantized::group_norm(Tensor input, int num_groups, Tensor? weight, Tensor? bias, float eps, float output_scale, int output_zero_point) -> Tensor',
    'input',
    10,
    (ctx, a, x) => groupNorm(ctx, a, x, a.int('num_groups')),
    givenOutput,
  ),
  activationOp(
    'quantized::instance_norm(Tensor input, Tensor? weight, Tensor? bias, float eps, float output_scale, int output_zero_point) -> Tensor',
    'input',
    10,
    (ctx, a, x) => groupNorm(ctx, a, x, channelCount(a)),
    givenOutput,
  ),
  activationOp(
    'quantized::batch_norm2d(Tensor qx, Tensor? weight, Tensor? bias, Tensor mean, Tensor var, float eps, float output_scale, int output_zero_point) -> Tensor',
    'qx',
    10,
    (ctx, a, x) => batchNorm(ctx, a, x),
    givenOutput,
  ),
];
