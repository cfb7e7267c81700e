/**
 * Convolutions: every aten spelling TorchScript code uses (`conv2d` from scripts, `_convolution` from
 * traces, `_convolution_mode` for traced `padding="same"`, `conv_transpose*`), lowered to ONNX Conv or
 * ConvTranspose with explicit pads.
 */
import { fail } from '../../errors.js';
import type { Dim, GValue, ValueType } from '../../ir/torch-graph.js';
import { type BoundArgs, derivedDim } from '../args.js';
import { rankOf, requireSameDtype, shapeOf, tensorOf } from '../helpers.js';
import { padZeros, slice, squeeze, transpose, unsqueeze } from '../opset.js';
import type { LowerContext, OpDef } from '../registry.js';

interface ConvParams {
  readonly op: string;
  readonly input: GValue;
  readonly weight: GValue;
  readonly bias: GValue | undefined;
  readonly stride: number[];
  readonly padBegin: number[];
  readonly padEnd: number[];
  readonly dilation: number[];
  readonly transposed: boolean;
  readonly outputPadding: number[];
  readonly groups: number;
}

/** `_convolution` accepts one value for all spatial dims, like the fixed-size lists of `conv2d`. */
function perDim(values: number[], spatialRank: number, name: string, op: string): number[] {
  if (values.length === spatialRank) return values;
  if (values.length === 1) return Array(spatialRank).fill(values[0]);
  return fail('TRACE_TYPE', `${op}: ${name} has ${values.length} values for ${spatialRank} spatial dimensions`);
}

function kernelOf(weight: GValue): Dim[] {
  return shapeOf(weight).slice(2);
}

/** `padding="same"` pads d·(k−1) in total, the odd element at the end, as torch does. */
function stringPadding(mode: string, weight: GValue, dilation: number[], op: string): { begin: number[]; end: number[] } {
  const kernel = kernelOf(weight);
  if (mode === 'valid') return { begin: kernel.map(() => 0), end: kernel.map(() => 0) };
  if (mode !== 'same') return fail('TRACE_TYPE', `${op}: padding must be "same" or "valid", not "${mode}"`);
  const begin: number[] = [];
  const end: number[] = [];
  kernel.forEach((k, i) => {
    if (typeof k !== 'number') return fail('TRACE_UNSUPPORTED', `${op}: padding="same" needs a static kernel size`);
    const total = dilation[i] * (k - 1);
    begin.push(Math.floor(total / 2));
    end.push(total - Math.floor(total / 2));
  });
  return { begin, end };
}

/** Binds any of the convolution schemas to one description. */
function convParams(a: BoundArgs, transposedOp: boolean): ConvParams {
  const op = a.schema.name;
  const weight = a.tensor('weight');
  const spatialRank = rankOf(weight) - 2;
  if (spatialRank < 1) fail('TRACE_TYPE', `${op}: weight must have at least 3 dimensions`);
  const has = (name: string) => a.schema.args.some((arg) => arg.name === name);
  const dilation = perDim(a.ints('dilation'), spatialRank, 'dilation', op);
  const transposed = has('transposed') ? a.bool('transposed') : transposedOp;
  let padBegin: number[];
  let padEnd: number[];
  const padding = a.raw('padding');
  if (typeof padding === 'string') {
    if (transposed) fail('TRACE_TYPE', `${op}: string padding is not allowed for transposed convolutions`);
    ({ begin: padBegin, end: padEnd } = stringPadding(padding, weight, dilation, op));
  } else {
    padBegin = perDim(a.ints('padding'), spatialRank, 'padding', op);
    padEnd = padBegin;
  }
  return {
    op,
    input: a.tensor('input'),
    weight,
    bias: a.optTensor('bias'),
    stride: perDim(a.ints('stride'), spatialRank, 'stride', op),
    padBegin,
    padEnd,
    dilation,
    transposed,
    outputPadding: has('output_padding') ? perDim(a.ints('output_padding'), spatialRank, 'output_padding', op) : Array(spatialRank).fill(0),
    groups: a.int('groups'),
  };
}

