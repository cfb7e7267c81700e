/**
 * Spectral ops: aten::stft (the 1.x schema without `center` and the newer `.center` overload) and
 * view_as_real. stft is a strided Conv1d whose kernels are the windowed DFT basis (cos and -sin
 * rows), computed at conversion time; from opset 17 a power-of-two n_fft uses the ONNX STFT op
 * instead (onnxruntime's STFT for other lengths is some 40 times less accurate than the Conv).
 *
 * A complex result (return_complex=True) is carried as its real view, a trailing dimension of 2
 * (real, imaginary); view_as_real is then the identity.
 */
import type { DType } from '../../archive/types.js';
import { fail } from '../../errors.js';
import type { Dim, GValue, TensorType } from '../../ir/torch-graph.js';
import { type BoundArgs, derivedDim } from '../args.js';
import { type PadMode, padTensor } from '../builders.js';
import { complexOf, complexPartOf, isFloating } from '../dtypes.js';
import { axis, broadcastShapes, castTo, shapeOf, tensorOf } from '../helpers.js';
import { padZeros, slice, squeeze, transpose, unsqueeze } from '../opset.js';
import type { LowerContext, OpDef } from '../registry.js';
import { complexAngle, packComplex, partOf } from '../complex.js';

interface Stft {
  readonly self: GValue;
  readonly nFft: number;
  readonly hop: number;
  readonly winLength: number;
  readonly window?: GValue;
  /** Pad n_fft/2 on both sides first (the `.center` overload). */
  readonly center?: PadMode;
  readonly normalized: boolean;
  readonly onesided: boolean;
  readonly complex: boolean;
}

function readStft(a: BoundArgs): Stft {
  const op = a.schema.name;
  const self = a.tensor('self');
  const rank = shapeOf(self).length;
  if (!isFloating(self.tensor.dtype) || !complexOf(self.tensor.dtype)) {
    fail('OP_UNSUPPORTED', `${op}: only float32 and float64 signals are supported, got ${self.tensor.dtype}`);
  }
  if (rank !== 1 && rank !== 2) fail('TRACE_TYPE', `${op}: expected a 1-D or 2-D signal, got ${rank}-D`);
  const nFft = a.int('n_fft');
  const hop = a.optInt('hop_length') ?? Math.floor(nFft / 4);
  const winLength = a.optInt('win_length') ?? nFft;
  if (nFft <= 0) fail('TRACE_TYPE', `${op}: expected 0 < n_fft, got ${nFft}`);
  if (hop <= 0) fail('TRACE_TYPE', `${op}: expected hop_length > 0, got ${hop}`);
  if (winLength <= 0 || winLength > nFft) fail('TRACE_TYPE', `${op}: expected 0 < win_length <= n_fft, got win_length=${winLength}`);
  const window = a.optTensor('window');
  if (window) {
    const shape = shapeOf(window);
    if (shape.length !== 1 || (typeof shape[0] === 'number' && shape[0] !== winLength)) {
      fail('TRACE_TYPE', `${op}: expected a 1-D window of size ${winLength}, got [${shape.join(', ')}]`);
    }
    if (window.tensor.dtype !== self.tensor.dtype) fail('TRACE_TYPE', `${op}: window dtype ${window.tensor.dtype} differs from the signal's ${self.tensor.dtype}`);
  }
  const centered = a.schema.overload === 'center' && a.bool('center');
  const padMode = centered ? a.str('pad_mode') : undefined;
  if (padMode !== undefined && padMode !== 'reflect' && padMode !== 'constant' && padMode !== 'replicate' && padMode !== 'circular') {
    fail('TRACE_TYPE', `${op}: unsupported pad_mode ${padMode}`);
  }
  const onesided = a.isNone('onesided') ? true : a.bool('onesided');
  // torch 1.x returns the real view when return_complex is not given for a real signal.
  const complex = a.isNone('return_complex') ? false : a.bool('return_complex');
  return { self, nFft, hop, winLength, window, center: padMode, normalized: a.bool('normalized'), onesided, complex };
}

function bins(s: Stft): number {
  return s.onesided ? Math.floor(s.nFft / 2) + 1 : s.nFft;
}

function inferStft(s: Stft): TensorType {
  const shape = shapeOf(s.self);
  let length = shape[shape.length - 1];
  const pad = s.center ? 2 * Math.floor(s.nFft / 2) : 0;
  let frames: Dim;
  if (typeof length === 'number') {
    length += pad;
    if (length < s.nFft) fail('TRACE_TYPE', `aten::stft: n_fft=${s.nFft} is larger than the padded signal length ${length}`);
    frames = 1 + Math.floor((length - s.nFft) / s.hop);
  } else {
    frames = derivedDim(length, `stft_frames_${s.nFft}_${s.hop}_${pad}`);
  }
  const dims: Dim[] = [...shape.slice(0, -1), bins(s), frames];
  const dtype = s.self.tensor.dtype;
  return s.complex ? tensorOf(complexOf(dtype) as DType, dims) : tensorOf(dtype, [...dims, 2]);
}

