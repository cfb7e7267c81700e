import { describe, expect, it } from 'vitest';
import { codeOf, evaluate, expectClose, expectNear, infer, lowerOp, opTypes, pattern, runOp, scalarValue, tensorValue } from '../harness.js';

/*
 * Reference outputs from torch 1.13.1 on pattern(numel) data (see harness.ts). The `.center` overload
 * is only reachable through torch.ops (TorchScript's torch.functional.stft pads and calls plain stft).
 */

describe('aten::stft', () => {
  it('centers with the given pad mode and zero-pads a short rectangular window (.center overload)', async () => {
    const x = tensorValue('float32', [2, 10]);
    // view_as_real(torch.ops.aten.stft.center(X(2,10), 8, 3, 6, None, True, 'constant', False, None, True))
    const want = [
      -3.9, 0.0, -4.8, 0.0, 1.2, 0.0, 0.1, 0.0, 5.91924, 1.48076, -1.02046, 6.32635, -2.72756, 5.61924, -3.23259, -1.68995, -7.4, 1.3, -6.1,
      7.7, -7.1, 6.7, -2.7, 7.4, 4.08076, -3.31924, 9.02046, -3.07365, 8.72756, -3.78076, 7.23259, -0.28995, -1.3, 0.0, 1.0, 0.0, 1.0, 0.0,
      -2.7, 0.0, -4.0, 0.0, -5.0, 0.0, 1.0, 0.0, 6.7, 0.0, 1.6234, -4.3234, 1.82548, 1.58873, 0.11838, 0.88162, -2.79081, -0.6234, 2.7, 4.7,
      7.4, 1.0, 6.4, -0.0, 7.4, -2.7, -5.0234, -2.3234, -7.22548, -7.81127, -7.51838, -8.51838, -6.60919, -6.0234, 5.4, 0.0, 1.0, 0.0, 1.0,
      0.0, -2.7, 0.0,
    ];
    const call = { op: 'aten::stft', overload: 'center', args: [x, 8, 3, 6, null, true, 'constant', false, null, false] };
    expect(infer(call)).toEqual([{ kind: 'tensor', dtype: 'float32', shape: [2, 5, 4, 2] }]);
    for (const opset of [9, 17]) {
      const [y] = await runOp(call, { opset, feeds: new Map([[x, pattern(20)]]) });
      expect(y.dims).toEqual([2, 5, 4, 2]);
      expectClose(y.data, want);
    }
  });

  it('takes a window tensor, a 1-D signal, normalized and two-sided output', async () => {
    const x = tensorValue('float32', [12]);
    const window = tensorValue('float32', [4]);
    // torch.ops.aten.stft(X(12), 4, 2, None, [0.5, 1.0, 0.25, 2.0], True, False, False)
    const want = [
      -5.6, 0.0, 1.9625, 0.0, 1.95, 0.0, -1.85, 0.0, -4.3875, 0.0, -1.55, -3.35, 0.6375, 5.4, 0.3, -1.0, -1.3, -2.35, 0.8875, -3.7, 3.7, 0.0,
      -0.8375, 0.0, -2.85, 0.0, 1.45, 0.0, 7.0125, 0.0, -1.55, 3.35, 0.6375, -5.4, 0.3, 1.0, -1.3, 2.35, 0.8875, 3.7,
    ];
    const call = { op: 'aten::stft', args: [x, 4, 2, null, window, true, false, false] };
    for (const opset of [9, 17]) {
      const [y] = await runOp(call, { opset, feeds: new Map([[x, pattern(12)], [window, [0.5, 1.0, 0.25, 2.0]]]) });
      expect(y.dims).toEqual([4, 5, 2]);
      expectClose(y.data, want);
    }
  });

  it('uses ONNX STFT from opset 17 for power-of-two lengths only', () => {
    const x = tensorValue('float32', [1, 64]);
    const ops = (nFft: number, opset: number) => opTypes(lowerOp({ op: 'aten::stft', args: [x, nFft, 4, null, null, false, null, false] }, opset).graph);
    expect(ops(16, 17)).toContain('STFT');
    expect(ops(16, 16)).toContain('Conv');
    expect(ops(12, 17)).toContain('Conv');
    expect(ops(12, 17)).not.toContain('STFT');
  });

  it('names frame counts of a dynamic length after the length', () => {
    const x = tensorValue('float32', ['batch', 'samples']);
    expect(infer({ op: 'aten::stft', args: [x, 16, 4, null, null, false, null, true] })).toEqual([
      { kind: 'tensor', dtype: 'complex64', shape: ['batch', 9, 'samples_stft_frames_16_4_0'] },
    ]);
    expect(infer({ op: 'aten::view_as_real', args: [tensorValue('complex64', [3, 4])] })).toEqual([{ kind: 'tensor', dtype: 'float32', shape: [3, 4, 2] }]);
  });
});

