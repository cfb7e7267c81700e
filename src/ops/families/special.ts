/**
 * torch.special functions with an ONNX form: exp2, sinc, erfc, xlogy, lgamma and digamma (series in float64) and the
 * special_-only ndtr, entr, xlog1py. TorchScript's compiler writes the special_ names of other ops as those ops (special_expit is
 * saved as aten::sigmoid, special_psi as aten::digamma, special_round as aten::round), so only names
 * without such an op reach an archive.
 */
import type { DType } from '../../archive/types.js';
import { type BoundArgs } from '../args.js';
import { floatFunction, outDtype } from '../builders.js';
import { isFloating, type Operand } from '../dtypes.js';
import { castTo, elementwiseType, operand } from '../helpers.js';
import type { LowerContext, Lowering, OpDef } from '../registry.js';

/** x == 0 for floats: Equal takes floats from opset 11; before, neither below nor above zero, and not NaN. */
function isZero(ctx: LowerContext, x: string, dtype: DType): string {
  const b = ctx.b;
  const zero = b.scalar(dtype, 0);
  if (ctx.opset >= 11) return b.op1('Equal', [x, zero]);
  const signed = b.op1('Or', [b.op1('Less', [x, zero]), b.op1('Greater', [x, zero])]);
  return b.op1('And', [b.op1('Not', [signed]), b.op1('Not', [b.op1('IsNaN', [x])])]);
}

/** 1 − erf(x): absolute error within float rounding, though not relative far in the tail (erfc(5) = 1.5e-12 becomes 0 in float32). */
function erfc(ctx: LowerContext, x: string, dtype: DType): string {
  return ctx.b.op1('Sub', [ctx.b.scalar(dtype, 1), ctx.b.op1('Erf', [x])]);
}

/**
 * x · f(y), 0 where x is 0 (even where f(y) is infinite or NaN), NaN where y is NaN: PyTorch's xlogy and
 * xlog1py. Integer operands give float32.
 */
function xTimes(f: (ctx: LowerContext, y: string, dtype: DType) => string): Lowering {
  return (ctx: LowerContext, a: BoundArgs) => {
    const b = ctx.b;
    const out = outDtype(ctx);
    const x = operand(ctx, a.scalar('self'), out);
    const y = operand(ctx, a.scalar('other'), out);
    const product = b.op1('Where', [isZero(ctx, x, out), b.scalar(out, 0), b.op1('Mul', [x, f(ctx, y, out)])]);
    return [b.op1('Where', [b.op1('IsNaN', [y]), y, product])];
  };
}

function xTimesType(a: BoundArgs) {
  const operands: Operand[] = [a.scalar('self'), a.scalar('other')];
  const t = elementwiseType(operands);
  return [isFloating(t.dtype) ? t : { ...t, dtype: 'float32' as const }];
}

function xTimesOp(name: string, f: (ctx: LowerContext, y: string, dtype: DType) => string, overloads: readonly [string, string, string]): OpDef {
  const [tensors, scalarSelf, scalarOther] = overloads;
  return {
    schemas: [
      `aten::${name}${tensors}(Tensor self, Tensor other) -> Tensor`,
      `aten::${name}${scalarSelf}(Scalar self, Tensor other) -> Tensor`,
      `aten::${name}${scalarOther}(Tensor self, Scalar other) -> Tensor`,
    ],
    infer: xTimesType,
    lower: { 9: xTimes(f) },
  };
}

/** Lanczos coefficients for g = 7, n = 9: Γ(z + 1) = √(2π) t^(z + ½) e^(−t) A(z), t = z + 7.5, within 1e-15 relative. */
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/**
 * log|Γ(x)| in float64 (Lanczos for x ≥ ½, reflection below), cast to the result's dtype: float32 results
 * match std::lgamma's to within rounding. +inf at ±inf, 0 and the negative integers, as PyTorch.
 */
