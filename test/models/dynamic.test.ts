/**
 * Models with dynamic axes (scripts/fixtures/dynamic_cases.py, made with PyTorch 1.13 and 2.6): each archive
 * is converted once with its axes named in the --input spec (`float32[batch,3,16,16]`), must keep those dims
 * symbolic in the ONNX inputs and outputs, and must give PyTorch's numbers in onnxruntime at three sizes
 * other than the one the archive was traced with.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convert, type ConvertOptions, type ConvertReport } from '../../src/index.js';
import {
  compareAll, fixturesRoot, listCases, loadCase, runOnnx, type ArrayData, type Case, type CaseInput, type NamedArray,
} from '../helpers/cases.js';
import { tempPath } from '../helpers/convert-case.js';

interface ArrayEntry {
  dtype: string;
  shape: number[];
  file: string;
}

interface SizeJson {
  dims: Record<string, number>;
  inputs: Array<ArrayEntry & { index: number }>;
  outputs: ArrayEntry[];
}

interface DynamicJson {
  convert_args: string[];
  sizes: SizeJson[];
  output_dims: Array<Array<number | string | null>>;
}

/** One run of the loaded archive by PyTorch at one value of the named dims. */
interface SizeRun {
  dims: Record<string, number>;
  inputs: CaseInput[];
  outputs: NamedArray[];
}

interface DynamicCase extends Case {
  /** --input specs with the dynamic dims named. */
  convertArgs: string[];
  sizes: SizeRun[];
  /** Per output axis: its fixed size, the input dim name it always equals, or null for another dynamic dim. */
  outputDims: Array<Array<number | string | null>>;
}

// The dtypes these models take and give; cases.ts reads the case's own in/out files, these are the extra ones.
const VIEWS: Record<string, { bytes: number; view: (b: ArrayBuffer) => ArrayData }> = {
  float32: { bytes: 4, view: (b) => new Float32Array(b) },
  int64: { bytes: 8, view: (b) => new BigInt64Array(b) },
};

function readSizeArray(dir: string, entry: ArrayEntry): NamedArray {
  const kind = VIEWS[entry.dtype];
  if (!kind) throw new Error(`${dir}/${entry.file}: dtype ${entry.dtype} is not read by dynamic.test.ts`);
  const bytes = new Uint8Array(readFileSync(join(dir, entry.file)));
  const expected = entry.shape.reduce((n, d) => n * d, 1) * kind.bytes;
  if (bytes.byteLength !== expected) throw new Error(`${dir}/${entry.file}: ${bytes.byteLength} bytes, want ${expected}`);
  return { dtype: entry.dtype, shape: [...entry.shape], data: kind.view(bytes.buffer) };
}

function loadDynamicCase(dir: string): DynamicCase {
  const json = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as { dynamic?: DynamicJson };
  if (!json.dynamic) throw new Error(`${dir}/case.json: missing field 'dynamic'`);
  const { convert_args: convertArgs, sizes, output_dims: outputDims } = json.dynamic;
  return {
    ...loadCase(dir),
    convertArgs,
    outputDims,
    sizes: sizes.map((size) => ({
      dims: size.dims,
      inputs: size.inputs.map((entry) => ({ index: entry.index, ...readSizeArray(dir, entry) })),
      outputs: size.outputs.map((entry) => readSizeArray(dir, entry)),
    })),
  };
}

/** `float32[batch,3,16,16]` → ['batch', 3, 16, 16]. */
function specDims(spec: string): Array<number | string> {
  const match = /^\w+\[([\w,]*)\]$/.exec(spec);
  if (!match) throw new Error(`not a tensor spec: ${spec}`);
  return match[1].split(',').map((d) => (/^\d+$/.test(d) ? Number(d) : d));
}

const describeDims = (dims: Record<string, number>): string =>
  Object.entries(dims).map(([name, value]) => `${name}=${value}`).join(' ');

interface Converted {
  out: string;
  report: ConvertReport;
}

async function convertCase(c: DynamicCase, tag: string, options: ConvertOptions): Promise<Converted> {
  const out = tempPath(`${c.name}-${c.torch}-${tag}.onnx`);
  return { out, report: await convert(join(c.dir, 'model.pt'), out, options) };
}

/** Converts once per (case, options), however many tests ask for it. */
function converter(c: DynamicCase, tag: string, options: ConvertOptions): () => Promise<Converted> {
  let pending: Promise<Converted> | undefined;
  return () => (pending ??= convertCase(c, tag, options));
}

