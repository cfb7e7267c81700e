/**
 * Complex tensors in ONNX. A complex64 (complex128) tensor of shape S is carried as its real view, a
 * float32 (float64) tensor of shape [...S, 2] holding (real, imaginary) pairs: ONNX runtimes compute
 * nothing in complex types. The trace keeps the complex dtype and the logical shape S; the lower stage
 * (its value infos) and the ops below see the trailing pair.
 *
 * Ops that only move, pick, zero-pad or add up elements act on the real and imaginary parts alike,
 * so one lowering serves both: `complexAware` runs an op's real lowering once per part and packs the
 * two results (products: four runs). The other ops that meet complex tensors (arithmetic, abs, angle, fft, ...) handle the
 * pair in their own families with the helpers here.
 */
import { type DType, PyFloat } from '../archive/types.js';
import { fail } from '../errors.js';
import { type Arg, GValue, type GNode } from '../ir/torch-graph.js';
import { BoundArgs } from './args.js';
import { complexPartOf, isFloating } from './dtypes.js';
import { tensorOf } from './helpers.js';
import { needOpset, unsqueeze } from './opset.js';
import type { LowerContext, Lowering } from './registry.js';

/** The parts' dtype of a complex tensor value, undefined for anything else. */
export function complexPart(v: Arg | undefined): DType | undefined {
  return v instanceof GValue && v.type.kind === 'tensor' ? complexPartOf(v.type.dtype) : undefined;
}

/** The real (0) or imaginary (1) part of a complex value's real view of logical rank `rank`. */
export function partOf(ctx: LowerContext, pair: string, rank: number, part: 0 | 1): string {
  return ctx.b.op1('Gather', [pair, ctx.b.scalar('int64', part)], { axis: rank });
}

/** Real and imaginary parts of logical rank `rank` packed into a real view. */
export function packComplex(ctx: LowerContext, real: string, imag: string, rank: number): string {
  return ctx.b.op1('Concat', [unsqueeze(ctx, real, [rank]), unsqueeze(ctx, imag, [rank])], { axis: rank });
}

/** atan2(y, x) from Atan (ONNX has no Atan2): the quadrant from the signs, and atan2(0, 0) = 0 as torch gives. */
function atan2(ctx: LowerContext, y: string, x: string, dtype: DType): string {
  const b = ctx.b;
  const zero = b.scalar(dtype, 0);
  const base = b.op1('Atan', [b.op1('Div', [y, x])]);
  const shift = b.op1('Where', [b.op1('Less', [y, zero]), b.scalar(dtype, -Math.PI), b.scalar(dtype, Math.PI)]);
  const turned = b.op1('Where', [b.op1('Less', [x, zero]), b.op1('Add', [base, shift]), base]);
  const isZero = (v: string) => b.op1('Not', [b.op1('Or', [b.op1('Or', [b.op1('Less', [v, zero]), b.op1('Greater', [v, zero])]), b.op1('IsNaN', [v])])]);
  return b.op1('Where', [b.op1('And', [isZero(x), isZero(y)]), zero, turned]);
}

/** The angle of each complex number of a real view of logical rank `rank`: atan2(imaginary, real). */
export function complexAngle(ctx: LowerContext, pair: string, rank: number, dtype: DType): string {
  needOpset(ctx, 9, 'the angle of a complex number (IsNaN)');
  return atan2(ctx, partOf(ctx, pair, rank, 1), partOf(ctx, pair, rank, 0), dtype);
}

/** A complex tensor to a real power p: |z|^p (cos pθ + i sin pθ). */
export function complexPower(ctx: LowerContext, pair: string, rank: number, exponent: number, dtype: DType): string {
  const b = ctx.b;
  const p = b.scalar(dtype, exponent);
  const magnitude = b.op1('Pow', [b.op1('Sqrt', [b.op1('Add', [b.op1('Mul', [partOf(ctx, pair, rank, 0), partOf(ctx, pair, rank, 0)]), b.op1('Mul', [partOf(ctx, pair, rank, 1), partOf(ctx, pair, rank, 1)])])]), p]);
  const angle = b.op1('Mul', [complexAngle(ctx, pair, rank, dtype), p]);
  return packComplex(ctx, b.op1('Mul', [magnitude, b.op1('Cos', [angle])]), b.op1('Mul', [magnitude, b.op1('Sin', [angle])]), rank);
}

