/** The page's SHA-256 against Node's, at the lengths where padding changes and fed in uneven pieces. */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { Sha256 } from '../../web/sha256.js';
import { fixturesRoot } from '../helpers/cases.js';

const nodeSha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

it('hashes the standard test vectors', () => {
  expect(new Sha256().hex()).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  expect(new Sha256().update(new TextEncoder().encode('abc')).hex()).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});

it('equals node:crypto at every length around the block and padding boundaries', () => {
  const data = randomBytes(300);
  for (let length = 0; length <= 300; length++) {
    const bytes = data.subarray(0, length);
    expect(new Sha256().update(bytes).hex(), `length ${length}`).toBe(nodeSha256(bytes));
  }
});

it('equals node:crypto on an archive fed in uneven pieces', () => {
  const archive = readFileSync(join(fixturesRoot, 'models', 'tiny_resnet', 'torch26', 'model.pt'));
  const hash = new Sha256();
  for (let at = 0, step = 1; at < archive.length; at += step, step = (step * 7 + 3) % 9000 + 1) {
    hash.update(archive.subarray(at, Math.min(archive.length, at + step)));
  }
  expect(hash.hex()).toBe(nodeSha256(archive));
});
