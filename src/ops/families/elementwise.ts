/**
 * Element-wise arithmetic, math functions, comparisons, logic and selection, with torch's type
 * promotion. The ops also carry the Python-number overloads torch lists for them
 * (`aten::floor.float(float a) -> int`), for calls the interpreter does not compute itself: a
 * number that depends on a dynamic dimension is a 0-d ONNX value (int64, float64 or bool).
 */
import { type DType, PyFloat } from '../../archive/types.js';
import { fail } from '../../errors.js';
import { type Dim, GValue, type KnownTensor, type ScalarType, type TensorType, type ValueType } from '../../ir/torch-graph.js';
import type { BoundArgs } from '../args.js';
import { arithmeticDtype, clamp, elementwiseMinMax, floatFunction, isNumberOverload, knownNumber, nonzeroPerDim, nonzeroPerDimTypes, type NumberKind, numberKind, numberType, outDtype, selfOf, type UnaryBuild } from '../builders.js';
import { complexPartOf, isFloating, isIntegral, type Operand, resultType } from '../dtypes.js';
import { broadcastShapes, castTo, elementwiseType, numel, onnxDtypeOf, operand, requireDtype, shapeOf, tensorOf } from '../helpers.js';
import { complexPower, packComplex, partOf } from '../complex.js';
import { needOpset, padZeros, reduce, unsqueeze } from '../opset.js';
import type { LowerContext, Lowering, OpDef } from '../registry.js';

// ---------------------------------------------------------------------------------------------
// Operands and Python-number results
// ---------------------------------------------------------------------------------------------

/** The first `count` arguments in schema order, whatever their names (`self`/`other`, `a`/`b`). */
function operandsOf(a: BoundArgs, count: number): Operand[] {
  return a.schema.args.slice(0, count).map((arg) => a.scalar(arg.name));
}

/** Python arithmetic: the declared return type, or for `Scalar` returns float if any operand is a float. */
function numberResult(a: BoundArgs, operands: readonly Operand[]): ScalarType {
  const declared = a.schema.returns[0].base;
  if (declared === 'int' || declared === 'float' || declared === 'bool') return numberType(declared);
  return numberType(operands.some((o) => numberKind(o) === 'float') ? 'float' : 'int');
}

/** `opType(x, y)` computed in `out`'s arithmetic dtype. */
function arithmetic(ctx: LowerContext, opType: string, x: Operand, y: Operand, out: DType): string {
  const part = complexPartOf(out);
  if (part) return scaledComplex(ctx, opType, x, y, part);
  const compute = arithmeticDtype(out, ctx.opset);
  return castTo(ctx, ctx.b.op1(opType, [operand(ctx, x, compute), operand(ctx, y, compute)]), compute, out);
}

function isComplexOperand(o: Operand): boolean {
  return o instanceof GValue && o.type.kind === 'tensor' && complexPartOf(o.type.dtype) !== undefined;
}

/**
 * A complex tensor (its real view, with a trailing (real, imaginary) dim) divided by a real number or
 * tensor: both parts scale alike, so the real operand gains a trailing 1 to broadcast; a complex divisor
 * takes the full quotient. (Products of complex tensors are lowered part by part: src/ops/complex.ts.)
 */
function scaledComplex(ctx: LowerContext, opType: string, x: Operand, y: Operand, part: DType): string {
  const realSide = isComplexOperand(x) ? y : x;
  if (opType !== 'Div') return fail('OP_UNSUPPORTED', `${opType} of complex tensors is not supported`);
  if (realSide !== y || isComplexOperand(realSide)) return complexQuotient(ctx, x, y, part);
  const complexSide = ctx.input((realSide === y ? x : y) as GValue);
  let real = operand(ctx, realSide, part);
  if (realSide instanceof GValue && realSide.type.kind === 'tensor' && realSide.type.shape.length > 0) {
    real = unsqueeze(ctx, real, [realSide.type.shape.length]);
  }
  return ctx.b.op1(opType, realSide === y ? [complexSide, real] : [real, complexSide]);
}

/** (a + bi) / (c + di) = ((ac + bd) + (bc - ad)i) / (c² + d²), either side possibly real. */
function complexQuotient(ctx: LowerContext, x: Operand, y: Operand, part: DType): string {
  const b = ctx.b;
  const rank = (o: Operand) => (o instanceof GValue ? shapeOf(o).length : 0);
  const parts = (o: Operand) => {
    const pair = complexOperand(ctx, o, part);
    return [partOf(ctx, pair, rank(o), 0), partOf(ctx, pair, rank(o), 1)];
  };
  const [re1, im1] = parts(x);
  const [re2, im2] = parts(y);
  const mul = (p: string, q: string) => b.op1('Mul', [p, q]);
  const denominator = b.op1('Add', [mul(re2, re2), mul(im2, im2)]);
  const re = b.op1('Div', [b.op1('Add', [mul(re1, re2), mul(im1, im2)]), denominator]);
  const im = b.op1('Div', [b.op1('Sub', [mul(im1, re2), mul(re1, im2)]), denominator]);
  return packComplex(ctx, re, im, Math.max(rank(x), rank(y)));
}

function isOne(o: Operand): boolean {
  return knownNumber(o) === 1;
}

/** trunc() of a floating tensor: ONNX has no Trunc, and casting through int64 would overflow. */
function truncFloat(ctx: LowerContext, x: string, dtype: DType): string {
  needOpset(ctx, 9, 'truncation of floating-point values');
  const negative = ctx.b.op1('Less', [x, ctx.b.scalar(dtype, 0)]);
  return ctx.b.op1('Where', [negative, ctx.b.op1('Ceil', [x]), ctx.b.op1('Floor', [x])]);
}

/** Floor division of integers: ONNX Div truncates, so step down where the signs differ and it was inexact. */
function floorDivideInt(ctx: LowerContext, x: string, y: string, dtype: DType): string {
  needOpset(ctx, 9, 'integer floor division');
  const b = ctx.b;
  const quotient = b.op1('Div', [x, y]);
  const rest = b.op1('Sub', [x, b.op1('Mul', [quotient, y])]);
  const zero = b.scalar(dtype, 0);
  const inexact = b.op1('Not', [b.op1('Equal', [rest, zero])]);
  const signsDiffer = b.op1('Xor', [b.op1('Less', [rest, zero]), b.op1('Less', [y, zero])]);
  const fix = castTo(ctx, b.op1('And', [inexact, signsDiffer]), 'bool', dtype);
  return b.op1('Sub', [quotient, fix]);
}

/** Floor division in `out` (torch `div(rounding_mode="floor")`, `floor_divide`, Python `//`). */
function floorDivide(ctx: LowerContext, x: Operand, y: Operand, out: DType): string {
  const compute = arithmeticDtype(out, ctx.opset);
  const xs = operand(ctx, x, compute);
  const ys = operand(ctx, y, compute);
  const result = isFloating(compute)
    ? ctx.b.op1('Floor', [ctx.b.op1('Div', [xs, ys])])
    : floorDivideInt(ctx, xs, ys, compute);
  return castTo(ctx, result, compute, out);
}

// ---------------------------------------------------------------------------------------------
// Conversion-time evaluation on known values (shape arithmetic on small int tensors)
// ---------------------------------------------------------------------------------------------

interface KnownOperand {
  readonly shape: readonly number[];
  readonly values: readonly number[];
}

function knownOperand(a: BoundArgs, o: Operand): KnownOperand | undefined {
  if (!(o instanceof GValue)) return { shape: [], values: [knownNumber(o) as number] };
  if (o.type.kind !== 'tensor') return undefined;
  const known = a.known(o);
  if (!known || !known.type.shape.every((d) => typeof d === 'number')) return undefined;
  return { shape: known.type.shape as number[], values: known.values };
}

/** A JS number rounded or wrapped into a torch dtype; undefined where JS cannot represent it exactly. */
function inDtype(value: number, dtype: DType): number | undefined {
  switch (dtype) {
    case 'float64': return value;
    case 'float32': return Math.fround(value);
    case 'bool': return value !== 0 ? 1 : 0;
    case 'int64': return Number.isFinite(value) ? Math.trunc(value) : undefined;
    case 'int32': return Number.isFinite(value) ? Math.trunc(value) | 0 : undefined;
    case 'int16': return Number.isFinite(value) ? (Math.trunc(value) << 16) >> 16 : undefined;
    case 'int8': return Number.isFinite(value) ? (Math.trunc(value) << 24) >> 24 : undefined;
    case 'uint8': return Number.isFinite(value) ? Math.trunc(value) & 255 : undefined;
    default: return undefined;
  }
}