describe('window functions', () => {
  it('computes blackman, bartlett and kaiser windows in float32 as torch does', () => {
    // torch.blackman_window(5), torch.bartlett_window(6, False), torch.kaiser_window(6, True, 4.0) (torch 1.13)
    const values = (call: Parameters<typeof evaluate>[0]) => evaluate(call)?.[0].values;
    expect(values({ op: 'aten::blackman_window', args: [5] })).toEqual(
      [-2.9802322387695312e-8, 0.20077013969421387, 0.8492299318313599, 0.8492298126220703, 0.2007700800895691],
    );
    expect(values({ op: 'aten::bartlett_window', args: [6, false] })).toEqual([0, 0.4000000059604645, 0.800000011920929, 0.7999999523162842, 0.3999999761581421, 0]);
    expectNear(values({ op: 'aten::kaiser_window', args: [6, true, 4.0] }) as number[], [0.08848053216934204, 0.4254113733768463, 0.8216092586517334, 1, 0.8216092586517334, 0.4254113733768463], 2e-7);
  });

  it('needs a known length for kaiser_window (its Bessel function has no ONNX form)', () => {
    const n = scalarValue('int', 'n');
    expect(infer({ op: 'aten::kaiser_window', args: [n] })).toMatchObject([{ kind: 'tensor', dtype: 'float32' }]);
    expect(codeOf(() => lowerOp({ op: 'aten::kaiser_window', args: [n] }, 9))).toBe('OP_UNSUPPORTED');
    expect(opTypes(lowerOp({ op: 'aten::blackman_window', args: [n] }, 9).graph)).toContain('Cos');
  });
});

