/**
 * Conversions share no state: several running at once write exactly the files each writes alone.
 * nonzero's data-dependent size gets a fresh dim name (`nonzero_dim_0`), whose numbering would leak
 * between conversions if its counter outlived one; a named dynamic axis and a plain CNN run beside it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { convert, type ConvertOptions } from '../src/convert.js';
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

it('converts four archives at once exactly as one at a time', async () => {
  const alone = new Map<string, Buffer>();
  for (const c of CASES) {
    const out = join(dir, `${c.name}.alone.onnx`);
    await convert(c.model, out, c.options);
    alone.set(c.name, readFileSync(out));
  }
  // Each case twice, so conversions of one archive also overlap.
  const runs = [...CASES, ...CASES].map((c, i) => ({ ...c, out: join(dir, `${c.name}.together${i}.onnx`) }));
  await Promise.all(runs.map((r) => convert(r.model, r.out, r.options)));
  for (const r of runs) {
    expect(readFileSync(r.out).equals(alone.get(r.name)!), `${r.out}: the concurrent conversion wrote different bytes`).toBe(true);
  }
});
