/**
 * Statically quantized ops alone: the packed-params states they read, what they refuse, and aten ops on
 * quantized tensors (src/trace/quantized-tensors.ts) computed by hand. Parity with PyTorch is in the op
 * table (scripts/fixtures/op_tables/quantized.py).
 */
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import type { Arg, GValue, TensorType } from '../../../src/ir/torch-graph.js';
import { convert } from '../../../src/index.js';
import { moduleArchive, tempDir } from '../../archive/helpers.js';
import { codeOf, infer, lowerOp, tensorValue } from '../harness.js';

const PACKED_CONV = '__torch__.torch.classes.quantized.Conv2dPackedParamsBase';

function quantizedInput(shape: number[], scale: number, zeroPoint: number): GValue {
  const x = tensorValue('quint8', shape, 'x');
  x.type = { ...(x.type as TensorType), quant: { scale, zeroPoint } };
  return x;
}

function packedConv(state: Arg): Arg {
  return { kind: 'torchbind', className: PACKED_CONV, state };
}

describe('quantized::conv2d', () => {
  const weight = tensorValue('qint8', [4, 3, 3, 3], 'weight');
  // version 3: [spatial dims, stride x2, padding x2, dilation x2, output_padding x2, groups, flags]
  const v3 = packedConv([3, [2, 2, 2, 1, 1, 1, 1, 0, 0, 1, 0], [weight, null]]);

  it('reads the version-3 state and gives the output its scale and zero point', () => {
    const [out] = infer({ op: 'quantized::conv2d', overload: 'new', args: [quantizedInput([1, 3, 9, 9], 0.1, 128), v3, 0.25, 7] });
    expect(out).toEqual({ kind: 'tensor', dtype: 'quint8', shape: [1, 4, 5, 5], quant: { scale: 0.25, zeroPoint: 7 } });
  });

  it('reads the version-2 state of packed params frozen into constants, and refuses version 1', () => {
    const config = tensorValue('int16', [11], 'config');
    const known = new Map([[config, { type: config.tensor, values: [2, 2, 2, 1, 1, 1, 1, 0, 0, 1, 0] }]]);
    const v2 = packedConv(['2', [config, weight], [null]]);
    const [out] = infer({ op: 'quantized::conv2d', overload: 'new', args: [quantizedInput([1, 3, 9, 9], 0.1, 128), v2, 0.25, 7], known });
    expect(out).toEqual({ kind: 'tensor', dtype: 'quint8', shape: [1, 4, 5, 5], quant: { scale: 0.25, zeroPoint: 7 } });
    // Without the config's values the conv cannot be built.
    expect(codeOf(() => infer({ op: 'quantized::conv2d', overload: 'new', args: [quantizedInput([1, 3, 9, 9], 0.1, 128), v2, 0.25, 7] }))).toBe('OP_UNSUPPORTED');
    const v1 = packedConv([weight, null, [2, 2], [1, 1], [1, 1], 1]);
    expect(codeOf(() => infer({ op: 'quantized::conv2d', overload: 'new', args: [quantizedInput([1, 3, 9, 9], 0.1, 128), v1, 0.25, 7] }))).toBe('OP_UNSUPPORTED');
  });

  it('needs the input scale and zero point at conversion time', () => {
    const unknown = tensorValue('quint8', [1, 3, 9, 9], 'x');
    expect(codeOf(() => infer({ op: 'quantized::conv2d', overload: 'new', args: [unknown, v3, 0.25, 7] }))).toBe('OP_UNSUPPORTED');
  });

  it('refuses a float input', () => {
    expect(codeOf(() => infer({ op: 'quantized::conv2d', overload: 'new', args: [tensorValue('float32', [1, 3, 9, 9]), v3, 0.25, 7] }))).toBe('TRACE_TYPE');
  });
});

describe('quantized::conv3d and conv_transpose3d', () => {
  const packed3d = (state: Arg): Arg => ({ kind: 'torchbind', className: '__torch__.torch.classes.quantized.Conv3dPackedParamsBase', state });

  it('read the 3-D config of Conv3dPackedParamsBase', () => {
    const weight = tensorValue('qint8', [4, 3, 1, 3, 3], 'weight');
    // [3, stride x3, padding x3, dilation x3, output_padding x3, groups, flags]
    const conv = packed3d([3, [3, 1, 2, 2, 0, 1, 1, 1, 1, 1, 0, 0, 0, 1, 0], [weight, null]]);
    const [out] = infer({ op: 'quantized::conv3d', overload: 'new', args: [quantizedInput([1, 3, 4, 8, 8], 0.1, 0), conv, 0.5, 3] });
    expect(out).toEqual({ kind: 'tensor', dtype: 'quint8', shape: [1, 4, 4, 4, 4], quant: { scale: 0.5, zeroPoint: 3 } });
    const up = tensorValue('qint8', [3, 2, 2, 2, 2], 'up');
    const transposed = packed3d([3, [3, 2, 2, 2, 0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1], [up, null]]);
    const [upOut] = infer({ op: 'quantized::conv_transpose3d', args: [quantizedInput([1, 3, 4, 8, 8], 0.1, 0), transposed, 0.5, 3] });
    expect(upOut).toEqual({ kind: 'tensor', dtype: 'quint8', shape: [1, 2, 8, 16, 16], quant: { scale: 0.5, zeroPoint: 3 } });
  });
});