function expectSymbolicShapes(report: ConvertReport, c: DynamicCase, inputDims: Array<Array<number | string>>): void {
  expect(report.inputs.map((i) => i.shape)).toEqual(inputDims);
  expect(report.outputs).toHaveLength(c.outputDims.length);
  c.outputDims.forEach((dims, i) => {
    const shape = report.outputs[i].shape;
    expect(shape, `output ${i} rank`).toHaveLength(dims.length);
    dims.forEach((want, axis) => {
      const got = shape[axis];
      if (want === null) expect(typeof got, `output ${i} axis ${axis} (${String(got)}) is symbolic`).toBe('string');
      else expect(got, `output ${i} axis ${axis}`).toBe(want);
    });
  });
}

async function expectSizeParity(c: DynamicCase, { out, report }: Converted, size: SizeRun): Promise<void> {
  const got = await runOnnx(out, size.inputs, report.inputs.map((i) => i.name));
  compareAll(got, size.outputs, c.tolerance);
}

const cases = listCases(join(fixturesRoot, 'dynamic')).map(loadDynamicCase);

/**
 * Cases whose code branches on a dynamic size (`if x.size(1) > 6`): that branch is the graph's one If.
 * Every other branch (rank checks, shape assertions, module flags) is decided at conversion time.
 */
const BRANCHES_ON_SIZE = new Set(['shape_dependent_script']);

describe('dynamic axes', () => {
  it('has cases from both PyTorch versions', () => {
    expect(cases.length).toBeGreaterThanOrEqual(24);
    expect(new Set(cases.map((c) => c.torch.split('.').slice(0, 2).join('.')))).toEqual(new Set(['1.13', '2.6']));
  });

  for (const c of cases) {
    describe(`${c.name} (${c.torch}, ${c.mode})`, () => {
      const opsets = [...new Set(c.opsets)];
      for (const opset of opsets) {
        const converted = converter(c, `spec-${opset}`, { inputs: c.convertArgs, opsetVersion: opset });
        it(`opset ${opset}: ${c.convertArgs.join(' ')} keeps the named dims symbolic`, async () => {
          const { report } = await converted();
          expectSymbolicShapes(report, c, c.convertArgs.map(specDims));
          expect(report.nodes.If).toBe(BRANCHES_ON_SIZE.has(c.name) ? 1 : undefined);
          expect(report.nodes.Loop).toBeUndefined();
        });
        for (const size of c.sizes) {
          it(`opset ${opset}: ${describeDims(size.dims)} matches PyTorch`, async () => {
            await expectSizeParity(c, await converted(), size);
          });
        }
      }
    });
  }
});

/** The same dims named through dynamic_axes in torch's two forms, on the example's static specs. */
describe('dynamic axes given as dynamic_axes', () => {
  for (const c of cases.filter((x) => ['small_cnn', 'lstm', 'tiny_decoder_lm'].includes(x.name))) {
    const bySpec = converter(c, 'by-spec', { inputs: c.convertArgs });
    const specShape = specDims(c.convertArgs[0]);
    const axes = specShape.flatMap((d, axis): Array<[number, string]> => (typeof d === 'string' ? [[axis, d]] : []));

    it(`${c.name} (${c.torch}): {x: {axis: name}} names dims as the spec does`, async () => {
      const { report } = await bySpec();
      const name = report.inputs[0].name;
      const mapped = await convertCase(c, 'axes-dict', {
        inputs: c.args, dynamicAxes: { [name]: Object.fromEntries(axes.map(([axis, dim]) => [String(axis), dim])) },
      });
      expect(mapped.report.inputs).toEqual(report.inputs);
      expect(mapped.report.outputs).toEqual(report.outputs);
      for (const size of c.sizes) await expectSizeParity(c, mapped, size);
    });

    it(`${c.name} (${c.torch}): {x: [axes]} names dims <x>_dynamic_axes_<i>`, async () => {
      const name = (await bySpec()).report.inputs[0].name;
      const listed = await convertCase(c, 'axes-list', { inputs: c.args, dynamicAxes: { [name]: axes.map(([axis]) => axis) } });
      const want = specShape.map((d) => (typeof d === 'string' ? `${name}_dynamic_axes_${axes.findIndex(([, dim]) => dim === d) + 1}` : d));
      expect(listed.report.inputs[0].shape).toEqual(want);
      for (const size of c.sizes) await expectSizeParity(c, listed, size);
    });
  }
});
