/** Linear algebra: linear, matrix products (with numpy's 1-D promotion), transposes and einsum. */
import { type DType, PyFloat } from '../../archive/types.js';
import { fail } from '../../errors.js';
import { type Dim, GValue, type ValueType } from '../../ir/torch-graph.js';
import type { BoundArgs } from '../args.js';
import { broadcastShapes, castTo, type NamedTensor, rankOf, requireSameDtype, shapeOf, tensorOf } from '../helpers.js';
import { reduce, reshape, transpose } from '../opset.js';
import type { LowerContext, OpDef } from '../registry.js';

/** Element types MatMul and Gemm accept, with the opset that added them. */
const PRODUCT_DTYPES: Partial<Record<DType, number>> = {
  float16: 7, float32: 7, float64: 7, int32: 9, int64: 9, bfloat16: 13,
};

function checkProductType(ctx: LowerContext, op: string, dtype: DType): void {
  const since = PRODUCT_DTYPES[dtype];
  if (since === undefined) fail('OP_UNSUPPORTED', `${op} on ${dtype} tensors has no ONNX matrix product`);
  if (ctx.opset < since) fail('OP_OPSET', `${op} on ${dtype} tensors needs opset ${since} or later`);
}

function sameSize(op: string, a: Dim, b: Dim): void {
  if (typeof a === 'number' && typeof b === 'number' && a !== b) {
    fail('TRACE_TYPE', `${op}: inner dimensions ${a} and ${b} do not match`);
  }
}

/** torch.matmul / numpy matmul: a 1-D operand gets a dimension of 1 that is removed afterwards. */
function matmulShape(op: string, a: readonly Dim[], b: readonly Dim[]): Dim[] {
  if (a.length === 0 || b.length === 0) fail('TRACE_TYPE', `${op}: both arguments must have at least one dimension`);
  const lhs = a.length === 1 ? [1, a[0]] : a;
  const rhs = b.length === 1 ? [b[0], 1] : b;
  sameSize(op, lhs[lhs.length - 1], rhs[rhs.length - 2]);
  const out = broadcastShapes(lhs.slice(0, -2), rhs.slice(0, -2));
  if (a.length > 1) out.push(lhs[lhs.length - 2]);
  if (b.length > 1) out.push(rhs[rhs.length - 1]);
  return out;
}

/** matmul, mm and bmm: both operands in one dtype (torch does not promote matrix products). */
function productShape(a: BoundArgs, second: 'other' | 'mat2', rank?: number): Dim[] {
  const op = a.schema.name;
  const self = a.tensor('self');
  const other = a.tensor(second);
  requireSameDtype(op, ['self', self], [second, other]);
  if (rank === undefined) return matmulShape(op, shapeOf(self), shapeOf(other));
  return matmulShape(op, fixedRank(op, self, rank, 'self'), fixedRank(op, other, rank, second));
}

function fixedRank(op: string, v: GValue, rank: number, name: string): readonly Dim[] {
  const shape = shapeOf(v);
  if (shape.length !== rank) fail('TRACE_TYPE', `${op}: ${name} must be ${rank}-D, got ${shape.length}-D`);
  return shape;
}

function matMul(ctx: LowerContext, op: string, a: GValue, b: GValue): string {
  checkProductType(ctx, op, a.tensor.dtype);
  return ctx.b.op1('MatMul', [ctx.input(a), ctx.input(b)]);
}

function transpose2d(ctx: LowerContext, x: string): string {
  return ctx.b.op1('Transpose', [x], { perm: [1, 0] });
}

/** alpha/beta of addmm and baddbmm: a number known at conversion time. */
function coefficient(a: BoundArgs, name: string): number {
  const v = a.scalar(name);
  if (v instanceof GValue) return fail('TRACE_UNSUPPORTED', `${a.schema.name}: ${name} must be known at conversion time`);
  return v instanceof PyFloat ? v.value : Number(v);
}

