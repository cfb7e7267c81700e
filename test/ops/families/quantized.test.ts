/**
 * Fake quantization alone (src/ops/families/quantized.ts): scale and zero point known only at run time (graph
 * inputs here), the 8-bit QuantizeLinear form of opset 10 and what it refuses. Parity with PyTorch on stored
 * buffers and Python numbers is in the op table (fake_quantize_* in scripts/fixtures/op_tables/quantized.py).
 */
import { describe, expect, it } from 'vitest';
import type { Arg, GValue } from '../../../src/ir/torch-graph.js';
import { codeOf, infer, lowerOp, opTypes, runOp, tensorValue } from '../harness.js';

/** PyTorch's kernel: (clamp(zero_point + nearbyint(x * (1.0f / scale)), quant_min, quant_max) - zero_point) * scale. */
function fakeQuantized(x: number, scale: number, zeroPoint: number, quantMin: number, quantMax: number): number {
  const v = Math.fround(x * Math.fround(1 / Math.fround(scale)));
  const floor = Math.floor(v);
  const rounded = v - floor === 0.5 ? (floor % 2 === 0 ? floor : floor + 1) : Math.round(v);
  return Math.fround((Math.min(Math.max(zeroPoint + rounded, quantMin), quantMax) - zeroPoint) * Math.fround(scale));
}

// Multiples of 1/8: with scales 0.25 and 0.5 many land on half steps, which round to even.
const X = Array.from({ length: 24 }, (_, i) => (i - 12) * 0.375);

describe('aten::fake_quantize_per_tensor_affine', () => {
  const call = (x = tensorValue('float32', [2, 12], 'x')) => {
    const scale = tensorValue('float32', [1], 'scale');
    const zeroPoint = tensorValue('int32', [1], 'zero_point');
    return { x, scale, zeroPoint, call: { op: 'aten::fake_quantize_per_tensor_affine', overload: 'tensor_qparams', args: [x, scale, zeroPoint, 0, 127] } };
  };

  for (const opset of [10, 11]) {
    it(`computes PyTorch's values with a scale and zero point known at run time (opset ${opset})`, async () => {
      const { x, scale, zeroPoint, call: c } = call();
      const [out] = await runOp(c, { opset, feeds: new Map([[x, X], [scale, [0.25]], [zeroPoint, [20]]]) });
      expect(out.data).toEqual(X.map((v) => fakeQuantized(v, 0.25, 20, 0, 127)));
    });
  }

  it('rounds with QuantizeLinear at opset 10 and Round from 11', () => {
    expect(opTypes(lowerOp(call().call, 10).graph)).toContain('QuantizeLinear');
    expect(opTypes(lowerOp(call().call, 11).graph)).toContain('Round');
  });

  it('needs opset 11 for ranges wider than 8 bits, and refuses float zero points and non-float inputs', () => {
    const x = tensorValue('float32', [4], 'x');
    expect(codeOf(() => lowerOp({ op: 'aten::fake_quantize_per_tensor_affine', args: [x, 0.5, 0, -1000, 1000] }, 10))).toBe('OP_OPSET');
    expect(codeOf(() => lowerOp({ op: 'aten::fake_quantize_per_tensor_affine', args: [x, 0.5, 0, -1000, 1000] }, 11))).toBeUndefined();
    const floatZero = tensorValue('float32', [1], 'zero_point');
    expect(codeOf(() => lowerOp({ op: 'aten::fake_quantize_per_tensor_affine', overload: 'tensor_qparams', args: [x, tensorValue('float32', [1]), floatZero, 0, 255] }, 11))).toBe('OP_UNSUPPORTED');
    expect(codeOf(() => lowerOp({ op: 'aten::fake_quantize_per_tensor_affine', args: [tensorValue('float64', [4]), 0.5, 0, 0, 255] }, 11))).toBe('OP_UNSUPPORTED');
  });
});

