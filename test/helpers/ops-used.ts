/**
 * The registered ops a conversion of an archive lowers: read from the TorchGraph, so ops the
 * interpreter synthesizes (in-place `copy_` → `aten::copy`, writes through views → `aten::slice_scatter`)
 * count, and ops the code calls but the conversion never lowers (dead, or folded to constants) do not.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openArchive } from '../../src/archive/index.js';
import { MIN_OPSET } from '../../src/convert.js';
import { runPasses } from '../../src/passes/index.js';
import { FreshDims } from '../../src/ops/args.js';
import { createOpRegistry } from '../../src/ops/index.js';
import { lowestOpset } from '../../src/ops/registry.js';
import type { GBlock } from '../../src/ir/torch-graph.js';
import { parseInputSpec } from '../../src/trace/inputs.js';
import { trace } from '../../src/trace/trace.js';
import { isFolded } from '../../src/lower/lower.js';
import type { Case } from './cases.js';

const registry = createOpRegistry();

/**
 * Sorted names of the registered ops that converting the archive at `path` (eval mode, default
 * options) lowers, blocks included. `inputs` are `--input` specs, one per forward() argument.
 */
export async function traceOps(path: string, inputs: readonly string[]): Promise<string[]> {
  const archive = await openArchive(path);
  try {
    const traced = trace(archive, { registry, freshDims: new FreshDims(), inputs: inputs.map(parseInputSpec), training: false });
    // The same passes convert() runs by default: a BatchNorm folded into its Conv is not lowered.
    const graph = runPasses(traced, { foldBatchNorm: true });
    const ops = new Set<string>();
    const visit = (block: GBlock): void => {
      for (const node of block.nodes) {
        if (!isFolded(node) && registry.findOp(node.op)) ops.add(node.op);
        for (const inner of node.blocks ?? []) visit(inner);
      }
    };
    visit(graph.body);
    return [...ops].sort();
  } finally {
    archive.close();
  }
}

/** The lowest opset the registry claims for `op`; claims below the lowest opset tsonnx writes count as that opset. */
export function claimedOpset(op: string): number {
  const entry = registry.findOp(op);
  if (!entry) throw new Error(`${op} is not in the registry`);
  const lowest = lowestOpset(entry.def);
  if (lowest === undefined) throw new Error(`${op} has no lowering`);
  return Math.max(lowest, MIN_OPSET);
}

export interface OpsetPlan {
  /** Registered ops the conversion lowers. */
  ops: string[];
  /** The highest of the ops' claimed opsets (at least MIN_OPSET). */
  claimed: number;
  /** Where the case starts: `claimed`, or the case's `min_opset` when that is higher. */
  lowest: number;
}

/**
 * The opsets a table case runs at start from what the registry claims for its ops. A case that needs
 * more than its ops claim (a stepped slice needs Slice-10 though aten::slice claims 7) says so with
 * `min_opset` in its case.json.
 */
export async function planOpsets(c: Case): Promise<OpsetPlan> {
  const ops = await traceOps(join(c.dir, 'model.pt'), c.args);
  const claimed = Math.max(MIN_OPSET, ...ops.map(claimedOpset));
  const { min_opset: declared } = JSON.parse(readFileSync(join(c.dir, 'case.json'), 'utf8')) as { min_opset?: number };
  return { ops, claimed, lowest: Math.max(claimed, declared ?? claimed) };
}
