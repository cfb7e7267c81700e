/** Dead-code elimination: drops nodes none of whose outputs reach a graph output, and unused parameters. */
import { GValue, type GNode, type TorchGraph } from '../ir/torch-graph.js';
import { nodeInputs } from '../ir/values-read.js';

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
