/**
 * Emits ONNX nodes for lowerings, naming them after the module scope the way PyTorch 1.13+
 * does (`/layer1/0/conv1/Conv`, outputs `/layer1/0/conv1/Conv_output_0`).
 */
import type { DType } from '../archive/types.js';
import { fail } from '../errors.js';
import type { OnnxAttrs, OnnxGraph, OnnxNode, OnnxTensor } from '../ir/onnx-graph.js';
import { encodeValues } from './tensor-bytes.js';

/** Name counters shared by a graph and all its sub-graphs, so names stay unique model-wide. */
export class NameScope {
  private readonly used = new Map<string, number>();
  private graphCount = 0;

  unique(base: string): string {
    const n = this.used.get(base) ?? 0;
    this.used.set(base, n + 1);
    return n === 0 ? base : `${base}_${n}`;
  }

  graphName(): string {
    return this.graphCount++ === 0 ? 'main_graph' : `sub_graph${this.graphCount - 1}`;
  }
}

export function emptyGraph(name: string): OnnxGraph {
  return { name, nodes: [], inputs: [], outputs: [], initializers: [], valueInfo: [] };
}

export class OnnxBuilder {
  /** Module path of the node being lowered (`layer1.0.conv1`), set by the lower driver. */
  scope = '';
  /** Source location text attached to emitted nodes as doc_string. */
  docString: string | undefined;

  constructor(
    readonly graph: OnnxGraph,
    readonly names: NameScope,
  ) {}

  /** A builder for a sub-graph (If branch, Loop body) sharing this model's names. */
  subgraph(): OnnxBuilder {
    const child = new OnnxBuilder(emptyGraph(this.names.graphName()), this.names);
    child.scope = this.scope;
    child.docString = this.docString;
    return child;
  }

  private nodeName(opType: string): string {
    const path = this.scope ? `/${this.scope.split('.').join('/')}` : '';
    return this.names.unique(`${path}/${opType}`);
  }

  op(opType: string, inputs: readonly string[], attrs: OnnxAttrs = {}, outputs = 1, domain = ''): string[] {
    const name = this.nodeName(opType);
    const outs = Array.from({ length: outputs }, (_, i) => `${name}_output_${i}`);
    const node: OnnxNode = { opType, domain, inputs: [...inputs], outputs: outs, attrs, name, docString: this.docString };
    this.graph.nodes.push(node);
    return outs;
  }

  op1(opType: string, inputs: readonly string[], attrs: OnnxAttrs = {}, domain = ''): string {
    return this.op(opType, inputs, attrs, 1, domain)[0];
  }

  /** A constant tensor as a `Constant` node. */
  constant(dtype: DType, dims: readonly number[], values: readonly (number | bigint | boolean)[]): string {
    requireConstantSize(values.length);
    const tensor: OnnxTensor = { name: '', dtype, dims, data: { kind: 'bytes', bytes: encodeValues(dtype, values) } };
    return this.op1('Constant', [], { value: { t: tensor } });
  }

  /** A 1-D int64 constant (shapes, axes, pads). */
  int64s(values: readonly number[]): string {
    return this.constant('int64', [values.length], values);
  }

  /** A 0-d constant. */
  scalar(dtype: DType, value: number | bigint | boolean): string {
    return this.constant(dtype, [], [value]);
  }

  /** An initializer with data from the archive or computed at conversion time. */
  initializer(tensor: OnnxTensor): string {
    this.graph.initializers.push(tensor);
    return tensor.name;
  }
}

/**
 * Constants computed at conversion time are built from JS values (8 bytes or more each); past this
 * many elements the archive's code asks for more than a conversion should hold in memory.
 */
export const MAX_CONSTANT_ELEMENTS = 1 << 24;

/** Call before building a constant's values, so nothing is allocated for one too large. */
export function requireConstantSize(elements: number): void {
  if (elements > MAX_CONSTANT_ELEMENTS) {
    fail('TRACE_LIMIT', `a constant of ${elements.toLocaleString('en-US')} elements is more than the ${MAX_CONSTANT_ELEMENTS.toLocaleString('en-US')} a conversion computes`);
  }
}