/** Flat index into a broadcast operand for flat index `i` of the output. */
function broadcastIndex(i: number, outShape: readonly number[], shape: readonly number[]): number {
  let index = 0;
  let stride = 1;
  let rest = i;
  for (let d = outShape.length - 1, s = shape.length - 1; d >= 0; d--, s--) {
    const coordinate = rest % outShape[d];
    rest = Math.floor(rest / outShape[d]);
    if (s >= 0) {
      if (shape[s] !== 1) index += coordinate * stride;
      stride *= shape[s];
    }
  }
  return index;
}

/**
 * Applies `fn` element-wise to known operands converted to `compute`, giving a tensor of `type`.
 * Undefined when an operand is not known or a result is not representable (e.g. int division by zero).
 */
function evaluateElementwise(
  a: BoundArgs,
  operands: readonly Operand[],
  type: ValueType,
  compute: DType,
  fn: (xs: number[]) => number,
): KnownTensor[] | undefined {
  if (type.kind !== 'tensor') return undefined;
  const known = operands.map((o) => knownOperand(a, o));
  const count = numel(type.shape);
  if (count === undefined || known.some((k) => k === undefined)) return undefined;
  const outShape = type.shape as number[];
  const values: number[] = [];
  for (let i = 0; i < count; i++) {
    const xs: number[] = [];
    for (const k of known as KnownOperand[]) {
      const x = inDtype(k.values[broadcastIndex(i, outShape, k.shape)], compute);
      if (x === undefined) return undefined;
      xs.push(x);
    }
    const value = inDtype(fn(xs), type.dtype);
    if (value === undefined) return undefined;
    values.push(value);
  }
  return [{ type, values }];
}

function floorDiv(x: number, y: number): number {
  return Math.floor(x / y);
}

/** Python/torch remainder: the sign follows the divisor. */
function pyRemainder(x: number, y: number): number {
  const r = x % y;
  return r !== 0 && r < 0 !== y < 0 ? r + y : r;
}

// ---------------------------------------------------------------------------------------------
// add / sub / rsub / mul
// ---------------------------------------------------------------------------------------------

function arithmeticType(a: BoundArgs): ValueType {
  const operands = operandsOf(a, 2);
  if (isNumberOverload(a)) return numberResult(a, operands);
  return elementwiseType(operands);
}

function alphaOf(a: BoundArgs): Operand {
  return a.schema.args.some((arg) => arg.name === 'alpha') ? a.scalar('alpha') : 1;
}

function noBoolSubtraction(t: ValueType): void {
  if (t.kind === 'tensor' && t.dtype === 'bool') {
    fail('TRACE_TYPE', 'subtraction of two bool tensors is not supported by torch; use logical_xor');
  }
}

/** `self ± alpha * other`; `reversed` gives rsub, `other - alpha * self`. */
/** A complex operand as a real view: a real tensor or number gains a zero imaginary part. */
function complexOperand(ctx: LowerContext, o: Operand, part: DType): string {
  if (isComplexOperand(o)) return ctx.input(o as GValue);
  const rank = o instanceof GValue ? shapeOf(o).length : 0;
  const pads = Array<number>(2 * rank + 2).fill(0);
  pads[pads.length - 1] = 1;
  return padZeros(ctx, unsqueeze(ctx, operand(ctx, o, part), [rank]), pads);
}

/** x ± alpha·y with a complex result: real views add pair by pair. */
function complexAddSub(ctx: LowerContext, opType: 'Add' | 'Sub', x: Operand, y: Operand, alpha: Operand, out: DType): string {
  const part = complexPartOf(out) as DType;
  let rhs = complexOperand(ctx, y, part);
  if (!isOne(alpha)) rhs = ctx.b.op1('Mul', [rhs, operand(ctx, alpha, part)]);
  return ctx.b.op1(opType, [complexOperand(ctx, x, part), rhs]);
}

function addSub(opType: 'Add' | 'Sub', reversed: boolean): Lowering {
  return (ctx, a) => {
    const out = outDtype(ctx);
    const [self, other] = operandsOf(a, 2);
    const [x, y] = reversed ? [other, self] : [self, other];
    if (out === 'bool') {
      // bool + bool is a logical or in torch (alpha can only be True).
      return [ctx.b.op1('Or', [operand(ctx, x, 'bool'), operand(ctx, y, 'bool')])];
    }
    if (complexPartOf(out)) return [complexAddSub(ctx, opType, x, y, alphaOf(a), out)];
    const compute = arithmeticDtype(out, ctx.opset);
    const alpha = alphaOf(a);
    let rhs = operand(ctx, y, compute);
    if (!isOne(alpha)) rhs = ctx.b.op1('Mul', [rhs, operand(ctx, alpha, compute)]);
    return [castTo(ctx, ctx.b.op1(opType, [operand(ctx, x, compute), rhs]), compute, out)];
  };
}

function evaluateAddSub(sign: 1 | -1, reversed: boolean) {
  return (a: BoundArgs): KnownTensor[] | undefined => {
    if (isNumberOverload(a)) return undefined;
    const type = arithmeticType(a);
    if (type.kind !== 'tensor') return undefined;
    const [self, other] = operandsOf(a, 2);
    const alpha = knownNumber(alphaOf(a));
    if (alpha === undefined) return undefined;
    const [x, y] = reversed ? [other, self] : [self, other];
    return evaluateElementwise(a, [x, y], type, type.dtype, ([u, v]) => u + sign * alpha * v);
  };
}

const numberArithmeticSchemas = (name: string): string[] => [
  `aten::${name}.int(int a, int b) -> int`,
  `aten::${name}.float(float a, float b) -> float`,
  `aten::${name}.int_float(int a, float b) -> float`,
  `aten::${name}.float_int(float a, int b) -> float`,
  `aten::${name}(Scalar a, Scalar b) -> Scalar`,
];

const arithmeticOps: OpDef[] = [
  {
    schemas: [
      'aten::add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor',
      'aten::add.Scalar(Tensor self, Scalar other, Scalar alpha=1) -> Tensor',
      ...numberArithmeticSchemas('add'),
    ],
    infer: (a) => [arithmeticType(a)],
    evaluate: evaluateAddSub(1, false),
    lower: { 7: addSub('Add', false) },
  },
  {
    // optimize_for_mobile fuses `relu(x + y)` into this op.
    schemas: [
      'aten::_add_relu.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor',
      'aten::_add_relu.Scalar(Tensor self, Scalar other, Scalar alpha=1) -> Tensor',
    ],
    infer: (a) => {
      const t = arithmeticType(a);
      if (t.kind === 'tensor' && t.dtype === 'bool') fail('TRACE_TYPE', 'aten::_add_relu: relu is not implemented for bool tensors');
      return [t];
    },
    lower: {
      7: (ctx, a) => {
        const [sum] = addSub('Add', false)(ctx, a);
        const out = outDtype(ctx);
        // Relu takes integer tensors from opset 14.
        if (isFloating(out) || ctx.opset >= 14) return [ctx.b.op1('Relu', [sum])];
        needOpset(ctx, 8, `aten::_add_relu on ${out} tensors (Max with broadcasting)`);
        return [ctx.b.op1('Max', [sum, ctx.b.scalar(out, 0)])];
      },
    },
  },
  {
    schemas: [
      'aten::sub.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor',
      'aten::sub.Scalar(Tensor self, Scalar other, Scalar alpha=1) -> Tensor',
      ...numberArithmeticSchemas('sub'),
    ],
    infer: (a) => {
      const t = arithmeticType(a);
      noBoolSubtraction(t);
      return [t];
    },
    evaluate: evaluateAddSub(-1, false),
    lower: { 7: addSub('Sub', false) },
  },
  {
    schemas: [
      'aten::rsub.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor',
      'aten::rsub.Scalar(Tensor self, Scalar other, Scalar alpha=1) -> Tensor',
    ],
    infer: (a) => {
      const t = arithmeticType(a);
      noBoolSubtraction(t);
      return [t];
    },
    evaluate: evaluateAddSub(-1, true),
    lower: { 7: addSub('Sub', true) },
  },
  {
    schemas: [
      'aten::mul.Tensor(Tensor self, Tensor other) -> Tensor',
      'aten::mul.Scalar(Tensor self, Scalar other) -> Tensor',
      ...numberArithmeticSchemas('mul'),
    ],
    infer: (a) => [arithmeticType(a)],
    evaluate: (a) => {
      if (isNumberOverload(a)) return undefined;
      const type = arithmeticType(a);
      return evaluateElementwise(a, operandsOf(a, 2), type, type.kind === 'tensor' ? type.dtype : 'float64', ([x, y]) => x * y);
    },
    lower: {
      7: (ctx, a) => {
        const out = outDtype(ctx);
        const [x, y] = operandsOf(a, 2);
        // bool * bool is a logical and.
        if (out === 'bool') return [ctx.b.op1('And', [operand(ctx, x, 'bool'), operand(ctx, y, 'bool')])];
        return [arithmetic(ctx, 'Mul', x, y, out)];
      },
    },
  },
];

