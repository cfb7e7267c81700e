/**
 * The graph passes between trace and lower, in the order they run: one list, used by convert()
 * and by the tests, so both see the same graph.
 */
import type { TorchGraph } from '../ir/torch-graph.js';
import { eliminateDeadCode } from './dce.js';
import { foldConvBatchNorm } from './fold-conv-bn.js';

export interface PassOptions {
  /**
   * Fold eval-mode BatchNorm into the preceding Conv, as torch does in eval mode with constant
   * folding on and the weights exported as initializers.
   */
  readonly foldBatchNorm: boolean;
}

export interface GraphPass {
  readonly name: string;
  readonly enabled: (options: PassOptions) => boolean;
  readonly run: (graph: TorchGraph) => TorchGraph;
}

export const PASSES: readonly GraphPass[] = Object.freeze([
  { name: 'dead-code', enabled: () => true, run: eliminateDeadCode },
  { name: 'fold-conv-batch-norm', enabled: (o: PassOptions) => o.foldBatchNorm, run: foldConvBatchNorm },
  // Folding leaves the BatchNorm's statistics and the Conv's old weights unread.
  { name: 'dead-code-after-folding', enabled: (o: PassOptions) => o.foldBatchNorm, run: eliminateDeadCode },
]);

export function runPasses(graph: TorchGraph, options: PassOptions): TorchGraph {
  return PASSES.reduce((g, pass) => (pass.enabled(options) ? pass.run(g) : g), graph);
}
