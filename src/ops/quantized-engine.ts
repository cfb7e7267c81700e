/**
 * The quantized engine whose integer arithmetic a conversion reproduces (PyTorch's
 * `torch.backends.quantized.engine` when the model ran). It belongs to the PyTorch run, not to the
 * archive: every engine writes the same packed-params state (the unpacked int8 weight, the float
 * bias, the conv config), so the archive cannot tell which engine its outputs came from.
 *
 * - `qnnpack`: PyTorch's QNNPACK kernels (phones, and any engine=qnnpack run): int32 bias inside
 *   the conv/linear sum; quantized::add in QNNPACK's fixed point; global average pooling and mean
 *   over the spatial dims as the integer sum times a float multiplier, rounded half to even.
 * - `onednn`: PyTorch 2.x's oneDNN conv/linear kernels (oneDNN 3.x; the x86 engine of builds without
 *   FBGEMM), with PyTorch's native kernels for every other op: the int32 sum times input scale x
 *   weight scale, plus the float bias, times 1/output scale, plus the output zero point, each step in
 *   float32; quantized::add on values dequantized with a fused multiply-add; channels-last global
 *   average pooling by the integer sum times 1/count.
 * - `onednn-torch1`: the same engine as PyTorch 1.x computes it (oneDNN 2.x): conv/linear add the
 *   float bias and the output zero point in oneDNN 2's float steps on reciprocal scales; the other ops
 *   as `onednn`.
 */
import { fail } from '../errors.js';

export const QUANTIZED_ENGINES = ['qnnpack', 'onednn', 'onednn-torch1'] as const;
export type QuantizedEngine = (typeof QUANTIZED_ENGINES)[number];
/** What each engine is, for --help. */
export const QUANTIZED_ENGINE_USES: Readonly<Record<QuantizedEngine, string>> = {
  qnnpack: 'phones, and engine=qnnpack runs',
  onednn: 'x86 onednn as PyTorch 2.x computes it',
  'onednn-torch1': 'x86 onednn as PyTorch 1.x computes it',
};
/** Phones' engine, whose integers are the same on every CPU. */
export const DEFAULT_QUANTIZED_ENGINE: QuantizedEngine = 'qnnpack';

/** Whether `engine` is one of PyTorch's oneDNN arithmetics (they differ in conv/linear requantization only). */
export function isOnednn(engine: QuantizedEngine): boolean {
  return engine === 'onednn' || engine === 'onednn-torch1';
}

/**
 * Whether ops an archive calls (`aten::quantize_per_tensor`, `quantized::conv2d_relu`) include static quantization,
 * whose integers depend on the engine PyTorch ran: quantizing to a tensor, or a quantized:: op on quantized tensors.
 * Dynamic quantization's ops (float in, float out) and the packing calls computed while converting do not.
 */
export function callsEngineArithmetic(ops: readonly string[]): boolean {
  return ops.some((op) => op === 'aten::quantize_per_tensor' || op === 'aten::quantize_per_channel' ||
    (op.startsWith('quantized::') && !/_dynamic(_fp16)?$|_prepack$|_unpack$/.test(op)));
}

/** Engines PyTorch has whose arithmetic tsonnx does not reproduce (they could not be measured). */
const UNMEASURED_ENGINES: Readonly<Record<string, string>> = {
  fbgemm: 'FBGEMM',
  x86: 'the x86 engine (FBGEMM or oneDNN per layer, chosen by the CPU)',
};

/** The engine named `name` (`what`: the option's name in messages); OPTION_INVALID, listing the choices, for any other. */
export function parseQuantizedEngine(name: unknown, what = 'quantized engine'): QuantizedEngine {
  if ((QUANTIZED_ENGINES as readonly unknown[]).includes(name)) return name as QuantizedEngine;
  const choices = `choose ${QUANTIZED_ENGINES.slice(0, -1).join(', ')} or ${QUANTIZED_ENGINES[QUANTIZED_ENGINES.length - 1]}`;
  if (typeof name === 'string' && name in UNMEASURED_ENGINES) {
    return fail('OPTION_INVALID', `${what} ${name}: ${UNMEASURED_ENGINES[name]}'s arithmetic is not reproduced (the PyTorch builds tsonnx is tested with have no such engine); ${choices}`);
  }
  return fail('OPTION_INVALID', `${what} ${JSON.stringify(name)} is not known; ${choices}`);
}