/** The signal as [batch, length], padded when centered. */
function batchedSignal(ctx: LowerContext, s: Stft): string {
  const x = ctx.input(s.self);
  const batched = shapeOf(s.self).length === 1 ? unsqueeze(ctx, x, [0]) : x;
  if (!s.center) return batched;
  const half = Math.floor(s.nFft / 2);
  return padTensor(ctx, 'aten::stft', batched, s.self.tensor.dtype, { begins: [0, half], ends: [0, half] }, s.center);
}

/** torch's default window: ones over win_length, zero-padded to n_fft and centred. */
function rectangularWindow(s: { readonly nFft: number; readonly winLength: number }): number[] {
  const left = Math.floor((s.nFft - s.winLength) / 2);
  return Array.from({ length: s.nFft }, (_, n) => (n >= left && n < left + s.winLength ? 1 : 0));
}

/** The window tensor zero-padded to n_fft and centred, as torch pads it. */
function paddedWindow(ctx: LowerContext, s: { readonly nFft: number; readonly winLength: number; readonly self: GValue; readonly dtype?: DType }, window: GValue): string {
  const dtype = s.dtype ?? s.self.tensor.dtype;
  const left = Math.floor((s.nFft - s.winLength) / 2);
  const right = s.nFft - s.winLength - left;
  const zeros = (n: number) => (n > 0 ? [ctx.b.constant(dtype, [n], Array(n).fill(0))] : []);
  if (left === 0 && right === 0) return ctx.input(window);
  return ctx.b.op1('Concat', [...zeros(left), ctx.input(window), ...zeros(right)], { axis: 0 });
}

/**
 * cos and sin of 2π·m/n. m is reduced mod n first, which keeps the angle exact for long transforms,
 * and quarter turns are exact: a real signal's DC and Nyquist bins get imaginary parts of exactly +0,
 * as PyTorch's FFT gives them (their angle, ±π or 0, depends on it).
 */
function unitRoot(m: number, n: number): [number, number] {
  const r = m % n;
  if ((4 * r) % n === 0) return ([[1, 0], [0, 1], [-1, 0], [0, -1]] as const)[(4 * r) / n] as [number, number];
  const angle = (2 * Math.PI * r) / n;
  return [Math.cos(angle), Math.sin(angle)];
}

/** cos(2πfn/N) rows for every bin f, then -sin(2πfn/N) rows: [2 * bins, n_fft]. */
function dftBasis(s: Stft, window?: number[]): number[] {
  const n = s.nFft;
  const values: number[] = [];
  for (const part of ['real', 'imag'] as const) {
    for (let f = 0; f < bins(s); f++) {
      for (let k = 0; k < n; k++) {
        const [cos, sin] = unitRoot(f * k, n);
        const w = window ? window[k] : 1;
        values.push(w * (part === 'real' ? cos : -sin + 0));
      }
    }
  }
  return values;
}

function normalize(ctx: LowerContext, s: Stft, y: string): string {
  return s.normalized ? ctx.b.op1('Mul', [y, ctx.b.scalar(s.self.tensor.dtype, 1 / Math.sqrt(s.nFft))]) : y;
}

/** [batch, bins, frames, 2] back to the signal's batching. */
function unbatched(ctx: LowerContext, s: Stft, y: string): string {
  return shapeOf(s.self).length === 1 ? squeeze(ctx, y, [0]) : y;
}

function lowerStftConv(ctx: LowerContext, a: BoundArgs): string[] {
  const s = readStft(a);
  const b = ctx.b;
  const dtype = s.self.tensor.dtype;
  const signal = unsqueeze(ctx, batchedSignal(ctx, s), [1]);
  const shape = [2 * bins(s), 1, s.nFft];
  const kernel = s.window
    ? b.op1('Mul', [b.constant(dtype, shape, dftBasis(s)), paddedWindow(ctx, s, s.window)])
    : b.constant(dtype, shape, dftBasis(s, rectangularWindow(s)));
  const frames = b.op1('Conv', [signal, kernel], { kernel_shape: [s.nFft], strides: [s.hop] });
  const split = b.op1('Reshape', [frames, b.int64s([0, 2, bins(s), -1])]);
  const y = transpose(ctx, split, [0, 2, 3, 1]);
  return [unbatched(ctx, s, normalize(ctx, s, y))];
}

function lowerStftOnnx(ctx: LowerContext, a: BoundArgs): string[] {
  const s = readStft(a);
  if ((s.nFft & (s.nFft - 1)) !== 0) return lowerStftConv(ctx, a);
  const b = ctx.b;
  const signal = unsqueeze(ctx, batchedSignal(ctx, s), [2]);
  const window = s.window ? paddedWindow(ctx, s, s.window) : b.constant(s.self.tensor.dtype, [s.nFft], rectangularWindow(s));
  const spectrum = b.op1('STFT', [signal, b.scalar('int64', s.hop), window, b.scalar('int64', s.nFft)], { onesided: s.onesided ? 1 : 0 });
  const y = transpose(ctx, spectrum, [0, 2, 1, 3]);
  return [unbatched(ctx, s, normalize(ctx, s, y))];
}