/** Ops that act on the real and imaginary parts alike: they move, select, sum or zero-pad elements. */
const PARTWISE = new Set([
  'aten::slice', 'aten::select', 'aten::narrow', 'aten::index_select', 'aten::index', 'aten::gather', 'aten::take_along_dim',
  'aten::constant_pad_nd', 'aten::pad', 'aten::cat', 'aten::stack', 'aten::hstack', 'aten::vstack',
  'aten::transpose', 'aten::permute', 'aten::t', 'aten::movedim', 'aten::swapaxes', 'aten::swapdims',
  'aten::unsqueeze', 'aten::squeeze', 'aten::flatten', 'aten::unflatten', 'aten::expand', 'aten::expand_as',
  'aten::repeat', 'aten::flip', 'aten::roll', 'aten::tril', 'aten::triu', 'aten::diagonal',
  'aten::sum', 'aten::mean', 'aten::cumsum', 'aten::neg', 'aten::fft_fftshift', 'aten::fft_ifftshift',
]);

/**
 * Ops whose own lowering takes complex tensors as their real view (or only makes them): identities, reshapes
 * (the trailing pair kept), and the complex-aware ops of the elementwise and spectral families.
 */
const PAIR_AWARE = new Set([
  'aten::clone', 'aten::contiguous', 'aten::detach', 'aten::alias', 'aten::resolve_conj',
  'aten::view', 'aten::reshape', 'aten::_reshape_from_tensor', 'aten::view_as', 'aten::reshape_as',
  'aten::abs', 'aten::add', 'aten::sub', 'aten::rsub', 'aten::div', 'aten::pow', 'aten::conj_physical',
  'aten::stft', 'aten::istft', 'aten::view_as_real', 'aten::view_as_complex', 'aten::real', 'aten::imag', 'aten::conj',
  'aten::_conj', 'aten::angle', 'aten::polar', 'aten::complex',
  'aten::fft_fft', 'aten::fft_ifft', 'aten::fft_rfft', 'aten::fft_irfft', 'aten::fft_fft2', 'aten::fft_ifft2',
  'aten::fft_rfft2', 'aten::fft_irfft2', 'aten::fft_fftn', 'aten::fft_ifftn', 'aten::fft_rfftn', 'aten::fft_irfftn',
]);

/**
 * Products of their first two tensor arguments, real-linear in each: (a + bi)(c + di) is
 * (ac - bd) + (ad + bc)i, four real products; a complex times a real operand is two.
 */
const PRODUCTS = new Set(['aten::mul', 'aten::matmul', 'aten::mm', 'aten::bmm', 'aten::mv', 'aten::dot', 'aten::outer']);

/** Ops that read only the shape: run on the real part, whose shape is the complex tensor's. */
const SHAPE_ONLY = new Set(['aten::size', 'aten::numel', 'aten::_shape_as_tensor']);

/** A real tensor value standing for one part of a complex one. */
function realValue(v: GValue, part: DType): GValue {
  return new GValue(tensorOf(part, v.tensor.shape), v.hint);
}

function argValues(v: Arg): Arg[] {
  return Array.isArray(v) ? v : [v];
}

/** `lowering` run on real values: each complex argument named in `parts` replaced by its real (0) or imaginary (1) part. */
function runOnParts(ctx: LowerContext, a: BoundArgs, lowering: Lowering, parts: ReadonlyMap<string, 0 | 1>): string[] {
  const names = new Map<GValue, string>();
  const substitute = (v: Arg, part: 0 | 1): Arg => {
    if (Array.isArray(v)) return v.map((x) => substitute(x, part)) as Arg;
    const dtype = complexPart(v);
    if (!dtype) return v;
    const value = realValue(v as GValue, dtype);
    names.set(value, partOf(ctx, ctx.input(v as GValue), (v as GValue).tensor.shape.length, part));
    return value;
  };
  const values = new Map([...a.values].map(([k, v]) => [k, parts.has(k) ? substitute(v, parts.get(k) as 0 | 1) : v]));
  const outputs = ctx.node.outputs.map((o) => {
    const dtype = complexPart(o);
    return dtype ? realValue(o, dtype) : o;
  });
  const node: GNode = { ...ctx.node, args: values, outputs };
  const partCtx: LowerContext = { ...ctx, node, input: (v) => names.get(v) ?? ctx.input(v) };
  return lowering(partCtx, new BoundArgs(a.schema, values, a.freshDims, a.known));
}

