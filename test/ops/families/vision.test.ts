/**
 * torchvision::roi_pool's argmax: ONNX MaxRoiPool has none, so the pooled values convert (their parity
 * is in the op table, vision_roi_pool) while code that reads the argmax fails naming it.
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