// ---------------------------------------------------------------------------------------------
// Complex tensors: parts, angle, polar form (the real view's trailing pair, src/ops/complex.ts)

function inferAngle(a: BoundArgs): TensorType {
  const self = a.tensor('self');
  const dtype = self.tensor.dtype;
  const real = complexPartOf(dtype) ?? (isFloating(dtype) ? dtype : 'float32');
  return tensorOf(real, shapeOf(self));
}

function lowerAngle(ctx: LowerContext, a: BoundArgs): string[] {
  const self = a.tensor('self');
  const rank = shapeOf(self).length;
  const part = complexPartOf(self.tensor.dtype);
  const b = ctx.b;
  if (part) return [complexAngle(ctx, ctx.input(self), rank, part)];
  // A real number's angle: π below zero, else 0; NaN stays NaN.
  const out = inferAngle(a).dtype;
  const x = castTo(ctx, ctx.input(self), self.tensor.dtype, out);
  const angle = b.op1('Where', [b.op1('Less', [x, b.scalar(out, 0)]), b.scalar(out, Math.PI), b.scalar(out, 0)]);
  return [b.op1('Where', [b.op1('IsNaN', [x]), x, angle])];
}

/** Two real tensors of the same dtype broadcast against each other and packed as (real, imaginary). */
function lowerPack(ctx: LowerContext, real: GValue, imag: GValue, shape: readonly Dim[], transform?: (re: string, im: string) => [string, string]): string {
  const b = ctx.b;
  let re = ctx.input(real);
  let im = ctx.input(imag);
  if (transform) [re, im] = transform(re, im);
  const same = (v: GValue) => shapeOf(v).length === shape.length && shapeOf(v).every((d, i) => d === shape[i]);
  if (!transform && !(same(real) && same(imag))) {
    const common = b.op1('Shape', [b.op1('Add', [re, im])]);
    re = b.op1('Expand', [re, common]);
    im = b.op1('Expand', [im, common]);
  }
  return packComplex(ctx, re, im, shape.length);
}

function inferPack(a: BoundArgs, first: string, second: string): TensorType {
  const x = a.tensor(first);
  const y = a.tensor(second);
  const dtype = x.tensor.dtype;
  if (dtype !== y.tensor.dtype) fail('TRACE_TYPE', `${a.schema.name}: Expected object of scalar type ${dtype} but got scalar type ${y.tensor.dtype} for second argument`);
  const complex = complexOf(dtype);
  if (!complex || !isFloating(dtype)) fail('TRACE_TYPE', `${a.schema.name}: expected float or double tensors, got ${dtype}`);
  return tensorOf(complex as DType, broadcastShapes(shapeOf(x), shapeOf(y)));
}

function conjugateDef(schema: string): OpDef {
  return {
    schemas: [schema],
    infer: (a) => [a.tensor('self').tensor],
    lower: {
      1: (ctx, a) => {
        const self = a.tensor('self');
        const part = complexPartOf(self.tensor.dtype);
        return [part ? ctx.b.op1('Mul', [ctx.input(self), ctx.b.constant(part, [2], [1, -1])]) : ctx.input(self)];
      },
    },
  };
}

