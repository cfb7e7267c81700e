/**
 * Attention: the fused ops PyTorch's eval-mode fast paths record (nn.MultiheadAttention →
 * `_native_multi_head_attention`, nn.TransformerEncoderLayer → `_transformer_encoder_layer_fwd`)
 * and `scaled_dot_product_attention`, lowered to MatMul/Softmax/LayerNormalization graphs.
 *
 * Mask conventions differ per op, and follow what the kernels do (checked against torch 1.13 and 2.6):
 * - the native MHA/encoder kernels turn any mask into bool (non-zero = masked out), so a float mask
 *   is not additive there; a fully masked row gives NaN (a plain softmax over -inf);
 * - scaled_dot_product_attention takes bool masks with True = take part, float masks as additive,
 *   and since torch 2.5 gives 0 for a fully masked row (`_safe_softmax`); torch 1.13's private
 *   `_scaled_dot_product_attention` gives NaN there.
 */
import type { DType } from '../../archive/types.js';
import { fail } from '../../errors.js';
import type { Dim, TensorType, ValueType } from '../../ir/torch-graph.js';
import type { BoundArgs } from '../args.js';
import { gelu, layerNorm } from '../builders.js';
import { isFloating } from '../dtypes.js';
import { broadcastShapes, castTo, onnxDtypeOf, rankOf, requireShape, shapeOf, tensorOf } from '../helpers.js';
import { reduce, splitEqually, transpose, unsqueeze } from '../opset.js';
import type { LowerContext, OpDef } from '../registry.js';

/** MatMul, Softmax over the last axis, Where and Erf all hold their meaning from opset 9. */
const LOWEST_OPSET = 9;

function floatTensor(a: BoundArgs, name: string): TensorType {
  const t = a.tensor(name).tensor;
  if (!isFloating(t.dtype)) fail('TRACE_TYPE', `${a.schema.name}: ${name} must be a floating-point tensor, got ${t.dtype}`);
  return t;
}

function rank3(a: BoundArgs, name: string): TensorType {
  const t = floatTensor(a, name);
  if (t.shape.length !== 3) fail('TRACE_TYPE', `${a.schema.name}: ${name} must be 3-D (batch, sequence, embedding), got ${t.shape.length}-D`);
  return t;
}

function sameDims(a: Dim, b: Dim): boolean {
  return typeof a !== 'number' || typeof b !== 'number' || a === b;
}

/** Swaps the last two axes. */
function transposeLast(ctx: LowerContext, x: string, rank: number): string {
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return transpose(ctx, x, perm);
}

/** `x @ weight.T + bias`, nn.Linear's form. */
function linear(ctx: LowerContext, x: string, weight: string, bias: string): string {
  return ctx.b.op1('Add', [ctx.b.op1('MatMul', [x, transpose(ctx, weight, [1, 0])]), bias]);
}

// ---- the native multi-head attention kernel, shared by MHA and the encoder layer ----

interface NativeMhaInputs {
  query: string;
  key: string;
  value: string;
  /** Query, key and value are one tensor: project them with one MatMul, as torch does. */
  selfAttention: boolean;
  embedDim: number;
  numHeads: number;
  qkvWeight: string;
  qkvBias: string;
  projWeight: string;
  projBias: string;
  /** Bool mask, True = masked out, broadcastable to (batch, heads, target, source). */
  mask?: string;
  dtype: DType;
}

function checkHeads(a: BoundArgs, embedDim: number, numHeads: number, embedding: Dim): void {
  if (numHeads <= 0 || embedDim % numHeads !== 0) {
    fail('TRACE_TYPE', `${a.schema.name}: embed_dim ${embedDim} is not divisible by num_heads ${numHeads}`);
  }
  if (!sameDims(embedding, embedDim)) fail('TRACE_TYPE', `${a.schema.name}: input has embedding size ${embedding}, expected embed_dim ${embedDim}`);
}

