/**
 * Padding: constant_pad_nd, pad (constant, reflect, replicate, circular) and the reflection_pad /
 * replication_pad ops. torch lists pads from the last dimension backwards (`[last_begin, last_end,
 * previous_begin, ...]`); ONNX Pad wants every begin in dimension order, then every end.
 */
import { fail } from '../../errors.js';
import type { Dim, GValue, TensorType } from '../../ir/torch-graph.js';
import { type BoundArgs, derivedDim, type IntArg, intListArg } from '../args.js';
import { type DimPads, isZero, type PadMode, padTensor } from '../builders.js';
import type { Operand } from '../dtypes.js';
import { shapeOf, tensorOf } from '../helpers.js';
import type { OpDef } from '../registry.js';

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

function paddedDim(a: BoundArgs, op: string, size: Dim, begin: IntArg, end: IntArg): Dim {
  if (typeof begin !== 'number' || typeof end !== 'number') return a.freshDim(op);
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

function paddedType(a: BoundArgs, op: string, self: TensorType, pads: DimPads, mode: PadMode): TensorType {
  checkModePads(op, mode, self.shape, pads);
  return tensorOf(self.dtype, self.shape.map((size, d) => paddedDim(a, op, size, pads.begins[d], pads.ends[d])));
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
      return [paddedType(a, a.schema.name, c.self.tensor, c.pads, c.mode)];
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

export const padOps: readonly OpDef[] = [
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
  // What F.pad(mode="circular") called before PyTorch 1.13 made it aten::pad; older archives still do.
  padOp(
    ['aten::_pad_circular(Tensor self, int[] pad) -> Tensor', 'aten::_pad_circular(Tensor self, SymInt[] pad) -> Tensor'],
    (a) => {
      const self = a.tensor('self');
      return { self, pads: dimPads('aten::_pad_circular', intListArg(a, 'pad'), shapeOf(self).length), mode: 'circular' };
    },
  ),
  fixedModePad('reflection_pad1d', 1, 'reflect'),
  fixedModePad('reflection_pad2d', 2, 'reflect'),
  fixedModePad('reflection_pad3d', 3, 'reflect'),
  fixedModePad('replication_pad1d', 1, 'replicate'),
  fixedModePad('replication_pad2d', 2, 'replicate'),
  fixedModePad('replication_pad3d', 3, 'replicate'),
];