const complexOps: OpDef[] = [
  {
    schemas: ['aten::real(Tensor(a) self) -> Tensor(a)'],
    infer: (a) => {
      const self = a.tensor('self');
      return [tensorOf(complexPartOf(self.tensor.dtype) ?? self.tensor.dtype, shapeOf(self))];
    },
    lower: {
      1: (ctx, a) => {
        const self = a.tensor('self');
        return [complexPartOf(self.tensor.dtype) ? partOf(ctx, ctx.input(self), shapeOf(self).length, 0) : ctx.input(self)];
      },
    },
  },
  {
    schemas: ['aten::imag(Tensor(a) self) -> Tensor(a)'],
    infer: (a) => {
      const self = a.tensor('self');
      const part = complexPartOf(self.tensor.dtype);
      if (!part) return fail('TRACE_TYPE', 'aten::imag: imag is not implemented for tensors with non-complex dtypes.');
      return [tensorOf(part, shapeOf(self))];
    },
    lower: { 1: (ctx, a) => [partOf(ctx, ctx.input(a.tensor('self')), shapeOf(a.tensor('self')).length, 1)] },
  },
  {
    schemas: ['aten::view_as_complex(Tensor(a) self) -> Tensor(a)'],
    infer: (a) => {
      const self = a.tensor('self');
      const shape = shapeOf(self);
      const complex = complexOf(self.tensor.dtype);
      if (!complex) return fail('TRACE_TYPE', `aten::view_as_complex: Input tensor must be float or double, got ${self.tensor.dtype}`);
      if (shape.length === 0 || (typeof shape[shape.length - 1] === 'number' && shape[shape.length - 1] !== 2)) {
        return fail('TRACE_TYPE', 'aten::view_as_complex: Tensor must have a last dimension of size 2');
      }
      return [tensorOf(complex, shape.slice(0, -1))];
    },
    // The real view is how a complex tensor is carried.
    lower: { 1: (ctx, a) => [ctx.input(a.tensor('self'))] },
  },
  {
    schemas: ['aten::complex(Tensor real, Tensor imag) -> Tensor'],
    infer: (a) => [inferPack(a, 'real', 'imag')],
    lower: { 8: (ctx, a) => [lowerPack(ctx, a.tensor('real'), a.tensor('imag'), inferPack(a, 'real', 'imag').shape)] },
  },
  {
    schemas: ['aten::polar(Tensor abs, Tensor angle) -> Tensor'],
    infer: (a) => [inferPack(a, 'abs', 'angle')],
    lower: {
      7: (ctx, a) => [
        lowerPack(ctx, a.tensor('abs'), a.tensor('angle'), inferPack(a, 'abs', 'angle').shape, (r, theta) => [
          ctx.b.op1('Mul', [r, ctx.b.op1('Cos', [theta])]),
          ctx.b.op1('Mul', [r, ctx.b.op1('Sin', [theta])]),
        ]),
      ],
    },
  },
  // conj is a lazy view in torch (its conjugate bit is resolved on use); here the conjugate itself.
  conjugateDef('aten::conj(Tensor(a) self) -> Tensor(a)'),
  conjugateDef('aten::_conj(Tensor(a) self) -> Tensor(a)'),
  {
    schemas: ['aten::angle(Tensor self) -> Tensor'],
    infer: (a) => [inferAngle(a)],
    lower: { 9: lowerAngle },
  },
];

// ---------------------------------------------------------------------------------------------
// fft_*: each transformed dim is a MatMul with the DFT matrix (cos and ±sin), computed at conversion
// time for the dim's length, so every transformed length must be known.

type FftNorm = 'backward' | 'forward' | 'ortho';

/** A tensor as its real part and, unless it is real, its imaginary part, both of the logical shape. */
interface Parts {
  readonly re: string;
  readonly im?: string;
}

interface Fft {
  readonly self: GValue;
  /** The parts' float dtype. */
  readonly dtype: DType;
  readonly rank: number;
  /** Transformed dims (non-negative) with the signal length each is cut or zero-padded to. */
  readonly dims: ReadonlyArray<{ dim: number; length: number }>;
  readonly norm: FftNorm;
}

function fftNorm(a: BoundArgs): FftNorm {
  if (a.isNone('norm')) return 'backward';
  const norm = a.str('norm');
  if (norm !== 'backward' && norm !== 'forward' && norm !== 'ortho') return fail('TRACE_TYPE', `${a.schema.name}: Invalid normalization mode: "${norm}"`);
  return norm;
}

function staticLength(a: BoundArgs, shape: readonly Dim[], dim: number): number {
  const size = shape[dim];
  if (typeof size !== 'number') return fail('OP_UNSUPPORTED', `${a.schema.name}: the transformed dim ${dim} must have a size known at conversion time, got ${size}`);
  return size;
}

/**
 * The dims and lengths of a call: `n`/`dim` for the 1-D forms; `s`/`dim` for the n-D forms (every dim
 * when both are None, the last len(s) with only s). `lastFromHalf` gives c2r's default output length 2(m-1).
 */
function readFft(a: BoundArgs, lastFromHalf = false): Fft {
  const op = a.schema.name;
  const self = a.tensor('self');
  const shape = shapeOf(self);
  const rank = shape.length;
  const dtype = complexPartOf(self.tensor.dtype) ?? (isFloating(self.tensor.dtype) ? self.tensor.dtype : 'float32');
  if (dtype !== 'float32' && dtype !== 'float64') fail('OP_UNSUPPORTED', `${op}: only float32 and float64 (complex64, complex128) tensors are supported, got ${self.tensor.dtype}`);
  let dims: number[];
  let lengths: Array<number | undefined>;
  if (a.values.has('n')) {
    dims = [axis(a.int('dim'), rank)];
    lengths = [a.optInt('n')];
  } else {
    const sizes = a.isNone('s') ? undefined : a.ints('s');
    const given = a.isNone('dim') ? undefined : a.ints('dim');
    dims = given ? given.map((d) => axis(d, rank)) : sizes ? sizes.map((_, i) => rank - sizes.length + i) : shape.map((_, i) => i);
    if (sizes && sizes.length !== dims.length) fail('TRACE_TYPE', `${op}: When given, dim and shape arguments must have the same length`);
    if (new Set(dims).size !== dims.length) fail('TRACE_TYPE', `${op}: FFT dims must be unique`);
    lengths = dims.map((_, i) => (sizes && sizes[i] !== -1 ? sizes[i] : undefined));
  }
  if (rank === 0) fail('TRACE_TYPE', `${op}: expected a tensor with at least one dimension`);
  const resolved = dims.map((dim, i) => {
    const given = lengths[i];
    if (given !== undefined) {
      if (given < 1) fail('TRACE_TYPE', `${op}: Invalid number of data points (${given}) specified`);
      return { dim, length: given };
    }
    const size = staticLength(a, shape, dim);
    return { dim, length: lastFromHalf && i === dims.length - 1 ? 2 * (size - 1) : size };
  });
  return { self, dtype, rank, dims: resolved, norm: fftNorm(a) };
}

