/**
 * Eval-mode BatchNorm after a Conv, folded into the Conv's weight and bias (as torch.onnx.export
 * does in eval mode): W' = W·s, b' = (b − mean)·s + β with s = γ / √(var + ε).
 * Folded tensors are computed when the writer streams them. The folded weights of one graph take
 * turns in one buffer (the writer writes each before it asks for the next): reading each into
 * fresh memory costs more than the folding itself.
 */
import { float16BitsOf } from '../archive/half.js';
import { dtypeItemSize, tensorBytes, tensorBytesInto } from '../archive/tensor-data.js';
import type { TensorRef } from '../archive/types.js';
import { GValue, type Arg, type GNode, type GParameter, type TorchGraph } from '../ir/torch-graph.js';
import { nodeInputs } from '../ir/values-read.js';

const CONVOLUTIONS = new Set(['aten::_convolution', 'aten::conv1d', 'aten::conv2d', 'aten::conv3d']);

type Floats = Float32Array | Float64Array;

/** Bytes as float32 or float64 elements, copied when they are not aligned for a typed array. */
function floatView(raw: Uint8Array, dtype: string): Floats {
  const size = dtype === 'float64' ? 8 : 4;
  const bytes = raw.byteOffset % size === 0 ? raw : raw.slice();
  const count = bytes.byteLength / size;
  return dtype === 'float64' ? new Float64Array(bytes.buffer, bytes.byteOffset, count) : new Float32Array(bytes.buffer, bytes.byteOffset, count);
}

/** A parameter's elements as floats; the array is the caller's to change. */
function floats(data: GParameter['data'], dtype: string): Floats {
  return floatView(typeof data === 'function' ? data() : tensorBytes(data as TensorRef), dtype);
}

function byteLength(ref: TensorRef): number {
  return ref.shape.reduce((count, dim) => count * dim, 1) * dtypeItemSize(ref.dtype);
}

