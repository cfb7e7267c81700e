/**
 * Loss functions, each with torch's three reductions (0 none, 1 mean over every element, 2 sum).
 * Element-wise losses are built from their definitions in ATen; the class-index losses use ONNX
 * NegativeLogLikelihoodLoss / SoftmaxCrossEntropyLoss (opset 12), whose weighting, ignore_index and
 * mean (divided by the summed weights of the counted targets) are torch's.
 */
import type { DType } from '../../archive/types.js';
import { fail } from '../../errors.js';
import type { OnnxAttrs } from '../../ir/onnx-graph.js';
import type { Dim, GValue, TensorType } from '../../ir/torch-graph.js';
import type { BoundArgs } from '../args.js';
import { outDtype, softplus } from '../builders.js';
import { isFloating, promoteTypes } from '../dtypes.js';
import { axis, broadcastShapes, castTo, knownDifferent, onnxDtypeOf, operand, rankOf, requireDtype, requireSameDtype, shapeOf, tensorOf } from '../helpers.js';
import { reduce, squeeze, transpose, unsqueeze } from '../opset.js';
import type { LowerContext, OpDef } from '../registry.js';

const REDUCTIONS = ['none', 'mean', 'sum'] as const;
type Reduction = (typeof REDUCTIONS)[number];

/** torch's `reduction` int: 0 none, 1 mean, 2 sum. */
function reductionOf(a: BoundArgs): Reduction {
  const code = a.int('reduction');
  const reduction = REDUCTIONS[code];
  if (reduction === undefined) fail('TRACE_TYPE', `${a.schema.name}: ${code} is not a valid value for reduction`);
  return reduction;
}

/** The loss's shape: the per-element shape without reduction, 0-d with one. */
function lossType(a: BoundArgs, dtype: DType, elementShape: readonly Dim[]): TensorType {
  return tensorOf(dtype, reductionOf(a) === 'none' ? elementShape : []);
}

function reduceLoss(ctx: LowerContext, x: string, reduction: Reduction): string {
  if (reduction === 'none') return x;
  return reduce(ctx, reduction === 'mean' ? 'ReduceMean' : 'ReduceSum', x, undefined, false);
}

function requireFloating(a: BoundArgs, dtype: DType): DType {
  if (!isFloating(dtype)) fail('TRACE_TYPE', `${a.schema.name} is not implemented for ${dtype} tensors in torch`);
  return dtype;
}

function promoted(tensors: readonly (GValue | undefined)[]): DType {
  return tensors.filter((t): t is GValue => t !== undefined).map((t) => t.tensor.dtype).reduce(promoteTypes);
}

/** Torch writes these losses into a tensor of `shape`: every other operand must broadcast to it. */
function requireBroadcastsTo(a: BoundArgs, shape: readonly Dim[], others: readonly (readonly Dim[] | undefined)[]): void {
  for (const other of others) {
    if (!other) continue;
    const joint = broadcastShapes(shape, other);
    if (joint.length !== shape.length || joint.some((d, i) => knownDifferent(d, shape[i]))) {
      fail('TRACE_TYPE', `${a.schema.name}: output with shape [${shape.join(', ')}] doesn't match the broadcast shape [${joint.join(', ')}]`);
    }
  }
}

/** Per-element loss of `self` and `target` (in `compute`); `c` makes constants of that dtype. */
type ElementLoss = (ctx: LowerContext, x: string, y: string, c: (v: number) => string, a: BoundArgs) => string;

interface PairLoss {
  schema: string;
  opset: number;
  /** Output dtype: the operands' promoted dtype, or self's. */
  dtype: 'promote' | 'self';
  /** Output shape: both operands broadcast, or self's shape with target broadcast into it. */
  shape: 'broadcast' | 'self';
  /** A check of the scalar options, as torch makes it before computing. */
  check?: (a: BoundArgs) => void;
  /** Integer operands give an integer loss (l1_loss), which torch cannot average. */
  integers?: boolean;
  element: ElementLoss;
}

/** The integer dtypes onnxruntime subtracts and takes absolute values of natively at every opset. */
const INTEGER_LOSS_DTYPES: readonly DType[] = ['int32', 'int64'];

function pairType(a: BoundArgs, loss: PairLoss): TensorType {
  const self = a.tensor('self');
  const target = a.tensor('target');
  loss.check?.(a);
  if (loss.shape === 'self') requireBroadcastsTo(a, self.tensor.shape, [target.tensor.shape]);
  const shape = loss.shape === 'self' ? self.tensor.shape : broadcastShapes(self.tensor.shape, target.tensor.shape);
  const compute = promoted([self, target]);
  if (loss.integers && INTEGER_LOSS_DTYPES.includes(compute)) {
    if (reductionOf(a) === 'mean') fail('TRACE_TYPE', `${a.schema.name}: mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: ${compute}`);
    return lossType(a, compute, shape);
  }
  return lossType(a, requireFloating(a, loss.dtype === 'self' ? self.tensor.dtype : compute), shape);
}

/** A loss of self and target computed element-wise in their promoted dtype, then reduced. */
function pairLoss(loss: PairLoss): OpDef {
  return {
    schemas: [loss.schema],
    infer: (a) => [pairType(a, loss)],
    lower: {
      [loss.opset]: (ctx: LowerContext, a: BoundArgs) => {
        const compute = promoted([a.tensor('self'), a.tensor('target')]);
        const c = (v: number) => ctx.b.scalar(compute, v);
        const x = operand(ctx, a.tensor('self'), compute);
        const y = operand(ctx, a.tensor('target'), compute);
        const element = castTo(ctx, loss.element(ctx, x, y, c, a), compute, outDtype(ctx));
        return [reduceLoss(ctx, element, reductionOf(a))];
      },
    },
  };
}

function absDiff(ctx: LowerContext, x: string, y: string): string {
  return ctx.b.op1('Abs', [ctx.b.op1('Sub', [x, y])]);
}

