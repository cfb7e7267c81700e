/** The pass list convert() runs: BatchNorm folding only when asked, dead values gone either way. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openArchive } from '../../src/archive/index.js';
import type { TorchGraph } from '../../src/ir/torch-graph.js';
import { FreshDims } from '../../src/ops/args.js';
import { createOpRegistry } from '../../src/ops/index.js';
import { PASSES, runPasses } from '../../src/passes/index.js';
import { parseInputSpec } from '../../src/trace/inputs.js';
import { trace } from '../../src/trace/trace.js';
import { fixturesRoot } from '../helpers/cases.js';

/** small_cnn: three Conv2d → BatchNorm2d → ReLU blocks, pooling and a Linear. */
async function tracedSmallCnn(): Promise<TorchGraph> {
  const archive = await openArchive(join(fixturesRoot, 'models', 'small_cnn', 'torch113', 'model.pt'));
  try {
    return trace(archive, { registry: createOpRegistry(), freshDims: new FreshDims(), inputs: [parseInputSpec('float32[1,3,32,32]')], training: false });
  } finally {
    archive.close();
  }
}

const opsOf = (graph: TorchGraph) => graph.body.nodes.map((n) => n.op);

describe('runPasses', () => {
  it('runs the passes in the listed order', () => {
    expect(PASSES.map((p) => p.name)).toEqual(['dead-code', 'fold-conv-batch-norm', 'dead-code-after-folding']);
  });

  it('folds BatchNorm into the Conv and drops its statistics when folding is on', async () => {
    const traced = await tracedSmallCnn();
    expect(opsOf(traced).filter((op) => op === 'aten::batch_norm')).toHaveLength(3);
    expect(traced.parameters.filter((p) => /running_(mean|var)/.test(p.name))).toHaveLength(6);
    const folded = runPasses(traced, { foldBatchNorm: true });
    expect(opsOf(folded)).not.toContain('aten::batch_norm');
    expect(opsOf(folded).filter((op) => op === 'aten::_convolution')).toHaveLength(3);
    expect(folded.parameters.map((p) => p.name).filter((n) => /running_(mean|var)/.test(n))).toEqual([]);
  });

  it('keeps BatchNorm when folding is off', async () => {
    const kept = runPasses(await tracedSmallCnn(), { foldBatchNorm: false });
    expect(opsOf(kept).filter((op) => op === 'aten::batch_norm')).toHaveLength(3);
  });
});
