import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  compareAll, corpusAvailable, corpusRoot, expectClose, fixturesRoot, listCases, loadCase, runOnnx, toNumbers,
  type NamedArray,
} from './cases.js';

const op = (name: string) => loadCase(join(fixturesRoot, 'ops', name, 'torch113'));
const model = (name: string, torch = 'torch113') => loadCase(join(fixturesRoot, 'models', name, torch));
const f32 = (shape: number[], values: number[]): NamedArray => ({ dtype: 'float32', shape, data: new Float32Array(values) });

describe('loadCase on the project fixtures', () => {
  it('reads case.json and the input PyTorch wrote', () => {
    const conv = op('conv2d');
    expect(conv.name).toBe('conv2d');
    expect(conv.torch).toMatch(/^1\.13\./);
    expect(conv.mode).toBe('trace');
    expect(conv.args).toEqual(['float32[1,3,8,8]']);
    expect(conv.opsets).toEqual([9, 21]);
    expect(conv.inputs).toHaveLength(1);
    expect(conv.inputs[0].index).toBe(0);
    expect(conv.inputs[0].shape).toEqual([1, 3, 8, 8]);
    expect(toNumbers(conv.inputs[0]).slice(0, 4)).toEqual(
      [0.7362237572669983, -1.0580263137817383, 0.2698330283164978, -0.23652876913547516]);
    expect(conv.checksum).toBeCloseTo(-13.401092527899891, 10);
    expect(conv.outputs[0]).toMatchObject({ dtype: 'float32', shape: [1, 8, 6, 6] });
  });

  it('reads outputs that are the op applied to the inputs', () => {
    const relu = op('relu');
    const x = relu.inputs[0];
    expectClose(relu.outputs[0], f32(x.shape, toNumbers(x).map((v) => Math.max(v, 0))));

    const scalar = op('binary_scalar'); // (x + 1, x - 2.5, x * 3, x / 4, 1 - x)
    const values = toNumbers(scalar.inputs[0]);
    expect(scalar.outputs).toHaveLength(5);
    expect(toNumbers(scalar.outputs[2])).toEqual(values.map((v) => Math.fround(v * 3)));
    expect(toNumbers(scalar.outputs[4])).toEqual(values.map((v) => Math.fround(1 - v)));
  });

  it('reads int64 inputs as BigInt64Array and bool outputs as 0/1 bytes', () => {
    const embedding = op('embedding');
    expect(embedding.inputs[0].data).toBeInstanceOf(BigInt64Array);
    expect(Array.from(embedding.inputs[0].data as BigInt64Array).slice(0, 4)).toEqual([1n, 4n, 0n, 4n]);
    expect(embedding.checksum).toBe(20);
    expect(embedding.outputs[0]).toMatchObject({ dtype: 'float32', shape: [2, 3, 4] });

    const where = op('compare_where'); // (x > 0, torch.where(x > 0, x, x * 0.1))
    const mask = where.outputs[0];
    expect(mask.dtype).toBe('bool');
    expect(mask.data).toBeInstanceOf(Uint8Array);
    expect(Array.from(mask.data as Uint8Array)).toEqual(toNumbers(where.inputs[0]).map((v) => (v > 0 ? 1 : 0)));
  });

  it('keeps non-tensor arguments in args and dict keys as output names', () => {
    const scalars = op('script_scalar_args'); // forward(x, alpha: float, repeat: int) = cat([x * alpha] * repeat, 1)
    expect(scalars.mode).toBe('script');
    expect(scalars.args).toEqual(['float32[2,3]', '1.5', '2']);
    expect(scalars.inputs.map((i) => i.index)).toEqual([0]);
    expect(scalars.outputs[0].shape).toEqual([2, 6]);
    const x = toNumbers(scalars.inputs[0]);
    expect(toNumbers(scalars.outputs[0]).slice(0, 6)).toEqual([...x.slice(0, 3), ...x.slice(0, 3)].map((v) => Math.fround(v * 1.5)));

    const dict = op('script_dict_output'); // {'positive': relu(x), 'total': x.sum(1)}
    expect(dict.outputNames).toEqual(['positive', 'total']);
    expect(dict.outputs.map((o) => o.name)).toEqual(['positive', 'total']);
    expect(dict.outputs[1].shape).toEqual([2]);
  });

  it('reads per-case opsets', () => {
    expect(op('cat_slices').opsets).toEqual([10, 21]);
    expect(op('relu').opsets).toEqual([9, 21]);
  });

  it('decodes every fixture input exactly as Python summed it', () => {
    const ops = listCases(join(fixturesRoot, 'ops'));
    expect(ops.length).toBeGreaterThan(60);
    expect(ops).toEqual([...ops].sort());
    const dirs = [...ops, ...listCases(join(fixturesRoot, 'models'))];
    for (const dir of dirs) {
      const c = loadCase(dir);
      const sum = c.inputs.reduce((s, input) => s + toNumbers(input).reduce((a, b) => a + b, 0), 0);
      expect(sum, dir).toBeCloseTo(c.checksum!, 6);
    }
  });
});