/**
 * z below `knee` gives 0.5·z², above it a line: with r = relu(z − knee) and m = z − r = min(z, knee),
 * 0.5·m² + knee·r is huber; divided by knee (with r taken whole) it is smooth_l1.
 */
function quadraticBelow(ctx: LowerContext, z: string, knee: number, c: (v: number) => string): { half: string; excess: string } {
  const b = ctx.b;
  const excess = b.op1('Relu', [b.op1('Sub', [z, c(knee)])]);
  const m = b.op1('Sub', [z, excess]);
  return { half: b.op1('Mul', [c(0.5), b.op1('Mul', [m, m])]), excess };
}

/** xlogy(y, y): 0 where y is 0, NaN where y is negative or NaN (Where, not Equal, so floats compare below opset 11). */
function selfXlogy(ctx: LowerContext, y: string, c: (v: number) => string): string {
  const b = ctx.b;
  const log = b.op1('Log', [y]);
  const notPositive = b.op1('Where', [b.op1('Less', [y, c(0)]), log, b.op1('Mul', [y, c(0)])]);
  return b.op1('Where', [b.op1('Greater', [y, c(0)]), b.op1('Mul', [y, log]), notPositive]);
}

const PAIR_LOSSES: readonly PairLoss[] = [
  {
    schema: 'aten::mse_loss(Tensor self, Tensor target, int reduction=1) -> Tensor',
    opset: 7,
    dtype: 'promote',
    shape: 'broadcast',
    element: (ctx, x, y) => {
      const d = ctx.b.op1('Sub', [x, y]);
      return ctx.b.op1('Mul', [d, d]);
    },
  },
  {
    schema: 'aten::l1_loss(Tensor self, Tensor target, int reduction=1) -> Tensor',
    opset: 7,
    dtype: 'promote',
    shape: 'broadcast',
    integers: true,
    element: (ctx, x, y) => absDiff(ctx, x, y),
  },
  {
    schema: 'aten::smooth_l1_loss(Tensor self, Tensor target, int reduction=1, float beta=1.) -> Tensor',
    opset: 7,
    dtype: 'promote',
    shape: 'broadcast',
    check: (a) => {
      if (a.float('beta') < 0) fail('TRACE_TYPE', 'smooth_l1_loss does not support negative values for beta.');
    },
    element: (ctx, x, y, c, a) => {
      const beta = a.float('beta');
      const z = absDiff(ctx, x, y);
      if (beta === 0) return z;
      const { half, excess } = quadraticBelow(ctx, z, beta, c);
      return ctx.b.op1('Add', [ctx.b.op1('Div', [half, c(beta)]), excess]);
    },
  },
  {
    schema: 'aten::huber_loss(Tensor self, Tensor target, int reduction=1, float delta=1.) -> Tensor',
    opset: 7,
    dtype: 'self',
    shape: 'broadcast',
    check: (a) => {
      if (a.float('delta') <= 0) fail('TRACE_TYPE', 'huber_loss does not support non-positive values for delta.');
    },
    element: (ctx, x, y, c, a) => {
      const delta = a.float('delta');
      const { half, excess } = quadraticBelow(ctx, absDiff(ctx, x, y), delta, c);
      return ctx.b.op1('Add', [half, ctx.b.op1('Mul', [c(delta), excess])]);
    },
  },
  {
    // log1p(exp(−y·x)) as torch computes it, overflowing to inf where exp does (Softplus would not).
    schema: 'aten::soft_margin_loss(Tensor self, Tensor target, int reduction=1) -> Tensor',
    opset: 7,
    dtype: 'self',
    shape: 'self',
    element: (ctx, x, y, c) => ctx.b.op1('Log', [ctx.b.op1('Add', [c(1), ctx.b.op1('Exp', [ctx.b.op1('Neg', [ctx.b.op1('Mul', [x, y])])])])]),
  },
  {
    schema: 'aten::kl_div(Tensor self, Tensor target, int reduction=1, *, bool log_target=False) -> Tensor',
    opset: 9,
    dtype: 'promote',
    shape: 'broadcast',
    check: (a) => {
      if (![a.tensor('self'), a.tensor('target')].every((t) => isFloating(t.tensor.dtype))) fail('TRACE_TYPE', 'kl_div: Integral inputs not supported.');
    },
    // log_target: exp(y)·(y − x); else xlogy(y, y) − y·x.
    element: (ctx, x, y, c, a) => {
      const b = ctx.b;
      if (a.bool('log_target')) return b.op1('Mul', [b.op1('Exp', [y]), b.op1('Sub', [y, x])]);
      return b.op1('Sub', [selfXlogy(ctx, y, c), b.op1('Mul', [y, x])]);
    },
  },
];

function margin(a: BoundArgs): number {
  return a.float('margin');
}

/** torch.where(target != 1, relu(margin − x), 0) + torch.where(target != −1, x, 0). */
function hingeEmbedding(ctx: LowerContext, a: BoundArgs): string {
  const b = ctx.b;
  const self = a.tensor('self');
  const target = a.tensor('target');
  const compute = promoted([self, target]);
  const c = (v: number) => b.scalar(compute, v);
  const x = operand(ctx, self, compute);
  const y = ctx.input(target);
  const ty = onnxDtypeOf(target);
  const isNot = (v: number) => b.op1('Not', [b.op1('Equal', [y, b.scalar(ty, v)])]);
  const belowMargin = b.op1('Relu', [b.op1('Sub', [c(margin(a)), x])]);
  const element = b.op1('Add', [b.op1('Where', [isNot(1), belowMargin, c(0)]), b.op1('Where', [isNot(-1), x, c(0)])]);
  return reduceLoss(ctx, castTo(ctx, element, compute, outDtype(ctx)), reductionOf(a));
}