// ---------------------------------------------------------------------------------------------
// div / floor_divide / remainder / fmod / pow
// ---------------------------------------------------------------------------------------------

function roundingMode(a: BoundArgs): string | undefined {
  if (!a.schema.args.some((arg) => arg.name === 'rounding_mode') || a.isNone('rounding_mode')) return undefined;
  const mode = a.str('rounding_mode');
  if (mode !== 'trunc' && mode !== 'floor') {
    fail('TRACE_TYPE', `div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '${mode}'`);
  }
  return mode;
}

/** True division gives the default float dtype for integer inputs; rounded division keeps the promoted type. */
function divType(a: BoundArgs): ValueType {
  const operands = operandsOf(a, 2);
  if (isNumberOverload(a)) return numberResult(a, operands);
  const t = elementwiseType(operands);
  const mode = roundingMode(a);
  if (mode !== undefined && complexPartOf(t.dtype)) fail('TRACE_TYPE', `div with rounding_mode='${mode}' is not implemented for ${t.dtype} tensors`);
  if (mode === undefined && !isFloating(t.dtype) && !complexPartOf(t.dtype)) return tensorOf('float32', t.shape);
  return t;
}

function lowerDiv(ctx: LowerContext, a: BoundArgs): string[] {
  const out = outDtype(ctx);
  const [x, y] = operandsOf(a, 2);
  const mode = roundingMode(a);
  if (mode === 'floor') return [floorDivide(ctx, x, y, out)];
  if (mode === 'trunc' && isFloating(out)) {
    const compute = arithmeticDtype(out, ctx.opset);
    const quotient = ctx.b.op1('Div', [operand(ctx, x, compute), operand(ctx, y, compute)]);
    return [castTo(ctx, truncFloat(ctx, quotient, compute), compute, out)];
  }
  // True division (out is floating) or integer division, which ONNX Div truncates.
  return [arithmetic(ctx, 'Div', x, y, out)];
}

function evaluateDiv(a: BoundArgs): KnownTensor[] | undefined {
  if (isNumberOverload(a)) return undefined;
  const type = divType(a);
  if (type.kind !== 'tensor') return undefined;
  const mode = roundingMode(a);
  const integral = !isFloating(type.dtype);
  return evaluateElementwise(a, operandsOf(a, 2), type, type.dtype, ([x, y]) => {
    if (integral && y === 0) return NaN; // torch raises ZeroDivisionError: leave it to run time
    const q = type.dtype === 'float32' ? Math.fround(x / y) : x / y;
    return mode === 'floor' ? Math.floor(q) : mode === 'trunc' ? Math.trunc(q) : q;
  });
}

function evaluateFloorDivide(a: BoundArgs): KnownTensor[] | undefined {
  const type = elementwiseType(operandsOf(a, 2));
  const integral = !isFloating(type.dtype);
  return evaluateElementwise(a, operandsOf(a, 2), type, type.dtype, ([x, y]) =>
    integral && y === 0 ? NaN : floorDiv(x, y),
  );
}

/** Python remainder (sign of the divisor) in `out`. */
function remainder(ctx: LowerContext, x: Operand, y: Operand, out: DType): string {
  const b = ctx.b;
  const compute = arithmeticDtype(out, ctx.opset);
  const xs = operand(ctx, x, compute);
  const ys = operand(ctx, y, compute);
  let result: string;
  if (!isFloating(compute)) {
    result = ctx.opset >= 10
      ? b.op1('Mod', [xs, ys], { fmod: 0 })
      : b.op1('Sub', [xs, b.op1('Mul', [floorDivideInt(ctx, xs, ys, compute), ys])]);
  } else if (ctx.opset >= 10) {
    // torch: r = fmod(x, y); r += y where r is non-zero and its sign differs from y's.
    const r = b.op1('Mod', [xs, ys], { fmod: 1 });
    const zero = b.scalar(compute, 0);
    const lt = (p: string, q: string) => b.op1('Less', [p, q]);
    const differs = b.op1('Or', [
      b.op1('And', [lt(r, zero), lt(zero, ys)]),
      b.op1('And', [lt(zero, r), lt(ys, zero)]),
    ]);
    result = b.op1('Where', [differs, b.op1('Add', [r, ys]), r]);
  } else {
    result = b.op1('Sub', [xs, b.op1('Mul', [b.op1('Floor', [b.op1('Div', [xs, ys])]), ys])]);
  }
  return castTo(ctx, result, compute, out);
}

function lowerPow(ctx: LowerContext, a: BoundArgs): string[] {
  const out = outDtype(ctx);
  const [x, y] = operandsOf(a, 2);
  const part = complexPartOf(out);
  if (part) {
    // A complex tensor to a real number's power; complex exponents and bases of real tensors are not lowered.
    const exponent = knownNumber(y);
    if (!isComplexOperand(x) || exponent === undefined) return fail('OP_UNSUPPORTED', 'aten::pow of complex tensors is supported only to a real number\'s power');
    return [complexPower(ctx, ctx.input(x as GValue), shapeOf(x as GValue).length, exponent, part)];
  }
  if (isFloating(out)) return [arithmetic(ctx, 'Pow', x, y, out)];
  if (ctx.opset >= 12) {
    const compute = arithmeticDtype(out, ctx.opset);
    return [castTo(ctx, ctx.b.op1('Pow', [operand(ctx, x, compute), operand(ctx, y, compute)]), compute, out)];
  }
  // Integer Pow arrives at opset 12: compute in float64 and round to the nearest integer.
  const p = ctx.b.op1('Pow', [operand(ctx, x, 'float64'), operand(ctx, y, 'float64')]);
  const rounded = ctx.b.op1('Floor', [ctx.b.op1('Add', [p, ctx.b.scalar('float64', 0.5)])]);
  return [castTo(ctx, rounded, 'float64', out)];
}