/** The fused kernels' projection weights: packed q/k/v [3E, E] and [3E], output [E, E] and [E]. */
function checkProjections(a: BoundArgs, embedDim: number): void {
  const op = a.schema.name;
  requireShape(op, ['qkv_weight', a.tensor('qkv_weight')], [3 * embedDim, embedDim]);
  requireShape(op, ['qkv_bias', a.tensor('qkv_bias')], [3 * embedDim]);
  requireShape(op, ['proj_weight', a.tensor('proj_weight')], [embedDim, embedDim]);
  requireShape(op, ['proj_bias', a.tensor('proj_bias')], [embedDim]);
}

/** The encoder layer's norms [E] and feed-forward block: [F, E], [F], [E, F], [E]. */
function checkEncoderLayerWeights(a: BoundArgs, embedDim: number): void {
  const op = a.schema.name;
  for (const name of ['norm_weight_1', 'norm_bias_1', 'norm_weight_2', 'norm_bias_2', 'ffn_bias_2']) requireShape(op, [name, a.tensor(name)], [embedDim]);
  const hidden = shapeOf(a.tensor('ffn_weight_1'))[0];
  requireShape(op, ['ffn_weight_1', a.tensor('ffn_weight_1')], [hidden, embedDim]);
  requireShape(op, ['ffn_bias_1', a.tensor('ffn_bias_1')], [hidden]);
  requireShape(op, ['ffn_weight_2', a.tensor('ffn_weight_2')], [embedDim, hidden]);
}

/** Throws unless the mask has a shape the kernel accepts for its mask_type. */
function checkNativeMask(a: BoundArgs, batch: Dim, heads: number, target: Dim, source: Dim): void {
  const mask = a.optTensor('mask');
  if (!mask) return;
  const maskType = a.optInt('mask_type');
  const shape = shapeOf(mask);
  if (maskType === undefined) fail('TRACE_TYPE', `${a.schema.name}: mask_type must be given with a mask`);
  if (shape.length === 2 && maskType === 1) {
    if (!sameDims(shape[0], batch) || !sameDims(shape[1], source)) {
      fail('TRACE_TYPE', `${a.schema.name}: a key padding mask (mask_type 1) must have shape (batch, source), got [${shape.join(', ')}]`);
    }
    return;
  }
  if (shape.length === 2 && maskType !== 0) {
    fail('TRACE_TYPE', `${a.schema.name}: a 2-D mask needs mask_type 0 (target, source) or 1 (batch, source), got ${maskType}`);
  }
  if (shape.length > 4) fail('TRACE_TYPE', `${a.schema.name}: a mask has at most 4 dimensions, got ${shape.length}`);
  broadcastShapes([batch, heads, target, source], shape);
}

/** The mask as bool (any non-zero value masks, as the kernels' `.to(kBool)` does), shaped to broadcast. */
function nativeMask(ctx: LowerContext, a: BoundArgs): string | undefined {
  const mask = a.optTensor('mask');
  if (!mask) return undefined;
  const asBool = castTo(ctx, ctx.input(mask), onnxDtypeOf(mask), 'bool');
  // A key padding mask (batch, source) applies to every head and target position.
  if (rankOf(mask) === 2 && a.optInt('mask_type') === 1) return ctx.b.op1('Reshape', [asBool, ctx.b.int64s([0, 1, 1, -1])]);
  return asBool;
}

/** (batch, seq, embed) → (batch, heads, seq, head_dim). */
function splitHeads(ctx: LowerContext, x: string, numHeads: number, headDim: number): string {
  return transpose(ctx, ctx.b.op1('Reshape', [x, ctx.b.int64s([0, 0, numHeads, headDim])]), [0, 2, 1, 3]);
}

/**
 * The kernel: query, key and value projections, q scaled by 1/sqrt(head_dim) after its bias,
 * softmax(q·kᵀ), output projection. Returns the output and the probabilities (batch, heads, target, source).
 */
