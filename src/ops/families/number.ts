/**
 * Python numbers that come from tensors and go back: `x.size(0)`, `int(t)`, `float(t)`, `bool(t)`,
 * the implicit Tensor → number conversion TorchScript prints as `annotate(number, t)`, and
 * `prim::NumToTensor`. The interpreter computes them itself when their values are known; these
 * definitions record the ones that depend on run-time values. In ONNX a Python number is a 0-d
 * tensor (int64, float64 or bool), so each lowers to a Cast, or Shape + Gather for a size.
 */
import type { GValue, ScalarType } from '../../ir/torch-graph.js';
import type { BoundArgs } from '../args.js';
import { numberType } from '../builders.js';
import { isFloating } from '../dtypes.js';
import { fail } from '../../errors.js';
import { castTo, onnxDtypeOf, tensorOf } from '../helpers.js';
import type { LowerContext, OpDef } from '../registry.js';

/** The value converted: a tensor for the `.Tensor` overloads, a symbolic number for the others. */
function convertedValue(a: BoundArgs): GValue {
  return a.raw('a') as GValue;
}

/** A Cast from the argument's ONNX dtype to the output's. */
function castToOutput(ctx: LowerContext, a: BoundArgs): string[] {
  const value = convertedValue(a);
  return [castTo(ctx, ctx.input(value), onnxDtypeOf(value), onnxDtypeOf(ctx.node.outputs[0]))];
}

/** `int(t)` and friends on a tensor need one element, as torch checks at run time. */
function requireOneElement(a: BoundArgs, op: string): void {
  const v = convertedValue(a);
  if (v.type.kind !== 'tensor' || !v.type.shape.every((d) => typeof d === 'number')) return;
  const elements = (v.type.shape as number[]).reduce((n, d) => n * d, 1);
  if (elements !== 1) fail('TRACE_TYPE', `${op}: a tensor with ${elements} elements cannot be converted to a Python number`);
}

/** A number conversion: `aten::Int.Tensor(Tensor a) -> int` and its overloads on numbers. */
function numberConversion(schemas: readonly string[], kind: ScalarType['scalar']): OpDef {
  const op = schemas[0].slice(0, schemas[0].indexOf('.'));
  return {
    schemas,
    infer: (a) => {
      requireOneElement(a, op);
      return [numberType(kind)];
    },
    lowersUnderOnnxAten: true,
    lower: { 1: castToOutput },
  };
}

export const numberOps: readonly OpDef[] = [
  {
    schemas: ['aten::size.int(Tensor self, int dim) -> int'],
    infer: (a) => {
      const shape = a.tensor('self').tensor.shape;
      const dim = a.int('dim');
      return [{ kind: 'scalar', scalar: 'int', dim: shape[dim < 0 ? dim + shape.length : dim] }];
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
  {
    schemas: ['aten::ScalarImplicit(Tensor a) -> Scalar'],
    infer: (a) => {
      requireOneElement(a, 'aten::ScalarImplicit');
      return [numberType(isFloating(a.tensor('a').tensor.dtype) ? 'float' : 'int')];
    },
    lowersUnderOnnxAten: true,
    lower: { 1: castToOutput },
  },
  {
    schemas: ['prim::NumToTensor.Scalar(Scalar a) -> Tensor', 'prim::NumToTensor.bool(bool a) -> Tensor'],
    infer: (a) => [tensorOf(onnxDtypeOf(convertedValue(a)), [])],
    lowersUnderOnnxAten: true,
    lower: { 1: castToOutput },
  },
];