const divisionOps: OpDef[] = [
  {
    schemas: [
      'aten::div.Tensor(Tensor self, Tensor other) -> Tensor',
      'aten::div.Scalar(Tensor self, Scalar other) -> Tensor',
      'aten::div.Tensor_mode(Tensor self, Tensor other, *, str? rounding_mode) -> Tensor',
      'aten::div.Scalar_mode(Tensor self, Scalar other, *, str? rounding_mode) -> Tensor',
      'aten::div.int(int a, int b) -> float',
      'aten::div.float(float a, float b) -> float',
      'aten::div(Scalar a, Scalar b) -> float',
    ],
    infer: (a) => [divType(a)],
    evaluate: evaluateDiv,
    lower: { 7: lowerDiv },
  },
  {
    schemas: ['aten::true_divide.Tensor(Tensor self, Tensor other) -> Tensor', 'aten::true_divide.Scalar(Tensor self, Scalar other) -> Tensor'],
    infer: (a) => [divType(a)],
    evaluate: evaluateDiv,
    lower: { 7: lowerDiv },
  },
  {
    // Python `//` on numbers (in practice on sizes, so ints: integer floor division needs opset 9);
    // tensors use floor_divide.
    schemas: numberArithmeticSchemas('floordiv'),
    infer: (a) => [arithmeticType(a)],
    lower: {
      9: (ctx, a) => {
        const [x, y] = operandsOf(a, 2);
        return [floorDivide(ctx, x, y, outDtype(ctx))];
      },
    },
  },
  {
    schemas: [
      'aten::floor_divide(Tensor self, Tensor other) -> Tensor',
      'aten::floor_divide.Scalar(Tensor self, Scalar other) -> Tensor',
    ],
    infer: (a) => [elementwiseType(operandsOf(a, 2))],
    evaluate: evaluateFloorDivide,
    lower: {
      7: (ctx, a) => {
        const [x, y] = operandsOf(a, 2);
        return [floorDivide(ctx, x, y, outDtype(ctx))];
      },
    },
  },
  {
    schemas: [
      'aten::remainder.Tensor(Tensor self, Tensor other) -> Tensor',
      'aten::remainder.Scalar(Tensor self, Scalar other) -> Tensor',
      'aten::remainder.Scalar_Tensor(Scalar self, Tensor other) -> Tensor',
      ...numberArithmeticSchemas('remainder'),
    ],
    infer: (a) => [arithmeticType(a)],
    evaluate: (a) => {
      if (isNumberOverload(a)) return undefined;
      const type = arithmeticType(a);
      if (type.kind !== 'tensor') return undefined;
      const integral = !isFloating(type.dtype);
      return evaluateElementwise(a, operandsOf(a, 2), type, type.dtype, ([x, y]) =>
        integral && y === 0 ? NaN : pyRemainder(x, y),
      );
    },
    lower: {
      7: (ctx, a) => {
        const [x, y] = operandsOf(a, 2);
        return [remainder(ctx, x, y, outDtype(ctx))];
      },
    },
  },
  {
    schemas: [
      'aten::fmod.Tensor(Tensor self, Tensor other) -> Tensor',
      'aten::fmod.Scalar(Tensor self, Scalar other) -> Tensor',
      'aten::fmod.int(int a, int b) -> float',
      'aten::fmod.float(float a, float b) -> float',
      'aten::fmod.int_float(int a, float b) -> float',
      'aten::fmod.float_int(float a, int b) -> float',
      'aten::fmod(Scalar a, Scalar b) -> float',
    ],
    infer: (a) => [isNumberOverload(a) ? numberType('float') : elementwiseType(operandsOf(a, 2))],
    lower: {
      10: (ctx, a) => {
        const out = outDtype(ctx);
        const [x, y] = operandsOf(a, 2);
        return [ctx.b.op1('Mod', [operand(ctx, x, out), operand(ctx, y, out)], { fmod: 1 })];
      },
    },
  },
  {
    schemas: [
      'aten::pow.Tensor_Tensor(Tensor self, Tensor exponent) -> Tensor',
      'aten::pow.Tensor_Scalar(Tensor self, Scalar exponent) -> Tensor',
      'aten::pow.Scalar(Scalar self, Tensor exponent) -> Tensor',
      'aten::pow.int(int a, int b) -> float',
      'aten::pow.float(float a, float b) -> float',
      'aten::pow.int_float(int a, float b) -> float',
      'aten::pow.float_int(float a, int b) -> float',
      'aten::pow.int_to_int(int a, int b) -> int',
      'aten::pow.Scalar_Scalar(Scalar a, Scalar b) -> float',
    ],
    infer: (a) => [arithmeticType(a)],
    lower: { 7: lowerPow },
  },
];

// ---------------------------------------------------------------------------------------------
// Unary math
// ---------------------------------------------------------------------------------------------

function onnxUnary(opType: string): UnaryBuild {
  return (ctx, x) => ctx.b.op1(opType, [x]);
}

const numberUnarySchemas = (name: string, intReturn = 'float', floatReturn = 'float'): string[] => [
  `aten::${name}.int(int a) -> ${intReturn}`,
  `aten::${name}.float(float a) -> ${floatReturn}`,
  `aten::${name}.Scalar(Scalar a) -> Scalar`,
];

const LN2 = Math.LN2;
const LN10 = Math.LN10;

function divideByConstant(value: number): UnaryBuild {
  return (ctx, x, dtype) => ctx.b.op1('Div', [ctx.b.op1('Log', [x]), ctx.b.scalar(dtype, value)]);
}

/** The Python overloads of floor/ceil return int for any number, round returns float. */
function roundingType(a: BoundArgs, numberReturn: NumberKind): ValueType {
  if (isNumberOverload(a)) return numberType(numberReturn);
  return (selfOf(a) as GValue).tensor;
}

/** floor/ceil/trunc: integer tensors are returned unchanged. */
function roundingFunction(name: string, extra: readonly string[], opset: number, build: UnaryBuild): OpDef {
  return {
    schemas: [`aten::${name}(Tensor self) -> Tensor`, ...extra],
    infer: (a) => [roundingType(a, 'int')],
    lower: {
      [opset]: (ctx: LowerContext, a: BoundArgs) => {
        const self = selfOf(a);
        const out = outDtype(ctx);
        if (self instanceof GValue && self.type.kind === 'tensor' && !isFloating(self.type.dtype)) return [ctx.input(self)];
        const compute = isFloating(out) ? out : 'float64';
        return [castTo(ctx, build(ctx, operand(ctx, self, compute), compute), compute, out)];
      },
    },
  };
}

/** torch.round(x, decimals=d): round(x * 10^d) / 10^d, or round(x / 10^-d) * 10^-d for negative d. */
function roundDecimals(ctx: LowerContext, x: string, dtype: DType, decimals: number): string {
  if (decimals === 0) return ctx.b.op1('Round', [x]);
  const scale = ctx.b.scalar(dtype, 10 ** Math.abs(decimals));
  const [into, back] = decimals > 0 ? ['Mul', 'Div'] : ['Div', 'Mul'];
  return ctx.b.op1(back, [ctx.b.op1('Round', [ctx.b.op1(into, [x, scale])]), scale]);
}

/** Same-dtype unary ops (neg, abs, sign, square). */
function sameTypeUnary(a: BoundArgs, op: string): ValueType {
  const self = selfOf(a);
  if (isNumberOverload(a)) return numberResult(a, [self]);
  const t = (self as GValue).tensor;
  if (t.dtype === 'bool' && op !== 'sign') {
    fail('TRACE_TYPE', `${op} is not supported on bool tensors by torch`);
  }
  return t;
}

/**
 * `def` with its tensor overload computed at conversion time when its input is known (detection code
 * derives constants such as a pooler's scale through tensors: `torch.tensor(r).log2().round()`).
 */
function foldedUnary(def: OpDef, fn: (x: number) => number): OpDef {
  return {
    ...def,
    evaluate: (a) => {
      if (isNumberOverload(a) || (a.schema.overload === 'decimals' && a.int('decimals') !== 0)) return undefined;
      const [type] = def.infer(a);
      return evaluateElementwise(a, [selfOf(a)], type, 'float64', ([x]) => fn(x));
    },
  };
}

