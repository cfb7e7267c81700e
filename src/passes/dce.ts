/** Dead-code elimination: drops nodes none of whose outputs reach a graph output, and unused parameters. */
import { GValue, type Arg, type GNode, type TorchGraph } from '../ir/torch-graph.js';

function addValues(a: Arg, into: Set<GValue>): void {
  if (a instanceof GValue) into.add(a);
  else if (Array.isArray(a)) for (const x of a) addValues(x, into);
  // Packed quantized weights reach their op inside a TorchBind object's state.
  else if (a !== null && typeof a === 'object' && 'kind' in a && a.kind === 'torchbind') addValues(a.state, into);
}

/** Every value a node reads, including what the nodes of its blocks read and yield. */
export function nodeInputs(node: GNode, into: Set<GValue> = new Set()): Set<GValue> {
  for (const a of node.args.values()) addValues(a, into);
  for (const block of node.blocks ?? []) {
    for (const inner of block.nodes) nodeInputs(inner, into);
    for (const r of block.results) into.add(r);
  }
  return into;
}

export function eliminateDeadCode(graph: TorchGraph): TorchGraph {
  const live = new Set<GValue>(graph.outputs.map((o) => o.value));
  const kept: GNode[] = [];
  const nodes = graph.body.nodes;
  for (let i = nodes.length - 1; i >= 0; i--) {
    if (!nodes[i].outputs.some((o) => live.has(o))) continue;
    kept.push(nodes[i]);
    nodeInputs(nodes[i], live);
  }
  return {
    ...graph,
    body: { ...graph.body, nodes: kept.reverse() },
    parameters: graph.parameters.filter((p) => live.has(p.value)),
  };
}
