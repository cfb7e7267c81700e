/**
 * hash() as TorchScript computes it (libstdc++'s std::hash in PyTorch's Linux builds). A str's or a
 * float's hash is a 64-bit int, beyond the ints the interpreter holds exactly, so it is refused; the
 * message gives the value, checked here against PyTorch 1.13 and 2.6, where scripted
 * `hash(self.word) % 1000` with word 'abc' is 833 and `hash(self.f) % 13` with f 2.5 is 9.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convert } from '../../src/index.js';
import { TsonnxError } from '../../src/errors.js';
import { moduleArchive, tempDir } from '../archive/helpers.js';

async function convertBody(body: string[]): Promise<TsonnxError | undefined> {
  const path = moduleArchive('x: Tensor) -> Tensor', body);
  try {
    await convert(path, join(tempDir(), 'm.onnx'), { inputs: ['float32[2]'] });
    return undefined;
  } catch (error) {
    if (error instanceof TsonnxError) return error;
    throw error;
  }
}

const pyMod = (a: bigint, b: bigint) => ((a % b) + b) % b;

describe('hash', () => {
  it('of an int or bool is the number itself, and of 0.0 is 0', async () => {
    expect(await convertBody(['return torch.mul(x, torch.add(torch.add(torch.hash(12345), torch.hash(True)), torch.hash(0.)))'])).toBeUndefined();
  });

  it('of a str is its bytes through std::_Hash_bytes: refused with the 64-bit value', async () => {
    const error = await convertBody(['return torch.mul(x, torch.remainder(torch.hash("abc"), 1000))']);
    expect(error?.code).toBe('TRACE_UNSUPPORTED');
    const value = BigInt(/is (-?\d+),/.exec(error?.message ?? '')?.[1] ?? '0');
    expect(pyMod(value, 1000n)).toBe(833n);
  });

  it('of a float is its IEEE bytes through std::_Hash_bytes', async () => {
    const error = await convertBody(['return torch.mul(x, torch.remainder(torch.hash(2.5), 13))']);
    const value = BigInt(/is (-?\d+),/.exec(error?.message ?? '')?.[1] ?? '0');
    expect(pyMod(value, 13n)).toBe(9n);
  });
});