/** Round half to even, as torch.round. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const unaryOps: OpDef[] = [
  foldedUnary(floatFunction('exp', numberUnarySchemas('exp'), 7, onnxUnary('Exp')), Math.exp),
  foldedUnary(floatFunction('log', numberUnarySchemas('log'), 7, onnxUnary('Log')), Math.log),
  foldedUnary(floatFunction('log2', [], 7, divideByConstant(LN2)), Math.log2),
  foldedUnary(floatFunction('log10', numberUnarySchemas('log10'), 7, divideByConstant(LN10)), Math.log10),
  floatFunction('log1p', numberUnarySchemas('log1p'), 7, (ctx, x, dtype) =>
    ctx.b.op1('Log', [ctx.b.op1('Add', [x, ctx.b.scalar(dtype, 1)])]),
  ),
  floatFunction('expm1', numberUnarySchemas('expm1'), 7, (ctx, x, dtype) =>
    ctx.b.op1('Sub', [ctx.b.op1('Exp', [x]), ctx.b.scalar(dtype, 1)]),
  ),
  foldedUnary(floatFunction('sqrt', numberUnarySchemas('sqrt'), 7, onnxUnary('Sqrt')), Math.sqrt),
  floatFunction('rsqrt', [], 7, (ctx, x) => ctx.b.op1('Reciprocal', [ctx.b.op1('Sqrt', [x])])),
  foldedUnary(floatFunction('reciprocal', [], 7, onnxUnary('Reciprocal')), (x) => 1 / x),
  floatFunction('sin', numberUnarySchemas('sin'), 7, onnxUnary('Sin')),
  floatFunction('cos', numberUnarySchemas('cos'), 7, onnxUnary('Cos')),
  floatFunction('tan', numberUnarySchemas('tan'), 7, onnxUnary('Tan')),
  floatFunction('asin', numberUnarySchemas('asin'), 7, onnxUnary('Asin')),
  floatFunction('acos', numberUnarySchemas('acos'), 7, onnxUnary('Acos')),
  floatFunction('atan', numberUnarySchemas('atan'), 7, onnxUnary('Atan')),
  floatFunction('sinh', numberUnarySchemas('sinh'), 9, onnxUnary('Sinh')),
  floatFunction('cosh', numberUnarySchemas('cosh'), 9, onnxUnary('Cosh')),
  floatFunction('erf', numberUnarySchemas('erf'), 9, onnxUnary('Erf')),
  roundingFunction('floor', numberUnarySchemas('floor', 'int', 'int'), 7, onnxUnary('Floor')),
  roundingFunction('ceil', numberUnarySchemas('ceil', 'int', 'int'), 7, onnxUnary('Ceil')),
  roundingFunction('trunc', [], 9, (ctx, x, dtype) => truncFloat(ctx, x, dtype)),
  foldedUnary({
    schemas: [
      'aten::round(Tensor self) -> Tensor',
      'aten::round.decimals(Tensor self, *, int decimals) -> Tensor',
      ...numberUnarySchemas('round'),
    ],
    infer: (a) => [roundingType(a, 'float')],
    lower: {
      11: (ctx, a) => {
        const self = selfOf(a);
        const out = outDtype(ctx);
        const decimals = a.schema.overload === 'decimals' ? a.int('decimals') : 0;
        if (self instanceof GValue && self.type.kind === 'tensor' && !isFloating(self.type.dtype)) return [ctx.input(self)];
        const compute = isFloating(out) ? out : 'float64';
        return [castTo(ctx, roundDecimals(ctx, operand(ctx, self, compute), compute, decimals), compute, out)];
      },
    },
  }, roundHalfEven),
  {
    schemas: [
      'aten::neg(Tensor self) -> Tensor',
      'aten::neg.int(int a) -> int',
      'aten::neg.float(float a) -> float',
      'aten::neg.Scalar(Scalar a) -> Scalar',
    ],
    infer: (a) => [sameTypeUnary(a, 'neg')],
    evaluate: (a) => {
      if (isNumberOverload(a)) return undefined;
      const type = sameTypeUnary(a, 'neg');
      return evaluateElementwise(a, [selfOf(a)], type, (type as TensorType).dtype, ([x]) => -x);
    },
    lower: {
      7: (ctx, a) => {
        const out = outDtype(ctx);
        if (out === 'uint8') return [arithmetic(ctx, 'Sub', 0, selfOf(a), out)];
        const compute = arithmeticDtype(out, ctx.opset);
        return [castTo(ctx, ctx.b.op1('Neg', [operand(ctx, selfOf(a), compute)]), compute, out)];
      },
    },
  },
  {
    schemas: ['aten::abs(Tensor self) -> Tensor'],
    infer: (a) => {
      // A complex tensor's abs is its magnitude, a real tensor (a spectrogram from stft).
      const part = complexPartOf(a.tensor('self').tensor.dtype);
      return [part ? tensorOf(part, shapeOf(a.tensor('self'))) : sameTypeUnary(a, 'abs')];
    },
    lower: {
      7: (ctx, a) => {
        const self = a.tensor('self');
        // The real view's trailing (real, imaginary) dim: the magnitude is its L2 norm.
        if (complexPartOf(self.tensor.dtype)) return [reduce(ctx, 'ReduceL2', ctx.input(self), [shapeOf(self).length], false)];
        return [ctx.b.op1('Abs', [ctx.input(self)])];
      },
    },
  },
  {
    schemas: ['aten::sign(Tensor self) -> Tensor'],
    infer: (a) => [sameTypeUnary(a, 'sign')],
    lower: {
      9: (ctx, a) => {
        const self = a.tensor('self');
        if (self.tensor.dtype === 'bool') return [ctx.input(self)];
        return [ctx.b.op1('Sign', [ctx.input(self)])];
      },
    },
  },
  {
    schemas: ['aten::square(Tensor self) -> Tensor'],
    infer: (a) => {
      const t = a.tensor('self').tensor;
      // square(bool) promotes to int64 like bool * bool would in torch.pow(x, 2).
      return [t.dtype === 'bool' ? tensorOf('int64', t.shape) : t];
    },
    lower: {
      7: (ctx, a) => {
        const self = a.tensor('self');
        return [arithmetic(ctx, 'Mul', self, self, outDtype(ctx))];
      },
    },
  },
];

// ---------------------------------------------------------------------------------------------
// atan2
// ---------------------------------------------------------------------------------------------

/** atan2 of tensors promotes like true division: integer inputs give float32. */
function atan2Type(a: BoundArgs): ValueType {
  const operands = operandsOf(a, 2);
  if (isNumberOverload(a)) return numberType('float');
  const t = elementwiseType(operands);
  return isFloating(t.dtype) ? t : tensorOf('float32', t.shape);
}

/**
 * atan2(y, x) from Atan(y / x): shifted by ±π where x < 0 (by the sign of y), and 0 where both are
 * zero (0 / 0 would give NaN). x == 0 alone needs nothing: y / 0 is ±inf, whose Atan is ±π/2.
 */
function atan2(ctx: LowerContext, a: BoundArgs): string {
  needOpset(ctx, 9, 'atan2');
  const b = ctx.b;
  const out = outDtype(ctx);
  const compute = isFloating(out) ? out : 'float64';
  const [yOperand, xOperand] = operandsOf(a, 2);
  const y = operand(ctx, yOperand, compute);
  const x = operand(ctx, xOperand, compute);
  const c = (v: number) => b.scalar(compute, v);
  const angle = b.op1('Atan', [b.op1('Div', [y, x])]);
  const halfTurn = b.op1('Where', [b.op1('Less', [y, c(0)]), c(-Math.PI), c(Math.PI)]);
  const shifted = b.op1('Where', [b.op1('Less', [x, c(0)]), b.op1('Add', [angle, halfTurn]), angle]);
  const origin = b.op1('And', [equal(ctx, x, c(0), compute), equal(ctx, y, c(0), compute)]);
  return castTo(ctx, b.op1('Where', [origin, c(0), shifted]), compute, out);
}

const atan2Op: OpDef = {
  schemas: [
    'aten::atan2(Tensor self, Tensor other) -> Tensor',
    'aten::atan2.int(int a, int b) -> float',
    'aten::atan2.float(float a, float b) -> float',
    'aten::atan2.int_float(int a, float b) -> float',
    'aten::atan2.float_int(float a, int b) -> float',
    'aten::atan2.Scalar_Scalar(Scalar a, Scalar b) -> float',
  ],
  infer: (a) => [atan2Type(a)],
  lower: { 9: (ctx, a) => [atan2(ctx, a)] },
};

// ---------------------------------------------------------------------------------------------
// Comparisons
// ---------------------------------------------------------------------------------------------

type Comparison = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';

function comparisonType(a: BoundArgs): ValueType {
  const operands = operandsOf(a, 2);
  if (isNumberOverload(a)) return numberType('bool');
  return tensorOf('bool', broadcastShapes(...operands.filter((o): o is GValue => o instanceof GValue).map(shapeOf)));
}

/** The dtype both sides are compared in: torch's promoted type, widened where ONNX lacks a kernel. */
function comparisonDtype(ctx: LowerContext, a: BoundArgs, operands: readonly Operand[], ordered: boolean): DType {
  let common: DType;
  if (isNumberOverload(a)) {
    const kinds = operands.map(numberKind);
    common = kinds.includes('float') ? 'float64' : kinds.every((k) => k === 'bool') ? 'bool' : 'int64';
  } else {
    common = resultType(operands);
  }
  if (common === 'bool' && ordered) return 'int32';
  if ((common === 'uint8' || common === 'int8' || common === 'int16') && !ordered && ctx.opset < 11) return 'int32';
  if (common === 'bfloat16' && ctx.opset < 13) return 'float32';
  return common;
}

/** x == y; float Equal only exists from opset 11, so below it NaN-aware Less/Greater stand in. */
function equal(ctx: LowerContext, x: string, y: string, dtype: DType): string {
  const b = ctx.b;
  if (!isFloating(dtype) || ctx.opset >= 11) return b.op1('Equal', [x, y]);
  const ordered = b.op1('Or', [b.op1('Less', [x, y]), b.op1('Greater', [x, y])]);
  const nan = b.op1('Or', [b.op1('IsNaN', [x]), b.op1('IsNaN', [y])]);
  return b.op1('Not', [b.op1('Or', [ordered, nan])]);
}

