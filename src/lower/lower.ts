/**
 * The lower stage's driver: walks the TorchGraph and asks each node's op definition for its ONNX
 * form at the target opset. Values known at conversion time become constants; parameters become
 * initializers named by their module path.
 */
import type { TensorRef } from '../archive/types.js';
import { fail, formatLocation, TsonnxError } from '../errors.js';
import { GValue, type Arg, type GBlock, type GNode, type GParameter, type TorchGraph, type ValueType } from '../ir/torch-graph.js';
import { emptyGraph, NameScope, OnnxBuilder } from '../ops/builder.js';
import { castTo, onnxDtypeOf } from '../ops/helpers.js';
import { complexPartOf } from '../ops/dtypes.js';
import { PyFloat } from '../archive/types.js';
import { ONNX_DTYPE, type OnnxAttrs, type OnnxGraph, type OnnxModel, type OnnxValueInfo } from '../ir/onnx-graph.js';
import { BoundArgs, type FreshDims } from '../ops/args.js';
import { nodeInputs } from '../ir/values-read.js';
import { loweringFor, type LowerContext, type Registry } from '../ops/registry.js';
import { DEFAULT_QUANTIZED_ENGINE, type QuantizedEngine } from '../ops/quantized-engine.js';

export interface LowerOptions {
  /** The op definitions (`createOpRegistry()` from src/ops). */
  registry: Registry;
  /** The conversion's fresh dim names, continuing its trace stage's. */
  freshDims: FreshDims;
  opset: number;
  /** Names for the graph inputs and outputs, overriding forward()'s argument names and `output_<i>`. */
  inputNames?: readonly string[];
  outputNames?: readonly string[];
  /** Attach each node's TorchScript location as its doc_string. */
  docStrings?: boolean;
  producerVersion: string;
  /** false: parameters become graph inputs after the user inputs instead of initializers (torch's export_params). */
  exportParams?: boolean;
  /** torch's operator_export_type: how aten ops without an ONNX form (or all of them, for onnx_aten) are written. */
  operatorExportType?: OperatorExportType;
  /** Versions for non-default domains (torch's custom_opsets); a used domain not listed gets 1. */
  customOpsets?: ReadonlyMap<string, number>;
  /** Output dims to name, by final output name (torch's dynamic_axes for outputs). */
  dynamicAxes?: DynamicAxes;
  /**
   * float16 graph inputs and outputs are float32 at the model's boundary, cast inside (`--fp16`
   * without `--fp16-io`: the model computes in float16, its callers keep float32 tensors).
   */
  float32Boundary?: boolean;
  /** The quantized engine whose integer arithmetic quantized ops reproduce (DEFAULT_QUANTIZED_ENGINE when absent). */
  quantizedEngine?: QuantizedEngine;
}

/** Value name → axis → dim_param. */
export type DynamicAxes = ReadonlyMap<string, ReadonlyMap<number, string>>;

export type OperatorExportType = 'onnx' | 'onnx_aten' | 'onnx_aten_fallback' | 'onnx_fallthrough';

/** torch.onnx's domain for ATen fallback nodes. */
export const ATEN_DOMAIN = 'org.pytorch.aten';

/** Constants folded at conversion time up to this many elements; larger known values keep their ops. */
const FOLD_LIMIT = 1024;

function valueInfo(name: string, type: ValueType): OnnxValueInfo {
  // A complex tensor is written as its real view: a trailing (real, imaginary) dim (src/ops/complex.ts).
  const part = type.kind === 'tensor' ? complexPartOf(type.dtype) : undefined;
  if (type.kind === 'tensor' && part) return { name, dtype: part, shape: [...type.shape, 2] };
  if (type.kind === 'tensor') return { name, dtype: type.dtype, shape: type.shape };
  if (type.kind === 'sequence') return { name, dtype: type.element.dtype, shape: type.element.shape, sequence: true };
  return { name, dtype: type.scalar === 'int' ? 'int64' : type.scalar === 'float' ? 'float64' : 'bool', shape: [] };
}

/** Whether a node's outputs are small values known at conversion time: they become constants, not ops. */
export function isFolded(node: GNode): boolean {
  return node.outputs.length > 0 && node.outputs.every((o) => o.known && o.known.values.length <= FOLD_LIMIT);
}

class Lowerer {
  /** ONNX names by graph value, one map per graph being built (main graph first, then sub-graphs). */
  private readonly scopes: Array<Map<GValue, string>> = [new Map()];
  private readonly parameters = new Map<GValue, GParameter>();
  private readonly domains = new Map<string, number>();
  b: OnnxBuilder;
  private readonly main: OnnxBuilder;