function lgamma(ctx: LowerContext, x: string, dtype: DType): string {
  const b = ctx.b;
  const c = (v: number) => b.scalar('float64', v);
  const wide = castTo(ctx, x, dtype, 'float64');
  const lanczos = (v: string) => {
    const z = b.op1('Sub', [v, c(1)]);
    let sum = c(LANCZOS[0]);
    for (let i = 1; i < LANCZOS.length; i++) sum = b.op1('Add', [sum, b.op1('Div', [c(LANCZOS[i]), b.op1('Add', [z, c(i)])])]);
    const t = b.op1('Add', [z, c(7.5)]);
    const power = b.op1('Mul', [b.op1('Add', [z, c(0.5)]), b.op1('Log', [t])]);
    return b.op1('Add', [b.op1('Sub', [b.op1('Add', [c(0.5 * Math.log(2 * Math.PI)), power]), t]), b.op1('Log', [sum])]);
  };
  const small = b.op1('Less', [wide, c(0.5)]);
  // Each branch sees only the arguments it is exact for, so neither produces a NaN the other would hide.
  const upper = lanczos(b.op1('Where', [small, b.op1('Sub', [c(1), wide]), wide]));
  const sinPi = b.op1('Abs', [b.op1('Sin', [b.op1('Mul', [wide, c(Math.PI)])])]);
  const reflected = b.op1('Sub', [b.op1('Log', [b.op1('Div', [c(Math.PI), sinPi])]), upper]);
  const pole = b.op1('And', [b.op1('Not', [b.op1('Greater', [wide, c(0)])]), isIntegral64(ctx, wide)]);
  const infinite = b.op1('Or', [pole, b.op1('Greater', [b.op1('Abs', [wide]), c(Number.MAX_VALUE)])]);
  const value = b.op1('Where', [infinite, c(Infinity), b.op1('Where', [small, reflected, upper])]);
  return castTo(ctx, value, 'float64', dtype);
}

/** Coefficients of ψ(y) ~ ln y − 1/(2y) − Σ B₂ₖ/(2k y²ᵏ), k = 1..7. */
const DIGAMMA_ASYMPTOTIC = [1 / 12, -1 / 120, 1 / 252, -1 / 240, 1 / 132, -691 / 32760, 1 / 12];

/**
 * ψ(x) in float64: the reflection ψ(1 − x) − π cos(πx)/sin(πx) below ½, six steps of ψ(x) = ψ(x + 1) − 1/x,
 * then the asymptotic series at x + 6 (within 1e-13); cast to the result's dtype. As PyTorch: −inf at +0,
 * +inf at −0, NaN at the negative integers and −inf.
 */
function digamma(ctx: LowerContext, x: string, dtype: DType): string {
  const b = ctx.b;
  const c = (v: number) => b.scalar('float64', v);
  const wide = castTo(ctx, x, dtype, 'float64');
  const small = b.op1('Less', [wide, c(0.5)]);
  const v = b.op1('Where', [small, b.op1('Sub', [c(1), wide]), wide]);
  let steps = c(0);
  for (let k = 0; k < 6; k++) steps = b.op1('Add', [steps, b.op1('Div', [c(1), b.op1('Add', [v, c(k)])])]);
  const y = b.op1('Add', [v, c(6)]);
  const inverseSquare = b.op1('Div', [c(1), b.op1('Mul', [y, y])]);
  let series = c(0);
  for (let k = DIGAMMA_ASYMPTOTIC.length - 1; k >= 0; k--) series = b.op1('Mul', [b.op1('Add', [series, c(DIGAMMA_ASYMPTOTIC[k])]), inverseSquare]);
  const shifted = b.op1('Sub', [b.op1('Sub', [b.op1('Sub', [b.op1('Log', [y]), b.op1('Div', [c(0.5), y])]), series]), steps]);
  const angle = b.op1('Mul', [wide, c(Math.PI)]);
  const cotangent = b.op1('Div', [b.op1('Mul', [b.op1('Cos', [angle]), c(Math.PI)]), b.op1('Sin', [angle])]);
  const value = b.op1('Where', [small, b.op1('Sub', [shifted, cotangent]), shifted]);
  const zero = isZero(ctx, wide, 'float64');
  const negativeIntegral = b.op1('And', [b.op1('Less', [wide, c(0)]), b.op1('Or', [isIntegral64(ctx, wide), b.op1('Less', [wide, c(-Number.MAX_VALUE)])])]);
  // −1/x is −inf at +0 and +inf at −0.
  const result = b.op1('Where', [zero, b.op1('Neg', [b.op1('Div', [c(1), wide])]), b.op1('Where', [negativeIntegral, c(NaN), value])]);
  return castTo(ctx, result, 'float64', dtype);
}

