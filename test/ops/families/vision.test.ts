/**
 * torchvision::roi_pool's argmax: ONNX MaxRoiPool has none, so the pooled values convert (their parity
 * is in the op table, vision_roi_pool) while code that reads the argmax fails naming it. The
 * position-sensitive ops' shape rules and opsets, and deform_conv2d's checks and its two forms (values
 * in the op table: vision_ps_roi_align, vision_ps_roi_pool, vision_deform_conv*).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convert } from '../../../src/index.js';
import { moduleArchive, tempDir } from '../../archive/helpers.js';

function roiPoolArchive(returned: '_0' | '_1'): string {
  return moduleArchive('x: Tensor, rois: Tensor) -> Tensor', ['_0, _1 = ops.torchvision.roi_pool(x, rois, 0.5, 2, 2)', `return ${returned}`]);
}

describe('torchvision::roi_pool', () => {
  const inputs = ['float32[1,3,8,8]', 'float32[4,5]'];

  it('converts when only the pooled values are read', async () => {
    const path = roiPoolArchive('_0');
    const report = await convert(path, join(tempDir(), 'm.onnx'), { inputs });
    expect(report.nodes).toEqual({ MaxRoiPool: 1 });
    expect(report.outputs).toEqual([{ name: 'output', dtype: 'float32', shape: [4, 3, 2, 2] }]);
  });

  it('fails, naming the argmax and where the code reads it, when the argmax is read', async () => {
    const path = roiPoolArchive('_1');
    await expect(convert(path, join(tempDir(), 'm.onnx'), { inputs })).rejects.toMatchObject({
      code: 'OP_UNSUPPORTED',
      message: 'torchvision::roi_pool: its argmax output is read, and ONNX MaxRoiPool has none',
      location: { file: 'code/__torch__.py', line: 6 },
    });
  });
});

describe('torchvision::ps_roi_align and ps_roi_pool', () => {
  function psArchive(op: string, args: string, returned: string): string {
    return moduleArchive('x: Tensor, rois: Tensor) -> Tensor', [`_0, _1 = ops.torchvision.${op}(x, rois, ${args})`, `return ${returned}`]);
  }

  it('give C / (ph * pw) channels, and write the channel mapping only when it is read', async () => {
    const values = await convert(psArchive('ps_roi_pool', '0.5, 2, 3', '_0'), join(tempDir(), 'm.onnx'), { inputs: ['float32[1,12,8,8]', 'float32[n,5]'], opsetVersion: 9 });
    expect(values.outputs).toEqual([{ name: 'output', dtype: 'float32', shape: ['n', 2, 2, 3] }]);
    expect(values.nodes.Expand).toBeUndefined();
    const mapping = await convert(psArchive('ps_roi_align', '0.5, 2, 3, -1', '_1'), join(tempDir(), 'm.onnx'), { inputs: ['float32[1,12,8,8]', 'float32[4,5]'], opsetVersion: 16 });
    expect(mapping.outputs).toEqual([{ name: 'output', dtype: 'int32', shape: [4, 2, 2, 3] }]);
  });

  it('ps_roi_pool refuses what its kernel refuses: float16', async () => {
    await expect(convert(psArchive('ps_roi_pool', '0.5, 2, 2', '_0'), join(tempDir(), 'm.onnx'), { inputs: ['float16[1,8,8,8]', 'float16[4,5]'] })).rejects.toMatchObject({
      code: 'TRACE_TYPE',
      message: expect.stringContaining('torchvision::ps_roi_pool: input must be float32 or float64, got float16'),
    });
  });

  it('refuse channels that do not split into the bins', async () => {
    await expect(convert(psArchive('ps_roi_pool', '0.5, 2, 3', '_0'), join(tempDir(), 'm.onnx'), { inputs: ['float32[1,8,8,8]', 'float32[4,5]'] })).rejects.toMatchObject({
      code: 'TRACE_TYPE',
      message: expect.stringContaining('torchvision::ps_roi_pool: input channels must be a multiple of pooling height * pooling width, got 8 channels for 2x3 bins'),
    });
  });

  it("ps_roi_align needs RoiAlign's half_pixel mode, from opset 16", async () => {
    await expect(convert(psArchive('ps_roi_align', '0.5, 2, 2, 2', '_0'), join(tempDir(), 'm.onnx'), { inputs: ['float32[1,8,8,8]', 'float32[4,5]'], opsetVersion: 15 })).rejects.toMatchObject({
      code: 'OP_OPSET',
    });
  });
});

describe('torchvision::deform_conv2d', () => {
  const archive = (): string =>
    moduleArchive('x: Tensor, weight: Tensor, offset: Tensor, mask: Tensor, bias: Tensor) -> Tensor', [
      'return ops.torchvision.deform_conv2d(x, weight, offset, mask, bias, 1, 2, 1, 0, 1, 1, 2, 2, True)',
    ]);
  // 4 channels in 2 groups, a 3x2 kernel, stride (1, 2), pads (1, 0): a 6x5 input gives 6x2 outputs.
  const inputs = ['float32[n,4,6,5]', 'float32[6,2,3,2]', 'float32[n,24,6,2]', 'float32[n,12,6,2]', 'float32[6]'];

  it('is ONNX DeformConv from opset 19 and a gathered im2col product from 11', async () => {
    const native = await convert(archive(), join(tempDir(), 'm.onnx'), { inputs, opsetVersion: 19 });
    expect(native.nodes).toEqual({ DeformConv: 1 });
    expect(native.outputs).toEqual([{ name: 'output', dtype: 'float32', shape: ['n', 6, 6, 2] }]);
    const decomposed = await convert(archive(), join(tempDir(), 'm.onnx'), { inputs, opsetVersion: 11 });
    expect(decomposed.nodes).toMatchObject({ GatherElements: 4, MatMul: 1 });
    expect(decomposed.nodes.DeformConv).toBeUndefined();
    await expect(convert(archive(), join(tempDir(), 'm.onnx'), { inputs, opsetVersion: 10 })).rejects.toMatchObject({ code: 'OP_OPSET' });
  });

  it('refuses offsets whose shape does not match the kernel, groups and output size', async () => {
    const wrong = [...inputs];
    wrong[2] = 'float32[n,24,6,3]';
    await expect(convert(archive(), join(tempDir(), 'm.onnx'), { inputs: wrong })).rejects.toMatchObject({
      code: 'TRACE_TYPE',
      message: expect.stringContaining('torchvision::deform_conv2d'),
    });
  });
});