  constructor(
    readonly graph: TorchGraph,
    readonly options: LowerOptions,
  ) {
    this.b = new OnnxBuilder(emptyGraph(''), new NameScope());
    this.b.graph.name = this.b.names.graphName();
    this.main = this.b;
    for (const p of graph.parameters) this.parameters.set(p.value, p);
  }

  private lookup(v: GValue): string | undefined {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const name = this.scopes[i].get(v);
      if (name) return name;
    }
    return undefined;
  }

  private bind(v: GValue, name: string): void {
    this.scopes[this.scopes.length - 1].set(v, name);
  }

  /** ONNX name of a graph value; parameters become initializers of the main graph on first use. */
  input(v: GValue): string {
    const existing = this.lookup(v);
    if (existing) return existing;
    const param = this.parameters.get(v);
    if (param) {
      const t = v.tensor;
      const data = typeof param.data === 'function' ? { kind: 'computed' as const, compute: param.data } : { kind: 'archive' as const, ref: param.data };
      if (this.options.exportParams === false) this.main.graph.inputs.push(valueInfo(param.name, t));
      else this.main.initializer({ name: param.name, dtype: t.dtype, dims: t.shape as number[], data });
      this.scopes[0].set(v, param.name);
      return param.name;
    }
    if (v.known) return this.constant(v);
    return fail('INTERNAL', `value ${v.hint ?? '(unnamed)'} is used before it is defined`);
  }

  private constant(v: GValue): string {
    const k = v.known as NonNullable<GValue['known']>;
    const name = this.b.constant(k.type.dtype, k.type.shape as number[], k.values);
    this.bind(v, name);
    return name;
  }

  /** Lowers a block into a sub-graph whose outputs are the block's results. */
  private subgraph(block: GBlock): OnnxGraph {
    const outer = this.b;
    this.b = outer.subgraph();
    this.scopes.push(new Map());
    try {
      for (const param of block.params) {
        const name = this.b.names.unique(`${this.b.graph.name}_${param.hint ?? 'input'}`);
        this.bind(param, name);
        this.b.graph.inputs.push(valueInfo(name, param.type));
      }
      for (const node of block.nodes) this.lowerNode(node);
      block.results.forEach((r) => {
        const source = this.input(r);
        const name = this.b.op1('Identity', [source]);
        this.b.graph.outputs.push(valueInfo(name, r.type));
      });
      return this.b.graph;
    } finally {
      this.b = outer;
      this.scopes.pop();
    }
  }

  lowerNode(node: GNode): void {
    this.b.scope = node.scope;
    this.b.docString = this.options.docStrings && node.location ? formatLocation(node.location).replace(/: $/, '') : undefined;
    if (isFolded(node)) return; // constants are emitted where they are used
    const outs = this.special(node) ?? this.registered(node);
    if (outs.length < node.outputs.length) fail('INTERNAL', `${node.op} lowered to ${outs.length} outputs, expected ${node.outputs.length}`);
    node.outputs.forEach((o, i) => this.bind(o, outs[i]));
  }

  private registered(node: GNode): string[] {
    const mode = this.options.operatorExportType ?? 'onnx';
    const entry = this.options.registry.findOp(node.op);
    if (mode === 'onnx_aten' && node.op.startsWith('aten::') && !entry?.def.lowersUnderOnnxAten) return this.fallback(node, 'aten');
    try {
      if (!entry) return fail('OP_UNSUPPORTED', `${node.op} has no ONNX lowering`, node.location);
      const schema = entry.schemas.find((s) => s.overload === (node.overload ?? '')) ?? entry.schemas[0];
      return loweringFor(node.op, entry.def, this.options.opset)(this.ctx(node), new BoundArgs(schema, node.args, this.options.freshDims));
    } catch (e) {
      if (!(e instanceof TsonnxError)) throw e;
      if (mode === 'onnx_aten_fallback') return this.fallback(node, 'aten');
      if (mode === 'onnx_fallthrough') return this.fallback(node, 'fallthrough');
      throw e.at(node.location);
    }
  }

  /**
   * The op as torch.onnx writes what it cannot (or is told not to) convert: an `ATen` node with
   * an `operator` attribute, or for fallthrough a node named after the op in its namespace's
   * domain. Every argument is an input; numbers and int lists become constants, None is ''.
   */
  private fallback(node: GNode, style: 'aten' | 'fallthrough'): string[] {
    const [ns, name] = node.op.split('::');
    const domain = style === 'aten' || ns === 'aten' ? ATEN_DOMAIN : ns;
    this.domains.set(domain, this.options.customOpsets?.get(domain) ?? 1);
    const inputs = [...node.args.values()].flatMap((a) => this.argumentInputs(a));
    const attrs: OnnxAttrs = style === 'aten' ? { operator: name, overload_name: node.overload ?? '' } : {};
    return this.b.op(style === 'aten' ? 'ATen' : name, inputs, attrs, node.outputs.length, domain);
  }

  private argumentInputs(a: Arg): string[] {
    if (a === null) return [''];
    if (a instanceof GValue) return [this.input(a)];
    if (a instanceof PyFloat) return [this.b.scalar('float64', a.value)];
    if (typeof a === 'boolean') return [this.b.scalar('bool', a)];
    if (typeof a === 'number') return [Number.isInteger(a) ? this.b.scalar('int64', a) : this.b.scalar('float64', a)];
    if (Array.isArray(a)) {
      if (a.every((x) => typeof x === 'number')) return [this.b.int64s(a as number[])];
      return a.flatMap((x) => this.argumentInputs(x));
    }
    return [''];
  }

  /** The interpreter's structural nodes: constants and control flow. */
  private special(node: GNode): string[] | undefined {
    const arg = (name: string) => node.args.get(name) as GValue;
    switch (node.op) {
      case 'prim::Constant':
        return [this.constant(node.outputs[0])];
      case 'prim::If': {
        const cond = arg('cond');
        const condName = castTo(this.ctx(node), this.input(cond), onnxDtypeOf(cond), 'bool');
        const [thenBlock, elseBlock] = node.blocks as GBlock[];
        const thenGraph = this.subgraph(thenBlock);
        const elseGraph = this.subgraph(elseBlock);
        this.b.scope = node.scope;
        return this.b.op('If', [condName], { then_branch: { g: thenGraph }, else_branch: { g: elseGraph } }, node.outputs.length);
      }
      case 'prim::Loop': {
        const ctx = this.ctx(node);
        const trip = node.args.get('trip') as GValue | null;
        const cond = arg('cond');
        const initial = (node.args.get('initial') as GValue[]).map((v) => this.input(v));
        const tripName = trip ? castTo(ctx, this.input(trip), onnxDtypeOf(trip), 'int64') : '';
        const condName = castTo(ctx, this.input(cond), onnxDtypeOf(cond), 'bool');
        const body = this.subgraph((node.blocks as GBlock[])[0]);
        this.b.scope = node.scope;
        return this.b.op('Loop', [tripName, condName, ...initial], { body: { g: body } }, node.outputs.length);
      }
      default:
        return undefined;
    }
  }

  private ctx(node: GNode): LowerContext {
    return { opset: this.options.opset, quantizedEngine: this.options.quantizedEngine ?? DEFAULT_QUANTIZED_ENGINE, node, b: this.b, input: (v) => this.input(v), parameter: (v) => this.archiveTensor(v), isRead: (v) => this.valuesRead().has(v) };
  }

  private readValues?: Set<GValue>;

  /** Every value a node or a graph output reads, found once per conversion when a lowering first asks. */
  private valuesRead(): Set<GValue> {
    if (!this.readValues) {
      this.readValues = new Set(this.graph.outputs.map((o) => o.value));
      for (const node of this.graph.body.nodes) nodeInputs(node, this.readValues);
    }
    return this.readValues;
  }

  /** The archive tensor behind a parameter value (not computed ones such as folded weights). */
  private archiveTensor(v: GValue): TensorRef | undefined {
    const data = this.parameters.get(v)?.data;
    return data && typeof data !== 'function' ? data : undefined;
  }

  run(): OnnxModel {
    const { graph, options } = this;
    const defaultOutputName = (name: string | undefined, i: number) => name ?? (graph.outputs.length === 1 ? 'output' : `output_${i}`);
    const inputNames = graph.inputs.map((input, i) => options.inputNames?.[i] ?? input.name);
    const outputNames = graph.outputs.map((out, i) => options.outputNames?.[i] ?? defaultOutputName(out.name, i));
    checkNames(graph.inputs.map((input) => input.name), inputNames, options.inputNames, 'input');
    checkNames(graph.outputs.map((out, i) => defaultOutputName(out.name, i)), outputNames, options.outputNames, 'output');
    checkDistinct(inputNames, outputNames);
    graph.inputs.forEach((input, i) => {
      const info = valueInfo(inputNames[i], input.value.type);
      if (this.widensAtBoundary(info)) {
        this.b.graph.inputs.push({ ...info, dtype: 'float32' });
        this.bind(input.value, this.b.op1('Cast', [inputNames[i]], { to: ONNX_DTYPE.float16 }));
      } else {
        this.b.graph.inputs.push(info);
        this.bind(input.value, inputNames[i]);
      }
    });
    for (const node of graph.body.nodes) this.lowerNode(node);
    this.b.scope = '';
    this.b.docString = undefined;
    const taken = new Set(this.b.graph.inputs.map((i) => i.name));
    graph.outputs.forEach((out, i) => {
      const name = outputNames[i];
      const computed = valueInfo(name, out.value.type);
      const widens = this.widensAtBoundary(computed);
      const source = widens ? this.b.op1('Cast', [this.input(out.value)], { to: ONNX_DTYPE.float32 }) : this.input(out.value);
      this.bindOutput(source, name, taken);
      const info = widens ? { ...computed, dtype: 'float32' as const } : computed;
      const axes = options.dynamicAxes?.get(name);
      this.b.graph.outputs.push(axes && info.shape ? { ...info, shape: info.shape.map((d, i) => axes.get(i) ?? d) } : info);
      taken.add(name);
    });
    checkDefinedOnce(this.b.graph, [...(options.inputNames ?? []), ...(options.outputNames ?? [])]);
    return { graph: this.b.graph, opset: options.opset, domains: this.domains, producerName: 'tsonnx', producerVersion: options.producerVersion };
  }

  private widensAtBoundary(info: OnnxValueInfo): boolean {
    return this.options.float32Boundary === true && info.dtype === 'float16' && !info.sequence;
  }

  /**
   * Gives the value the output's name: renames the producing node's output when the value is made
   * by a node and named once, else adds an Identity (graph inputs, initializers, repeated outputs).
   */
  private bindOutput(source: string, name: string, taken: Set<string>): void {
    const g = this.b.graph;
    const producer = g.nodes.find((n) => n.outputs.includes(source));
    if (producer && !taken.has(source) && !g.outputs.some((o) => o.name === source)) {
      for (const n of g.nodes) {
        n.inputs.forEach((x, i) => (n.inputs[i] = x === source ? name : x));
        n.outputs.forEach((x, i) => (n.outputs[i] = x === source ? name : x));
      }
      for (const [v, n] of this.scopes[0]) if (n === source) this.scopes[0].set(v, name);
      return;
    }
    g.nodes.push({ opType: 'Identity', domain: '', inputs: [source], outputs: [name], attrs: {}, name: this.b.names.unique(`/Identity`) });
  }
}