function outputSize(p: ConvParams, size: Dim, kernel: Dim, i: number): Dim {
  const s = p.stride[i];
  const d = p.dilation[i];
  const pads = p.padBegin[i] + p.padEnd[i];
  if (typeof size === 'number' && typeof kernel === 'number') {
    const out = p.transposed
      ? (size - 1) * s - pads + d * (kernel - 1) + p.outputPadding[i] + 1
      : Math.floor((size + pads - d * (kernel - 1) - 1) / s) + 1;
    if (out < 1) fail('TRACE_TYPE', `${p.op}: input size ${size} is too small for kernel ${kernel} (output size ${out})`);
    return out;
  }
  // A size-preserving convolution keeps a dynamic axis's name.
  const preserving = s === 1 && typeof kernel === 'number' && pads === d * (kernel - 1) && (!p.transposed || p.outputPadding[i] === 0);
  if (preserving) return size;
  const padText = p.padBegin[i] === p.padEnd[i] ? `${p.padBegin[i]}` : `${p.padBegin[i]}_${p.padEnd[i]}`;
  const kind = p.transposed ? `convT_op${p.outputPadding[i]}` : 'conv';
  return derivedDim(size, `${kind}_k${kernel}_s${s}_p${padText}_d${d}`);
}

/** The functional forms (`conv2d`, `conv_transpose2d`) add the batch dim themselves; these take a batched input only. */
const BATCHED_ONLY: ReadonlySet<string> = new Set(['aten::_convolution', 'aten::convolution', 'aten::_convolution_mode']);

function inferConv(p: ConvParams): ValueType[] {
  requireSameDtype(p.op, ['input', p.input], ['weight', p.weight], ['bias', p.bias]);
  const input = shapeOf(p.input);
  const weight = shapeOf(p.weight);
  const spatialRank = weight.length - 2;
  const batched = input.length === spatialRank + 2;
  if (!batched && BATCHED_ONLY.has(p.op)) {
    fail('TRACE_TYPE', `${p.op}: expected ${weight.length}-dimensional input for ${weight.length}-dimensional weight [${weight.join(', ')}], but got ${input.length}-dimensional input`);
  }
  if (!batched && input.length !== spatialRank + 1) {
    fail('TRACE_TYPE', `${p.op}: expected a ${spatialRank + 1}-D or ${spatialRank + 2}-D input, got ${input.length}-D`);
  }
  const inChannels = input[input.length - spatialRank - 1];
  const expected = p.transposed ? weight[0] : typeof weight[1] === 'number' ? weight[1] * p.groups : weight[1];
  if (typeof inChannels === 'number' && typeof expected === 'number' && inChannels !== expected) {
    fail('TRACE_TYPE', `${p.op}: weight of shape [${weight.join(', ')}] with groups=${p.groups} expects ${expected} input channels, got ${inChannels}`);
  }
  const spatial = input.slice(-spatialRank);
  const kernel = kernelOf(p.weight);
  let channels: Dim = weight[0];
  if (p.transposed) channels = typeof weight[1] === 'number' ? weight[1] * p.groups : derivedDim(weight[1], `x${p.groups}`);
  const out = [channels, ...spatial.map((size, i) => outputSize(p, size, kernel[i], i))];
  return [tensorOf(p.input.tensor.dtype, batched ? [input[0], ...out] : out)];
}

function lowerConv(ctx: LowerContext, p: ConvParams): string[] {
  const spatialRank = rankOf(p.weight) - 2;
  const unbatched = rankOf(p.input) === spatialRank + 1;
  let x = ctx.input(p.input);
  if (unbatched) x = unsqueeze(ctx, x, [0]);
  const inputs = [x, ctx.input(p.weight)];
  if (p.bias) inputs.push(ctx.input(p.bias));
  const kernel = kernelOf(p.weight);
  const attrs: Record<string, number | number[]> = {
    dilations: p.dilation,
    group: p.groups,
    pads: [...p.padBegin, ...p.padEnd],
    strides: p.stride,
  };
  // ONNX reads the kernel shape from W when it is not static.
  if (kernel.every((k): k is number => typeof k === 'number')) attrs.kernel_shape = kernel;
  if (p.transposed && p.outputPadding.some((v) => v !== 0)) attrs.output_padding = p.outputPadding;
  let y = ctx.b.op1(p.transposed ? 'ConvTranspose' : 'Conv', inputs, attrs);
  if (unbatched) y = squeeze(ctx, y, [0]);
  return [y];
}

