/**
 * Scripted control flow, containers, signatures, views and in-place updates (scripts/fixtures/control_cases.py,
 * made with PyTorch 1.13 and 2.6): each case converted at the opsets it lists, run in onnxruntime and compared
 * with PyTorch, plus what the ONNX graph must (not) contain for its form.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convert, type ConvertReport } from '../../src/index.js';
import { compareAll, fixturesRoot, listCases, loadCase, runOnnx, type Case } from '../helpers/cases.js';
import { tempPath } from '../helpers/convert-case.js';

interface ControlCase extends Case {
  /** --input specs to convert with, when they differ from the arguments PyTorch ran with. */
  convertArgs?: string[];
  method?: string;
}

function loadControlCase(dir: string): ControlCase {
  const json = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as { convert_args?: string[]; method?: string };
  return { ...loadCase(dir), convertArgs: json.convert_args, method: json.method };
}

const isTensorSpec = (spec: string): boolean => /\[/.test(spec);

/** Converts c, runs the ONNX model on the case's tensor inputs (fed by name) and compares with PyTorch's outputs. */
async function expectControlParity(c: ControlCase, opset: number): Promise<ConvertReport> {
  const out = tempPath(`${c.name}-${opset}.onnx`);
  const report = await convert(join(c.dir, 'model.pt'), out, {
    inputs: c.convertArgs ?? c.args,
    opsetVersion: opset,
    method: c.method,
  });
  const names = c.args.map((spec, index) => ({ spec, index })).filter((a) => isTensorSpec(a.spec));
  const feeds = c.inputs.filter((input) => names.some((a) => a.index === input.index));
  const got = await runOnnx(out, feeds, report.inputs.length === feeds.length ? report.inputs.map((i) => i.name) : undefined);
  compareAll(got, c.outputs, c.tolerance);
  return report;
}

const cases = listCases(join(fixturesRoot, 'control'))
  .map(loadControlCase)
  .filter((c) => !c.name.startsWith('state_'));

const inputNames = (r: ConvertReport): string[] => r.inputs.map((i) => i.name);
const outputNames = (r: ConvertReport): string[] => r.outputs.map((o) => o.name);

/** Forms decided at conversion time: they must leave no If or Loop in the ONNX graph. */
function expectStatic(r: ConvertReport): void {
  expect(r.nodes.If).toBeUndefined();
  expect(r.nodes.Loop).toBeUndefined();
}

/** The same check for the cases `<prefix>_<path>` that run one module on inputs taking each path. */
function forPaths(prefix: string, paths: string[], check: (r: ConvertReport) => void): Record<string, (r: ConvertReport) => void> {
  return Object.fromEntries(paths.map((path) => [`${prefix}_${path}`, check]));
}

/** What each case's ONNX graph must look like, beyond matching PyTorch's numbers. */
const CHECKS: Record<string, (r: ConvertReport, c: ControlCase) => void> = {
  // TorchScript saves break and continue as a flag the loop condition reads and the rest of the body under ifs.
  // The first trip of range(6) runs unrolled (its two ifs on the data are Ifs; the row it appends on one path makes
  // the list a stacked tensor of run-time length), the rest is one Loop carrying the rows.
  ...forPaths('loop_break_continue', ['first', 'mid', 'never'], (r) => {
    expect(r.nodes.Loop).toBe(1);
    expect(r.nodes.If).toBe(2);
    expect(r.outputs.map((o) => o.shape.length)).toEqual([1, 0, 2]);
    expect(typeof r.outputs[0].shape[0]).toBe('string');
  }),
  // A loop on tensor data from its first trip: the empty list is stacked before it and carried as its rows.
  ...forPaths('data_loop_break_continue', ['first', 'mid', 'never', 'zero'], (r) => {
    expect(r.nodes.Loop).toBe(1);
    expect(r.nodes.If).toBeUndefined();
    expect(r.outputs.map((o) => o.shape.length)).toEqual([2, 0, 1]);
    expect(typeof r.outputs[0].shape[0]).toBe('string');
  }),
  ...forPaths('while_nested_break', ['first', 'mid', 'never'], (r) => {
    expect(r.nodes.Loop).toBe(1);
    expect(r.nodes.If).toBe(1);
  }),
  // The returned tuple is uninitialized until the flag is set: If outputs with placeholders, carried by the Loop.
  ...forPaths('loop_return', ['first', 'mid', 'never'], (r) => {
    expect(r.nodes.Loop).toBe(1);
    expect(r.outputs.map((o) => o.shape)).toEqual([[1, 3], []]);
  }),
  ...forPaths('while_data_break_write', ['first', 'mid', 'never'], (r) => {
    expect(r.nodes.Loop).toBe(1);
    expect(r.outputs.map((o) => o.shape)).toEqual([[2, 2], []]);
  }),
  // A list the body reads (its length, its last row) is carried as its rows, not a scan output the body cannot see.
  ...forPaths('loop_reads_rows', ['break', 'never', 'short'], (r) => {
    expect(r.nodes.Loop).toBe(1);
    expect(r.outputs.map((o) => o.shape.length)).toEqual([2, 0]);
    expect(typeof r.outputs[0].shape[0]).toBe('string');
  }),
  ...forPaths('while_reads_last', ['none', 'once', 'long'], (r) => {
    expect(r.nodes.Loop).toBe(1);
    expect(r.outputs.map((o) => o.shape.slice(1))).toEqual([[1, 2], []]);
  }),
  // A list name the body rebinds to another list is carried as its rows.
  ...forPaths('loop_reassigns_list', ['none', 'long'], (r) => {
    expect(r.nodes.Loop).toBe(1);
    expect(r.outputs.map((o) => o.shape.length)).toEqual([2, 0]);
  }),
  ...forPaths('data_loop_fresh_list', ['six', 'zero'], (r) => {
    expect(r.nodes.Loop).toBe(1);
    expect(typeof r.outputs[0].shape[0]).toBe('string');
  }),
  // The inner loop (its first trip unrolled, then a Loop) runs in the outer Loop's body: one Loop at the top.
  ...forPaths('nested_loops_break', ['inner', 'outer', 'never'], (r) => {
    expect(r.nodes.Loop).toBe(1);
    expect(r.outputs.map((o) => o.shape)).toEqual([[2], []]);
  }),
  if_attribute: (r) => expectStatic(r),
  if_int_argument: (r) => {
    expectStatic(r);
    expect(inputNames(r)).toEqual(['x']);
  },
  if_bool_argument: (r) => {
    expectStatic(r);
    expect(inputNames(r)).toEqual(['x']);
  },
  if_str_argument: (r) => {
    expectStatic(r);
    expect(r.outputs[0].shape).toEqual([2]);
  },
  if_optional_none: (r) => {
    expectStatic(r);
    expect(inputNames(r)).toEqual(['x']);
  },
  if_optional_given: (r) => {
    expectStatic(r);
    expect(inputNames(r)).toEqual(['x', 'other']);
  },
  if_dim: (r) => {
    expectStatic(r);
    expect(r.outputs[0].shape).toEqual([2, 3]);
  },
  if_size: (r) => {
    expectStatic(r);
    expect(r.outputs[0].shape).toEqual([2, 3]);
  },
  if_data_pos: (r) => {
    expect(r.nodes.If).toBe(1);
    expect(r.outputs).toHaveLength(2);
  },
  if_data_neg: (r) => {
    expect(r.nodes.If).toBe(1);
    expect(r.outputs).toHaveLength(2);
  },
  for_range_constant: (r) => expectStatic(r),
  for_list: (r) => expectStatic(r),
  for_module_list: (r) => {
    expectStatic(r);
    expect(r.nodes.Gemm).toBe(2);
  },
  for_module_list_trace: (r) => expect(r.nodes.Gemm).toBe(2),
  enumerate_zip: (r) => expectStatic(r),
  // count, scale and flag differ between the paths: If outputs; `if flag:` is then a second If.
  if_data_numbers_pos: (r) => expect(r.nodes.If).toBe(2),
  if_data_numbers_neg: (r) => expect(r.nodes.If).toBe(2),
  // y is made and written on the then-path only: one If with one output.
  if_data_local_write: (r) => expect(r.nodes.If).toBe(1),
  if_data_list_pos: (r) => expect(r.nodes.If).toBe(1),
  if_data_list_neg: (r) => expect(r.nodes.If).toBe(1),
  while_data_counter: (r) => expect(r.nodes.Loop).toBe(1),
  while_data_counter_limit: (r) => expect(r.nodes.Loop).toBe(1),
  loop_writes_outer: (r) => expect(r.nodes.Loop).toBe(1),
  loop_fills_list: (r) => expect(r.nodes.Loop).toBe(1),
  while_data_short: (r) => expect(r.nodes.Loop).toBe(1),
  while_data_long: (r) => expect(r.nodes.Loop).toBe(1),
  // The first trip is unrolled (the Mul before the Loop; the one in its body is not counted), the rest is the Loop.
  while_data_after_first_once: (r) => {
    expect(r.nodes.Loop).toBe(1);
    expect(r.nodes.Mul).toBe(1);
  },
  while_data_after_first_long: (r) => {
    expect(r.nodes.Loop).toBe(1);
    expect(r.nodes.Mul).toBe(1);
  },
  // The unrolled first trip's row is stacked before the Loop's scan output.
  while_data_after_first_rows: (r) => {
    expect(r.nodes.Loop).toBe(1);
    expect(r.outputs.map((o) => o.shape.length)).toEqual([2, 1, 0]);
  },
  // Mel frames, lengths and alignments, as many frames as the decoder ran.
  tacotron2_infer_tiny: (r) => {
    expect(r.nodes.Loop).toBe(1);
    expect(r.outputs.map((o) => o.shape.length)).toEqual([3, 1, 3]);
  },
  for_dynamic_size: (r) => {
    expect(r.nodes.Loop).toBe(1);
    expect(r.inputs[0].shape).toEqual(['n', 3]);
    expect(r.outputs[0].shape).toEqual([3]);
  },
  raise_on_shape: (r) => expectStatic(r),
  raise_on_argument: (r) => {
    expectStatic(r);
    expect(inputNames(r)).toEqual(['x']);
  },
  assert_data: (r) => {
    expect(r.nodes.If).toBeUndefined();
    expect(r.warnings.some((w) => w.code === 'CHECK_DROPPED' && w.message.includes('values out of range'))).toBe(true);
  },
  isinstance: (r) => {
    expectStatic(r);
    expect(inputNames(r)).toEqual(['x', 'extra']);
  },
  unchecked_cast: (r) => expectStatic(r),
  string_compare: (r) => expectStatic(r),
  annotate: (r) => {
    expectStatic(r);
    expect(r.outputs.map((o) => o.shape)).toEqual([[3, 2, 3], [2, 3]]);
  },
  list_comprehension: (r) => {
    expectStatic(r);
    expect(r.outputs.map((o) => o.shape)).toEqual([[3, 2, 3], [2], [4, 6]]);
  },
  list_ops: (r) => {
    expectStatic(r);
    expect(r.outputs.map((o) => o.shape)).toEqual([[2, 2, 3], [2, 3], [10, 3], [2, 3], [2, 3], [], [6, 2, 3]]);
  },
  tuple_namedtuple: (r) => expect(r.outputs).toHaveLength(2),
  dict_ops: (r, c) => {
    expectStatic(r);
    expect(outputNames(r)).toEqual(['total', 'double', 'count']);
    expect(outputNames(r)).toEqual(c.outputNames);
  },
  optional_defaults: (r) => expect(inputNames(r)).toEqual(['x']),
  optional_defaults_given: (r) => expect(inputNames(r)).toEqual(['x', 'bias']),
  nested_outputs: (r) => expect(r.outputs.map((o) => o.shape)).toEqual([[2, 3], [2, 3], [2, 3], [2, 3], [3], [2]]),
  export_method: (r) => expect(r.nodes.Relu).toBe(1),
  export_method_other: (r) => {
    expect(inputNames(r)).toEqual(['x']);
    expect(r.nodes.Relu).toBeUndefined();
  },
  export_method_helper: (r) => expect(r.nodes.Relu).toBeUndefined(),
  overload_tensor: (r) => expect(inputNames(r)).toEqual(['x', 'y']),
  overload_float: (r) => expect(inputNames(r)).toEqual(['x']),
};

describe('control flow, containers and views', () => {
  for (const c of cases) {
    for (const opset of [...new Set(c.opsets)]) {
      it(`${c.name} (${c.torch}) at opset ${opset}`, async () => {
        const report = await expectControlParity(c, opset);
        CHECKS[c.name]?.(report, c);
      });
    }
  }
});

describe('raise and assert decided at conversion', () => {
  const byName = (name: string) => cases.filter((c) => c.name === name);

  for (const c of byName('raise_on_shape')) {
    it(`fails with the model's message on the path that raises (${c.torch})`, async () => {
      await expect(
        convert(join(c.dir, 'model.pt'), tempPath('raise_on_shape.onnx'), { inputs: ['float32[2,3,4]'] }),
      ).rejects.toMatchObject({
        code: 'TRACE_RAISE',
        message: expect.stringContaining('ValueError: expected a 2-D input'),
        location: { file: 'code/__torch__.py', python: expect.stringMatching(/^control_cases\.py:\d+$/) },
      });
    });
  }

  for (const c of byName('raise_on_argument')) {
    it(`fails with the assertion's message for an argument it rejects (${c.torch})`, async () => {
      await expect(
        convert(join(c.dir, 'model.pt'), tempPath('raise_on_argument.onnx'), { inputs: ['float32[2,3]', '"sub"'] }),
      ).rejects.toMatchObject({
        code: 'TRACE_RAISE',
        message: expect.stringContaining('AssertionError: mode must be add or mul'),
        location: { file: 'code/__torch__.py', python: expect.stringMatching(/^control_cases\.py:\d+$/) },
      });
    });
  }
});

describe('entry points', () => {
  for (const c of cases.filter((x) => x.name === 'overload_tensor')) {
    it(`converts an overload-only module's first overload, forward__0, by default (${c.torch})`, async () => {
      const report = await expectControlParity({ ...c, method: undefined }, 17);
      expect(inputNames(report)).toEqual(['x', 'y']);
    });
  }
});
