/**
 * Recurrent layers and cells: aten::lstm / gru / rnn_tanh / rnn_relu (padded `.input` and packed
 * `.data` overloads) and their `_cell` ops, lowered to ONNX LSTM / GRU / RNN nodes, one per layer.
 * torch keeps gates in the order i,f,g,o (LSTM) and r,z,n (GRU); ONNX wants i,o,f,c and z,r,h,
 * so each weight and bias is split into its gates and concatenated again in ONNX order by nodes
 * on the parameter (the ONNX stage may fold them).
 */
import type { DType } from '../../archive/types.js';
import { fail } from '../../errors.js';
import type { OnnxAttrs } from '../../ir/onnx-graph.js';
import type { Dim, GValue, TensorType, ValueType } from '../../ir/torch-graph.js';
import type { BoundArgs } from '../args.js';
import { intArg, intAsVector, sizeDim, staticInts } from '../args.js';
import { castTo, operand, rankOf, requireDtype, requireSameDtype, requireShape, shapeOf, tensorOf } from '../helpers.js';
import { needOpset, reduce, scatterElements, slice, split, squeeze, transpose, unsqueeze } from '../opset.js';
import { encodeValues } from '../tensor-bytes.js';
import type { LowerContext, OpDef } from '../registry.js';

interface Family {
  readonly onnx: 'LSTM' | 'GRU' | 'RNN';
  readonly gates: number;
  /** torch gate index of each ONNX gate, in ONNX order. */
  readonly order: readonly number[];
  /** Extra ONNX attributes, given the number of directions. */
  attrs(directions: number): OnnxAttrs;
}

const LSTM: Family = { onnx: 'LSTM', gates: 4, order: [0, 3, 1, 2], attrs: () => ({}) };
/** torch's GRU applies the reset gate after the hidden projection: ONNX's linear_before_reset=1. */
const GRU: Family = { onnx: 'GRU', gates: 3, order: [1, 0, 2], attrs: () => ({ linear_before_reset: 1 }) };
const RNN_TANH: Family = { onnx: 'RNN', gates: 1, order: [0], attrs: () => ({}) };
const RNN_RELU: Family = { onnx: 'RNN', gates: 1, order: [0], attrs: (directions) => ({ activations: { strings: Array(directions).fill('Relu') } }) };

/** The weights of one layer in one direction, as graph values. */
interface DirectionParams {
  readonly wIh: GValue;
  readonly wHh: GValue;
  readonly bIh?: GValue;
  readonly bHh?: GValue;
}

/** A multi-layer call (`aten::lstm.input`, `aten::gru.data`, ...) with its arguments read. */
interface Stack {
  readonly family: Family;
  readonly op: string;
  readonly input: GValue;
  /** LSTM: [h0, c0]; GRU/RNN: [h0]. */
  readonly states: GValue[];
  /** params[layer][direction]. */
  readonly params: DirectionParams[][];
  readonly hidden: number;
  readonly directions: number;
  readonly batchFirst: boolean;
  /** Packed sequences: the batch size of each time step (the `.data` overloads). */
  readonly batchSizes?: GValue;
}

function hiddenSizeOf(op: string, family: Family, wHh: GValue): number {
  const rows = shapeOf(wHh)[0];
  if (typeof rows !== 'number' || rows % family.gates !== 0) fail('TRACE_TYPE', `${op}: weight_hh has ${rows} rows, not a multiple of ${family.gates}`);
  return rows / family.gates;
}

/**
 * What PyTorch checks before running a layer: every weight of the input's dtype, weight_ih
 * [gates * hidden, features], weight_hh [gates * hidden, hidden], biases [gates * hidden]. Without
 * this, mismatched weights would be written as a model onnxruntime refuses.
 */