function convOp(schemas: string[], transposedOp = false) {
  return {
    schemas,
    infer: (a: BoundArgs) => inferConv(convParams(a, transposedOp)),
    lower: { 7: (ctx: LowerContext, a: BoundArgs) => lowerConv(ctx, convParams(a, transposedOp)) },
  };
}

// ---------------------------------------------------------------------------------------------
// conv_tbc / im2col / col2im

/** conv_tbc: a 1-d convolution of a [time, batch, channels] input with a [kernel, in, out] weight. */
function inferConvTbc(a: BoundArgs): ValueType[] {
  const op = a.schema.name;
  const input = a.tensor('self');
  const weight = a.tensor('weight');
  const bias = a.tensor('bias');
  requireSameDtype(op, ['input', input], ['weight', weight], ['bias', bias]);
  if (rankOf(input) !== 3) fail('TRACE_TYPE', `${op}: input must have 3 dims: time x batch x channel`);
  if (rankOf(weight) !== 3) fail('TRACE_TYPE', `${op}: weight must have 3 dims: kernel width x in-channels x out-channels`);
  if (rankOf(bias) !== 1) fail('TRACE_TYPE', `${op}: bias must have 1 dim`);
  const [time, batch, channels] = shapeOf(input);
  const [kernel, inChannels, outChannels] = shapeOf(weight);
  if (typeof channels === 'number' && typeof inChannels === 'number' && channels !== inChannels) {
    fail('TRACE_TYPE', `${op}: input has ${channels} channels, the weight ${inChannels}`);
  }
  const pad = a.int('pad');
  let outTime: Dim;
  if (typeof time === 'number' && typeof kernel === 'number') {
    outTime = time + 2 * pad - kernel + 1;
    if (outTime < 1) fail('TRACE_TYPE', `${op}: input size ${time} is too small for kernel ${kernel} with pad ${pad}`);
  } else {
    outTime = derivedDim(time, `conv_tbc_k${kernel}_p${pad}`);
  }
  return [tensorOf(input.tensor.dtype, [outTime, batch, outChannels])];
}

function lowerConvTbc(ctx: LowerContext, a: BoundArgs): string[] {
  const pad = a.int('pad');
  const x = transpose(ctx, ctx.input(a.tensor('self')), [1, 2, 0]);
  const w = transpose(ctx, ctx.input(a.tensor('weight')), [2, 1, 0]);
  const kernel = shapeOf(a.tensor('weight'))[0];
  const attrs: Record<string, number[]> = { dilations: [1], pads: [pad, pad], strides: [1] };
  if (typeof kernel === 'number') attrs.kernel_shape = [kernel];
  const y = ctx.b.op1('Conv', [x, w, ctx.input(a.tensor('bias'))], attrs);
  return [transpose(ctx, y, [2, 0, 1])];
}

/** A Slice end past any dim: "to the end". */
const SLICE_TO_END = 2 ** 31 - 1;

interface Unfold {
  kernel: number[];
  dilation: number[];
  padding: number[];
  stride: number[];
}

function unfoldArgs(a: BoundArgs): Unfold {
  const op = a.schema.name;
  const pair = (name: string, least: number) => {
    const values = a.ints(name);
    if (values.length !== 2) fail('TRACE_TYPE', `${op}: ${name} must have 2 values, got ${values.length}`);
    if (values.some((v) => v < least)) fail('TRACE_TYPE', `${op}: ${name} must be at least ${least}, got [${values.join(', ')}]`);
    return values;
  };
  return { kernel: pair('kernel_size', 1), dilation: pair('dilation', 1), padding: pair('padding', 0), stride: pair('stride', 1) };
}

/** Sliding-block count along one spatial dim, as torch computes it. */
function blockCount(u: Unfold, size: number, i: number): number {
  return Math.floor((size + 2 * u.padding[i] - u.dilation[i] * (u.kernel[i] - 1) - 1) / u.stride[i]) + 1;
}