/** relu(−y·(x1 − x2) + margin). */
function marginRanking(ctx: LowerContext, a: BoundArgs): string {
  const b = ctx.b;
  const tensors = [a.tensor('input1'), a.tensor('input2'), a.tensor('target')];
  const compute = promoted(tensors);
  const [x1, x2, y] = tensors.map((t) => operand(ctx, t, compute));
  const element = b.op1('Relu', [b.op1('Add', [b.op1('Neg', [b.op1('Mul', [y, b.op1('Sub', [x1, x2])])]), b.scalar(compute, margin(a))])]);
  return reduceLoss(ctx, castTo(ctx, element, compute, outDtype(ctx)), reductionOf(a));
}

function cosineEmbeddingType(a: BoundArgs): TensorType {
  const [x1, x2, target] = [a.tensor('input1'), a.tensor('input2'), a.tensor('target')];
  const targetRank = rankOf(target);
  if (targetRank > 1) fail('TRACE_TYPE', 'cosine_embedding_loss: 0D or 1D target tensor expected, multi-target not supported');
  if (rankOf(x1) !== targetRank + 1 || rankOf(x2) !== targetRank + 1) {
    fail('TRACE_TYPE', `cosine_embedding_loss: ${targetRank}D target tensor expects ${targetRank + 1}D input tensors, but found inputs with sizes [${shapeOf(x1).join(', ')}] and [${shapeOf(x2).join(', ')}].`);
  }
  const dtype = requireFloating(a, promoted([x1, x2]));
  const products = broadcastShapes(shapeOf(x1), shapeOf(x2)).slice(0, targetRank);
  return lossType(a, dtype, broadcastShapes(products, shapeOf(target)));
}

/** cos = Σx1·x2 / sqrt((Σx1² + 1e-12)(Σx2² + 1e-12)); 1 − cos where y = 1, relu(cos − margin) where y = −1, else 0. */
function cosineEmbedding(ctx: LowerContext, a: BoundArgs): string {
  const b = ctx.b;
  const target = a.tensor('target');
  const compute = outDtype(ctx);
  const c = (v: number) => b.scalar(compute, v);
  const x1 = operand(ctx, a.tensor('input1'), compute);
  const x2 = operand(ctx, a.tensor('input2'), compute);
  const sumOver = (v: string) => reduce(ctx, 'ReduceSum', v, [rankOf(target)], false);
  const magnitude = (v: string) => b.op1('Add', [sumOver(b.op1('Mul', [v, v])), c(1e-12)]);
  const cos = b.op1('Div', [sumOver(b.op1('Mul', [x1, x2])), b.op1('Sqrt', [b.op1('Mul', [magnitude(x1), magnitude(x2)])])]);
  const y = ctx.input(target);
  const is = (v: number) => b.op1('Equal', [y, b.scalar(onnxDtypeOf(target), v)]);
  const positive = b.op1('Where', [is(1), b.op1('Sub', [c(1), cos]), c(0)]);
  const negative = b.op1('Where', [is(-1), b.op1('Relu', [b.op1('Sub', [cos, c(margin(a))])]), c(0)]);
  return reduceLoss(ctx, b.op1('Add', [positive, negative]), reductionOf(a));
}

function binaryCrossEntropyType(a: BoundArgs): TensorType {
  const self = a.tensor('self');
  const weight = a.optTensor('weight');
  requireFloating(a, self.tensor.dtype);
  requireSameDtype('binary_cross_entropy', ['input', self], ['target', a.tensor('target')], ['weight', weight]);
  requireBroadcastsTo(a, self.tensor.shape, [a.tensor('target').tensor.shape, weight?.tensor.shape]);
  return lossType(a, self.tensor.dtype, self.tensor.shape);
}

/** −w·(y·max(log x, −100) + (1 − y)·max(log(1 − x), −100)): torch clamps the logs so 0 and 1 give finite losses. */
function binaryCrossEntropy(ctx: LowerContext, a: BoundArgs): string {
  const b = ctx.b;
  const dtype = outDtype(ctx);
  const c = (v: number) => b.scalar(dtype, v);
  const x = ctx.input(a.tensor('self'));
  const y = ctx.input(a.tensor('target'));
  const clampedLog = (v: string) => b.op1('Max', [b.op1('Log', [v]), c(-100)]);
  const negative = b.op1('Mul', [b.op1('Sub', [y, c(1)]), clampedLog(b.op1('Sub', [c(1), x]))]);
  let element = b.op1('Sub', [negative, b.op1('Mul', [y, clampedLog(x)])]);
  const weight = a.optTensor('weight');
  if (weight) element = b.op1('Mul', [element, ctx.input(weight)]);
  return reduceLoss(ctx, element, reductionOf(a));
}

/** The loss is computed into target's shape and dtype: self, weight and pos_weight broadcast to it. */
function withLogitsType(a: BoundArgs): TensorType {
  const target = a.tensor('target');
  const posWeight = a.optTensor('pos_weight');
  requireFloating(a, a.tensor('self').tensor.dtype);
  const dtype = requireFloating(a, target.tensor.dtype);
  const shape = target.tensor.shape;
  // pos_weight meets target first: their broadcast must fit target's shape.
  requireBroadcastsTo(a, shape, [a.tensor('self').tensor.shape, a.optTensor('weight')?.tensor.shape, posWeight && broadcastShapes(posWeight.tensor.shape, shape)]);
  return lossType(a, dtype, shape);
}

