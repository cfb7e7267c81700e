/**
 * Type rules refuse at trace time what PyTorch itself refuses: each refused case converts a real
 * fixture archive with input specs that make the same archive raise in PyTorch 1.13 (checked by
 * running it), and the mixed cases PyTorch accepts still convert. Cases no fixture can be given
 * (a stack of two inputs, a float64 conv bias) check the shape rule alone. The command-line case
 * needs `npm run build` first, like test/cli.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convert, TsonnxError } from '../../src/index.js';
import { fixturesRoot, projectRoot, runOnnx } from '../helpers/cases.js';
import { tempPath } from '../helpers/convert-case.js';
import { codeOf, infer, tensorValue, type Call } from './harness.js';

function archive(name: string): string {
  return join(fixturesRoot, 'ops', name, 'torch113', 'model.pt');
}

async function conversionError(name: string, inputs: string[]): Promise<TsonnxError> {
  const error = await convert(archive(name), tempPath(`${name}.onnx`), { inputs }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TsonnxError);
  return error as TsonnxError;
}

interface Refused {
  fixture: string;
  inputs: string[];
  op: string;
  /** What the message must say besides the op: the offending dtypes, ranks or sizes. */
  says: RegExp;
}

const refused: Refused[] = [
  { fixture: 'conv2d', inputs: ['int64[1,3,8,8]'], op: 'aten::_convolution', says: /input type \(int64\) and weight type \(float32\) should be the same/ },
  { fixture: 'conv2d_script', inputs: ['float64[1,3,8,8]'], op: 'aten::conv2d', says: /input type \(float64\) and weight type \(float32\)/ },
  { fixture: 'conv2d', inputs: ['float32[1,1,3,8,8]'], op: 'aten::_convolution', says: /expected 4-dimensional input .* got 5-dimensional/ },
  { fixture: 'conv2d', inputs: ['float32[3,8,8]'], op: 'aten::_convolution', says: /expected 4-dimensional input .* got 3-dimensional/ },
  { fixture: 'conv_transpose2d', inputs: ['int64[1,4,4,4]'], op: 'aten::_convolution', says: /\(int64\) and weight type \(float32\)/ },
  { fixture: 'conv_transpose2d_script', inputs: ['float64[1,4,4,4]'], op: 'aten::conv_transpose2d', says: /\(float64\) and weight type \(float32\)/ },
  { fixture: 'linear', inputs: ['int64[2,16]'], op: 'aten::linear', says: /input type \(int64\) and weight type \(float32\)/ },
  { fixture: 'linear_script', inputs: ['float64[2,16]'], op: 'aten::linear', says: /input type \(float64\) and weight type \(float32\)/ },
  { fixture: 'linear', inputs: ['float32[2,5]'], op: 'aten::linear', says: /inner dimensions 5 and 16/ },
  { fixture: 'matmul', inputs: ['float32[2,3,4]', 'float64[2,4,5]'], op: 'aten::matmul', says: /self type \(float32\) and other type \(float64\)/ },
  { fixture: 'matmul', inputs: ['float32[]', 'float32[2,4,5]'], op: 'aten::matmul', says: /at least one dimension/ },
  { fixture: 'mm_bmm', inputs: ['float32[3,4]', 'int64[4,5]', 'float32[2,3,4]'], op: 'aten::mm', says: /self type \(float32\) and mat2 type \(int64\)/ },
  { fixture: 'addmm', inputs: ['float64[5]', 'float32[3,4]', 'float32[4,5]'], op: 'aten::addmm', says: /mat1 type \(float32\) and self type \(float64\)/ },
  { fixture: 'baddbmm', inputs: ['float32[2,3,5]', 'float32[2,3,4]', 'float64[2,4,5]'], op: 'aten::baddbmm', says: /batch1 type \(float32\) and batch2 type \(float64\)/ },
  { fixture: 'einsum', inputs: ['float32[2,3,4]', 'float64[2,5,4]'], op: 'aten::einsum', says: /operand 0 type \(float32\) and operand 1 type \(float64\)/ },
  { fixture: 'batch_norm', inputs: ['float64[1,3,8,8]'], op: 'aten::batch_norm', says: /input type \(float64\) and \w+ type \(float32\)/ },
  { fixture: 'batch_norm', inputs: ['int64[1,3,8,8]'], op: 'aten::batch_norm', says: /not implemented for 'int64' input/ },
  { fixture: 'layer_norm', inputs: ['float64[2,3,16]'], op: 'aten::layer_norm', says: /input type \(float64\) and weight type \(float32\)/ },
  { fixture: 'layer_norm_script', inputs: ['int64[2,3,16]'], op: 'aten::layer_norm', says: /not implemented for 'int64' input/ },
  { fixture: 'group_norm', inputs: ['float64[2,4,5,5]'], op: 'aten::group_norm', says: /input type \(float64\) and weight type \(float32\)/ },
  { fixture: 'lstm', inputs: ['float32[3,2,6]'], op: 'aten::lstm', says: /weight_ih has shape \[20, 4\], expected \[20, 6\]/ },
  { fixture: 'gru_bidir_batch_first', inputs: ['float32[2,5,4]', 'float32[2,3,3]'], op: 'aten::gru', says: /hx has shape \[2, 3, 3\], expected \[2, 2, 3\]/ },
  { fixture: 'lstm_cell', inputs: ['float32[2,3,4]', 'float32[3,6]', 'float32[3,6]'], op: 'aten::lstm_cell', says: /hx has shape \[3, 6\], expected \[3, 5\]/ },
  { fixture: 'cat', inputs: ['float32[1,3,8,8]', 'float32[1,2,8,9]'], op: 'aten::cat', says: /except in dimension 1\. Expected size 8 but got size 9/ },
  { fixture: 'cat', inputs: ['float32[1,3,8,8]', 'float32[1,2,8]'], op: 'aten::cat', says: /same number of dimensions: got 4 and 3/ },
  { fixture: 'where_masked_fill', inputs: ['float32[2,5]', 'int64[2,5]'], op: 'aten::where', says: /condition must be bool or uint8, got int64/ },
  { fixture: 'index_gather_scatter', inputs: ['float32[3,4]', 'float32[3,2]', 'int64[2,2]'], op: 'aten::index_select', says: /index must be int64 or int32, got float32/ },
  { fixture: 'index_gather_scatter', inputs: ['float32[3,4]', 'int32[3,2]', 'int64[2,2]'], op: 'aten::gather', says: /index must be int64, got int32/ },
  { fixture: 'index_gather_scatter', inputs: ['float32[3,4]', 'int64[3,2]', 'int16[2,2]'], op: 'aten::embedding', says: /indices must be int64 or int32, got int16/ },
  { fixture: 'index_gather_scatter', inputs: ['float64[3,4]', 'int64[3,2]', 'int64[2,2]'], op: 'aten::scatter', says: /self type \(float32\) and src type \(float64\)/ },
  { fixture: 'embedding', inputs: ['float32[2,3]'], op: 'aten::embedding', says: /indices must be int64 or int32, got float32/ },
  { fixture: 'index_advanced', inputs: ['float32[3,4,5]', 'float32[2,2]', 'bool[3,4]'], op: 'aten::index', says: /indices must be int64, int32, bool or uint8, got float32/ },
  { fixture: 'index_advanced', inputs: ['float32[3,4,5]', 'int64[2,2]', 'bool[3,5]'], op: 'aten::index', says: /mask \[3, 5\] at index 1 does not match/ },
  { fixture: 'index_put', inputs: ['float32[4,3]', 'int64[2]', 'bool[4,3]', 'float64[2,3]'], op: 'aten::index_put', says: /self type \(float32\) and values type \(float64\)/ },
  { fixture: 'cov_nonzero_one_hot_opset9', inputs: ['float32[3,4]', 'int32[3]'], op: 'aten::one_hot', says: /self must be int64, got int32/ },
  { fixture: 'max_pool2d', inputs: ['float32[8,8]'], op: 'aten::max_pool2d', says: /expected a 3-D or 4-D input, got 2-D/ },
];