function inferIm2col(a: BoundArgs): ValueType[] {
  const op = a.schema.name;
  const input = a.tensor('self');
  const u = unfoldArgs(a);
  const shape = shapeOf(input);
  if (shape.length !== 3 && shape.length !== 4) fail('TRACE_TYPE', `${op}: expected a 3-D or 4-D input, got ${shape.length}-D`);
  const [channels, ...spatial] = shape.slice(-3);
  const counts = spatial.map((size, i) => {
    if (typeof size !== 'number') return undefined;
    const count = blockCount(u, size, i);
    if (count < 1) fail('TRACE_TYPE', `${op}: input size ${size} is too small for kernel ${u.kernel[i]} (no sliding blocks)`);
    return count;
  });
  const columns = typeof channels === 'number' ? channels * u.kernel[0] * u.kernel[1] : derivedDim(channels, `x${u.kernel[0] * u.kernel[1]}`);
  const blocks = counts[0] !== undefined && counts[1] !== undefined ? counts[0] * counts[1] : a.freshDim('im2col');
  return [tensorOf(input.tensor.dtype, [...shape.slice(0, -3), columns, blocks])];
}

/**
 * im2col: each kernel offset (i, j) is a strided slice of the zero-padded input giving one
 * [N, C, blocks_h, blocks_w] tensor; stacked at axis 2 they are torch's column order (c, i, j).
 * Copies only, so NaN and infinity pass through unchanged (a one-hot convolution would turn 0·inf into NaN).
 */
function lowerIm2col(ctx: LowerContext, a: BoundArgs): string[] {
  const input = a.tensor('self');
  const u = unfoldArgs(a);
  const unbatched = rankOf(input) === 3;
  const channels = shapeOf(input)[rankOf(input) - 3];
  if (typeof channels !== 'number') fail('TRACE_UNSUPPORTED', `${a.schema.name}: the channel count must be static`);
  let x = ctx.input(input);
  if (unbatched) x = unsqueeze(ctx, x, [0]);
  const [ph, pw] = u.padding;
  if (ph !== 0 || pw !== 0) x = padZeros(ctx, x, [0, 0, ph, pw, 0, 0, ph, pw]);
  const pieces: string[] = [];
  for (let i = 0; i < u.kernel[0]; i++) {
    for (let j = 0; j < u.kernel[1]; j++) {
      // Block b of offset k starts at k·dilation + b·stride; the last block ends dilation·(kernel-1-k) before the end.
      const bounds = [i, j].map((k, d) => {
        const tail = u.dilation[d] * (u.kernel[d] - 1 - k);
        return { axis: d + 2, start: k * u.dilation[d], end: tail === 0 ? SLICE_TO_END : -tail, step: u.stride[d] };
      });
      pieces.push(unsqueeze(ctx, slice(ctx, x, bounds), [2]));
    }
  }
  const stacked = pieces.length === 1 ? pieces[0] : ctx.b.op1('Concat', pieces, { axis: 2 });
  const columns = ctx.b.op1('Reshape', [stacked, ctx.b.int64s([0, channels * u.kernel[0] * u.kernel[1], -1])]);
  return [unbatched ? squeeze(ctx, columns, [0]) : columns];
}

function inferCol2im(a: BoundArgs): ValueType[] {
  const op = a.schema.name;
  const input = a.tensor('self');
  const u = unfoldArgs(a);
  const outputSize = a.ints('output_size');
  if (outputSize.length !== 2) fail('TRACE_TYPE', `${op}: output_size must have 2 values, got ${outputSize.length}`);
  const shape = shapeOf(input);
  if (shape.length !== 2 && shape.length !== 3) fail('TRACE_TYPE', `${op}: expected a 2-D or 3-D input, got ${shape.length}-D`);
  const [columns, blocks] = shape.slice(-2);
  const kernelSize = u.kernel[0] * u.kernel[1];
  if (typeof columns === 'number' && columns % kernelSize !== 0) {
    fail('TRACE_TYPE', `${op}: expected size of input's dimension 1 to be divisible by the product of kernel_size, but got ${columns}`);
  }
  const expected = blockCount(u, outputSize[0], 0) * blockCount(u, outputSize[1], 1);
  if (typeof blocks === 'number' && blocks !== expected) {
    fail('TRACE_TYPE', `${op}: given output_size [${outputSize.join(', ')}], expected ${expected} blocks in dimension 2 of the input, got ${blocks}`);
  }
  const channels = typeof columns === 'number' ? columns / kernelSize : derivedDim(columns, `div${kernelSize}`);
  return [tensorOf(input.tensor.dtype, [...shape.slice(0, -2), channels, ...outputSize])];
}

