/**
 * Python numbers that come from tensors and go back: `x.size(0)`, `int(t)`, `float(t)`, `bool(t)`,
 * the implicit Tensor → number conversion TorchScript prints as `annotate(number, t)`, `t.item()`,
 * and `prim::NumToTensor`. The interpreter computes them itself when their values are known; these
 * definitions record the ones that depend on run-time values. In ONNX a Python number is a 0-d
 * tensor (int64, float64 or bool), so each lowers to a Cast, or Shape + Gather for a size.
 */
import { fail } from '../../errors.js';
import type { GValue, ScalarType } from '../../ir/torch-graph.js';
import type { BoundArgs } from '../args.js';
import { numberKind, numberType } from '../builders.js';
import type { Operand } from '../dtypes.js';
import { axis, castTo, numel, onnxDtypeOf, operand, tensorOf } from '../helpers.js';
import { needOpset, reshape } from '../opset.js';
import type { LowerContext, OpDef } from '../registry.js';

/** The value converted: a tensor for the `.Tensor` overloads, a symbolic number for the others. */
function convertedValue(a: BoundArgs): GValue {
  return a.raw('a') as GValue;
}

/** The value as the output's 0-d ONNX value: a one-element tensor of any rank is reshaped, then cast. */
function castValueToOutput(ctx: LowerContext, value: GValue): string[] {
  const rank = value.type.kind === 'tensor' ? value.type.shape.length : 0;
  const scalar = rank > 0 ? reshape(ctx, ctx.input(value), ctx.b.int64s([])) : ctx.input(value);
  return [castTo(ctx, scalar, onnxDtypeOf(value), onnxDtypeOf(ctx.node.outputs[0]))];
}

function castToOutput(ctx: LowerContext, a: BoundArgs): string[] {
  return castValueToOutput(ctx, convertedValue(a));
}

/** `int(t)` and friends on a tensor need one element, as torch checks at run time. */
function requireOneElement(v: GValue, op: string): void {
  const elements = v.type.kind === 'tensor' ? numel(v.type.shape) : undefined;
  if (elements !== undefined && elements !== 1) fail('TRACE_TYPE', `${op}: a tensor with ${elements} elements cannot be converted to a Python number`);
}

/** A number conversion: `aten::Int.Tensor(Tensor a) -> int` and its overloads on numbers. */
function numberConversion(schemas: readonly string[], kind: ScalarType['scalar']): OpDef {
  const op = schemas[0].slice(0, schemas[0].indexOf('.'));
  return {
    schemas,
    infer: (a) => {
      requireOneElement(convertedValue(a), op);
      return [numberType(kind)];
    },
    lowersUnderOnnxAten: true,
    lower: { 1: castToOutput },
  };
}

/**
 * A one-element tensor read as the Python number of its kind: `annotate(number, t)` (aten::ScalarImplicit)
 * and `t.item()`: a float from a floating tensor, a bool from a bool tensor, else an int.
 */
function implicitNumber(schema: string, arg: string): OpDef {
  const op = schema.slice(0, schema.indexOf('('));
  return {
    schemas: [schema],
    infer: (a) => {
      requireOneElement(a.tensor(arg), op);
      return [numberType(numberKind(a.tensor(arg)))];
    },
    lowersUnderOnnxAten: true,
    lower: {
      1: (ctx, a) => castValueToOutput(ctx, a.tensor(arg)),
    },
  };
}

/** The numbers `prim::min`/`prim::max` compare: the two arguments, or the items of one list. */
function comparedNumbers(a: BoundArgs): Operand[] {
  if (a.schema.args.some((arg) => arg.name === 'self')) return a.raw('self') as Operand[];
  return [a.scalar('a'), a.scalar('b')];
}

/**
 * Python's min()/max() of numbers known only at run time (a dynamic size, a count): Min/Max on the
 * 0-d values, a float if any is a float. ONNX Min/Max take double from opset 8 (as onnxruntime
 * implements them) and int64 from 12; before 12, Less/Greater and Where pick an int (from opset 9).
 */
function extremeOf(kind: 'min' | 'max'): OpDef {
  const names = kind === 'min' ? (['Min', 'Less'] as const) : (['Max', 'Greater'] as const);
  return {
    schemas: [
      `prim::${kind}.int(int a, int b) -> int`,
      `prim::${kind}.float(float a, float b) -> float`,
      `prim::${kind}.int_float(int a, float b) -> float`,
      `prim::${kind}.float_int(float a, int b) -> float`,
      `prim::${kind}(Scalar a, Scalar b) -> Scalar`,
      `prim::${kind}.self_int(int[] self) -> int`,
      `prim::${kind}.self_float(float[] self) -> float`,
    ],
    infer: (a) => {
      const numbers = comparedNumbers(a);
      if (numbers.length === 0) fail('TRACE_RAISE', `the model raises ValueError: ${kind}() arg is an empty sequence`);
      return [numberType(numbers.some((o) => numberKind(o) === 'float') ? 'float' : 'int')];
    },
    lowersUnderOnnxAten: true,
    lower: {
      8: (ctx, a) => {
        const dtype = onnxDtypeOf(ctx.node.outputs[0]);
        const values = comparedNumbers(a).map((o) => operand(ctx, o, dtype));
        if (dtype === 'float64' || ctx.opset >= 12) return [values.length === 1 ? values[0] : ctx.b.op1(names[0], values)];
        needOpset(ctx, 9, `${kind}() of ints known only at run time`);
        return [values.reduce((best, v) => ctx.b.op1('Where', [ctx.b.op1(names[1], [v, best]), v, best]))];
      },
    },
  };
}

export const numberOps: readonly OpDef[] = [
  extremeOf('min'),
  extremeOf('max'),
  {
    schemas: ['aten::size.int(Tensor self, int dim) -> int'],
    infer: (a) => {
      const shape = a.tensor('self').tensor.shape;
      return [{ kind: 'scalar', scalar: 'int', dim: shape[axis(a.int('dim'), shape.length)] }];
    },
    lowersUnderOnnxAten: true,
    lower: {
      1: (ctx, a) => {
        const shape = ctx.b.op1('Shape', [ctx.input(a.tensor('self'))]);
        return [ctx.b.op1('Gather', [shape, ctx.b.scalar('int64', a.int('dim'))], { axis: 0 })];
      },
    },
  },
  numberConversion(['aten::Int.Tensor(Tensor a) -> int', 'aten::Int.float(float a) -> int', 'aten::Int.Scalar(Scalar a) -> int'], 'int'),
  numberConversion(['aten::Float.Tensor(Tensor a) -> float', 'aten::Float.int(int a) -> float', 'aten::Float.Scalar(Scalar a) -> float'], 'float'),
  numberConversion(['aten::Bool.Tensor(Tensor a) -> bool', 'aten::Bool.int(int a) -> bool', 'aten::Bool.float(float a) -> bool'], 'bool'),
  implicitNumber('aten::ScalarImplicit(Tensor a) -> Scalar', 'a'),
  implicitNumber('aten::item(Tensor self) -> Scalar', 'self'),
  {
    schemas: ['prim::NumToTensor.Scalar(Scalar a) -> Tensor', 'prim::NumToTensor.bool(bool a) -> Tensor'],
    infer: (a) => [tensorOf(onnxDtypeOf(convertedValue(a)), [])],
    lowersUnderOnnxAten: true,
    lower: { 1: castToOutput },
  },
];
