/**
 * aten ops applied to quantized tensors (quint8/qint8 activations of a statically quantized model:
 * `torch.flatten(x)`, `F.adaptive_avg_pool2d(x)`, `F.relu(x)` between quantized:: ops).
 *
 * PyTorch gives these ops quantized kernels whose output keeps the input's scale and zero point
 * (a few, such as sigmoid, have fixed output parameters). Rather than teach every op family about
 * integers, the trace records them the way torch.onnx exports them: the quantized inputs are
 * dequantized, the float op runs, and its output is quantized again with the input's parameters.
 * Ops that only move or select elements run on the integers themselves (ONNX's Reshape, Transpose,
 * Slice... accept uint8/int8), which is exact and keeps the graph small.
 */
import { PyFloat } from '../archive/types.js';
import type { QuantType, TensorType } from '../ir/torch-graph.js';
import { scalarTypeOf } from '../ops/dtypes.js';
import { PyList, PyTuple, TensorBox, type PyValue } from './values.js';

/** Ops defined on quantized tensors themselves (src/ops/families/quantized.ts). */
const QUANTIZED_AWARE = new Set(['quantize_per_tensor', 'quantize_per_channel', 'dequantize', 'int_repr', 'q_scale', 'q_zero_point']);

/** Ops that move, select or count elements: they run on the stored integers and keep the parameters. */
const MOVES_ELEMENTS = new Set([
  'size', 'dim', 'numel', 'len', 'flatten', 'reshape', 'view', 'view_as', 'reshape_as', 'permute', 'transpose', 't',
  'squeeze', 'unsqueeze', 'contiguous', 'clone', 'detach', 'select', 'slice', 'narrow', 'chunk', 'split', 'unbind',
  'expand', 'expand_as', 'dropout', 'feature_dropout', 'alias',
]);

/**
 * Ops whose quantized kernel sums the integers (q - zero point) exactly and requantizes the sum: run
 * on those integers as floats (exact below 2^24) and quantized at scale 1, which rounds half to even
 * as PyTorch does. Through the real values, float sums would decide ties differently.
 */
const AVERAGES_INTEGERS = new Set(['adaptive_avg_pool2d']);

/** Ops whose quantized kernel writes fixed output parameters (PyTorch's fixed-qparams ops), by dtype. */
const FIXED_OUTPUT: Readonly<Record<string, Readonly<Record<'quint8' | 'qint8', QuantType>>>> = {
  sigmoid: { quint8: { scale: 1 / 256, zeroPoint: 0 }, qint8: { scale: 1 / 256, zeroPoint: -128 } },
  hardsigmoid: { quint8: { scale: 1 / 256, zeroPoint: 0 }, qint8: { scale: 1 / 256, zeroPoint: -128 } },
  tanh: { quint8: { scale: 2 / 256, zeroPoint: 128 }, qint8: { scale: 2 / 256, zeroPoint: 0 } },
};

type Call = (name: string, args: PyValue[], kwargs: Map<string, PyValue>) => PyValue;

/** adaptive_avg_pool2d(x, 1) of a tensor whose spatial size is known. */
function isGlobalAverage(base: string, args: readonly PyValue[], type: TensorType): boolean {
  const size = args[1];
  const ones = size === 1 || ((size instanceof PyList || size instanceof PyTuple) && size.items.every((d) => d === 1));
  return base === 'adaptive_avg_pool2d' && ones && type.shape.length >= 2 && type.shape.slice(-2).every((d) => typeof d === 'number');
}

/**
 * PyTorch's quantized global average: the integer sum times the float multiplier input scale /
 * (output scale x count), the product rounded to float32, then half to even (requantize_from_int).
 * Measured against PyTorch on 2x2 to 28x28 windows: the rounded multiplier decides which side of a
 * tie a mean lands (mobilenet_v3_large's squeeze-excitation averages of 196 values).
 */
function globalAverage(integers: PyValue, type: TensorType, call: Call): PyValue {
  const count = (type.shape.slice(-2) as number[]).reduce((a, b) => a * b, 1);
  const scale = Math.fround(type.quant?.scale ?? 1);
  const multiplier = Math.fround(scale / Math.fround(scale * count));
  return call('mul', [call('sum', [integers, new PyList([-2, -1]), true], new Map()), new PyFloat(multiplier)], new Map());
}

