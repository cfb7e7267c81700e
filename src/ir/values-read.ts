/** Which graph values a node reads: what dead-code elimination keeps alive and lowerings ask about. */
import { GValue, type Arg, type GNode } from './torch-graph.js';

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