/** (1 − y)·x + (1 + (pos_weight − 1)·y)·softplus(−x), times weight: torch's (1 − y)·x − log_weight·log_sigmoid(x). */
function binaryCrossEntropyWithLogits(ctx: LowerContext, a: BoundArgs): string {
  const b = ctx.b;
  const weight = a.optTensor('weight');
  const posWeight = a.optTensor('pos_weight');
  const compute = promoted([a.tensor('self'), a.tensor('target'), weight, posWeight]);
  const c = (v: number) => b.scalar(compute, v);
  const x = operand(ctx, a.tensor('self'), compute);
  const y = operand(ctx, a.tensor('target'), compute);
  let negLogSigmoid = softplus(ctx, b.op1('Neg', [x]), compute);
  if (posWeight) {
    const logWeight = b.op1('Add', [c(1), b.op1('Mul', [b.op1('Sub', [operand(ctx, posWeight, compute), c(1)]), y])]);
    negLogSigmoid = b.op1('Mul', [logWeight, negLogSigmoid]);
  }
  let element = b.op1('Add', [b.op1('Mul', [b.op1('Sub', [c(1), y]), x]), negLogSigmoid]);
  if (weight) element = b.op1('Mul', [element, operand(ctx, weight, compute)]);
  return reduceLoss(ctx, castTo(ctx, element, compute, outDtype(ctx)), reductionOf(a));
}

/** poisson_nll_loss's operands, each cast to the promoted dtype. */
function poissonType(a: BoundArgs): TensorType {
  const input = a.tensor('input');
  const target = a.tensor('target');
  return lossType(a, requireFloating(a, promoted([input, target])), broadcastShapes(input.tensor.shape, target.tensor.shape));
}

/**
 * exp(x) − y·x for log inputs, else x − y·log(x + eps); with `full`, the Stirling term
 * y·log(y) − y + 0.5·log(2πy) where y > 1 (torch fills 0 where y ≤ 1, so a NaN target keeps NaN).
 */
function poissonNll(ctx: LowerContext, a: BoundArgs): string {
  const b = ctx.b;
  const dtype = outDtype(ctx);
  const c = (v: number) => b.scalar(dtype, v);
  const x = operand(ctx, a.tensor('input'), dtype);
  const y = operand(ctx, a.tensor('target'), dtype);
  let element = a.bool('log_input')
    ? b.op1('Sub', [b.op1('Exp', [x]), b.op1('Mul', [y, x])])
    : b.op1('Sub', [x, b.op1('Mul', [y, b.op1('Log', [b.op1('Add', [x, c(a.float('eps'))])])])]);
  if (a.bool('full')) {
    const stirling = b.op1('Add', [
      b.op1('Sub', [b.op1('Mul', [y, b.op1('Log', [y])]), y]),
      b.op1('Mul', [c(0.5), b.op1('Log', [b.op1('Mul', [c(2 * Math.PI), y])])]),
    ]);
    const kept = b.op1('Or', [b.op1('Greater', [y, c(1)]), b.op1('IsNaN', [y])]);
    element = b.op1('Add', [element, b.op1('Where', [kept, stirling, c(0)])]);
  }
  return reduceLoss(ctx, element, reductionOf(a));
}

/** ‖v‖_p over the last axis as torch.norm computes it: L1/L2 reductions, max/min |v| for ±inf, the non-zero count for 0, else (Σ|v|^p)^(1/p). */
function lastAxisNorm(ctx: LowerContext, v: string, rank: number, p: number, dtype: DType): string {
  const b = ctx.b;
  const axes = [rank - 1];
  if (p === 2) return reduce(ctx, 'ReduceL2', v, axes, false);
  if (p === 1) return reduce(ctx, 'ReduceL1', v, axes, false);
  const abs = b.op1('Abs', [v]);
  if (p === Infinity) return reduce(ctx, 'ReduceMax', abs, axes, false);
  if (p === -Infinity) return reduce(ctx, 'ReduceMin', abs, axes, false);
  if (p === 0) return reduce(ctx, 'ReduceSum', castTo(ctx, b.op1('Greater', [abs, b.scalar(dtype, 0)]), 'bool', dtype), axes, false);
  const sum = reduce(ctx, 'ReduceSum', b.op1('Pow', [abs, b.scalar(dtype, p)]), axes, false);
  return b.op1('Pow', [sum, b.scalar(dtype, 1 / p)]);
}

const TRIPLET = ['anchor', 'positive', 'negative'] as const;

function tripletType(a: BoundArgs): TensorType {
  const tensors = TRIPLET.map((name) => a.tensor(name));
  const [anchorRank, positiveRank, negativeRank] = tensors.map(rankOf);
  if (anchorRank !== positiveRank || positiveRank !== negativeRank) {
    fail('TRACE_TYPE', `triplet_margin_loss: The anchor, positive, and negative tensors are expected to have the same number of dimensions, but got: anchor ${anchorRank}D, positive ${positiveRank}D, and negative ${negativeRank}D inputs`);
  }
  if (anchorRank === 0) fail('TRACE_TYPE', 'triplet_margin_loss: the inputs need at least one dimension, the one distances are taken over');
  const shape = broadcastShapes(...tensors.map(shapeOf));
  return lossType(a, requireFloating(a, promoted(tensors)), shape.slice(0, -1));
}

/** relu(margin + d(a, p) − d(a, n)), d the pairwise distance ‖x1 − x2 + eps‖_p; `swap` takes min(d(a, n), d(p, n)). */
function tripletMargin(ctx: LowerContext, a: BoundArgs): string {
  const b = ctx.b;
  const dtype = outDtype(ctx);
  const c = (v: number) => b.scalar(dtype, v);
  const [anchor, positive, negative] = TRIPLET.map((name) => operand(ctx, a.tensor(name), dtype));
  const rank = rankOf(a.tensor('anchor'));
  const distance = (x1: string, x2: string) => lastAxisNorm(ctx, b.op1('Add', [b.op1('Sub', [x1, x2]), c(a.float('eps'))]), rank, a.float('p'), dtype);
  let toNegative = distance(anchor, negative);
  if (a.bool('swap')) toNegative = b.op1('Min', [toNegative, distance(positive, negative)]);
  const element = b.op1('Relu', [b.op1('Sub', [b.op1('Add', [c(a.float('margin')), distance(anchor, positive)]), toNegative])]);
  return reduceLoss(ctx, element, reductionOf(a));
}