/** The node's outputs packed from the real-part and imaginary-part results. */
function packed(ctx: LowerContext, name: string, real: string[], imag: string[]): string[] {
  return ctx.node.outputs.map((o, i) => {
    if (!complexPart(o)) return fail('OP_UNSUPPORTED', `${name}: a complex input with a real output is not supported`);
    return packComplex(ctx, real[i], imag[i], o.tensor.shape.length);
  });
}

/**
 * `lowering` made to take complex arguments, for the ops that are real-linear (PARTWISE: run once on
 * the real parts and once on the imaginary parts) or products (PRODUCTS). Integer and bool tensors
 * (indices, masks) serve every run; a real floating tensor beside a complex one in a PARTWISE op, or
 * a non-zero fill value, would reach the real part alone, so they fail. PAIR_AWARE ops lower as they
 * are; any other op with a complex input or output fails with OP_UNSUPPORTED.
 */
export function complexAware(name: string, lowering: Lowering): Lowering {
  if (PARTWISE.has(name)) {
    return (ctx, a) => {
      const complexArgs = [...a.values].filter(([, v]) => argValues(v).some((x) => complexPart(x) !== undefined));
      if (complexArgs.length === 0) return lowering(ctx, a);
      const realFloats = [...a.values.values()].flatMap(argValues).some(
        (v) => v instanceof GValue && v.type.kind === 'tensor' && !complexPartOf(v.type.dtype) && isFloating(v.type.dtype),
      );
      if (realFloats) fail('OP_UNSUPPORTED', `${name} of complex and real floating tensors together is not supported`);
      const fill = a.values.get('value');
      const fillValue = fill instanceof PyFloat ? fill.value : fill;
      if (typeof fillValue === 'number' && fillValue !== 0) fail('OP_UNSUPPORTED', `${name}: padding a complex tensor with ${fillValue} is not supported (only with 0)`);
      const run = (part: 0 | 1) => runOnParts(ctx, a, lowering, new Map(complexArgs.map(([k]) => [k, part])));
      return packed(ctx, name, run(0), run(1));
    };
  }
  if (PRODUCTS.has(name)) {
    return (ctx, a) => {
      const [x, y] = a.schema.args.map((arg) => arg.name).filter((k) => a.values.get(k) instanceof GValue || typeof a.values.get(k) === 'number' || a.values.get(k) instanceof PyFloat);
      const complexX = complexPart(a.values.get(x)) !== undefined;
      const complexY = complexPart(a.values.get(y)) !== undefined;
      if (!complexX && !complexY) return lowering(ctx, a);
      const run = (parts: Array<[string, 0 | 1]>) => runOnParts(ctx, a, lowering, new Map(parts));
      if (complexX !== complexY) {
        const side = complexX ? x : y;
        return packed(ctx, name, run([[side, 0]]), run([[side, 1]]));
      }
      const [rr, ii, ri, ir] = [run([[x, 0], [y, 0]]), run([[x, 1], [y, 1]]), run([[x, 0], [y, 1]]), run([[x, 1], [y, 0]])];
      return packed(ctx, name, rr.map((r, i) => ctx.b.op1('Sub', [r, ii[i]])), ri.map((r, i) => ctx.b.op1('Add', [r, ir[i]])));
    };
  }
  if (SHAPE_ONLY.has(name)) {
    return (ctx, a) => {
      const complexArgs = [...a.values].filter(([, v]) => complexPart(v) !== undefined);
      return runOnParts(ctx, a, lowering, new Map(complexArgs.map(([k]) => [k, 0])));
    };
  }
  if (PAIR_AWARE.has(name)) return lowering;
  // Any other op would compute on the pairs as if they were real numbers: refuse rather than give wrong values.
  return (ctx, a) => {
    const complexIn = [...a.values.values()].flatMap(argValues).some((v) => complexPart(v) !== undefined);
    if (complexIn || ctx.node.outputs.some((o) => complexPart(o) !== undefined)) {
      return fail('OP_UNSUPPORTED', `${name} on complex tensors is not supported`);
    }
    return lowering(ctx, a);
  };
}