function requireLayerShapes(op: string, family: Family, p: DirectionParams, input: GValue, features: Dim, hidden: number): void {
  const rows = family.gates * hidden;
  requireSameDtype(op, ['input', input], ['weight_ih', p.wIh], ['weight_hh', p.wHh], ['bias_ih', p.bIh], ['bias_hh', p.bHh]);
  requireShape(op, ['weight_ih', p.wIh], [rows, features]);
  requireShape(op, ['weight_hh', p.wHh], [rows, hidden]);
  requireShape(op, ['bias_ih', p.bIh], [rows]);
  requireShape(op, ['bias_hh', p.bHh], [rows]);
}

function readStack(a: BoundArgs, family: Family, op: string): Stack {
  const packed = a.schema.overload === 'data';
  const input = a.tensor(packed ? 'data' : 'input');
  const states = family.onnx === 'LSTM' ? a.tensors('hx') : [a.tensor('hx')];
  if (states.length !== (family.onnx === 'LSTM' ? 2 : 1)) fail('TRACE_TYPE', `${op}: expected ${family.onnx === 'LSTM' ? 2 : 1} initial states, got ${states.length}`);
  const all = a.tensors('params');
  const hasBiases = a.bool('has_biases');
  const layers = a.int('num_layers');
  const directions = a.bool('bidirectional') ? 2 : 1;
  if (a.bool('train') && a.float('dropout') > 0 && layers > 1) {
    fail('TRACE_UNSUPPORTED', `${op}: dropout between layers in training mode is random; convert in eval mode`);
  }
  const perDirection = hasBiases ? 4 : 2;
  if (all.length === layers * directions * (perDirection + 1) && family.onnx === 'LSTM') {
    fail('OP_UNSUPPORTED', `${op}: LSTM with proj_size has no ONNX LSTM equivalent`);
  }
  if (all.length !== layers * directions * perDirection) {
    fail('TRACE_TYPE', `${op}: expected ${layers * directions * perDirection} parameters for ${layers} layer(s), got ${all.length}`);
  }
  const params: DirectionParams[][] = [];
  for (let l = 0; l < layers; l++) {
    const layer: DirectionParams[] = [];
    for (let d = 0; d < directions; d++) {
      const at = (l * directions + d) * perDirection;
      layer.push(hasBiases ? { wIh: all[at], wHh: all[at + 1], bIh: all[at + 2], bHh: all[at + 3] } : { wIh: all[at], wHh: all[at + 1] });
    }
    params.push(layer);
  }
  const expectedRank = packed ? 2 : 3;
  if (rankOf(input) !== expectedRank) fail('TRACE_TYPE', `${op}: expected a ${expectedRank}-D input, got ${rankOf(input)}-D`);
  const hidden = hiddenSizeOf(op, family, params[0][0].wHh);
  const batch = packed ? undefined : shapeOf(input)[a.bool('batch_first') ? 0 : 1];
  for (const h of states) requireShape(op, ['hx', h], [layers * directions, batch, hidden]);
  params.forEach((layer, l) =>
    layer.forEach((p) => requireLayerShapes(op, family, p, input, l === 0 ? shapeOf(input)[expectedRank - 1] : directions * hidden, hidden)),
  );
  return {
    family,
    op,
    input,
    states,
    params,
    hidden,
    directions,
    batchFirst: !packed && a.bool('batch_first'),
    batchSizes: packed ? a.tensor('batch_sizes') : undefined,
  };
}

function inferStack(s: Stack): ValueType[] {
  const dtype = s.input.tensor.dtype;
  const inShape = shapeOf(s.input);
  const features = s.directions * s.hidden;
  const output: Dim[] = s.batchSizes ? [inShape[0], features] : [inShape[0], inShape[1], features];
  return [tensorOf(dtype, output), ...s.states.map((h) => tensorOf(dtype, shapeOf(h)))];
}

/** Splits a weight or bias into its gates along dim 0 and joins them in ONNX order. */
function reorderGates(ctx: LowerContext, family: Family, x: string, hidden: number): string {
  if (family.gates === 1) return x;
  const gates = split(ctx, x, 0, Array(family.gates).fill(hidden));
  return ctx.b.op1('Concat', family.order.map((g) => gates[g]), { axis: 0 });
}