function nativeMha(ctx: LowerContext, m: NativeMhaInputs): { output: string; probs: string } {
  const b = ctx.b;
  const headDim = m.embedDim / m.numHeads;
  let q: string;
  let k: string;
  let v: string;
  if (m.selfAttention) {
    [q, k, v] = splitEqually(ctx, linear(ctx, m.query, m.qkvWeight, m.qkvBias), 2, 3);
  } else {
    const weights = splitEqually(ctx, m.qkvWeight, 0, 3);
    const biases = splitEqually(ctx, m.qkvBias, 0, 3);
    [q, k, v] = [m.query, m.key, m.value].map((x, i) => linear(ctx, x, weights[i], biases[i]));
  }
  const qHeads = b.op1('Div', [splitHeads(ctx, q, m.numHeads, headDim), b.scalar(m.dtype, Math.sqrt(headDim))]);
  const kT = transpose(ctx, b.op1('Reshape', [k, b.int64s([0, 0, m.numHeads, headDim])]), [0, 2, 3, 1]);
  let scores = b.op1('MatMul', [qHeads, kT]);
  if (m.mask) scores = b.op1('Where', [m.mask, b.scalar(m.dtype, -Infinity), scores]);
  const probs = b.op1('Softmax', [scores], { axis: 3 });
  const context = transpose(ctx, b.op1('MatMul', [probs, splitHeads(ctx, v, m.numHeads, headDim)]), [0, 2, 1, 3]);
  const merged = b.op1('Reshape', [context, b.int64s([0, 0, m.embedDim])]);
  return { output: linear(ctx, merged, m.projWeight, m.projBias), probs };
}

/** The kernel's weights and mask from the call; `selfAttention` inputs use `query` for all three. */
function nativeMhaInputs(ctx: LowerContext, a: BoundArgs, embedDim: number, numHeads: number, dtype: DType, inputs: { query: string; key?: string; value?: string }): NativeMhaInputs {
  return {
    query: inputs.query,
    key: inputs.key ?? inputs.query,
    value: inputs.value ?? inputs.query,
    selfAttention: inputs.key === undefined,
    embedDim,
    numHeads,
    qkvWeight: ctx.input(a.tensor('qkv_weight')),
    qkvBias: ctx.input(a.tensor('qkv_bias')),
    projWeight: ctx.input(a.tensor('proj_weight')),
    projBias: ctx.input(a.tensor('proj_bias')),
    mask: nativeMask(ctx, a),
    dtype,
  };
}

function multiHeadAttentionTypes(a: BoundArgs): ValueType[] {
  const query = rank3(a, 'query');
  const key = rank3(a, 'key');
  const value = rank3(a, 'value');
  const embedDim = a.int('embed_dim');
  const numHeads = a.int('num_head');
  const [batch, target, embedding] = query.shape;
  const source = key.shape[1];
  checkHeads(a, embedDim, numHeads, embedding);
  checkProjections(a, embedDim);
  if (!key.shape.every((d, i) => sameDims(d, value.shape[i])) || !sameDims(key.shape[0], batch) || !sameDims(key.shape[2], embedding)) {
    fail('TRACE_TYPE', `${a.schema.name}: key [${key.shape.join(', ')}] and value [${value.shape.join(', ')}] do not fit query [${query.shape.join(', ')}]`);
  }
  checkNativeMask(a, batch, numHeads, target, source);
  // Without need_weights torch returns an undefined tensor: an empty one stands in for it.
  const weights = !a.bool('need_weights')
    ? tensorOf(query.dtype, [0])
    : tensorOf(query.dtype, a.bool('average_attn_weights') ? [batch, target, source] : [batch, numHeads, target, source]);
  return [tensorOf(query.dtype, [batch, target, embedDim]), weights];
}

function multiHeadAttention(ctx: LowerContext, a: BoundArgs): string[] {
  const [query, key, value] = ['query', 'key', 'value'].map((name) => a.tensor(name));
  const dtype = query.tensor.dtype;
  const numHeads = a.int('num_head');
  const inputs = query === key && key === value
    ? { query: ctx.input(query) }
    : { query: ctx.input(query), key: ctx.input(key), value: ctx.input(value) };
  const { output, probs } = nativeMha(ctx, nativeMhaInputs(ctx, a, a.int('embed_dim'), numHeads, dtype, inputs));
  if (!a.bool('need_weights')) return [output, ctx.b.constant(dtype, [0], [])];
  if (!a.bool('average_attn_weights')) return [output, probs];
  // torch averages as sum / num_heads.
  return [output, ctx.b.op1('Div', [reduce(ctx, 'ReduceSum', probs, [1], false), ctx.b.scalar(dtype, numHeads)])];
}