/** Normalisation of one transform of length n: backward scales the inverse, forward the forward one, ortho both by √n. */
function fftScale(norm: FftNorm, n: number, inverse: boolean): number {
  if (norm === 'ortho') return 1 / Math.sqrt(n);
  return (norm === 'forward') !== inverse ? 1 / n : 1;
}

/** `x` cut or zero-padded along `dim` from `from` to `to` elements. */
function fitLength(ctx: LowerContext, x: string, rank: number, dim: number, from: number, to: number): string {
  if (from === to) return x;
  if (from > to) return slice(ctx, x, [{ axis: dim, start: 0, end: to, step: 1 }]);
  const pads = Array<number>(2 * rank).fill(0);
  pads[rank + dim] = to - from;
  return padZeros(ctx, x, pads);
}

/** Applies `matrix` ([from, to]) along `dim`: the dim is swapped to the end for the MatMul and back. */
function alongDim(ctx: LowerContext, x: string, rank: number, dim: number, matrix: string): string {
  if (dim === rank - 1) return ctx.b.op1('MatMul', [x, matrix]);
  const perm = Array.from({ length: rank }, (_, i) => (i === dim ? rank - 1 : i === rank - 1 ? dim : i));
  return transpose(ctx, ctx.b.op1('MatMul', [transpose(ctx, x, perm), matrix]), perm);
}

/** [n, bins] cos(2πfk/n) and sign·sin(2πfk/n) (sign -1 forward, +1 inverse), each times its bin's weight and the scale. */
function dftMatrices(ctx: LowerContext, dtype: DType, n: number, bins: number, sign: number, scale: number, weight: (f: number) => number = () => 1, rowsAreBins = false): [string, string] {
  const cos: number[] = [];
  const sin: number[] = [];
  const rows = rowsAreBins ? bins : n;
  const cols = rowsAreBins ? n : bins;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const [k, f] = rowsAreBins ? [c, r] : [r, c];
      const [c0, s0] = unitRoot(f * k, n);
      cos.push(weight(f) * scale * c0 + 0);
      sin.push(weight(f) * scale * sign * s0 + 0);
    }
  }
  return [ctx.b.constant(dtype, [rows, cols], cos), ctx.b.constant(dtype, [rows, cols], sin)];
}

/** One complex-to-complex (or real-to-complex) transform along `dim`, `bins` outputs (n, or n/2+1 one-sided). */
function dftAlong(ctx: LowerContext, f: Fft, x: Parts, dim: number, from: number, n: number, bins: number, inverse: boolean): Parts {
  const [cos, sin] = dftMatrices(ctx, f.dtype, n, bins, inverse ? 1 : -1, fftScale(f.norm, n, inverse));
  const fit = (v: string) => fitLength(ctx, v, f.rank, dim, from, n);
  const a = fit(x.re);
  const along = (v: string, m: string) => alongDim(ctx, v, f.rank, dim, m);
  if (!x.im) return { re: along(a, cos), im: along(a, sin) };
  const b = fit(x.im);
  // (a + ib)(cos + i·sin') = (a·cos - b·sin') + i(b·cos + a·sin')
  return {
    re: ctx.b.op1('Sub', [along(a, cos), along(b, sin)]),
    im: ctx.b.op1('Add', [along(b, cos), along(a, sin)]),
  };
}

/** A Hermitian half spectrum along `dim` (m bins) to n real samples: bins 1..⌈n/2⌉-1 count twice, as their mirror images. */
function c2rAlong(ctx: LowerContext, f: Fft, x: Parts, dim: number, m: number, n: number): string {
  const half = Math.floor(n / 2) + 1;
  const weight = (bin: number) => (bin === 0 || (n % 2 === 0 && bin === n / 2) ? 1 : 2);
  const [cos, sin] = dftMatrices(ctx, f.dtype, n, half, 1, fftScale(f.norm, n, true), weight, true);
  const fit = (v: string) => fitLength(ctx, v, f.rank, dim, m, half);
  const real = alongDim(ctx, fit(x.re), f.rank, dim, cos);
  return x.im ? ctx.b.op1('Sub', [real, alongDim(ctx, fit(x.im), f.rank, dim, sin)]) : real;
}

function inputParts(ctx: LowerContext, f: Fft): Parts {
  const x = ctx.input(f.self);
  if (complexPartOf(f.self.tensor.dtype)) return { re: partOf(ctx, x, f.rank, 0), im: partOf(ctx, x, f.rank, 1) };
  return { re: castTo(ctx, x, f.self.tensor.dtype, f.dtype) };
}

