/**
 * Padding: constant_pad_nd, pad (constant, reflect, replicate, circular) and the reflection_pad /
 * replication_pad ops. torch lists pads from the last dimension backwards (`[last_begin, last_end,
 * previous_begin, ...]`); ONNX Pad wants every begin in dimension order, then every end.
 */
import type { DType } from '../../archive/types.js';
import { PyFloat } from '../../archive/types.js';
import { fail } from '../../errors.js';
import { GValue, type Dim, type TensorType } from '../../trace/graph.js';
import { isFloating } from '../dtypes.js';
import { castTo, operand, shapeOf, tensorOf, type Operand } from '../helpers.js';
import { defineOps, type BoundArgs, type LowerContext, type OpDef } from '../registry.js';
import { derivedDim } from './pool.js';
import { freshDim, intListArg, shapeTensor, slice, type IntArg } from './shape.js';

export type PadMode = 'constant' | 'reflect' | 'replicate' | 'circular';

const ONNX_MODE: Record<Exclude<PadMode, 'circular'>, string> = { constant: 'constant', reflect: 'reflect', replicate: 'edge' };

/** Pads per dimension of the input, in dimension order (0 where torch gives none). */
export interface DimPads {
  readonly begins: IntArg[];
  readonly ends: IntArg[];
}

/** torch's pad list (last dimension first) as per-dimension begins and ends. */
function dimPads(op: string, pad: readonly IntArg[], rank: number): DimPads {
  if (pad.length % 2 !== 0) fail('TRACE_TYPE', `${op}: padding length must be divisible by 2, got ${pad.length}`);
  if (pad.length / 2 > rank) fail('TRACE_TYPE', `${op}: padding length ${pad.length} is too large for a tensor of rank ${rank}`);
  const begins: IntArg[] = Array(rank).fill(0);
  const ends: IntArg[] = Array(rank).fill(0);
  for (let i = 0; i < pad.length / 2; i++) {
    begins[rank - 1 - i] = pad[2 * i];
    ends[rank - 1 - i] = pad[2 * i + 1];
  }
  return { begins, ends };
}

function paddedDim(op: string, size: Dim, begin: IntArg, end: IntArg): Dim {
  if (typeof begin !== 'number' || typeof end !== 'number') return freshDim(op);
  const total = begin + end;
  if (total === 0) return size;
  if (typeof size !== 'number') return derivedDim(size, `pad${total}`);
  if (size + total < 0) fail('TRACE_TYPE', `${op}: padding [${begin}, ${end}] leaves a negative size for a dimension of ${size}`);
  return size + total;
}

/** Checks torch's limits for the non-constant modes (reflect needs pads smaller than the dimension). */
function checkModePads(op: string, mode: PadMode, shape: readonly Dim[], pads: DimPads): void {
  if (mode === 'constant') return;
  shape.forEach((size, d) => {
    for (const p of [pads.begins[d], pads.ends[d]]) {
      if (typeof p !== 'number' || typeof size !== 'number') continue;
      if (p < 0 && mode !== 'circular') fail('TRACE_TYPE', `${op}: negative padding ${p} is only supported in constant mode`);
      if (mode === 'reflect' && p >= size && p > 0) {
        fail('TRACE_TYPE', `${op}: padding size ${p} should be less than the corresponding input dimension ${size}`);
      }
      if (mode === 'circular' && p > size) fail('TRACE_TYPE', `${op}: circular padding ${p} is larger than the dimension ${size}`);
      if (mode === 'replicate' && p > 0 && size === 0) fail('TRACE_TYPE', `${op}: cannot replicate-pad an empty dimension`);
    }
  });
}

function paddedType(op: string, self: TensorType, pads: DimPads, mode: PadMode): TensorType {
  checkModePads(op, mode, self.shape, pads);
  return tensorOf(self.dtype, self.shape.map((size, d) => paddedDim(op, size, pads.begins[d], pads.ends[d])));
}

function knownPads(op: string, pads: readonly IntArg[]): number[] {
  if (pads.some((p) => typeof p !== 'number')) fail('OP_OPSET', `${op}: pads known only at run time need opset 11 or later`);
  return pads as number[];
}

function constantValue(op: string, value: Operand | undefined): number {
  if (value === undefined) return 0;
  if (value instanceof GValue) return fail('OP_OPSET', `${op}: a pad value known only at run time needs opset 11 or later`);
  return value instanceof PyFloat ? value.value : Number(value);
}

function isZero(value: Operand | undefined): boolean {
  return value === undefined || (!(value instanceof GValue) && constantValue('', value) === 0);
}

/**
 * ONNX Pad: attributes up to opset 10 (float tensors only: others go through float64 and back),
 * pads and constant value as inputs from 11.
 */
function padNode(ctx: LowerContext, op: string, x: string, dtype: DType, pads: DimPads, mode: Exclude<PadMode, 'circular'>, value?: Operand): string {
  const all = [...pads.begins, ...pads.ends];
  if (ctx.opset >= 11) {
    const inputs = [x, shapeTensor(ctx, all)];
    if (mode === 'constant' && !isZero(value)) inputs.push(operand(ctx, value as Operand, dtype));
    return ctx.b.op1('Pad', inputs, { mode: ONNX_MODE[mode] });
  }
  const attrs = { mode: ONNX_MODE[mode], pads: knownPads(op, all), ...(mode === 'constant' ? { value: { f: constantValue(op, value) } } : {}) };
  if (isFloating(dtype)) return ctx.b.op1('Pad', [x], attrs);
  const padded = ctx.b.op1('Pad', [castTo(ctx, x, dtype, 'float64')], attrs);
  return castTo(ctx, padded, 'float64', dtype);
}