/** Whether a float64 equals its floor (Equal takes floats from opset 11: floor(x) − x is not below or above 0). */
function isIntegral64(ctx: LowerContext, x: string): string {
  return isZero(ctx, ctx.b.op1('Sub', [ctx.b.op1('Floor', [x]), x]), 'float64');
}

export const specialOps: readonly OpDef[] = [
  floatFunction('exp2', [], 7, (ctx, x, dtype) => ctx.b.op1('Pow', [ctx.b.scalar(dtype, 2), x])),
  /** sin(πx)/(πx) with πx rounded to the dtype first, as PyTorch computes it; 1 at 0, NaN stays NaN. */
  floatFunction('sinc', [], 9, (ctx, x, dtype) => {
    const b = ctx.b;
    const scaled = b.op1('Mul', [x, b.scalar(dtype, Math.PI)]);
    const nonzero = b.op1('Or', [b.op1('Less', [x, b.scalar(dtype, 0)]), b.op1('Greater', [x, b.scalar(dtype, 0)])]);
    // x · 0 + 1 is 1 at zero and NaN for NaN.
    const one = b.op1('Add', [b.op1('Mul', [x, b.scalar(dtype, 0)]), b.scalar(dtype, 1)]);
    return b.op1('Where', [nonzero, b.op1('Div', [b.op1('Sin', [scaled]), scaled]), one]);
  }),
  floatFunction('erfc', ['aten::erfc.int(int a) -> float', 'aten::erfc.float(float a) -> float', 'aten::erfc.Scalar(Scalar a) -> Scalar'], 9, erfc),
  /** Φ(x) = erfc(−x/√2) / 2. */
  floatFunction('special_ndtr', [], 9, (ctx, x, dtype) =>
    ctx.b.op1('Mul', [erfc(ctx, ctx.b.op1('Mul', [x, ctx.b.scalar(dtype, -Math.SQRT1_2)]), dtype), ctx.b.scalar(dtype, 0.5)]),
  ),
  /** −x·log(x) for x > 0, 0 at 0, −inf below 0, NaN for NaN. */
  floatFunction('special_entr', [], 9, (ctx, x, dtype) => {
    const b = ctx.b;
    const zero = b.scalar(dtype, 0);
    const positive = b.op1('Neg', [b.op1('Mul', [x, b.op1('Log', [x])])]);
    const elsewhere = b.op1('Where', [b.op1('Less', [x, zero]), b.scalar(dtype, -Infinity), b.op1('Mul', [x, zero])]);
    return b.op1('Where', [b.op1('Greater', [x, zero]), positive, elsewhere]);
  }),
  floatFunction('lgamma', ['aten::lgamma.int(int a) -> float', 'aten::lgamma.float(float a) -> float', 'aten::lgamma.Scalar(Scalar a) -> Scalar'], 9, lgamma),
  floatFunction('digamma', [], 9, digamma),
  xTimesOp('xlogy', (ctx, y) => ctx.b.op1('Log', [y]), ['.Tensor', '.Scalar_Self', '.Scalar_Other']),
  xTimesOp('special_xlog1py', (ctx, y, dtype) => ctx.b.op1('Log', [ctx.b.op1('Add', [y, ctx.b.scalar(dtype, 1)])]), ['', '.self_scalar', '.other_scalar']),
];