function compare(kind: Comparison): Lowering {
  return (ctx, a) => {
    const operands = operandsOf(a, 2);
    const dtype = comparisonDtype(ctx, a, operands, kind !== 'eq' && kind !== 'ne');
    const x = operand(ctx, operands[0], dtype);
    const y = operand(ctx, operands[1], dtype);
    const b = ctx.b;
    switch (kind) {
      case 'eq': return [equal(ctx, x, y, dtype)];
      case 'ne': return [b.op1('Not', [equal(ctx, x, y, dtype)])];
      case 'lt': return [b.op1('Less', [x, y])];
      case 'gt': return [b.op1('Greater', [x, y])];
      case 'le': return [ctx.opset >= 12 ? b.op1('LessOrEqual', [x, y]) : b.op1('Or', [b.op1('Less', [x, y]), equal(ctx, x, y, dtype)])];
      case 'ge': return [ctx.opset >= 12 ? b.op1('GreaterOrEqual', [x, y]) : b.op1('Or', [b.op1('Greater', [x, y]), equal(ctx, x, y, dtype)])];
    }
  };
}

/**
 * lt/gt before opset 9, where Greater and Less take floating types only: integers compare in
 * float64, which holds all but int64's values exactly, so int64 compares its high 32-bit halves
 * (truncated quotients, ordered like the values) and, where those are equal, its low halves.
 */
function orderedBeforeOpset9(kind: 'lt' | 'gt'): Lowering {
  return (ctx, a) => {
    const operands = operandsOf(a, 2);
    // float16 compares in float32 (exactly): onnxruntime's Greater/Less before opset 9 take float and double.
    const promoted = comparisonDtype(ctx, a, operands, true);
    const dtype = promoted === 'float16' ? 'float32' : promoted;
    const opType = kind === 'lt' ? 'Less' : 'Greater';
    const b = ctx.b;
    if (isFloating(dtype)) return [b.op1(opType, operands.map((o) => operand(ctx, o, dtype)))];
    const asDouble = (v: string, from: DType) => castTo(ctx, v, from, 'float64');
    const [x, y] = operands.map((o) => operand(ctx, o, dtype));
    if (dtype !== 'int64') return [b.op1(opType, [asDouble(x, dtype), asDouble(y, dtype)])];
    const base = b.scalar('int64', 2 ** 32);
    const [xHigh, yHigh] = [x, y].map((v) => b.op1('Div', [v, base]));
    const low = (v: string, high: string) => asDouble(b.op1('Sub', [v, b.op1('Mul', [high, base])]), 'int64');
    const highOrder = b.op1(opType, [asDouble(xHigh, 'int64'), asDouble(yHigh, 'int64')]);
    const lowOrder = b.op1(opType, [low(x, xHigh), low(y, yHigh)]);
    return [b.op1('Or', [highOrder, b.op1('And', [b.op1('Equal', [xHigh, yHigh]), lowOrder])])];
  };
}

function comparisonDef(kind: Comparison): OpDef {
  const equality = kind === 'eq' || kind === 'ne';
  return {
    schemas: [
      `aten::${kind}.Tensor(Tensor self, Tensor other) -> Tensor`,
      `aten::${kind}.Scalar(Tensor self, Scalar other) -> Tensor`,
      `aten::${kind}.int(int a, int b) -> bool`,
      `aten::${kind}.float(float a, float b) -> bool`,
      `aten::${kind}.int_float(int a, float b) -> bool`,
      `aten::${kind}.float_int(float a, int b) -> bool`,
      ...(equality ? [`aten::${kind}.bool(bool a, bool b) -> bool`] : []),
      `aten::${kind}(Scalar a, Scalar b) -> bool`,
    ],
    infer: (a) => [comparisonType(a)],
    lower: kind === 'lt' || kind === 'gt' ? { 7: orderedBeforeOpset9(kind), 9: compare(kind) } : { 9: compare(kind) },
  };
}

// ---------------------------------------------------------------------------------------------
// Logic and bitwise ops
// ---------------------------------------------------------------------------------------------

function logicalDef(name: string, opType: 'And' | 'Or' | 'Xor'): OpDef {
  return {
    schemas: [`aten::${name}(Tensor self, Tensor other) -> Tensor`],
    infer: (a) => [tensorOf('bool', broadcastShapes(shapeOf(a.tensor('self')), shapeOf(a.tensor('other'))))],
    lower: {
      7: (ctx, a) => [ctx.b.op1(opType, [operand(ctx, a.tensor('self'), 'bool'), operand(ctx, a.tensor('other'), 'bool')])],
    },
  };
}

/** `__and__` and friends also take Python numbers; `bitwise_and` and friends a Python number first. */
function bitwiseSchemas(name: string, operator: boolean): string[] {
  return [
    `aten::${name}.Tensor(Tensor self, Tensor other) -> Tensor`,
    `aten::${name}.Scalar(Tensor self, Scalar other) -> Tensor`,
    ...(operator
      ? [`aten::${name}.bool(bool a, bool b) -> bool`, `aten::${name}.int(int a, int b) -> int`]
      : [`aten::${name}.Scalar_Tensor(Scalar self, Tensor other) -> Tensor`]),
  ];
}

function bitwiseDef(name: string, logical: 'And' | 'Or' | 'Xor', operator = true): OpDef {
  return {
    schemas: bitwiseSchemas(name, operator),
    infer: (a) => {
      const operands = operandsOf(a, 2);
      if (isNumberOverload(a)) return [numberResult(a, operands)];
      const t = elementwiseType(operands);
      if (isFloating(t.dtype)) fail('TRACE_TYPE', `${name} is not supported on floating-point tensors by torch`);
      return [t];
    },
    lower: {
      7: (ctx, a) => {
        const out = outDtype(ctx);
        const [x, y] = operandsOf(a, 2);
        if (out === 'bool') return [ctx.b.op1(logical, [operand(ctx, x, 'bool'), operand(ctx, y, 'bool')])];
        needOpset(ctx, 18, `${name} on integers`);
        return [ctx.b.op1(`Bitwise${logical}`, [operand(ctx, x, out), operand(ctx, y, out)])];
      },
    },
  };
}

const logicOps: OpDef[] = [
  logicalDef('logical_and', 'And'),
  logicalDef('logical_or', 'Or'),
  logicalDef('logical_xor', 'Xor'),
  {
    schemas: ['aten::logical_not(Tensor self) -> Tensor'],
    infer: (a) => [tensorOf('bool', shapeOf(a.tensor('self')))],
    lower: { 7: (ctx, a) => [ctx.b.op1('Not', [operand(ctx, a.tensor('self'), 'bool')])] },
  },
  {
    schemas: ['aten::bitwise_not(Tensor self) -> Tensor'],
    infer: (a) => {
      const t = a.tensor('self').tensor;
      if (isFloating(t.dtype)) fail('TRACE_TYPE', 'bitwise_not is not supported on floating-point tensors by torch');
      return [t];
    },
    lower: {
      7: (ctx, a) => {
        const self = a.tensor('self');
        const dtype = self.tensor.dtype;
        if (dtype === 'bool') return [ctx.b.op1('Not', [ctx.input(self)])];
        if (ctx.opset >= 18) return [ctx.b.op1('BitwiseNot', [ctx.input(self)])];
        // Two's complement: ~x == -x - 1, and 255 - x for uint8.
        if (dtype === 'uint8') return [arithmetic(ctx, 'Sub', 255, self, dtype)];
        const compute = arithmeticDtype(dtype, ctx.opset);
        const negated = ctx.b.op1('Neg', [operand(ctx, self, compute)]);
        return [castTo(ctx, ctx.b.op1('Sub', [negated, ctx.b.scalar(compute, 1)]), compute, dtype)];
      },
    },
  },
  bitwiseDef('__and__', 'And'),
  bitwiseDef('__or__', 'Or'),
  bitwiseDef('__xor__', 'Xor'),
  bitwiseDef('bitwise_and', 'And', false),
  bitwiseDef('bitwise_or', 'Or', false),
  bitwiseDef('bitwise_xor', 'Xor', false),
  ...shiftOps(),
  {
    // Complex conjugation: the identity on real tensors; a complex one (its real view) negates its imaginary part.
    schemas: ['aten::conj_physical(Tensor self) -> Tensor'],
    infer: (a) => [a.tensor('self').tensor],
    lower: {
      1: (ctx, a) => {
        const self = a.tensor('self');
        const part = complexPartOf(self.tensor.dtype);
        if (!part) return [ctx.input(self)];
        return [ctx.b.op1('Mul', [ctx.input(self), ctx.b.constant(part, [2], [1, -1])])];
      },
    },
  },
];