/**
 * Circular padding as slices and concatenations, one dimension at a time. As in torch, negative
 * pads crop first and the wrapped parts come from the cropped core.
 */
function circularPad(ctx: LowerContext, op: string, x: string, pads: DimPads): string {
  const begins = knownPads(op, pads.begins);
  const ends = knownPads(op, pads.ends);
  const beyond = Number.MAX_SAFE_INTEGER;
  let y = x;
  begins.forEach((begin, d) => {
    const end = ends[d];
    const core = begin < 0 || end < 0 ? slice(ctx, y, [{ axis: d, start: Math.max(0, -begin), end: end < 0 ? end : beyond, step: 1 }]) : y;
    const parts = [
      ...(begin > 0 ? [slice(ctx, core, [{ axis: d, start: -begin, end: beyond, step: 1 }])] : []),
      core,
      ...(end > 0 ? [slice(ctx, core, [{ axis: d, start: 0, end, step: 1 }])] : []),
    ];
    y = parts.length === 1 ? core : ctx.b.op1('Concat', parts, { axis: d });
  });
  return y;
}

/** Pads `x` (a value of the given dtype and rank) the way torch's pad modes do. */
export function padTensor(ctx: LowerContext, op: string, x: string, dtype: DType, pads: DimPads, mode: PadMode, value?: Operand): string {
  if (mode === 'circular') return circularPad(ctx, op, x, pads);
  return padNode(ctx, op, x, dtype, pads, mode, value);
}

function padMode(op: string, mode: string): PadMode {
  if (mode === 'constant' || mode === 'reflect' || mode === 'replicate' || mode === 'circular') return mode;
  return fail('TRACE_TYPE', `${op}: unrecognised padding mode ${mode}`);
}

interface PadCall {
  readonly self: GValue;
  readonly pads: DimPads;
  readonly mode: PadMode;
  readonly value?: Operand;
}

function padOp(schemas: string[], read: (a: BoundArgs) => PadCall): OpDef {
  return {
    schemas,
    infer: (a) => {
      const c = read(a);
      return [paddedType(a.schema.name, c.self.tensor, c.pads, c.mode)];
    },
    lower: {
      2: (ctx, a) => {
        const c = read(a);
        return [padTensor(ctx, a.schema.name, ctx.input(c.self), c.self.tensor.dtype, c.pads, c.mode, c.value)];
      },
    },
  };
}

/** reflection_padNd / replication_padNd: the last `spatial` dims of an input with or without a batch dim. */
function fixedModePad(name: string, spatial: number, mode: PadMode): OpDef {
  const size = 2 * spatial;
  return padOp(
    [`aten::${name}(Tensor self, int[${size}] padding) -> Tensor`, `aten::${name}(Tensor self, SymInt[${size}] padding) -> Tensor`],
    (a) => {
      const self = a.tensor('self');
      const rank = shapeOf(self).length;
      if (rank !== spatial + 1 && rank !== spatial + 2) {
        fail('TRACE_TYPE', `aten::${name}: expected a ${spatial + 1}-D or ${spatial + 2}-D input, got ${rank}-D`);
      }
      const padding = intListArg(a, 'padding');
      if (padding.length !== size) fail('TRACE_TYPE', `aten::${name}: padding must have ${size} elements, got ${padding.length}`);
      return { self, pads: dimPads(`aten::${name}`, padding, rank), mode };
    },
  );
}

defineOps([
  padOp(
    [
      'aten::constant_pad_nd(Tensor self, int[] pad, Scalar value=0) -> Tensor',
      'aten::constant_pad_nd(Tensor self, SymInt[] pad, Scalar value=0) -> Tensor',
    ],
    (a) => {
      const self = a.tensor('self');
      return { self, pads: dimPads('aten::constant_pad_nd', intListArg(a, 'pad'), shapeOf(self).length), mode: 'constant', value: a.scalar('value') };
    },
  ),
  padOp(
    [
      'aten::pad(Tensor self, int[] pad, str mode="constant", float? value=None) -> Tensor',
      'aten::pad(Tensor self, SymInt[] pad, str mode="constant", float? value=None) -> Tensor',
    ],
    (a) => {
      const self = a.tensor('self');
      const mode = padMode('aten::pad', a.str('mode'));
      const value = a.isNone('value') ? undefined : a.scalar('value');
      if (mode !== 'constant' && !isZero(value)) fail('TRACE_TYPE', `aten::pad: padding mode "${mode}" doesn't take in value argument`);
      return { self, pads: dimPads('aten::pad', intListArg(a, 'pad'), shapeOf(self).length), mode, value };
    },
  ),
  fixedModePad('reflection_pad1d', 1, 'reflect'),
  fixedModePad('reflection_pad2d', 2, 'reflect'),
  fixedModePad('reflection_pad3d', 3, 'reflect'),
  fixedModePad('replication_pad1d', 1, 'replicate'),
  fixedModePad('replication_pad2d', 2, 'replicate'),
  fixedModePad('replication_pad3d', 3, 'replicate'),
]);