/** The class positions 0 … C−1 along the last axis of a (N, C) value: a constant when C is static, else Range. */
function classPositions(ctx: LowerContext, rows: string, classes: Dim): string {
  if (typeof classes === 'number') return ctx.b.int64s([...Array(classes).keys()]);
  const count = ctx.b.op1('Gather', [ctx.b.op1('Shape', [rows]), ctx.b.scalar('int64', 1)], { axis: 0 });
  return ctx.b.op1('Range', [ctx.b.scalar('int64', 0), count, ctx.b.scalar('int64', 1)]);
}

/** Inputs of (C) or (N, C) as (N, C), the class count C and the batch size (1 unbatched). */
function asRows(ctx: LowerContext, self: GValue): { rows: string; classes: Dim } {
  const shape = shapeOf(self);
  const rows = shape.length === 1 ? unsqueeze(ctx, ctx.input(self), [0]) : ctx.input(self);
  return { rows, classes: shape[shape.length - 1] };
}

/** The number of classes as a 0-d value of `dtype` from a (N, C) value (a constant when C is static). */
function classCountOfRows(ctx: LowerContext, rows: string, classes: Dim, dtype: DType): string {
  if (typeof classes === 'number') return ctx.b.scalar(dtype, classes);
  return castTo(ctx, ctx.b.op1('Gather', [ctx.b.op1('Shape', [rows]), ctx.b.scalar('int64', 1)], { axis: 0 }), 'int64', dtype);
}

function multiMarginType(a: BoundArgs): TensorType {
  const self = a.tensor('self');
  const target = a.tensor('target');
  const shape = shapeOf(self);
  if (shape.length === 0 || shape.length > 2 || shape[shape.length - 1] === 0) {
    fail('TRACE_TYPE', `multi_margin_loss: Expected non-empty vector or matrix with optional 0-dim batch size, but got: [${shape.join(', ')}]`);
  }
  const p = a.float('p');
  if (p !== 1 && p !== 2) fail('TRACE_TYPE', 'multi_margin_loss: only p == 1 and p == 2 supported');
  requireFloating(a, self.tensor.dtype);
  requireDtype('multi_margin_loss', ['target', target], ['int64']);
  const frames = shape.length === 1 ? 1 : shape[0];
  const targetShape = shapeOf(target);
  if (targetShape.length > 1 || knownDifferent(targetShape.length === 0 ? 1 : targetShape[0], frames)) {
    fail('TRACE_TYPE', `multi_margin_loss: inconsistent target size, expected ${frames} but got [${targetShape.join(', ')}]`);
  }
  const weight = a.optTensor('weight');
  if (weight) {
    requireSameDtype('multi_margin_loss', ['input', self], ['weight', weight]);
    if (rankOf(weight) > 1 || knownDifferent(rankOf(weight) === 0 ? 1 : shapeOf(weight)[0], shape[shape.length - 1])) {
      fail('TRACE_TYPE', `multi_margin_loss: inconsistent weight size, expected ${shape[shape.length - 1]} but got [${shapeOf(weight).join(', ')}]`);
    }
  }
  // torch gives one loss per frame when the target has a batch dimension, else a 0-d loss.
  return lossType(a, self.tensor.dtype, targetShape.length === 1 ? [frames] : []);
}

/** Σ_{i ≠ y} max(0, margin − x[y] + x[i])^p · w[y] / C per row, as torch's kernel sums it. */
function multiMargin(ctx: LowerContext, a: BoundArgs): string {
  const b = ctx.b;
  const self = a.tensor('self');
  const dtype = outDtype(ctx);
  const { rows, classes } = asRows(ctx, self);
  const target = a.tensor('target');
  const labels = b.op1('Reshape', [ctx.input(target), b.int64s([-1, 1])]);
  const chosen = b.op1('GatherElements', [rows, labels], { axis: 1 });
  let hinge = b.op1('Relu', [b.op1('Add', [b.op1('Sub', [b.scalar(dtype, a.float('margin')), chosen]), rows])]);
  if (a.float('p') === 2) hinge = b.op1('Mul', [hinge, hinge]);
  const weight = a.optTensor('weight');
  if (weight) hinge = b.op1('Mul', [hinge, b.op1('Gather', [b.op1('Reshape', [ctx.input(weight), b.int64s([-1])]), labels], { axis: 0 })]);
  const others = b.op1('Where', [b.op1('Equal', [classPositions(ctx, rows, classes), labels]), b.scalar(dtype, 0), hinge]);
  const perRow = b.op1('Div', [reduce(ctx, 'ReduceSum', others, [1], false), classCountOfRows(ctx, rows, classes, dtype)]);
  const reduction = reductionOf(a);
  if (reduction !== 'none') return reduceLoss(ctx, perRow, reduction);
  return rankOf(target) === 1 ? perRow : b.op1('Reshape', [perRow, b.int64s([])]);
}

function multilabelMarginType(a: BoundArgs): TensorType {
  const self = a.tensor('self');
  const target = a.tensor('target');
  const shape = shapeOf(self);
  if (shape.length === 0 || shape.length > 2 || shape[shape.length - 1] === 0) {
    fail('TRACE_TYPE', `multilabel_margin_loss: Expected non-empty vector or matrix with optional 0-dim batch size, but got: [${shape.join(', ')}]`);
  }
  requireFloating(a, self.tensor.dtype);
  requireDtype('multilabel_margin_loss', ['target', target], ['int64']);
  const targetShape = shapeOf(target);
  if (targetShape.length !== shape.length || targetShape.some((d, i) => knownDifferent(d, shape[i]))) {
    fail('TRACE_TYPE', `multilabel_margin_loss: inconsistent target size: [${targetShape.join(', ')}] for input of size: [${shape.join(', ')}]`);
  }
  return lossType(a, self.tensor.dtype, shape.length === 2 ? [shape[0]] : []);
}

/**
 * Per row: the targets are the class indices before the first negative one; the loss is
 * Σ_{target j} Σ_{class i not a target} max(0, 1 − (x[y_j] − x[i])) / C, pairs formed as (N, C_j, C_i).
 */