type FftKind = 'c2c' | 'r2c' | 'c2r';

function fftOutputType(f: Fft, kind: FftKind): TensorType {
  const shape = [...shapeOf(f.self)];
  f.dims.forEach(({ dim, length }, i) => {
    const last = i === f.dims.length - 1;
    shape[dim] = kind === 'r2c' && last ? Math.floor(length / 2) + 1 : length;
  });
  return tensorOf(kind === 'c2r' ? f.dtype : (complexOf(f.dtype) as DType), shape);
}

function readFftOf(a: BoundArgs, kind: FftKind): Fft {
  const f = readFft(a, kind === 'c2r');
  if (kind === 'r2c' && complexPartOf(f.self.tensor.dtype)) fail('TRACE_TYPE', `${a.schema.name} expects a real input tensor, but got ${f.self.tensor.dtype}`);
  return f;
}

/**
 * The n-D transform dim by dim: c2c transforms each dim; r2c transforms the last dim real-to-half
 * first, then the others; c2r transforms the others first, then the last half-to-real.
 */
function lowerFft(kind: FftKind, inverse: boolean) {
  return (ctx: LowerContext, a: BoundArgs): string[] => {
    const f = readFftOf(a, kind);
    const shape = shapeOf(f.self);
    let x = inputParts(ctx, f);
    const sizeOf = (dim: number) => staticLength(a, shape, dim);
    const last = f.dims[f.dims.length - 1];
    const others = f.dims.slice(0, -1);
    const full = (v: Parts, dims: typeof f.dims) => dims.reduce((p, { dim, length }) => dftAlong(ctx, f, p, dim, sizeOf(dim), length, length, inverse), v);
    if (kind === 'c2c') x = full(x, f.dims);
    if (kind === 'r2c') x = full(dftAlong(ctx, f, x, last.dim, sizeOf(last.dim), last.length, Math.floor(last.length / 2) + 1, inverse), others);
    if (kind === 'c2r') return [c2rAlong(ctx, f, full(x, others), last.dim, sizeOf(last.dim), last.length)];
    return [packComplex(ctx, x.re, x.im as string, f.rank)];
  };
}

function fftDef(name: string, kind: FftKind, inverse: boolean, nd: 'one' | 'two' | 'n'): OpDef {
  const schemas =
    nd === 'one'
      ? [`aten::${name}(Tensor self, int? n=None, int dim=-1, str? norm=None) -> Tensor`, `aten::${name}(Tensor self, SymInt? n=None, int dim=-1, str? norm=None) -> Tensor`]
      : nd === 'two'
        ? [`aten::${name}(Tensor self, int[1]? s=None, int[1] dim=[-2, -1], str? norm=None) -> Tensor`, `aten::${name}(Tensor self, SymInt[1]? s=None, int[1] dim=[-2, -1], str? norm=None) -> Tensor`]
        : [`aten::${name}(Tensor self, int[1]? s=None, int[1]? dim=None, str? norm=None) -> Tensor`, `aten::${name}(Tensor self, SymInt[1]? s=None, int[1]? dim=None, str? norm=None) -> Tensor`];
  return {
    schemas,
    infer: (a) => [fftOutputType(readFftOf(a, kind), kind)],
    lower: { 7: lowerFft(kind, inverse) },
  };
}

/** fftshift rolls each dim by ⌊n/2⌋ (ifftshift by -⌊n/2⌋): two slices swapped. */
function lowerFftShift(inverse: boolean) {
  return (ctx: LowerContext, a: BoundArgs): string[] => {
    const self = a.tensor('self');
    const shape = shapeOf(self);
    const rank = shape.length;
    const dims = a.isNone('dim') ? shape.map((_, i) => i) : a.ints('dim').map((d) => axis(d, rank));
    let x = ctx.input(self);
    for (const dim of dims) {
      const n = staticLength(a, shape, dim);
      const shift = inverse ? n - Math.floor(n / 2) : Math.floor(n / 2);
      if (shift % n === 0) continue;
      const tail = slice(ctx, x, [{ axis: dim, start: n - shift, end: n, step: 1 }]);
      const head = slice(ctx, x, [{ axis: dim, start: 0, end: n - shift, step: 1 }]);
      x = ctx.b.op1('Concat', [tail, head], { axis: dim });
    }
    return [x];
  };
}