function isQuantizedBox(v: PyValue | undefined): v is TensorBox {
  return v instanceof TensorBox && v.value.type.kind === 'tensor' && (v.value.type.dtype === 'quint8' || v.value.type.dtype === 'qint8');
}

/** The first quantized tensor among the arguments (lists of tensors included). */
function firstQuantized(values: readonly PyValue[]): TensorBox | undefined {
  for (const v of values) {
    if (isQuantizedBox(v)) return v;
    if (v instanceof PyList || v instanceof PyTuple) {
      const inner = firstQuantized(v.items);
      if (inner) return inner;
    }
  }
  return undefined;
}

/** Gives quantized tensors among the results the parameters they carry (`replace`: over those they have). */
function withQuant(result: PyValue, quant: QuantType | undefined, replace = false): PyValue {
  if (isQuantizedBox(result) && (replace || !result.value.tensor.quant) && quant) result.value.type = { ...result.value.tensor, quant };
  if (result instanceof PyList || result instanceof PyTuple) result.items.forEach((item) => withQuant(item, quant, replace));
  return result;
}

/**
 * Runs an aten op that received quantized tensors, or returns undefined when none did (or the op
 * handles them itself). `call` runs an op through the registry; `rebind` makes an in-place op's
 * result the new value of its tensor.
 */
export function callOnQuantized(
  name: string,
  args: PyValue[],
  kwargs: Map<string, PyValue>,
  call: Call,
  rebind: (box: TensorBox, result: TensorBox) => void,
): PyValue | undefined {
  const inplace = name.endsWith('_') && !name.endsWith('__');
  const base = inplace ? name.slice(0, -1) : name;
  if (QUANTIZED_AWARE.has(base)) return undefined;
  const source = firstQuantized([...args, ...kwargs.values()]);
  if (!source) return undefined;
  const type = source.value.tensor;
  if (MOVES_ELEMENTS.has(base)) return withQuant(call(name, args, kwargs), type.quant);
  const integers = AVERAGES_INTEGERS.has(base) && type.quant !== undefined;
  const dequantize = (v: PyValue): PyValue => {
    if (isQuantizedBox(v) && integers) {
      const float = call('to', [call('int_repr', [v], new Map()), scalarTypeOf('float32')], new Map());
      return call('sub', [float, v.value.tensor.quant?.zeroPoint ?? 0], new Map());
    }
    if (isQuantizedBox(v)) return call('dequantize', [v], new Map());
    if (v instanceof PyList) return new PyList(v.items.map(dequantize));
    if (v instanceof PyTuple) return new PyTuple(v.items.map(dequantize));
    return v;
  };
  const output = FIXED_OUTPUT[base]?.[type.dtype as 'quint8' | 'qint8'] ?? type.quant;
  const quantize = (v: PyValue): PyValue => {
    if (v instanceof TensorBox && v.value.type.kind === 'tensor' && v.value.type.dtype === 'float32' && output) {
      if (!integers) return call('quantize_per_tensor', [v, new PyFloat(output.scale), output.zeroPoint, scalarTypeOf(type.dtype)], new Map());
      // The integers at scale 1 are the output's integers at the input's scale.
      return withQuant(call('quantize_per_tensor', [v, new PyFloat(1), output.zeroPoint, scalarTypeOf(type.dtype)], new Map()), output, true);
    }
    if (v instanceof PyList) return new PyList(v.items.map(quantize));
    if (v instanceof PyTuple) return new PyTuple(v.items.map(quantize));
    return v;
  };
  const floatArgs = args.map(dequantize);
  const floatKwargs = new Map([...kwargs].map(([k, v]) => [k, dequantize(v)]));
  const result = quantize(integers && isGlobalAverage(base, args, type) ? globalAverage(floatArgs[0], type, call) : call(base, floatArgs, floatKwargs));
  if (inplace && args[0] instanceof TensorBox && result instanceof TensorBox) {
    rebind(args[0], result);
    return args[0];
  }
  return result;
}