function lowerCol2im(ctx: LowerContext, a: BoundArgs): string[] {
  const input = a.tensor('self');
  const u = unfoldArgs(a);
  const unbatched = rankOf(input) === 2;
  let x = ctx.input(input);
  if (unbatched) x = unsqueeze(ctx, x, [0]);
  const image = ctx.b.op1('Col2Im', [x, ctx.b.int64s(a.ints('output_size')), ctx.b.int64s(u.kernel)], {
    dilations: u.dilation,
    pads: [...u.padding, ...u.padding],
    strides: u.stride,
  });
  return [unbatched ? squeeze(ctx, image, [0]) : image];
}

export const convOps: readonly OpDef[] = [
  convOp([
    'aten::_convolution(Tensor input, Tensor weight, Tensor? bias, int[] stride, int[] padding, int[] dilation, bool transposed, int[] output_padding, int groups, bool benchmark, bool deterministic, bool cudnn_enabled, bool allow_tf32) -> Tensor',
    'aten::_convolution(Tensor input, Tensor weight, Tensor? bias, SymInt[] stride, SymInt[] padding, SymInt[] dilation, bool transposed, SymInt[] output_padding, SymInt groups, bool benchmark, bool deterministic, bool cudnn_enabled, bool allow_tf32) -> Tensor',
    'aten::_convolution.deprecated(Tensor input, Tensor weight, Tensor? bias, int[] stride, int[] padding, int[] dilation, bool transposed, int[] output_padding, int groups, bool benchmark, bool deterministic, bool cudnn_enabled) -> Tensor',
    'aten::_convolution.deprecated(Tensor input, Tensor weight, Tensor? bias, SymInt[] stride, SymInt[] padding, SymInt[] dilation, bool transposed, int[] output_padding, SymInt groups, bool benchmark, bool deterministic, bool cudnn_enabled) -> Tensor',
  ]),
  convOp([
    'aten::convolution(Tensor input, Tensor weight, Tensor? bias, int[] stride, int[] padding, int[] dilation, bool transposed, int[] output_padding, int groups) -> Tensor',
    'aten::convolution(Tensor input, Tensor weight, Tensor? bias, SymInt[] stride, SymInt[] padding, SymInt[] dilation, bool transposed, SymInt[] output_padding, SymInt groups) -> Tensor',
  ]),
  convOp([
    'aten::_convolution_mode(Tensor input, Tensor weight, Tensor? bias, int[] stride, str padding, int[] dilation, int groups) -> Tensor',
    'aten::_convolution_mode(Tensor input, Tensor weight, Tensor? bias, SymInt[] stride, str padding, SymInt[] dilation, SymInt groups) -> Tensor',
  ]),
  convOp([
    'aten::conv1d(Tensor input, Tensor weight, Tensor? bias=None, int[1] stride=[1], int[1] padding=[0], int[1] dilation=[1], int groups=1) -> Tensor',
    'aten::conv1d(Tensor input, Tensor weight, Tensor? bias=None, SymInt[1] stride=[1], SymInt[1] padding=[0], SymInt[1] dilation=[1], SymInt groups=1) -> Tensor',
    'aten::conv1d.padding(Tensor input, Tensor weight, Tensor? bias=None, int[1] stride=[1], str padding="valid", int[1] dilation=[1], int groups=1) -> Tensor',
    'aten::conv1d.padding(Tensor input, Tensor weight, Tensor? bias=None, SymInt[1] stride=[1], str padding="valid", SymInt[1] dilation=[1], SymInt groups=1) -> Tensor',
  ]),
  convOp([
    'aten::conv2d(Tensor input, Tensor weight, Tensor? bias=None, int[2] stride=1, int[2] padding=0, int[2] dilation=1, int groups=1) -> Tensor',
    'aten::conv2d(Tensor input, Tensor weight, Tensor? bias=None, SymInt[2] stride=[1, 1], SymInt[2] padding=[0, 0], SymInt[2] dilation=[1, 1], SymInt groups=1) -> Tensor',
    'aten::conv2d.padding(Tensor input, Tensor weight, Tensor? bias=None, int[2] stride=1, str padding="valid", int[2] dilation=1, int groups=1) -> Tensor',
    'aten::conv2d.padding(Tensor input, Tensor weight, Tensor? bias=None, SymInt[2] stride=[1, 1], str padding="valid", SymInt[2] dilation=[1, 1], SymInt groups=1) -> Tensor',
  ]),
  convOp([
    'aten::conv3d(Tensor input, Tensor weight, Tensor? bias=None, int[3] stride=1, int[3] padding=0, int[3] dilation=1, int groups=1) -> Tensor',
    'aten::conv3d(Tensor input, Tensor weight, Tensor? bias=None, SymInt[3] stride=[1, 1, 1], SymInt[3] padding=[0, 0, 0], SymInt[3] dilation=[1, 1, 1], SymInt groups=1) -> Tensor',
    'aten::conv3d.padding(Tensor input, Tensor weight, Tensor? bias=None, int[3] stride=1, str padding="valid", int[3] dilation=1, int groups=1) -> Tensor',
    'aten::conv3d.padding(Tensor input, Tensor weight, Tensor? bias=None, SymInt[3] stride=[1, 1, 1], str padding="valid", SymInt[3] dilation=[1, 1, 1], SymInt groups=1) -> Tensor',
  ]),
  convOp(
    [
      'aten::conv_transpose1d(Tensor input, Tensor weight, Tensor? bias=None, int[1] stride=[1], int[1] padding=[0], int[1] output_padding=[0], int groups=1, int[1] dilation=[1]) -> Tensor',
      'aten::conv_transpose1d(Tensor input, Tensor weight, Tensor? bias=None, SymInt[1] stride=[1], SymInt[1] padding=[0], SymInt[1] output_padding=[0], SymInt groups=1, SymInt[1] dilation=[1]) -> Tensor',
    ],
    true,
  ),
  convOp(
    [
      'aten::conv_transpose2d.input(Tensor input, Tensor weight, Tensor? bias=None, int[2] stride=1, int[2] padding=0, int[2] output_padding=0, int groups=1, int[2] dilation=1) -> Tensor',
      'aten::conv_transpose2d.input(Tensor input, Tensor weight, Tensor? bias=None, SymInt[2] stride=[1, 1], SymInt[2] padding=[0, 0], SymInt[2] output_padding=[0, 0], SymInt groups=1, SymInt[2] dilation=[1, 1]) -> Tensor',
    ],
    true,
  ),
  convOp(
    [
      'aten::conv_transpose3d.input(Tensor input, Tensor weight, Tensor? bias=None, int[3] stride=1, int[3] padding=0, int[3] output_padding=0, int groups=1, int[3] dilation=1) -> Tensor',
      'aten::conv_transpose3d.input(Tensor input, Tensor weight, Tensor? bias=None, SymInt[3] stride=[1, 1, 1], SymInt[3] padding=[0, 0, 0], SymInt[3] output_padding=[0, 0, 0], SymInt groups=1, SymInt[3] dilation=[1, 1, 1]) -> Tensor',
    ],
    true,
  ),
  {
    schemas: ['aten::conv_tbc(Tensor self, Tensor weight, Tensor bias, int pad=0) -> Tensor'],
    infer: inferConvTbc,
    lower: { 7: lowerConvTbc },
  },
  {
    schemas: ['aten::im2col(Tensor self, int[2] kernel_size, int[2] dilation, int[2] padding, int[2] stride) -> Tensor'],
    infer: inferIm2col,
    lower: { 7: lowerIm2col },
  },
  {
    schemas: [
      'aten::col2im(Tensor self, SymInt[2] output_size, int[2] kernel_size, int[2] dilation, int[2] padding, int[2] stride) -> Tensor',
    ],
    infer: inferCol2im,
    lower: { 18: lowerCol2im },
  },
];