function multilabelMargin(ctx: LowerContext, a: BoundArgs): string {
  const b = ctx.b;
  const self = a.tensor('self');
  const dtype = outDtype(ctx);
  const { rows, classes } = asRows(ctx, self);
  const target = rankOf(self) === 1 ? unsqueeze(ctx, ctx.input(a.tensor('target')), [0]) : ctx.input(a.tensor('target'));
  const zero = b.scalar('int64', 0);
  const ended = b.op1('CumSum', [castTo(ctx, b.op1('Less', [target, zero]), 'bool', 'int64'), b.scalar('int64', 1)]);
  const valid = b.op1('Equal', [ended, zero]);
  const labels = b.op1('Where', [valid, target, zero]);
  const chosen = b.op1('GatherElements', [rows, labels], { axis: 1 });
  // (N, C_j, 1) labels against (C_i) positions: is class i target j.
  const matches = b.op1('And', [b.op1('Equal', [unsqueeze(ctx, labels, [2]), classPositions(ctx, rows, classes)]), unsqueeze(ctx, valid, [2])]);
  const isTarget = castTo(ctx, reduce(ctx, 'ReduceMax', castTo(ctx, matches, 'bool', dtype), [1], true), dtype, 'bool');
  const margins = b.op1('Relu', [b.op1('Add', [b.op1('Sub', [b.scalar(dtype, 1), unsqueeze(ctx, chosen, [2])]), unsqueeze(ctx, rows, [1])])]);
  const counted = b.op1('And', [unsqueeze(ctx, valid, [2]), b.op1('Not', [isTarget])]);
  const pairs = b.op1('Where', [counted, margins, b.scalar(dtype, 0)]);
  const perRow = b.op1('Div', [reduce(ctx, 'ReduceSum', pairs, [1, 2], false), classCountOfRows(ctx, rows, classes, dtype)]);
  const reduction = reductionOf(a);
  if (reduction !== 'none') return reduceLoss(ctx, perRow, reduction);
  return rankOf(self) === 2 ? perRow : b.op1('Reshape', [perRow, b.int64s([])]);
}

// ---- class-index losses: nll_loss, nll_loss2d, nll_loss_nd, cross_entropy_loss

/** The index target and weight checks nll_loss and cross_entropy share; returns the element loss's shape. */
function classTargetShape(a: BoundArgs, self: GValue, target: GValue): readonly Dim[] {
  const op = a.schema.name.slice('aten::'.length);
  requireFloating(a, self.tensor.dtype);
  requireDtype(op, ['target', target], ['int64']);
  const input = self.tensor.shape;
  const classes = input.length === 1 ? input[0] : input[1];
  const weight = a.optTensor('weight');
  if (weight) {
    requireSameDtype(op, ['input', self], ['weight', weight]);
    if (rankOf(weight) !== 1 || knownDifferent(shapeOf(weight)[0], classes)) {
      fail('TRACE_TYPE', `${op}: weight tensor should be defined either for all ${classes} classes or no classes but got weight tensor of shape: [${shapeOf(weight).join(', ')}]`);
    }
  }
  const expected = input.length === 1 ? [] : [input[0], ...input.slice(2)];
  const got = target.tensor.shape;
  if (got.length !== expected.length || got.some((d, i) => knownDifferent(d, expected[i]))) {
    fail('TRACE_TYPE', `${op}: expected target of size [${expected.join(', ')}] for input of size [${input.join(', ')}], got [${got.join(', ')}]`);
  }
  return expected;
}

/** The ranks each nll overload takes: nll_loss 1-D or 2-D input, nll_loss2d 4-D, nll_loss_nd any rank from 1. */
const NLL_RANKS: Record<string, (rank: number) => boolean> = {
  'aten::nll_loss': (rank) => rank === 1 || rank === 2,
  'aten::nll_loss2d': (rank) => rank === 4,
  'aten::nll_loss_nd': (rank) => rank >= 1,
};

function nllType(a: BoundArgs): TensorType {
  const self = a.tensor('self');
  if (!NLL_RANKS[a.schema.name](rankOf(self))) {
    fail('TRACE_TYPE', `${a.schema.name}: input of rank ${rankOf(self)} is not supported (nll_loss takes 1-D or 2-D input, nll_loss2d 4-D, nll_loss_nd 1-D or more)`);
  }
  return lossType(a, self.tensor.dtype, classTargetShape(a, self, a.tensor('target')));
}

function ignoreIndex(a: BoundArgs): number {
  return a.int('ignore_index');
}

/**
 * An ONNX class-index loss node. ONNX wants a batch dimension: an unbatched input (C) and its 0-d
 * target get one, and an unreduced loss loses it again.
 */
function classLossNode(
  ctx: LowerContext,
  opType: 'NegativeLogLikelihoodLoss' | 'SoftmaxCrossEntropyLoss',
  x: string,
  target: string,
  unbatched: boolean,
  weight: string | undefined,
  reduction: Reduction,
  ignore: number,
): string {
  const input = unbatched ? unsqueeze(ctx, x, [0]) : x;
  const labels = unbatched ? unsqueeze(ctx, target, [0]) : target;
  const attrs: OnnxAttrs = { reduction, ignore_index: ignore };
  const loss = ctx.b.op1(opType, weight ? [input, labels, weight] : [input, labels], attrs);
  return unbatched && reduction === 'none' ? squeeze(ctx, loss, [0]) : loss;
}

function nll(ctx: LowerContext, a: BoundArgs): string {
  const self = a.tensor('self');
  const weight = a.optTensor('weight');
  return classLossNode(ctx, 'NegativeLogLikelihoodLoss', ctx.input(self), ctx.input(a.tensor('target')), rankOf(self) === 1,
    weight && ctx.input(weight), reductionOf(a), ignoreIndex(a));
}

function classDimOf(self: GValue): number {
  return rankOf(self) === 1 ? 0 : 1;
}

