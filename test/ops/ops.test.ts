/**
 * The op table: every case of scripts/fixtures/ops_cases.py (made with PyTorch 1.13 and 2.6), converted at
 * the lowest opset the registry claims for the ops it converts to (test/helpers/ops-used.ts) and at 21,
 * run in onnxruntime, compared with PyTorch. Cases of random ops (`random` in case.json) cannot match
 * PyTorch's numbers: their outputs are checked for shape, dtype and range instead.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convert } from '../../src/index.js';
import { fixturesRoot, listCases, loadCase, runOnnx, toNumbers, type Case } from '../helpers/cases.js';
import { expectParity, tempPath } from '../helpers/convert-case.js';
import { planOpsets } from '../helpers/ops-used.js';

const HIGHEST_OPSET = 21;

/** Per output: values lie in [low, high), or null where the op leaves them unspecified (torch.empty). */
type Ranges = Array<[number, number] | null>;

function randomRanges(c: Case): Ranges | undefined {
  const json = JSON.parse(readFileSync(join(c.dir, 'case.json'), 'utf8')) as { random?: boolean; ranges?: Ranges };
  if (!json.random) return undefined;
  if (json.ranges?.length !== c.outputs.length) throw new Error(`${c.dir}: a random case needs one range per output`);
  return json.ranges;
}

/** Converts `c` at `opset` and checks each output's dtype, shape and range against PyTorch's. */
async function expectRandomOutputs(c: Case, opset: number, ranges: Ranges): Promise<void> {
  const out = tempPath(`${c.name}-${opset}.onnx`);
  const report = await convert(join(c.dir, 'model.pt'), out, { inputs: c.args, opsetVersion: opset });
  const feeds = c.inputs.filter((input) => /\[/.test(c.args[input.index]));
  const inputNames = report.inputs.map((i) => i.name);
  const got = await runOnnx(out, feeds, inputNames.length === feeds.length ? inputNames : undefined);
  expect(got.map((g) => `${g.dtype}[${g.shape}]`)).toEqual(c.outputs.map((w) => `${w.dtype}[${w.shape}]`));
  got.forEach((output, i) => {
    const range = ranges[i];
    if (!range) return;
    const values = toNumbers(output);
    const outside = values.filter((v) => !(v >= range[0] && v < range[1]));
    expect(outside, `output ${i}: values outside [${range[0]}, ${range[1]})`).toEqual([]);
    // A constant (say all zeros) lies in range too: random values differ.
    if (values.length > 1) expect(new Set(values).size, `output ${i}: distinct values`).toBeGreaterThan(1);
  });
}

const cases = await Promise.all(
  listCases(join(fixturesRoot, 'ops')).map(async (dir) => {
    const c = loadCase(dir);
    return { c, plan: await planOpsets(c), ranges: randomRanges(c) };
  }),
);

describe('op table', () => {
  for (const { c, plan, ranges } of cases) {
    for (const opset of [...new Set([plan.lowest, HIGHEST_OPSET])]) {
      it(`${c.name} (${c.torch}) at opset ${opset}`, async () => {
        if (ranges) await expectRandomOutputs(c, opset, ranges);
        else await expectParity(c, opset);
      });
    }
  }
});