/** Per-direction tensors stacked on a new leading axis (ONNX's num_directions). */
function stackDirections(ctx: LowerContext, parts: string[]): string {
  const stacked = parts.map((p) => unsqueeze(ctx, p, [0]));
  return stacked.length === 1 ? stacked[0] : ctx.b.op1('Concat', stacked, { axis: 0 });
}

interface OnnxWeights {
  readonly w: string;
  readonly r: string;
  /** '' when the layer has no biases. */
  readonly b: string;
}

function layerWeights(ctx: LowerContext, family: Family, hidden: number, dtype: DType, dirs: readonly DirectionParams[]): OnnxWeights {
  const reorder = (v: GValue) => reorderGates(ctx, family, ctx.input(v), hidden);
  const w = stackDirections(ctx, dirs.map((p) => reorder(p.wIh)));
  const r = stackDirections(ctx, dirs.map((p) => reorder(p.wHh)));
  if (dirs.every((p) => !p.bIh && !p.bHh)) return { w, r, b: '' };
  const zeros = () => ctx.b.constant(dtype, [family.gates * hidden], Array(family.gates * hidden).fill(0));
  const biases = dirs.map((p) => ctx.b.op1('Concat', [p.bIh ? reorder(p.bIh) : zeros(), p.bHh ? reorder(p.bHh) : zeros()], { axis: 0 }));
  return { w, r, b: stackDirections(ctx, biases) };
}

interface LayerResult {
  /** [seq, batch, directions * hidden]. */
  readonly output: string;
  /** Final states, [directions, batch, hidden] each. */
  readonly states: string[];
}

/** One ONNX recurrent node over a [seq, batch, features] input. */
function runLayer(
  ctx: LowerContext,
  family: Family,
  x: string,
  weights: OnnxWeights,
  initial: readonly string[],
  hidden: number,
  directions: number,
  sequenceLens: string,
): LayerResult {
  const attrs: OnnxAttrs = { hidden_size: hidden, direction: directions === 2 ? 'bidirectional' : 'forward', ...family.attrs(directions) };
  const inputs = [x, weights.w, weights.r, weights.b, sequenceLens, ...initial];
  const [y, ...states] = ctx.b.op(family.onnx, inputs, attrs, 1 + initial.length);
  // Y is [seq, directions, batch, hidden]; torch concatenates the directions' features.
  const output = directions === 1
    ? squeeze(ctx, y, [1])
    : ctx.b.op1('Reshape', [transpose(ctx, y, [0, 2, 1, 3]), ctx.b.int64s([0, 0, -1])]);
  return { output, states };
}

/**
 * A state in the input's dtype: a traced RNN bakes the dtype of its zero initial state (float32) into
 * the code, which --fp16 runs on float16 inputs.
 */
function stateAs(ctx: LowerContext, h: GValue, dtype: DType): string {
  return castTo(ctx, ctx.input(h), h.tensor.dtype, dtype);
}

/** Runs every layer; returns the last layer's output and each state stacked over layers. */
function runStack(ctx: LowerContext, s: Stack, x: string, sequenceLens: string): LayerResult {
  const dtype = s.input.tensor.dtype;
  const initial = s.states.map((h) => stateAs(ctx, h, dtype));
  const finals: string[][] = s.states.map(() => []);
  let output = x;
  s.params.forEach((dirs, l) => {
    const weights = layerWeights(ctx, s.family, s.hidden, dtype, dirs);
    const layerInitial = initial.map((h) =>
      s.params.length === 1 ? h : slice(ctx, h, [{ axis: 0, start: l * s.directions, end: (l + 1) * s.directions, step: 1 }]),
    );
    const result = runLayer(ctx, s.family, output, weights, layerInitial, s.hidden, s.directions, sequenceLens);
    output = result.output;
    result.states.forEach((h, i) => finals[i].push(h));
  });
  const states = finals.map((parts) => (parts.length === 1 ? parts[0] : ctx.b.op1('Concat', parts, { axis: 0 })));
  return { output, states };
}

