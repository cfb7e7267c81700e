/** Small pieces most op families need: shape rules, operand casting, axis normalisation. */
import { type DType, PyFloat } from '../archive/types.js';
import { fail } from '../errors.js';
import { ONNX_DTYPE } from '../ir/onnx-graph.js';
import { type Dim, GValue, type TensorType } from '../ir/torch-graph.js';
import { type Operand, resultType } from './dtypes.js';
import type { LowerContext } from './registry.js';

export function tensorOf(dtype: DType, shape: readonly Dim[]): TensorType {
  return { kind: 'tensor', dtype, shape };
}

/** The ONNX dtype a graph value has (symbolic Python numbers are 0-d int64/float64/bool). */
export function onnxDtypeOf(v: GValue): DType {
  const t = v.type;
  if (t.kind === 'tensor') return t.dtype;
  if (t.kind === 'sequence') return t.element.dtype;
  return t.scalar === 'int' ? 'int64' : t.scalar === 'float' ? 'float64' : 'bool';
}

export function shapeOf(v: GValue): readonly Dim[] {
  const t = v.type;
  return t.kind === 'tensor' ? t.shape : [];
}

export function rankOf(v: GValue): number {
  return shapeOf(v).length;
}

/** Normalises a possibly negative axis against a rank; a 0-d tensor takes 0 and -1, as torch's maybe_wrap_dim. */
export function axis(dim: number, rank: number): number {
  const d = dim < 0 ? dim + Math.max(rank, 1) : dim;
  if (d < 0 || d >= Math.max(rank, 1)) fail('TRACE_TYPE', `dimension ${dim} out of range for a tensor of rank ${rank}`);
  return d;
}

function sameDim(a: Dim, b: Dim): boolean {
  return a === b;
}

/** Numpy broadcasting; symbolic dims broadcast against 1 and against themselves. */
export function broadcastShapes(...shapes: ReadonlyArray<readonly Dim[]>): Dim[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let dim: Dim = 1;
    for (const s of shapes) {
      const d = s[s.length - rank + i];
      if (d === undefined || d === 1) continue;
      if (dim === 1) dim = d;
      else if (!sameDim(dim, d)) {
        if (typeof dim === 'number' && typeof d === 'number') {
          fail('TRACE_TYPE', `shapes [${shapes.map((x) => x.join(',')).join('] and [')}] do not broadcast`);
        }
        dim = typeof dim === 'number' ? d : dim;
      }
    }
    out.push(dim);
  }
  return out;
}

/** Element-wise result type of tensors and scalars, per torch's promotion rules. */
export function elementwiseType(operands: readonly Operand[], dtype?: DType): TensorType {
  const shapes = operands.filter((o): o is GValue => o instanceof GValue).map(shapeOf);
  return tensorOf(dtype ?? resultType(operands), broadcastShapes(...shapes));
}

/** Two sizes that cannot be equal: both static and different (a symbolic size may match anything). */
export function knownDifferent(x: Dim | undefined, y: Dim | undefined): boolean {
  return typeof x === 'number' && typeof y === 'number' && x !== y;
}

/** Product of static dims, or undefined if any is symbolic. */
export function numel(shape: readonly Dim[]): number | undefined {
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number') return undefined;
    n *= d;
  }
  return n;
}

/** An operand as an ONNX value of the given dtype: scalars become constants, tensors are cast if needed. */
export function operand(ctx: LowerContext, o: Operand, dtype: DType): string {
  if (o instanceof GValue) return castTo(ctx, ctx.input(o), onnxDtypeOf(o), dtype);
  const value = o instanceof PyFloat ? o.value : typeof o === 'boolean' ? (o ? 1 : 0) : o;
  return ctx.b.scalar(dtype, value);
}

/** A tensor argument under the name PyTorch's messages give it (`weight`, `index`); absent optional ones are undefined. */
export type NamedTensor = readonly [name: string, value: GValue | undefined];

/**
 * PyTorch refuses these operands unless they share one dtype (convolution weights, matrix product
 * operands, norm parameters). Fails with its wording: "Input type (int64) and weight type (float32)
 * should be the same".
 */
export function requireSameDtype(op: string, first: NamedTensor, ...others: readonly NamedTensor[]): void {
  const [firstName, firstValue] = first;
  if (!firstValue) return;
  const expected = firstValue.tensor.dtype;
  for (const [name, value] of others) {
    if (value && value.tensor.dtype !== expected) {
      fail('TRACE_TYPE', `${op}: ${firstName} type (${expected}) and ${name} type (${value.tensor.dtype}) should be the same`);
    }
  }
}

/** PyTorch accepts only these dtypes for an argument (index tensors, conditions): "index must be int64 or int32, got float32". */
export function requireDtype(op: string, [name, value]: NamedTensor, allowed: readonly DType[]): void {
  if (!value || allowed.includes(value.tensor.dtype)) return;
  const expected = allowed.length === 1 ? allowed[0] : `${allowed.slice(0, -1).join(', ')} or ${allowed[allowed.length - 1]}`;
  fail('TRACE_TYPE', `${op}: ${name} must be ${expected}, got ${value.tensor.dtype}`);
}

/**
 * PyTorch refuses an operand whose shape differs from what the op needs (recurrent weights and
 * states): "weight_hh has shape [20, 5], expected [20, 6]". An undefined or symbolic dim matches any size.
 */
export function requireShape(op: string, [name, value]: NamedTensor, expected: readonly (Dim | undefined)[]): void {
  if (!value) return;
  const shape = shapeOf(value);
  if (shape.length === expected.length && shape.every((d, i) => !knownDifferent(d, expected[i]))) return;
  const show = (dims: readonly (Dim | undefined)[]) => `[${dims.map((d) => (typeof d === 'number' ? d : '?')).join(', ')}]`;
  fail('TRACE_TYPE', `${op}: ${name} has shape ${show(shape)}, expected ${show(expected)}`);
}

export function castTo(ctx: LowerContext, name: string, from: DType, to: DType): string {
  if (from === to) return name;
  return ctx.b.op1('Cast', [name], { to: ONNX_DTYPE[to] });
}