describe('inputs PyTorch refuses are refused at trace time, naming the op and where the model calls it', () => {
  for (const c of refused) {
    it(`${c.fixture} with ${c.inputs.join(', ')}: ${c.op}`, async () => {
      const e = await conversionError(c.fixture, c.inputs);
      expect(e.code).toBe('TRACE_TYPE');
      expect(e.message.startsWith(`${c.op}: `)).toBe(true);
      expect(e.message).toMatch(c.says);
      expect(e.message).not.toContain('\n');
      expect(e.location?.file).toMatch(/^code\/__torch__(\/.*)?\.py$/);
      expect(e.location?.line).toBeGreaterThan(0);
    });
  }
});

describe('mixed inputs PyTorch accepts still convert', () => {
  const accepted: Array<{ fixture: string; inputs: string[]; why: string; output: string }> = [
    { fixture: 'cat', inputs: ['float32[1,3,8,8]', 'int64[1,2,8,8]'], why: 'cat promotes int64 to float32', output: 'float32' },
    { fixture: 'where_masked_fill', inputs: ['float64[2,5]', 'bool[2,5]'], why: 'where promotes its branches', output: 'float64' },
    { fixture: 'index_gather_scatter', inputs: ['float32[3,4]', 'int64[3,2]', 'int32[2,2]'], why: 'embedding takes int32 indices', output: 'float32' },
    { fixture: 'embedding', inputs: ['int32[2,3]'], why: 'embedding takes int32 indices', output: 'float32' },
    { fixture: 'index_advanced', inputs: ['float32[3,4,5]', 'int64[2,2]', 'uint8[3,4]'], why: 'a uint8 mask indexes like a bool one', output: 'float32' },
    { fixture: 'index_advanced', inputs: ['float32[3,4,5]', 'int32[2,2]', 'bool[3,4]'], why: 'torch 2 indexes with int32 tensors', output: 'float32' },
    { fixture: 'conv2d_script', inputs: ['float32[3,8,8]'], why: 'conv2d adds the batch dim of an unbatched input', output: 'float32' },
    { fixture: 'baddbmm', inputs: ['int64[2,3,5]', 'float32[2,3,4]', 'float32[2,4,5]'], why: 'baddbmm casts self to the product dtype', output: 'float32' },
  ];
  for (const c of accepted) {
    it(`${c.fixture} with ${c.inputs.join(', ')} (${c.why})`, async () => {
      const out = tempPath(`${c.fixture}-accepted.onnx`);
      const report = await convert(archive(c.fixture), out, { inputs: c.inputs });
      expect(report.outputs[0].dtype).toBe(c.output);
    });
  }

  it('baddbmm with an int64 self runs in onnxruntime and matches torch (self cast to float32)', async () => {
    const out = tempPath('baddbmm-int-self.onnx');
    await convert(archive('baddbmm'), out, { inputs: ['int64[1,1,1]', 'float32[1,1,1]', 'float32[1,1,1]'] });
    const [y] = await runOnnx(out, [
      { dtype: 'int64', shape: [1, 1, 1], data: new BigInt64Array([3n]) },
      { dtype: 'float32', shape: [1, 1, 1], data: new Float32Array([2]) },
      { dtype: 'float32', shape: [1, 1, 1], data: new Float32Array([5]) },
    ]);
    // torch.baddbmm(s, x, y, beta=0.5, alpha=2.0): 0.5·3 + 2·(2·5)
    expect(y.dtype).toBe('float32');
    expect(Array.from(y.data as Float32Array)).toEqual([21.5]);
  });
});

