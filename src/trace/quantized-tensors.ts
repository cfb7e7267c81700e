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
import type { QuantizedEngine } from '../ops/quantized-engine.js';
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
 * Ops whose quantized kernel sums the integers exactly and requantizes the sum, by engine: run on the
 * integers (q - zero point) as floats (exact below 2^24) and quantized at scale 1, which rounds half to
 * even as PyTorch does. Through the real values, float sums would decide ties differently. (The onednn
 * engine's mean dequantizes, averages the floats and quantizes again, as the generic path does.)
 */
const AVERAGES_INTEGERS: Readonly<Record<QuantizedEngine, ReadonlySet<string>>> = {
  qnnpack: new Set(['adaptive_avg_pool2d', 'mean']),
  onednn: new Set(['adaptive_avg_pool2d']),
  'onednn-torch1': new Set(['adaptive_avg_pool2d']),
};

/** Ops whose quantized kernel writes fixed output parameters (PyTorch's fixed-qparams ops), by dtype. */
const FIXED_OUTPUT: Readonly<Record<string, Readonly<Record<'quint8' | 'qint8', QuantType>>>> = {
  sigmoid: { quint8: { scale: 1 / 256, zeroPoint: 0 }, qint8: { scale: 1 / 256, zeroPoint: -128 } },
  hardsigmoid: { quint8: { scale: 1 / 256, zeroPoint: 0 }, qint8: { scale: 1 / 256, zeroPoint: -128 } },
  tanh: { quint8: { scale: 2 / 256, zeroPoint: 128 }, qint8: { scale: 2 / 256, zeroPoint: 0 } },
};

type Call = (name: string, args: PyValue[], kwargs: Map<string, PyValue>) => PyValue;

const isOnes = (size: PyValue | undefined): boolean => size === 1 || ((size instanceof PyList || size instanceof PyTuple) && size.items.length > 0 && size.items.every((d) => d === 1));

/**
 * Whether the op averages over the last two dims of a tensor whose sizes there are known:
 * adaptive_avg_pool2d(x, 1), or mean over [-2, -1] (as [2, 3] of a 4-D tensor).
 */
function isGlobalAverage(base: string, args: readonly PyValue[], kwargs: ReadonlyMap<string, PyValue>, type: TensorType): boolean {
  const rank = type.shape.length;
  if (rank < 2 || !type.shape.slice(-2).every((d) => typeof d === 'number')) return false;
  if (base === 'adaptive_avg_pool2d') return isOnes(args[1] ?? kwargs.get('output_size'));
  const dims = args[1] ?? kwargs.get('dim');
  const dtype = args[3] ?? kwargs.get('dtype');
  if (base !== 'mean' || !(dims instanceof PyList || dims instanceof PyTuple) || (dtype !== undefined && dtype !== null)) return false;
  const axes = dims.items.map((d) => (typeof d === 'number' ? (d + rank) % rank : -1)).sort((a, b) => a - b);
  return axes.length === 2 && axes[0] === rank - 2 && axes[1] === rank - 1;
}

/**
 * PyTorch's quantized average over the last two dims of `centered` (the integers minus the zero point, as floats),
 * keeping those dims as ones (`keepdim`: else dropped), as the output's integers minus the zero point: the sum
 * times a float32 multiplier, the product rounded to float32, then half to even. The multiplier is the engine's:
 * qnnpack's global average pooling (adaptive_avg_pool2d and mean alike) takes input scale / (output scale x
 * count), each step in float32; PyTorch's native channels-last adaptive_avg_pool2d kernel (the onednn engine's:
 * a quantized conv's output is channels-last) takes 1 / count. Measured exact against PyTorch 1.13 and 2.6 on
 * 61,440 channels of 5x5 to 28x28 windows each; the rounded multiplier decides which side of a tie a mean lands
 * (mobilenet_v3_large's averages of 196 values). Under onednn, PyTorch's kernel for contiguous (not
 * channels-last) tensors takes the stored integers' sum times (1/H)/W (55 of 5,120 averages a step away); the
 * trace does not track layouts, so a model that pools a contiguous quantized tensor converts within one step
 * there. qnnpack's kernel is the same for both layouts.
 */
function globalAverage(centered: PyValue, type: TensorType, keepdim: boolean, engine: QuantizedEngine, call: Call): PyValue {
  const count = (type.shape.slice(-2) as number[]).reduce((a, b) => a * b, 1);
  const scale = Math.fround(type.quant?.scale ?? 1);
  const multiplier = engine === 'qnnpack' ? Math.fround(scale / Math.fround(scale * count)) : Math.fround(1 / count);
  return call('mul', [call('sum', [centered, new PyList([-2, -1]), keepdim], new Map()), new PyFloat(multiplier)], new Map());
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
  engine: QuantizedEngine,
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
  const integers = AVERAGES_INTEGERS[engine].has(base) && type.quant !== undefined && isGlobalAverage(base, args, kwargs, type);
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
  const keepdim = base === 'adaptive_avg_pool2d' || (args[2] ?? kwargs.get('keepdim')) === true;
  const result = quantize(integers ? globalAverage(floatArgs[0], type, keepdim, engine, call) : call(base, floatArgs, floatKwargs));
  if (inplace && args[0] instanceof TensorBox && result instanceof TensorBox) {
    rebind(args[0], result);
    return args[0];
  }
  return result;
}

