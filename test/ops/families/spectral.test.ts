import { describe, expect, it } from 'vitest';
import { expectClose, infer, lowerOp, opTypes, pattern, runOp, tensorValue } from '../harness.js';

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
