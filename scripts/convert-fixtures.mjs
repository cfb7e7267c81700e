#!/usr/bin/env node
/**
 * Converts every committed fixture case (scripts/lib/fixture-runs.mjs) at every opset from its lowest to
 * its highest with dist/'s convert, and writes the .onnx files with a manifest for
 * scripts/validate-onnx.py:
 *
 *   node scripts/convert-fixtures.mjs [--out tmp/onnx-validity] [--families ops,models]
 *
 * The default folder is in the project (git-ignored) so that ../shared/tools/py26, which sees only the
 * current folder, can read it.
 *
 * manifest.json: { models: [{ family, case, torch, opset, file }], failures: [{ family, case, torch, opset, error }] }
 * with `file` relative to the output folder. A conversion that fails is listed and the run goes on.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { convertAtLowestOpset, fixtureCases } from './lib/fixture-runs.mjs';
import { ensureBuilt, projectRoot } from './lib/env.mjs';

const { values } = parseArgs({ options: { out: { type: 'string' }, families: { type: 'string' } } });
const outDir = values.out ?? join(projectRoot, 'tmp', 'onnx-validity');
const families = values.families?.split(',').map((f) => f.trim());

ensureBuilt();
const { convert } = await import('../dist/index.js');

rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });

const describeError = (error) => `${error.code ?? error.name}: ${error.message}`;
const models = [];
const failures = [];
const fixtures = fixtureCases().filter((f) => !families || families.includes(f.family));
const started = Date.now();

for (const fixture of fixtures) {
  const slug = fixture.name.replace(/[^\w.-]+/g, '_').replace(/_+$/, '');
  const file = (opset) => join(fixture.family, `${slug}-${fixture.torch}-${opset}.onnx`);
  const record = (opset) => ({ family: fixture.family, case: fixture.name, torch: fixture.torch, opset });
  mkdirSync(join(outDir, fixture.family), { recursive: true });
  let lowest;
  try {
    // Written under a provisional name: the lowest opset is known once the conversion succeeds.
    const provisional = join(outDir, file('lowest'));
    ({ opset: lowest } = await convertAtLowestOpset(fixture, convert, provisional));
    renameSync(provisional, join(outDir, file(lowest)));
    models.push({ ...record(lowest), file: file(lowest) });
  } catch (error) {
    failures.push({ ...record(fixture.lowest), error: describeError(error) });
    continue;
  }
  for (let opset = lowest + 1; opset <= fixture.highest; opset++) {
    try {
      await convert(join(fixture.dir, 'model.pt'), join(outDir, file(opset)), { ...fixture.options, opsetVersion: opset });
      models.push({ ...record(opset), file: file(opset) });
    } catch (error) {
      failures.push({ ...record(opset), error: describeError(error) });
    }
  }
}

writeFileSync(join(outDir, 'manifest.json'), `${JSON.stringify({ models, failures }, null, 1)}\n`);
process.stderr.write(
  `${models.length} models from ${fixtures.length} fixture settings in ${((Date.now() - started) / 1000).toFixed(0)} s; ` +
    `${failures.length} conversion failures; manifest: ${join(outDir, 'manifest.json')}\n`,
);
