/**
 * The registered ops a conversion of an archive lowers: read from the TorchGraph, so ops the
 * interpreter synthesizes (in-place `copy_` → `aten::copy`, writes through views → `aten::slice_scatter`)
 * count, and ops the code calls but the conversion never lowers (dead, or folded to constants) do not.
 */
import { openArchive } from '../../src/archive/index.js';
import { eliminateDeadCode } from '../../src/passes/dce.js';
import { foldConvBatchNorm } from '../../src/passes/fold-conv-bn.js';
import { findOp } from '../../src/lower/registry.js';
import '../../src/lower/ops/index.js';
import { resetFreshDims } from '../../src/lower/ops/shape.js';
import type { GBlock } from '../../src/trace/graph.js';
import { parseInputSpec } from '../../src/trace/inputs.js';
import { trace } from '../../src/trace/trace.js';

/** Mirrors the lower stage's rule: a node whose outputs are all small known constants is not lowered. */
const FOLD_LIMIT = 1024;

/**
 * Sorted names of the registered ops that converting the archive at `path` (eval mode, default
 * options) lowers, blocks included. `inputs` are `--input` specs, one per forward() argument.
 */
export async function traceOps(path: string, inputs: readonly string[]): Promise<string[]> {
  resetFreshDims();
  const archive = await openArchive(path);
  try {
    const traced = trace(archive, { inputs: inputs.map(parseInputSpec), training: false });
    // The same passes convert() runs by default: a BatchNorm folded into its Conv is not lowered.
    const graph = eliminateDeadCode(foldConvBatchNorm(eliminateDeadCode(traced)));
    const ops = new Set<string>();
    const visit = (block: GBlock): void => {
      for (const node of block.nodes) {
        const folded = node.outputs.length > 0 && node.outputs.every((o) => o.known && o.known.values.length <= FOLD_LIMIT);
        if (!folded && findOp(node.op)) ops.add(node.op);
        for (const inner of node.blocks ?? []) visit(inner);
      }
    };
    visit(graph.body);
    return [...ops].sort();
  } finally {
    archive.close();
  }
}