function scaled(ctx: LowerContext, x: string, factor: number, dtype: DType): string {
  return factor === 1 ? x : ctx.b.op1('Mul', [x, ctx.b.scalar(dtype, factor)]);
}

function linearShape(a: BoundArgs): Dim[] {
  requireSameDtype('aten::linear', ['input', a.tensor('input')], ['weight', a.tensor('weight')], ['bias', a.optTensor('bias')]);
  const weight = shapeOf(a.tensor('weight'));
  if (weight.length !== 1 && weight.length !== 2) fail('TRACE_TYPE', `aten::linear: weight must be 1-D or 2-D, got ${weight.length}-D`);
  const transposed = weight.length === 2 ? [weight[1], weight[0]] : weight;
  const out = matmulShape('aten::linear', shapeOf(a.tensor('input')), transposed);
  const bias = a.optTensor('bias');
  return bias ? broadcastShapes(out, shapeOf(bias)) : out;
}

/** PyTorch's choice: Gemm for a 2-D input with a bias, otherwise MatMul with the transposed weight (+ Add). */
function lowerLinear(ctx: LowerContext, a: BoundArgs): string[] {
  const input = a.tensor('input');
  const weight = a.tensor('weight');
  const bias = a.optTensor('bias');
  checkProductType(ctx, 'aten::linear', input.tensor.dtype);
  const x = ctx.input(input);
  const w = ctx.input(weight);
  if (rankOf(input) === 2 && rankOf(weight) === 2 && bias) {
    return [ctx.b.op1('Gemm', [x, w, ctx.input(bias)], { transB: 1 })];
  }
  const y = ctx.b.op1('MatMul', [x, rankOf(weight) === 2 ? transpose2d(ctx, w) : w]);
  return [bias ? ctx.b.op1('Add', [y, ctx.input(bias)]) : y];
}

// ---- einsum ----

interface EinsumPlan {
  /** The equation with an explicit output, as ONNX Einsum reads it unambiguously. */
  readonly equation: string;
  readonly shape: Dim[];
}

const ELLIPSIS = '...';

/**
 * Output subscripts and shape of an einsum. Implicit output (no `->`) is the broadcast ellipsis
 * followed by the labels used once, sorted (uppercase before lowercase, as torch orders them).
 */
function planEinsum(op: string, equation: string, shapes: ReadonlyArray<readonly Dim[]>): EinsumPlan {
  const compact = equation.replace(/\s+/g, '');
  const [lhs, explicitOutput] = compact.split('->');
  const terms = lhs.split(',');
  if (terms.length !== shapes.length) fail('TRACE_TYPE', `${op}: "${equation}" names ${terms.length} operands, got ${shapes.length}`);
  const sizes = new Map<string, Dim>();
  const uses = new Map<string, number>();
  const ellipsisShapes: Dim[][] = [];
  terms.forEach((term, t) => {
    const shape = shapes[t];
    const labels = term.replace(ELLIPSIS, '');
    if (!/^[a-zA-Z]*$/.test(labels)) fail('TRACE_TYPE', `${op}: invalid subscripts "${term}" in "${equation}"`);
    const ellipsisRank = term.includes(ELLIPSIS) ? shape.length - labels.length : 0;
    if (ellipsisRank < 0 || (!term.includes(ELLIPSIS) && labels.length !== shape.length)) {
      fail('TRACE_TYPE', `${op}: subscripts "${term}" do not fit an operand of rank ${shape.length}`);
    }
    let dim = 0;
    for (let c = 0; c < term.length; c++) {
      if (term.startsWith(ELLIPSIS, c)) {
        ellipsisShapes.push([...shape.slice(dim, dim + ellipsisRank)]);
        dim += ellipsisRank;
        c += ELLIPSIS.length - 1;
        continue;
      }
      const label = term[c];
      const size = shape[dim++];
      const known = sizes.get(label);
      // Size-1 dimensions broadcast against the label's other occurrences.
      if (known === undefined || known === 1) sizes.set(label, size);
      else if (size !== 1) sameSize(op, known, size);
      uses.set(label, (uses.get(label) ?? 0) + 1);
    }
  });
  const output =
    explicitOutput ??
    (ellipsisShapes.length ? ELLIPSIS : '') +
      [...uses].filter(([, n]) => n === 1).map(([label]) => label).sort().join('');
  const shape: Dim[] = [];
  for (let c = 0; c < output.length; c++) {
    if (output.startsWith(ELLIPSIS, c)) {
      shape.push(...broadcastShapes(...ellipsisShapes));
      c += ELLIPSIS.length - 1;
      continue;
    }
    const size = sizes.get(output[c]);
    if (size === undefined) fail('TRACE_TYPE', `${op}: output label "${output[c]}" does not appear in the inputs of "${equation}"`);
    shape.push(size);
  }
  return { equation: `${lhs}->${output}`, shape };
}

