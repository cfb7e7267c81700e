/** The page's raw inflate: what Node's zlib gives within the declared size, and its refusals beyond. */
import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import { expect, it } from 'vitest';
import { inflateRawWithin } from '../../web/inflate.js';

const codeOf = (run: () => unknown): unknown => {
  try {
    run();
  } catch (error) {
    return (error as { code?: unknown }).code ?? 'error';
  }
  return undefined;
};

it('inflates compressed and stored blocks to what was deflated', () => {
  const text = Buffer.from('def forward(self, x):\n    return torch.relu(x)\n'.repeat(500));
  const noise = randomBytes(70_000);
  for (const data of [text, noise, Buffer.alloc(0)]) {
    for (const level of [0, 6, 9]) {
      const out = inflateRawWithin(zlib.deflateRawSync(data, { level }), data.length);
      expect(Buffer.from(out).equals(data)).toBe(true);
    }
  }
});

it('refuses output beyond the declared size with ERR_BUFFER_TOO_LARGE, as zlib does', () => {
  const data = Buffer.alloc(100_000, 7);
  for (const level of [0, 9]) {
    const compressed = zlib.deflateRawSync(data, { level });
    expect(codeOf(() => zlib.inflateRawSync(compressed, { maxOutputLength: 99_999 }))).toBe('ERR_BUFFER_TOO_LARGE');
    expect(codeOf(() => inflateRawWithin(compressed, 99_999))).toBe('ERR_BUFFER_TOO_LARGE');
  }
});

it('fails on a truncated or damaged stream', () => {
  const compressed = zlib.deflateRawSync(Buffer.from('x'.repeat(10_000) + 'y'.repeat(10_000)));
  expect(codeOf(() => inflateRawWithin(compressed.subarray(0, compressed.length >> 1), 20_000))).not.toBe(undefined);
  expect(codeOf(() => inflateRawWithin(Buffer.from([0xff, 0xff, 0xff, 0xff]), 100))).not.toBe(undefined);
});
