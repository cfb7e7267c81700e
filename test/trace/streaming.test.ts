/**
 * Streaming models (scripts/fixtures/state_cases.py): each case's PyTorch module was called 10 times
 * in a row; converted with liftState, the ONNX model called 10 times, fed the initial state its
 * metadata records and then each call's state outputs, gives the same outputs, at opsets 11 and 17.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { convert } from '../../src/index.js';
import { float16Bits } from '../../src/archive/half.js';
import { formatInspectReport, initialState, inspectFile, inspectModel } from '../../src/inspect.js';
import { compareAll, fixturesRoot, toNumbers, type ArrayData, type NamedArray } from '../helpers/cases.js';
import { tempPath } from '../helpers/convert-case.js';
import { maxDifference, runStream } from '../helpers/streaming.js';

interface ArrayEntry {
  dtype: string;
  shape: number[];
  file: string;
}

interface Sequence {
  args: string[];
  state: Array<ArrayEntry & { attribute: string }>;
  steps: Array<{ inputs: ArrayEntry[]; outputs: ArrayEntry[] }>;
}

interface StreamCase {
  name: string;
  torch: string;
  dir: string;
  opsets: number[];
  sequences: Sequence[];
}

const ARRAYS: Record<string, (b: ArrayBuffer) => ArrayData> = {
  float32: (b) => new Float32Array(b),
  float64: (b) => new Float64Array(b),
  int64: (b) => new BigInt64Array(b),
};

function read(dir: string, e: ArrayEntry): NamedArray {
  const view = ARRAYS[e.dtype];
  if (!view) throw new Error(`${dir}: ${e.dtype} arrays are not read by this test`);
  return { dtype: e.dtype, shape: e.shape, data: view(new Uint8Array(readFileSync(join(dir, e.file))).buffer) };
}

const root = join(fixturesRoot, 'state');
const cases: StreamCase[] = readdirSync(root).flatMap((name) =>
  readdirSync(join(root, name))
    .filter((torch) => existsSync(join(root, name, torch, 'case.json')))
    .map((torch) => {
      const dir = join(root, name, torch);
      return { ...(JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as Omit<StreamCase, 'dir'>), dir };
    }),
);

const measured: string[] = [];
afterAll(() => {
  if (measured.length) console.info(`streaming parity (max |onnx - torch| over 10 calls):\n${measured.join('\n')}`);
});

/** Converts with liftState (strict: no warning), returning the model's path. */
async function convertStream(c: StreamCase, args: string[], opset: number, dynamicBatch = false): Promise<string> {
  const out = tempPath(`${c.name}-${c.torch}-${opset}${dynamicBatch ? '-dyn' : ''}.onnx`);
  await convert(join(c.dir, 'model.pt'), out, { inputs: args, opsetVersion: opset, liftState: true, strict: true, ...(dynamicBatch ? { dynamicAxes: { x: { 0: 'batch' } } } : {}) });
  return out;
}

/** Checks 10 calls of the model against PyTorch's; returns the largest difference. */
async function expectStream(c: StreamCase, sequence: Sequence, model: string): Promise<number> {
  const calls = sequence.steps.map((s) => s.inputs.map((e) => read(c.dir, e)));
  const want = sequence.steps.map((s) => s.outputs.map((e) => read(c.dir, e)));
  const run = await runStream(model, calls, { batch: sequence.steps[0].inputs[0].shape[0] });
  run.outputs.forEach((got, i) => {
    try {
      compareAll(got, want[i]);
    } catch (error) {
      throw new Error(`call ${i + 1}: ${(error as Error).message}`);
    }
  });
  return maxDifference(run.outputs, want);
}