describe('the command line', () => {
  it('refuses int64 images for a float32 conv model: exit 1, one line naming aten::_convolution and both dtypes, no output', () => {
    const out = tempPath('small-cnn-int64.onnx');
    const model = join(fixturesRoot, 'models', 'small_cnn', 'torch113', 'model.pt');
    const r = spawnSync(process.execPath, [join(projectRoot, 'dist', 'cli.js'), model, out, '--input', 'int64[1,3,32,32]'], {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    expect(r.status).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^tsonnx: code\/__torch__\/.*\.py:\d+ \(.*\): TRACE_TYPE: aten::_convolution: input type \(int64\) and weight type \(float32\) should be the same$/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('shape rules on calls no fixture makes with the offending types', () => {
  const f32 = (...shape: number[]) => tensorValue('float32', shape);

  it('refuses what PyTorch refuses', () => {
    const refusedCalls: Array<[string, Call]> = [
      ['stack of [2, 3] and [2, 4]', { op: 'aten::stack', args: [[f32(2, 3), f32(2, 4)], 0] }],
      ['conv2d with a float64 bias', { op: 'aten::conv2d', args: [f32(1, 3, 8, 8), f32(8, 3, 3, 3), tensorValue('float64', [8])] }],
      ['gather with an index of another rank', { op: 'aten::gather', args: [f32(2, 3), 1, tensorValue('int64', [2])] }],
      ['index_select with a 2-D index', { op: 'aten::index_select', args: [f32(2, 3), 1, tensorValue('int64', [1, 2])] }],
      ['take with an int32 index', { op: 'aten::take', args: [f32(2, 3), tensorValue('int32', [2])] }],
      ['accumulating index_put of int64 values into float32', {
        op: 'aten::index_put',
        args: [f32(2, 3), [tensorValue('bool', [2, 3])], tensorValue('int64', []), true],
      }],
      ['instance_norm with float64 weights', {
        op: 'aten::instance_norm',
        args: [f32(2, 4, 5, 5), tensorValue('float64', [4]), f32(4), null, null, true, 0.1, 1e-5, false],
      }],
      ['batch_norm with running_mean of shape [1, 4]', {
        op: 'aten::batch_norm',
        args: [f32(2, 4, 5, 5), f32(4), f32(4), f32(1, 4), f32(4), false, 0.1, 1e-5, false],
      }],
      ['native multi-head attention with qkv_weight [1, 24, 8]', {
        op: 'aten::_native_multi_head_attention',
        args: [f32(2, 5, 8), f32(2, 5, 8), f32(2, 5, 8), 8, 2, f32(1, 24, 8), f32(24), f32(8, 8), f32(8)],
      }],
      ['encoder layer with ffn_weight_2 [16, 8] for ffn_weight_1 [16, 8]', {
        op: 'aten::_transformer_encoder_layer_fwd',
        args: [f32(2, 5, 8), 8, 2, f32(24, 8), f32(24), f32(8, 8), f32(8), false, false, 1e-5, f32(8), f32(8), f32(8), f32(8), f32(16, 8), f32(16), f32(16, 8), f32(8)],
      }],
    ];
    for (const [label, call] of refusedCalls) expect(codeOf(() => infer(call)), label).toBe('TRACE_TYPE');
    // The same calls with the shapes PyTorch wants are accepted.
    expect(infer({ op: 'aten::batch_norm', args: [f32(2, 4, 5, 5), f32(4), f32(4), f32(4), f32(4), false, 0.1, 1e-5, false] })).toHaveLength(1);
    expect(infer({ op: 'aten::_native_multi_head_attention', args: [f32(2, 5, 8), f32(2, 5, 8), f32(2, 5, 8), 8, 2, f32(24, 8), f32(24), f32(8, 8), f32(8)] })).toHaveLength(2);
    expect(infer({
      op: 'aten::_transformer_encoder_layer_fwd',
      args: [f32(2, 5, 8), 8, 2, f32(24, 8), f32(24), f32(8, 8), f32(8), false, false, 1e-5, f32(8), f32(8), f32(8), f32(8), f32(16, 8), f32(16), f32(8, 16), f32(8)],
    })).toHaveLength(1);
  });

  it('accepts what PyTorch accepts', () => {
    const acceptedCalls: Array<[string, Call]> = [
      ['matmul of int64 matrices', { op: 'aten::matmul', args: [tensorValue('int64', [2, 3]), tensorValue('int64', [3, 4])] }],
      ['where on a uint8 condition', { op: 'aten::where', overload: 'self', args: [tensorValue('uint8', [2, 3]), f32(2, 3), tensorValue('int64', [2, 3])] }],
      ['index_put through one mask of a single int64 value (masked_fill path)', {
        op: 'aten::index_put',
        args: [f32(2, 3), [tensorValue('bool', [2, 3])], tensorValue('int64', []), false],
      }],
      ['batch_norm of bfloat16 with float32 parameters', {
        op: 'aten::batch_norm',
        args: [tensorValue('bfloat16', [1, 3, 4, 4]), f32(3), f32(3), f32(3), f32(3), false, 0.1, 1e-5, false],
      }],
      ['conv_transpose2d on an unbatched input', { op: 'aten::conv_transpose2d', args: [f32(8, 4, 4), f32(8, 3, 3, 3)] }],
      ['cat of int8 and uint8', { op: 'aten::cat', args: [[tensorValue('int8', [2]), tensorValue('uint8', [2])], 0] }],
    ];
    for (const [label, call] of acceptedCalls) expect(codeOf(() => infer(call)), label).toBeUndefined();
    expect(infer({ op: 'aten::cat', args: [[tensorValue('int8', [2]), tensorValue('uint8', [2])], 0] })[0]).toMatchObject({ dtype: 'int16' });
  });
});