function lowerPadded(ctx: LowerContext, s: Stack): string[] {
  const input = ctx.input(s.input);
  const x = s.batchFirst ? transpose(ctx, input, [1, 0, 2]) : input;
  const { output, states } = runStack(ctx, s, x, '');
  return [s.batchFirst ? transpose(ctx, output, [1, 0, 2]) : output, ...states];
}

/** 0, 1, ..., n-1 for a 1-element int64 tensor n, as NonZero of n ones (Range needs opset 11). */
function arangeOf(ctx: LowerContext, n: string): string {
  const one = { name: '', dtype: 'int64' as const, dims: [1], data: { kind: 'bytes' as const, bytes: encodeValues('int64', [1]) } };
  return squeeze(ctx, ctx.b.op1('NonZero', [ctx.b.op1('ConstantOfShape', [n], { value: { t: one } })]), [0]);
}

/** The shape `[rows, ...x's dims from `from` on]` as a 1-D int64 tensor. */
function rowsShape(ctx: LowerContext, x: string, dims: readonly Dim[], from: number, rows: string): string {
  const rest = dims.slice(from);
  const known = staticInts(rest);
  const tail = known ? ctx.b.int64s(known) : slice(ctx, ctx.b.op1('Shape', [x]), [{ axis: 0, start: from, end: dims.length, step: 1 }]);
  return rest.length === 0 ? rows : ctx.b.op1('Concat', [rows, tail], { axis: 0 });
}

/**
 * The padded layout of a packed sequence: `valid[t, b]` says whether sequence b has a step t. Packed
 * data lists the valid steps in row-major order of this grid (time-major, the batch sorted by
 * descending length), so NonZero of the flattened mask gives each packed row's place in the grid.
 */
interface PackedGrid {
  /** [steps, batch] bool. */
  readonly valid: string;
  /** [batch] int64: each sequence's length. */
  readonly lengths: string;
  /** [1] int64 each. */
  readonly steps: string;
  readonly batch: string;
}

/** The grid of a packed sequence's batch_sizes ([T]: how many sequences have step t), over `steps` time steps. */
function gridOfBatchSizes(ctx: LowerContext, batchSizes: GValue, steps: string): PackedGrid {
  const b = ctx.b;
  const sizes = castTo(ctx, ctx.input(batchSizes), batchSizes.tensor.dtype, 'int64');
  const batch = slice(ctx, sizes, [{ axis: 0, start: 0, end: 1, step: 1 }]);
  const running = b.op1('Less', [unsqueeze(ctx, arangeOf(ctx, batch), [0]), unsqueeze(ctx, sizes, [1])]);
  const lengths = reduce(ctx, 'ReduceSum', castTo(ctx, running, 'bool', 'int64'), [0], false);
  const valid = b.op1('Less', [unsqueeze(ctx, arangeOf(ctx, steps), [1]), unsqueeze(ctx, lengths, [0])]);
  return { valid, lengths, steps, batch };
}

/** Packs [steps, batch, ...] rows into [valid steps, ...] in the grid's order (Compress: opset 9). */
function packRows(ctx: LowerContext, x: string, dims: readonly Dim[], valid: string): string {
  const rows = ctx.b.op1('Reshape', [x, rowsShape(ctx, x, dims, 2, ctx.b.int64s([-1]))]);
  return ctx.b.op1('Compress', [rows, ctx.b.op1('Reshape', [valid, ctx.b.int64s([-1])])], { axis: 0 });
}