function encoderLayerTypes(a: BoundArgs): ValueType[] {
  const src = rank3(a, 'src');
  const [batch, seq, embedding] = src.shape;
  const numHeads = a.int('num_heads');
  checkHeads(a, a.int('embed_dim'), numHeads, embedding);
  checkProjections(a, a.int('embed_dim'));
  checkEncoderLayerWeights(a, a.int('embed_dim'));
  checkNativeMask(a, batch, numHeads, seq, seq);
  return [src];
}

/** nn.TransformerEncoderLayer: self-attention and a ReLU/GELU feed-forward block, each with a residual and a layer norm. */
function encoderLayer(ctx: LowerContext, a: BoundArgs): string[] {
  const b = ctx.b;
  const src = a.tensor('src');
  const dtype = src.tensor.dtype;
  const eps = a.float('eps');
  const param = (name: string) => ctx.input(a.tensor(name));
  const embedDim = a.int('embed_dim');
  const numHeads = a.int('num_heads');
  const normFirst = a.bool('norm_first');
  const rank = rankOf(src);
  const normalize = (x: string, weightName: string, biasName: string) => {
    // Parameters are read before the norm's nodes are built, so initializers keep their place in the file.
    const weight = param(weightName);
    const bias = param(biasName);
    return layerNorm(ctx, x, { rank, normalizedShape: [embedDim], dtype, eps, weight: () => weight, bias: () => bias });
  };
  const norm1 = (x: string) => normalize(x, 'norm_weight_1', 'norm_bias_1');
  const norm2 = (x: string) => normalize(x, 'norm_weight_2', 'norm_bias_2');
  const feedForward = (x: string) => {
    const hidden = linear(ctx, x, param('ffn_weight_1'), param('ffn_bias_1'));
    const activated = a.bool('use_gelu') ? gelu(ctx, hidden, dtype, 'none', 'kernel') : b.op1('Relu', [hidden]);
    return linear(ctx, activated, param('ffn_weight_2'), param('ffn_bias_2'));
  };

  const attention = (input: string) => nativeMha(ctx, nativeMhaInputs(ctx, a, embedDim, numHeads, dtype, { query: input })).output;
  const x = ctx.input(src);
  if (normFirst) {
    const attended = b.op1('Add', [x, attention(norm1(x))]);
    return [b.op1('Add', [attended, feedForward(norm2(attended))])];
  }
  const attended = norm1(b.op1('Add', [x, attention(x)]));
  return [norm2(b.op1('Add', [attended, feedForward(attended)]))];
}

// ---- scaled dot-product attention ----

interface SdpaShapes {
  /** Shape of the scores and probabilities (…, target, source). */
  probs: Dim[];
  output: Dim[];
  /** Query heads per key/value head, for grouped-query attention (1 otherwise). */
  groups: number;
}

