/**
 * Conversions share no state: several running at once write exactly the files each writes alone.
 * nonzero's data-dependent size gets a fresh dim name (`nonzero_dim_0`), whose numbering would leak
 * between conversions if its counter outlived one; a named dynamic axis and a plain CNN run beside it.
 *
 * convert() runs trace and lower without yielding, so `Promise.all` alone may never interleave them;
 * the second test runs the stages of all four in lockstep (every trace, then every lower), the
 * interleaving that state kept in a module would not survive.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { openArchive } from '../src/archive/index.js';
import { convert, DEFAULT_OPSET, describeModel, packageVersion, type ConvertOptions } from '../src/convert.js';
import { startFileDigest } from '../src/archive/digest.js';
import { lower } from '../src/lower/lower.js';
import { optimizeModel } from '../src/onnx/optimize.js';
import { writeModel } from '../src/onnx/writer.js';
import { FreshDims } from '../src/ops/args.js';
import { createOpRegistry } from '../src/ops/index.js';
import { runPasses } from '../src/passes/index.js';
import { parseInputSpec } from '../src/trace/inputs.js';
import { trace } from '../src/trace/trace.js';
import { fixturesRoot } from './helpers/cases.js';

const nonzero = (torch: string) => join(fixturesRoot, 'ops/cov_nonzero_one_hot_opset9', torch, 'model.pt');
const CASES: ReadonlyArray<{ name: string; model: string; options: ConvertOptions }> = [
  { name: 'nonzero_torch26', model: nonzero('torch26'), options: { inputs: ['float32[3,4]', 'int64[3]'], opsetVersion: 9 } },
  { name: 'nonzero_torch113', model: nonzero('torch113'), options: { inputs: ['float32[3,4]', 'int64[3]'], opsetVersion: 17 } },
  { name: 'small_cnn', model: join(fixturesRoot, 'models/small_cnn/torch113/model.pt'), options: { inputs: ['float32[1,3,32,32]'] } },
  { name: 'dynamic_mlp', model: join(fixturesRoot, 'dynamic/mlp/torch26/model.pt'), options: { inputs: ['float32[batch,16]'] } },
];

const dir = mkdtempSync(join(tmpdir(), 'tsonnx-concurrency-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const alone = new Map<string, Buffer>();

async function convertAlone(): Promise<void> {
  if (alone.size) return;
  for (const c of CASES) {
    const out = join(dir, `${c.name}.alone.onnx`);
    await convert(c.model, out, c.options);
    alone.set(c.name, readFileSync(out));
  }
}

it('converts four archives at once exactly as one at a time', async () => {
  await convertAlone();
  // Each case twice, so conversions of one archive also overlap.
  const runs = [...CASES, ...CASES].map((c, i) => ({ ...c, out: join(dir, `${c.name}.together${i}.onnx`) }));
  await Promise.all(runs.map((r) => convert(r.model, r.out, r.options)));
  for (const r of runs) {
    expect(readFileSync(r.out).equals(alone.get(r.name)!), `${r.out}: the concurrent conversion wrote different bytes`).toBe(true);
  }
});

it('runs the stages of four conversions in lockstep and writes what each writes alone', async () => {
  await convertAlone();
  const runs = await Promise.all(
    [...CASES, ...CASES].map(async (c, i) => ({
      ...c,
      out: join(dir, `${c.name}.lockstep${i}.onnx`),
      archive: await openArchive(c.model),
      // What convert() makes per conversion: nothing else is shared between these runs.
      registry: createOpRegistry(),
      freshDims: new FreshDims(),
    })),
  );
  try {
    const graphs = runs.map((r) =>
      trace(r.archive, { registry: r.registry, freshDims: r.freshDims, inputs: r.options.inputs!.map((s) => parseInputSpec(s)), training: false }),
    );
    const folded = graphs.map((g) => runPasses(g, { foldBatchNorm: true }));
    const models = folded.map((g, i) =>
      optimizeModel(lower(g, {
        registry: runs[i].registry,
        freshDims: runs[i].freshDims,
        opset: runs[i].options.opsetVersion ?? DEFAULT_OPSET,
        producerVersion: packageVersion(),
        customOpsets: new Map(),
        dynamicAxes: new Map(),
      })),
    );
    for (const [i, m] of models.entries()) {
      const { model, options } = runs[i];
      const resolved = { opset: options.opsetVersion ?? DEFAULT_OPSET, training: 'eval', operatorExportType: 'onnx', keepInitializersAsInputs: false } as const;
      describeModel(m, { path: model, sha256: await startFileDigest(model).sha256 }, options, resolved);
    }
    await Promise.all(models.map((m, i) => writeModel(m, runs[i].out, { archivePath: runs[i].model })));
  } finally {
    for (const r of runs) r.archive.close();
  }
  for (const r of runs) {
    expect(readFileSync(r.out).equals(alone.get(r.name)!), `${r.out}: the interleaved conversion wrote different bytes`).toBe(true);
  }
});
