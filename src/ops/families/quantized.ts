/**
 * Quantization computed in float: dynamically quantized linear layers (`torch.quantization.quantize_dynamic`):
 * quantized::linear_dynamic and linear_relu_dynamic; and fake quantization (quantization-aware training
 * graphs), aten::fake_quantize_per_tensor_affine / per_channel_affine. The weight is int8 with stored scales; the activation is quantized to
 * uint8 at run time from its own range. The lowering repeats torch's arithmetic step by step
 * (ChooseQuantizationParams in float64, a uint8 activation, an exact int32 product with
 * MatMulInteger, one float rescale) so the outputs match torch's, not just approximate them.
 * Statically quantized ops are in quantized-static.ts.
 */
import { fail } from '../../errors.js';
import { ONNX_DTYPE } from '../../ir/onnx-graph.js';
import type { Arg, Dim, GValue, TensorType, TorchbindArg } from '../../ir/torch-graph.js';
import type { BoundArgs } from '../args.js';
import { shapeOf, tensorOf } from '../helpers.js';
import { splitEqually, transpose, unsqueeze } from '../opset.js';
import { numbers, PACKED_LINEAR, type PackedLinear, packedLinear, packedLinearOf, weightQuantization } from '../quantized-weights.js';
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

/**
 * quantized::linear_dynamic's arithmetic on `x` (any rank, features last): the activation quantized from its own
 * range, MatMulInteger with the int8 weight, one float rescale, the float bias.
 */
function dynamicLinear(ctx: LowerContext, op: string, x: string, { weight, bias }: PackedLinear, reduceRange: boolean): string {
  const b = ctx.b;
  const outFeatures = shapeOf(weight)[0] as number;
  const { scales, zeroPoints } = weightQuantization(ctx, op, weight);
  const perChannel = scales.length > 1;
  const activation = quantizeActivation(ctx, x, reduceRange);
  const weightT = transpose(ctx, ctx.input(weight), [1, 0]);
  const inputs = [activation.quantized, weightT, activation.zeroPoint];
  if (zeroPoints.some((z) => z !== 0)) {
    inputs.push(perChannel ? b.constant('int8', [outFeatures], zeroPoints) : b.scalar('int8', zeroPoints[0]));
  }
  const product = b.op1('MatMulInteger', inputs);
  const weightScale = perChannel ? b.constant('float32', [outFeatures], scales) : b.scalar('float32', scales[0]);
  const outputScale = b.op1('Mul', [activation.scale, weightScale]);
  const y = b.op1('Mul', [b.op1('Cast', [product], { to: ONNX_DTYPE.float32 }), outputScale]);
  return bias ? b.op1('Add', [y, ctx.input(bias)]) : y;
}

function lowerLinearDynamic(ctx: LowerContext, a: BoundArgs, relu: boolean): string[] {
  const y = dynamicLinear(ctx, a.schema.name, ctx.input(a.tensor('X')), packedLinear(a), a.bool('reduce_range'));
  return [relu ? ctx.b.op1('Relu', [y]) : y];
}

function linearDynamicOp(name: string, relu: boolean): OpDef {
  return {
    schemas: [`quantized::${name}(Tensor X, ${PACKED_LINEAR} W_prepack, bool reduce_range=False) -> Tensor Y`],
    infer: (a) => [tensorOf('float32', inferLinear(a))],
    // Round needs opset 11; MatMulInteger 10.
    lower: { 11: (ctx, a) => lowerLinearDynamic(ctx, a, relu) },
  };
}

// ----- fake quantization -----

/** A fake quantization's scale and zero point as float32 ONNX values, and the scale's reciprocal. */
interface FakeQuantParams {
  readonly scale: string;
  readonly inverse: string;
  readonly zeroPoint: string;
  /** The zero point as a 0-d uint8/int8 value, for QuantizeLinear (per tensor only). */
  readonly typedZeroPoint: (dtype: 'uint8' | 'int8') => string;
}