describe('expectClose', () => {
  const want = f32([2, 3], [1, -2, 3, 4, 5, -6]);

  it('accepts equal arrays and differences inside 1e-4 + 1e-3 * max|want|', () => {
    expectClose(want, want);
    expectClose(f32([2, 3], [1, -2, 3, 4, 5.006, -6]), want); // bound is 1e-4 + 6e-3
  });

  it('rejects a perturbed value with its index and values', () => {
    expect(() => expectClose(f32([2, 3], [1, -2, 3, 4, 5.01, -6]), want)).toThrow(
      /1 of 6 values outside 6\.10e-3; max \|got - want\| = 0\.0100\d* at \[1,1\] \(flat 4\): got 5\.01\d*, want 5/,
    );
  });

  it('uses an explicit tolerance instead of the default', () => {
    expectClose(f32([2, 3], [1, -2, 3, 4, 5.5, -6]), want, 0.6);
    expect(() => expectClose(f32([2, 3], [1, -2, 3, 4, 5.001, -6]), want, 1e-4)).toThrow(/outside 1\.00e-4/);
  });

  it('rejects shape and dtype differences and NaN against a number', () => {
    expect(() => expectClose(f32([3, 2], [1, -2, 3, 4, 5, -6]), want)).toThrow('got float32[3,2], want float32[2,3]');
    expect(() => expectClose({ ...want, dtype: 'float64', data: new Float64Array(toNumbers(want)) }, want)).toThrow(/got float64/);
    expect(() => expectClose(f32([2, 3], [1, -2, 3, NaN, 5, -6]), want)).toThrow(/at \[1,0\]/);
    expectClose(f32([1], [NaN]), f32([1], [NaN]));
  });

  it('compares integers and booleans exactly', () => {
    const ints: NamedArray = { dtype: 'int64', shape: [3], data: new BigInt64Array([1n, 2n, 3n]) };
    expectClose({ ...ints, data: new BigInt64Array([1n, 2n, 3n]) }, ints);
    expect(() => expectClose({ ...ints, data: new BigInt64Array([1n, 2n, 4n]) }, ints)).toThrow(
      'int64[3]: 1 of 3 values differ; first at [2] (flat 2): got 4, want 3',
    );
    const mask: NamedArray = { dtype: 'bool', shape: [2], data: new Uint8Array([1, 0]) };
    expect(() => expectClose({ ...mask, data: new Uint8Array([1, 1]) }, mask)).toThrow(/1 of 2 values differ/);
  });

  it('decodes float16 and bfloat16 bit patterns', () => {
    // 0x3c00 = 1.0, 0xc000 = -2.0 in float16; 0x3f80 = 1.0, 0x4040 = 3.0 in bfloat16.
    expect(toNumbers({ dtype: 'float16', shape: [2], data: new Uint16Array([0x3c00, 0xc000]) })).toEqual([1, -2]);
    expect(toNumbers({ dtype: 'bfloat16', shape: [2], data: new Uint16Array([0x3f80, 0x4040]) })).toEqual([1, 3]);
  });

  it('compareAll names every output that differs', () => {
    const outputs = op('chunk').outputs;
    compareAll(outputs, outputs);
    const perturbed = outputs.map((o) => ({ ...o, data: (o.data as Float32Array).map((v) => v + 1) }));
    expect(() => compareAll(perturbed, outputs)).toThrow(/^output 0: .*\noutput 1: /s);
    expect(() => compareAll(outputs.slice(1), outputs)).toThrow(/got 1 outputs .* want 2/);
  });
});

describe('runOnnx', () => {
  it.each(['torch113', 'torch26'])('runs torch.onnx.export output of %s fixtures and matches the archive outputs', async (torch) => {
    const cnn = model('small_cnn', torch);
    compareAll(await runOnnx(join(cnn.dir, 'torch_export.pb'), cnn.inputs), cnn.outputs);

    const mlp = model('mlp_scripted', torch);
    const got = await runOnnx(join(mlp.dir, 'torch_export.pb'), mlp.inputs);
    expect(got[0]).toMatchObject({ dtype: 'float32', shape: [2, 10] });
    compareAll(got, mlp.outputs);
  });

  it('skips inputs the model does not have, by name or past its input count', async () => {
    const cnn = model('small_cnn');
    const unused = f32([1], [0]);
    const onnx = join(cnn.dir, 'torch_export.pb');
    const got = await runOnnx(onnx, [unused, cnn.inputs[0]], ['unused', 'x']);
    compareAll(got, cnn.outputs);
    compareAll(await runOnnx(onnx, [cnn.inputs[0], unused]), cnn.outputs);
    await expect(runOnnx(onnx, [])).rejects.toThrow('runOnnx: the model takes 1 input(s) (x) but 0 were given');
  });
});

describe.skipIf(!corpusAvailable())('loadCase on the real-world corpus', () => {
  it('reads a corpus case', () => {
    const dirs = listCases(corpusRoot);
    expect(dirs).toContain(join(corpusRoot, 'rw_tchrs_foo1'));
    const foo1 = loadCase(join(corpusRoot, 'rw_tchrs_foo1'));
    expect(foo1.mode).toBe('archive');
    expect(foo1.args).toEqual(['float32[3]', 'float32[3]']);
    expect(foo1.inputs.map((i) => [i.index, i.shape])).toEqual([[0, [3]], [1, [3]]]);
    expect(foo1.opsets).toEqual([9, 21]);
    expect(foo1.outputs[0].data).toBeInstanceOf(Float32Array);
  });

  it('reads a corpus case with a non-tensor argument', () => {
    const silero = loadCase(join(corpusRoot, 'rw_silero_v3_1'));
    expect(silero.args).toEqual(['float32[1,1536]', '16000']);
    expect(silero.inputs).toHaveLength(1);
    expect(silero.inputs[0].data).toHaveLength(1536);
    expect(silero.outputs[0].shape).toEqual([1]);
  });
});