/** Spreads packed rows [N, ...] onto the grid: [steps, batch, ...], `fill` where no sequence has a step. */
function padRows(ctx: LowerContext, data: GValue, grid: PackedGrid, fill: string): string {
  const b = ctx.b;
  const x = ctx.input(data);
  const dims = shapeOf(data);
  const dataShape = b.op1('Shape', [x]);
  const cells = b.op1('Mul', [grid.steps, grid.batch]);
  const blank = b.op1('Expand', [fill, rowsShape(ctx, x, dims, 1, cells)]);
  const places = squeeze(ctx, b.op1('NonZero', [b.op1('Reshape', [grid.valid, b.int64s([-1])])]), [0]);
  const index = b.op1('Expand', [unsqueeze(ctx, places, dims.slice(1).map((_, i) => i + 1)), dataShape]);
  const spread = scatterElements(ctx, blank, index, x, 0);
  return b.op1('Reshape', [spread, rowsShape(ctx, x, dims, 1, b.op1('Concat', [grid.steps, grid.batch], { axis: 0 }))]);
}

/**
 * A recurrent layer on a packed sequence (`data` [N, features], `batch_sizes` [T]): the data padded to
 * [T, B, features], run with each sequence's length (ONNX's sequence_lens: outputs past a length are
 * zero, final states are each sequence's last valid step, as PyTorch's), and packed again.
 */
function lowerPacked(ctx: LowerContext, s: Stack): string[] {
  needOpset(ctx, 9, `${s.op} on packed sequences (NonZero, Compress)`);
  const b = ctx.b;
  const batchSizes = s.batchSizes as GValue;
  const grid = gridOfBatchSizes(ctx, batchSizes, b.op1('Shape', [ctx.input(batchSizes)]));
  const padded = padRows(ctx, s.input, grid, b.scalar(s.input.tensor.dtype, 0));
  const { output, states } = runStack(ctx, s, padded, castTo(ctx, grid.lengths, 'int64', 'int32'));
  const outputDims: Dim[] = ['steps', 'batch', s.directions * s.hidden];
  return [packRows(ctx, output, outputDims, grid.valid), ...states];
}

/** The dims of a padded batch [T, B, ...] or, batch-first, [B, T, ...], as time-major [T, B, ...]. */
function timeMajor(dims: readonly Dim[], batchFirst: boolean): Dim[] {
  return batchFirst ? [dims[1], dims[0], ...dims.slice(2)] : [...dims];
}

/**
 * `aten::_pack_padded_sequence(input, lengths, batch_first)`: the valid steps of a padded batch,
 * time-major ([sum(lengths), ...]), and batch_sizes ([max(lengths)]: how many sequences have step t).
 * PyTorch refuses lengths out of descending order (enforce_sorted) or past the input's steps before
 * packing; the packed order here is the grid's, which equals PyTorch's for the lengths it accepts.
 */
const packPaddedSequence: OpDef = {
  schemas: ['aten::_pack_padded_sequence(Tensor input, Tensor lengths, bool batch_first) -> (Tensor, Tensor)'],
  infer: (a) => {
    const op = 'aten::_pack_padded_sequence';
    const input = a.tensor('input');
    const lengths = a.tensor('lengths');
    if (rankOf(input) < 2) fail('TRACE_TYPE', `${op}: expected an input of at least 2 dims, got ${rankOf(input)}-D`);
    requireDtype(op, ['lengths', lengths], ['int64']);
    const dims = timeMajor(shapeOf(input), a.bool('batch_first'));
    requireShape(op, ['lengths', lengths], [dims[1]]);
    return [tensorOf(input.tensor.dtype, [a.freshDim('pack_padded_sequence'), ...dims.slice(2)]), tensorOf('int64', [a.freshDim('batch_sizes')])];
  },
  lower: {
    9: (ctx, a) => {
      const b = ctx.b;
      const input = a.tensor('input');
      const batchFirst = a.bool('batch_first');
      const x = batchFirst ? transpose(ctx, ctx.input(input), [1, 0, ...shapeOf(input).slice(2).map((_, i) => i + 2)]) : ctx.input(input);
      const dims = timeMajor(shapeOf(input), batchFirst);
      const lengths = a.tensor('lengths');
      const steps = slice(ctx, b.op1('Shape', [x]), [{ axis: 0, start: 0, end: 1, step: 1 }]);
      const valid = b.op1('Less', [unsqueeze(ctx, arangeOf(ctx, steps), [1]), unsqueeze(ctx, ctx.input(lengths), [0])]);
      const counts = reduce(ctx, 'ReduceSum', castTo(ctx, valid, 'bool', 'int64'), [1], false);
      const batchSizes = b.op1('Compress', [counts, b.op1('Greater', [counts, b.scalar('int64', 0)])], { axis: 0 });
      return [packRows(ctx, x, dims, valid), batchSizes];
    },
  },
};