const fftOps: OpDef[] = [
  fftDef('fft_fft', 'c2c', false, 'one'),
  fftDef('fft_ifft', 'c2c', true, 'one'),
  fftDef('fft_rfft', 'r2c', false, 'one'),
  fftDef('fft_irfft', 'c2r', true, 'one'),
  fftDef('fft_fft2', 'c2c', false, 'two'),
  fftDef('fft_ifft2', 'c2c', true, 'two'),
  fftDef('fft_rfft2', 'r2c', false, 'two'),
  fftDef('fft_irfft2', 'c2r', true, 'two'),
  fftDef('fft_fftn', 'c2c', false, 'n'),
  fftDef('fft_ifftn', 'c2c', true, 'n'),
  fftDef('fft_rfftn', 'r2c', false, 'n'),
  fftDef('fft_irfftn', 'c2r', true, 'n'),
  {
    schemas: ['aten::fft_fftshift(Tensor self, int[1]? dim=None) -> Tensor'],
    infer: (a) => [a.tensor('self').tensor],
    lower: { 1: lowerFftShift(false) },
  },
  {
    schemas: ['aten::fft_ifftshift(Tensor self, int[1]? dim=None) -> Tensor'],
    infer: (a) => [a.tensor('self').tensor],
    lower: { 1: lowerFftShift(true) },
  },
];

// ---------------------------------------------------------------------------------------------
// istft: each frame's inverse real DFT times the window, overlap-added, divided by the overlap-added
// squared window (torch's window envelope), as one ConvTranspose over the frames

interface Istft {
  readonly self: GValue;
  readonly dtype: DType;
  readonly nFft: number;
  readonly hop: number;
  readonly winLength: number;
  readonly window?: GValue;
  readonly center: boolean;
  readonly normalized: boolean;
  /** Bins in the input; a two-sided spectrum is cut to its first n_fft/2+1, as torch does for a real result. */
  readonly bins: number;
  readonly frames: Dim;
  readonly length?: number;
}

function readIstft(a: BoundArgs): Istft {
  const op = a.schema.name;
  const self = a.tensor('self');
  const shape = shapeOf(self);
  const dtype = complexPartOf(self.tensor.dtype);
  if (!dtype) return fail('TRACE_TYPE', `${op} requires a complex-valued input tensor, got ${self.tensor.dtype}`);
  if (shape.length !== 2 && shape.length !== 3) return fail('TRACE_TYPE', `${op}: expected a 2-D or 3-D complex spectrum, got ${shape.length}-D`);
  const nFft = a.int('n_fft');
  const hop = a.optInt('hop_length') ?? Math.floor(nFft / 4);
  const winLength = a.optInt('win_length') ?? nFft;
  if (nFft <= 0 || hop <= 0 || winLength <= 0 || winLength > nFft) fail('TRACE_TYPE', `${op}: expected 0 < win_length <= n_fft and hop_length > 0`);
  if (a.bool('return_complex')) fail('OP_UNSUPPORTED', `${op} with return_complex=True (a complex signal) is not supported`);
  const bins = shape[shape.length - 2];
  if (typeof bins !== 'number') return fail('OP_UNSUPPORTED', `${op}: the number of frequency bins must be known at conversion time`);
  const onesided = a.isNone('onesided') ? bins !== nFft : a.bool('onesided');
  const half = Math.floor(nFft / 2) + 1;
  if (onesided && bins !== half) fail('TRACE_TYPE', `${op}: expected the frequency dimension (${bins}) to equal n_fft / 2 + 1 (${half}) when onesided=True`);
  if (!onesided && bins !== nFft) fail('TRACE_TYPE', `${op}: expected the frequency dimension (${bins}) to equal n_fft (${nFft}) when onesided=False`);
  const window = a.optTensor('window');
  if (window && (shapeOf(window).length !== 1 || shapeOf(window)[0] !== winLength)) fail('TRACE_TYPE', `${op}: expected a 1-D window of size ${winLength}`);
  const length = a.optInt('length');
  return { self, dtype, nFft, hop, winLength, window, center: a.bool('center'), normalized: a.bool('normalized'), bins, frames: shape[shape.length - 1], length };
}

/** The overlap-added length n_fft + hop·(frames - 1) and the [start, end) torch keeps of it. */
function istftSpan(s: Istft): { total: Dim; start: number; end?: number } {
  const total = typeof s.frames === 'number' ? s.nFft + s.hop * (s.frames - 1) : derivedDim(s.frames, `istft_${s.nFft}_${s.hop}`);
  const start = s.center ? Math.floor(s.nFft / 2) : 0;
  if (s.length !== undefined) return { total, start, end: start + s.length };
  if (typeof total === 'number') return { total, start, end: total - (s.center ? Math.floor(s.nFft / 2) : 0) };
  return { total, start };
}

function inferIstft(s: Istft): TensorType {
  const { total, start, end } = istftSpan(s);
  const length = end !== undefined ? end - start : derivedDim(total, `istft_trim_${start}`);
  const batch = shapeOf(s.self).length === 3 ? [shapeOf(s.self)[0]] : [];
  return tensorOf(s.dtype, [...batch, length]);
}