function sdpaShapes(a: BoundArgs, gqa: boolean): SdpaShapes {
  const [query, key, value] = ['query', 'key', 'value'].map((name) => floatTensor(a, name).shape);
  const name = a.schema.name;
  if (query.length < 2 || key.length < 2 || value.length < 2) fail('TRACE_TYPE', `${name}: query, key and value must be at least 2-D`);
  const [target, embedding] = query.slice(-2);
  const source = key[key.length - 2];
  if (!sameDims(key[key.length - 1], embedding) || !sameDims(value[value.length - 2], source)) {
    fail('TRACE_TYPE', `${name}: query [${query.join(', ')}], key [${key.join(', ')}] and value [${value.join(', ')}] do not fit`);
  }
  let keyBatch = key.slice(0, -2);
  let valueBatch = value.slice(0, -2);
  let groups = 1;
  if (gqa) {
    if (query.length < 3 || key.length < 3 || value.length < 3) fail('TRACE_TYPE', `${name}: enable_gqa needs a heads dimension (-3)`);
    const [heads, keyHeads] = [query[query.length - 3], key[key.length - 3]];
    if (typeof heads !== 'number' || typeof keyHeads !== 'number' || keyHeads !== value[value.length - 3]) {
      fail('TRACE_UNSUPPORTED', `${name}: enable_gqa needs static head counts, equal for key and value`);
    }
    if (heads % keyHeads !== 0) fail('TRACE_TYPE', `${name}: ${heads} query heads are not a multiple of ${keyHeads} key/value heads`);
    groups = heads / keyHeads;
    keyBatch = [...keyBatch.slice(0, -1), heads];
    valueBatch = [...valueBatch.slice(0, -1), heads];
  }
  let probs = [...broadcastShapes(query.slice(0, -2), keyBatch, valueBatch), target, source];
  const mask = a.optTensor('attn_mask');
  if (mask) {
    if (a.bool('is_causal')) fail('TRACE_TYPE', `${name}: attn_mask must not be given with is_causal=True`);
    const dtype = mask.tensor.dtype;
    if (dtype !== 'bool' && !isFloating(dtype)) fail('TRACE_TYPE', `${name}: attn_mask must be bool or floating point, got ${dtype}`);
    probs = broadcastShapes(probs, mask.tensor.shape);
  }
  return { probs, output: [...probs.slice(0, -2), target, value[value.length - 1]], groups };
}

/** Element i of a shape as a 0-d int64: a constant when static. */
function dimScalar(ctx: LowerContext, x: string, shape: readonly Dim[], i: number): string {
  const d = shape[i];
  if (typeof d === 'number') return ctx.b.scalar('int64', d);
  return ctx.b.op1('Gather', [ctx.b.op1('Shape', [x]), ctx.b.scalar('int64', i)], { axis: 0 });
}

/**
 * A rows × cols bool matrix, True where column − row ≥ diagonal (upper) or ≤ diagonal (lower): a
 * constant below opset 11 (static sizes only), Range arithmetic from 11, so dynamic lengths work.
 */
function triangle(ctx: LowerContext, rows: Dim, cols: Dim, sizeOf: (which: 'rows' | 'cols') => string, diagonal: number, upper: boolean): string {
  const b = ctx.b;
  if (ctx.opset < 11) {
    if (typeof rows !== 'number' || typeof cols !== 'number') {
      return fail('OP_OPSET', `a triangular mask of dynamic size needs opset 11 or later (target is ${ctx.opset})`);
    }
    const keep = Array.from({ length: rows * cols }, (_, i) => {
      const offset = (i % cols) - Math.floor(i / cols);
      return upper ? offset >= diagonal : offset <= diagonal;
    });
    return b.constant('bool', [rows, cols], keep);
  }
  const range = (n: string) => b.op1('Range', [b.scalar('int64', 0), n, b.scalar('int64', 1)]);
  const offsets = b.op1('Sub', [range(sizeOf('cols')), unsqueeze(ctx, range(sizeOf('rows')), [1])]);
  return b.op1('Not', [b.op1(upper ? 'Less' : 'Greater', [offsets, b.scalar('int64', diagonal)])]);
}

/** torch's causal mask, `ones(L, S).tril()`: True where source position ≤ target position. */
function causalKeep(ctx: LowerContext, query: string, queryShape: readonly Dim[], key: string, keyShape: readonly Dim[]): string {
  const [target, source] = [queryShape.length - 2, keyShape.length - 2];
  const sizeOf = (which: 'rows' | 'cols') => (which === 'rows' ? dimScalar(ctx, query, queryShape, target) : dimScalar(ctx, key, keyShape, source));
  return triangle(ctx, queryShape[target], keyShape[source], sizeOf, 0, false);
}

/** `1 / sqrt(E)` for E = query.size(-1), or the given scale. */
function attentionScale(ctx: LowerContext, query: string, shape: readonly Dim[], dtype: DType, scale: number | undefined): string {
  if (scale !== undefined) return ctx.b.scalar(dtype, scale);
  const embedding = shape[shape.length - 1];
  if (typeof embedding === 'number') return ctx.b.scalar(dtype, 1 / Math.sqrt(embedding));
  const size = castTo(ctx, dimScalar(ctx, query, shape, shape.length - 1), 'int64', dtype);
  return ctx.b.op1('Reciprocal', [ctx.b.op1('Sqrt', [size])]);
}