/**
 * `aten::_pad_packed_sequence(data, batch_sizes, batch_first, padding_value, total_length)`: packed
 * steps back to a padded batch of `total_length` steps, `padding_value` past each length, and the
 * lengths (int64).
 */
const padPackedSequence: OpDef = {
  schemas: ['aten::_pad_packed_sequence(Tensor data, Tensor batch_sizes, bool batch_first, Scalar padding_value, int total_length) -> (Tensor, Tensor)'],
  infer: (a) => {
    const op = 'aten::_pad_packed_sequence';
    const data = a.tensor('data');
    const batchSizes = a.tensor('batch_sizes');
    if (rankOf(data) < 1) fail('TRACE_TYPE', `${op}: expected packed data of at least 1 dim`);
    requireDtype(op, ['batch_sizes', batchSizes], ['int64']);
    if (rankOf(batchSizes) !== 1) fail('TRACE_TYPE', `${op}: expected 1-D batch_sizes, got ${rankOf(batchSizes)}-D`);
    const steps = sizeDim(a, intArg(a, 'total_length'), 'pad_packed_sequence');
    const batch = a.freshDim('pad_packed_sequence');
    const dims: Dim[] = [steps, batch, ...shapeOf(data).slice(1)];
    return [tensorOf(data.tensor.dtype, timeMajor(dims, a.bool('batch_first'))), tensorOf('int64', [batch])];
  },
  lower: {
    9: (ctx, a) => {
      const data = a.tensor('data');
      const total = intArg(a, 'total_length');
      const steps = typeof total === 'number' ? ctx.b.int64s([total]) : intAsVector(ctx, total);
      const grid = gridOfBatchSizes(ctx, a.tensor('batch_sizes'), steps);
      const padded = padRows(ctx, data, grid, operand(ctx, a.scalar('padding_value'), data.tensor.dtype));
      const rank = rankOf(data) + 1;
      const out = a.bool('batch_first') ? transpose(ctx, padded, [1, 0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2)]) : padded;
      return [out, grid.lengths];
    },
  },
};

function stackOp(schemas: string[], family: Family): OpDef {
  const op = schemas[0].slice(0, schemas[0].indexOf('.'));
  return {
    schemas,
    infer: (a) => inferStack(readStack(a, family, op)),
    lower: {
      7: (ctx, a) => {
        const s = readStack(a, family, op);
        return s.batchSizes ? lowerPacked(ctx, s) : lowerPadded(ctx, s);
      },
    },
  };
}