// ---------------------------------------------------------------------------------------------
// Bit shifts
// ---------------------------------------------------------------------------------------------

const INTEGER_BITS: Partial<Record<DType, number>> = { uint8: 8, int8: 8, int16: 16, int32: 32, int64: 64 };

function shiftType(a: BoundArgs, kernel: string): ValueType {
  const operands = operandsOf(a, 2);
  if (isNumberOverload(a)) return numberType('int');
  const t = elementwiseType(operands);
  if (INTEGER_BITS[t.dtype] === undefined) fail('TRACE_TYPE', `"${kernel}" is not implemented for ${t.dtype} tensors by torch`);
  return t;
}

/** 2^k for k = 0..count-1 as int64, wrapping as int64 arithmetic does (2^63 is -2^63). */
function powersOfTwo(ctx: LowerContext, count: number): string {
  return ctx.b.constant('int64', [count], Array.from({ length: count }, (_, k) => (k === 63 ? -(2 ** 63) : 2 ** k)));
}

/**
 * torch's shift kernels: x << y is x * 2^y wrapped, and 0 where y < 0 or y >= the bit width;
 * x >> y is floor(x / 2^y), shifting by the width less the sign bit where y is outside that range.
 * Computed in int64 with 2^y gathered from a table (BitShift is unsigned-only): a negative x shifts
 * right as -1 - ((-1 - x) >> y), so every division is of a non-negative number.
 */
function shift(direction: 'left' | 'right'): Lowering {
  return (ctx, a) => {
    const b = ctx.b;
    const out = outDtype(ctx);
    const bits = INTEGER_BITS[out]!;
    const [self, other] = operandsOf(a, 2);
    const x = castTo(ctx, operand(ctx, self, out), out, 'int64');
    const y = castTo(ctx, operand(ctx, other, out), out, 'int64');
    const c = (v: number) => b.scalar('int64', v);
    const limit = direction === 'left' ? bits : out === 'uint8' ? bits : bits - 1;
    const outside = b.op1('Or', [b.op1('Less', [y, c(0)]), b.op1('Not', [b.op1('Less', [y, c(limit)])])]);
    let result: string;
    if (direction === 'left') {
      const power = b.op1('Gather', [powersOfTwo(ctx, bits), b.op1('Where', [outside, c(0), y])], { axis: 0 });
      result = b.op1('Where', [outside, c(0), b.op1('Mul', [x, power])]);
    } else {
      const power = b.op1('Gather', [powersOfTwo(ctx, limit + 1), b.op1('Where', [outside, c(limit), y])], { axis: 0 });
      if (out === 'uint8') {
        result = b.op1('Div', [x, power]);
      } else {
        const negative = b.op1('Less', [x, c(0)]);
        const flipped = b.op1('Where', [negative, b.op1('Sub', [c(-1), x]), x]);
        const quotient = b.op1('Div', [flipped, power]);
        result = b.op1('Where', [negative, b.op1('Sub', [c(-1), quotient]), quotient]);
      }
    }
    return [castTo(ctx, result, 'int64', out)];
  };
}

function shiftOps(): OpDef[] {
  const def = (schemas: string[], direction: 'left' | 'right'): OpDef => ({
    schemas,
    infer: (a) => [shiftType(a, direction === 'left' ? 'lshift_cpu' : 'rshift_cpu')],
    lower: { 9: shift(direction) },
  });
  const functional = (name: string) => [
    `aten::${name}.Tensor(Tensor self, Tensor other) -> Tensor`,
    `aten::${name}.Tensor_Scalar(Tensor self, Scalar other) -> Tensor`,
    `aten::${name}.Scalar_Tensor(Scalar self, Tensor other) -> Tensor`,
  ];
  const operator = (name: string) => [
    `aten::${name}.Tensor(Tensor self, Tensor other) -> Tensor`,
    `aten::${name}.Scalar(Tensor self, Scalar other) -> Tensor`,
    `aten::${name}.int(int a, int b) -> int`,
  ];
  return [
    def(functional('bitwise_left_shift'), 'left'),
    def(functional('bitwise_right_shift'), 'right'),
    def(operator('__lshift__'), 'left'),
    def(operator('__rshift__'), 'right'),
  ];
}

// ---------------------------------------------------------------------------------------------
// clamp / min / max
// ---------------------------------------------------------------------------------------------

function optionalBound(a: BoundArgs, name: string): Operand | undefined {
  return a.isNone(name) ? undefined : a.scalar(name);
}

/** torch promotes self with the bounds: clamp(int_tensor, min=0.5) is float32. */
function clampType(a: BoundArgs, bounds: readonly string[]): TensorType {
  const operands = [a.tensor('self'), ...bounds.map((n) => optionalBound(a, n)).filter((o): o is Operand => o !== undefined)];
  return elementwiseType(operands);
}

function clampDef(name: 'clamp' | 'clip'): OpDef {
  return {
    schemas: [
      `aten::${name}(Tensor self, Scalar? min=None, Scalar? max=None) -> Tensor`,
      `aten::${name}.Tensor(Tensor self, Tensor? min=None, Tensor? max=None) -> Tensor`,
    ],
    infer: (a) => {
      if (a.isNone('min') && a.isNone('max')) fail('TRACE_TYPE', `torch.${name}: at least one of 'min' or 'max' must not be None`);
      return [clampType(a, ['min', 'max'])];
    },
    lower: {
      7: (ctx, a) => [clamp(ctx, a.tensor('self'), optionalBound(a, 'min'), optionalBound(a, 'max'), outDtype(ctx))],
    },
  };
}

const clampOps: OpDef[] = [
  clampDef('clamp'),
  clampDef('clip'),
  {
    schemas: [
      'aten::clamp_min(Tensor self, Scalar min) -> Tensor',
      'aten::clamp_min.Tensor(Tensor self, Tensor min) -> Tensor',
    ],
    infer: (a) => [clampType(a, ['min'])],
    lower: { 7: (ctx, a) => [clamp(ctx, a.tensor('self'), a.scalar('min'), undefined, outDtype(ctx))] },
  },
  {
    schemas: [
      'aten::clamp_max(Tensor self, Scalar max) -> Tensor',
      'aten::clamp_max.Tensor(Tensor self, Tensor max) -> Tensor',
    ],
    infer: (a) => [clampType(a, ['max'])],
    lower: { 7: (ctx, a) => [clamp(ctx, a.tensor('self'), undefined, a.scalar('max'), outDtype(ctx))] },
  },
  {
    schemas: ['aten::maximum(Tensor self, Tensor other) -> Tensor'],
    infer: (a) => [elementwiseType([a.tensor('self'), a.tensor('other')])],
    lower: { 8: (ctx, a) => [elementwiseMinMax(ctx, 'Max', a.tensor('self'), a.tensor('other'), outDtype(ctx))] },
  },
  {
    schemas: ['aten::minimum(Tensor self, Tensor other) -> Tensor'],
    infer: (a) => [elementwiseType([a.tensor('self'), a.tensor('other')])],
    lower: { 8: (ctx, a) => [elementwiseMinMax(ctx, 'Min', a.tensor('self'), a.tensor('other'), outDtype(ctx))] },
  },
];

// ---------------------------------------------------------------------------------------------
// Selection and fused arithmetic
// ---------------------------------------------------------------------------------------------

/** A (possibly Python-number) operand's shape for broadcasting. */
function shapesOf(operands: readonly (Operand | undefined)[]): Array<readonly Dim[]> {
  return operands.filter((o): o is GValue => o instanceof GValue).map(shapeOf);
}

/** The largest finite value of a floating dtype (nan_to_num's default for infinities). */
function finiteMax(dtype: DType): number {
  switch (dtype) {
    case 'float16': return 65504;
    case 'bfloat16': return 3.3895313892515355e38;
    case 'float64': return Number.MAX_VALUE;
    default: return 3.4028234663852886e38;
  }
}