function bytesOf(values: Floats | Uint16Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/** The values rounded to float16 (the weights of an --fp16 conversion). */
function float16Bytes(values: Floats): Uint8Array {
  return bytesOf(float16BitsOf(values));
}

/**
 * The one dtype the parameters' bytes come in (an archive tensor's own, a computed tensor's value
 * dtype), or undefined when they differ; absent parameters (null) do not count.
 */
function sharedStoredDtype(params: ReadonlyArray<GParameter | null>): string | undefined {
  const dtypes = new Set(params.flatMap((p) => (p ? [typeof p.data === 'function' ? p.value.tensor.dtype : p.data.dtype] : [])));
  return dtypes.size === 1 ? [...dtypes][0] : undefined;
}

/**
 * The buffer folded weights are computed in: as large as the largest weight `reserve`d, allocated
 * once when first taken (fresh memory for each size on the way up would cost what reuse saves).
 */
class Scratch {
  private bytes = new Uint8Array(0);
  private largest = 0;

  reserve(byteLength: number): void {
    this.largest = Math.max(this.largest, byteLength);
  }

  /** The buffer, holding at least `byteLength` bytes; its contents are valid until the next `take`. */
  take(byteLength: number): Uint8Array {
    if (this.bytes.byteLength < byteLength) this.bytes = new Uint8Array(Math.max(byteLength, this.largest));
    return this.bytes;
  }
}

/**
 * Row c of `w` times `scales[c]`, in place. One loop per element type keeps each monomorphic; the
 * product is taken in float64 and rounded on the store, as `row[i] *= k` does.
 */
function scaleRows32(w: Float32Array, scales: Float64Array, per: number): void {
  for (let c = 0, at = 0; c < scales.length; c++) {
    const k = scales[c];
    for (const end = at + per; at < end; at++) w[at] = w[at] * k;
  }
}

function scaleRows64(w: Float64Array, scales: Float64Array, per: number): void {
  for (let c = 0, at = 0; c < scales.length; c++) {
    const k = scales[c];
    for (const end = at + per; at < end; at++) w[at] = w[at] * k;
  }
}

export function foldConvBatchNorm(graph: TorchGraph): TorchGraph {
  const params = new Map(graph.parameters.map((p) => [p.value, p]));
  const uses = new Map<GValue, number>();
  for (const node of graph.body.nodes) for (const v of nodeInputs(node)) uses.set(v, (uses.get(v) ?? 0) + 1);
  for (const o of graph.outputs) uses.set(o.value, (uses.get(o.value) ?? 0) + 1);

  const producer = new Map<GValue, GNode>();
  for (const node of graph.body.nodes) for (const o of node.outputs) producer.set(o, node);

  const replaced = new Map<GNode, GNode | null>();
  const added: GParameter[] = [];
  const scratch = new Scratch();
  for (const bn of graph.body.nodes) {
    if (bn.op !== 'aten::batch_norm' || bn.args.get('training') !== false) continue;
    const x = bn.args.get('input');
    if (!(x instanceof GValue) || uses.get(x) !== 1) continue;
    const conv = producer.get(x);
    if (!conv || !CONVOLUTIONS.has(conv.op) || replaced.has(conv) || conv.args.get('transposed') === true) continue;
    const param = (name: string, node: GNode): GParameter | null | undefined => {
      const a = node.args.get(name);
      if (a === null) return null;
      return a instanceof GValue ? params.get(a) : undefined;
    };
    const weight = param('weight', conv);
    const bias = param('bias', conv);
    const gamma = param('weight', bn);
    const beta = param('bias', bn);
    const mean = param('running_mean', bn);
    const variance = param('running_var', bn);
    if (!weight || bias === undefined || gamma === undefined || beta === undefined || !mean || !variance) continue;
    // Folded in the dtype the archive holds the weights in; --fp16 rounds the results to float16 after.
    const dtype = sharedStoredDtype([weight, bias, gamma, beta, mean, variance]);
    if (dtype !== 'float32' && dtype !== 'float64') continue;
    const target = weight.value.tensor.dtype;
    if (target !== dtype && target !== 'float16') continue;
    const encode = target === dtype ? bytesOf : float16Bytes;
    const channels = weight.value.tensor.shape[0] as number;
    const eps = bn.args.get('eps') as number;

    let scales: Float64Array | undefined;
    const scale = (): Float64Array => {
      if (!scales) {
        const g = gamma ? floats(gamma.data, dtype) : undefined;
        const v = floats(variance.data, dtype);
        scales = Float64Array.from({ length: channels }, (_, c) => (g ? g[c] : 1) / Math.sqrt(v[c] + eps));
      }
      return scales;
    };
    if (typeof weight.data !== 'function') scratch.reserve(byteLength(weight.data as TensorRef));
    const foldedWeight = (): Uint8Array => {
      const data = weight.data;
      const raw = typeof data === 'function' ? data() : tensorBytesInto(data as TensorRef, scratch.take(byteLength(data as TensorRef)));
      const w = floatView(raw, dtype);
      const per = w.length / channels;
      if (w instanceof Float32Array) scaleRows32(w, scale(), per);
      else scaleRows64(w, scale(), per);
      return encode(w);
    };
    const foldedBias = (): Uint8Array => {
      const s = scale();
      const m = floats(mean.data, dtype);
      const b = bias ? floats(bias.data, dtype) : undefined;
      const be = beta ? floats(beta.data, dtype) : undefined;
      const out = dtype === 'float64' ? new Float64Array(channels) : new Float32Array(channels);
      for (let c = 0; c < channels; c++) out[c] = ((b ? b[c] : 0) - m[c]) * s[c] + (be ? be[c] : 0);
      return encode(out);
    };
    const w = new GValue(weight.value.type, `${weight.name}_fused_bn`);
    const b = new GValue({ kind: 'tensor', dtype: target, shape: [channels] }, `${bias?.name ?? weight.name.replace(/weight$/, 'bias')}_fused_bn`);
    added.push({ name: w.hint as string, value: w, data: foldedWeight }, { name: b.hint as string, value: b, data: foldedBias });
    const args = new Map<string, Arg>(conv.args);
    args.set('weight', w);
    args.set('bias', b);
    replaced.set(conv, { ...conv, args, outputs: bn.outputs });
    replaced.set(bn, null);
  }
  if (!replaced.size) return graph;
  const nodes: GNode[] = [];
  for (const node of graph.body.nodes) {
    const r = replaced.get(node);
    if (r === undefined) nodes.push(node);
    else if (r) nodes.push(r);
  }
  return { ...graph, body: { ...graph.body, nodes }, parameters: [...graph.parameters, ...added] };
}