/** A cell is one time step of a one-layer, one-direction recurrent node. */
function cellOp(schema: string, family: Family): OpDef {
  const op = schema.slice(0, schema.indexOf('('));
  const read = (a: BoundArgs) => {
    const input = a.tensor('input');
    if (rankOf(input) !== 2) fail('TRACE_TYPE', `${op}: expected a 2-D input, got ${rankOf(input)}-D`);
    const states = family.onnx === 'LSTM' ? a.tensors('hx') : [a.tensor('hx')];
    if (states.length !== (family.onnx === 'LSTM' ? 2 : 1)) fail('TRACE_TYPE', `${op}: expected ${family.onnx === 'LSTM' ? 2 : 1} states, got ${states.length}`);
    const params: DirectionParams = { wIh: a.tensor('w_ih'), wHh: a.tensor('w_hh'), bIh: a.optTensor('b_ih'), bHh: a.optTensor('b_hh') };
    const hidden = hiddenSizeOf(op, family, params.wHh);
    requireLayerShapes(op, family, params, input, shapeOf(input)[1], hidden);
    for (const h of states) requireShape(op, ['hx', h], [shapeOf(input)[0], hidden]);
    return { input, states, params, hidden };
  };
  return {
    schemas: [schema],
    infer: (a) => {
      const { input, states } = read(a);
      return states.map((h): TensorType => tensorOf(input.tensor.dtype, shapeOf(h)));
    },
    lower: {
      7: (ctx, a) => {
        const { input, states, params, hidden } = read(a);
        const weights = layerWeights(ctx, family, hidden, input.tensor.dtype, [params]);
        const x = unsqueeze(ctx, ctx.input(input), [0]);
        const initial = states.map((h) => unsqueeze(ctx, stateAs(ctx, h, input.tensor.dtype), [0]));
        const result = runLayer(ctx, family, x, weights, initial, hidden, 1, '');
        return result.states.map((h) => squeeze(ctx, h, [0]));
      },
    },
  };
}

const PACKED_TAIL = 'Tensor[] params, bool has_biases, int num_layers, float dropout, bool train, bool bidirectional';

export const rnnOps: readonly OpDef[] = [
  stackOp(
    [
      `aten::lstm.input(Tensor input, Tensor[] hx, ${PACKED_TAIL}, bool batch_first) -> (Tensor, Tensor, Tensor)`,
      `aten::lstm.data(Tensor data, Tensor batch_sizes, Tensor[] hx, ${PACKED_TAIL}) -> (Tensor, Tensor, Tensor)`,
    ],
    LSTM,
  ),
  stackOp(
    [
      `aten::gru.input(Tensor input, Tensor hx, ${PACKED_TAIL}, bool batch_first) -> (Tensor, Tensor)`,
      `aten::gru.data(Tensor data, Tensor batch_sizes, Tensor hx, ${PACKED_TAIL}) -> (Tensor, Tensor)`,
    ],
    GRU,
  ),
  stackOp(
    [
      `aten::rnn_tanh.input(Tensor input, Tensor hx, ${PACKED_TAIL}, bool batch_first) -> (Tensor, Tensor)`,
      `aten::rnn_tanh.data(Tensor data, Tensor batch_sizes, Tensor hx, ${PACKED_TAIL}) -> (Tensor, Tensor)`,
    ],
    RNN_TANH,
  ),
  stackOp(
    [
      `aten::rnn_relu.input(Tensor input, Tensor hx, ${PACKED_TAIL}, bool batch_first) -> (Tensor, Tensor)`,
      `aten::rnn_relu.data(Tensor data, Tensor batch_sizes, Tensor hx, ${PACKED_TAIL}) -> (Tensor, Tensor)`,
    ],
    RNN_RELU,
  ),
  packPaddedSequence,
  padPackedSequence,
  cellOp('aten::lstm_cell(Tensor input, Tensor[] hx, Tensor w_ih, Tensor w_hh, Tensor? b_ih=None, Tensor? b_hh=None) -> (Tensor, Tensor)', LSTM),
  cellOp('aten::gru_cell(Tensor input, Tensor hx, Tensor w_ih, Tensor w_hh, Tensor? b_ih=None, Tensor? b_hh=None) -> Tensor', GRU),
  cellOp('aten::rnn_tanh_cell(Tensor input, Tensor hx, Tensor w_ih, Tensor w_hh, Tensor? b_ih=None, Tensor? b_hh=None) -> Tensor', RNN_TANH),
  cellOp('aten::rnn_relu_cell(Tensor input, Tensor hx, Tensor w_ih, Tensor w_hh, Tensor? b_ih=None, Tensor? b_hh=None) -> Tensor', RNN_RELU),
];