/** As torch.onnx.export: more names than the graph has inputs (or outputs) is an error. */
function checkNames(graphNames: readonly string[], names: readonly string[], given: readonly string[] | undefined, kind: 'input' | 'output'): void {
  if (!given || given.length <= names.length) return;
  const has = graphNames.length === 0 ? 'none' : `${graphNames.length} (${graphNames.join(', ')})`;
  fail('OPTION_INVALID', `${given.length} ${kind} names given (${given.join(', ')}), but the graph's ${kind}s are ${has}`);
}

/** A name used twice, or both as an input and an output, makes a graph onnxruntime refuses to load. */
function checkDistinct(inputNames: readonly string[], outputNames: readonly string[]): void {
  const roles = new Map<string, string>();
  const claim = (name: string, role: string) => {
    const earlier = roles.get(name);
    if (earlier) fail('OPTION_INVALID', `the name ${name} is given to both ${earlier} and ${role}; graph input and output names must be distinct`);
    roles.set(name, role);
  };
  inputNames.forEach((name, i) => claim(name, `input ${i}`));
  outputNames.forEach((name, i) => claim(name, `output ${i}`));
}

/** A given input or output name that is also an initializer or another node's output (`fc.weight`) makes an invalid graph. */
function checkDefinedOnce(graph: OnnxGraph, givenNames: readonly string[]): void {
  const definitions = new Map<string, number>();
  const define = (name: string) => definitions.set(name, (definitions.get(name) ?? 0) + 1);
  for (const input of graph.inputs) define(input.name);
  for (const tensor of graph.initializers) define(tensor.name);
  for (const node of graph.nodes) for (const output of node.outputs) if (output !== '') define(output);
  for (const name of givenNames) {
    if ((definitions.get(name) ?? 0) > 1) fail('OPTION_INVALID', `the name ${name} is already used in the graph (a weight or an intermediate value); choose another`);
  }
}

export function lower(graph: TorchGraph, options: LowerOptions): OnnxModel {
  return new Lowerer(graph, options).run();
}
