/**
 * Packed quantized weights both quantized families read: a LinearPackedParamsBase object's weight and
 * bias, and the scales and zero points a stored quantized weight carries.
 */
import { tensorValues } from '../archive/tensor-data.js';
import type { TensorRef } from '../archive/types.js';
import { fail } from '../errors.js';
import { GValue, type TorchbindArg } from '../ir/torch-graph.js';
import type { BoundArgs } from './args.js';
import { shapeOf } from './helpers.js';
import type { LowerContext } from './registry.js';

export const PACKED_LINEAR = '__torch__.torch.classes.quantized.LinearPackedParamsBase';

export interface PackedLinear {
  readonly weight: GValue;
  readonly bias?: GValue;
}

/** The packed params' pickled state is `(qweight, bias)`. */
export function packedLinear(a: BoundArgs): PackedLinear {
  return packedLinearOf(a.schema.name, a.torchbind('W_prepack'));
}

/** A LinearPackedParamsBase object's weight and bias (`op` names the op reading it, for errors). */
export function packedLinearOf(op: string, packed: TorchbindArg): PackedLinear {
  const state = packed.state;
  const [weight, bias] = Array.isArray(state) ? state : [];
  if (packed.className !== PACKED_LINEAR || !(weight instanceof GValue) || weight.type.kind !== 'tensor' || (bias !== null && !(bias instanceof GValue))) {
    return fail('TRACE_TYPE', `${op}: ${packed.className} state is not (weight, bias)`);
  }
  if (weight.tensor.dtype !== 'qint8') fail('OP_UNSUPPORTED', `${op}: weights of dtype ${weight.tensor.dtype} are not supported (qint8 only)`);
  if (shapeOf(weight).length !== 2) fail('TRACE_TYPE', `${op}: the packed weight must be 2-D`);
  return { weight, bias: bias ?? undefined };
}

export interface WeightQuantization {
  /** One scale, or one per output channel. */
  readonly scales: number[];
  readonly zeroPoints: number[];
}

export function numbers(ref: TensorRef): number[] {
  return Array.from(tensorValues(ref) as ArrayLike<number | bigint>, Number);
}

export function weightQuantization(ctx: LowerContext, op: string, weight: GValue): WeightQuantization {
  const quant = ctx.parameter?.(weight)?.quant;
  if (!quant) return fail('OP_UNSUPPORTED', `${op}: the quantized weight has no stored scale`);
  switch (quant.scheme) {
    case 'per_tensor_affine':
    case 'per_tensor_symmetric':
      return { scales: [quant.scale ?? 1], zeroPoints: [quant.zeroPoint ?? 0] };
    case 'per_channel_affine':
    case 'per_channel_symmetric':
      if (!quant.scales || !quant.zeroPoints) return fail('OP_UNSUPPORTED', `${op}: per-channel weight scales are missing`);
      if ((quant.axis ?? 0) !== 0) fail('OP_UNSUPPORTED', `${op}: weights quantized along axis ${quant.axis} are not supported`);
      return { scales: numbers(quant.scales), zeroPoints: numbers(quant.zeroPoints) };
    default:
      return fail('OP_UNSUPPORTED', `${op}: weight quantization scheme ${quant.scheme} is not supported`);
  }
}