function einsumPlan(a: BoundArgs): EinsumPlan {
  const [first, ...rest] = a.tensors('tensors');
  requireSameDtype(a.schema.name, ['operand 0', first], ...rest.map((t, i): NamedTensor => [`operand ${i + 1}`, t]));
  return planEinsum(a.schema.name, a.str('equation'), a.tensors('tensors').map(shapeOf));
}

/** The product of known sizes; undefined when one is known only at run time. */
function knownProduct(sizes: readonly Dim[]): number | undefined {
  let product = 1;
  for (const size of sizes) {
    if (typeof size !== 'number') return undefined;
    product *= size;
  }
  return product;
}

/**
 * Einsum before opset 12 (where ONNX Einsum starts) for two operands, as torch.einsum computes it: labels
 * one operand alone has and the output lacks are summed out, then each operand is permuted to (batch, free,
 * contracted) labels, grouped into one batched matrix product (MatMul), and the result permuted to the
 * output's order. Repeated labels (diagonals), an ellipsis and size-1 broadcasting still need Einsum.
 */
function lowerEinsumAsMatMul(ctx: LowerContext, a: BoundArgs): string[] {
  const op = 'aten::einsum';
  const operands = a.tensors('tensors');
  const { equation } = einsumPlan(a);
  const needsEinsum = (why: string): never => fail('OP_OPSET', `${op} "${a.str('equation')}" ${why} needs opset 12 or later (ONNX Einsum)`);
  const [lhs, output] = equation.split('->');
  const terms = lhs.split(',');
  if (terms.length !== 2) needsEinsum(`with ${terms.length} operands`);
  if (equation.includes(ELLIPSIS)) needsEinsum('with an ellipsis');
  if ([...terms, output].some((t) => new Set(t).size !== t.length)) needsEinsum('with a repeated subscript');
  checkProductType(ctx, op, operands[0].tensor.dtype);
  const shapes = operands.map(shapeOf);
  const sizes = new Map<string, Dim>();
  terms.forEach((term, i) => [...term].forEach((label, d) => {
    if (sizes.has(label) && sizes.get(label) !== shapes[i][d]) needsEinsum('broadcasting a size-1 subscript');
    sizes.set(label, shapes[i][d]);
  }));
  const sizeOf = (label: string): Dim => sizes.get(label) as Dim;
  // Labels of one operand alone that the output drops are summed out first.
  const inputs = operands.map((operand, i) => {
    const term = terms[i];
    const summed = [...term].filter((l) => !terms[1 - i].includes(l) && !output.includes(l));
    const x = ctx.input(operand);
    if (!summed.length) return x;
    terms[i] = [...term].filter((l) => !summed.includes(l)).join('');
    return reduce(ctx, 'ReduceSum', x, summed.map((l) => term.indexOf(l)), false);
  });
  const [left, right] = terms;
  const batch = [...output].filter((l) => left.includes(l) && right.includes(l));
  const contracted = [...left].filter((l) => right.includes(l) && !output.includes(l));
  const leftFree = [...left].filter((l) => !right.includes(l));
  const rightFree = [...right].filter((l) => !left.includes(l));
  /** Permutes an operand to `order` and, unless its two groups are single labels, reshapes them to one dim each. */
  const arrange = (x: string, term: string, rows: string[], columns: string[]): string => {
    const order = [...batch, ...rows, ...columns];
    const permuted = transpose(ctx, x, order.map((l) => term.indexOf(l)));
    if (rows.length === 1 && columns.length === 1) return permuted;
    const grouped = [knownProduct(rows.map(sizeOf)), knownProduct(columns.map(sizeOf))];
    if (grouped.some((n) => n === undefined)) needsEinsum('grouping subscripts of sizes known only at run time');
    // 0 copies the input's dim: the batch dims stay as they are.
    return reshape(ctx, permuted, ctx.b.int64s([...batch.map(() => 0), ...(grouped as number[])]));
  };
  const product = ctx.b.op1('MatMul', [arrange(inputs[0], left, leftFree, contracted), arrange(inputs[1], right, contracted, rightFree)]);
  let result = product;
  if (leftFree.length !== 1 || rightFree.length !== 1) {
    const freeSizes = [...leftFree, ...rightFree].map(sizeOf);
    if (freeSizes.some((n) => typeof n !== 'number')) needsEinsum('with free subscripts of sizes known only at run time');
    result = reshape(ctx, product, ctx.b.int64s([...batch.map(() => 0), ...(freeSizes as number[])]));
  }
  const produced = [...batch, ...leftFree, ...rightFree];
  return [transpose(ctx, result, [...output].map((l) => produced.indexOf(l)))];
}