/** Class probabilities (a target of the input's shape) or class indices, as torch tells them apart: by equal sizes. */
function hasProbabilityTarget(a: BoundArgs): boolean {
  const input = shapeOf(a.tensor('self'));
  const target = shapeOf(a.tensor('target'));
  return input.length === target.length && input.every((d, i) => d === target[i]);
}

function crossEntropyType(a: BoundArgs): TensorType {
  const self = a.tensor('self');
  const target = a.tensor('target');
  if (rankOf(self) === 0) fail('TRACE_TYPE', 'cross_entropy_loss: Expected 1 or more dimensions (got 0)');
  const smoothing = a.float('label_smoothing');
  if (smoothing < 0 || smoothing > 1) fail('TRACE_TYPE', `cross_entropy_loss: label_smoothing must be between 0.0 and 1.0. Got: ${smoothing}`);
  if (!hasProbabilityTarget(a)) return lossType(a, self.tensor.dtype, classTargetShape(a, self, target));
  const dtype = requireFloating(a, self.tensor.dtype);
  if (!isFloating(target.tensor.dtype)) fail('TRACE_TYPE', `cross_entropy_loss: Expected floating point type for target with class probabilities, got ${target.tensor.dtype}`);
  if (ignoreIndex(a) >= 0) fail('TRACE_TYPE', 'cross_entropy_loss: ignore_index is not supported for floating point target');
  requireSameDtype('cross_entropy_loss', ['input', self], ['target', target], ['weight', a.optTensor('weight')]);
  const shape = [...self.tensor.shape];
  shape.splice(axis(classDimOf(self), shape.length), 1);
  return lossType(a, dtype, shape);
}

/** LogSoftmax over `dim`: before opset 13 ONNX flattens from its axis on, so the class dim goes last and back. */
function logSoftmax(ctx: LowerContext, x: string, rank: number, dim: number): string {
  if (ctx.opset >= 13 || dim === rank - 1) return ctx.b.op1('LogSoftmax', [x], { axis: dim });
  const perm = [...Array(rank).keys()];
  [perm[dim], perm[rank - 1]] = [perm[rank - 1], perm[dim]];
  return transpose(ctx, ctx.b.op1('LogSoftmax', [transpose(ctx, x, perm)], { axis: rank - 1 }), perm);
}

/** The number of classes as a 0-d value of `dtype` (a constant when the size is static). */
function classCount(ctx: LowerContext, self: GValue, dtype: DType): string {
  const size = shapeOf(self)[classDimOf(self)];
  if (typeof size === 'number') return ctx.b.scalar(dtype, size);
  const shape = ctx.b.op1('Shape', [ctx.input(self)]);
  const gathered = ctx.b.op1('Gather', [shape, ctx.b.scalar('int64', classDimOf(self))], { axis: 0 });
  return castTo(ctx, gathered, 'int64', dtype);
}

/** The weight shaped to broadcast along the class dim: (C, 1, ..., 1) against (N, C, d1, ...). */
function classWeight(ctx: LowerContext, weight: GValue, rank: number): string {
  const w = ctx.input(weight);
  return rank > 2 ? unsqueeze(ctx, w, [...Array(rank - 2).keys()].map((i) => i + 1)) : w;
}

/** −Σ_c logp·target·weight over the class dim; label smoothing mixes the target with the uniform distribution. */
function crossEntropyProbabilities(ctx: LowerContext, a: BoundArgs): string {
  const b = ctx.b;
  const self = a.tensor('self');
  const dtype = outDtype(ctx);
  const rank = rankOf(self);
  const dim = classDimOf(self);
  const smoothing = a.float('label_smoothing');
  const logp = logSoftmax(ctx, ctx.input(self), rank, dim);
  let target = ctx.input(a.tensor('target'));
  if (smoothing > 0) {
    const uniform = b.op1('Div', [b.scalar(dtype, smoothing), classCount(ctx, self, dtype)]);
    target = b.op1('Add', [b.op1('Mul', [target, b.scalar(dtype, 1 - smoothing)]), uniform]);
  }
  let product = b.op1('Mul', [logp, target]);
  const weight = a.optTensor('weight');
  if (weight) product = b.op1('Mul', [product, classWeight(ctx, weight, rank)]);
  const element = b.op1('Neg', [reduce(ctx, 'ReduceSum', product, [dim], false)]);
  // torch divides the summed loss by the number of elements less the class dim: their mean.
  return reduceLoss(ctx, element, reductionOf(a));
}

/**
 * Label smoothing over class indices, as torch computes it: (1 − ε)·nll + ε/C·smooth, where smooth is
 * −Σ_c logp·weight, 0 at ignored targets; the mean divides both by the summed weights (or the count)
 * of the targets not ignored.
 */
function crossEntropySmoothed(ctx: LowerContext, a: BoundArgs): string {
  const b = ctx.b;
  const self = a.tensor('self');
  const dtype = outDtype(ctx);
  const rank = rankOf(self);
  const dim = classDimOf(self);
  const smoothing = a.float('label_smoothing');
  const reduction = reductionOf(a);
  const target = ctx.input(a.tensor('target'));
  const weight = a.optTensor('weight');
  const logp = logSoftmax(ctx, ctx.input(self), rank, dim);
  const nllLoss = classLossNode(ctx, 'NegativeLogLikelihoodLoss', logp, target, rank === 1, weight && ctx.input(weight), 'none', ignoreIndex(a));
  const weighted = weight ? b.op1('Mul', [logp, classWeight(ctx, weight, rank)]) : logp;
  const ignored = b.op1('Equal', [target, b.scalar('int64', ignoreIndex(a))]);
  const zero = b.scalar(dtype, 0);
  const smooth = b.op1('Where', [ignored, zero, b.op1('Neg', [reduce(ctx, 'ReduceSum', weighted, [dim], false)])]);
  const share = b.op1('Div', [b.scalar(dtype, smoothing), classCount(ctx, self, dtype)]);
  const element = b.op1('Add', [b.op1('Mul', [b.scalar(dtype, 1 - smoothing), nllLoss]), b.op1('Mul', [share, smooth])]);
  if (reduction !== 'mean') return reduceLoss(ctx, element, reduction);
  let counted: string;
  if (weight) {
    const safeTarget = b.op1('Where', [ignored, b.scalar('int64', 0), target]);
    counted = b.op1('Where', [ignored, zero, b.op1('Gather', [ctx.input(weight), safeTarget], { axis: 0 })]);
  } else {
    counted = castTo(ctx, b.op1('Not', [ignored]), 'bool', dtype);
  }
  return b.op1('Div', [reduce(ctx, 'ReduceSum', element, undefined, false), reduce(ctx, 'ReduceSum', counted, undefined, false)]);
}