describe('complex tensors', () => {
  const z = tensorValue('complex64', [3, 4]);

  it('gives parts, magnitudes and angles their real dtype', () => {
    for (const op of ['aten::real', 'aten::imag', 'aten::angle', 'aten::abs']) {
      expect(infer({ op, args: [z] })).toEqual([{ kind: 'tensor', dtype: 'float32', shape: [3, 4] }]);
    }
    expect(infer({ op: 'aten::angle', args: [tensorValue('int64', [2])] })).toEqual([{ kind: 'tensor', dtype: 'float32', shape: [2] }]);
    expect(infer({ op: 'aten::view_as_complex', args: [tensorValue('float64', [5, 2])] })).toEqual([{ kind: 'tensor', dtype: 'complex128', shape: [5] }]);
    expect(infer({ op: 'aten::polar', args: [tensorValue('float32', [3, 1]), tensorValue('float32', [4])] })).toEqual([{ kind: 'tensor', dtype: 'complex64', shape: [3, 4] }]);
  });

  it("refuses what torch refuses", () => {
    expect(codeOf(() => infer({ op: 'aten::view_as_complex', args: [tensorValue('float32', [5, 3])] }))).toBe('TRACE_TYPE');
    expect(codeOf(() => infer({ op: 'aten::imag', args: [tensorValue('float32', [5])] }))).toBe('TRACE_TYPE');
    expect(codeOf(() => infer({ op: 'aten::complex', args: [tensorValue('float32', [2]), tensorValue('float64', [2])] }))).toBe('TRACE_TYPE');
    expect(codeOf(() => infer({ op: 'aten::fft_rfft', args: [z] }))).toBe('TRACE_TYPE');
    expect(codeOf(() => infer({ op: 'aten::div', overload: 'Tensor_mode', args: [z, z], kwargs: { rounding_mode: 'floor' } }))).toBe('TRACE_TYPE');
  });

  it('says which complex operations it does not lower', () => {
    const real = tensorValue('float32', [3, 4]);
    expect(codeOf(() => lowerOp({ op: 'aten::cat', args: [[z, real], 0] }, 11))).toBe('OP_UNSUPPORTED');
    expect(codeOf(() => lowerOp({ op: 'aten::constant_pad_nd', args: [z, [1, 1], 2.5] }, 11))).toBe('OP_UNSUPPORTED');
    expect(codeOf(() => lowerOp({ op: 'aten::pow', overload: 'Tensor_Tensor', args: [z, z] }, 11))).toBe('OP_UNSUPPORTED');
    expect(codeOf(() => lowerOp({ op: 'aten::istft', args: [z, 6, 2, null, null, true, false, null, null, true] }, 11))).toBe('OP_UNSUPPORTED');
    // Ops that would compute on the pairs as if they were real numbers are refused, inputs or outputs complex.
    expect(codeOf(() => lowerOp({ op: 'aten::exp', args: [z] }, 11))).toBe('OP_UNSUPPORTED');
    expect(codeOf(() => lowerOp({ op: 'aten::zeros_like', args: [z] }, 11))).toBe('OP_UNSUPPORTED');
    expect(codeOf(() => lowerOp({ op: 'aten::where', overload: 'ScalarOther', args: [tensorValue('bool', [3, 4]), z, 1.5] }, 11))).toBe('OP_UNSUPPORTED');
    // A product of two complex tensors is four real ones.
    expect(opTypes(lowerOp({ op: 'aten::matmul', args: [z, tensorValue('complex64', [4, 2])] }, 11).graph).filter((t) => t === 'MatMul')).toHaveLength(4);
  });

  it('gives a real number its angle: π below zero, NaN stays NaN', async () => {
    const x = tensorValue('float32', [5]);
    const [y] = await runOp({ op: 'aten::angle', args: [x] }, { opset: 9, feeds: new Map([[x, [-1, 0, 2, NaN, -0.5]]]) });
    expect(Array.from(y.data, (v) => (Number.isNaN(v) ? 'NaN' : Math.fround(v)))).toEqual([Math.fround(Math.PI), 0, 0, 'NaN', Math.fround(Math.PI)]);
  });
});

describe('fft_*', () => {
  it('shapes the transformed dims', () => {
    const x = tensorValue('float32', [4, 6]);
    const shape = (op: string, args: unknown[]) => (infer({ op, args: [x, ...(args as never[])] })[0] as { shape: unknown }).shape;
    expect(shape('aten::fft_rfft', [7, 0])).toEqual([4, 6]);
    expect(shape('aten::fft_rfft', [7, 1])).toEqual([4, 4]);
    expect(shape('aten::fft_irfft', [])).toEqual([4, 10]);
    expect(shape('aten::fft_rfftn', [[3, 5]])).toEqual([3, 3]);
    expect(shape('aten::fft_fft2', [null, [0, 1]])).toEqual([4, 6]);
    expect(codeOf(() => infer({ op: 'aten::fft_fft', args: [x, null, -1, 'none'] }))).toBe('TRACE_TYPE');
    expect(codeOf(() => lowerOp({ op: 'aten::fft_fft', args: [tensorValue('float32', ['n'])] }, 11))).toBe('OP_UNSUPPORTED');
  });
});

describe('aten::istft', () => {
  it('gives the trimmed signal length', () => {
    const spectrum = tensorValue('complex64', [2, 9, 11]);
    const length = (args: unknown[]) => (infer({ op: 'aten::istft', args: [spectrum, 16, 4, ...(args as never[])] })[0] as { shape: unknown }).shape;
    expect(length([])).toEqual([2, 40]);
    expect(length([null, null, false])).toEqual([2, 56]);
    expect(length([null, null, true, false, null, 30])).toEqual([2, 30]);
    expect(codeOf(() => infer({ op: 'aten::istft', args: [spectrum, 12, 4] }))).toBe('TRACE_TYPE');
  });
});