export const linearOps: readonly OpDef[] = [
  {
    schemas: ['aten::linear(Tensor input, Tensor weight, Tensor? bias=None) -> Tensor'],
    infer: (a) => [tensorOf(a.tensor('input').tensor.dtype, linearShape(a))],
    lower: { 7: lowerLinear },
  },
  {
    schemas: ['aten::matmul(Tensor self, Tensor other) -> Tensor'],
    infer: (a) => [tensorOf(a.tensor('self').tensor.dtype, productShape(a, 'other'))],
    lower: { 7: (ctx, a) => [matMul(ctx, 'aten::matmul', a.tensor('self'), a.tensor('other'))] },
  },
  {
    schemas: ['aten::mm(Tensor self, Tensor mat2) -> Tensor'],
    infer: (a) => [tensorOf(a.tensor('self').tensor.dtype, productShape(a, 'mat2', 2))],
    lower: { 7: (ctx, a) => [matMul(ctx, 'aten::mm', a.tensor('self'), a.tensor('mat2'))] },
  },
  {
    schemas: ['aten::bmm(Tensor self, Tensor mat2) -> Tensor'],
    infer: (a) => [tensorOf(a.tensor('self').tensor.dtype, productShape(a, 'mat2', 3))],
    lower: { 7: (ctx, a) => [matMul(ctx, 'aten::bmm', a.tensor('self'), a.tensor('mat2'))] },
  },
  {
    schemas: ['aten::addmm(Tensor self, Tensor mat1, Tensor mat2, *, Scalar beta=1, Scalar alpha=1) -> Tensor'],
    infer: (a) => {
      // torch refuses a self of another dtype here (baddbmm casts it).
      requireSameDtype('aten::addmm', ['mat1', a.tensor('mat1')], ['mat2', a.tensor('mat2')], ['self', a.tensor('self')]);
      const mat1 = fixedRank('aten::addmm', a.tensor('mat1'), 2, 'mat1');
      const mat2 = fixedRank('aten::addmm', a.tensor('mat2'), 2, 'mat2');
      const product = matmulShape('aten::addmm', mat1, mat2);
      return [tensorOf(a.tensor('mat1').tensor.dtype, broadcastShapes(product, shapeOf(a.tensor('self'))))];
    },
    lower: {
      7: (ctx, a) => {
        checkProductType(ctx, 'aten::addmm', a.tensor('mat1').tensor.dtype);
        const inputs = [ctx.input(a.tensor('mat1')), ctx.input(a.tensor('mat2')), ctx.input(a.tensor('self'))];
        return [ctx.b.op1('Gemm', inputs, { alpha: { f: coefficient(a, 'alpha') }, beta: { f: coefficient(a, 'beta') } })];
      },
    },
  },
  {
    schemas: ['aten::baddbmm(Tensor self, Tensor batch1, Tensor batch2, *, Scalar beta=1, Scalar alpha=1) -> Tensor'],
    infer: (a) => {
      requireSameDtype('aten::baddbmm', ['batch1', a.tensor('batch1')], ['batch2', a.tensor('batch2')]);
      const batch1 = fixedRank('aten::baddbmm', a.tensor('batch1'), 3, 'batch1');
      const batch2 = fixedRank('aten::baddbmm', a.tensor('batch2'), 3, 'batch2');
      const product = matmulShape('aten::baddbmm', batch1, batch2);
      return [tensorOf(a.tensor('batch1').tensor.dtype, broadcastShapes(product, shapeOf(a.tensor('self'))))];
    },
    lower: {
      7: (ctx, a) => {
        const dtype = a.tensor('batch1').tensor.dtype;
        const product = scaled(ctx, matMul(ctx, 'aten::baddbmm', a.tensor('batch1'), a.tensor('batch2')), coefficient(a, 'alpha'), dtype);
        const beta = coefficient(a, 'beta');
        // beta = 0 ignores self entirely (NaN and inf included), as torch does.
        if (beta === 0) return [product];
        // torch casts self to the product's dtype.
        const self = a.tensor('self');
        const addend = castTo(ctx, ctx.input(self), self.tensor.dtype, dtype);
        return [ctx.b.op1('Add', [scaled(ctx, addend, beta, dtype), product])];
      },
    },
  },
  {
    schemas: ['aten::t(Tensor(a) self) -> Tensor(a)'],
    infer: (a) => {
      const self = a.tensor('self');
      const shape = shapeOf(self);
      if (shape.length > 2) fail('TRACE_TYPE', `aten::t: expected a tensor of at most 2 dimensions, got ${shape.length}`);
      return [tensorOf(self.tensor.dtype, [...shape].reverse())];
    },
    lower: {
      1: (ctx, a) => {
        const self = a.tensor('self');
        return [rankOf(self) === 2 ? transpose2d(ctx, ctx.input(self)) : ctx.input(self)];
      },
    },
  },
  {
    schemas: ['aten::numpy_T(Tensor(a) self) -> Tensor(a)', 'aten::numpy_T.a(Tensor(a) self) -> Tensor(a)'],
    infer: (a) => [tensorOf(a.tensor('self').tensor.dtype, [...shapeOf(a.tensor('self'))].reverse())],
    lower: {
      1: (ctx, a) => {
        const self = a.tensor('self');
        const rank = rankOf(self);
        if (rank < 2) return [ctx.input(self)];
        return [ctx.b.op1('Transpose', [ctx.input(self)], { perm: Array.from({ length: rank }, (_, i) => rank - 1 - i) })];
      },
    },
  },
  {
    schemas: ['aten::einsum(str equation, Tensor[] tensors, *, int[]? path=None) -> Tensor'],
    infer: (a): ValueType[] => [tensorOf(a.tensors('tensors')[0]?.tensor.dtype ?? 'float32', einsumPlan(a).shape)],
    lower: {
      7: lowerEinsumAsMatMul,
      12: (ctx, a) => {
        const inputs = a.tensors('tensors').map((t) => ctx.input(t));
        return [ctx.b.op1('Einsum', inputs, { equation: einsumPlan(a).equation })];
      },
    },
  },
];