/** Known numbers as float32 constants: the scale (float in PyTorch's kernel), 1.0f / scale, the zero point. */
function knownParams(ctx: LowerContext, scale: number, zeroPoint: number): FakeQuantParams {
  const b = ctx.b;
  const s = Math.fround(scale);
  return { scale: b.scalar('float32', s), inverse: b.scalar('float32', Math.fround(1 / s)), zeroPoint: b.scalar('float32', zeroPoint), typedZeroPoint: (dtype) => b.scalar(dtype, zeroPoint) };
}

/** A tensor's values when the conversion knows them (a stored buffer, a constant). */
function knownValues(ctx: LowerContext, a: BoundArgs, v: GValue): readonly number[] | undefined {
  const known = a.known(v);
  if (known) return known.values;
  const ref = ctx.parameter?.(v);
  return ref ? numbers(ref) : undefined;
}

/**
 * Scale and zero point tensors (FakeQuantize modules' buffers, or values computed at run time) shaped as `shape`
 * (one scale: 0-d; per channel: -1 at the channel axis). Known values become constants, with 1.0f / scale computed
 * here: with x * (1 / scale) in the graph, onnxruntime rounded as x / scale does (x = -0.375, scale 0.03f: -12.5
 * steps, so -12, where PyTorch's x * 33.333336f is -12.500001, so -13). Values known only at run time keep that risk.
 */
function tensorParams(ctx: LowerContext, a: BoundArgs, scale: GValue, zeroPoint: GValue, shape: readonly number[]): FakeQuantParams {
  const b = ctx.b;
  const [scales, zeroPoints] = [knownValues(ctx, a, scale), knownValues(ctx, a, zeroPoint)];
  if (scales && zeroPoints && scales.length === zeroPoints.length) {
    const dims = shape.map((d) => (d === -1 ? scales.length : d));
    const constant = (values: readonly number[]) => (dims.length === 0 ? b.scalar('float32', values[0]) : b.constant('float32', dims, values));
    const floats = scales.map(Math.fround);
    return {
      scale: constant(floats),
      inverse: constant(floats.map((s) => Math.fround(1 / s))),
      zeroPoint: constant(zeroPoints),
      typedZeroPoint: (dtype) => b.scalar(dtype, zeroPoints[0]),
    };
  }
  const shaped = (v: GValue) => b.op1('Cast', [b.op1('Reshape', [ctx.input(v), b.constant('int64', [shape.length], shape)])], { to: ONNX_DTYPE.float32 });
  const scaleValue = shaped(scale);
  const zeroPointValue = shaped(zeroPoint);
  return {
    scale: scaleValue,
    inverse: b.op1('Div', [b.scalar('float32', 1), scaleValue]),
    zeroPoint: zeroPointValue,
    typedZeroPoint: (dtype) => b.op1('Cast', [zeroPointValue], { to: ONNX_DTYPE[dtype] }),
  };
}

/** The 8-bit type holding quant_min..quant_max, if one does. */
function eightBitType(quantMin: number, quantMax: number): 'uint8' | 'int8' | undefined {
  if (quantMin >= 0 && quantMax <= 255) return 'uint8';
  if (quantMin >= -128 && quantMax <= 127) return 'int8';
  return undefined;
}

/**
 * PyTorch's fake quantization, (clamp(zero_point + nearbyint(x * (1.0f / scale)), quant_min, quant_max) -
 * zero_point) * scale, exactly: x times the float reciprocal, clamped to [quant_min - zero_point,
 * quant_max - zero_point] (integers, so clamping before rounding is clamping after), rounded half to even,
 * times the scale. Opset 11 rounds with Round; opset 10 with QuantizeLinear at scale 1 (per tensor, 8-bit
 * ranges: the clamp keeps it from saturating), then Cast and Sub. Not a QuantizeLinear/DequantizeLinear pair
 * as torch.onnx writes it: QuantizeLinear divides by the scale (a value next to a half step can round the other
 * way), and onnxruntime fuses DequantizeLinear -> op -> QuantizeLinear into integer kernels whose rounding
 * is not the float model's.
 */