/** `x.repeat_interleave(groups, -3)`: query head h reads key/value head h // groups. */
function repeatHeads(ctx: LowerContext, x: string, shape: readonly Dim[], groups: number): string {
  const heads = shape[shape.length - 3] as number;
  const indices = Array.from({ length: heads * groups }, (_, h) => Math.floor(h / groups));
  return ctx.b.op1('Gather', [x, ctx.b.int64s(indices)], { axis: shape.length - 3 });
}

interface SdpaOptions {
  gqa: boolean;
  /** torch ≥ 2.5 gives 0, not NaN, for a row whose every score is masked. */
  safeSoftmax: boolean;
  scale: number | undefined;
}

/**
 * softmax(q·kᵀ·scale + mask)·v. Dropout is left out: an exported model runs inference, as
 * torch.onnx.export's Dropout in inference mode does.
 */
function sdpa(ctx: LowerContext, a: BoundArgs, options: SdpaOptions): { output: string; probs: string } {
  const b = ctx.b;
  const [query, key, value] = ['query', 'key', 'value'].map((name) => a.tensor(name));
  const shapes = sdpaShapes(a, options.gqa);
  const dtype = query.tensor.dtype;
  const q = ctx.input(query);
  let k = ctx.input(key);
  let v = ctx.input(value);
  if (shapes.groups > 1) {
    k = repeatHeads(ctx, k, shapeOf(key), shapes.groups);
    v = repeatHeads(ctx, v, shapeOf(value), shapes.groups);
  }
  const scale = attentionScale(ctx, q, shapeOf(query), dtype, options.scale);
  let scores = b.op1('Mul', [b.op1('MatMul', [q, transposeLast(ctx, k, rankOf(key))]), scale]);
  const negativeInfinity = b.scalar(dtype, -Infinity);
  const mask = a.optTensor('attn_mask');
  if (a.bool('is_causal')) {
    scores = b.op1('Where', [causalKeep(ctx, q, shapeOf(query), k, shapeOf(key)), scores, negativeInfinity]);
  } else if (mask && mask.tensor.dtype === 'bool') {
    scores = b.op1('Where', [ctx.input(mask), scores, negativeInfinity]);
  } else if (mask) {
    scores = b.op1('Add', [scores, castTo(ctx, ctx.input(mask), mask.tensor.dtype, dtype)]);
  }
  const lastAxis = shapes.probs.length - 1;
  let probs = b.op1('Softmax', [scores], { axis: lastAxis });
  // A causal mask always keeps the first source position, so only an explicit mask can empty a row.
  if (options.safeSoftmax && mask) {
    const rowMax = reduce(ctx, 'ReduceMax', scores, [lastAxis], true);
    const emptyRow = b.op1('Not', [b.op1('Greater', [rowMax, negativeInfinity])]);
    probs = b.op1('Where', [emptyRow, b.scalar(dtype, 0), probs]);
  }
  return { output: b.op1('MatMul', [probs, v]), probs };
}

// ---- triu / tril, which build causal masks ----

function triangularType(a: BoundArgs): TensorType {
  const self = a.tensor('self').tensor;
  if (self.shape.length < 2) fail('TRACE_TYPE', `${a.schema.name}: input tensor must have at least 2 dimensions`);
  return self;
}