describe('quantized::group_norm', () => {
  it('keeps the output parameters and refuses groups that do not divide the channels', () => {
    const x = quantizedInput([1, 6, 4, 4], 0.1, 128);
    const [out] = infer({ op: 'quantized::group_norm', args: [x, 3, null, null, 1e-5, 0.2, 100] });
    expect(out).toEqual({ kind: 'tensor', dtype: 'quint8', shape: [1, 6, 4, 4], quant: { scale: 0.2, zeroPoint: 100 } });
    expect(codeOf(() => lowerOp({ op: 'quantized::group_norm', args: [x, 4, null, null, 1e-5, 0.2, 100] }, 13))).toBe('TRACE_TYPE');
  });
});

describe('aten::quantize_per_tensor', () => {
  it('gives quint8 and qint8 activations their parameters and refuses qint32', () => {
    const x = tensorValue('float32', [2, 3]);
    expect(infer({ op: 'aten::quantize_per_tensor', args: [x, 0.5, 3, 12] })).toEqual([{ kind: 'tensor', dtype: 'qint8', shape: [2, 3], quant: { scale: 0.5, zeroPoint: 3 } }]);
    expect(codeOf(() => infer({ op: 'aten::quantize_per_tensor', args: [x, 0.5, 3, 14] }))).toBe('OP_UNSUPPORTED');
  });
});

describe('aten ops on quantized tensors', () => {
  // quantize at (0.5, 10), then relu, flatten and an average: the average requantizes at the input's
  // parameters, relu keeps values at or above the zero point, flatten moves integers.
  function archive(): string {
    return moduleArchive('x: Tensor) -> Tuple[Tensor, Tensor]', [
      'q = torch.quantize_per_tensor(x, 0.5, 10, 13)',
      'r = torch.flatten(torch.relu(q), 1)',
      'm = torch.mean(q, [1], True)',
      'return (torch.dequantize(r), torch.int_repr(m))',
    ]);
  }

  it('computes what PyTorch computes on the integers', async () => {
    const out = join(tempDir(), 'm.onnx');
    const report = await convert(archive(), out, { inputs: ['float32[1,2,3]'] });
    expect(report.outputs.map((o) => o.dtype)).toEqual(['float32', 'uint8']);
    // flatten runs on the integers: no dequantize/quantize pair around it.
    expect(report.nodes.Flatten ?? report.nodes.Reshape).toBe(1);
    const values = [-3, -0.75, 0.2, 1.25, 2.5, 150];
    const session = await ort.InferenceSession.create(out);
    const got = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', Float32Array.from(values), [1, 2, 3]) });
    // q = clamp(round_half_even(x / 0.5) + 10, 0, 255): [4, 8, 10, 12, 15, 255]
    const q = [4, 8, 10, 12, 15, 255];
    expect(Array.from(got[session.outputNames[0]].data as Float32Array)).toEqual(q.map((v) => (Math.max(v, 10) - 10) * 0.5));
    // mean over dim 1 of the dequantized values, requantized: [(4+12)/2, (8+15)/2, (10+255)/2] - 10 steps.
    expect(Array.from(got[session.outputNames[1]].data as Uint8Array)).toEqual([8, 12, 132]);
  });
});

describe('quantized::add_scalar and mul_scalar', () => {
  it('move the zero point, or pin it and widen the scale, as PyTorch chooses the output parameters', () => {
    const x = quantizedInput([2, 3], 0.05, 100);
    expect(infer({ op: 'quantized::add_scalar', args: [x, 1.3] })[0]).toMatchObject({ quant: { scale: 0.05, zeroPoint: 74 } });
    // 9 / 0.05 = 180 steps: the zero point would be -80, so it is pinned at 0 and the scale covers 255 + 80 steps.
    const [wide] = infer({ op: 'quantized::add_scalar', args: [x, 9] }) as TensorType[];
    expect(wide.quant?.zeroPoint).toBe(0);
    expect(wide.quant?.scale).toBeCloseTo((335 / 255) * 0.05, 12);
    expect(infer({ op: 'quantized::mul_scalar', args: [x, -0.5] })[0]).toMatchObject({ quant: { scale: 0.025, zeroPoint: 155 } });
    expect(infer({ op: 'quantized::mul_scalar', args: [x, 0] })[0]).toMatchObject({ quant: { scale: 1, zeroPoint: 0 } });
  });
});

describe('--quantized-engine', () => {
  const fixture = join(import.meta.dirname, '..', '..', 'fixtures', 'ops', 'q_engine_onednn', 'torch113', 'model.pt');

  it('names the engines it reproduces when given another', async () => {
    const out = join(tempDir(), 'engine.onnx');
    const options = { inputs: ['float32[4,8,12,12]'] };
    await expect(convert(fixture, out, { ...options, quantizedEngine: 'arm' as never })).rejects.toMatchObject({
      code: 'OPTION_INVALID',
      message: 'quantizedEngine (--quantized-engine) "arm" is not known; choose qnnpack, onednn or onednn-torch1',
    });
    await expect(convert(fixture, out, { ...options, quantizedEngine: 'x86' as never })).rejects.toMatchObject({
      code: 'OPTION_INVALID',
      message: expect.stringContaining("x86 engine (FBGEMM or oneDNN per layer, chosen by the CPU)'s arithmetic is not reproduced"),
    });
  });
});
