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
import { shapeOf, tensorOf } from '../helpers.js';
import { squeeze, transpose, unsqueeze } from '../opset.js';
import type { LowerContext, OpDef } from '../registry.js';

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
function rectangularWindow(s: Stft): number[] {
  const left = Math.floor((s.nFft - s.winLength) / 2);
  return Array.from({ length: s.nFft }, (_, n) => (n >= left && n < left + s.winLength ? 1 : 0));
}

/** The window tensor zero-padded to n_fft and centred, as torch pads it. */
function paddedWindow(ctx: LowerContext, s: Stft, window: GValue): string {
  const dtype = s.self.tensor.dtype;
  const left = Math.floor((s.nFft - s.winLength) / 2);
  const right = s.nFft - s.winLength - left;
  const zeros = (n: number) => (n > 0 ? [ctx.b.constant(dtype, [n], Array(n).fill(0))] : []);
  if (left === 0 && right === 0) return ctx.input(window);
  return ctx.b.op1('Concat', [...zeros(left), ctx.input(window), ...zeros(right)], { axis: 0 });
}

/** cos(2πfn/N) rows for every bin f, then -sin(2πfn/N) rows: [2 * bins, n_fft]. */
function dftBasis(s: Stft, window?: number[]): number[] {
  const n = s.nFft;
  const values: number[] = [];
  for (const part of ['real', 'imag'] as const) {
    for (let f = 0; f < bins(s); f++) {
      for (let k = 0; k < n; k++) {
        // Reducing f·k mod N first keeps the angle exact for large transforms.
        const angle = (2 * Math.PI * ((f * k) % n)) / n;
        const w = window ? window[k] : 1;
        values.push(w * (part === 'real' ? Math.cos(angle) : -Math.sin(angle)));
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

export const spectralOps: readonly OpDef[] = [
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
    // Complex tensors only come from stft, so no graph can lower this below stft's opset.
    lower: { 9: (ctx, a) => [ctx.input(a.tensor('self'))] },
  },
];