function fakeQuantize(ctx: LowerContext, op: string, x: string, params: FakeQuantParams, quantMin: number, quantMax: number): string {
  const b = ctx.b;
  if (quantMin > quantMax) return fail('TRACE_TYPE', `${op}: quant_min ${quantMin} is above quant_max ${quantMax}`);
  const scaled = b.op1('Mul', [x, params.inverse]);
  const bound = (q: number) => b.op1('Sub', [b.scalar('float32', q), params.zeroPoint]);
  const clamped = b.op1('Max', [b.op1('Min', [scaled, bound(quantMax)]), bound(quantMin)]);
  if (ctx.opset >= 11) return b.op1('Mul', [b.op1('Round', [clamped]), params.scale]);
  const dtype = eightBitType(quantMin, quantMax);
  if (!dtype) return fail('OP_OPSET', `${op}: a range of ${quantMin}..${quantMax} (wider than 8 bits) needs opset 11 or later`);
  const q = b.op1('QuantizeLinear', [clamped, b.scalar('float32', 1), params.typedZeroPoint(dtype)]);
  const steps = b.op1('Sub', [b.op1('Cast', [q], { to: ONNX_DTYPE.float32 }), params.zeroPoint]);
  return b.op1('Mul', [steps, params.scale]);
}

function inferFakeQuantize(a: BoundArgs) {
  const x = a.tensor('self');
  if (x.tensor.dtype !== 'float32') fail('OP_UNSUPPORTED', `${a.schema.name}: only float32 inputs are supported, got ${x.tensor.dtype}`);
  const zeroPoint = a.schema.overload === '' && a.schema.name.endsWith('per_tensor_affine') ? undefined : a.tensor('zero_point');
  // PyTorch 2 also takes float zero points, which its kernel adds before rounding.
  if (zeroPoint && zeroPoint.tensor.dtype !== 'int32' && zeroPoint.tensor.dtype !== 'int64') {
    fail('OP_UNSUPPORTED', `${a.schema.name}: only integer zero points are supported, got ${zeroPoint.tensor.dtype}`);
  }
  return [tensorOf('float32', shapeOf(x))];
}

const fakeQuantizePerTensor: OpDef = {
  schemas: [
    'aten::fake_quantize_per_tensor_affine(Tensor self, float scale, int zero_point, int quant_min, int quant_max) -> Tensor',
    'aten::fake_quantize_per_tensor_affine.tensor_qparams(Tensor self, Tensor scale, Tensor zero_point, int quant_min, int quant_max) -> Tensor',
  ],
  infer: inferFakeQuantize,
  lower: {
    10: (ctx, a) => {
      const params = a.schema.overload === 'tensor_qparams' ? tensorParams(ctx, a, a.tensor('scale'), a.tensor('zero_point'), []) : knownParams(ctx, a.float('scale'), a.int('zero_point'));
      return [fakeQuantize(ctx, a.schema.name, ctx.input(a.tensor('self')), params, a.int('quant_min'), a.int('quant_max'))];
    },
  },
};

const fakeQuantizePerChannel: OpDef = {
  schemas: ['aten::fake_quantize_per_channel_affine(Tensor self, Tensor scale, Tensor zero_point, int axis, int quant_min, int quant_max) -> Tensor'],
  infer: inferFakeQuantize,
  // Round (opset 11): QuantizeLinear takes one scale per channel only from opset 13.
  lower: {
    11: (ctx, a) => {
      const x = a.tensor('self');
      const rank = shapeOf(x).length;
      const channelAxis = a.int('axis');
      if (channelAxis < 0 || channelAxis >= rank) fail('TRACE_TYPE', `${a.schema.name}: axis ${channelAxis} is outside a ${rank}-D input`);
      const shape = Array.from({ length: rank }, (_, i) => (i === channelAxis ? -1 : 1));
      const params = tensorParams(ctx, a, a.tensor('scale'), a.tensor('zero_point'), shape);
      return [fakeQuantize(ctx, a.schema.name, ctx.input(x), params, a.int('quant_min'), a.int('quant_max'))];
    },
  },
};

// ----- dynamically quantized recurrent layers -----

const CELL_PARAMS = '__torch__.torch.classes.rnn.CellParamsBase';

interface DynamicCell {
  readonly ih: PackedLinear;
  readonly hh: PackedLinear;
  readonly reduceRange: boolean;
}

function isTorchbind(v: Arg): v is TorchbindArg {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && 'kind' in v && v.kind === 'torchbind';
}