describe('streaming models: lifted state fed back for 10 calls', () => {
  it('finds the state cases of both PyTorch versions', () => {
    expect(cases.map((c) => `${c.name} ${c.torch.slice(0, 3)}`).sort()).toEqual([
      'batch_memory 1.1', 'batch_memory 2.6', 'gru_kws 1.1', 'gru_kws 2.6', 'lstm_policy 1.1', 'lstm_policy 2.6',
      'sliding_history 1.1', 'sliding_history 2.6', 'streaming_conv 1.1', 'streaming_conv 2.6',
    ]);
  });

  for (const c of cases) {
    for (const sequence of c.sequences) {
      for (const opset of c.opsets) {
        it(`${c.name} (${c.torch}) ${sequence.args.join(' ')} at opset ${opset}`, async () => {
          const diff = await expectStream(c, sequence, await convertStream(c, sequence.args, opset));
          measured.push(`  ${c.name} (${c.torch}) ${sequence.args.join(' ')} opset ${opset}: ${diff.toExponential(2)}`);
        });
      }
    }
  }

  for (const c of cases.filter((x) => x.name === 'batch_memory')) {
    it(`batch_memory (${c.torch}) with a dynamic batch: one model runs at batch 1 and 3, its state [batch,8]`, async () => {
      const model = await convertStream(c, c.sequences[1].args, 17, true);
      for (const sequence of c.sequences) {
        const diff = await expectStream(c, sequence, model);
        measured.push(`  batch_memory (${c.torch}) dynamic batch, run at ${sequence.args.join(' ')}: ${diff.toExponential(2)}`);
      }
      const { state } = await inspectModel(model);
      expect(state.map((s) => [s.name, s.dtype, s.shape, s.init])).toEqual([['memory', 'float32', ['batch', 8], 'zeros']]);
    });
  }
});

