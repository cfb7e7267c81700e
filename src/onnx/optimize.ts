/**
 * ONNX-level cleanup before writing: equal constants shared, Identity nodes bypassed, and nodes
 * whose outputs nobody reads dropped. Sub-graphs (If branches, Loop bodies) are cleaned too; names
 * they read from the enclosing graph count as uses there. Below opset 9, constants Constant-1 cannot
 * hold become initializers.
 */
import type { OnnxGraph, OnnxModel, OnnxNode, OnnxTensor } from '../ir/onnx-graph.js';

function subgraphs(node: OnnxNode): OnnxGraph[] {
  return Object.values(node.attrs).flatMap((a) => (typeof a === 'object' && a !== null && 'g' in a ? [a.g] : []));
}

/** Every name a graph reads, its sub-graphs included. */
function readNames(graph: OnnxGraph, into = new Set<string>()): Set<string> {
  for (const n of graph.nodes) {
    for (const i of n.inputs) if (i) into.add(i);
    for (const g of subgraphs(n)) readNames(g, into);
  }
  for (const o of graph.outputs) into.add(o.name);
  return into;
}

function rename(graph: OnnxGraph, from: Map<string, string>): void {
  if (!from.size) return;
  for (const n of graph.nodes) {
    n.inputs.forEach((x, i) => (n.inputs[i] = from.get(x) ?? x));
    for (const g of subgraphs(n)) rename(g, from);
  }
}

function constantKey(t: OnnxTensor): string | undefined {
  if (t.data.kind !== 'bytes' || t.data.bytes.length > 4096) return undefined;
  return `${t.dtype}|${t.dims.join(',')}|${Buffer.from(t.data.bytes).toString('base64')}`;
}

/** Constant nodes with equal values collapse into the first; only in this graph, so scopes stay valid. */
function shareConstants(graph: OnnxGraph): void {
  const seen = new Map<string, string>();
  const replaced = new Map<string, string>();
  const graphOutputs = new Set(graph.outputs.map((o) => o.name));
  graph.nodes = graph.nodes.filter((n) => {
    if (n.opType !== 'Constant' || n.domain !== '' || graphOutputs.has(n.outputs[0])) return true;
    const value = n.attrs.value;
    if (typeof value !== 'object' || value === null || !('t' in value)) return true;
    const key = constantKey(value.t);
    if (key === undefined) return true;
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, n.outputs[0]);
      return true;
    }
    replaced.set(n.outputs[0], first);
    return false;
  });
  rename(graph, replaced);
}

/** Identity nodes whose output is not a graph output: readers take the input directly. */
function bypassIdentities(graph: OnnxGraph): void {
  const graphOutputs = new Set(graph.outputs.map((o) => o.name));
  const replaced = new Map<string, string>();
  graph.nodes = graph.nodes.filter((n) => {
    if (n.opType !== 'Identity' || n.domain !== '' || graphOutputs.has(n.outputs[0])) return true;
    replaced.set(n.outputs[0], replaced.get(n.inputs[0]) ?? n.inputs[0]);
    return false;
  });
  rename(graph, replaced);
}

function dropUnread(graph: OnnxGraph): void {
  for (;;) {
    const read = readNames(graph);
    const before = graph.nodes.length;
    graph.nodes = graph.nodes.filter((n) => n.outputs.some((o) => o && read.has(o)));
    if (graph.nodes.length === before) break;
  }
  const read = readNames(graph);
  graph.initializers = graph.initializers.filter((t) => read.has(t.name));
}

/** The dtypes Constant-1 (opsets 7 and 8) allows; Constant-9 allows every tensor type. */
const CONSTANT_1_DTYPES = new Set(['float16', 'float32', 'float64']);

/**
 * Below opset 9 a Constant node cannot hold integers or booleans (shapes, axes, indices), so those become
 * initializers of the main graph under the Constant's output name. Sub-graphs keep their Constants:
 * IR 3 lists every initializer as a graph input, which an If branch or Loop body cannot take.
 */
function constantsAsInitializers(graph: OnnxGraph): void {
  graph.nodes = graph.nodes.filter((n) => {
    if (n.opType !== 'Constant' || n.domain !== '') return true;
    const value = n.attrs.value;
    if (typeof value !== 'object' || value === null || !('t' in value) || CONSTANT_1_DTYPES.has(value.t.dtype)) return true;
    graph.initializers.push({ ...value.t, name: n.outputs[0] });
    return false;
  });
}

function clean(graph: OnnxGraph): void {
  for (const n of graph.nodes) for (const g of subgraphs(n)) clean(g);
  shareConstants(graph);
  bypassIdentities(graph);
  dropUnread(graph);
}

export function optimizeModel(model: OnnxModel): OnnxModel {
  clean(model.graph);
  if (model.opset < 9) constantsAsInitializers(model.graph);
  return model;
}
