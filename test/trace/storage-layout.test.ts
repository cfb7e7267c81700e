/**
 * as_strided reads its input's storage: the trace hands the op the value behind that storage, or refuses
 * when the storage layout cannot be known at conversion time (numbers from a guessed layout would be wrong).
 * Conversions that succeed are checked against PyTorch in the op table (cases as_strided, as_strided_view_write).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convert } from '../../src/index.js';
import { TsonnxError } from '../../src/errors.js';
import { moduleArchive, tempDir } from '../archive/helpers.js';

async function failure(body: string[], input = 'float32[3,4]'): Promise<TsonnxError> {
  const path = moduleArchive('x: Tensor) -> Tensor', body);
  try {
    await convert(path, join(tempDir(), 'm.onnx'), { inputs: [input] });
  } catch (error) {
    if (error instanceof TsonnxError) return error;
    throw error;
  }
  throw new Error('expected the conversion to fail');
}

describe('as_strided on storage', () => {
  it('refuses a result PyTorch lays out by its own strides (einsum returns permuted products)', async () => {
    const error = await failure(['y = torch.einsum("ij,jk->ki", [x, torch.t(x)])', 'return torch.as_strided(y, [2], [1])']);
    expect(error.code).toBe('TRACE_UNSUPPORTED');
    expect(error.message).toMatch(/as_strided reads its input's storage.*aten::einsum/);
  });

  it('refuses an op result computed from a non-contiguous tensor, whose strides PyTorch may keep', async () => {
    const error = await failure(['y = torch.mul(torch.t(x), 2)', 'return torch.as_strided(y, [2], [1])']);
    expect(error.code).toBe('TRACE_UNSUPPORTED');
    expect(error.message).toMatch(/aten::mul reads a non-contiguous tensor/);
  });

  it('refuses restriding in place', async () => {
    const error = await failure(['y = torch.mul(x, 2)', '_0 = torch.as_strided_(y, [2], [1])', 'return y']);
    expect(error.code).toBe('TRACE_UNSUPPORTED');
    expect(error.message).toMatch(/as_strided_/);
  });

  it('refuses reading past the storage of a view, counted from the storage the view is in', async () => {
    const error = await failure(['y = torch.slice(torch.mul(x, 2), 0, 1)', 'return torch.as_strided(y, [2], [4], 9)']);
    expect(error.code).toBe('UNSAFE_OP');
    expect(error.message).toMatch(/reads element 13 of a storage of 12/);
  });

  it('converts a contiguous result read through a transpose view', async () => {
    const path = moduleArchive('x: Tensor) -> Tensor', ['y = torch.t(torch.mul(x, 2))', 'return torch.as_strided(y, [2, 2], [1, 4], 1)']);
    const report = await convert(path, join(tempDir(), 'm.onnx'), { inputs: ['float32[3,4]'] });
    expect(report.outputs[0].shape).toEqual([2, 2]);
    expect(report.nodes.Gather).toBe(1);
  });
});