/**
 * A CellParamsBase of quantize_dynamic's int8 layers, in its pickled state `('quantized_dynamic', [b_ih, b_hh],
 * [], [reduce_range], [packed w_ih, packed w_hh])`; the packed linears carry the biases PyTorch adds.
 */
function dynamicCell(op: string, params: Arg): DynamicCell {
  const state = isTorchbind(params) && params.className === CELL_PARAMS && Array.isArray(params.state) ? params.state : [];
  const [kind, , , longs, packed] = state;
  if (kind !== 'quantized_dynamic') {
    return fail('OP_UNSUPPORTED', `${op}: only int8 dynamically quantized cell parameters are supported (got ${typeof kind === 'string' ? kind : 'another state'})`);
  }
  const [ih, hh] = Array.isArray(packed) ? packed : [];
  if (!Array.isArray(longs) || !isTorchbind(ih as Arg) || !isTorchbind(hh as Arg)) return fail('TRACE_TYPE', `${op}: ${CELL_PARAMS} state is not (kind, tensors, doubles, longs, packed weights)`);
  return { ih: packedLinearOf(op, ih as TorchbindArg), hh: packedLinearOf(op, hh as TorchbindArg), reduceRange: longs[0] === 1 };
}

interface RecurrentShape {
  readonly steps: number;
  readonly hidden: number;
  readonly directions: number;
  readonly layers: number;
}

function recurrentShape(a: BoundArgs, input: GValue, gates: number): RecurrentShape {
  const op = a.schema.name;
  const shape = shapeOf(input);
  if (shape.length !== 3) fail('TRACE_TYPE', `${op}: expected a 3-D input, got [${shape.join(', ')}]`);
  const steps = shape[a.bool('batch_first') ? 1 : 0];
  if (typeof steps !== 'number') return fail('OP_UNSUPPORTED', `${op}: the sequence length must be known at conversion time`);
  const [layers, directions] = [a.int('num_layers'), a.bool('bidirectional') ? 2 : 1];
  const params = a.raw('params');
  if (!Array.isArray(params) || params.length !== layers * directions) fail('TRACE_TYPE', `${op}: expected ${layers * directions} cell parameters`);
  const hidden = (shapeOf(dynamicCell(op, (params as Arg[])[0]).hh.weight)[0] as number) / gates;
  return { steps, hidden, directions, layers };
}

type CellStep = (ctx: LowerContext, op: string, cell: DynamicCell, inputGates: string, state: string[]) => string[];

/**
 * PyTorch's LSTM cell on pre-computed input gates: gates = linear_hh(h) + input gates, split i, f, g, o;
 * c' = f c + i g, h' = o tanh(c').
 */
const lstmStep: CellStep = (ctx, op, cell, inputGates, [h, c]) => {
  const b = ctx.b;
  const gates = b.op1('Add', [dynamicLinear(ctx, op, h, cell.hh, cell.reduceRange), inputGates]);
  const [i, f, g, o] = splitEqually(ctx, gates, 1, 4);
  const cy = b.op1('Add', [b.op1('Mul', [b.op1('Sigmoid', [f]), c]), b.op1('Mul', [b.op1('Sigmoid', [i]), b.op1('Tanh', [g])])]);
  return [b.op1('Mul', [b.op1('Sigmoid', [o]), b.op1('Tanh', [cy])]), cy];
};

/**
 * PyTorch's GRU cell on pre-computed input gates: r = σ(hr + ir), z = σ(hz + iz), n = tanh(in + r hn),
 * h' = (h - n) z + n.
 */
const gruStep: CellStep = (ctx, op, cell, inputGates, [h]) => {
  const b = ctx.b;
  const [ir, iz, inn] = splitEqually(ctx, inputGates, 1, 3);
  const [hr, hz, hn] = splitEqually(ctx, dynamicLinear(ctx, op, h, cell.hh, cell.reduceRange), 1, 3);
  const r = b.op1('Sigmoid', [b.op1('Add', [hr, ir])]);
  const z = b.op1('Sigmoid', [b.op1('Add', [hz, iz])]);
  const n = b.op1('Tanh', [b.op1('Add', [inn, b.op1('Mul', [r, hn])])]);
  return [b.op1('Add', [b.op1('Mul', [b.op1('Sub', [h, n]), z]), n])];
};