function crossEntropy(ctx: LowerContext, a: BoundArgs): string {
  if (hasProbabilityTarget(a)) return crossEntropyProbabilities(ctx, a);
  if (a.float('label_smoothing') > 0) return crossEntropySmoothed(ctx, a);
  const self = a.tensor('self');
  const weight = a.optTensor('weight');
  return classLossNode(ctx, 'SoftmaxCrossEntropyLoss', ctx.input(self), ctx.input(a.tensor('target')), rankOf(self) === 1,
    weight && ctx.input(weight), reductionOf(a), ignoreIndex(a));
}

const NLL_ARGS = '(Tensor self, Tensor target, Tensor? weight=None, int reduction=1, SymInt ignore_index=-100) -> Tensor';

function nllOp(name: string): OpDef {
  return { schemas: [`aten::${name}${NLL_ARGS}`], infer: (a) => [nllType(a)], lower: { 12: (ctx, a) => [nll(ctx, a)] } };
}

export const lossOps: readonly OpDef[] = [
  ...PAIR_LOSSES.map(pairLoss),
  {
    schemas: ['aten::hinge_embedding_loss(Tensor self, Tensor target, float margin=1., int reduction=1) -> Tensor'],
    infer: (a) => {
      const self = a.tensor('self');
      const target = a.tensor('target');
      requireFloating(a, self.tensor.dtype);
      return [lossType(a, self.tensor.dtype, broadcastShapes(self.tensor.shape, target.tensor.shape))];
    },
    // Equal on floating-point targets needs opset 11.
    lower: { 11: (ctx, a) => [hingeEmbedding(ctx, a)] },
  },
  {
    schemas: ['aten::margin_ranking_loss(Tensor input1, Tensor input2, Tensor target, float margin=0., int reduction=1) -> Tensor'],
    infer: (a) => {
      const tensors = [a.tensor('input1'), a.tensor('input2'), a.tensor('target')];
      return [lossType(a, requireFloating(a, promoted(tensors)), broadcastShapes(...tensors.map(shapeOf)))];
    },
    lower: { 7: (ctx, a) => [marginRanking(ctx, a)] },
  },
  {
    schemas: ['aten::cosine_embedding_loss(Tensor input1, Tensor input2, Tensor target, float margin=0., int reduction=1) -> Tensor'],
    infer: (a) => [cosineEmbeddingType(a)],
    // Equal on floating-point targets needs opset 11.
    lower: { 11: (ctx, a) => [cosineEmbedding(ctx, a)] },
  },
  {
    schemas: ['aten::binary_cross_entropy(Tensor self, Tensor target, Tensor? weight=None, int reduction=1) -> Tensor'],
    infer: (a) => [binaryCrossEntropyType(a)],
    // Max broadcasting the −100 bound needs opset 8.
    lower: { 8: (ctx, a) => [binaryCrossEntropy(ctx, a)] },
  },
  {
    schemas: ['aten::binary_cross_entropy_with_logits(Tensor self, Tensor target, Tensor? weight=None, Tensor? pos_weight=None, int reduction=1) -> Tensor'],
    infer: (a) => [withLogitsType(a)],
    lower: { 7: (ctx, a) => [binaryCrossEntropyWithLogits(ctx, a)] },
  },
  {
    schemas: ['aten::poisson_nll_loss(Tensor input, Tensor target, bool log_input, bool full, float eps, int reduction) -> Tensor'],
    infer: (a) => [poissonType(a)],
    // IsNaN and Where need opset 9.
    lower: { 9: (ctx, a) => [poissonNll(ctx, a)] },
  },
  {
    schemas: ['aten::triplet_margin_loss(Tensor anchor, Tensor positive, Tensor negative, float margin=1., float p=2., float eps=9.9999999999999995e-07, bool swap=False, int reduction=1) -> Tensor'],
    infer: (a) => [tripletType(a)],
    // Min of two distances broadcasts from opset 8.
    lower: { 8: (ctx, a) => [tripletMargin(ctx, a)] },
  },
  {
    schemas: ['aten::multi_margin_loss(Tensor self, Tensor target, Scalar p=1, Scalar margin=1, Tensor? weight=None, int reduction=1) -> Tensor'],
    infer: (a) => [multiMarginType(a)],
    // GatherElements and Range need opset 11.
    lower: { 11: (ctx, a) => [multiMargin(ctx, a)] },
  },
  {
    schemas: ['aten::multilabel_margin_loss(Tensor self, Tensor target, int reduction=1) -> Tensor'],
    infer: (a) => [multilabelMarginType(a)],
    // CumSum and GatherElements need opset 11.
    lower: { 11: (ctx, a) => [multilabelMargin(ctx, a)] },
  },
  nllOp('nll_loss'),
  nllOp('nll_loss2d'),
  nllOp('nll_loss_nd'),
  {
    schemas: ['aten::cross_entropy_loss(Tensor self, Tensor target, Tensor? weight=None, int reduction=1, SymInt ignore_index=-100, float label_smoothing=0.) -> Tensor'],
    infer: (a) => [crossEntropyType(a)],
    lower: { 12: (ctx, a) => [crossEntropy(ctx, a)] },
  },
];
