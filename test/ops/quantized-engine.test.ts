/** Which archives the quantized engine matters for: static quantization, not dynamic quantization's float ops. */
import { describe, expect, it } from 'vitest';
import { callsEngineArithmetic } from '../../src/ops/quantized-engine.js';

describe('callsEngineArithmetic', () => {
  it('is true for static quantization: quantizing to a tensor, or quantized ops on quantized tensors', () => {
    expect(callsEngineArithmetic(['aten::quantize_per_tensor', 'aten::dequantize'])).toBe(true);
    expect(callsEngineArithmetic(['aten::quantize_per_channel'])).toBe(true);
    expect(callsEngineArithmetic(['quantized::conv2d_relu'])).toBe(true);
    expect(callsEngineArithmetic(['quantized::add'])).toBe(true);
  });

  it('is false for float models, dynamic quantization and the packing calls computed while converting', () => {
    expect(callsEngineArithmetic([])).toBe(false);
    expect(callsEngineArithmetic(['aten::conv2d', 'aten::relu'])).toBe(false);
    expect(callsEngineArithmetic(['quantized::linear_dynamic', 'quantized::linear_relu_dynamic', 'quantized::linear_dynamic_fp16'])).toBe(false);
    expect(callsEngineArithmetic(['aten::quantized_lstm', 'quantized::linear_prepack', 'quantized::conv2d_unpack'])).toBe(false);
  });
});
