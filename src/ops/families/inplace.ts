/**
 * Functional forms of writes: what `copy_`, `fill_`, `zero_` compute, and the scatters that put an
 * updated view back into its base (`x[:, 0] = y` updates the `select` view of x, then x itself).
 */
import { fail } from '../../errors.js';
import type { Dim } from '../../ir/torch-graph.js';
import { type BoundArgs, type IntArg, intArg, optIntArg, shapeOfValue } from '../args.js';
import { axis, castTo, onnxDtypeOf, operand, rankOf, shapeOf } from '../helpers.js';
import { unsqueeze } from '../opset.js';
import type { LowerContext, OpDef } from '../registry.js';

function sameAsSelf(a: BoundArgs) {
  return [a.tensor('self').type];
}

/** `src` broadcast to `self`'s shape and cast to its dtype. */
function fillLike(ctx: LowerContext, a: BoundArgs, valueName: 'src' | 'value'): string[] {
  const self = a.tensor('self');
  const dtype = onnxDtypeOf(self);
  const value = operand(ctx, a.scalar(valueName), dtype);
  return [ctx.b.op1('Expand', [value, shapeOfValue(ctx, self)])];
}

/** A 0-d or 1-d int64 ONNX value for a known or run-time int. */
function int64(ctx: LowerContext, v: IntArg): string {
  return typeof v === 'number' ? ctx.b.scalar('int64', v) : castTo(ctx, ctx.input(v), onnxDtypeOf(v), 'int64');
}

/**
 * Writes `src` into `self` at positions start, start+step, ... along `dim`: indices from Range,
 * broadcast to src's shape, then ScatterElements.
 */
function sliceScatter(ctx: LowerContext, self: string, src: string, rank: number, dim: number, startName: string, step: IntArg): string {
  const srcShape = ctx.b.op1('Shape', [src]);
  const count = ctx.b.op1('Gather', [srcShape, ctx.b.scalar('int64', dim)], { axis: 0 });
  const stepName = int64(ctx, step);
  const end = ctx.b.op1('Add', [startName, ctx.b.op1('Mul', [count, stepName])]);
  const positions = ctx.b.op1('Range', [startName, end, stepName]);
  const broadcastShape = Array.from({ length: rank }, (_, i) => (i === dim ? -1 : 1));
  const shaped = ctx.b.op1('Reshape', [positions, ctx.b.int64s(broadcastShape)]);
  const indices = ctx.b.op1('Expand', [shaped, srcShape]);
  return ctx.b.op1('ScatterElements', [self, indices, src], { axis: dim });
}

function staticDim(d: Dim | undefined, what: string): number {
  if (typeof d !== 'number') return fail('TRACE_UNSUPPORTED', `${what} needs a static size along the written dimension`);
  return d;
}

export const inplaceOps: readonly OpDef[] = [
  {
    schemas: ['aten::copy(Tensor self, Tensor src, bool non_blocking=False) -> Tensor'],
    infer: sameAsSelf,
    lower: { 8: (ctx, a) => fillLike(ctx, a, 'src') },
  },
  {
    schemas: ['aten::fill.Scalar(Tensor self, Scalar value) -> Tensor', 'aten::fill.Tensor(Tensor self, Tensor value) -> Tensor'],
    infer: sameAsSelf,
    lower: { 8: (ctx, a) => fillLike(ctx, a, 'value') },
  },
  {
    schemas: ['aten::zero(Tensor self) -> Tensor'],
    infer: sameAsSelf,
    lower: {
      8: (ctx, a) => {
        const self = a.tensor('self');
        return [ctx.b.op1('Expand', [ctx.b.scalar(onnxDtypeOf(self), 0), shapeOfValue(ctx, self)])];
      },
    },
  },
  {
    schemas: ['aten::slice_scatter(Tensor self, Tensor src, int dim=0, SymInt? start=None, SymInt? end=None, SymInt step=1) -> Tensor'],
    infer: sameAsSelf,
    lower: {
      11: (ctx, a) => {
        const self = a.tensor('self');
        const src = a.tensor('src');
        const dim = axis(a.int('dim'), rankOf(self));
        let start = optIntArg(a, 'start') ?? 0;
        if (typeof start === 'number' && start < 0) start += staticDim(shapeOf(self)[dim], 'slice assignment');
        const srcName = castTo(ctx, ctx.input(src), onnxDtypeOf(src), onnxDtypeOf(self));
        return [sliceScatter(ctx, ctx.input(self), srcName, rankOf(self), dim, int64(ctx, start), intArg(a, 'step'))];
      },
    },
  },
  {
    schemas: ['aten::select_scatter(Tensor self, Tensor src, int dim, int index) -> Tensor'],
    infer: sameAsSelf,
    lower: {
      11: (ctx, a) => {
        const self = a.tensor('self');
        const src = a.tensor('src');
        const dim = axis(a.int('dim'), rankOf(self));
        const index = intArg(a, 'index');
        const size = shapeOf(self)[dim];
        let indexName: string;
        if (typeof index === 'number' && (index >= 0 || typeof size === 'number')) indexName = int64(ctx, index < 0 ? index + (size as number) : index);
        else {
          // A run-time (or negative) index counts from the end when negative: Python's modulo by the size.
          const sizeName = ctx.b.op1('Gather', [ctx.b.op1('Shape', [ctx.input(self)]), ctx.b.scalar('int64', dim)], { axis: 0 });
          indexName = ctx.b.op1('Mod', [int64(ctx, index), sizeName]);
        }
        const srcName = unsqueeze(ctx, castTo(ctx, ctx.input(src), onnxDtypeOf(src), onnxDtypeOf(self)), [dim]);
        return [sliceScatter(ctx, ctx.input(self), srcName, rankOf(self), dim, indexName, 1)];
      },
    },
  },
];

