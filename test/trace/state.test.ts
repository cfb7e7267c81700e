/**
 * Module state: forward() writes a tensor attribute (scripts/fixtures/control_cases.py, `state_*` cases).
 * By default the ONNX model reads the stored value (PyTorch's first call) and warns; with liftState the
 * attribute becomes an input `<attr>` and an output `<attr>_out`, and feeding one call's `<attr>_out` to the
 * next call's `<attr>` matches calling the PyTorch module twice.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convert } from '../../src/index.js';
import { compareAll, expectClose, fixturesRoot, listCases, loadCase, runOnnx, type ArrayData, type Case, type NamedArray } from '../helpers/cases.js';
import { expectParity, tempPath } from '../helpers/convert-case.js';

interface ArrayEntry {
  dtype: string;
  shape: number[];
  file: string;
}

interface StateCall {
  inputs: NamedArray[];
  outputs: NamedArray[];
  /** The attribute's value after the call. */
  state: NamedArray;
}

interface StateCase extends Case {
  attribute: string;
  initial: NamedArray;
  calls: StateCall[];
}

const VIEWS: Record<string, (buffer: ArrayBuffer) => ArrayData> = {
  float32: (b) => new Float32Array(b),
  int64: (b) => new BigInt64Array(b),
};

function readEntry(dir: string, entry: ArrayEntry): NamedArray {
  const view = VIEWS[entry.dtype];
  if (!view) throw new Error(`${dir}: state arrays of dtype ${entry.dtype} are not read by this test`);
  return { dtype: entry.dtype, shape: entry.shape, data: view(new Uint8Array(readFileSync(join(dir, entry.file))).buffer) };
}

function loadStateCase(dir: string): StateCase {
  const json = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as {
    state: { attribute: string; initial: ArrayEntry; calls: Array<{ inputs: ArrayEntry[]; outputs: ArrayEntry[]; state: ArrayEntry }> };
  };
  const read = (e: ArrayEntry) => readEntry(dir, e);
  return {
    ...loadCase(dir),
    attribute: json.state.attribute,
    initial: read(json.state.initial),
    calls: json.state.calls.map((c) => ({ inputs: c.inputs.map(read), outputs: c.outputs.map(read), state: read(c.state) })),
  };
}

const cases = listCases(join(fixturesRoot, 'control'))
  .filter((dir) => /[/\\]state_[^/\\]+[/\\]torch\d+$/.test(dir))
  .map(loadStateCase);

describe('module state', () => {
  it('finds the state cases of both PyTorch versions', () => {
    expect(cases.map((c) => `${c.name} ${c.torch.slice(0, 3)}`).sort()).toEqual([
      'state_attribute 1.1', 'state_attribute 2.6', 'state_buffer 1.1', 'state_buffer 2.6', 'state_inplace 1.1', 'state_inplace 2.6',
    ]);
  });

  for (const c of cases) {
    for (const opset of [...new Set(c.opsets)]) {
      it(`${c.name} (${c.torch}) at opset ${opset}: reads the stored value and warns about the write`, async () => {
        const report = await expectParity(c, opset);
        expect(report.inputs.map((i) => i.name)).toEqual(['x']);
        expect(report.warnings.filter((w) => w.code === 'STATE_NOT_KEPT' && w.message.includes(`module attribute ${c.attribute}`))).toHaveLength(1);
      });

      it(`${c.name} (${c.torch}) at opset ${opset}: liftState carries the state between two calls`, async () => {
        const out = tempPath(`${c.name}-lifted-${opset}.onnx`);
        const report = await convert(join(c.dir, 'model.pt'), out, { inputs: c.args, opsetVersion: opset, liftState: true });
        expect(report.inputs.map((i) => i.name)).toEqual(['x', c.attribute]);
        expect(report.outputs.map((o) => o.name).at(-1)).toBe(`${c.attribute}_out`);
        expect(report.outputs).toHaveLength(c.calls[0].outputs.length + 1);
        expect(report.warnings.filter((w) => w.code === 'STATE_NOT_KEPT' && w.message.includes(`module attribute ${c.attribute}`))).toEqual([]);

        const names = report.inputs.map((i) => i.name);
        let state = c.initial;
        for (const [index, call] of c.calls.entries()) {
          const got = await runOnnx(out, [...call.inputs, state], names);
          const stateOut = got.pop() as NamedArray;
          try {
            compareAll(got, call.outputs, c.tolerance);
            expectClose(stateOut, call.state, c.tolerance);
          } catch (error) {
            throw new Error(`call ${index + 1}: ${(error as Error).message}`);
          }
          state = stateOut;
        }
      });
    }
  }
});