/**
 * A dynamically quantized LSTM/GRU as PyTorch's CPU kernel runs it, unrolled over the known sequence length:
 * per layer and direction the input projection of the whole sequence at once (one dynamic quantization of all
 * steps), then step by step the hidden projection (one quantization of h per step) and the cell. A direction
 * runs backwards in time for the reverse direction; outputs of both directions are concatenated per step and
 * feed the next layer. Returns the output sequence and each state's final values stacked by layer and direction.
 */
function lowerDynamicRecurrent(ctx: LowerContext, a: BoundArgs, gates: number, initial: GValue[], step: CellStep): string[] {
  const op = a.schema.name;
  const b = ctx.b;
  const input = a.tensor('input');
  const { steps, directions, layers } = recurrentShape(a, input, gates);
  const batchFirst = a.bool('batch_first');
  const params = a.raw('params') as Arg[];
  let sequence = batchFirst ? transpose(ctx, ctx.input(input), [1, 0, 2]) : ctx.input(input);
  const finals: string[][] = initial.map(() => []);
  for (let layer = 0; layer < layers; layer++) {
    const outputs: string[][] = [];
    for (let direction = 0; direction < directions; direction++) {
      const index = layer * directions + direction;
      const cell = dynamicCell(op, params[index]);
      const inputGates = dynamicLinear(ctx, op, sequence, cell.ih, cell.reduceRange);
      let state = initial.map((s) => b.op1('Gather', [ctx.input(s), b.scalar('int64', index)], { axis: 0 }));
      const stepOutputs: string[] = new Array<string>(steps);
      for (let k = 0; k < steps; k++) {
        const t = direction === 0 ? k : steps - 1 - k;
        state = step(ctx, op, cell, b.op1('Gather', [inputGates, b.scalar('int64', t)], { axis: 0 }), state);
        stepOutputs[t] = state[0];
      }
      outputs.push(stepOutputs);
      state.forEach((s, i) => finals[i].push(unsqueeze(ctx, s, [0])));
    }
    const perStep = Array.from({ length: steps }, (_, t) => {
      const both = outputs.map((o) => o[t]);
      return unsqueeze(ctx, both.length === 1 ? both[0] : b.op1('Concat', both, { axis: 1 }), [0]);
    });
    sequence = perStep.length === 1 ? perStep[0] : b.op1('Concat', perStep, { axis: 0 });
  }
  const output = batchFirst ? transpose(ctx, sequence, [1, 0, 2]) : sequence;
  return [output, ...finals.map((f) => (f.length === 1 ? f[0] : b.op1('Concat', f, { axis: 0 })))];
}

function recurrentOutput(a: BoundArgs, gates: number): TensorType {
  const input = a.tensor('input');
  if (input.tensor.dtype !== 'float32') fail('TRACE_TYPE', `${a.schema.name}: the input must be float32, got ${input.tensor.dtype}`);
  const { hidden, directions } = recurrentShape(a, input, gates);
  const shape = shapeOf(input);
  return tensorOf('float32', [shape[0], shape[1], hidden * directions]);
}

const quantizedLstm: OpDef = {
  schemas: [
    'aten::quantized_lstm.input(Tensor input, Tensor[] hx, __torch__.torch.classes.rnn.CellParamsBase[] params, bool has_biases, int num_layers, float dropout, bool train, bool bidirectional, bool batch_first, *, ScalarType? dtype=None, bool use_dynamic=False) -> (Tensor, Tensor, Tensor)',
  ],
  infer: (a) => {
    const hx = a.tensors('hx');
    if (hx.length !== 2) fail('TRACE_TYPE', `${a.schema.name}: hx must be (h0, c0)`);
    return [recurrentOutput(a, 4), hx[0].tensor, hx[1].tensor];
  },
  // Round (the activations' quantization) needs opset 11.
  lower: { 11: (ctx, a) => lowerDynamicRecurrent(ctx, a, 4, a.tensors('hx'), lstmStep) },
};