/** [2·half, 1, n_fft]: row (part, f) is the inverse real DFT's weight of bin f's real (imaginary) part on each sample. */
function inverseBasis(s: Istft): number[] {
  const n = s.nFft;
  const half = Math.floor(n / 2) + 1;
  const scale = s.normalized ? 1 / Math.sqrt(n) : 1 / n;
  const values: number[] = [];
  for (const part of [0, 1]) {
    for (let f = 0; f < half; f++) {
      const weight = f === 0 || (n % 2 === 0 && f === n / 2) ? 1 : 2;
      for (let k = 0; k < n; k++) {
        const [cos, sin] = unitRoot(f * k, n);
        values.push(weight * scale * (part === 0 ? cos : -sin) + 0);
      }
    }
  }
  return values;
}

function lowerIstft(ctx: LowerContext, a: BoundArgs): string[] {
  const s = readIstft(a);
  const b = ctx.b;
  const rank = shapeOf(s.self).length;
  const half = Math.floor(s.nFft / 2) + 1;
  let spectrum = ctx.input(s.self);
  if (rank === 2) spectrum = unsqueeze(ctx, spectrum, [0]);
  if (s.bins !== half) spectrum = slice(ctx, spectrum, [{ axis: 1, start: 0, end: half, step: 1 }]);
  // [batch, half, frames, 2] -> [batch, 2, half, frames] -> [batch, 2·half, frames]: channel (part, f).
  const channels = b.op1('Reshape', [transpose(ctx, spectrum, [0, 3, 1, 2]), b.int64s([0, 2 * half, -1])]);
  const window = s.window
    ? paddedWindow(ctx, { nFft: s.nFft, winLength: s.winLength, self: s.self, dtype: s.dtype }, s.window)
    : b.constant(s.dtype, [s.nFft], rectangularWindow({ nFft: s.nFft, winLength: s.winLength }));
  const kernel = b.op1('Mul', [b.constant(s.dtype, [2 * half, 1, s.nFft], inverseBasis(s)), window]);
  const signal = b.op1('ConvTranspose', [channels, kernel], { kernel_shape: [s.nFft], strides: [s.hop] });
  // The envelope: the squared window overlap-added over as many frames.
  const ones = typeof s.frames === 'number'
    ? b.constant(s.dtype, [1, 1, s.frames], Array(s.frames).fill(1))
    : b.op1('Expand', [b.constant(s.dtype, [1, 1, 1], [1]), b.op1('Concat', [b.int64s([1, 1]), slice(ctx, b.op1('Shape', [channels]), [{ axis: 0, start: 2, end: 3, step: 1 }])], { axis: 0 })]);
  const squared = b.op1('Reshape', [b.op1('Mul', [window, window]), b.int64s([1, 1, s.nFft])]);
  const envelope = b.op1('ConvTranspose', [ones, squared], { kernel_shape: [s.nFft], strides: [s.hop] });
  const { total, start, end } = istftSpan(s);
  // A run-time length ends n_fft/2 before the end when centred, else at it.
  const kept = typeof total === 'number' ? Math.min(end ?? total, total) : end;
  const bound = kept ?? (s.center ? -Math.floor(s.nFft / 2) : Number.MAX_SAFE_INTEGER);
  const trim = (x: string) => slice(ctx, x, [{ axis: 2, start, end: bound, step: 1 }]);
  let y = squeeze(ctx, b.op1('Div', [trim(signal), trim(envelope)]), [1]);
  if (end !== undefined && kept !== undefined && end > kept) y = padZeros(ctx, y, [0, 0, 0, end - kept]);
  return [rank === 2 ? squeeze(ctx, y, [0]) : y];
}

export const spectralOps: readonly OpDef[] = [
  ...complexOps,
  ...fftOps,
  {
    schemas: ['aten::istft(Tensor self, int n_fft, int? hop_length=None, int? win_length=None, Tensor? window=None, bool center=True, bool normalized=False, bool? onesided=None, int? length=None, bool return_complex=False) -> Tensor'],
    infer: (a) => [inferIstft(readIstft(a))],
    lower: { 9: lowerIstft },
  },
  {
    schemas: [
      'aten::stft(Tensor self, int n_fft, int? hop_length=None, int? win_length=None, Tensor? window=None, bool normalized=False, bool? onesided=None, bool? return_complex=None) -> Tensor',
      'aten::stft.center(Tensor self, int n_fft, int? hop_length=None, int? win_length=None, Tensor? window=None, bool center=True, str pad_mode="reflect", bool normalized=False, bool? onesided=None, bool? return_complex=None) -> Tensor',
    ],
    infer: (a) => [inferStft(readStft(a))],
    lower: { 9: lowerStftConv, 17: lowerStftOnnx },
  },
  {
    schemas: ['aten::view_as_real(Tensor(a) self) -> Tensor(a)'],
    infer: (a) => {
      const self = a.tensor('self');
      const real = complexPartOf(self.tensor.dtype);
      if (!real) return fail('TRACE_TYPE', `aten::view_as_real: expected a complex tensor, got ${self.tensor.dtype}`);
      return [tensorOf(real, [...shapeOf(self), 2])];
    },
    // The real view is how a complex tensor is carried.
    lower: { 1: (ctx, a) => [ctx.input(a.tensor('self'))] },
  },
];