describe('what the metadata records of each state', () => {
  const byName = (name: string) => cases.find((c) => c.name === name && c.torch.startsWith('2.6')) as StreamCase;

  it('the LSTM policy: h and the action count start from their stored values, c from zeros (it stores zeros)', async () => {
    const c = byName('lstm_policy');
    const out = tempPath('lstm_policy-metadata.onnx');
    await convert(join(c.dir, 'model.pt'), out, { inputs: c.sequences[0].args, liftState: true });
    const { state, folded } = await inspectModel(out);
    expect(state.map((s) => [s.name, s.output, s.attribute, s.dtype, s.shape, s.init])).toEqual([
      ['h', 'h_out', 'h', 'float32', [1, 16], 'stored'],
      ['c', 'c_out', 'c', 'float32', [1, 16], 'zeros'],
      ['visits', 'visits_out', 'visits', 'float32', [4], 'stored'],
    ]);
    expect(folded).toEqual([]);
    const stored = read(c.dir, c.sequences[0].state[0]);
    expect(state[0].values).toEqual(toNumbers(stored));
    expect(state[2].values).toEqual([1, 1, 1, 1]);
    const text = formatInspectReport(await inspectFile(out));
    expect(text).toContain('  input     h: float32[1,16]\n');
    expect(text).toContain('\nstate (feed each output back as the next call\'s input)\n  h: float32[1,16]  from h_out, attribute h; first call: stored value (16 elements in the metadata)\n  c: float32[1,16]  from c_out, attribute c; first call: zeros\n');
  });

  it('the keyword spotter: a submodule tensor, a tensor list element by element, an int counter and a float', async () => {
    const c = byName('gru_kws');
    const out = tempPath('gru_kws-metadata.onnx');
    const report = await convert(join(c.dir, 'model.pt'), out, { inputs: c.sequences[0].args, liftState: true });
    expect(report.warnings).toEqual([]);
    const { state } = await inspectModel(out);
    expect(state.map((s) => [s.name, s.output, s.dtype, s.shape, s.init, s.values])).toEqual([
      ['encoder.hidden', 'encoder.hidden_out', 'float32', [1, 1, 16], 'zeros', undefined],
      ['step', 'step_out', 'int64', [], 'zeros', undefined],
      ['loudness', 'loudness_out', 'float64', [], 'stored', [0.5]],
      ['frames.0', 'frames.0_out', 'float32', [1, 16], 'zeros', undefined],
      ['frames.1', 'frames.1_out', 'float32', [1, 16], 'zeros', undefined],
      ['frames.2', 'frames.2_out', 'float32', [1, 16], 'zeros', undefined],
    ]);
  });

  it('a history whose length grows then stays: a dim of its own, and the stored empty window as the first value', async () => {
    const c = byName('sliding_history');
    const out = tempPath('sliding_history-metadata.onnx');
    await convert(join(c.dir, 'model.pt'), out, { inputs: c.sequences[0].args, liftState: true });
    const { state } = await inspectModel(out);
    expect(state.map((s) => [s.name, s.shape, s.init, s.initShape])).toEqual([['history', [1, 3, 'history_dim2'], 'zeros', [1, 3, 0]]]);
    expect(initialState(state[0]).dims).toEqual([1, 3, 0]);
    const zeros = tempPath('sliding_history-zeros.onnx');
    await convert(join(c.dir, 'model.pt'), zeros, { inputs: c.sequences[0].args, liftState: true, stateInit: 'zeros' });
    expect((await inspectModel(zeros)).state.map((s) => [s.init, s.initShape])).toEqual([['zeros', [1, 3, 0]]]);
  });

  it('without liftState, one STATE_NOT_KEPT warning per attribute forward() writes', async () => {
    const c = byName('gru_kws');
    const report = await convert(join(c.dir, 'model.pt'), tempPath('gru_kws-not-lifted.onnx'), { inputs: c.sequences[0].args });
    const kept = report.warnings.filter((w) => w.code === 'STATE_NOT_KEPT').map((w) => w.message.match(/module attribute (\S+);/)?.[1]);
    expect(kept.sort()).toEqual(['encoder.hidden', 'frames', 'loudness', 'step']);
    await expect(convert(join(c.dir, 'model.pt'), tempPath('gru_kws-strict.onnx'), { inputs: c.sequences[0].args, strict: true })).rejects.toMatchObject({ code: 'STRICT_WARNINGS' });
  });

  for (const fp16Io of [false, true]) {
    it(`with --fp16${fp16Io ? ' and --fp16-io' : ''}: the LSTM policy's state is ${fp16Io ? 'float16' : 'float32 at the boundary'}, h starts from its stored value, 10 calls within float16's tolerance`, async () => {
      const c = byName('lstm_policy');
      const [sequence] = c.sequences;
      const out = tempPath(`lstm_policy-fp16-${fp16Io}.onnx`);
      await convert(join(c.dir, 'model.pt'), out, { inputs: sequence.args, liftState: true, fp16: true, fp16Io });
      const dtype = fp16Io ? 'float16' : 'float32';
      const { state } = await inspectModel(out);
      expect(state.map((s) => [s.name, s.dtype, s.init])).toEqual([['h', dtype, 'stored'], ['c', dtype, 'zeros'], ['visits', dtype, 'stored']]);
      const asInput = (a: NamedArray): NamedArray => (fp16Io ? { ...a, dtype: 'float16', data: Uint16Array.from(toNumbers(a), float16Bits) } : a);
      const run = await runStream(out, sequence.steps.map((step) => step.inputs.map((e) => asInput(read(c.dir, e)))));
      run.outputs.forEach((outputs, i) =>
        outputs.forEach((got, j) => {
          const want = toNumbers(read(c.dir, sequence.steps[i].outputs[j]));
          const bound = 1e-3 + 2e-2 * Math.max(...want.map(Math.abs));
          const worst = Math.max(...toNumbers(got).map((g, k) => Math.abs(g - want[k])));
          if (!(worst <= bound)) throw new Error(`call ${i + 1}, output ${j}: max |got - want| ${worst} > ${bound}`);
        }),
      );
    });
  }

  it('--state-init: stored refuses a placeholder, zeros ignores stored values', async () => {
    const memory = byName('batch_memory');
    await expect(
      convert(join(memory.dir, 'model.pt'), tempPath('batch_memory-stored.onnx'), { inputs: memory.sequences[0].args, liftState: true, stateInit: 'stored' }),
    ).rejects.toMatchObject({ code: 'TRACE_UNSUPPORTED', message: expect.stringContaining('state memory is float32[1,8] from the second call on, but the archive stores float32[0,8]') });
    const policy = byName('lstm_policy');
    const out = tempPath('lstm_policy-zeros.onnx');
    await convert(join(policy.dir, 'model.pt'), out, { inputs: policy.sequences[0].args, liftState: true, stateInit: 'zeros' });
    expect((await inspectModel(out)).state.map((s) => s.init)).toEqual(['zeros', 'zeros', 'zeros']);
  });
});