/** Keeps the elements on and above (triu) or on and below (tril) the diagonal of the last two axes; zeros the rest. */
function triangular(upper: boolean): OpDef {
  const name = upper ? 'triu' : 'tril';
  return {
    schemas: [`aten::${name}(Tensor self, int diagonal=0) -> Tensor`],
    infer: (a) => [triangularType(a)],
    evaluate: (a) => {
      const type = triangularType(a);
      const known = a.known(a.tensor('self'));
      if (!known) return undefined;
      const [rows, cols] = type.shape.slice(-2) as number[];
      const diagonal = a.int('diagonal');
      const values = known.values.map((v, i) => {
        const offset = (i % cols) - (Math.floor(i / cols) % rows);
        return (upper ? offset >= diagonal : offset <= diagonal) ? v : 0;
      });
      return [{ type, values }];
    },
    lower: {
      [LOWEST_OPSET]: (ctx, a) => {
        const self = a.tensor('self');
        const x = ctx.input(self);
        const diagonal = a.int('diagonal');
        if (ctx.opset >= 14) return [ctx.b.op1('Trilu', [x, ctx.b.scalar('int64', diagonal)], { upper: upper ? 1 : 0 })];
        const shape = shapeOf(self);
        const rank = shape.length;
        const sizeOf = (which: 'rows' | 'cols') => dimScalar(ctx, x, shape, which === 'rows' ? rank - 2 : rank - 1);
        const keep = triangle(ctx, shape[rank - 2], shape[rank - 1], sizeOf, diagonal, upper);
        return [ctx.b.op1('Where', [keep, x, ctx.b.scalar(self.tensor.dtype, 0)])];
      },
    },
  };
}

const defs: OpDef[] = [
  {
    schemas: [
      'aten::_native_multi_head_attention(Tensor query, Tensor key, Tensor value, int embed_dim, int num_head, Tensor qkv_weight, Tensor qkv_bias, Tensor proj_weight, Tensor proj_bias, Tensor? mask=None, bool need_weights=True, bool average_attn_weights=True, int? mask_type=None) -> (Tensor, Tensor)',
    ],
    infer: multiHeadAttentionTypes,
    lower: { [LOWEST_OPSET]: multiHeadAttention },
  },
  {
    schemas: [
      'aten::_transformer_encoder_layer_fwd(Tensor src, int embed_dim, int num_heads, Tensor qkv_weight, Tensor qkv_bias, Tensor proj_weight, Tensor proj_bias, bool use_gelu, bool norm_first, float eps, Tensor norm_weight_1, Tensor norm_bias_1, Tensor norm_weight_2, Tensor norm_bias_2, Tensor ffn_weight_1, Tensor ffn_bias_1, Tensor ffn_weight_2, Tensor ffn_bias_2, Tensor? mask=None, int? mask_type=None) -> Tensor',
    ],
    infer: encoderLayerTypes,
    lower: { [LOWEST_OPSET]: encoderLayer },
  },
  {
    // torch 2.6's schema; calls recorded by 2.0–2.5 (no scale or enable_gqa) bind to it through the defaults.
    schemas: [
      'aten::scaled_dot_product_attention(Tensor query, Tensor key, Tensor value, Tensor? attn_mask=None, float dropout_p=0., bool is_causal=False, *, float? scale=None, bool enable_gqa=False) -> Tensor',
    ],
    infer: (a) => [tensorOf(a.tensor('query').tensor.dtype, sdpaShapes(a, a.bool('enable_gqa')).output)],
    lower: {
      [LOWEST_OPSET]: (ctx, a) => [sdpa(ctx, a, { gqa: a.bool('enable_gqa'), safeSoftmax: true, scale: a.optFloat('scale') }).output],
    },
  },
  {
    // torch 1.13's private form, which also returns the attention probabilities.
    schemas: [
      'aten::_scaled_dot_product_attention(Tensor query, Tensor key, Tensor value, Tensor? attn_mask=None, float dropout_p=0., bool need_attn_weights=False, bool is_causal=False) -> (Tensor, Tensor)',
    ],
    infer: (a) => {
      const dtype = a.tensor('query').tensor.dtype;
      const shapes = sdpaShapes(a, false);
      return [tensorOf(dtype, shapes.output), tensorOf(dtype, shapes.probs)];
    },
    lower: {
      [LOWEST_OPSET]: (ctx, a) => {
        const { output, probs } = sdpa(ctx, a, { gqa: false, safeSoftmax: false, scale: undefined });
        return [output, probs];
      },
    },
  },
];

export const attentionOps: readonly OpDef[] = [...defs, triangular(true), triangular(false)];