const selectionOps: OpDef[] = [
  {
    schemas: [
      'aten::where.self(Tensor condition, Tensor self, Tensor other) -> Tensor',
      'aten::where.ScalarOther(Tensor condition, Tensor self, Scalar other) -> Tensor',
      'aten::where.ScalarSelf(Tensor condition, Scalar self, Tensor other) -> Tensor',
      'aten::where.Scalar(Tensor condition, Scalar self, Scalar other) -> Tensor',
      // where(condition) alone is nonzero(condition, as_tuple=True).
      'aten::where(Tensor condition) -> Tensor[]',
    ],
    infer: (a) => {
      if (a.schema.overload === '') return nonzeroPerDimTypes(a, a.tensor('condition'), 'where');
      const [condition, self, other] = operandsOf(a, 3);
      // uint8 conditions are deprecated but still accepted.
      if (condition instanceof GValue && condition.type.kind === 'tensor') requireDtype(a.schema.name, ['condition', condition], ['bool', 'uint8']);
      return [tensorOf(resultType([self, other]), broadcastShapes(...shapesOf([condition, self, other])))];
    },
    lower: {
      9: (ctx, a) => {
        if (a.schema.overload === '') return nonzeroPerDim(ctx, a.tensor('condition'));
        const out = outDtype(ctx);
        const [condition, self, other] = operandsOf(a, 3);
        return [ctx.b.op1('Where', [operand(ctx, condition, 'bool'), operand(ctx, self, out), operand(ctx, other, out)])];
      },
    },
  },
  {
    schemas: [
      'aten::masked_fill.Scalar(Tensor self, Tensor mask, Scalar value) -> Tensor',
      'aten::masked_fill.Tensor(Tensor self, Tensor mask, Tensor value) -> Tensor',
    ],
    infer: (a) => {
      const self = a.tensor('self');
      const value = a.scalar('value');
      if (value instanceof GValue && value.type.kind === 'tensor' && value.type.shape.length !== 0) {
        fail('TRACE_TYPE', `masked_fill only supports a 0-dimensional value tensor, but got one with ${value.type.shape.length} dimension(s)`);
      }
      return [tensorOf(self.tensor.dtype, broadcastShapes(shapeOf(self), shapeOf(a.tensor('mask'))))];
    },
    lower: {
      9: (ctx, a) => {
        const self = a.tensor('self');
        const dtype = self.tensor.dtype;
        const mask = operand(ctx, a.tensor('mask'), 'bool');
        return [ctx.b.op1('Where', [mask, operand(ctx, a.scalar('value'), dtype), ctx.input(self)])];
      },
    },
  },
  {
    schemas: [
      'aten::lerp.Scalar(Tensor self, Tensor end, Scalar weight) -> Tensor',
      'aten::lerp.Tensor(Tensor self, Tensor end, Tensor weight) -> Tensor',
    ],
    infer: (a) => {
      const operands = [a.tensor('self'), a.tensor('end'), a.scalar('weight')];
      const t = elementwiseType(operands);
      if (!isFloating(t.dtype)) fail('TRACE_TYPE', 'lerp is only supported on floating-point tensors by torch');
      return [t];
    },
    lower: {
      7: (ctx, a) => {
        // torch's kernel: w < 0.5 ? self + w * (end - self) : end - (end - self) * (1 - w).
        const b = ctx.b;
        const out = outDtype(ctx);
        const self = operand(ctx, a.tensor('self'), out);
        const end = operand(ctx, a.tensor('end'), out);
        const weight = a.scalar('weight');
        const w = operand(ctx, weight, out);
        const diff = b.op1('Sub', [end, self]);
        const fromStart = () => b.op1('Add', [self, b.op1('Mul', [w, diff])]);
        const fromEnd = () => b.op1('Sub', [end, b.op1('Mul', [diff, b.op1('Sub', [b.scalar(out, 1), w])])]);
        const known = knownNumber(weight);
        if (known !== undefined) return [known < 0.5 ? fromStart() : fromEnd()];
        needOpset(ctx, 9, 'lerp with a tensor weight');
        return [b.op1('Where', [b.op1('Less', [w, b.scalar(out, 0.5)]), fromStart(), fromEnd()])];
      },
    },
  },
  {
    schemas: ['aten::addcmul(Tensor self, Tensor tensor1, Tensor tensor2, *, Scalar value=1) -> Tensor'],
    infer: (a) => [elementwiseType([a.tensor('self'), a.tensor('tensor1'), a.tensor('tensor2')])],
    lower: { 7: fusedAddLowering('Mul') },
  },
  {
    schemas: ['aten::addcdiv(Tensor self, Tensor tensor1, Tensor tensor2, *, Scalar value=1) -> Tensor'],
    infer: (a) => {
      const t = elementwiseType([a.tensor('self'), a.tensor('tensor1'), a.tensor('tensor2')]);
      if (isIntegral(a.tensor('tensor1').tensor.dtype, true) && isIntegral(a.tensor('tensor2').tensor.dtype, true)) {
        fail('TRACE_TYPE', 'integer division with addcdiv is no longer supported by torch');
      }
      return [t];
    },
    lower: { 7: fusedAddLowering('Div') },
  },
  {
    schemas: ['aten::isnan(Tensor self) -> Tensor', 'aten::isnan.float(float a) -> bool'],
    infer: (a) => [floatTestType(a)],
    lower: { 9: (ctx, a) => [ctx.b.op1('IsNaN', [floatOperand(ctx, selfOf(a))])] },
  },
  {
    schemas: ['aten::isinf(Tensor self) -> Tensor', 'aten::isinf.float(float a) -> bool'],
    infer: (a) => [floatTestType(a)],
    lower: { 10: (ctx, a) => [ctx.b.op1('IsInf', [floatOperand(ctx, selfOf(a))])] },
  },
  {
    schemas: ['aten::isfinite(Tensor self) -> Tensor', 'aten::isfinite.float(float a) -> bool'],
    infer: (a) => [floatTestType(a)],
    lower: {
      10: (ctx, a) => {
        const x = floatOperand(ctx, selfOf(a));
        return [ctx.b.op1('Not', [ctx.b.op1('Or', [ctx.b.op1('IsInf', [x]), ctx.b.op1('IsNaN', [x])])])];
      },
    },
  },
  {
    schemas: ['aten::nan_to_num(Tensor self, float? nan=None, float? posinf=None, float? neginf=None) -> Tensor'],
    infer: (a) => [a.tensor('self').tensor],
    lower: {
      10: (ctx, a) => {
        const self = a.tensor('self');
        const dtype = self.tensor.dtype;
        // Integer tensors hold no NaN or infinity.
        if (!isFloating(dtype)) return [ctx.input(self)];
        const b = ctx.b;
        const x = ctx.input(self);
        const nan = a.optFloat('nan') ?? 0;
        const posinf = a.optFloat('posinf') ?? finiteMax(dtype);
        const neginf = a.optFloat('neginf') ?? -finiteMax(dtype);
        let y = b.op1('Where', [b.op1('IsNaN', [x]), b.scalar(dtype, nan), x]);
        y = b.op1('Where', [b.op1('IsInf', [x], { detect_negative: 0 }), b.scalar(dtype, posinf), y]);
        y = b.op1('Where', [b.op1('IsInf', [x], { detect_positive: 0 }), b.scalar(dtype, neginf), y]);
        return [y];
      },
    },
  },
];

/** isnan/isinf: bool of the input's shape, or a bool for a Python float. */
function floatTestType(a: BoundArgs): ValueType {
  if (isNumberOverload(a)) return numberType('bool');
  return tensorOf('bool', shapeOf(selfOf(a) as GValue));
}

/** IsNaN/IsInf take floats only; other dtypes hold neither, so any float view of them will do. */
function floatOperand(ctx: LowerContext, o: Operand): string {
  if (!(o instanceof GValue)) return operand(ctx, o, 'float64');
  const dtype = onnxDtypeOf(o);
  return isFloating(dtype) ? ctx.input(o) : castTo(ctx, ctx.input(o), dtype, 'float32');
}

/** addcmul / addcdiv: self + value * tensor1 (op) tensor2, in torch's evaluation order. */
function fusedAddLowering(opType: 'Mul' | 'Div'): Lowering {
  return (ctx, a) => {
    const out = outDtype(ctx);
    const compute = arithmeticDtype(out, ctx.opset);
    const value = a.scalar('value');
    let product = operand(ctx, a.tensor('tensor1'), compute);
    if (!isOne(value)) product = ctx.b.op1('Mul', [operand(ctx, value, compute), product]);
    product = ctx.b.op1(opType, [product, operand(ctx, a.tensor('tensor2'), compute)]);
    return [castTo(ctx, ctx.b.op1('Add', [operand(ctx, a.tensor('self'), compute), product]), compute, out)];
  };
}

export const elementwiseOps: readonly OpDef[] = [
  ...arithmeticOps,
  ...divisionOps,
  ...unaryOps,
  atan2Op,
  ...(['eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const).map(comparisonDef),
  ...logicOps,
  ...clampOps,
  ...selectionOps,
];