describe('aten::fake_quantize_per_channel_affine', () => {
  it('quantizes each channel along the axis with its own run-time scale and zero point', async () => {
    const x = tensorValue('float32', [2, 3, 4], 'x');
    const scale = tensorValue('float32', [3], 'scale');
    const zeroPoint = tensorValue('int32', [3], 'zero_point');
    const [scales, zeroPoints] = [[0.25, 0.5, 0.125], [0, -3, 5]];
    const [out] = await runOp({ op: 'aten::fake_quantize_per_channel_affine', args: [x, scale, zeroPoint, 1, -8, 7] }, { opset: 11, feeds: new Map([[x, X], [scale, scales], [zeroPoint, zeroPoints]]) });
    const channel = (i: number) => Math.floor(i / 4) % 3;
    expect(out.data).toEqual(X.map((v, i) => fakeQuantized(v, scales[channel(i)], zeroPoints[channel(i)], -8, 7)));
  });

  it('refuses an axis outside the input', () => {
    const x = tensorValue('float32', [2, 3], 'x');
    expect(codeOf(() => lowerOp({ op: 'aten::fake_quantize_per_channel_affine', args: [x, tensorValue('float32', [3]), tensorValue('int32', [3]), 2, 0, 255] }, 13))).toBe('TRACE_TYPE');
  });
});

describe('aten::quantized_lstm and quantized_gru', () => {
  const packedLinear = (rows: number, cols: number): Arg => ({ kind: 'torchbind', className: '__torch__.torch.classes.quantized.LinearPackedParamsBase', state: [tensorValue('qint8', [rows, cols]), null] });
  const cell = (kind: string, gates: number): Arg => ({
    kind: 'torchbind',
    className: '__torch__.torch.classes.rnn.CellParamsBase',
    state: [kind, [], [], [1], [packedLinear(gates * 6, 8), packedLinear(gates * 6, 6)]],
  });
  const lstm = (x: GValue, params: Arg) => ({ op: 'aten::quantized_lstm', overload: 'input', args: [x, [tensorValue('float32', [1, 2, 6]), tensorValue('float32', [1, 2, 6])], [params], false, 1, 0, false, false, false], kwargs: { dtype: 12, use_dynamic: true } });

  it('read the hidden size from the packed weights of int8 dynamic cell parameters', () => {
    expect(infer(lstm(tensorValue('float32', [5, 2, 8]), cell('quantized_dynamic', 4)))[0]).toEqual({ kind: 'tensor', dtype: 'float32', shape: [5, 2, 6] });
    const gru = { op: 'aten::quantized_gru', overload: 'input', args: [tensorValue('float32', [2, 5, 8]), tensorValue('float32', [1, 2, 6]), [cell('quantized_dynamic', 3)], true, 1, 0, false, false, true] };
    expect(infer(gru)[0]).toEqual({ kind: 'tensor', dtype: 'float32', shape: [2, 5, 6] });
  });

  it('refuse other cell parameters and a sequence length known only at run time', () => {
    expect(codeOf(() => infer(lstm(tensorValue('float32', [5, 2, 8]), cell('quantized_fp16', 4))))).toBe('OP_UNSUPPORTED');
    expect(codeOf(() => infer(lstm(tensorValue('float32', ['T', 2, 8]), cell('quantized_dynamic', 4))))).toBe('OP_UNSUPPORTED');
  });
});

describe('quantized::embedding_byte', () => {
  const packed = (bitRate: number, dtype: 'quint8' | 'float32'): Arg => ({
    kind: 'torchbind',
    className: '__torch__.torch.classes.quantized.EmbeddingPackedParamsBase',
    state: [1, [tensorValue(dtype, [20, 6])], [], [bitRate]],
  });

  it('gives each index a row of the table, and refuses 4-bit rows and float indices', () => {
    const indices = tensorValue('int64', [2, 3]);
    expect(infer({ op: 'quantized::embedding_byte', args: [packed(8, 'quint8'), indices] })[0]).toEqual({ kind: 'tensor', dtype: 'float32', shape: [2, 3, 6] });
    expect(codeOf(() => infer({ op: 'quantized::embedding_byte', args: [packed(4, 'quint8'), indices] }))).toBe('OP_UNSUPPORTED');
    expect(codeOf(() => infer({ op: 'quantized::embedding_byte', args: [packed(8, 'quint8'), tensorValue('float32', [2])] }))).toBe('TRACE_TYPE');
  });
});