const quantizedGru: OpDef = {
  schemas: [
    'aten::quantized_gru.input(Tensor input, Tensor hx, __torch__.torch.classes.rnn.CellParamsBase[] params, bool has_biases, int num_layers, float dropout, bool train, bool bidirectional, bool batch_first) -> (Tensor, Tensor)',
  ],
  infer: (a) => [recurrentOutput(a, 3), a.tensor('hx').tensor],
  lower: { 11: (ctx, a) => lowerDynamicRecurrent(ctx, a, 3, [a.tensor('hx')], gruStep) },
};

// ----- weight-only quantized embeddings -----

const PACKED_EMBEDDING = '__torch__.torch.classes.quantized.EmbeddingPackedParamsBase';

/** EmbeddingPackedParamsBase's pickled state `(version, [qweight], [], [bit rate])`: its 8-bit weight. */
function packedEmbedding(a: BoundArgs): GValue {
  const op = a.schema.name;
  const packed = a.torchbind('weight');
  const [, tensors, , longs] = Array.isArray(packed.state) ? packed.state : [];
  const weight = Array.isArray(tensors) ? tensors[0] : undefined;
  if (packed.className !== PACKED_EMBEDDING || !Array.isArray(longs) || !weight || typeof weight !== 'object' || !('type' in weight)) {
    return fail('TRACE_TYPE', `${op}: ${packed.className} state is not (version, [weight], [], [bit rate])`);
  }
  if (longs[0] !== 8 || weight.tensor.dtype !== 'quint8') return fail('OP_UNSUPPORTED', `${op}: only 8-bit rows are supported (bit rate ${String(longs[0])})`);
  if (shapeOf(weight).length !== 2) fail('TRACE_TYPE', `${op}: the packed weight must be 2-D`);
  return weight;
}

/**
 * quantized::embedding_byte (nn.quantized.Embedding, weights quantized per row with float scale and zero point):
 * the table dequantized as PyTorch's packed rows hold it, q x scale + bias with bias = -zero point x scale, then
 * the rows the indices pick.
 */
const embeddingByte: OpDef = {
  schemas: ['quantized::embedding_byte(__torch__.torch.classes.quantized.EmbeddingPackedParamsBase weight, Tensor indices, bool pruned_weights=False) -> Tensor'],
  infer: (a) => {
    const weight = packedEmbedding(a);
    const indices = a.tensor('indices');
    if (indices.tensor.dtype !== 'int64' && indices.tensor.dtype !== 'int32') fail('TRACE_TYPE', `${a.schema.name}: indices must be int64 or int32, got ${indices.tensor.dtype}`);
    if (a.bool('pruned_weights')) fail('OP_UNSUPPORTED', `${a.schema.name}: pruned weights are not supported`);
    return [tensorOf('float32', [...shapeOf(indices), shapeOf(weight)[1]])];
  },
  lower: {
    9: (ctx, a) => {
      const b = ctx.b;
      const weight = packedEmbedding(a);
      const quant = ctx.parameter?.(weight)?.quant;
      if (!quant?.scales || !quant.zeroPoints || quant.scheme !== 'per_channel_affine_float_qparams' || (quant.axis ?? 0) !== 0) {
        return fail('OP_UNSUPPORTED', `${a.schema.name}: the weight must be quantized per row with float scales and zero points`);
      }
      const scales = numbers(quant.scales).map(Math.fround);
      const biases = numbers(quant.zeroPoints).map((z, i) => Math.fround(-Math.fround(z) * scales[i]));
      const rows = scales.length;
      const table = b.op1('Add', [b.op1('Mul', [b.op1('Cast', [ctx.input(weight)], { to: ONNX_DTYPE.float32 }), b.constant('float32', [rows, 1], scales)]), b.constant('float32', [rows, 1], biases)]);
      return [b.op1('Gather', [table, ctx.input(a.tensor('indices'))], { axis: 0 })];
    },
  },
};

export const quantizedOps: readonly OpDef[] = [
  embeddingByte,
  quantizedLstm,
  quantizedGru,
  linearDynamicOp('linear_dynamic', false),
  linearDynamicOp('linear_relu_dynamic', true),
  fakeQuantizePerTensor,
  fakeQuantizePerChannel,
];
